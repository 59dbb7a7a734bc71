//! The environment the program gets: the target's own envp, with SANDBOX_CGROUP_DIR naming
//! the run's cgroup as the seeds' design does (replacing any of the caller's).

use crate::sys;
use alloc::vec::Vec;

const CGROUP_DIR: &[u8] = b"SANDBOX_CGROUP_DIR=";

/// An owned envp: NUL-terminated strings and the null-terminated pointer array into them.
pub struct Env {
    _strings: Vec<Vec<u8>>,
    ptrs: Vec<*const u8>,
}

impl Env {
    pub fn envp(&self) -> &[*const u8] {
        &self.ptrs
    }
}

/// The program's environment when it differs from the target's: with a cgroup, it is
/// named in SANDBOX_CGROUP_DIR.
pub fn for_run(envp: &[*const u8], cg: Option<&crate::cgroup::RunCgroup>) -> Option<Env> {
    cg.and_then(|c| c.primary_dir()).map(|d| with_cgroup_dir(envp, &d))
}

/// `envp` (null-terminated, each entry NUL-terminated) with SANDBOX_CGROUP_DIR=`dir`.
pub fn with_cgroup_dir(envp: &[*const u8], dir: &str) -> Env {
    let mut strings = Vec::new();
    for &p in envp.iter().take_while(|p| !p.is_null()) {
        // SAFETY: the target's environment is an array of NUL-terminated strings.
        let kv = unsafe { sys::c_bytes(p) };
        if !kv.starts_with(CGROUP_DIR) {
            strings.push(sys::cstr(kv));
        }
    }
    strings.push(sys::cstr(&[CGROUP_DIR, dir.as_bytes()].concat()));
    // Moving the Vec<u8>s into `strings` does not move their heap buffers: the pointers stay.
    let mut ptrs: Vec<*const u8> = strings.iter().map(|v| v.as_ptr()).collect();
    ptrs.push(core::ptr::null());
    Env { _strings: strings, ptrs }
}
