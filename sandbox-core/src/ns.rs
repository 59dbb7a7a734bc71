//! Namespaces: which ones a run gets, the clone that creates them, and the uid/gid maps.

use crate::error::{Ctx, Error, Result};
use crate::policy::Net;
use crate::run::Run;
use crate::sys;
use alloc::format;

/// Which side of the clone we are on.
pub enum Side {
    Parent(i32),
    Child,
}

/// Namespace flags for the init process. The cgroup namespace is entered later, by init
/// itself, once the supervisor has put it into the run's cgroup: the namespace root then
/// is the run's own cgroup.
pub fn flags(run: &Run) -> u64 {
    let mut f = libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
    if run.policy.net != Net::Host {
        f |= libc::CLONE_NEWNET;
    }
    // Root keeps host credentials for setup and gives the app a per-run uid; everyone
    // else needs a user namespace to be allowed the other namespaces.
    if !run.privileged {
        f |= libc::CLONE_NEWUSER;
    }
    f as u64
}

/// Clone init (pid 1 of the new pid namespace) with every namespace at once.
pub fn clone_init(run: &mut Run) -> Result<Side> {
    let flags = flags(run);
    match sys::clone_fork(flags) {
        Ok(0) => {
            run.role = crate::run::Role::Init;
            Ok(Side::Child)
        }
        Ok(pid) => Ok(Side::Parent(pid)),
        Err(libc::EINVAL) if !run.privileged => Err(Error::new(
            "namespaces",
            "clone: a user namespace cannot be created by a multi-threaded process",
            libc::EINVAL,
        )),
        Err(e) => Err(Error::new("namespaces", "clone", e)),
    }
}

/// Unprivileged mode: map the caller's uid/gid to themselves (never to root), and deny
/// setgroups so the supplementary groups cannot be dropped to escape a negative ACL.
pub fn map_ids(run: &mut Run) -> Result<()> {
    if run.privileged {
        return Ok(());
    }
    sys::write_file(b"/proc/self/setgroups", b"deny").ctx("id-map", "/proc/self/setgroups")?;
    let u = format!("{0} {0} 1\n", run.outer_uid);
    sys::write_file(b"/proc/self/uid_map", u.as_bytes()).ctx("id-map", "/proc/self/uid_map")?;
    let g = format!("{0} {0} 1\n", run.outer_gid);
    sys::write_file(b"/proc/self/gid_map", g.as_bytes()).ctx("id-map", "/proc/self/gid_map")?;
    Ok(())
}

/// Wait for the supervisor's go (sent once init is in the run's cgroup). PDEATHSIG is set
/// first, and a dead supervisor shows as EOF here, so init never outlives it.
pub fn wait_for_supervisor(run: &mut Run) -> Result<()> {
    sys::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as _, 0, 0, 0).ctx("pdeathsig", "prctl")?;
    sys::close(run.go[1]);
    let mut b = [0u8; 1];
    match sys::read(run.go[0], &mut b) {
        Ok(1) => {}
        _ => return Err(Error::msg("sync", "the supervisor went away")),
    }
    sys::close(run.go[0]);
    Ok(())
}

/// Cgroup namespace rooted at the run's cgroup, and a session of init's own so that
/// terminal signals reach only the supervisor (which forwards them).
pub fn enter_cgroupns(_run: &mut Run) -> Result<()> {
    sys::unshare(libc::CLONE_NEWCGROUP).ctx("cgroupns", "unshare")?;
    sys::setsid().ctx("cgroupns", "setsid")
}

pub fn hostname(run: &mut Run) -> Result<()> {
    sys::sethostname(run.policy.hostname.as_bytes()).ctx("hostname", "sethostname")
}
