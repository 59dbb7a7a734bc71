//! Which mechanism enforces each limit, and the run's cgroup (created before the clone).

use crate::cgroup::{LimitKind, Mech, RunCgroup};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::run::Run;

/// A limit that needs a cgroup, or a report to account for: without either, no cgroup at
/// all (the pid namespace already guarantees the whole tree dies with init).
pub fn wanted(p: &Policy) -> bool {
    let l = &p.limits;
    let limits = l.memory.is_some() || l.pids.is_some() || l.cpus_milli.is_some() || l.time.is_some();
    limits || p.cgroup_dir.is_some() || p.report.is_some() || p.meta.is_some()
}

/// The run's cgroup: the caller's (`--cgroup-dir`), or a fresh one under the name the
/// cleaner step chose.
pub fn setup(run: &mut Run) -> Result<()> {
    let p = run.policy;
    let cg = match (&p.cgroup_dir, &run.cg_name) {
        (Some(dir), _) => RunCgroup::from_dir(dir, &p.limits)?,
        (None, Some(name)) => {
            let account = p.report.is_some() || p.meta.is_some();
            RunCgroup::create_with(&p.cgroup_root, name, &p.limits, account)?
        }
        (None, None) => return Ok(()),
    };
    run.oom_before = cg.oom_kills().unwrap_or(0);
    if let Some(dir) = cg.v2_leaf() {
        // Optional: without it init is attached by migration, as on v1.
        run.cg_fd = crate::sys::open(dir.as_bytes(), libc::O_PATH | libc::O_DIRECTORY).unwrap_or(-1);
    }
    run.cg = Some(cg);
    Ok(())
}

/// Which mechanism enforces each limit. A CPU quota has no per-process substitute: refuse
/// rather than run unbounded (and remove the cgroup made for nothing).
pub fn choose(run: &mut Run) -> Result<()> {
    let cg = &mut run.cg;
    let l = &run.policy.limits;
    let m = &mut run.mechs;
    let when = |set: bool, mech: Mech| if set { mech } else { Mech::None };
    let by_cg = |kind| cg.as_ref().map_or(Mech::None, |c| c.mechanism(kind));
    m.memory = when(l.memory.is_some(), by_cg(LimitKind::Memory));
    // issue 12: no memory cgroup: the supervisor enforces --memory from the tree's resident
    // memory (never RLIMIT_AS, under which JIT runtimes cannot start; that is --address-space).
    if m.memory == Mech::Rlimit {
        m.memory = Mech::Supervisor;
    }
    m.pids = when(l.pids.is_some(), by_cg(LimitKind::Pids));
    m.cpus = when(l.cpus_milli.is_some(), by_cg(LimitKind::Cpus));
    // issue 12: tree CPU time is enforced by the supervisor, counted by the cgroup when one
    // counts it, else from /proc (RLIMIT_CPU stays only as a per-process backstop above it).
    m.time = when(l.time.is_some(), Mech::Supervisor);
    m.wall_time = when(l.wall_time.is_some(), Mech::Supervisor);
    m.output = when(l.output.is_some(), Mech::Supervisor);
    m.files = when(l.files.is_some(), Mech::Rlimit);
    m.fsize = when(l.fsize.is_some(), Mech::Rlimit);
    m.stack = when(l.stack.is_some(), Mech::Rlimit);
    m.address_space = when(l.address_space.is_some(), Mech::Rlimit);
    if l.cpus_milli.is_some() && !matches!(m.cpus, Mech::CgroupV1 | Mech::CgroupV2) {
        if let Some(c) = cg.take() {
            let _ = c.remove();
        }
        return Err(Error::msg("mechanisms", "--cpus needs a usable cpu cgroup controller, and none is available"));
    }
    Ok(())
}

/// SANDBOX_CGROUP_DIR for the program.
pub fn export(run: &mut Run) -> Result<()> {
    if let Some(dir) = run.cg.as_ref().and_then(|c| c.primary_dir()) {
        run.export_cgroup_dir(&dir);
    }
    Ok(())
}
