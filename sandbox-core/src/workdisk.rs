//! The bounded work dir (`--disk SIZE`, `--inodes N`): the jail shows a sized tmpfs at the
//! work dir's path instead of the host directory, filled with a copy of it before the run,
//! and the supervisor, which keeps the tmpfs's mount fd, syncs the result back into the
//! host directory after the run (however it ended). Writing past the limit fails inside
//! with ENOSPC (tmpfs `size=` and `nr_inodes=`); nothing written within it is lost.
//!
//! Why this mechanism: project quotas need the host filesystem's cooperation (ext4/xfs
//! mounted with prjquota), and an overlayfs with a tmpfs upper needs user xattrs on tmpfs
//! (Linux 6.6), which Debian 12's 6.1 lacks. A tmpfs works on every kernel with the new
//! mount API. Its pages are charged to the memory cgroup of the process that writes them,
//! so under a memory cgroup `--disk` counts against `--memory` too.
//!
//! Root mode: the supervisor makes the tmpfs (fsopen/fsconfig/fsmount, owned by the host's
//! user namespace) and gives what the caller owns to the run's uid, as the idmapped bind
//! would. Unprivileged: a short-lived child in a user namespace of its own (the caller
//! mapped to itself) makes it and hands the mount fd back (SCM_RIGHTS); the supervisor,
//! as the caller, copies in and out. Either way init attaches a clone of the fd in the
//! jail like any other detached tree (fs.rs), and the supervisor keeps its own.
//!
//! Sync-back writes names the program chose, as the caller (real root in root mode): every
//! path is resolved one component at a time with *at() calls and O_NOFOLLOW relative to
//! directory fds opened from the work dir's fd, so a symlink the program planted is copied
//! as a symlink and never followed. What changed is told from the copy-in snapshot (tmpfs
//! inode and ctime per path); a host entry that is not the one copied in (made on the host
//! during the run, e.g. the `--report` file) is never overwritten or deleted.

use crate::error::{Ctx, Error, Result};
use crate::policy::Limits;
use crate::sys::{self, c_int};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Deeper trees are refused at copy-in and not followed at sync-back (no fd exhaustion).
const MAX_DEPTH: usize = 256;

/// What the copy-in made at one relative path.
#[derive(Clone, Copy)]
struct Snap {
    /// The tmpfs inode and its ctime right after the copy: unchanged when both still match.
    ino: u64,
    ctime: (i64, i64),
    /// The host inode it was copied from: only that one may be replaced or deleted.
    host_ino: u64,
}

/// An inherited descriptor, its file's host (dev, ino), and the path of its copy.
type Inherited = (c_int, (u64, u64), Option<Vec<u8>>);

/// The state the supervisor keeps for the sync-back.
pub struct Disk {
    /// The host work dir (O_DIRECTORY) and the tmpfs root (mount fd); -1 when not in use.
    host: c_int,
    mnt: c_int,
    snap: BTreeMap<Vec<u8>, Snap>,
    /// Root mode, a dedicated dir: the caller's files are the run's uid's inside.
    map_owner: bool,
    uid: (u32, u32),
    outer: (u32, u32),
    privileged: bool,
    verbose: bool,
    notes: Vec<String>,
    /// Read-only descriptors the program inherits (a `#!` script, read by its interpreter
    /// as /dev/fd/N), by host (dev, ino), and the path of their copy once made.
    inherited: Vec<Inherited>,
}

impl Default for Disk {
    fn default() -> Self {
        Disk {
            host: -1,
            mnt: -1,
            snap: BTreeMap::new(),
            map_owner: false,
            uid: (0, 0),
            outer: (0, 0),
            privileged: false,
            verbose: false,
            notes: Vec::new(),
            inherited: Vec::new(),
        }
    }
}

fn is_enospc(e: i32) -> bool {
    e == libc::ENOSPC || e == libc::EDQUOT
}

/// A path for a message: names the program chose may hold newlines or escapes.
fn show(p: &[u8]) -> String {
    crate::policy::one_line(&String::from_utf8_lossy(p))
}

fn join(rel: &[u8], name: &[u8]) -> Vec<u8> {
    if rel.is_empty() {
        name.to_vec()
    } else {
        [rel, b"/", name].concat()
    }
}

fn ctime(st: &libc::stat) -> (i64, i64) {
    (st.st_ctime, st.st_ctime_nsec)
}

fn kind(st: &libc::stat) -> u32 {
    st.st_mode & libc::S_IFMT
}

/// The entry names of the open directory `fd` (without "." and ".."), read through a fresh
/// descriptor so that the offset of `fd` (read before, or O_PATH) does not matter.
fn names(fd: c_int) -> sys::R<Vec<Vec<u8>>> {
    let d = open_dir(fd, b".")?;
    let mut v = Vec::new();
    let r = sys::for_each_dirent_fd(d, |n| {
        if n != b"." && n != b".." {
            v.push(n.to_vec());
        }
    });
    sys::close(d);
    r.map(|_| v)
}

/// `name` in directory `dir` as a directory fd, never through a symlink.
fn open_dir(dir: c_int, name: &[u8]) -> sys::R<c_int> {
    sys::openat(dir, name, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW, 0)
}

/// Copy the contents of `src` to `dst` (both open regular files).
fn copy_data(src: c_int, dst: c_int) -> sys::R<u64> {
    let mut buf = alloc::vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        let n = sys::read(src, &mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        sys::write_all(dst, &buf[..n])?;
        total += n as u64;
    }
}

fn set_times(fd: c_int, path: &[u8], st: &libc::stat, flags: c_int) {
    let t = [
        libc::timespec { tv_sec: st.st_atime, tv_nsec: st.st_atime_nsec },
        libc::timespec { tv_sec: st.st_mtime, tv_nsec: st.st_mtime_nsec },
    ];
    let _ = sys::utimensat(fd, path, &t, flags);
}

/// The tmpfs's mount options for this run's limits and the work dir's root: its root
/// directory is the work dir's, with the owner and mode a copied directory gets.
fn options(d: &Disk, l: &crate::policy::Limits, root: &libc::stat) -> Vec<(&'static str, String)> {
    let mut o = Vec::new();
    if let Some(s) = l.disk {
        o.push(("size", format!("{s}")));
    }
    if let Some(n) = l.inodes {
        o.push(("nr_inodes", format!("{n}")));
    }
    o.push(("mode", format!("{:o}", d.mode(root))));
    // Unprivileged, the caller (the only uid mapped in the tmpfs's user namespace) owns it.
    let (uid, gid) = d.owner(root).unwrap_or(d.outer);
    o.push(("uid", format!("{uid}")));
    o.push(("gid", format!("{gid}")));
    o
}

/// fsopen + fsconfig + fsmount of a tmpfs in the caller's current user namespace.
fn make_tmpfs(opts: &[(&str, String)]) -> sys::R<c_int> {
    let fc = sys::fsopen(b"tmpfs")?;
    let r = (|| {
        for (k, v) in opts {
            sys::fsconfig(fc, sys::FSCONFIG_SET_STRING, k.as_bytes(), v.as_bytes())?;
        }
        sys::fsconfig(fc, sys::FSCONFIG_CMD_CREATE, b"", b"")?;
        sys::fsmount(fc, sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV)
    })();
    sys::close(fc);
    r
}

/// Unprivileged: the tmpfs must belong to a user namespace where the caller has
/// CAP_SYS_ADMIN. A child makes one (the caller mapped to itself, never to root), mounts the
/// tmpfs there and sends the mount fd back; it exits, and the superblock keeps the namespace.
fn make_tmpfs_userns(uid: u32, gid: u32, opts: &[(&str, String)]) -> sys::R<c_int> {
    let [ours, theirs] = sys::socketpair_fds(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)?;
    let pid = match sys::clone_fork((libc::CLONE_NEWUSER | libc::CLONE_NEWNS) as u64) {
        Ok(0) => {
            drop(ours);
            let r = (|| {
                sys::write_file(b"/proc/self/setgroups", b"deny")?;
                sys::write_file(b"/proc/self/uid_map", format!("{uid} {uid} 1\n").as_bytes())?;
                sys::write_file(b"/proc/self/gid_map", format!("{gid} {gid} 1\n").as_bytes())?;
                let fd = make_tmpfs(opts)?;
                sys::send_fd(theirs.raw(), fd)
            })();
            // The errno is the exit status (every errno is below 256).
            sys::exit(r.err().unwrap_or(0))
        }
        Ok(pid) => pid,
        Err(e) => return Err(e),
    };
    drop(theirs);
    let r = sys::recv_fd(ours.raw());
    drop(ours);
    let st = sys::wait4(pid, libc::__WALL, None).map(|(_, s)| s).unwrap_or(0);
    match r {
        Ok(fd) => Ok(fd.into_raw()),
        Err(_) if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) != 0 => Err(libc::WEXITSTATUS(st)),
        Err(e) => Err(e),
    }
}

/// What the "workdisk" step (workdisk_step.rs) asks for.
pub struct Ask<'a> {
    pub workdir: &'a [u8],
    pub limits: &'a Limits,
    pub privileged: bool,
    /// The run's ids and the caller's, as seen from the host.
    pub app: (u32, u32),
    pub outer: (u32, u32),
    pub verbose: bool,
    /// Descriptors the program inherits (--keep-fd, a `#!` script's).
    pub inherited: Vec<c_int>,
    /// A host system tree keeps its owners (fs.rs `is_system_tree`; passed in so that this
    /// module, whose `Disk` the run's state holds, imports nothing of the run).
    pub system_tree: fn(&[u8]) -> bool,
}

/// Make the tmpfs, copy the work dir in: the sync-back state, a close-on-exec duplicate of
/// the mount fd for init (fs.rs attaches it at the work dir's path), and the work dir note.
pub fn make(a: Ask) -> Result<(Disk, c_int, String)> {
    let limits = a.limits.clone();
    let w = a.workdir.to_vec();
    let (mut d, child) = make_empty(a)?;
    match d.fill(&w, &limits) {
        Ok(note) => Ok((d, child, note)),
        Err(e) => {
            sys::close(child);
            Err(e)
        }
    }
}

/// The tmpfs alone, empty: a run armed ahead (pool.rs) fills it at its request, since the
/// work dir may change in between. Same results as `make` otherwise.
pub fn make_empty(a: Ask) -> Result<(Disk, c_int)> {
    let w = a.workdir;
    let host = sys::open(w, libc::O_RDONLY | libc::O_DIRECTORY).ctx("workdisk", &format!("work dir {}", show(w)))?;
    let fail = |e: Error| {
        sys::close(host);
        e
    };
    let root = sys::fstat(host).map_err(|e| fail(Error::new("workdisk", "fstat work dir", e)))?;
    // A system tree (the host's own, README "The work dir") is never handed to the run's uid:
    // its files keep their owners, as its plain bind does.
    let real = {
        let mut buf = [0u8; 4096];
        let n = sys::readlinkat(sys::AT_FDCWD, format!("/proc/self/fd/{host}").as_bytes(), &mut buf).unwrap_or(0);
        buf[..n].to_vec()
    };
    let map_owner = a.privileged && !real.is_empty() && !(a.system_tree)(&real);
    let mut d = Disk {
        host,
        mnt: -1,
        snap: BTreeMap::new(),
        map_owner,
        uid: a.app,
        outer: a.outer,
        privileged: a.privileged,
        verbose: a.verbose,
        notes: Vec::new(),
        inherited: inherited_files(&a.inherited),
    };
    let opts = options(&d, a.limits, &root);
    let made = if a.privileged { make_tmpfs(&opts) } else { make_tmpfs_userns(a.outer.0, a.outer.1, &opts) };
    let mnt = made.map_err(|e| {
        fail(Error::new(
            "workdisk",
            "--disk/--inodes: cannot create the work dir's tmpfs (nothing else here can bound the work dir)",
            e,
        ))
    })?;
    d.mnt = mnt;
    let child = sys::dup_cloexec(mnt).ctx("workdisk", "dup mount fd")?;
    Ok((d, child))
}

impl Disk {
    /// Copy the work dir `w` into the (empty) tmpfs: the work dir note. On failure the
    /// tmpfs is given up (nothing will be synced back).
    pub fn fill(&mut self, w: &[u8], l: &Limits) -> Result<String> {
        let (host, mnt) = (self.host, self.mnt);
        let mut count = (1u64, 0u64);
        let copied = open_dir(mnt, b".").and_then(|t| {
            let r = self.copy_in(host, t, b"", 0, &mut count);
            sys::close(t);
            r
        });
        if let Err(e) = copied {
            sys::close(mnt);
            sys::close(host);
            (self.host, self.mnt) = (-1, -1);
            let lim = match (l.disk, l.inodes) {
                (Some(s), Some(n)) => format!("--disk {s} / --inodes {n}"),
                (Some(s), None) => format!("--disk {s}"),
                (None, n) => format!("--inodes {}", n.unwrap_or(0)),
            };
            let what = if is_enospc(e) {
                format!(
                    "work dir {} does not fit in {lim} (copied {} inodes, {} bytes before it ran out)",
                    show(w),
                    count.0,
                    count.1
                )
            } else {
                format!("copy the work dir {} into its tmpfs", show(w))
            };
            return Err(Error::new("workdisk", what, e));
        }
        self.point_inherited_at_copies()?;
        let limit = |v: Option<u64>| v.map_or_else(|| String::from("unbounded"), |v| format!("{v}"));
        let note = format!(
            "tmpfs copy (disk {} bytes, inodes {}; {} inodes, {} bytes copied in{}), synced back after the run",
            limit(l.disk),
            limit(l.inodes),
            count.0,
            count.1,
            if self.map_owner { "; the caller's files are the run's uid's" } else { "" }
        );
        if self.verbose {
            for n in &self.notes {
                let _ = sys::write_all(2, format!("sandbox: workdisk: {n}\n").as_bytes());
            }
        }
        self.notes.clear();
        Ok(note)
    }

    /// Whether a descriptor the program inherits must be pointed at its copy (then the
    /// copy must exist before init forks the app: such a run is not armed ahead).
    pub fn has_inherited(&self) -> bool {
        !self.inherited.is_empty()
    }
}

/// The read-only regular files the program inherits as descriptors: the `#!` script the
/// kernel passes as /dev/fd/N, and --keep-fd ones. One in the work dir must become its
/// copy: reopening the host's file through /proc/self/fd would leave the jail's tree
/// (Landlock refuses it) and show the host's file instead of the run's.
fn inherited_files(fds: &[c_int]) -> Vec<Inherited> {
    let mut v = Vec::new();
    for &fd in fds {
        let ro = sys::status_flags(fd).is_ok_and(|f| f & libc::O_ACCMODE == libc::O_RDONLY);
        match sys::fstat(fd) {
            Ok(st) if ro && kind(&st) == libc::S_IFREG => v.push((fd, (st.st_dev, st.st_ino), None)),
            _ => {}
        }
    }
    v
}

impl Disk {
    /// Each inherited file that was copied in: the same descriptor number now reads the copy.
    fn point_inherited_at_copies(&mut self) -> Result<()> {
        for (fd, _, copy) in &self.inherited {
            let Some(rel) = copy else { continue };
            let resolve = sys::RESOLVE_NO_SYMLINKS | sys::RESOLVE_NO_MAGICLINKS;
            let new =
                sys::openat2(self.mnt, rel, libc::O_RDONLY, 0, resolve).ctx("workdisk", "open a script's copy")?;
            let r = sys::dup3(new, *fd, libc::O_CLOEXEC);
            sys::close(new);
            r.ctx("workdisk", "descriptor of a script's copy")?;
        }
        Ok(())
    }

    /// The owner an entry copied in gets: root mode maps the caller's ids to the run's.
    fn owner(&self, st: &libc::stat) -> Option<(u32, u32)> {
        if !self.privileged {
            return None;
        }
        if !self.map_owner {
            return Some((st.st_uid, st.st_gid));
        }
        let m = |id: u32, outer: u32, app: u32| if id == outer { app } else { id };
        Some((m(st.st_uid, self.outer.0, self.uid.0), m(st.st_gid, self.outer.1, self.uid.1)))
    }

    /// The mode an entry copied in gets. Unprivileged every copy is the caller's, so a file
    /// of another user gets as owner bits what the caller may do with the original.
    fn mode(&self, st: &libc::stat) -> u32 {
        let m = st.st_mode & if kind(st) == libc::S_IFDIR { 0o1777 } else { 0o777 };
        if self.privileged || st.st_uid == self.outer.0 {
            return m;
        }
        let mine = if st.st_gid == self.outer.1 { (m >> 3) & 7 } else { m & 7 };
        (m & 0o1077) | (mine << 6)
    }

    fn copy_in(&mut self, h: c_int, t: c_int, rel: &[u8], depth: usize, count: &mut (u64, u64)) -> sys::R<()> {
        if depth > MAX_DEPTH {
            return Err(libc::ELOOP);
        }
        for name in names(h)? {
            let path = join(rel, &name);
            let st = sys::fstatat(h, &name, libc::AT_SYMLINK_NOFOLLOW)?;
            let mode = self.mode(&st);
            match kind(&st) {
                libc::S_IFDIR => {
                    let hd = match open_dir(h, &name) {
                        Ok(fd) => fd,
                        Err(libc::EACCES) => {
                            self.notes.push(format!("{}: not readable, not copied in", show(&path)));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let r = sys::mkdirat(t, &name, 0o700).and_then(|_| open_dir(t, &name));
                    let td = match r {
                        Ok(fd) => fd,
                        Err(e) => {
                            sys::close(hd);
                            return Err(e);
                        }
                    };
                    count.0 += 1;
                    let r = self.copy_in(hd, td, &path, depth + 1, count);
                    if r.is_ok() {
                        if let Some((u, g)) = self.owner(&st) {
                            let _ = sys::fchown(td, u, g);
                        }
                        let _ = sys::fchmod(td, mode);
                        set_times(td, b"", &st, 0);
                        self.record(t, &name, &path, st.st_ino);
                    }
                    sys::close(hd);
                    sys::close(td);
                    r?;
                }
                libc::S_IFREG => {
                    let src = match sys::openat(h, &name, libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0) {
                        Ok(fd) => fd,
                        Err(libc::EACCES) => {
                            self.notes.push(format!("{}: not readable, not copied in", show(&path)));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
                    let dst = match sys::openat(t, &name, flags, 0o600) {
                        Ok(fd) => fd,
                        Err(e) => {
                            sys::close(src);
                            return Err(e);
                        }
                    };
                    count.0 += 1;
                    let r = copy_data(src, dst);
                    if let Ok(n) = r {
                        count.1 += n;
                        if let Some((u, g)) = self.owner(&st) {
                            let _ = sys::fchown(dst, u, g);
                        }
                        let _ = sys::fchmod(dst, mode);
                        set_times(dst, b"", &st, 0);
                    }
                    sys::close(src);
                    sys::close(dst);
                    r?;
                    for (_, id, copy) in self.inherited.iter_mut() {
                        if *id == (st.st_dev, st.st_ino) {
                            *copy = Some(path.clone());
                        }
                    }
                    if st.st_nlink > 1 {
                        self.notes.push(format!("{}: a hard link, copied as a file of its own", show(&path)));
                    }
                    self.record(t, &name, &path, st.st_ino);
                }
                libc::S_IFLNK => {
                    let mut buf = alloc::vec![0u8; 4096];
                    let n = sys::readlinkat(h, &name, &mut buf)?;
                    sys::symlinkat(&buf[..n], t, &name)?;
                    count.0 += 1;
                    if let Some((u, g)) = self.owner(&st) {
                        let _ = sys::fchownat(t, &name, u, g, libc::AT_SYMLINK_NOFOLLOW);
                    }
                    set_times(t, &name, &st, libc::AT_SYMLINK_NOFOLLOW);
                    self.record(t, &name, &path, st.st_ino);
                }
                _ => self.notes.push(format!("{}: not a file, directory or symlink, not copied in", show(&path))),
            }
        }
        Ok(())
    }

    fn record(&mut self, t: c_int, name: &[u8], path: &[u8], host_ino: u64) {
        if let Ok(st) = sys::fstatat(t, name, libc::AT_SYMLINK_NOFOLLOW) {
            self.snap.insert(path.to_vec(), Snap { ino: st.st_ino, ctime: ctime(&st), host_ino });
        }
    }

    /// The host entry `name` in `h` is the one copied in to `path` (or absent: None).
    fn host_is_ours(&self, h: c_int, name: &[u8], path: &[u8]) -> Option<bool> {
        let st = sys::fstatat(h, name, libc::AT_SYMLINK_NOFOLLOW).ok()?;
        Some(self.snap.get(path).is_some_and(|s| s.host_ino == st.st_ino))
    }

    fn note(&mut self, path: &[u8], what: &str) {
        self.notes.push(format!("{}: {what}", show(path)));
    }

    fn sync_dir(&mut self, t: c_int, h: c_int, rel: &[u8], depth: usize) {
        if depth > MAX_DEPTH {
            self.note(rel, "too deep, not synced back");
            return;
        }
        let inside = match names(t) {
            Ok(v) => v,
            Err(e) => return self.note(rel, &format!("not synced back: {}", crate::error::strerror(e))),
        };
        for name in &inside {
            let path = join(rel, name);
            let Ok(st) = sys::fstatat(t, name, libc::AT_SYMLINK_NOFOLLOW) else { continue };
            let unchanged = self.snap.get(&path).is_some_and(|s| s.ino == st.st_ino && s.ctime == ctime(&st));
            let host = sys::fstatat(h, name, libc::AT_SYMLINK_NOFOLLOW).ok();
            let ours = self.host_is_ours(h, name, &path);
            let ty = kind(&st);
            if unchanged && ty != libc::S_IFDIR {
                continue;
            }
            if !matches!(ty, libc::S_IFDIR | libc::S_IFREG | libc::S_IFLNK) {
                self.note(&path, "not a file, directory or symlink: not synced back");
                continue;
            }
            // Same kind and ours: updated in place (a directory is entered). Anything else
            // there must be what was copied in, to be replaced.
            let same = host.is_some_and(|hs| kind(&hs) == ty) && ty != libc::S_IFLNK;
            match ours {
                Some(false) if !(ty == libc::S_IFDIR && same) => {
                    self.note(&path, "changed on the host during the run: the host's is kept");
                    continue;
                }
                Some(_) if !same => {
                    if let Err(e) = self.remove(h, name, 0) {
                        self.note(&path, &format!("not synced back: remove: {}", crate::error::strerror(e)));
                        continue;
                    }
                }
                _ => {}
            }
            let r = match ty {
                libc::S_IFDIR => self.sync_subdir(t, h, name, &path, &st, depth),
                libc::S_IFREG => self.sync_file(t, h, name, &st),
                _ => {
                    let mut buf = alloc::vec![0u8; 4096];
                    sys::readlinkat(t, name, &mut buf).and_then(|n| sys::symlinkat(&buf[..n], h, name))
                }
            };
            if let Err(e) = r {
                self.note(&path, &format!("not synced back: {}", crate::error::strerror(e)));
            }
        }
        // Deleted inside: only what was copied in, and is still the same host entry.
        let Ok(on_host) = names(h) else { return };
        for name in on_host {
            if inside.contains(&name) {
                continue;
            }
            let path = join(rel, &name);
            if self.host_is_ours(h, &name, &path) == Some(true) {
                if let Err(e) = self.remove(h, &name, 0) {
                    self.note(&path, &format!("deleted inside, not on the host: {}", crate::error::strerror(e)));
                }
            }
        }
    }

    fn sync_subdir(
        &mut self,
        t: c_int,
        h: c_int,
        name: &[u8],
        path: &[u8],
        st: &libc::stat,
        depth: usize,
    ) -> sys::R<()> {
        match sys::mkdirat(h, name, 0o700) {
            Ok(()) | Err(libc::EEXIST) => {}
            Err(e) => return Err(e),
        }
        let td = open_dir(t, name)?;
        let hd = match open_dir(h, name) {
            Ok(fd) => fd,
            Err(e) => {
                sys::close(td);
                return Err(e);
            }
        };
        self.sync_dir(td, hd, path, depth + 1);
        let _ = sys::fchmod(hd, st.st_mode & 0o1777);
        set_times(hd, b"", st, 0);
        sys::close(td);
        sys::close(hd);
        Ok(())
    }

    /// A regular file: written in place when the host has it (owner and links kept, as
    /// through a bind), else created as the caller's. Never opens through a symlink, and a
    /// fifo swapped in meanwhile is neither blocked on nor written.
    fn sync_file(&mut self, t: c_int, h: c_int, name: &[u8], st: &libc::stat) -> sys::R<()> {
        let src = sys::openat(t, name, libc::O_RDONLY | libc::O_NOFOLLOW, 0)?;
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_NONBLOCK;
        let dst = match sys::openat(h, name, flags, 0o600) {
            Ok(fd) => fd,
            Err(e) => {
                sys::close(src);
                return Err(e);
            }
        };
        let r = (|| {
            let ds = sys::fstat(dst)?;
            if kind(&ds) != libc::S_IFREG {
                return Err(libc::EEXIST);
            }
            sys::ftruncate(dst, 0)?;
            copy_data(src, dst)?;
            let _ = sys::fchmod(dst, st.st_mode & 0o777);
            set_times(dst, b"", st, 0);
            Ok(())
        })();
        sys::close(src);
        sys::close(dst);
        r
    }

    /// Remove host entry `name` of `h`, a directory with everything in it.
    fn remove(&mut self, h: c_int, name: &[u8], depth: usize) -> sys::R<()> {
        let st = sys::fstatat(h, name, libc::AT_SYMLINK_NOFOLLOW)?;
        if kind(&st) != libc::S_IFDIR {
            return sys::unlinkat(h, name, 0);
        }
        if depth > MAX_DEPTH {
            return Err(libc::ELOOP);
        }
        let d = open_dir(h, name)?;
        let r = names(d).and_then(|v| v.iter().try_for_each(|n| self.remove(d, n, depth + 1)));
        sys::close(d);
        r?;
        sys::unlinkat(h, name, libc::AT_REMOVEDIR)
    }
}

/// In the supervisor after the run (init has exited, however the run ended): bring what
/// the program left in the tmpfs into the host work dir, then drop the tmpfs. Problems are
/// said on stderr, one line each (what was skipped and why only under -v).
pub fn sync_back(d: &mut Disk) {
    if d.mnt < 0 {
        return;
    }
    let t0 = sys::now_ns();
    match open_dir(d.mnt, b".") {
        Ok(t) => {
            let host = d.host;
            d.sync_dir(t, host, b"", 0);
            sys::close(t);
        }
        Err(e) => d.notes.push(format!("the tmpfs cannot be read: {}", crate::error::strerror(e))),
    }
    for n in &d.notes {
        let quiet_kind = n.contains("not a file, directory or symlink") || n.contains("the host's is kept");
        if d.verbose || !quiet_kind {
            let _ = sys::write_all(2, format!("sandbox: work dir: {n}\n").as_bytes());
        }
    }
    sys::close(d.mnt);
    sys::close(d.host);
    d.mnt = -1;
    d.host = -1;
    if d.verbose {
        let ms = (sys::now_ns() - t0) as f64 / 1e6;
        let _ = sys::write_all(2, format!("sandbox: workdisk: synced back in {ms:.3} ms\n").as_bytes());
    }
}

impl Disk {
    /// The work dir is this run's tmpfs (the "workdisk" step made it).
    pub fn active(&self) -> bool {
        self.mnt >= 0
    }
}

/// init drops the supervisor's descriptors of the work dir and the tmpfs with its state.
impl Drop for Disk {
    fn drop(&mut self) {
        for fd in [self.mnt, self.host] {
            if fd >= 0 {
                sys::close(fd);
            }
        }
    }
}

/// `--check`: whether this caller can make the work dir's tmpfs (the same calls a run
/// makes, on a 1-page, 2-inode tmpfs that is dropped at once).
pub fn probe(privileged: bool, uid: u32, gid: u32) -> sys::R<()> {
    let opts = [("size", String::from("4096")), ("nr_inodes", String::from("2"))];
    let fd = if privileged { make_tmpfs(&opts)? } else { make_tmpfs_userns(uid, gid, &opts)? };
    sys::close(fd);
    Ok(())
}
