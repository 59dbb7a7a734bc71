//! Descriptors the target inherits: only 0, 1, 2 and the ones asked for with `--keep-fd`.
//!
//! Everything else is marked close-on-exec rather than closed, so the launcher keeps using its
//! own descriptors (the checked target's fd, pipes to the supervisor) until the exec, and the
//! kernel drops them all at once at the target's exec.

use std::io;

/// Mark every fd > 2 not in `keep` close-on-exec, and clear close-on-exec on the kept ones so
/// they really reach the target. A kept fd that is not open is an error (fail closed on a
/// mistyped `--keep-fd` rather than run with a different descriptor set than asked). The
/// same code as the app's last step (sandbox_core::sys::cloexec_all_except).
pub fn close_inherited(keep: &[i32]) -> io::Result<()> {
    sandbox_core::sys::cloexec_all_except(keep).map_err(|(fd, e)| {
        let err = io::Error::from_raw_os_error(e);
        match fd {
            Some(k) => io::Error::new(err.kind(), format!("keep-fd {k}: {err}")),
            None => err,
        }
    })
}

#[cfg(test)]
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
        sandbox_core::sys::cloexec_from_proc(hi).unwrap();
        assert!(!cloexec(lo) && cloexec(hi));
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
