//! cgroup v2: one unified hierarchy; controllers are enabled per subtree, and even a leaf
//! without controllers accounts CPU time (cpu.stat) and can kill its tree (cgroup.kill).
//!
//! Delegation, as systemd's `Delegate=yes` and container runtimes do it: runs are created
//! under the caller's own cgroup (the "base"), which the caller may write. v2 refuses to
//! enable a controller in `cgroup.subtree_control` of a non-root cgroup that holds processes
//! ("no internal processes"), and the caller's own cgroup always holds the caller. So when
//! that write fails with EBUSY, every process of the base is moved into the leaf
//! `<base>/sandbox-caller` (all of them are the caller's: the base is its delegated
//! subtree), and the write is retried. The processes stay there afterwards: moving them back
//! would make the controllers impossible to keep enabled while other runs use them. Later
//! runs started from that leaf use its parent as their base again (`base_of`).

use alloc::string::String;
use alloc::{format, vec::Vec};

use super::{file, put, read, stats, unavailable, Api, Ctl, MemoryEvents, Version};
use crate::error::{Error, Result};
use crate::policy::Limits;
use crate::sys;

/// The leaf of the base where the caller's processes are moved (see the module comment).
pub const CALLER_LEAF: &str = "sandbox-caller";

const NAMES: [(&str, u8); 3] = [("memory", Ctl::MEMORY), ("pids", Ctl::PIDS), ("cpu", Ctl::CPU)];

#[derive(Debug)]
pub(super) struct V2;

impl Api for V2 {
    fn version(&self) -> Version {
        Version::V2
    }

    /// Enable `want` in the base, moving the caller into its own leaf when v2 requires it,
    /// then mkdir `<base>/<root>` enabling the same controllers at each component. Returns
    /// the controllers the run leaves will really have (read back from the last
    /// `cgroup.subtree_control`, never assumed).
    fn prepare(&self, base: &str, root: &str, want: Ctl) -> Result<Option<Ctl>> {
        let mut got = want_in(base, want);
        if got != Ctl::default() {
            got = enable(base, got, true)?;
        }
        if !super::mkdir_path(base, root)? {
            return Ok(None);
        }
        let mut p = String::from(base);
        for comp in root.split('/').filter(|c| !c.is_empty()) {
            p.push('/');
            p.push_str(comp);
            if got != Ctl::default() {
                got = enable(&p, got, false)?;
            }
        }
        Ok(Some(got))
    }

    fn present(&self, dir: &str) -> Ctl {
        let mut c = Ctl::default();
        for (name, bit) in [("memory.max", Ctl::MEMORY), ("pids.max", Ctl::PIDS), ("cpu.max", Ctl::CPU)] {
            if sys::fstatat(sys::AT_FDCWD, file(dir, name).as_bytes(), 0).is_ok() {
                c = c.with(bit);
            }
        }
        c
    }

    fn apply(&self, dir: &str, ctl: Ctl, l: &Limits) -> Result<()> {
        if ctl.has(Ctl::MEMORY) {
            if let Some(m) = l.memory {
                put(dir, "memory.max", &format!("{m}"))?;
                // No swap for the run; the file is absent without swap accounting.
                optional(dir, "memory.swap.max", "0")?;
                // An OOM kill takes the whole run, not one process of it.
                optional(dir, "memory.oom.group", "1")?;
            }
            // Writable on newer kernels only: restarts the peak of a reused directory.
            let _ = sys::write_file(file(dir, "memory.peak").as_bytes(), b"0");
        }
        super::apply_pids(dir, ctl, l)?;
        if ctl.has(Ctl::CPU) {
            if let Some(m) = l.cpus_milli {
                let (quota, period) = super::cfs(m);
                put(dir, "cpu.max", &format!("{quota} {period}"))?;
            }
        }
        Ok(())
    }

    fn cpu_ns(&self, dir: &str, _ctl: Ctl) -> Option<u64> {
        stats::v2_cpu_ns(&read(dir, "cpu.stat")?)
    }

    /// memory.peak (Linux 5.19+). Without it (Debian 12's 6.1) the only exact statement is
    /// "the tree reached its limit" (memory.events max or oom_kill > 0): the limit is then
    /// the peak. A run that stayed below has no cgroup peak (the report's max_rss remains).
    fn peak_memory(&self, dir: &str) -> Option<u64> {
        if let Some(p) = read(dir, "memory.peak") {
            return stats::parse_u64(&p);
        }
        let ev = self.memory_events(dir)?;
        if ev.max > 0 || ev.oom_kill > 0 {
            return stats::parse_u64(&read(dir, "memory.max")?);
        }
        None
    }

    fn memory_events(&self, dir: &str) -> Option<MemoryEvents> {
        Some(MemoryEvents::parse_v2(&read(dir, "memory.events")?))
    }

    /// cgroup.kill (Linux 5.14+); false where the kernel lacks it.
    fn kill(&self, dir: &str) -> bool {
        kill(dir).is_ok()
    }
}

/// The controllers of `want` that `dir`'s children could get (its cgroup.controllers).
fn want_in(dir: &str, want: Ctl) -> Ctl {
    let have = words(&read(dir, "cgroup.controllers").unwrap_or_default());
    NAMES
        .iter()
        .filter(|(n, b)| want.has(*b) && have.iter().any(|h| h == n))
        .fold(Ctl::default(), |c, (_, b)| c.with(*b))
}

/// The controllers of `want` enabled in `dir/cgroup.subtree_control`.
fn enabled(dir: &str, want: Ctl) -> Ctl {
    let on = words(&read(dir, "cgroup.subtree_control").unwrap_or_default());
    NAMES.iter().filter(|(n, b)| want.has(*b) && on.iter().any(|h| h == n)).fold(Ctl::default(), |c, (_, b)| c.with(*b))
}

fn words(t: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(t).split_whitespace().map(String::from).collect()
}

/// Enable each controller of `want` in `dir/cgroup.subtree_control` (one write each, so one
/// the kernel refuses, e.g. cpu beside realtime tasks, does not cost the others). On EBUSY
/// in the base (`may_move`), move the caller's processes out first (module comment).
/// Returns what is enabled afterwards; a controller that could not be enabled is simply not
/// in it, and the run reports the fallback for that limit.
fn enable(dir: &str, want: Ctl, may_move: bool) -> Result<Ctl> {
    let p = file(dir, "cgroup.subtree_control");
    let mut moved = false;
    for (name, bit) in NAMES {
        if !want.has(bit) || enabled(dir, want).has(bit) {
            continue;
        }
        let line = format!("+{name}");
        loop {
            match sys::write_file(p.as_bytes(), line.as_bytes()) {
                Err(libc::EBUSY) if may_move && !moved => {
                    moved = true;
                    if !move_caller(dir)? {
                        break;
                    }
                }
                _ => break,
            }
        }
    }
    Ok(enabled(dir, want))
}

/// Move every process of `base` into `<base>/sandbox-caller`. Ok(false): not permitted
/// here (the caller may not write that leaf or move those processes): the controllers stay
/// off and the limits fall back, as without delegation.
fn move_caller(base: &str) -> Result<bool> {
    let leaf = file(base, CALLER_LEAF);
    match sys::mkdirat(sys::AT_FDCWD, leaf.as_bytes(), 0o755) {
        Ok(()) | Err(libc::EEXIST) => {}
        Err(e) if unavailable(e) => return Ok(false),
        Err(e) => return Err(Error::new("cgroup", format!("mkdir {leaf}"), e)),
    }
    let dst = file(&leaf, "cgroup.procs");
    // Processes may fork while they are moved: a few rounds until the base is empty.
    for _ in 0..50 {
        let procs = read(base, "cgroup.procs").unwrap_or_default();
        let pids: Vec<u64> = procs.split(|&c| c == b'\n').filter_map(stats::parse_u64).collect();
        if pids.is_empty() {
            return Ok(true);
        }
        for pid in pids {
            match sys::write_file(dst.as_bytes(), format!("{pid}").as_bytes()) {
                // Gone meanwhile.
                Ok(()) | Err(libc::ESRCH) => {}
                Err(e) if unavailable(e) => return Ok(false),
                Err(e) => return Err(Error::new("cgroup", format!("move {pid} into {dst}"), e)),
            }
        }
    }
    Ok(false)
}

fn optional(dir: &str, name: &str, v: &str) -> Result<()> {
    match put(dir, name, v) {
        Err(e) if e.errno == libc::ENOENT => Ok(()),
        r => r,
    }
}

/// Kill every process of the tree at once (Linux 5.14+). ENOENT: no cgroup.kill here.
pub(super) fn kill(dir: &str) -> sys::R<()> {
    sys::write_file(file(dir, "cgroup.kill").as_bytes(), b"1")
}

#[cfg(test)]
pub(super) fn cpu_ns(dir: &str) -> Option<u64> {
    stats::v2_cpu_ns(&read(dir, "cpu.stat")?)
}
