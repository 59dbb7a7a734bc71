//! Descriptors the target inherits: only 0, 1, 2 and the ones asked for with `--keep-fd`.
//!
//! Everything else is marked close-on-exec rather than closed, so the launcher keeps using its
//! own descriptors (the checked target's fd, pipes to the supervisor) until the exec, and the
//! kernel drops them all at once at the target's exec.

use std::io;

/// Mark every fd > 2 not in `keep` close-on-exec, and clear close-on-exec on the kept ones so
/// they really reach the target. A kept fd that is not open is an error (fail closed on a
/// mistyped `--keep-fd` rather than run with a different descriptor set than asked).
pub fn close_inherited(keep: &[i32]) -> io::Result<()> {
    let mut keep: Vec<u32> = keep.iter().filter(|&&fd| fd > 2).map(|&fd| fd as u32).collect();
    keep.sort_unstable();
    keep.dedup();

    // The gaps between kept fds: [3, k0-1], [k0+1, k1-1], ..., [kn+1, MAX].
    let mut lo = 3u32;
    for &k in &keep {
        if k > lo {
            cloexec_range(lo, k - 1)?;
        }
        lo = k + 1;
    }
    cloexec_range(lo, u32::MAX)?;

    for &k in &keep {
        set_cloexec(k as i32, false).map_err(|e| io::Error::new(e.kind(), format!("keep-fd {k}: {e}")))?;
    }
    Ok(())
}

fn cloexec_range(lo: u32, hi: u32) -> io::Result<()> {
    // SAFETY: close_range only changes descriptor flags; the arguments are plain integers.
    let r = unsafe { libc::syscall(libc::SYS_close_range, lo, hi, libc::CLOSE_RANGE_CLOEXEC) };
    if r == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC (EINVAL) or close_range (ENOSYS):
    // walk the open descriptors instead.
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => cloexec_range_proc(lo, hi),
        _ => Err(err),
    }
}

/// The fallback: every open descriptor in [lo, hi], from /proc/self/fd.
fn cloexec_range_proc(lo: u32, hi: u32) -> io::Result<()> {
    let open: Vec<u32> =
        std::fs::read_dir("/proc/self/fd")?.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    for fd in open.into_iter().filter(|fd| (lo..=hi).contains(fd)) {
        // The read_dir fd itself is gone by now: EBADF is expected for it.
        match set_cloexec(fd as i32, true) {
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => {}
            r => r?,
        }
    }
    Ok(())
}

fn set_cloexec(fd: i32, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFD/F_SETFD only read and change the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let new = if on { flags | libc::FD_CLOEXEC } else { flags & !libc::FD_CLOEXEC };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, new) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::sync::Mutex;

    // close_inherited changes every descriptor of the test process: one test at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn cloexec(fd: i32) -> bool {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        let f = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(f >= 0, "fd {fd} not open");
        f & libc::FD_CLOEXEC != 0
    }

    fn dup_inheritable(fd: i32) -> i32 {
        // SAFETY: F_DUPFD makes a new descriptor without FD_CLOEXEC; the test closes it.
        let n = unsafe { libc::fcntl(fd, libc::F_DUPFD, 3) };
        assert!(n >= 3);
        n
    }

    #[test]
    fn marks_others_and_keeps_kept() {
        let _g = SERIAL.lock().unwrap();
        let f = std::fs::File::open("/proc/self/status").unwrap();
        let kept = dup_inheritable(f.as_raw_fd());
        let stray = dup_inheritable(f.as_raw_fd());
        set_cloexec(kept, true).unwrap(); // must be cleared by close_inherited
        assert!(!cloexec(stray));

        close_inherited(&[kept, 1]).unwrap();
        assert!(cloexec(stray), "stray fd must vanish at exec");
        assert!(!cloexec(kept), "kept fd must survive exec");
        for fd in 0..=2 {
            // stdio is never touched (fd 0-2 may be absent under the test harness: skip then).
            // SAFETY: F_GETFD only reads flags.
            let f = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            assert!(f < 0 || f & libc::FD_CLOEXEC == 0, "fd {fd}");
        }
        // SAFETY: closing descriptors this test created.
        unsafe {
            libc::close(kept);
            libc::close(stray);
        }
    }

    #[test]
    fn proc_fallback_marks_range() {
        let _g = SERIAL.lock().unwrap();
        let f = std::fs::File::open("/proc/self/status").unwrap();
        let (a, b) = (dup_inheritable(f.as_raw_fd()), dup_inheritable(f.as_raw_fd()));
        let (lo, hi) = (a.min(b), a.max(b));
        cloexec_range_proc(lo as u32, lo as u32).unwrap();
        assert!(cloexec(lo) && !cloexec(hi));
        // SAFETY: closing descriptors this test created.
        unsafe {
            libc::close(a);
            libc::close(b);
        }
    }

    #[test]
    fn kept_fd_must_be_open() {
        let _g = SERIAL.lock().unwrap();
        let e = close_inherited(&[999_999]).unwrap_err();
        assert!(e.to_string().contains("keep-fd 999999"), "{e}");
    }
}
