//! `sandbox --check`: what this host supports, what would enforce each limit, and a verdict.
//! Every probe is real (a throw-away child or a create-and-remove), never a version guess.

use sandbox_core::cgroup::{host_report_in, RunCgroup, Version};
use sandbox_core::mechanism::{self, Mech};
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
        sys::prctl_set_no_new_privs().is_ok() && sys::seccomp_set_filter(&allow, 0).is_ok()
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
    for (what, held) in sandbox_core::landlock::missing_layers(abi, policy.net) {
        println!("  landlock layer missing: {what}: {held}");
    }
    println!("clone3: {}", yes(sys::has_clone3()));
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

    let cg = host_report_in(&policy.cgroup_root);
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
    // The mechanisms come from creating a real run cgroup exactly as a run does (same code,
    // same root, every cgroup-backed limit asked for), so they cannot differ from a run's.
    let before = sys::read_file(b"/proc/self/cgroup").unwrap_or_default();
    let probe = sandbox_core::policy::Limits {
        memory: Some(64 << 20),
        pids: Some(64),
        cpus_milli: Some(1000),
        time: Some(1_000_000_000),
        ..Default::default()
    };
    let name = format!("check-{}", sys::getpid());
    let (mem, pids, cpu, cg_cpu) = match RunCgroup::create_with(&policy.cgroup_root, &name, &probe, true) {
        Ok(c) => {
            // Time is always the supervisor's: from the cgroup's CPU accounting where it has
            // one, else from /proc (supervisor.rs).
            // The same choice a run makes (mechanism.rs); a refused --cpus is "none".
            let m = mechanism::choose(&probe, Some(&c), false)
                .or_else(|_| {
                    mechanism::choose(
                        &sandbox_core::policy::Limits { cpus_milli: None, ..probe.clone() },
                        Some(&c),
                        false,
                    )
                })
                .map_or((Mech::None, Mech::None, Mech::None), |m| (m.memory, m.pids, m.cpus));
            let m = (m.0, m.1, m.2, c.cpu_ns().is_some());
            let _ = c.remove();
            m
        }
        Err(e) => {
            problems.push(format!("a run cgroup cannot be created: {e} (every run with a limit would fail)"));
            (Mech::None, Mech::None, Mech::None, false)
        }
    };
    let after = sys::read_file(b"/proc/self/cgroup").unwrap_or_default();
    if after != before {
        let own = String::from_utf8_lossy(&after);
        let own = own.lines().find(|l| l.starts_with("0::")).unwrap_or_default().trim_start_matches("0::");
        println!(
            "note: cgroup v2 allows controllers below a cgroup only when it holds no processes: the caller's \
             processes were moved to {own} (the {} leaf), where they stay",
            sandbox_core::cgroup::CALLER_LEAF
        );
    }
    let cg_name = |m: Mech| m.name();
    let is_cg = |m: Mech| matches!(m, Mech::CgroupV1 | Mech::CgroupV2);
    println!("limits would be enforced by:");
    println!(
        "  --memory     {}",
        if is_cg(mem) { cg_name(mem) } else { "supervisor (resident memory of the tree, from /proc: no cgroup)" }
    );
    println!(
        "  --pids       {}",
        if is_cg(pids) {
            cg_name(pids)
        } else if uid == 0 {
            "rlimit (RLIMIT_NPROC, per run uid)"
        } else {
            "rlimit (RLIMIT_NPROC, per user namespace)"
        }
    );
    println!("  --cpus       {}", if is_cg(cpu) { cg_name(cpu) } else { "unavailable: --cpus is refused here" });
    println!(
        "  --time       {}",
        if cg_cpu {
            "supervisor (whole tree, cgroup CPU accounting)"
        } else {
            "supervisor (whole tree, from /proc: no cgroup)"
        }
    );
    println!("  --wall-time  supervisor (timerfd)");
    println!("  --output     supervisor (relay of stdout/stderr)");
    println!("  --files --fsize --stack --address-space  rlimit");
    // The same calls a run makes (root: in the supervisor; unprivileged: a user namespace).
    match sandbox_core::workdisk::probe(uid == 0, uid, sys::getegid()) {
        Ok(()) => println!("  --disk --inodes  tmpfs (a sized copy of the work dir, synced back after the run)"),
        Err(e) => {
            println!("  --disk --inodes  unavailable ({}): refused here", sandbox_core::error::strerror(e));
            if policy.limits.disk.is_some() || policy.limits.inodes.is_some() {
                problems.push("--disk/--inodes were asked for and no tmpfs can be made for the work dir".into());
            }
        }
    }
    let mut fallbacks: Vec<&str> = Vec::new();
    if !is_cg(mem) {
        fallbacks.push("memory (the supervisor: the tree's resident memory sampled from /proc; a fast allocation can overshoot by a few MiB)");
    }
    if !is_cg(pids) {
        fallbacks.push("pids (RLIMIT_NPROC)");
    }
    if !cg_cpu {
        fallbacks.push("time (the supervisor, the tree's CPU time from /proc)");
    }
    if !is_cg(cpu) {
        fallbacks.push("cpus (refused)");
    }
    if problems.is_empty() && !fallbacks.is_empty() {
        println!("without a cgroup, limits fall back to the supervisor and rlimits:");
        println!("fallbacks: {}", fallbacks.join("; "));
        println!("to get cgroup limits, run the sandbox from a cgroup delegated to this user:");
        println!("  a service:   a systemd unit with Delegate=yes (see README, \"Hosts\")");
        println!("  by hand:     systemd-run --user --scope -p Delegate=yes sandbox ...  (as root: without --user)");
        println!("  no systemd:  as root, mkdir a cgroup, chown it and its cgroup.procs, cgroup.subtree_control,");
        println!("               cgroup.threads to the user, and start the sandbox inside it");
        println!(
            "verdict: OK: this host can run the sandbox, containment with supervisor/rlimit fallbacks (see above)"
        );
        return 0;
    }
    if problems.is_empty() {
        println!("verdict: OK: this host can run the sandbox with full containment (every limit by a cgroup)");
        0
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
        println!("verdict: NOT SAFE: the sandbox refuses to run here (see the problems above)");
        1
    }
}
