//! Namespaces: which ones a run gets, the clone that creates them, and the uid/gid maps.

use crate::error::{Ctx, Error, Result};
use crate::policy::Net;
use crate::run::{Init, Run, Setup, Supervisor};
use crate::sys::{self, c_int};
use alloc::format;

/// Which side of the clone we are on.
pub enum Side {
    Parent(i32),
    Child,
}

/// Namespace flags for the init process. The cgroup namespace is entered later, by init
/// itself, once the supervisor has put it into the run's cgroup: the namespace root then
/// is the run's own cgroup.
pub fn flags(run: &Run<Setup>) -> u64 {
    let mut f = libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
    if run.policy.net != Net::Host {
        f |= libc::CLONE_NEWNET;
    }
    // Always a user namespace: it is what lets an ordinary user create the others, and for
    // root it confines init's setup privileges to the run (and makes the network namespace
    // about 2 ms cheaper to create on this kernel than one owned by the host's root).
    (f | libc::CLONE_NEWUSER) as u64
}

/// Clone init (pid 1 of the new pid namespace) with every namespace at once.
pub fn clone_init(run: &mut Run<Setup>) -> Result<Side> {
    let flags = flags(run);
    let mut r = Err(libc::ENOSYS);
    // Closed on both sides once cloned.
    if let Some(cg) = run.s.cg_fd.take() {
        // Born in the run's v2 leaf; any refusal (old kernel, no clone3) falls back below.
        r = sys::clone3_into_cgroup(flags, cg.raw());
        run.s.born_in_cgroup = r.is_ok();
    }
    if r.is_err() {
        r = sys::clone_fork(flags);
    }
    match r {
        Ok(0) => Ok(Side::Child),
        Ok(pid) => {
            if run.s.idmap_child > 0 {
                let _ = sys::wait4(run.s.idmap_child, 0, None);
            }
            Ok(Side::Parent(pid))
        }
        Err(libc::EINVAL) => Err(Error::new(
            "namespaces",
            "clone: a user namespace cannot be created by a multi-threaded process",
            libc::EINVAL,
        )),
        Err(e) => Err(Error::new("namespaces", "clone", e)),
    }
}

/// Root mode, in the supervisor: map the run's uid/gid 1:1 into init's user namespace
/// (root outside is never mapped inside).
pub fn map_run_ids(run: &mut Run<Supervisor>) -> Result<()> {
    if !run.ids.privileged {
        return Ok(());
    }
    let init = run.s.init;
    let m = format!("{0} {0} 1\n", run.ids.app_uid);
    let g = format!("{0} {0} 1\n", run.ids.app_gid);
    sys::write_file(format!("/proc/{init}/uid_map").as_bytes(), m.as_bytes()).ctx("run-id-map", "uid_map of init")?;
    sys::write_file(format!("/proc/{init}/gid_map").as_bytes(), g.as_bytes()).ctx("run-id-map", "gid_map of init")
}

/// Root mode, in the supervisor: a user namespace whose maps send the caller's uid/gid (the
/// on-disk owner of what the caller made) to the run's, for idmapped mounts (see
/// fs::own_sources). A short-lived child creates it and only waits; the supervisor writes
/// its maps, opens /proc/<pid>/ns/user and kills it, so no process ever runs in it and the
/// program is handed nothing but the mapping itself.
pub fn idmap_userns(run: &mut Run<Setup>) -> Result<c_int> {
    let [r, w] = sys::pipe2(libc::O_CLOEXEC).ctx("idmap", "pipe")?;
    let pid = match sys::clone_fork(libc::CLONE_NEWUSER as u64) {
        Ok(0) => {
            // Until EOF: the supervisor closes its end, or dies.
            sys::close(w);
            let mut b = [0u8; 1];
            let _ = sys::read(r, &mut b);
            sys::exit(0)
        }
        Ok(pid) => pid,
        Err(e) => {
            sys::close(r);
            sys::close(w);
            return Err(Error::new("idmap", "clone a user namespace", e));
        }
    };
    sys::close(r);
    let map = |file: &str, from: u32, to: u32| {
        sys::write_file(format!("/proc/{pid}/{file}").as_bytes(), format!("{from} {to} 1\n").as_bytes())
            .ctx("idmap", file)
    };
    let fd = map("uid_map", run.ids.outer_uid, run.ids.app_uid)
        .and_then(|_| map("gid_map", run.ids.outer_gid, run.ids.app_gid))
        .and_then(|_| {
            sys::open(format!("/proc/{pid}/ns/user").as_bytes(), libc::O_RDONLY).ctx("idmap", "open ns/user")
        });
    sys::close(w);
    let _ = sys::kill(pid, libc::SIGKILL);
    // Reaped after init is cloned (see clone_init): waiting here for a killed child to be
    // scheduled cost up to tens of ms on a loaded machine, and the time is better overlapped.
    run.s.idmap_child = pid;
    fd
}

/// Unprivileged mode, in init: map the caller's uid/gid to themselves (never to root), and
/// deny setgroups so the supplementary groups cannot be dropped to escape a negative ACL.
pub fn map_ids(run: &mut Run<Init>) -> Result<()> {
    if run.ids.privileged {
        return Ok(());
    }
    sys::write_file(b"/proc/self/setgroups", b"deny").ctx("id-map", "/proc/self/setgroups")?;
    let u = format!("{0} {0} 1\n", run.ids.outer_uid);
    sys::write_file(b"/proc/self/uid_map", u.as_bytes()).ctx("id-map", "/proc/self/uid_map")?;
    let g = format!("{0} {0} 1\n", run.ids.outer_gid);
    sys::write_file(b"/proc/self/gid_map", g.as_bytes()).ctx("id-map", "/proc/self/gid_map")?;
    Ok(())
}

/// Die with the supervisor: PDEATHSIG, then a check that it is still there (it holds the
/// write end of `go` open for its whole life), which closes the race where it died first.
fn die_with_supervisor(run: &Run<Init>) -> Result<()> {
    sys::prctl_set_pdeathsig(libc::SIGKILL).ctx("pdeathsig", "prctl")?;
    if !run.s.chan.supervisor_alive() {
        return Err(Error::msg("sync", "the supervisor went away"));
    }
    Ok(())
}

/// Wait for the supervisor's go, sent once init is in the run's cgroup and mapped.
pub fn wait_for_supervisor(run: &mut Run<Init>) -> Result<()> {
    die_with_supervisor(run)?;
    if !run.s.chan.wait_go() {
        return Err(Error::msg("sync", "the supervisor went away"));
    }
    Ok(())
}

/// Root mode: init itself becomes the run's uid inside its user namespace, keeping its
/// capabilities there (uid 0 is unmapped, so the kernel sees no root to drop), so that
/// everything it creates belongs to the run, never to the host's root.
pub fn become_run_user(run: &mut Run<Init>) -> Result<()> {
    if run.ids.privileged {
        sys::setresgid(run.ids.app_gid).ctx("run-user", "setresgid")?;
        sys::setresuid(run.ids.app_uid).ctx("run-user", "setresuid")?;
        // A credential change clears the parent-death signal: set it again.
        die_with_supervisor(run)?;
    }
    run.s.chan.close_go();
    Ok(())
}

/// Cgroup namespace rooted at the run's cgroup (init is in it by now).
pub fn enter_cgroupns(_run: &mut Run<Init>) -> Result<()> {
    sys::unshare(libc::CLONE_NEWCGROUP).ctx("cgroupns", "unshare")
}

pub fn hostname(run: &mut Run<Init>) -> Result<()> {
    sys::sethostname(run.policy.hostname.as_bytes()).ctx("hostname", "sethostname")
}
