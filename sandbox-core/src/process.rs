//! init (pid 1 of the run's pid namespace) and the app (pid 2).
//!
//! init reaps every orphan and forwards the signals the supervisor relays; when the app
//! exits, init reports its wait status and exits, and the kernel kills whatever is left in
//! the namespace. The app is never pid 1, so default signal dispositions apply to it.

use crate::error::{Ctx, Result};
use crate::ns::Side;
use crate::run::{App, Init, Run, Setup};
use crate::sys::{self, c_int};

/// Signals the supervisor relays to init and init relays to the app.
pub const FORWARDED: &[c_int] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGCONT,
];

pub fn forwarded_set() -> sys::SigSet {
    FORWARDED.iter().fold(sys::sigbit(libc::SIGCHLD), |s, &g| s | sys::sigbit(g))
}

/// End this process with the app's signal, so the shell sees a signal death too (the
/// supervisor, and a server's client with its run's status). No core dump of our own.
pub fn die_by(sig: c_int) -> ! {
    let _ = sys::prlimit(libc::RLIMIT_CORE as i32, 0, 0);
    let _ = sys::signal_disposition(sig, sys::Disposition::Default);
    let _ = sys::sigprocmask(libc::SIG_UNBLOCK, sys::sigbit(sig));
    let _ = sys::kill(sys::getpid(), sig);
    sys::exit(128 + sig)
}

/// Block the relayed signals before the first clone: every process of the run inherits
/// the mask, so none is lost before init's signalfd exists. The app restores the caller's
/// mask just before exec.
pub fn block_signals(run: &mut Run<Setup>) -> Result<()> {
    run.s.app.old_sigmask = sys::sigprocmask(libc::SIG_BLOCK, forwarded_set()).ctx("signals", "sigprocmask")?;
    Ok(())
}

pub fn fork_app(run: &mut Run<Init>) -> Result<Side> {
    match sys::clone_fork(0).ctx("fork-app", "clone")? {
        0 => Ok(Side::Child),
        pid => {
            // The app has its own copy of the listener's end.
            run.s.chan.app_forked();
            Ok(Side::Parent(pid))
        }
    }
}

/// init's own session, so that terminal signals reach only the supervisor (which
/// forwards them).
pub fn init_session(_run: &mut Run<Init>) -> Result<()> {
    sys::setsid().ctx("init-session", "setsid").map(drop)
}

/// The app's own session (so kill(0, …) and the terminal reach nothing outside), and death
/// with init. Set after the identity change, which clears the parent-death signal.
pub fn new_session(_run: &mut Run<App>) -> Result<()> {
    sys::setsid().ctx("session", "setsid")?;
    sys::prctl_set_pdeathsig(libc::SIGKILL).ctx("session", "pdeathsig")?;
    // init is pid 1 here; if it is already gone, so is the namespace: stop now.
    if sys::getppid() != 1 {
        return Err(crate::Error::msg("session", "init exited during setup"));
    }
    Ok(())
}

/// init, once the app is forked: the signals it relays arrive on a signalfd.
pub fn init_signals(_run: &mut Run<Init>) -> Result<c_int> {
    sys::signalfd(forwarded_set()).ctx("init-signals", "signalfd")
}

/// init's loop: reap, relay signals from outside; once the app ends, end the rest, report
/// the app's status and exit.
pub fn init_loop(run: Run<Init>, app: c_int, sfd: c_int) -> ! {
    let mut buf = [0u8; 128 * 8];
    loop {
        let mut p = [libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 }];
        let _ = sys::poll(&mut p, -1);
        let n = sys::read(sfd, &mut buf).unwrap_or(0);
        for info in buf[..n].chunks_exact(128) {
            let signo = u32::from_ne_bytes(info[0..4].try_into().unwrap()) as c_int;
            let from = u32::from_ne_bytes(info[12..16].try_into().unwrap());
            if signo == libc::SIGCHLD {
                continue;
            }
            // Relay only what came from outside the namespace (sender pid 0 here);
            // the app signalling pid 1 gets nothing back.
            if from == 0 {
                let _ = sys::kill(app, signo);
            }
        }
        // Reap every child that has exited (orphans included).
        while let Ok((pid, status)) = sys::wait4(-1, libc::WNOHANG | libc::__WALL, None) {
            if pid <= 0 {
                break;
            }
            if pid == app {
                let all_gone = end_the_rest(sfd);
                run.s.chan.send_status(status, all_gone);
                sys::exit(0);
            }
        }
    }
}

/// init, once the app has ended: kill every other process of the run and reap them all,
/// so that when the supervisor learns the app's status nothing of the run still runs (the
/// kernel would do the same when init exits, but only then). true: all gone. false: one
/// is still there after END_WAIT_NS (or could not be signalled); the kernel's teardown of
/// the namespace ends it, and the supervisor waits for that (see supervisor.rs).
fn end_the_rest(sfd: c_int) -> bool {
    match sys::kill(-1, libc::SIGKILL) {
        Ok(()) | Err(libc::ESRCH) => {}
        Err(_) => return false,
    }
    let deadline = sys::now_ns() + END_WAIT_NS;
    let mut buf = [0u8; 128 * 8];
    loop {
        // Orphans are reparented to init as their parents die: reap until none is left.
        loop {
            match sys::wait4(-1, libc::WNOHANG | libc::__WALL, None) {
                Ok((0, _)) => break,
                Ok(_) => {}
                Err(libc::ECHILD) => return true,
                Err(_) => return false,
            }
        }
        let now = sys::now_ns();
        if now >= deadline {
            return false;
        }
        // The next SIGCHLD (on init's signalfd), or the deadline.
        let ms = ((deadline - now) / 1_000_000).max(1) as c_int;
        let mut p = [libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 }];
        if matches!(sys::poll(&mut p, ms), Ok(1)) {
            let _ = sys::read(sfd, &mut buf);
        }
    }
}

/// How long init waits for the run's other processes to die once the app has ended (a
/// killed process with a large address space takes a while to unmap it).
const END_WAIT_NS: u64 = 1_000_000_000;

/// Only 0, 1, 2 and the descriptors asked for reach the program: everything else is
/// marked close-on-exec (our own pipes need to live until the exec).
pub fn close_stray(run: &mut Run<App>) -> Result<()> {
    let mut keep = run.policy.keep_fds.clone();
    if run.target.script {
        keep.push(run.target.fd);
    }
    sys::cloexec_all_except(&keep).map_err(|(fd, e)| match fd {
        Some(fd) => crate::Error::new("descriptors", alloc::format!("keep-fd {fd}"), e),
        None => crate::Error::new("descriptors", "close-on-exec", e),
    })
}

/// Become the program: exactly the file that was checked, through its descriptor. Returns
/// only to say why it could not.
pub fn exec(run: &mut Run<App>) -> Result<core::convert::Infallible> {
    let _ = sys::sigprocmask(libc::SIG_SETMASK, run.s.app.old_sigmask);
    let t = &run.target;
    let e = sys::execveat(t.fd, t.argv, run.envp(), libc::AT_EMPTY_PATH, run.s.app.cookie);
    Err(crate::Error::new("exec", alloc::string::ToString::to_string(t.name), e))
}
