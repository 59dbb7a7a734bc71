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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_cgroup_replaces_any_callers_entry_and_the_rest_stays() {
        let mut caller = CStrVec::default();
        for kv in [&b"PATH=/usr/bin"[..], b"SANDBOX_CGROUP_DIR=/fake", b"LANG=C"] {
            caller.push(kv);
        }
        let env = with_cgroup_dir(caller.as_array(), "/sys/fs/cgroup/x");
        let got: Vec<&[u8]> = env.as_array().iter().collect();
        assert_eq!(got, [&b"PATH=/usr/bin"[..], b"LANG=C", b"SANDBOX_CGROUP_DIR=/sys/fs/cgroup/x"]);
        assert_eq!(env.as_array().as_ptrs().last(), Some(&core::ptr::null()), "null-terminated");
    }
}
