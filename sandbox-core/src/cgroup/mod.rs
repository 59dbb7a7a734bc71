//! Per-run cgroups on v1, v2 or both (a machine may have v1 controllers next to a
//! controller-less cgroup2 mount): detect at run time, create one leaf per needed hierarchy
//! under `<own cgroup>/<root>/<run>`, write limits, attach, account, kill, remove.
//!
//! Where a hierarchy is missing or not ours to write (unprivileged caller), creation does not
//! fail: the limit is reported as not enforced by a cgroup and the caller falls back to
//! rlimits. Where a directory is ours and a limit value cannot be written, it fails closed.
//!
//! What differs between v1 and v2 sits behind one interface, `Api`, implemented once per
//! version (v1.rs, v2.rs); a leaf carries its version's implementation, so nothing here
//! matches on the version.

pub mod check;
pub mod detect;
pub mod stats;
mod v1;
mod v2;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::policy::Limits;
use crate::sys;
pub use check::{host_report, host_report_in, HostCgroups, HostHierarchy};
pub use stats::MemoryEvents;
pub use v2::CALLER_LEAF;

/// One cgroup version's way of making, limiting and reading a run's leaf.
pub(crate) trait Api: core::fmt::Debug + Sync {
    fn version(&self) -> Version;
    /// Create `<base>/<root>` and make the controllers of `want` available to its children;
    /// returns those that are. `Ok(None)`: this hierarchy is not ours to write.
    fn prepare(&self, base: &str, root: &str, want: Ctl) -> Result<Option<Ctl>>;
    /// Controllers whose files exist in `dir` (for a directory the caller prepared).
    fn present(&self, dir: &str) -> Ctl;
    /// Write the requested limits of the controllers in `ctl`; any failure is an error.
    fn apply(&self, dir: &str, ctl: Ctl, l: &Limits) -> Result<()>;
    /// CPU time of the whole tree, when this leaf counts it.
    fn cpu_ns(&self, dir: &str, ctl: Ctl) -> Option<u64>;
    fn peak_memory(&self, dir: &str) -> Option<u64>;
    fn memory_events(&self, dir: &str) -> Option<MemoryEvents>;
    /// Kill the whole tree at once; false when this version has no such file.
    fn kill(&self, dir: &str) -> bool;
}

/// The one place that maps a version to its implementation.
pub(crate) fn api(v: Version) -> &'static dyn Api {
    match v {
        Version::V1 => &v1::V1,
        Version::V2 => &v2::V2,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Memory,
    Pids,
    Cpus,
}

/// A set of controllers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ctl(u8);

impl Ctl {
    pub const MEMORY: u8 = 1;
    pub const PIDS: u8 = 2;
    pub const CPU: u8 = 4;
    pub const CPUACCT: u8 = 8;
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    pub fn with(self, bit: u8) -> Ctl {
        Ctl(self.0 | bit)
    }
}

/// mkdir of the leaf raced with another run removing the empty parent: retry this often.
const MKDIR_TRIES: u32 = 16;

#[derive(Debug, Clone)]
struct Leaf {
    dir: String,
    api: &'static dyn Api,
    ctl: Ctl,
}

impl Leaf {
    fn is(&self, v: Version) -> bool {
        self.api.version() == v
    }
}

/// The cgroups of one run. Clone only for the cleaner process (see cleaner.rs), which
/// holds the copy in a forked process.
#[derive(Debug, Clone)]
pub struct RunCgroup {
    leaves: Vec<Leaf>,
    /// `<own>/<root>` directories, removed after the leaves when empty.
    parents: Vec<String>,
    /// false for a directory the caller prepared: never killed wholesale nor removed.
    owned: bool,
    limits: Limits,
    done: bool,
}

impl RunCgroup {
    /// Create `<own cgroup>/<root>/<run>` in every hierarchy this run needs and write
    /// `limits` there. `root` may have several components; neither may contain "..".
    pub fn create(root: &str, run: &str, limits: &Limits) -> Result<RunCgroup> {
        Self::create_with(root, run, limits, true)
    }

    /// As `create`; `account_memory` adds a memory leaf without a memory limit, so a report
    /// can give the tree's peak memory (about 0.25 ms per run, so only when one is wanted).
    pub fn create_with(root: &str, run: &str, limits: &Limits, account_memory: bool) -> Result<RunCgroup> {
        check_name(root, true)?;
        check_name(run, false)?;
        let host = detect::detect()?;
        let mut rc =
            RunCgroup { leaves: Vec::new(), parents: Vec::new(), owned: true, limits: limits.clone(), done: false };

        // Which controllers we want, by name.
        let mut want: Vec<(&str, u8)> = Vec::new();
        if limits.memory.is_some() || account_memory {
            want.push(("memory", Ctl::MEMORY));
        }
        if limits.pids.is_some() {
            want.push(("pids", Ctl::PIDS));
        }
        if limits.cpus_milli.is_some() {
            want.push(("cpu", Ctl::CPU));
        }

        // v2 first: its leaf accounts CPU time and kills the tree even without controllers.
        if let Some(h) = host.v2() {
            let mut w = Ctl::default();
            for (name, bit) in &want {
                if h.has(name) {
                    w = w.with(*bit);
                }
            }
            if let Some(leaf) = make_leaf(h.own_dir.as_deref().unwrap_or_default(), root, run, api(Version::V2), w)? {
                rc.push(leaf, root);
            }
        }
        // v1: cpuacct only when no v2 leaf gives the tree's CPU time.
        if !rc.leaves.iter().any(|l| l.is(Version::V2)) {
            want.push(("cpuacct", Ctl::CPUACCT));
        }
        let mut done: Vec<&str> = Vec::new();
        for (name, _) in &want {
            let Some(h) = host.for_controller(name) else {
                continue;
            };
            if h.version != Version::V1 || done.contains(&h.mount_point.as_str()) {
                continue;
            }
            done.push(&h.mount_point);
            let mut w = Ctl::default();
            for (n, bit) in &want {
                if h.has(n) {
                    w = w.with(*bit);
                }
            }
            if let Some(leaf) = make_leaf(h.own_dir.as_deref().unwrap_or_default(), root, run, api(Version::V1), w)? {
                rc.push(leaf, root);
            }
        }
        // On error `rc` is dropped, which removes what was created.
        for l in &rc.leaves {
            l.api.apply(&l.dir, l.ctl, limits)?;
        }
        Ok(rc)
    }

    /// The leaves of run `run` under `root` that exist now, in every hierarchy: what a
    /// cleaner removes after its supervisor died, whatever point creation had reached.
    pub fn adopt(root: &str, run: &str) -> RunCgroup {
        let mut rc =
            RunCgroup { leaves: Vec::new(), parents: Vec::new(), owned: true, limits: Limits::default(), done: false };
        let Ok(host) = detect::detect() else { return rc };
        for h in &host.hierarchies {
            let Some(own) = h.own_dir.as_deref() else { continue };
            // The cleaner may have been moved into the caller's leaf with the caller (v2).
            let base = base_of(own, h.version);
            let dir = format!("{}/{}/{run}", base.trim_end_matches('/'), root.trim_matches('/'));
            let seen = rc.leaves.iter().any(|l| l.dir == dir);
            if !seen && sys::fstatat(sys::AT_FDCWD, dir.as_bytes(), 0).is_ok() {
                rc.push(Leaf { dir, api: api(h.version), ctl: Ctl::default() }, root);
            }
        }
        rc
    }

    /// Use a cgroup directory the caller prepared (bare mode's SANDBOX_CGROUP_DIR): write
    /// the limits there. It is never removed. A directory we cannot write is an error.
    pub fn from_dir(dir: &str, limits: &Limits) -> Result<RunCgroup> {
        let dir = dir.trim_end_matches('/');
        let fd =
            sys::open(dir.as_bytes(), libc::O_RDONLY | libc::O_DIRECTORY).map_err(|e| Error::new("cgroup", dir, e))?;
        let st = sys::fstatfs(fd);
        sys::close(fd);
        let st = st.map_err(|e| Error::new("cgroup", dir, e))?;
        let version = match st.f_type as i64 {
            CGROUP_SUPER_MAGIC => Version::V1,
            CGROUP2_SUPER_MAGIC => Version::V2,
            _ => return Err(Error::new("cgroup", format!("{dir} is not a cgroup directory"), libc::EINVAL)),
        };
        // Attaching later must work: check now so the caller fails before running anything.
        let procs = file(dir, "cgroup.procs");
        let fd = sys::open(procs.as_bytes(), libc::O_WRONLY).map_err(|e| Error::new("cgroup", procs, e))?;
        sys::close(fd);
        let api = api(version);
        let ctl = api.present(dir);
        api.apply(dir, ctl, limits)?;
        Ok(RunCgroup {
            leaves: alloc::vec![Leaf { dir: String::from(dir), api, ctl }],
            parents: Vec::new(),
            owned: false,
            limits: limits.clone(),
            done: false,
        })
    }

    fn push(&mut self, leaf: Leaf, root: &str) {
        let parent = String::from(parent_of(&leaf.dir));
        debug_assert!(parent.ends_with(root.trim_matches('/')));
        self.leaves.push(leaf);
        if !self.parents.contains(&parent) {
            self.parents.push(parent);
        }
    }

    /// The hierarchy whose controller enforces `limit` for this run (None: no controller
    /// for it, or the limit was not asked for). What that means per limit: mechanism.rs.
    pub fn controller(&self, limit: LimitKind) -> Option<Version> {
        let l = &self.limits;
        let by = |bit: u8| self.leaves.iter().find(|x| x.ctl.has(bit)).map(|x| x.api.version());
        match limit {
            LimitKind::Memory if l.memory.is_some() => by(Ctl::MEMORY),
            LimitKind::Pids if l.pids.is_some() => by(Ctl::PIDS),
            LimitKind::Cpus if l.cpus_milli.is_some() => by(Ctl::CPU),
            _ => None,
        }
    }

    /// A leaf counts the tree's CPU time (v2 always, v1 with cpuacct).
    pub fn counts_tree_cpu(&self) -> bool {
        self.leaves.iter().any(|x| x.is(Version::V2) || x.ctl.has(Ctl::CPUACCT))
    }

    /// The leaf directories, e.g. for a report.
    pub fn dirs(&self) -> impl Iterator<Item = &str> {
        self.leaves.iter().map(|l| l.dir.as_str())
    }

    /// The leaf to export as SANDBOX_CGROUP_DIR: the one that limits memory, else pids,
    /// else the v2 one; `None` when the run has no cgroup at all.
    pub fn primary_dir(&self) -> Option<String> {
        let pick = self
            .leaves
            .iter()
            .find(|l| l.ctl.has(Ctl::MEMORY))
            .or_else(|| self.leaves.iter().find(|l| l.ctl.has(Ctl::PIDS)))
            .or_else(|| self.leaves.iter().find(|l| l.is(Version::V2)))
            .or_else(|| self.leaves.first());
        pick.map(|l| l.dir.clone())
    }

    /// Move `pid` (all its threads) into every leaf.
    pub fn attach(&self, pid: i32) -> Result<()> {
        self.attach_where(pid, |_| true)
    }

    /// The run's own v2 leaf, where a child can be born with clone3(CLONE_INTO_CGROUP).
    pub fn v2_leaf(&self) -> Option<&str> {
        self.leaves.iter().find(|l| l.is(Version::V2) && self.owned).map(|l| l.dir.as_str())
    }

    /// As `attach`, for a process already born in the v2 leaf: only the v1 leaves.
    pub fn attach_v1(&self, pid: i32) -> Result<()> {
        self.attach_where(pid, |l| l.is(Version::V1))
    }

    fn attach_where(&self, pid: i32, which: impl Fn(&Leaf) -> bool) -> Result<()> {
        let v = format!("{pid}");
        for l in self.leaves.iter().filter(|l| which(l)) {
            let p = file(&l.dir, "cgroup.procs");
            sys::write_file(p.as_bytes(), v.as_bytes()).map_err(|e| Error::new("cgroup", p, e))?;
        }
        Ok(())
    }

    /// SIGKILL every process of the run: cgroup.kill on v2, else every pid of cgroup.procs
    /// until none is left (bounded). In a caller's directory the caller itself is spared.
    pub fn kill_all(&self) {
        let me = sys::getpid();
        if self.owned {
            for l in &self.leaves {
                l.api.kill(&l.dir);
            }
        }
        for l in &self.leaves {
            for round in 0..200 {
                let Some(t) = read(&l.dir, "cgroup.procs") else {
                    break;
                };
                let mut any = false;
                for pid in t.split(|&c| c == b'\n').filter_map(stats::parse_u64) {
                    if pid as i32 != me {
                        any = true;
                        let _ = sys::kill(pid as i32, libc::SIGKILL);
                    }
                }
                if !any {
                    break;
                }
                sleep_ms(if round < 10 { 1 } else { 5 });
            }
        }
    }

    /// Kill what is left and remove the leaves, then each `<root>` if no other run uses it.
    pub fn remove(mut self) -> Result<()> {
        self.done = true;
        self.cleanup()
    }

    fn cleanup(&mut self) -> Result<()> {
        if !self.owned {
            return Ok(());
        }
        self.kill_all();
        let mut first: Result<()> = Ok(());
        for l in &self.leaves {
            if let Err(e) = rmdir_wait(&l.dir) {
                if first.is_ok() {
                    first = Err(Error::new("cgroup", format!("remove {}", l.dir), e));
                }
            }
        }
        for p in &self.parents {
            // Another run may be using it (ENOTEMPTY/EBUSY) or just removed it (ENOENT).
            let _ = sys::unlinkat(sys::AT_FDCWD, p.as_bytes(), libc::AT_REMOVEDIR);
        }
        first
    }

    /// CPU time of the whole tree, nanoseconds.
    pub fn cpu_ns(&self) -> Option<u64> {
        // v1 cpuacct first: a v2 leaf is then never asked (on a hybrid host it has no cpu).
        let mut ls: Vec<&Leaf> = self.leaves.iter().filter(|l| l.ctl.has(Ctl::CPUACCT)).collect();
        ls.extend(self.leaves.iter().filter(|l| !l.ctl.has(Ctl::CPUACCT)));
        ls.iter().find_map(|l| l.api.cpu_ns(&l.dir, l.ctl))
    }

    /// Peak memory of the tree, bytes: v1 memory.max_usage_in_bytes; v2 memory.peak, or on
    /// kernels without it (before 5.19) the limit when memory.events shows it was reached.
    pub fn peak_memory(&self) -> Option<u64> {
        let l = self.leaves.iter().find(|l| l.ctl.has(Ctl::MEMORY))?;
        l.api.peak_memory(&l.dir)
    }

    pub fn memory_events(&self) -> Option<MemoryEvents> {
        let l = self.leaves.iter().find(|l| l.ctl.has(Ctl::MEMORY))?;
        l.api.memory_events(&l.dir)
    }

    /// Processes the kernel OOM-killed in this run.
    pub fn oom_kills(&self) -> Option<u64> {
        self.memory_events().map(|e| e.oom_kill)
    }

    /// Forks refused by pids.max.
    pub fn pids_limit_hit(&self) -> Option<u64> {
        let l = self.leaves.iter().find(|l| l.ctl.has(Ctl::PIDS))?;
        stats::pids_max_events(&read(&l.dir, "pids.events")?)
    }
}

impl Drop for RunCgroup {
    fn drop(&mut self) {
        if !self.done {
            self.done = true;
            let _ = self.cleanup();
        }
    }
}

pub(crate) const CGROUP_SUPER_MAGIC: i64 = 0x27e0eb;
pub(crate) const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

/// Errors that mean "not ours to use" rather than "broken": fall back to rlimits.
pub(crate) fn unavailable(e: i32) -> bool {
    matches!(e, libc::EACCES | libc::EPERM | libc::EROFS)
}

/// The directory runs are created under: the caller's own cgroup, or on v2 its parent when
/// the caller sits in the leaf an earlier run moved it to (see v2::prepare).
pub(crate) fn base_of(own: &str, v: Version) -> &str {
    match own.strip_suffix(CALLER_LEAF).and_then(|p| p.strip_suffix('/')) {
        Some(p) if v == Version::V2 && !p.is_empty() => p,
        _ => own,
    }
}

/// mkdir each component of `<base>/<root>`, tolerating EEXIST. `Ok(false)`: not ours.
pub(crate) fn mkdir_path(base: &str, root: &str) -> Result<bool> {
    let mut p = String::from(base);
    for comp in root.split('/').filter(|c| !c.is_empty()) {
        p.push('/');
        p.push_str(comp);
        match sys::mkdirat(sys::AT_FDCWD, p.as_bytes(), 0o755) {
            Ok(()) | Err(libc::EEXIST) => {}
            Err(e) if unavailable(e) => return Ok(false),
            Err(e) => return Err(Error::new("cgroup", format!("mkdir {p}"), e)),
        }
    }
    Ok(true)
}

/// Prepare `<base>/<root>` (the version's way) then mkdir `<base>/<root>/<run>`.
/// `Ok(None)`: this hierarchy is not writable by us.
fn make_leaf(own: &str, root: &str, run: &str, api: &'static dyn Api, want: Ctl) -> Result<Option<Leaf>> {
    if own.is_empty() {
        return Ok(None);
    }
    let base = base_of(own, api.version());
    let parent = format!("{base}/{}", root.trim_matches('/'));
    let leaf = format!("{parent}/{run}");
    for _ in 0..MKDIR_TRIES {
        let Some(ctl) = api.prepare(base, root, want)? else {
            return Ok(None);
        };
        match sys::mkdirat(sys::AT_FDCWD, leaf.as_bytes(), 0o755) {
            Ok(()) => {
                // Between prepare and this mkdir another run may have removed the empty
                // parent and a third recreated it without controllers yet. Our leaf now keeps
                // the parent alive: prepare again (idempotent) and take what it reports.
                let ctl = api.prepare(base, root, want)?.unwrap_or(ctl);
                return Ok(Some(Leaf { dir: leaf, api, ctl }));
            }
            // Another run removed the empty parent between our two mkdirs.
            Err(libc::ENOENT) => continue,
            // A stale leaf of a dead run with the same name: reuse the name only if empty.
            Err(libc::EEXIST) => match sys::unlinkat(sys::AT_FDCWD, leaf.as_bytes(), libc::AT_REMOVEDIR) {
                Ok(()) | Err(libc::ENOENT) => continue,
                Err(e) => return Err(Error::new("cgroup", format!("{leaf} exists and is in use"), e)),
            },
            Err(e) if unavailable(e) => return Ok(None),
            Err(e) => return Err(Error::new("cgroup", format!("mkdir {leaf}"), e)),
        }
    }
    Err(Error::new("cgroup", format!("mkdir {leaf}: parent keeps disappearing"), libc::ENOENT))
}

/// rmdir `dir` once its tree is gone, however long the killed processes take to exit.
///
/// EBUSY means the kernel still counts tasks in the tree. A killed process can take seconds
/// to finish exiting: freeing the page cache of a deleted multi-GiB file under CPU load is one
/// case. A fixed 2 s bound turned that into leftover directories. So while the tree is
/// populated (v2 `cgroup.events` says `populated 1`, v1 `tasks` is not empty), we keep
/// retrying, backing off to 50 ms naps. Two bounds stay, each with its reason:
/// - EBUSY for 2 s with no task left: something other than exiting tasks holds the directory
///   (a child cgroup). Waiting for tasks cannot help then.
/// - 10 minutes in all: a task still there that long after SIGKILL is stuck in the kernel,
///   e.g. in uninterruptible sleep on a dead device. It could block the caller forever. The
///   error names the directory, and the cleaner (cleaner.rs) tries again on its own.
fn rmdir_wait(dir: &str) -> sys::R<()> {
    const NO_TASK_NS: u64 = 2_000_000_000;
    const STUCK_NS: u64 = 600_000_000_000;
    let start = sys::now_ns();
    let mut empty_since = None;
    let mut nap = 1;
    loop {
        match sys::unlinkat(sys::AT_FDCWD, dir.as_bytes(), libc::AT_REMOVEDIR) {
            Ok(()) | Err(libc::ENOENT) => return Ok(()),
            Err(libc::EBUSY) => {}
            Err(e) => return Err(e),
        }
        let now = sys::now_ns();
        let populated = match read(dir, "cgroup.events") {
            Some(ev) => ev.split(|&c| c == b'\n').any(|l| l == b"populated 1"),
            None => read(dir, "tasks").is_some_and(|t| !t.is_empty()),
        };
        if populated {
            empty_since = None;
        } else if now.saturating_sub(*empty_since.get_or_insert(now)) > NO_TASK_NS {
            return Err(libc::EBUSY);
        }
        if now.saturating_sub(start) > STUCK_NS {
            return Err(libc::EBUSY);
        }
        sleep_ms(nap);
        nap = (nap * 2).min(50);
    }
}

/// CFS quota and period (µs) for `milli` thousandths of a CPU; the kernel's smallest quota
/// is 1 ms, so tiny shares use a longer period instead of being rounded up.
pub(crate) fn cfs(milli: u64) -> (u64, u64) {
    let milli = milli.max(1);
    if milli * 100 >= 1000 {
        (milli * 100, 100_000)
    } else {
        (milli * 1000, 1_000_000)
    }
}

fn check_name(s: &str, multi: bool) -> Result<()> {
    let bad = s.is_empty()
        || s.starts_with('/')
        || s.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        || (!multi && s.contains('/'))
        || s.contains('\n');
    if bad {
        return Err(Error::new("cgroup", format!("bad cgroup name {s:?}"), libc::EINVAL));
    }
    Ok(())
}

/// Write one control file; the error names the file.
pub(crate) fn put(dir: &str, name: &str, v: &str) -> Result<()> {
    let p = file(dir, name);
    sys::write_file(p.as_bytes(), v.as_bytes()).map_err(|e| Error::new("cgroup", p, e))
}

/// pids.max has the same name and format on v1 and v2.
pub(crate) fn apply_pids(dir: &str, ctl: Ctl, l: &Limits) -> Result<()> {
    match l.pids {
        Some(p) if ctl.has(Ctl::PIDS) => put(dir, "pids.max", &format!("{p}")),
        _ => Ok(()),
    }
}

pub(crate) fn file(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

pub(crate) fn read(dir: &str, name: &str) -> Option<Vec<u8>> {
    sys::read_file(file(dir, name).as_bytes()).ok()
}

fn parent_of(dir: &str) -> &str {
    dir.rfind('/').map_or(dir, |i| &dir[..i])
}

pub(crate) fn sleep_ms(ms: i32) {
    let _ = sys::poll(&mut [], ms);
}

#[cfg(test)]
mod tests;
