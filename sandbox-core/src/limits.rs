//! Which mechanism enforces each limit, and the run's cgroup (created before the clone).

use crate::cgroup::{LimitKind, Mech, RunCgroup};
use crate::error::{Error, Result};
use crate::run::Run;
use alloc::format;

pub fn setup(run: &mut Run) -> Result<Option<RunCgroup>> {
    let p = run.policy;
    let l = &p.limits;
    // No limit that needs a cgroup and no report to account for: skip cgroups altogether
    // (the pid namespace already guarantees the whole tree dies with init).
    let wanted = l.memory.is_some() || l.pids.is_some() || l.cpus_milli.is_some() || l.time.is_some();
    if !wanted && p.cgroup_dir.is_none() && p.report.is_none() && p.meta.is_none() {
        run.mechs.wall_time = if l.wall_time.is_some() { Mech::Supervisor } else { Mech::None };
        set_rlimit_mechs(run);
        return Ok(None);
    }
    let cg = match &p.cgroup_dir {
        Some(dir) => RunCgroup::from_dir(dir, l)?,
        None => {
            // Unique among live runs (the pid) and across time (the random part), so the
            // cleaner of a dead run can never take a later run's cgroup for its own.
            // (Fresh random bits: the name is visible inside, so it must not share the
            // exec gate's secret cookie.)
            let mut r = [0u8; 4];
            crate::sys::getrandom(&mut r).map_err(|e| Error::new("cgroup", "getrandom", e))?;
            let name = format!("run-{}-{:08x}", crate::sys::getpid(), u32::from_ne_bytes(r));
            crate::cleaner::spawn(run, &p.cgroup_root, &name)?;
            let account = p.report.is_some() || p.meta.is_some();
            RunCgroup::create_with(&p.cgroup_root, &name, l, account)?
        }
    };
    let m = &mut run.mechs;
    let when = |set: bool, mech: Mech| if set { mech } else { Mech::None };
    m.memory = when(l.memory.is_some(), cg.mechanism(LimitKind::Memory));
    // issue 12: no memory cgroup: the supervisor enforces --memory from the tree's resident
    // memory (never RLIMIT_AS, under which JIT runtimes cannot start; that is --address-space).
    if m.memory == Mech::Rlimit {
        m.memory = Mech::Supervisor;
    }
    m.pids = when(l.pids.is_some(), cg.mechanism(LimitKind::Pids));
    m.cpus = when(l.cpus_milli.is_some(), cg.mechanism(LimitKind::Cpus));
    // issue 12: tree CPU time is enforced by the supervisor, counted by the cgroup when one
    // counts it, else from /proc (RLIMIT_CPU stays only as a per-process backstop above it).
    m.time = when(l.time.is_some(), Mech::Supervisor);
    m.wall_time = when(l.wall_time.is_some(), Mech::Supervisor);
    set_rlimit_mechs(run);
    let m = &mut run.mechs;
    // A CPU quota has no per-process substitute: refuse rather than run unbounded.
    if l.cpus_milli.is_some() && !matches!(m.cpus, Mech::CgroupV1 | Mech::CgroupV2) {
        let _ = cg.remove();
        return Err(Error::msg("cgroup", "--cpus needs a usable cpu cgroup controller, and none is available"));
    }
    run.oom_before = cg.oom_kills().unwrap_or(0);
    if let Some(dir) = cg.v2_leaf() {
        // Optional: without it init is attached by migration, as on v1.
        run.cg_fd = crate::sys::open(dir.as_bytes(), libc::O_PATH | libc::O_DIRECTORY).unwrap_or(-1);
    }
    if let Some(dir) = cg.primary_dir() {
        run.export_cgroup_dir(&dir);
    }
    Ok(Some(cg))
}

fn set_rlimit_mechs(run: &mut Run) {
    let l = &run.policy.limits;
    let when = |set: bool| if set { Mech::Rlimit } else { Mech::None };
    let m = &mut run.mechs;
    m.files = when(l.files.is_some());
    m.fsize = when(l.fsize.is_some());
    m.stack = when(l.stack.is_some());
    m.address_space = when(l.address_space.is_some());
}
