//! The filesystem jail: a fresh tmpfs root entered with pivot_root, the old root detached.
//!
//! Every source is cloned as a detached mount tree (open_tree) and its flags are set on the
//! detached tree (mount_setattr, recursive) before it is attached, so no moment exists where
//! a writable or suid-capable bind is visible, and submounts are covered too. Destinations
//! are resolved inside the new root (openat2 RESOLVE_IN_ROOT), so a symlink in a bound
//! directory cannot send a mount point outside the jail.

use crate::error::{Ctx, Error, Result};
use crate::policy::MountKind;
use crate::run::{Init, Run, Setup};
use crate::sys::{self, c_int};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Where the new root is assembled, inside our private mount namespace only.
const STAGE: &[u8] = b"/tmp";

/// What of /etc the jail shows, decided by what programs and the installed runtimes read
/// (README, "What of /etc is visible"): the loader, users and groups (never shadow or
/// gshadow), name service, time zone and locale aliases, TLS trust (certs and openssl.cnf,
/// never ssl/private), and Debian's alternatives. Optional: skipped when the host lacks
/// them. Every entry must be world-readable to be shown at all (a file the run's uid could
/// not read is no configuration it needs), and a bound directory keeps its permissions.
const ETC: &[&str] = &[
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/gai.conf",
    "/etc/group",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/locale.alias",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/passwd",
    "/etc/protocols",
    "/etc/resolv.conf",
    "/etc/services",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/timezone",
];

/// Per-runtime configuration that Debian keeps in /etc and links from /usr (e.g.
/// /usr/lib/jvm/java-17-openjdk-amd64/conf -> /etc/java-17-openjdk, whose security/
/// java.security every JVM loads; /usr/lib/python3.11/sitecustomize.py -> /etc/python3.11):
/// every /etc entry whose name starts with one of these, as the versions differ by host.
const ETC_RUNTIMES: &[&str] = &["java-", "python3", "perl"];

/// /etc/<name> for every entry of the host's /etc that belongs to a runtime, sorted.
fn etc_runtimes() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    sys::for_each_dirent(b"/etc", |name| {
        if ETC_RUNTIMES.iter().any(|p| name.starts_with(p.as_bytes())) {
            out.push([&b"/etc/"[..], name].concat());
        }
    });
    out.sort();
    out
}

/// A tree of /etc is shown only when others may read (and, a directory, enter) it.
fn world_readable(p: &[u8]) -> bool {
    match sys::fstatat(sys::AT_FDCWD, p, libc::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => st.st_mode & 0o005 == 0o005,
        Ok(st) => st.st_mode & 0o004 != 0,
        Err(_) => false,
    }
}

/// Top-level system paths: replicated as symlinks on merged-/usr hosts, else bound.
const SYSTEM: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];

/// Device nodes the app may use (bound from the host; no mknod needed).
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

enum What {
    /// A detached clone of a host tree, flags already applied.
    Tree {
        fd: c_int,
        dir: bool,
    },
    Tmpfs {
        size: u64,
        mode: u32,
    },
    Symlink(Vec<u8>),
    /// A fresh read-only cgroup (v1: `opts` names the controllers) or cgroup2 mount, made
    /// inside the run's cgroup namespace, so its root is the run's own leaf.
    Cgroup {
        v2: bool,
        opts: Vec<u8>,
        verbose: bool,
    },
    /// A small configuration file copied into the root: a few syscalls instead of a mount
    /// (each mount takes the namespace lock and costs tens of microseconds).
    File(Vec<u8>),
    Proc,
    /// A directory of the template's own tmpfs (its /dev, the mount point of /dev/shm).
    Dir,
}

/// /etc files up to this size are copied rather than bound.
const COPY_MAX: i64 = 256 << 10;

struct Entry {
    dst: Vec<u8>,
    what: What,
}

const RO: u64 = sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;
const RW: u64 = sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;

/// Clone `src` as a detached tree with `attrs`. `required` sources must exist.
fn tree(src: &[u8], attrs: u64, required: bool) -> Result<Option<What>> {
    let fd = match sys::open_tree(sys::AT_FDCWD, src, sys::OPEN_TREE_CLONE | sys::AT_RECURSIVE) {
        Ok(fd) => fd,
        Err(libc::ENOENT) if !required => return Ok(None),
        Err(e) => return Err(Error::new("filesystem", format!("bind source {}", show(src)), e)),
    };
    sys::mount_setattr(fd, b"", libc::AT_EMPTY_PATH as u32 | sys::AT_RECURSIVE, attrs)
        .ctx("filesystem", &format!("mount flags of {}", show(src)))?;
    let st = sys::fstat(fd).ctx("filesystem", "fstat")?;
    Ok(Some(What::Tree { fd, dir: st.st_mode & libc::S_IFMT == libc::S_IFDIR }))
}

fn show(p: &[u8]) -> &str {
    core::str::from_utf8(p).unwrap_or("<non-utf8 path>")
}

/// The contents of a small regular file that everyone may read (never a secret: a file the
/// run's uid could not read itself is bound, so its permissions still apply).
fn small_file(p: &[u8]) -> Option<Vec<u8>> {
    let st = sys::fstatat(sys::AT_FDCWD, p, libc::AT_SYMLINK_NOFOLLOW).ok()?;
    let world_readable = st.st_mode & 0o004 != 0;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_size > COPY_MAX || !world_readable {
        return None;
    }
    sys::read_file(p).ok()
}

/// Host path `p` as a symlink to replicate, if it is one.
fn host_symlink(p: &[u8]) -> Option<Vec<u8>> {
    let mut buf = [0u8; 4096];
    let n = sys::readlinkat(sys::AT_FDCWD, p, &mut buf).ok()?;
    Some(buf[..n].to_vec())
}

/// The jail's contents, in mount order, with every host source already cloned.
pub struct Plan(Vec<Entry>);

/// Clone every source while init still has the launcher's file access (root mode), and
/// before the stage covers anything, so a source under the host's /tmp still works.
pub fn open_sources(run: &mut Run<Init>, owned: &[Owned]) -> Result<Plan> {
    sys::mount(None, b"/", None, libc::MS_REC | libc::MS_PRIVATE, None).ctx("filesystem", "make / private")?;
    let mut mine = per_run(run, owned)?;
    if let Some(cg) = &*run.s.cg {
        mine.extend(cgroup_view(cg.dirs(), run.is_verbose()));
    }
    let parts: Vec<(&[u8], c_int)> = owned
        .iter()
        .filter_map(|o| match o.of {
            For::Part(i) => Some((&run.target.template[i].dst[..], o.fd)),
            _ => None,
        })
        .collect();
    // A run entry inside a template tree would need a mount point in its read-only tmpfs:
    // such a run builds its whole jail itself, as without a server.
    let under = |e: &Entry, p: &[u8]| e.dst.starts_with(p) && matches!(e.dst.get(p.len()), None | Some(&b'/'));
    let inside = mine.iter().find(|e| parts.iter().any(|p| under(e, p.0)) && !under(e, b"/dev/shm"));
    let say = |m: String| {
        if run.is_verbose() {
            let _ = sys::write_all(2, format!("sandbox: filesystem: {m}\n").as_bytes());
        }
    };
    let mut v = match (parts.is_empty(), inside) {
        (true, _) => fixed(false)?,
        (false, Some(e)) => {
            say(format!("built per run, not from the server's template ({} is inside it)", show(&e.dst)));
            parts.iter().for_each(|p| sys::close(p.1));
            fixed(false)?
        }
        (false, None) => {
            let names: Vec<&str> = parts.iter().map(|p| show(p.0)).collect();
            say(format!("{} from the server's template", names.join(" ")));
            let mut v: Vec<Entry> = SYSTEM
                .iter()
                .filter_map(|p| {
                    host_symlink(p.as_bytes()).map(|t| Entry { dst: p.as_bytes().to_vec(), what: What::Symlink(t) })
                })
                .collect();
            v.extend(parts.iter().map(|p| Entry { dst: p.0.to_vec(), what: What::Tree { fd: p.1, dir: true } }));
            v
        }
    };
    v.extend(mine);
    Ok(Plan(v))
}

/// A server's jail template: every entry that is the same for all runs, attached under
/// `stage` (a directory of a mount namespace that only the server uses), whose fresh tmpfs
/// is then made read-only at the superblock. Runs get recursive clones of its top-level
/// trees, and their root (uid 0 of its user namespace, or init as the host's root before it
/// becomes the app's uid) may clear a clone's mount flag, but only the host's root can
/// remount the superblock: no run can change what the next one sees.
/// Returns the top-level trees a run clones (`/usr`, `/etc`, `/dev`…; the others are
/// symlinks).
pub fn build_template(stage: &[u8]) -> Result<Vec<Vec<u8>>> {
    let entries = fixed(true)?;
    let tpl = |what: &str, e| Error::new("template", String::from(what), e);
    // The server lives on after a failure: the clones not attached yet are closed.
    let mut attached = 0;
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    let r = sys::mount(Some(b"tmpfs"), stage, Some(b"tmpfs"), flags, Some(b"size=1m,mode=755"))
        .and_then(|_| sys::open(stage, libc::O_PATH | libc::O_DIRECTORY))
        .map_err(|e| tpl("stage", e))
        .and_then(|root| {
            let r = entries.iter().try_for_each(|e| attach(root, e).map(|_| attached += 1));
            sys::close(root);
            r
        });
    if r.is_err() {
        // The entry that failed may have closed its clone already: closing it again only
        // gets EBADF, since nothing is opened in between.
        close_trees(entries.get(attached..).unwrap_or_default());
    }
    r?;
    let ro = libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
    sys::mount(None, stage, None, ro, None).map_err(|e| tpl("read-only superblock", e))?;
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for e in &entries {
        let top = e.dst.split(|&b| b == b'/').nth(1).unwrap_or_default();
        let top = [&b"/"[..], top].concat();
        let symlink = top == e.dst && matches!(e.what, What::Symlink(_));
        if !symlink && !parts.contains(&top) {
            parts.push(top);
        }
    }
    Ok(parts)
}

/// What the fixed part of a jail is read from: its copied files, its symlinks and which of
/// its entries exist (bound trees show the host's contents live), and /etc itself, whose
/// time changes when a runtime's entry comes or goes.
pub fn fixed_sources() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = SYSTEM.iter().chain(ETC).map(|p| p.as_bytes().to_vec()).collect();
    v.extend(etc_runtimes());
    v.push(b"/etc".to_vec());
    v
}

/// What the jail's fixed sources look like now (type, inode, size, times of each, unfollowed):
/// a change means a jail built earlier (the template, a run armed ahead) no longer shows
/// what one built now would.
pub fn stamp(sources: &[Vec<u8>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in sources {
        let st = sys::fstatat(sys::AT_FDCWD, p, libc::AT_SYMLINK_NOFOLLOW);
        let f = st.map_or([0; 8], |s| {
            let t = |sec: i64, ns: i64| sec.wrapping_mul(1_000_000_000).wrapping_add(ns) as u64;
            [
                s.st_dev,
                s.st_ino,
                s.st_mode as u64,
                s.st_uid as u64,
                s.st_size as u64,
                t(s.st_mtime, s.st_mtime_nsec),
                t(s.st_ctime, s.st_ctime_nsec),
                1,
            ]
        });
        for b in f.iter().flat_map(|x| x.to_le_bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

const V1_NAMES: &[&[u8]] = &[
    b"cpuset",
    b"cpu",
    b"cpuacct",
    b"blkio",
    b"memory",
    b"devices",
    b"freezer",
    b"net_cls",
    b"perf_event",
    b"net_prio",
    b"hugetlb",
    b"pids",
    b"rdma",
    b"misc",
];

fn has_opt(opts: &[u8], name: &[u8]) -> bool {
    opts.split(|&b| b == b',').any(|o| o == name)
}

/// The run's own cgroups, read-only at the host's mount points under /sys/fs/cgroup, so
/// that the JVM, Go and Node size heaps and threads from the sandbox's limits. Only the
/// hierarchies where the run has a leaf of its own are mounted: in the others its cgroup
/// namespace root would be the caller's cgroup, with other runs' leaves in sight. Each
/// mount is fresh and made after the cgroup namespace is entered (step "cgroupns"), so
/// its root is the leaf and nothing above or beside it is reachable. Nothing else of /sys.
fn cgroup_view<'a>(leaves: impl Iterator<Item = &'a str>, verbose: bool) -> Vec<Entry> {
    let Ok(info) = sys::read_file(b"/proc/self/mountinfo") else {
        return Vec::new();
    };
    // (mount point, cgroup2?, controllers) of every cgroup mount of the host.
    let mut mounts: Vec<(&[u8], bool, Vec<u8>)> = Vec::new();
    for line in info.split(|&b| b == b'\n') {
        let f: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let Some(dash) = f.iter().position(|x| *x == b"-") else { continue };
        let (Some(&mp), Some(&ty), Some(&sup)) = (f.get(4), f.get(dash + 1), f.get(dash + 3)) else { continue };
        let v2 = ty == b"cgroup2";
        if !v2 && ty != b"cgroup" {
            continue;
        }
        // Only the controllers and the name: flags such as release_agent are the host's.
        let keep = |o: &&[u8]| V1_NAMES.contains(o) || o.starts_with(b"name=");
        let opts: Vec<&[u8]> = sup.split(|&b| b == b',').filter(keep).collect();
        mounts.push((mp, v2, if v2 { Vec::new() } else { opts.join(&b',') }));
    }
    let mut out: Vec<Entry> = Vec::new();
    let mut v1_memory = false;
    for leaf in leaves {
        let leaf = leaf.as_bytes();
        let under = |mp: &[u8]| leaf.starts_with(mp) && leaf.get(mp.len()) == Some(&b'/');
        let Some((mp, v2, opts)) = mounts.iter().filter(|m| under(m.0)).max_by_key(|m| m.0.len()) else { continue };
        if out.iter().any(|e| e.dst == *mp) {
            continue;
        }
        v1_memory |= !v2 && has_opt(opts, b"memory");
        out.push(Entry { dst: mp.to_vec(), what: What::Cgroup { v2: *v2, opts: opts.clone(), verbose } });
    }
    // OpenJDK 17 on v1 enables its container support only when cpuset, cpu and cpuacct are
    // mounted too. Where the run has no leaf of its own there, its namespace root would be
    // the caller's cgroup with everything below it, so a marker is bound instead: that
    // cgroup's `notify_on_release` file at the hierarchy's mount point. The JVM finds the
    // controller mounted, cannot resolve a directory in it and treats it as unlimited
    // (host CPUs), while the memory limit comes from the run's own leaf.
    if v1_memory {
        let cgroups = sys::read_file(b"/proc/self/cgroup").unwrap_or_default();
        for ctl in [&b"cpuset"[..], b"cpu", b"cpuacct"] {
            let Some((mp, _, _)) = mounts.iter().find(|m| !m.1 && has_opt(&m.2, ctl)) else { continue };
            if out.iter().any(|e| e.dst == *mp) {
                continue;
            }
            // "<id>:<controllers>:<path>" of that hierarchy.
            let path = cgroups.split(|&b| b == b'\n').find_map(|l| {
                let mut f = l.splitn(3, |&b| b == b':');
                let (_, c, p) = (f.next()?, f.next()?, f.next()?);
                c.split(|&b| b == b',').any(|x| x == ctl).then_some(p)
            });
            let Some(path) = path else { continue };
            let file = [*mp, if path == b"/" { &b""[..] } else { path }, b"/notify_on_release"].concat();
            if let Ok(Some(t)) = tree(&file, RO | sys::MOUNT_ATTR_NOEXEC, false) {
                out.push(Entry { dst: mp.to_vec(), what: t });
            }
        }
    }
    // A v2-only host mounts at /sys/fs/cgroup itself: parents before children.
    out.sort_by_key(|e| e.dst.len());
    out
}

/// What every run shows the same: the system trees, /etc and /dev with its devices. For
/// the template (`template`), /dev is a directory of its read-only tmpfs, with the mount
/// point of each run's /dev/shm, rather than a tmpfs of its own.
fn fixed(template: bool) -> Result<Vec<Entry>> {
    let mut v = Vec::new();
    let r = fixed_into(template, &mut v);
    if r.is_err() {
        close_trees(&v);
    }
    r.map(|_| v)
}

/// The clones of entries that will not be attached (a server's template that failed).
fn close_trees(entries: &[Entry]) {
    for e in entries {
        if let What::Tree { fd, .. } = e.what {
            sys::close(fd);
        }
    }
}

fn fixed_into(template: bool, v: &mut Vec<Entry>) -> Result<()> {
    let mut add = |dst: &[u8], what: What| v.push(Entry { dst: dst.to_vec(), what });
    let etc = ETC.iter().map(|p| p.as_bytes().to_vec()).chain(etc_runtimes());
    for p in SYSTEM.iter().map(|p| p.as_bytes().to_vec()).chain(etc) {
        let p = &p[..];
        let system = !p.starts_with(b"/etc/");
        if let Some(t) = host_symlink(p) {
            add(p, What::Symlink(t));
        } else if let Some(data) = small_file(p) {
            add(p, What::File(data));
        } else if !system && !world_readable(p) {
            continue;
        } else if let Some(t) = tree(p, RO, false)? {
            add(p, t);
        }
    }
    add(b"/dev", if template { What::Dir } else { What::Tmpfs { size: 64 << 10, mode: 0o755 } });
    for d in DEVICES {
        let p = format!("/dev/{d}");
        // Device nodes keep `dev` (that is their point) but never suid or exec.
        if let Some(t) = tree(p.as_bytes(), sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NOEXEC, false)? {
            add(p.as_bytes(), t);
        }
    }
    for (name, target) in [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
    ] {
        add(name.as_bytes(), What::Symlink(target.as_bytes().to_vec()));
    }
    if template {
        add(b"/dev/shm", What::Dir);
    }
    Ok(())
}

/// What each run has of its own: /dev/shm, /tmp, /proc, the work dir, the library, binds.
fn per_run(run: &Run<Init>, owned: &[Owned]) -> Result<Vec<Entry>> {
    let mut v = Vec::new();
    let mut add = |dst: &[u8], what: What| v.push(Entry { dst: dst.to_vec(), what });
    add(b"/dev/shm", What::Tmpfs { size: run.policy.tmp_size, mode: 0o1777 });
    add(b"/tmp", What::Tmpfs { size: run.policy.tmp_size, mode: 0o1777 });
    add(b"/proc", What::Proc);
    if let Some(w) = &run.workdir {
        let t = match tree_of(owned, For::Workdir) {
            Some(t) => t,
            None => tree(w, RW, true)?.expect("required"),
        };
        add(w, t);
    }
    // The library must resolve inside for the LD_PRELOAD/LD_AUDIT of the program and its
    // children (fail closed if it cannot): bound at its own path unless the work dir or a
    // system directory already shows it there.
    for lib in run.policy.lib.iter().chain(&run.policy.visible) {
        let shown = |dir: &[u8]| lib.as_bytes().starts_with(dir) && lib.as_bytes().get(dir.len()) == Some(&b'/');
        if run.workdir.as_deref().is_some_and(shown) || shown(b"/usr") {
            continue;
        }
        let t = tree(lib.as_bytes(), RO, true)?.expect("required");
        add(lib.as_bytes(), t);
    }
    for (i, m) in run.policy.mounts.iter().enumerate() {
        let what = match m.kind {
            MountKind::Bind { rw } => match tree_of(owned, For::Mount(i)) {
                Some(t) => t,
                None => tree(m.src.as_bytes(), if rw { RW } else { RO }, true)?.expect("required"),
            },
            MountKind::Tmpfs { size } => What::Tmpfs { size, mode: 0o1777 },
        };
        add(m.dst.as_bytes(), what);
    }
    Ok(v)
}

/// Which source a tree of the supervisor's is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum For {
    Workdir,
    /// Index into the policy's mounts.
    Mount(usize),
    /// Index into the target's template parts (a server's run).
    Part(usize),
}

/// A tree the run must be able to use as its own (the work dir, the caller's binds),
/// cloned by the supervisor (see own_sources); attached by init.
pub struct Owned {
    pub of: For,
    pub fd: c_int,
    pub dir: bool,
}

/// Closed when dropped: the supervisor drops its copies once init (which attaches them)
/// is cloned.
impl Drop for Owned {
    fn drop(&mut self) {
        sys::close(self.fd);
    }
}

fn tree_of(owned: &[Owned], of: For) -> Option<What> {
    owned.iter().find(|o| o.of == of).map(|o| What::Tree { fd: o.fd, dir: o.dir })
}

/// Root mode, in the supervisor: the work dir and the caller's binds are cloned here, with
/// the caller's own access (so a 0700 `mktemp -d` dir is fine), and bound as idmapped
/// mounts through a user namespace that maps the caller's uid/gid to the run's: what the
/// caller owns on disk is the run's inside, and whatever the program creates is the
/// caller's on the host (the next run, with another uid, sees it as its own again). Only the
/// host's root may idmap a host filesystem (CAP_SYS_ADMIN over its superblock), which init,
/// inside its user namespace, is not. Unprivileged, the caller is mapped to itself already.
/// `disk`: the work dir's tmpfs when --disk/--inodes bound it (workdisk.rs), attached in
/// place of the work dir's bind.
pub fn own_sources(run: &mut Run<Setup>, disk: Option<Owned>) -> Result<Vec<Owned>> {
    let mut want: Vec<(For, Vec<u8>, bool)> = Vec::new();
    let tmpfs = disk.is_some();
    let mut owned: Vec<Owned> = disk.into_iter().collect();
    // The template's clones: closed here (by the drop after init's clone) like the others.
    let parts = run.target.template.iter().enumerate();
    owned.extend(parts.map(|(i, p)| Owned { of: For::Part(i), fd: p.fd, dir: true }));
    if let (Some(w), false) = (&run.workdir, tmpfs) {
        want.push((For::Workdir, w.clone(), true));
    }
    for (i, m) in run.policy.mounts.iter().enumerate() {
        if let MountKind::Bind { rw } = m.kind {
            want.push((For::Mount(i), m.src.as_bytes().to_vec(), rw));
        }
    }
    if !run.ids.privileged {
        if run.workdir.is_some() && !tmpfs {
            run.s.workdir_note = "bound (the caller's uid, mapped to itself)".into();
        }
        return Ok(owned);
    }
    if want.is_empty() {
        return Ok(owned);
    }
    let userns = crate::ns::idmap_userns(run)?;
    let mut r = Ok(());
    for (of, src, rw) in want {
        match own(run, &src, rw, userns) {
            Ok((fd, dir, note)) => {
                if run.is_verbose() {
                    let m = format!("sandbox: idmap: {}: {note}\n", show(&src));
                    let _ = sys::write_all(2, m.as_bytes());
                }
                if of == For::Workdir {
                    run.s.workdir_note = note;
                }
                owned.push(Owned { of, fd, dir });
            }
            Err(e) => {
                r = Err(e);
                break;
            }
        }
    }
    sys::close(userns);
    r.map(|_| owned)
}

/// Clone `src` and idmap it; where its filesystem cannot be idmapped, fall back to a plain
/// bind only when the run's uid could use it anyway through its "other" permission bits.
fn own(run: &Run<Setup>, src: &[u8], rw: bool, userns: c_int) -> Result<(c_int, bool, String)> {
    // The path is resolved once (O_PATH), its real name read from that fd, and the tree
    // cloned from the same fd: a detached clone's /proc link shows only "/", and resolving
    // twice would let a swapped symlink pick what is checked and what is bound.
    let at = sys::open(src, libc::O_PATH | libc::O_CLOEXEC)
        .map_err(|e| Error::new("filesystem", format!("bind source {}", show(src)), e))?;
    let real = real_path(at);
    let fd = sys::open_tree(at, b"", sys::OPEN_TREE_CLONE | sys::AT_RECURSIVE | libc::AT_EMPTY_PATH as u32);
    sys::close(at);
    let fd = fd.map_err(|e| Error::new("filesystem", format!("bind source {}", show(src)), e))?;
    let fail = |fd, what: String, e| {
        sys::close(fd);
        Error::new("filesystem", what, e)
    };
    let st = sys::fstat(fd).map_err(|e| fail(fd, format!("fstat {}", show(src)), e))?;
    let base = if rw { RW } else { RO };
    let flags = libc::AT_EMPTY_PATH as u32 | sys::AT_RECURSIVE;
    let ty = st.st_mode & libc::S_IFMT;
    let dir = ty == libc::S_IFDIR;
    let ids = format!(
        "{}:{} on disk is {}:{} inside",
        run.ids.outer_uid, run.ids.outer_gid, run.ids.app_uid, run.ids.app_gid
    );
    // Device nodes, sockets, fifos: owning one would let the program chmod the host's node.
    // A system tree (/etc, /usr, root's or a user's home…) is never idmapped: as root that
    // would make the host's own files the program's to read and rewrite. It is bound as
    // before, usable only through its "other" permission bits.
    let system = real.is_none_or(|p| is_system_tree(&p));
    if system || (!dir && ty != libc::S_IFREG) {
        let note = if system {
            "plain bind (a system directory is never idmapped)"
        } else {
            "bound as is (not a file or directory)"
        };
        sys::mount_setattr(fd, b"", flags, base).map_err(|e| fail(fd, format!("mount flags of {}", show(src)), e))?;
        return Ok((fd, dir, String::from(note)));
    }
    let e = match sys::mount_setattr_userns(fd, b"", flags, base | sys::MOUNT_ATTR_IDMAP, userns) {
        Ok(()) => return Ok((fd, dir, format!("idmapped ({ids})"))),
        Err(e) => e,
    };
    let fs = mount_fstype(src)
        .or_else(|| sys::fstatfs(fd).ok().map(|s| fs_name(s.f_type)))
        .unwrap_or_else(|| String::from("unknown"));
    let need = match (rw, dir) {
        (true, true) => 0o007,
        (true, false) => 0o006,
        (false, true) => 0o005,
        (false, false) => 0o004,
    };
    if st.st_mode & need != need {
        let what = format!(
            "{} is on {fs}, which cannot be idmapped, and the run's uid could not use it (mode {:o}): \
             use a directory on ext4/xfs/btrfs/tmpfs (Linux >= 6.3), make it accessible to others \
             (chmod o+rwx), or run as an unprivileged user",
            show(src),
            st.st_mode & 0o7777
        );
        return Err(fail(fd, what, e));
    }
    sys::mount_setattr(fd, b"", flags, base).map_err(|e| fail(fd, format!("mount flags of {}", show(src)), e))?;
    Ok((
        fd,
        dir,
        format!(
            "plain bind: {fs} cannot be idmapped ({}); the run uses it through its other-permissions \
             and what it makes belongs to uid {}",
            crate::error::strerror(e),
            run.ids.app_uid
        ),
    ))
}

/// The real path of an open tree, from /proc (None when it cannot be told: treated as a
/// system tree, so an unknown path is never idmapped).
fn real_path(fd: c_int) -> Option<Vec<u8>> {
    let mut buf = [0u8; 4096];
    let n = sys::readlinkat(sys::AT_FDCWD, format!("/proc/self/fd/{fd}").as_bytes(), &mut buf).ok()?;
    (n < buf.len() && buf.first() == Some(&b'/')).then(|| buf[..n].to_vec())
}

/// The host's own trees, which an idmapped bind would hand to the program as root: the
/// root and every top-level directory itself, anything below the system ones, and a home
/// directory itself (`/root`, `/home/NAME`). A dedicated directory below them (`/var/lib/
/// judge/box1`, `/home/judge/box`, `/tmp/tmp.X`) is fine.
pub fn is_system_tree(path: &[u8]) -> bool {
    const BELOW: [&[u8]; 9] = [b"/etc", b"/usr", b"/boot", b"/proc", b"/sys", b"/dev", b"/bin", b"/sbin", b"/run"];
    let parts: Vec<&[u8]> = path.split(|&c| c == b'/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] | [_] => true,
        [b"home", _] => true,
        [first, ..] => BELOW.iter().any(|b| &b[1..] == *first) || first.starts_with(b"lib"),
    }
}

/// The type of the mount `src` is on, from mountinfo (statfs is no help on network
/// filesystems: 9p reports the server's type): the longest mount point above its real path.
fn mount_fstype(src: &[u8]) -> Option<String> {
    let fd = sys::open(src, libc::O_PATH).ok()?;
    let mut buf = [0u8; 4096];
    let n = sys::readlinkat(sys::AT_FDCWD, format!("/proc/self/fd/{fd}").as_bytes(), &mut buf);
    sys::close(fd);
    let real = &buf[..n.ok()?];
    let info = sys::read_file(b"/proc/self/mountinfo").ok()?;
    let mut best: Option<(usize, &[u8])> = None;
    for line in info.split(|&b| b == b'\n') {
        let f: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let (Some(&mp), Some(dash)) = (f.get(4), f.iter().position(|x| *x == b"-")) else { continue };
        let Some(&ty) = f.get(dash + 1) else { continue };
        let under = mp == b"/" || (real.starts_with(mp) && matches!(real.get(mp.len()), None | Some(&b'/')));
        let longer = !matches!(best, Some((len, _)) if mp.len() < len);
        if under && longer {
            best = Some((mp.len(), ty));
        }
    }
    best.map(|b| String::from(show(b.1)))
}

/// The name of a filesystem type (statfs f_type), for messages.
fn fs_name(magic: i64) -> String {
    let n = match magic as u32 {
        0xEF53 => "ext4",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x8584_58f6 => "ramfs",
        0x0102_1997 => "9p",
        0x6969 => "nfs",
        0xFF53_4D42 => "cifs",
        0xFE53_4D42 => "smb2",
        0x6573_5546 => "fuse",
        0x794C_7630 => "overlayfs",
        0x4d44 => "vfat",
        0x2011_BAB0 => "exfat",
        0x5346_544e => "ntfs",
        0x7371_7368 => "squashfs",
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        _ => return format!("filesystem type {magic:#x}"),
    };
    String::from(n)
}

/// Open `path` (absolute, inside the new root) as an O_PATH fd, creating missing
/// directories on the way and the last component as a directory or an empty file.
fn make_dst(root: c_int, path: &[u8], dir: bool) -> Result<c_int> {
    let comps: Vec<&[u8]> = path.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect();
    let inside = |upto: usize| -> Vec<u8> {
        let mut p = Vec::from(&b"/"[..]);
        p.extend_from_slice(&comps[..upto].join(&b'/'));
        p
    };
    let resolve = sys::RESOLVE_IN_ROOT | sys::RESOLVE_NO_MAGICLINKS;
    for i in 0..comps.len() {
        let last = i + 1 == comps.len();
        let parent = sys::openat2(root, &inside(i), libc::O_PATH | libc::O_DIRECTORY, 0, resolve)
            .ctx("filesystem", &format!("mount point {}", show(path)))?;
        let r = if last && !dir {
            // O_EXCL: an existing file is fine as it is (and may not be writable by us).
            sys::openat(parent, comps[i], libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW, 0o644)
                .map(sys::close)
        } else {
            sys::mkdirat(parent, comps[i], 0o755)
        };
        sys::close(parent);
        match r {
            Ok(()) | Err(libc::EEXIST) => {}
            Err(e) => return Err(Error::new("filesystem", format!("create mount point {}", show(path)), e)),
        }
    }
    sys::openat2(root, path, libc::O_PATH, 0, resolve).ctx("filesystem", &format!("mount point {}", show(path)))
}

/// The directories above `path` (inside the new root), for entries that are not mounts.
fn make_parent(root: c_int, path: &[u8]) -> Result<()> {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) if i > 0 => make_dst(root, &path[..i], true).map(sys::close),
        _ => Ok(()),
    }
}

fn attach(root: c_int, e: &Entry) -> Result<()> {
    let err = |what: &str, errno| Error::new("filesystem", format!("{what} {}", show(&e.dst)), errno);
    match &e.what {
        What::Symlink(target) => {
            make_parent(root, &e.dst)?;
            let mut rel = e.dst.clone();
            rel.remove(0);
            sys::symlinkat(target, root, &rel).map_err(|x| err("symlink", x))
        }
        What::Tree { fd, dir } => {
            let dst = make_dst(root, &e.dst, *dir)?;
            let flags = sys::MOVE_MOUNT_F_EMPTY_PATH | sys::MOVE_MOUNT_T_EMPTY_PATH;
            let r = sys::move_mount(*fd, b"", dst, b"", flags);
            sys::close(dst);
            sys::close(*fd);
            r.map_err(|x| err("attach", x))
        }
        What::Tmpfs { size, mode } => {
            let dst = make_dst(root, &e.dst, true)?;
            let opts = format!("size={size},mode={mode:o}");
            let r = mount_at_fd(dst, Some(b"tmpfs"), b"tmpfs", libc::MS_NOSUID | libc::MS_NODEV, opts.as_bytes());
            sys::close(dst);
            r.map_err(|x| err("tmpfs", x))
        }
        What::File(data) => {
            make_parent(root, &e.dst)?;
            let mut rel = e.dst.clone();
            rel.remove(0);
            let fd = sys::openat(root, &rel, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o644)
                .map_err(|x| err("create", x))?;
            let r = sys::write_all(fd, data);
            sys::close(fd);
            r.map_err(|x| err("write", x))
        }
        What::Cgroup { v2, opts, verbose } => {
            let dst = make_dst(root, &e.dst, true)?;
            let flags = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            let ty: &[u8] = if *v2 { b"cgroup2" } else { b"cgroup" };
            let r = mount_at_fd(dst, Some(ty), ty, flags, opts);
            sys::close(dst);
            // Informative, not a containment step: a host whose hierarchy cannot be mounted
            // again from a cgroup namespace runs without the view (said under -v).
            if let (Err(x), true) = (r, *verbose) {
                let m = format!("sandbox: cgroup view {}: {} (not shown)\n", show(&e.dst), crate::error::strerror(x));
                let _ = sys::write_all(2, m.as_bytes());
            }
            Ok(())
        }
        What::Dir => make_dst(root, &e.dst, true).map(sys::close),
        What::Proc => {
            let dst = make_dst(root, &e.dst, true)?;
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            let r = mount_at_fd(dst, Some(b"proc"), b"proc", flags, b"");
            sys::close(dst);
            r.map_err(|x| err("proc", x))
        }
    }
}

/// Mount onto an O_PATH fd through its /proc/self/fd link (the old mount API takes paths).
fn mount_at_fd(fd: c_int, src: Option<&[u8]>, fstype: &[u8], flags: libc::c_ulong, data: &[u8]) -> sys::R<()> {
    let path = format!("/proc/self/fd/{fd}");
    sys::mount(src, path.as_bytes(), Some(fstype), flags, Some(data))
}

pub fn jail(run: &mut Run<Init>, plan: Plan) -> Result<()> {
    let entries = plan.0;
    sys::mount(Some(b"tmpfs"), STAGE, Some(b"tmpfs"), libc::MS_NOSUID | libc::MS_NODEV, Some(b"size=1m,mode=755"))
        .ctx("filesystem", "root tmpfs")?;
    let root = sys::open(STAGE, libc::O_PATH | libc::O_DIRECTORY).ctx("filesystem", "open root")?;
    for e in &entries {
        attach(root, e)?;
    }
    // Enter the new root; the old one is stacked on top by pivot_root(".", ".") and then
    // detached, so no path leads back to it.
    sys::fchdir(root).ctx("filesystem", "chdir new root")?;
    sys::pivot_root(b".", b".").ctx("filesystem", "pivot_root")?;
    sys::umount2(b".", libc::MNT_DETACH).ctx("filesystem", "detach old root")?;
    sys::close(root);
    sys::chdir(b"/").ctx("filesystem", "chdir /")?;
    sys::mount_setattr(sys::AT_FDCWD, b"/", 0, RO).ctx("filesystem", "read-only root")?;
    let dir: &[u8] = match (&run.policy.chdir, &run.workdir) {
        (Some(d), _) => d.as_bytes(),
        (None, Some(w)) => w,
        (None, None) => b"/",
    };
    sys::chdir(dir).ctx("filesystem", &format!("chdir {}", show(dir)))
}

/// The work directory: the policy's, or the current directory, except "/" and "/tmp",
/// which would expose the whole host, or everyone's scratch files, read-write.
pub fn default_workdir(policy: &crate::Policy) -> Option<Vec<u8>> {
    match &policy.workdir {
        None => None,
        Some(w) if !w.is_empty() => Some(w.as_bytes().to_vec()),
        Some(_) => {
            let mut buf = [0u8; 4096];
            let n = sys::getcwd(&mut buf).ok()?;
            let cwd = &buf[..n];
            (cwd != b"/" && cwd != b"/tmp").then(|| cwd.to_vec())
        }
    }
}

pub fn resolve_workdir(run: &mut Run<Setup>) -> Result<()> {
    run.workdir = default_workdir(run.policy);
    if run.policy.workdir.as_deref() == Some("") && run.workdir.is_none() {
        // cwd unreadable is not the same as cwd = "/": tell the two apart.
        let mut buf = [0u8; 4096];
        sys::getcwd(&mut buf).ctx("workdir", "getcwd")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_system_tree;

    #[test]
    fn system_trees_are_never_idmapped_but_dedicated_dirs_are() {
        for p in [
            "/",
            "/etc",
            "/etc/java-17-openjdk",
            "/usr/local/src",
            "/root",
            "/home/alice",
            "/tmp",
            "/var",
            "/lib64/x",
            "/run/user/1000",
            "/boot",
        ] {
            assert!(is_system_tree(p.as_bytes()), "{p}");
        }
        for p in ["/tmp/tmp.Xy12", "/var/lib/judge/box1", "/home/judge/box", "/root/work", "/srv/judge/7"] {
            assert!(!is_system_tree(p.as_bytes()), "{p}");
        }
    }
}
