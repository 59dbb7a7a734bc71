//! The seccomp step: compiled once in the supervisor (so a bad policy file fails before
//! anything starts), installed last in the app, with the listener handed to the
//! supervisor for violation reports.

use crate::error::{Error, Result};
use crate::policy::Seccomp;
use crate::run::Run;
use crate::seccomp::{self, Options};
use crate::sys;

/// Violations are reported through user notification for the strict and file profiles, and
/// wherever new processes are forbidden.
fn wants_notify(run: &Run) -> bool {
    matches!(run.policy.seccomp, Seccomp::Strict | Seccomp::File(_)) || no_processes(run)
}

fn no_processes(run: &Run) -> bool {
    run.policy.processes == Some(false)
}

pub fn compile(run: &mut Run) -> Result<()> {
    // A random value only this run's own exec carries (strict's exec gate).
    if run.policy.seccomp == Seccomp::Strict {
        let mut c = [0u8; 8];
        sys::getrandom(&mut c).map_err(|e| Error::new("seccomp-compile", "getrandom", e))?;
        run.cookie = u64::from_ne_bytes(c) | 1;
    }
    let opts = Options { exec_cookie: run.cookie, notify: wants_notify(run), no_processes: no_processes(run) };
    run.filter = seccomp::build(&run.policy.seccomp, &opts).map_err(|e| Error::msg("seccomp-compile", e))?;
    Ok(())
}

pub fn install(run: &mut Run) -> Result<()> {
    let flags = if wants_notify(run) { seccomp::FLAG_NEW_LISTENER } else { 0 };
    let listener = seccomp::install(&run.filter, flags).map_err(|e| Error::new("seccomp", "install filter", e))?;
    if let Some(fd) = listener {
        seccomp::send_fd(run.notify[1], fd).map_err(|e| Error::new("seccomp", "hand listener to supervisor", e))?;
        sys::close(fd);
    }
    sys::close(run.notify[1]);
    Ok(())
}
