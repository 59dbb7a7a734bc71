//! The seccomp step: compiled once in the supervisor (so a bad policy file fails before
//! anything starts), installed last in the app, with the listener handed to the
//! supervisor for violation reports.

use crate::error::{Error, Result};
use crate::policy::{Policy, Seccomp};
use crate::run::{App, Run, Setup};
use crate::seccomp::{self, Options};
use crate::sys;

/// Violations are reported through user notification for the strict and file profiles, and
/// wherever new processes are forbidden.
fn wants_notify(p: &Policy) -> bool {
    matches!(p.seccomp, Seccomp::Strict | Seccomp::File(_)) || no_processes(p)
}

fn no_processes(p: &Policy) -> bool {
    p.processes == Some(false)
}

pub fn compile(run: &mut Run<Setup>) -> Result<()> {
    // A random value only this run's own exec carries (strict's exec gate).
    if run.policy.seccomp == Seccomp::Strict {
        let mut c = [0u8; 8];
        sys::getrandom(&mut c).map_err(|e| Error::new("seccomp-compile", "getrandom", e))?;
        run.s.app.cookie = u64::from_ne_bytes(c) | 1;
    }
    let p = run.policy;
    let opts = Options { exec_cookie: run.s.app.cookie, notify: wants_notify(p), no_processes: no_processes(p) };
    run.s.app.filter = seccomp::build(&run.policy.seccomp, &opts).map_err(|e| Error::msg("seccomp-compile", e))?;
    Ok(())
}

pub fn install(run: &mut Run<App>) -> Result<()> {
    let flags = if wants_notify(run.policy) { seccomp::FLAG_NEW_LISTENER } else { 0 };
    let listener =
        seccomp::install(&run.s.app.filter, flags).map_err(|e| Error::new("seccomp", "install filter", e))?;
    run.s.chan.send_listener(listener).map_err(|e| Error::new("seccomp", "hand listener to supervisor", e))
}
