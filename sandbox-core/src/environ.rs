//! The environment the program gets: the target's own envp, with SANDBOX_CGROUP_DIR naming
//! the run's cgroup as the seeds' design does (replacing any of the caller's).

use crate::sys::{CStrArray, CStrVec};

const CGROUP_DIR: &[u8] = b"SANDBOX_CGROUP_DIR=";

/// The program's environment when it differs from the target's: with a cgroup, it is
/// named in SANDBOX_CGROUP_DIR.
pub fn for_run(envp: CStrArray, cg: Option<&crate::cgroup::RunCgroup>) -> Option<CStrVec> {
    cg.and_then(|c| c.primary_dir()).map(|d| with_cgroup_dir(envp, &d))
}

/// `envp` with SANDBOX_CGROUP_DIR=`dir`.
pub fn with_cgroup_dir(envp: CStrArray, dir: &str) -> CStrVec {
    let mut env = CStrVec::default();
    for kv in envp.iter().filter(|kv| !kv.starts_with(CGROUP_DIR)) {
        env.push(kv);
    }
    env.push(&[CGROUP_DIR, dir.as_bytes()].concat());
    env
}
