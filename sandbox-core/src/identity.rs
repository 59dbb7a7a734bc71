//! Privileges of the app: no supplementary groups, every capability set empty, securebits
//! locked. Its uid/gid is already the run's (set in init, see ns::become_run_user).

use crate::error::{Ctx, Result};
use crate::run::{App, Run};
use crate::sys;

// securebits: no root privileges through uid 0 or setuid-root binaries, no fixup on uid
// change (we clear the sets ourselves), no ambient raise; each one locked.
const SECBITS: u64 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7);

pub fn drop_all(run: &mut Run<App>) -> Result<()> {
    if run.ids.privileged {
        // The host root's supplementary groups must not reach the program.
        sys::setgroups_empty().ctx("identity", "setgroups")?;
    }
    // The bounding set: drop until the kernel says the capability does not exist.
    for cap in 0..64 {
        match sys::prctl_capbset_drop(cap) {
            Ok(_) => {}
            Err(libc::EINVAL) if cap > 30 => break,
            Err(e) => return Err(crate::Error::new("identity", "drop bounding capability", e)),
        }
    }
    sys::prctl_clear_ambient_caps().ctx("identity", "clear ambient capabilities")?;
    sys::prctl_set_securebits(SECBITS).ctx("identity", "securebits")?;
    sys::capset_zero().ctx("identity", "capset")?;
    Ok(())
}

pub fn no_new_privs(_run: &mut Run<App>) -> Result<()> {
    sys::prctl_set_no_new_privs().ctx("no-new-privs", "prctl")
}
