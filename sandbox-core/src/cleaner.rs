//! The cgroup cleaner: a tiny process forked before the namespaces, outside the run's
//! cgroup, that waits for the supervisor to go away (normally or by SIGKILL) and then
//! kills whatever is left in the run's cgroups and removes them. Without it, a supervisor
//! killed from outside would leave its cgroup directories behind.

use crate::cgroup::RunCgroup;
use crate::error::{Ctx, Result};
use crate::run::{Run, Setup};
use crate::sys;

/// Fork the cleaner before any cgroup exists, so that no moment leaves a directory without
/// one; it finds the run's leaves by name (`root`/`name`, unique per run) when it is time.
/// The supervisor keeps the write end open for its whole life; init closes its inherited
/// copy first thing (see `ns::wait_for_supervisor`).
///
/// Only for a fresh cgroup of our own (not `--cgroup-dir`, not when no cgroup is wanted);
/// the name is chosen here and used by the cgroup step.
pub fn spawn(run: &mut Run<Setup>) -> Result<()> {
    let p = run.policy;
    if p.cgroup_dir.is_some() || !crate::cgroup_step::wanted(p) {
        return Ok(());
    }
    // Unique among live runs (the pid) and across time (the random part), so the cleaner
    // of a dead run can never take a later run's cgroup for its own. (Fresh random bits:
    // the name is visible inside, so it must not share the exec gate's secret cookie.)
    let mut rnd = [0u8; 4];
    sys::getrandom(&mut rnd).ctx("cleaner", "getrandom")?;
    let name = alloc::format!("run-{}-{:08x}", sys::getpid(), u32::from_ne_bytes(rnd));
    let root = &p.cgroup_root;
    let [r, w] = sys::pipe(libc::O_CLOEXEC).ctx("cleaner", "pipe")?;
    match sys::clone_fork(0).ctx("cleaner", "fork")? {
        0 => {
            let r = r.raw();
            // Keep nothing but our pipe: any other copy (stdio, the run's own pipes) would
            // keep a reader of the supervisor's waiting forever.
            let _ = sys::close_range(0, r as u32 - 1, 0);
            let _ = sys::close_range(r as u32 + 1, !0, 0);
            // Its own session and process group: a Ctrl-C, or a judge's kill(-pgid) right
            // after the sandbox exits, must not stop it. It has no terminal to hang up, and
            // the signals such a caller or a closing session send are ignored. Only SIGKILL of
            // this pid stops it; then the supervisor's own removal still runs (fail-safe).
            let _ = sys::setsid();
            for sig in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGPIPE] {
                let _ = sys::signal_disposition(sig, sys::Disposition::Ignore);
            }
            let mut b = [0u8; 1];
            while let Ok(n) = sys::read(r, &mut b) {
                if n == 0 {
                    break;
                }
            }
            // Everything is gone if the supervisor finished normally; removing is idempotent.
            // rmdir_wait waits as long as the run's processes take to exit.
            let _ = RunCgroup::adopt(root, &name).remove();
            sys::exit(0)
        }
        _ => {
            drop(r);
            run.s.cleaner = Some(w);
            run.s.cg_name = Some(name);
            Ok(())
        }
    }
}
