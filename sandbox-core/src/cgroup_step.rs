//! The cgroup step: the run's cgroup, created before the clone (its cleaner is already
//! running, see cleaner.rs), and what the supervisor reads of it before the run starts.

use crate::cgroup::RunCgroup;
use crate::error::Result;
use crate::policy::Policy;
use crate::run::{Run, Setup};
use crate::sys;

/// A limit that needs a cgroup, or a report to account for: without either, no cgroup at
/// all (the pid namespace already guarantees the whole tree dies with init).
pub fn wanted(p: &Policy) -> bool {
    let l = &p.limits;
    let limits = l.memory.is_some() || l.pids.is_some() || l.cpus_milli.is_some() || l.time.is_some();
    limits || p.cgroup_dir.is_some() || p.report.is_some() || p.meta.is_some()
}

/// The run's cgroup: the caller's (`--cgroup-dir`), or a fresh one under the name the
/// cleaner step chose.
pub fn setup(run: &mut Run<Setup>) -> Result<()> {
    let p = run.policy;
    let cg = match (&p.cgroup_dir, &run.s.cg_name) {
        (Some(dir), _) => RunCgroup::from_dir(dir, &p.limits)?,
        (None, Some(name)) => {
            let account = p.report.is_some() || p.meta.is_some();
            RunCgroup::create_with(&p.cgroup_root, name, &p.limits, account)?
        }
        (None, None) => return Ok(()),
    };
    // OOM = the count went up during the run.
    run.s.oom_before = cg.oom_kills().unwrap_or(0);
    if let Some(dir) = cg.v2_leaf() {
        // Optional: without it init is attached by migration, as on v1.
        run.s.cg_fd = sys::open_fd(dir.as_bytes(), libc::O_PATH | libc::O_DIRECTORY).ok();
    }
    run.s.cg = Some(cg);
    Ok(())
}
