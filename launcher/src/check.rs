//! `sandbox --check`: what this host supports, what would enforce each limit, and a verdict.
//! Every probe is real (a throw-away child or a create-and-remove), never a version guess.

use sandbox_core::cgroup::{host_report, Version};
use sandbox_core::sys;
use sandbox_core::Policy;

/// Run `f` in a fork-like child with the given clone flags; Ok when it exits 0.
fn in_child(flags: u64, f: impl FnOnce() -> bool) -> Result<(), i32> {
    match sys::clone_fork(flags) {
        Ok(0) => sys::exit(if f() { 0 } else { 1 }),
        Ok(pid) => match sys::wait4(pid, 0, None) {
            Ok((_, st)) if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 => Ok(()),
            Ok(_) => Err(libc::EPERM),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

fn err_text(r: &Result<(), i32>) -> String {
    match r {
        Ok(()) => "yes".into(),
        Err(e) => format!("no ({})", sandbox_core::error::strerror(*e)),
    }
}

pub fn run(policy: &Policy) -> i32 {
    let mut problems: Vec<String> = Vec::new();
    let uid = sys::geteuid();
    println!("sandbox --check (running as uid {uid}{})", if uid == 0 { ", root mode" } else { ", unprivileged mode" });

    let ns = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWCGROUP;
    let userns = in_child(ns as u64, || true);
    println!("user namespaces (with mount/pid/net/ipc/uts/cgroup): {}", err_text(&userns));
    if userns.is_err() {
        problems.push("namespaces cannot be created: the sandbox cannot run here".into());
    }
    let seccomp = in_child(0, || {
        let allow = [libc::sock_filter { code: 0x06, jt: 0, jf: 0, k: libc::SECCOMP_RET_ALLOW }];
        sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0).is_ok() && sys::seccomp_set_filter(&allow, 0).is_ok()
    });
    println!("seccomp filters: {}", err_text(&seccomp));
    if seccomp.is_err() {
        problems.push("seccomp is unavailable: the system-call filter cannot be installed".into());
    }
    let tree = sys::open_tree(sys::AT_FDCWD, b"/", 0);
    if let Ok(fd) = tree {
        sys::close(fd);
    }
    println!("new mount API (open_tree, mount_setattr): {}", err_text(&tree.map(drop)));
    if tree.is_err() {
        problems.push("the new mount API (Linux 5.12+) is required for the filesystem jail".into());
    }
    let abi = sandbox_core::landlock::abi();
    println!(
        "landlock: {}",
        if abi > 0 { format!("ABI {abi}") } else { "unavailable (the second layer is skipped)".into() }
    );
    if abi == 0 && policy.landlock == sandbox_core::policy::Landlock::On {
        problems.push("--landlock on was asked for and the kernel has none".into());
    }
    let clone3 = sys::probe(libc::SYS_clone3, 0);
    println!("clone3: {}", yes(clone3 != Err(libc::ENOSYS)));
    let pidfd = sys::pidfd_open(sys::getpid());
    if let Ok(fd) = pidfd {
        sys::close(fd);
    }
    println!("pidfd_open: {}", yes(pidfd.is_ok()));
    if pidfd.is_err() {
        problems.push("pidfd_open (Linux 5.3+) is required by the supervisor".into());
    }
    let tiocsti = sys::read_file(b"/proc/sys/dev/tty/legacy_tiocsti").ok();
    let legacy = tiocsti.as_deref().map(|v| v.starts_with(b"1"));
    println!(
        "legacy TIOCSTI: {}",
        match legacy {
            Some(true) => "enabled (blocked for the program by setsid and the seccomp filter)",
            Some(false) => "disabled by the kernel",
            None => "unknown (blocked by setsid and the seccomp filter anyway)",
        }
    );

    let cg = host_report();
    let usable = |ctl: &str| -> Option<Version> {
        cg.hierarchies.iter().find(|h| h.can_create && h.controllers.iter().any(|c| c == ctl)).map(|h| h.version)
    };
    println!("cgroups:");
    for h in &cg.hierarchies {
        let ver = if h.version == Version::V2 { "v2" } else { "v1" };
        let ctls = if h.controllers.is_empty() { "no controllers".to_string() } else { h.controllers.join(",") };
        let create = if h.can_create {
            "can create run cgroups".to_string()
        } else {
            format!("cannot create ({})", sandbox_core::error::strerror(h.errno))
        };
        let extra = match h.version {
            Version::V2 => format!(", cgroup.kill {}, memory.peak {}", yes(h.cgroup_kill), yes(h.memory_peak)),
            Version::V1 => String::new(),
        };
        println!("  {ver} {}: {ctls}; {create}{extra}", h.mount_point);
    }
    let v2_leaf = cg.hierarchies.iter().any(|h| h.version == Version::V2 && h.can_create);
    let name = |v: Option<Version>| match v {
        Some(Version::V1) => "cgroup-v1",
        Some(Version::V2) => "cgroup-v2",
        None => "",
    };
    let mem = usable("memory");
    let pids = usable("pids");
    let cpu = usable("cpu");
    let acct = v2_leaf || usable("cpuacct").is_some();
    println!("limits would be enforced by:");
    println!(
        "  --memory     {}",
        if mem.is_some() { name(mem) } else { "supervisor (resident memory of the tree, from /proc: no cgroup)" }
    );
    println!(
        "  --pids       {}",
        if pids.is_some() {
            name(pids)
        } else {
            if uid == 0 {
                "rlimit (RLIMIT_NPROC, per run uid)"
            } else {
                "rlimit (RLIMIT_NPROC, per user namespace)"
            }
        }
    );
    println!("  --cpus       {}", if cpu.is_some() { name(cpu) } else { "unavailable: --cpus is refused here" });
    println!(
        "  --time       {}",
        if acct {
            "supervisor (whole tree, cgroup CPU accounting)"
        } else {
            "supervisor (whole tree, from /proc: no cgroup)"
        }
    );
    println!("  --wall-time  supervisor (timerfd)");
    println!("  --output     supervisor (relay of stdout/stderr)");
    println!("  --files --fsize --stack --address-space  rlimit");
    if uid != 0 && mem.is_none() {
        println!(
            "note: unprivileged without a delegated cgroup: limits fall back to the supervisor and rlimits, as listed;"
        );
        println!("      delegate one with e.g. `systemd-run --user --scope -p Delegate=yes sandbox ...`.");
    }
    if problems.is_empty() {
        println!("verdict: OK: this host can run the sandbox with full containment");
        0
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
        println!("verdict: NOT SAFE: the sandbox refuses to run here (see the problems above)");
        1
    }
}
