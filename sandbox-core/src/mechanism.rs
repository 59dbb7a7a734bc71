//! Which mechanism enforces each limit: defined, decided and named here only. The cgroup
//! module says which controllers a run's cgroup has; this says what that means for each
//! limit, with the supervisor and rlimit fallbacks where no controller can.

use crate::cgroup::{LimitKind, RunCgroup, Version};
use crate::error::{Error, Result};
use crate::policy::Limits;

/// Which mechanism enforces a limit of this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    CgroupV1,
    CgroupV2,
    /// Per-process rlimits (RLIMIT_NPROC, RLIMIT_NOFILE, …).
    Rlimit,
    /// The supervisor: tree CPU time, wall time, resident memory without a memory cgroup,
    /// the output relay.
    Supervisor,
    /// The work dir's sized tmpfs copy (workdisk.rs): --disk and --inodes.
    Tmpfs,
    /// Not enforced (not asked for).
    None,
}

impl Mech {
    pub fn of(v: Version) -> Mech {
        match v {
            Version::V1 => Mech::CgroupV1,
            Version::V2 => Mech::CgroupV2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mech::CgroupV1 => "cgroup-v1",
            Mech::CgroupV2 => "cgroup-v2",
            Mech::Rlimit => "rlimit",
            Mech::Supervisor => "supervisor",
            Mech::Tmpfs => "tmpfs",
            Mech::None => "none",
        }
    }
}

/// Which mechanism enforces each limit of this run (`none` when the limit is not set).
#[derive(Clone, Copy, Debug)]
pub struct Mechs {
    pub memory: Mech,
    pub pids: Mech,
    pub cpus: Mech,
    pub time: Mech,
    pub wall_time: Mech,
    pub files: Mech,
    pub fsize: Mech,
    pub output: Mech,
    pub stack: Mech,
    pub address_space: Mech,
    pub disk: Mech,
    pub inodes: Mech,
}

impl Default for Mechs {
    fn default() -> Self {
        Mechs {
            memory: Mech::None,
            pids: Mech::None,
            cpus: Mech::None,
            time: Mech::None,
            wall_time: Mech::None,
            files: Mech::None,
            fsize: Mech::None,
            output: Mech::None,
            stack: Mech::None,
            address_space: Mech::None,
            disk: Mech::None,
            inodes: Mech::None,
        }
    }
}

/// The mechanism of every limit in `l`, given the run's cgroup (None: no cgroup at all,
/// which happens only when no limit needs one). A CPU quota has no per-process substitute:
/// refused rather than run unbounded.
/// `workdisk`: the work dir is the sized tmpfs of the "workdisk" step (with no work dir,
/// --disk/--inodes bound nothing and are reported as such).
pub fn choose(l: &Limits, cg: Option<&RunCgroup>, workdisk: bool) -> Result<Mechs> {
    let when = |set: bool, mech: Mech| if set { mech } else { Mech::None };
    let ctl = |kind| cg.and_then(|c| c.controller(kind)).map(Mech::of);
    let m = Mechs {
        // issue 12: no memory cgroup: the supervisor enforces --memory from the tree's
        // resident memory (never RLIMIT_AS, under which JIT runtimes cannot start; that is
        // --address-space).
        memory: when(l.memory.is_some(), ctl(LimitKind::Memory).unwrap_or(Mech::Supervisor)),
        // Counted per uid: per run in root mode, per user namespace otherwise.
        pids: when(l.pids.is_some(), ctl(LimitKind::Pids).unwrap_or(Mech::Rlimit)),
        cpus: when(l.cpus_milli.is_some(), ctl(LimitKind::Cpus).unwrap_or(Mech::None)),
        // issue 12: tree CPU time is enforced by the supervisor, counted by the cgroup when
        // one counts it, else from /proc (RLIMIT_CPU stays only as a per-process backstop).
        time: when(l.time.is_some(), Mech::Supervisor),
        wall_time: when(l.wall_time.is_some(), Mech::Supervisor),
        output: when(l.output.is_some(), Mech::Supervisor),
        files: when(l.files.is_some(), Mech::Rlimit),
        fsize: when(l.fsize.is_some(), Mech::Rlimit),
        stack: when(l.stack.is_some(), Mech::Rlimit),
        address_space: when(l.address_space.is_some(), Mech::Rlimit),
        disk: when(l.disk.is_some() && workdisk, Mech::Tmpfs),
        inodes: when(l.inodes.is_some() && workdisk, Mech::Tmpfs),
    };
    if l.cpus_milli.is_some() && m.cpus == Mech::None {
        return Err(Error::msg("mechanisms", "--cpus needs a usable cpu cgroup controller, and none is available"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_cgroup_every_limit_has_its_fallback_and_cpus_is_refused() {
        let l = Limits {
            wall_time: Some(1),
            files: Some(1),
            fsize: Some(1),
            output: Some(1),
            stack: Some(1),
            address_space: Some(1),
            ..Default::default()
        };
        let m = choose(&l, None, false).unwrap();
        assert_eq!((m.memory, m.pids, m.cpus, m.time), (Mech::None, Mech::None, Mech::None, Mech::None));
        assert_eq!((m.wall_time, m.output), (Mech::Supervisor, Mech::Supervisor));
        assert_eq!([m.files, m.fsize, m.stack, m.address_space], [Mech::Rlimit; 4]);
        let l = Limits { memory: Some(1), pids: Some(1), time: Some(1), ..Default::default() };
        let m = choose(&l, None, false).unwrap();
        assert_eq!((m.memory, m.pids, m.time), (Mech::Supervisor, Mech::Rlimit, Mech::Supervisor));
        let e = choose(&Limits { cpus_milli: Some(500), ..Default::default() }, None, false).unwrap_err();
        assert!(e.what.contains("--cpus needs"), "{e:?}");
    }
}
