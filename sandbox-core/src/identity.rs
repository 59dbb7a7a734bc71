//! Privileges of the app: no supplementary groups, every capability set empty, securebits
//! locked. Its uid/gid is already the run's (set in init, see ns::become_run_user).

use crate::error::{Ctx, Result};
use crate::run::Run;
use crate::sys;

// securebits: no root privileges through uid 0 or setuid-root binaries, no fixup on uid
// change (we clear the sets ourselves), no ambient raise; each one locked.
const SECBITS: u64 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7);

pub fn drop_all(run: &mut Run) -> Result<()> {
    if run.privileged {
        // The host root's supplementary groups must not reach the program.
        sys::setgroups_empty().ctx("identity", "setgroups")?;
    }
    // The bounding set: drop until the kernel says the capability does not exist.
    for cap in 0..64 {
        match sys::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) {
            Ok(_) => {}
            Err(libc::EINVAL) if cap > 30 => break,
            Err(e) => return Err(crate::Error::new("identity", "drop bounding capability", e)),
        }
    }
    sys::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as _, 0, 0, 0)
        .ctx("identity", "clear ambient capabilities")?;
    sys::prctl(libc::PR_SET_SECUREBITS, SECBITS as _, 0, 0, 0).ctx("identity", "securebits")?;
    sys::capset_zero().ctx("identity", "capset")?;
    Ok(())
}

pub fn no_new_privs(_run: &mut Run) -> Result<()> {
    sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0).ctx("no-new-privs", "prctl").map(drop)
}
