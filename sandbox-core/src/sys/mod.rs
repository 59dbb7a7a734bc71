//! Raw Linux system calls (x86-64) through inline assembly.
//!
//! Nothing here calls libc: a program run under bare LD_PRELOAD can interpose every libc
//! symbol, so the arming path must never reach one. Every `unsafe` block of the crate lives
//! in this file and is a thin wrapper over one system call.

use alloc::vec::Vec;
use core::arch::asm;

pub use libc::{c_int, c_long, c_uint, c_ulong};

/// A failed system call: the positive errno.
pub type Errno = i32;
pub type R<T> = Result<T, Errno>;

#[inline(always)]
fn ret(r: isize) -> R<usize> {
    if (-4095..0).contains(&r) {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

/// One system call with up to six arguments.
///
/// # Safety
/// The caller passes arguments that are valid for system call `n` (pointers to live memory
/// of the right size). Wrappers below are the only callers.
#[inline(always)]
pub unsafe fn syscall6(n: c_long, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> isize {
    let r: isize;
    // SAFETY: the x86-64 syscall ABI: number in rax, args in rdi rsi rdx r10 r8 r9; the
    // kernel clobbers rcx and r11. Validity of the arguments is the caller's contract.
    unsafe {
        asm!("syscall",
            inlateout("rax") n as isize => r,
            in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, in("r8") e, in("r9") f,
            lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    r
}

macro_rules! sc {
    ($n:expr) => { sc!($n, 0, 0, 0, 0, 0, 0) };
    ($n:expr, $a:expr) => { sc!($n, $a, 0, 0, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr) => { sc!($n, $a, $b, 0, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr) => { sc!($n, $a, $b, $c, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr) => { sc!($n, $a, $b, $c, $d, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr) => { sc!($n, $a, $b, $c, $d, $e, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr) => {
        // SAFETY: each wrapper passes pointers derived from live Rust references or owned
        // NUL-terminated buffers, with the lengths the kernel expects for that call.
        ret(unsafe {
            syscall6($n, $a as usize, $b as usize, $c as usize, $d as usize, $e as usize, $f as usize)
        })
    };
}

mod socket;
pub use socket::{
    peer_cred, peer_groups, recv_fd, recv_notif, recv_with_fds, respond_errno, send_fd, send_with_fds, socketpair_fds,
    MAX_FDS,
};

/// A NUL-terminated copy of `s` for passing to the kernel.
pub fn cstr(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 1);
    v.extend_from_slice(s);
    v.push(0);
    v
}

// ---- owned descriptors -------------------------------------------------------------------

/// A descriptor this process owns: closed with the raw close(2) when dropped (never libc's,
/// which a preloaded program could interpose). Only the wrappers here make one, from a
/// descriptor the kernel has just returned.
#[derive(Debug)]
pub struct Fd(c_int);

impl Fd {
    pub fn raw(&self) -> c_int {
        self.0
    }
    /// Give up ownership: the caller closes it (or hands it on).
    pub fn into_raw(self) -> c_int {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }
    /// Take ownership of a descriptor.
    ///
    /// # Safety
    /// `fd` is open, and nothing else closes it or uses it after this `Fd` is dropped.
    pub unsafe fn from_raw(fd: c_int) -> Fd {
        Fd(fd)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

fn owned(fd: usize) -> Fd {
    Fd(fd as c_int)
}

/// `pipe2` as owned descriptors: [read end, write end].
pub fn pipe(flags: c_int) -> R<[Fd; 2]> {
    pipe2(flags).map(|[r, w]| [Fd(r), Fd(w)])
}
/// Create or truncate `path` for writing, owned.
pub fn create_fd(path: &[u8], mode: u32) -> R<Fd> {
    openat(AT_FDCWD, path, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, mode).map(|f| owned(f as usize))
}
/// `openat(AT_FDCWD)` as an owned descriptor.
pub fn open_fd(path: &[u8], flags: c_int) -> R<Fd> {
    open(path, flags).map(|f| owned(f as usize))
}

// ---- files -------------------------------------------------------------------------------

pub const AT_FDCWD: c_int = libc::AT_FDCWD;

pub fn openat(dir: c_int, path: &[u8], flags: c_int, mode: u32) -> R<c_int> {
    let p = cstr(path);
    sc!(libc::SYS_openat, dir, p.as_ptr(), flags | libc::O_CLOEXEC, mode).map(|f| f as c_int)
}
pub fn open(path: &[u8], flags: c_int) -> R<c_int> {
    openat(AT_FDCWD, path, flags, 0)
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub const RESOLVE_NO_SYMLINKS: u64 = 0x04;
pub const RESOLVE_IN_ROOT: u64 = 0x10;

pub fn openat2(dir: c_int, path: &[u8], flags: c_int, mode: u32, resolve: u64) -> R<c_int> {
    let p = cstr(path);
    let how = OpenHow { flags: (flags | libc::O_CLOEXEC) as u64, mode: mode as u64, resolve };
    sc!(libc::SYS_openat2, dir, p.as_ptr(), &how as *const OpenHow, core::mem::size_of::<OpenHow>()).map(|f| f as c_int)
}

pub fn read(fd: c_int, buf: &mut [u8]) -> R<usize> {
    loop {
        match sc!(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len()) {
            Err(libc::EINTR) => continue,
            r => return r,
        }
    }
}
pub fn write(fd: c_int, buf: &[u8]) -> R<usize> {
    loop {
        match sc!(libc::SYS_write, fd, buf.as_ptr(), buf.len()) {
            Err(libc::EINTR) => continue,
            r => return r,
        }
    }
}
pub fn write_all(fd: c_int, mut buf: &[u8]) -> R<()> {
    while !buf.is_empty() {
        let n = write(fd, buf)?;
        if n == 0 {
            return Err(libc::EIO);
        }
        buf = &buf[n..];
    }
    Ok(())
}
pub fn close(fd: c_int) {
    let _ = sc!(libc::SYS_close, fd);
}
pub fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> R<()> {
    sc!(libc::SYS_close_range, first, last, flags).map(drop)
}
pub fn dup3(old: c_int, new: c_int, flags: c_int) -> R<c_int> {
    sc!(libc::SYS_dup3, old, new, flags).map(|f| f as c_int)
}
/// O_NONBLOCK on (the other status flags are dropped: only used on our own pipes).
pub fn set_nonblocking(fd: c_int) -> R<()> {
    sc!(libc::SYS_fcntl, fd, libc::F_SETFL, libc::O_NONBLOCK).map(drop)
}
/// Keep `fd` open across exec (clear FD_CLOEXEC).
pub fn keep_on_exec(fd: c_int) -> R<()> {
    sc!(libc::SYS_fcntl, fd, libc::F_SETFD, 0).map(drop)
}
/// Close `fd` at exec (set FD_CLOEXEC).
pub fn set_cloexec(fd: c_int) -> R<()> {
    sc!(libc::SYS_fcntl, fd, libc::F_SETFD, libc::FD_CLOEXEC).map(drop)
}
/// Every descriptor from `lo` up closes at exec: close_range(CLOSE_RANGE_CLOEXEC), or on
/// kernels before 5.11 (EINVAL, ENOSYS) each open one from /proc/self/fd.
pub fn cloexec_from(lo: c_int) -> R<()> {
    match close_range(lo as c_uint, !0, libc::CLOSE_RANGE_CLOEXEC) {
        Err(libc::EINVAL | libc::ENOSYS) => cloexec_from_proc(lo),
        r => r,
    }
}
/// `cloexec_from`'s fallback (public for its test).
pub fn cloexec_from_proc(lo: c_int) -> R<()> {
    let mut fds = Vec::new();
    for_each_dirent(b"/proc/self/fd", |name| {
        if let Some(fd) = core::str::from_utf8(name).ok().and_then(|n| n.parse::<c_int>().ok()) {
            fds.push(fd);
        }
    });
    if fds.is_empty() {
        return Err(libc::ENOENT);
    }
    for fd in fds.into_iter().filter(|&fd| fd >= lo) {
        match set_cloexec(fd) {
            // The directory's own fd is gone by now.
            Err(libc::EBADF) | Ok(()) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
/// Only 0, 1, 2 and `keep` reach the next program: every other descriptor closes at exec,
/// the kept ones are cleared of FD_CLOEXEC. A kept fd that is not open is an error
/// (Some(fd), errno): fail closed on a mistyped keep rather than run with other descriptors.
pub fn cloexec_all_except(keep: &[c_int]) -> Result<(), (Option<c_int>, Errno)> {
    cloexec_from(3).map_err(|e| (None, e))?;
    for &fd in keep.iter().filter(|&&fd| fd > 2) {
        keep_on_exec(fd).map_err(|e| (Some(fd), e))?;
    }
    Ok(())
}
/// A pipe's buffer size (F_SETPIPE_SZ): the size the kernel granted.
pub fn set_pipe_size(fd: c_int, size: usize) -> R<usize> {
    sc!(libc::SYS_fcntl, fd, libc::F_SETPIPE_SZ, size)
}
pub fn pipe2(flags: c_int) -> R<[c_int; 2]> {
    let mut fds = [0 as c_int; 2];
    sc!(libc::SYS_pipe2, fds.as_mut_ptr(), flags).map(|_| fds)
}
pub fn mkdirat(dir: c_int, path: &[u8], mode: u32) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_mkdirat, dir, p.as_ptr(), mode).map(drop)
}
pub fn unlinkat(dir: c_int, path: &[u8], flags: c_int) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_unlinkat, dir, p.as_ptr(), flags).map(drop)
}
pub fn symlinkat(target: &[u8], dir: c_int, path: &[u8]) -> R<()> {
    let t = cstr(target);
    let p = cstr(path);
    sc!(libc::SYS_symlinkat, t.as_ptr(), dir, p.as_ptr()).map(drop)
}
pub fn readlinkat(dir: c_int, path: &[u8], buf: &mut [u8]) -> R<usize> {
    let p = cstr(path);
    sc!(libc::SYS_readlinkat, dir, p.as_ptr(), buf.as_mut_ptr(), buf.len())
}
pub fn fchdir(fd: c_int) -> R<()> {
    sc!(libc::SYS_fchdir, fd).map(drop)
}
pub fn chroot(path: &[u8]) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_chroot, p.as_ptr()).map(drop)
}
pub fn chdir(path: &[u8]) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_chdir, p.as_ptr()).map(drop)
}
pub fn getcwd(buf: &mut [u8]) -> R<usize> {
    // The kernel returns the length including the trailing NUL.
    sc!(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()).map(|n| n.saturating_sub(1))
}
pub fn fstat(fd: c_int) -> R<libc::stat> {
    // SAFETY: `stat` is plain old data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    sc!(libc::SYS_fstat, fd, &mut st as *mut libc::stat).map(|_| st)
}
pub fn fstatat(dir: c_int, path: &[u8], flags: c_int) -> R<libc::stat> {
    let p = cstr(path);
    // SAFETY: `stat` is plain old data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    sc!(libc::SYS_newfstatat, dir, p.as_ptr(), &mut st as *mut libc::stat, flags).map(|_| st)
}
pub fn fstatfs(fd: c_int) -> R<libc::statfs> {
    // SAFETY: `statfs` is plain old data; all-zero is a valid value.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    sc!(libc::SYS_fstatfs, fd, &mut st as *mut libc::statfs).map(|_| st)
}
pub fn fgetxattr(fd: c_int, name: &[u8], buf: &mut [u8]) -> R<usize> {
    let n = cstr(name);
    sc!(libc::SYS_fgetxattr, fd, n.as_ptr(), buf.as_mut_ptr(), buf.len())
}
pub fn pread(fd: c_int, buf: &mut [u8], off: u64) -> R<usize> {
    sc!(libc::SYS_pread64, fd, buf.as_mut_ptr(), buf.len(), off)
}
pub fn getdents64(fd: c_int, buf: &mut [u8]) -> R<usize> {
    sc!(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len())
}

/// Call `f` with every entry name of the directory at `path` ("." and ".." included); an
/// unreadable directory has none.
pub fn for_each_dirent(path: &[u8], mut f: impl FnMut(&[u8])) {
    let Ok(fd) = open(path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) else {
        return;
    };
    let _ = for_each_dirent_fd(fd, |name| f(name));
    close(fd);
}

/// Call `f` with every entry name of the open directory `fd` ("." and ".." included),
/// from its current offset. Parses `struct linux_dirent64` (u64 ino, i64 off, u16 reclen,
/// u8 type, NUL-terminated name) defensively: a record never reads past the bytes the
/// kernel returned. An error of getdents64 is returned after the entries read so far.
pub fn for_each_dirent_fd(fd: c_int, mut f: impl FnMut(&[u8])) -> R<()> {
    let mut buf = [0u8; 8192];
    loop {
        let n = getdents64(fd, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let mut off = 0;
        while off + 19 < n {
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 {
                break;
            }
            let name = &buf[off + 19..(off + reclen).min(n)];
            f(&name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())]);
            off += reclen;
        }
    }
}
pub fn fchown(fd: c_int, uid: u32, gid: u32) -> R<()> {
    sc!(libc::SYS_fchown, fd, uid, gid).map(drop)
}
pub fn fchownat(dir: c_int, path: &[u8], uid: u32, gid: u32, flags: c_int) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_fchownat, dir, p.as_ptr(), uid, gid, flags).map(drop)
}
pub fn fchmod(fd: c_int, mode: u32) -> R<()> {
    sc!(libc::SYS_fchmod, fd, mode).map(drop)
}
/// utimensat(2): `path` empty with `dir` an open file sets that file's times (futimens).
pub fn utimensat(dir: c_int, path: &[u8], times: &[libc::timespec; 2], flags: c_int) -> R<()> {
    let p = cstr(path);
    let ptr = if path.is_empty() { core::ptr::null() } else { p.as_ptr() };
    sc!(libc::SYS_utimensat, dir, ptr, times.as_ptr(), flags).map(drop)
}
/// A close-on-exec duplicate of `fd`.
/// A close-on-exec duplicate of `fd` (numbered 3 or above), owned.
pub fn dup_fd(fd: c_int) -> R<Fd> {
    dup_above(fd, 3).map(|f| owned(f as usize))
}
/// A close-on-exec duplicate of `fd` numbered `min` or above.
pub fn dup_above(fd: c_int, min: c_int) -> R<c_int> {
    sc!(libc::SYS_fcntl, fd, libc::F_DUPFD_CLOEXEC, min).map(|f| f as c_int)
}
pub fn dup_cloexec(fd: c_int) -> R<c_int> {
    sc!(libc::SYS_fcntl, fd, libc::F_DUPFD_CLOEXEC, 3).map(|f| f as c_int)
}
/// The file status flags (F_GETFL: access mode, O_APPEND, …).
pub fn status_flags(fd: c_int) -> R<c_int> {
    sc!(libc::SYS_fcntl, fd, libc::F_GETFL, 0).map(|f| f as c_int)
}
pub fn ftruncate(fd: c_int, len: u64) -> R<()> {
    sc!(libc::SYS_ftruncate, fd, len).map(drop)
}
pub fn renameat(od: c_int, old: &[u8], nd: c_int, new: &[u8]) -> R<()> {
    let o = cstr(old);
    let n = cstr(new);
    sc!(libc::SYS_renameat, od, o.as_ptr(), nd, n.as_ptr()).map(drop)
}

/// Read a whole (small) file such as one under /proc or /sys.
pub fn read_file_at(dir: c_int, path: &[u8]) -> R<Vec<u8>> {
    let fd = openat(dir, path, libc::O_RDONLY, 0)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let r = loop {
        match read(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    close(fd);
    r.map(|_| out)
}
pub fn read_file(path: &[u8]) -> R<Vec<u8>> {
    read_file_at(AT_FDCWD, path)
}
/// Write a small control file (cgroup, /proc) in one write.
pub fn write_file_at(dir: c_int, path: &[u8], data: &[u8]) -> R<()> {
    let fd = openat(dir, path, libc::O_WRONLY, 0)?;
    let r = write(fd, data).map(drop);
    close(fd);
    r
}
pub fn write_file(path: &[u8], data: &[u8]) -> R<()> {
    write_file_at(AT_FDCWD, path, data)
}

// ---- mounts ------------------------------------------------------------------------------

pub fn mount(src: Option<&[u8]>, dst: &[u8], fstype: Option<&[u8]>, flags: c_ulong, data: Option<&[u8]>) -> R<()> {
    let s = src.map(cstr);
    let d = cstr(dst);
    let t = fstype.map(cstr);
    let o = data.map(cstr);
    let p = |v: &Option<Vec<u8>>| v.as_ref().map_or(core::ptr::null(), |v| v.as_ptr());
    sc!(libc::SYS_mount, p(&s), d.as_ptr(), p(&t), flags, p(&o)).map(drop)
}
pub fn umount2(path: &[u8], flags: c_int) -> R<()> {
    let p = cstr(path);
    sc!(libc::SYS_umount2, p.as_ptr(), flags).map(drop)
}
pub fn pivot_root(new: &[u8], old: &[u8]) -> R<()> {
    let n = cstr(new);
    let o = cstr(old);
    sc!(libc::SYS_pivot_root, n.as_ptr(), o.as_ptr()).map(drop)
}
pub const OPEN_TREE_CLONE: c_uint = 1;
pub const AT_RECURSIVE: c_uint = 0x8000;
pub fn open_tree(dir: c_int, path: &[u8], flags: c_uint) -> R<c_int> {
    let p = cstr(path);
    sc!(libc::SYS_open_tree, dir, p.as_ptr(), flags | libc::O_CLOEXEC as c_uint).map(|f| f as c_int)
}
pub const MOVE_MOUNT_F_EMPTY_PATH: c_uint = 0x4;
pub const MOVE_MOUNT_T_EMPTY_PATH: c_uint = 0x40;
pub fn move_mount(from: c_int, fpath: &[u8], to: c_int, tpath: &[u8], flags: c_uint) -> R<()> {
    let f = cstr(fpath);
    let t = cstr(tpath);
    sc!(libc::SYS_move_mount, from, f.as_ptr(), to, t.as_ptr(), flags).map(drop)
}
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}
pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x8;
pub const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
pub fn mount_setattr(dir: c_int, path: &[u8], flags: c_uint, set: u64) -> R<()> {
    mount_setattr_userns(dir, path, flags, set, 0)
}
/// As `mount_setattr`; with MOUNT_ATTR_IDMAP in `set`, `userns` is the user namespace fd
/// whose maps the mount applies to every uid/gid it shows and writes.
pub fn mount_setattr_userns(dir: c_int, path: &[u8], flags: c_uint, set: u64, userns: c_int) -> R<()> {
    let p = cstr(path);
    let a = MountAttr { attr_set: set, attr_clr: 0, propagation: 0, userns_fd: userns as u64 };
    sc!(libc::SYS_mount_setattr, dir, p.as_ptr(), flags, &a as *const MountAttr, core::mem::size_of::<MountAttr>())
        .map(drop)
}

pub const FSCONFIG_SET_STRING: c_uint = 1;
pub const FSCONFIG_CMD_CREATE: c_uint = 6;
/// fsopen(2): a filesystem context for `fstype`, owned by the caller's user namespace.
pub fn fsopen(fstype: &[u8]) -> R<c_int> {
    let t = cstr(fstype);
    sc!(libc::SYS_fsopen, t.as_ptr(), 1 /* FSOPEN_CLOEXEC */).map(|f| f as c_int)
}
/// fsconfig(2) with a string value (`key` = `value`), or a command when `key` is empty.
pub fn fsconfig(fd: c_int, cmd: c_uint, key: &[u8], value: &[u8]) -> R<()> {
    let k = cstr(key);
    let v = cstr(value);
    let kp = if key.is_empty() { core::ptr::null() } else { k.as_ptr() };
    let vp = if cmd == FSCONFIG_SET_STRING { v.as_ptr() } else { core::ptr::null() };
    sc!(libc::SYS_fsconfig, fd, cmd, kp, vp, 0).map(drop)
}
/// fsmount(2): a detached mount of the created superblock, with MOUNT_ATTR_* `attrs`.
pub fn fsmount(fd: c_int, attrs: u64) -> R<c_int> {
    sc!(libc::SYS_fsmount, fd, 1 /* FSMOUNT_CLOEXEC */, attrs).map(|f| f as c_int)
}

// ---- processes ---------------------------------------------------------------------------

pub fn getpid() -> c_int {
    sc!(libc::SYS_getpid).unwrap_or(0) as c_int
}
pub fn getppid() -> c_int {
    sc!(libc::SYS_getppid).unwrap_or(0) as c_int
}
pub fn getuid() -> u32 {
    sc!(libc::SYS_getuid).unwrap_or(0) as u32
}
pub fn geteuid() -> u32 {
    sc!(libc::SYS_geteuid).unwrap_or(0) as u32
}
pub fn getgid() -> u32 {
    sc!(libc::SYS_getgid).unwrap_or(0) as u32
}
pub fn getegid() -> u32 {
    sc!(libc::SYS_getegid).unwrap_or(0) as u32
}

/// fork-like clone (no new stack) with namespace flags. Returns 0 in the child.
/// The child shares nothing with glibc's idea of the process: it must only make raw
/// system calls until it execs, which is how every caller in this crate uses it.
pub fn clone_fork(flags: u64) -> R<c_int> {
    sc!(libc::SYS_clone, flags | libc::SIGCHLD as u64, 0, 0, 0, 0).map(|p| p as c_int)
}
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// As `clone_fork`, with the child born directly in the cgroup v2 directory `cgroup` (an
/// O_PATH fd): no migration, so none of the cgroup lock's stalls.
pub fn clone3_into_cgroup(flags: u64, cgroup: c_int) -> R<c_int> {
    let a = CloneArgs {
        flags: flags | CLONE_INTO_CGROUP,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cgroup as u64,
        ..Default::default()
    };
    sc!(libc::SYS_clone3, &a as *const CloneArgs, core::mem::size_of::<CloneArgs>()).map(|p| p as c_int)
}

pub fn unshare(flags: c_int) -> R<()> {
    sc!(libc::SYS_unshare, flags).map(drop)
}
/// setns(2): join the namespace `fd` refers to (`nstype` 0: whichever it is).
pub fn setns(fd: c_int, nstype: c_int) -> R<()> {
    sc!(libc::SYS_setns, fd, nstype).map(drop)
}
pub fn execveat(fd: c_int, argv: CStrArray, envp: CStrArray, flags: c_int, cookie: u64) -> Errno {
    let (argv, envp) = (argv.as_ptrs(), envp.as_ptrs());
    let empty = b"\0";
    // The sixth argument is ignored by the kernel for execveat; the seccomp filter checks it
    // against this run's cookie so that only the sandbox's own exec passes (see seccomp).
    match sc!(libc::SYS_execveat, fd, empty.as_ptr(), argv.as_ptr(), envp.as_ptr(), flags, cookie) {
        Err(e) => e,
        Ok(_) => 0,
    }
}
pub fn exit(code: i32) -> ! {
    loop {
        let _ = sc!(libc::SYS_exit_group, code);
    }
}
pub fn kill(pid: c_int, sig: c_int) -> R<()> {
    sc!(libc::SYS_kill, pid, sig).map(drop)
}
pub fn wait4(pid: c_int, options: c_int, ru: Option<&mut libc::rusage>) -> R<(c_int, c_int)> {
    let mut status: c_int = 0;
    let rp = ru.map_or(core::ptr::null_mut(), |r| r as *mut libc::rusage);
    loop {
        match sc!(libc::SYS_wait4, pid, &mut status as *mut c_int, options, rp) {
            Err(libc::EINTR) => continue,
            r => return r.map(|p| (p as c_int, status)),
        }
    }
}
pub fn setsid() -> R<()> {
    sc!(libc::SYS_setsid).map(drop)
}
/// Die with signal `sig` when the parent exits.
pub fn prctl_set_pdeathsig(sig: c_int) -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_SET_PDEATHSIG, sig, 0, 0, 0).map(drop)
}
pub fn prctl_set_no_new_privs() -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0).map(drop)
}
pub fn prctl_get_no_new_privs() -> R<bool> {
    sc!(libc::SYS_prctl, libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0).map(|v| v == 1)
}
/// Drop capability `cap` from the bounding set.
pub fn prctl_capbset_drop(cap: u32) -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_CAPBSET_DROP, cap, 0, 0, 0).map(drop)
}
pub fn prctl_clear_ambient_caps() -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0).map(drop)
}
pub fn prctl_set_securebits(bits: u64) -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_SET_SECUREBITS, bits, 0, 0, 0).map(drop)
}
pub fn setresuid(u: u32) -> R<()> {
    sc!(libc::SYS_setresuid, u, u, u).map(drop)
}
pub fn setresgid(g: u32) -> R<()> {
    sc!(libc::SYS_setresgid, g, g, g).map(drop)
}
pub fn setgroups_empty() -> R<()> {
    sc!(libc::SYS_setgroups, 0, 0).map(drop)
}
pub fn setgroups(groups: &[u32]) -> R<()> {
    sc!(libc::SYS_setgroups, groups.len(), groups.as_ptr()).map(drop)
}
/// Set the file-creation mask; returns the old one.
pub fn umask(mask: u32) -> u32 {
    sc!(libc::SYS_umask, mask).unwrap_or(0) as u32
}
/// Whether this process may be ptraced and its /proc files are its own uid's (a set-uid
/// transition clears it; the run's uid maps are written through /proc).
pub fn prctl_set_dumpable(on: bool) -> R<()> {
    sc!(libc::SYS_prctl, libc::PR_SET_DUMPABLE, on as usize, 0, 0, 0).map(drop)
}
/// This process's nice value (-20..19).
pub fn getpriority_self() -> R<i32> {
    // The raw syscall returns 20 - nice, so that it is never negative.
    sc!(libc::SYS_getpriority, libc::PRIO_PROCESS, 0).map(|v| 20 - v as i32)
}
pub fn sethostname(name: &[u8]) -> R<()> {
    sc!(libc::SYS_sethostname, name.as_ptr(), name.len()).map(drop)
}
pub fn prlimit(res: c_int, soft: u64, hard: u64) -> R<()> {
    let l = [soft, hard];
    sc!(libc::SYS_prlimit64, 0, res, l.as_ptr(), 0).map(drop)
}
pub fn getrlimit(res: c_int) -> R<(u64, u64)> {
    let mut l = [0u64; 2];
    sc!(libc::SYS_prlimit64, 0, res, 0, l.as_mut_ptr()).map(|_| (l[0], l[1]))
}
pub fn setpriority_self(nice: i32) -> R<()> {
    sc!(libc::SYS_setpriority, libc::PRIO_PROCESS, 0, nice as isize as usize).map(drop)
}
pub fn getrusage(who: c_int) -> libc::rusage {
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    let _ = sc!(libc::SYS_getrusage, who, &mut ru as *mut libc::rusage);
    ru
}
pub fn getrandom(buf: &mut [u8]) -> R<usize> {
    sc!(libc::SYS_getrandom, buf.as_mut_ptr(), buf.len(), 0)
}

// ---- capabilities ------------------------------------------------------------------------

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}
/// Clear the effective, permitted and inheritable sets of this thread.
pub fn capset_zero() -> R<()> {
    let h = CapHeader { version: 0x2008_0522, pid: 0 };
    let d = [CapData::default(); 2];
    sc!(libc::SYS_capset, &h as *const CapHeader, d.as_ptr()).map(drop)
}

// ---- signals and waiting -----------------------------------------------------------------

pub type SigSet = u64;
pub fn sigbit(sig: c_int) -> SigSet {
    1u64 << (sig - 1)
}
pub fn sigprocmask(how: c_int, set: SigSet) -> R<SigSet> {
    let mut old: SigSet = 0;
    sc!(libc::SYS_rt_sigprocmask, how, &set as *const SigSet, &mut old as *mut SigSet, 8).map(|_| old)
}
#[repr(C)]
struct KSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}
/// What a signal does: no handlers, so nothing of ours ever runs in signal context.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disposition {
    Default,
    Ignore,
}
pub fn signal_disposition(sig: c_int, d: Disposition) -> R<()> {
    let handler = match d {
        Disposition::Default => libc::SIG_DFL,
        Disposition::Ignore => libc::SIG_IGN,
    };
    let a = KSigaction { handler, flags: 0, restorer: 0, mask: 0 };
    sc!(libc::SYS_rt_sigaction, sig, &a as *const KSigaction, 0, 8).map(drop)
}
/// Whether `sig` is ignored (SIG_IGN) in this process.
pub fn signal_ignored(sig: c_int) -> R<bool> {
    let mut old = KSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    sc!(libc::SYS_rt_sigaction, sig, 0, &mut old as *mut KSigaction, 8).map(|_| old.handler == libc::SIG_IGN)
}
pub fn signalfd(set: SigSet) -> R<c_int> {
    sc!(libc::SYS_signalfd4, -1isize, &set as *const SigSet, 8, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK)
        .map(|f| f as c_int)
}
pub fn timerfd() -> R<c_int> {
    sc!(libc::SYS_timerfd_create, libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC | libc::TFD_NONBLOCK).map(|f| f as c_int)
}
/// Arm a one-shot timer `ns` nanoseconds from now (0 disarms).
pub fn timerfd_set(fd: c_int, ns: u64) -> R<()> {
    let t = [0i64, 0, (ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    sc!(libc::SYS_timerfd_settime, fd, 0, t.as_ptr(), 0).map(drop)
}
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: c_int) -> R<usize> {
    loop {
        match sc!(libc::SYS_poll, fds.as_mut_ptr(), fds.len(), timeout_ms) {
            Err(libc::EINTR) => continue,
            r => return r,
        }
    }
}
pub fn pidfd_open(pid: c_int) -> R<c_int> {
    sc!(libc::SYS_pidfd_open, pid, 0).map(|f| f as c_int)
}
/// Monotonic time in nanoseconds.
pub fn now_ns() -> u64 {
    let mut ts = [0i64; 2];
    let _ = sc!(libc::SYS_clock_gettime, libc::CLOCK_MONOTONIC, ts.as_mut_ptr());
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}

// ---- network -----------------------------------------------------------------------------

pub fn socket(domain: c_int, ty: c_int, proto: c_int) -> R<c_int> {
    sc!(libc::SYS_socket, domain, ty | libc::SOCK_CLOEXEC, proto).map(|f| f as c_int)
}
/// Any ioctl(2).
///
/// # Safety
/// When `req` takes a pointer, `arg` is the address of live memory of the size `req`
/// reads or writes. Prefer a typed wrapper (`set_interface_flags`, `fionread`…).
pub unsafe fn ioctl(fd: c_int, req: c_ulong, arg: usize) -> R<usize> {
    sc!(libc::SYS_ioctl, fd, req, arg)
}
/// SIOCSIFFLAGS: set the flags of interface `name` (at most 15 bytes) through socket `sock`.
pub fn set_interface_flags(sock: c_int, name: &[u8], flags: u16) -> R<()> {
    // struct ifreq: 16 bytes of name, then the flags (short) in the union.
    let mut ifr = [0u8; 40];
    if name.len() > 15 {
        return Err(libc::EINVAL);
    }
    ifr[..name.len()].copy_from_slice(name);
    ifr[16..18].copy_from_slice(&flags.to_ne_bytes());
    sc!(libc::SYS_ioctl, sock, libc::SIOCSIFFLAGS, ifr.as_mut_ptr()).map(drop)
}

// ---- seccomp and landlock ----------------------------------------------------------------

/// Install a seccomp filter; with SECCOMP_FILTER_FLAG_NEW_LISTENER, the listener (owned).
pub fn seccomp_set_filter(prog: &[libc::sock_filter], flags: c_uint) -> R<Option<Fd>> {
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut libc::sock_filter };
    let r = sc!(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, flags, &fprog as *const libc::sock_fprog)?;
    Ok((flags & libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as c_uint != 0).then(|| owned(r)))
}
/// A system call number no kernel assigns (the containment probe's marker), with one
/// plain-number argument: only a seccomp filter can answer it with anything but ENOSYS.
/// Numbers a kernel could assign are refused here.
pub fn unassigned_syscall(n: u32, a: u64) -> R<usize> {
    // x86-64 numbers end below 1024, and x32 ones (bit 30) below 0x4000_0400.
    if !(0x1000_0000..0x4000_0000).contains(&n) {
        return Err(libc::EINVAL);
    }
    sc!(n as c_long, a)
}
/// clone3 is there (and not filtered): with no arguments it fails EINVAL, never ENOSYS.
pub fn has_clone3() -> bool {
    sc!(libc::SYS_clone3, 0, 0) != Err(libc::ENOSYS)
}
/// The Landlock ABI version (LANDLOCK_CREATE_RULESET_VERSION).
pub fn landlock_abi() -> R<u32> {
    sc!(libc::SYS_landlock_create_ruleset, 0, 0, 1).map(|v| v as u32)
}
#[repr(C)]
struct RulesetAttr {
    fs: u64,
    net: u64,
    scoped: u64,
}
/// A ruleset handling `fs` and `net` rights and `scoped` scopes. `abi` says how much of
/// the attribute to pass: older kernels reject unknown trailing fields.
pub fn landlock_create_ruleset(fs: u64, net: u64, scoped: u64, abi: u32) -> R<Fd> {
    let attr = RulesetAttr { fs, net, scoped };
    let size: usize = match abi {
        1..=3 => 8,
        4 | 5 => 16,
        _ => 24,
    };
    sc!(libc::SYS_landlock_create_ruleset, &attr as *const RulesetAttr, size, 0).map(owned)
}
#[repr(C, packed)]
struct PathBeneath {
    allowed: u64,
    fd: c_int,
}
const RULE_PATH_BENEATH: u32 = 1;
/// Allow `allowed` beneath the file or directory open at `fd`.
pub fn landlock_allow_beneath(ruleset: c_int, fd: c_int, allowed: u64) -> R<()> {
    let rule = PathBeneath { allowed, fd };
    sc!(libc::SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule as *const PathBeneath, 0).map(drop)
}
pub fn landlock_restrict_self(fd: c_int) -> R<()> {
    sc!(libc::SYS_landlock_restrict_self, fd, 0).map(drop)
}

// ---- memory (for the preload library's private allocator) --------------------------------

pub fn mmap_anon(len: usize) -> R<*mut u8> {
    sc!(
        libc::SYS_mmap,
        0,
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1isize as usize,
        0
    )
    .map(|p| p as *mut u8)
}
/// # Safety
/// `p..p+len` is a mapping of ours that nothing uses any more.
pub unsafe fn munmap(p: *mut u8, len: usize) {
    let _ = sc!(libc::SYS_munmap, p, len);
}

/// Borrow a NUL-terminated C string as bytes (environment and argv from the loader).
///
/// # Safety
/// `p` points to a NUL-terminated string that lives for `'a`.
pub unsafe fn c_bytes<'a>(p: *const u8) -> &'a [u8] {
    let mut n = 0;
    // SAFETY: per the contract, every byte up to and including the NUL is readable.
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(p, n)
    }
}

/// A null-terminated array of NUL-terminated strings (an argv or envp from the loader or
/// the launcher), checked once by whoever makes it.
#[derive(Clone, Copy)]
pub struct CStrArray<'a>(&'a [*const u8]);

impl<'a> CStrArray<'a> {
    /// # Safety
    /// `ptrs` contains a null pointer, and every pointer before the first null points to a
    /// NUL-terminated string that lives, unchanged, for `'a`.
    pub unsafe fn new(ptrs: &'a [*const u8]) -> CStrArray<'a> {
        CStrArray(ptrs)
    }
    /// The pointer array, for execve.
    pub fn as_ptrs(&self) -> &'a [*const u8] {
        self.0
    }
    /// The strings, without their NULs.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> {
        // SAFETY: the contract of `new`.
        self.0.iter().take_while(|p| !p.is_null()).map(|&p| unsafe { c_bytes(p) })
    }
}

/// An owned `CStrArray`: NUL-terminated copies and the null-terminated pointer array into
/// them (moving the copies into the Vec does not move their heap buffers).
#[derive(Default)]
pub struct CStrVec {
    strings: Vec<Vec<u8>>,
    ptrs: Vec<*const u8>,
}

impl CStrVec {
    pub fn push(&mut self, s: &[u8]) {
        self.ptrs.pop();
        self.strings.push(cstr(s));
        self.ptrs.extend(self.strings.last().map(|v| v.as_ptr()));
        self.ptrs.push(core::ptr::null());
    }
    pub fn as_array(&self) -> CStrArray<'_> {
        if self.ptrs.is_empty() {
            return CStrArray(&[core::ptr::null()]);
        }
        CStrArray(&self.ptrs)
    }
}

/// Number of CPUs this process may run on.
pub fn cpus_allowed() -> u32 {
    let mut mask = [0u64; 16];
    match sc!(libc::SYS_sched_getaffinity, 0, core::mem::size_of_val(&mask), mask.as_mut_ptr()) {
        Ok(n) => mask[..n / 8].iter().map(|w| w.count_ones()).sum::<u32>().max(1),
        Err(_) => 1,
    }
}

// ---- the supervisor's output relay (issue 12) --------------------------------------------

/// Move up to `len` bytes from pipe `src` to `dst` inside the kernel (no copy to user space).
pub fn splice(src: c_int, dst: c_int, len: usize, flags: c_uint) -> R<usize> {
    sc!(libc::SYS_splice, src, 0, dst, 0, len, flags)
}
/// Bytes waiting in a pipe.
pub fn fionread(fd: c_int) -> R<usize> {
    let mut n: c_int = 0;
    sc!(libc::SYS_ioctl, fd, libc::FIONREAD, &mut n as *mut c_int).map(|_| n as usize)
}
