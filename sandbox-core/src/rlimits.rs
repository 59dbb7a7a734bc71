//! Per-process limits (setrlimit), and the rlimit fallbacks for cgroup limits that no
//! cgroup could enforce. Only lowered: root here lacks CAP_SYS_RESOURCE anyway.

use crate::error::{Error, Result};
use crate::mechanism::Mech;
use crate::run::{App, Run};
use crate::sys;

fn set(res: libc::__rlimit_resource_t, what: &str, v: u64) -> Result<()> {
    // Never raise: clamp to the current hard limit.
    let (_, hard) = sys::getrlimit(res as i32).map_err(|e| Error::new("rlimits", what, e))?;
    let v = v.min(hard);
    sys::prlimit(res as i32, v, v).map_err(|e| Error::new("rlimits", alloc::format!("{what} = {v}"), e))
}

pub fn apply(run: &mut Run<App>) -> Result<()> {
    let l = &run.policy.limits;
    set(libc::RLIMIT_CORE, "RLIMIT_CORE", 0)?;
    if let Some(n) = l.files {
        set(libc::RLIMIT_NOFILE, "RLIMIT_NOFILE", n)?;
    }
    if let Some(n) = l.fsize {
        set(libc::RLIMIT_FSIZE, "RLIMIT_FSIZE", n)?;
    }
    if let Some(n) = l.stack {
        set(libc::RLIMIT_STACK, "RLIMIT_STACK", n)?;
    }
    if let Some(n) = l.address_space {
        set(libc::RLIMIT_AS, "RLIMIT_AS", n)?;
    }
    if let Some(ns) = l.time {
        // Per process, in whole seconds, above the limit: the supervisor enforces the tree's
        // total (cgroup or /proc accounting); this is only a backstop (reported TO too).
        let secs = ns.div_ceil(1_000_000_000);
        let soft = secs + 1;
        let (_, hard) = sys::getrlimit(libc::RLIMIT_CPU as i32).map_err(|e| Error::new("rlimits", "RLIMIT_CPU", e))?;
        sys::prlimit(libc::RLIMIT_CPU as i32, soft.min(hard), (soft + 1).min(hard))
            .map_err(|e| Error::new("rlimits", "RLIMIT_CPU", e))?;
    }
    if let (Some(n), Mech::Rlimit) = (l.pids, run.s.app.mechs.pids) {
        // Counted per uid (per run in root mode, per user namespace otherwise).
        set(libc::RLIMIT_NPROC, "RLIMIT_NPROC", n)?;
    }
    // --memory never becomes RLIMIT_AS: without a memory cgroup the supervisor enforces it
    // from the tree's resident memory (a JVM or Node cannot start under an address-space
    // limit near its heap). RLIMIT_AS is only --address-space.
    if let Some(n) = l.nice {
        sys::setpriority_self(n).map_err(|e| Error::new("rlimits", "setpriority", e))?;
    }
    Ok(())
}
