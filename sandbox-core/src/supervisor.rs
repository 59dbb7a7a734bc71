//! The supervisor: outside every new namespace, it never returns. It relays signals,
//! enforces wall and CPU time without polling at a fixed interval, takes violation reports,
//! then accounts, reports, removes the run's cgroup and exits with the app's status.

use crate::cgroup::RunCgroup;
use crate::process::{forwarded_set, FORWARDED};
use crate::report::{self, Report, Status};
use crate::run::{Run, EXIT_SETUP};
use crate::sys::{self, c_int};
use alloc::format;
use alloc::string::String;

/// Shortest sleep between CPU-time checks: bounds the overshoot near the limit.
const MIN_CPU_CHECK_NS: u64 = 1_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Killed {
    No,
    Wall,
    Cpu,
    Violation,
}

struct Clock {
    start: u64,
    wall_limit: Option<u64>,
    cpu_limit: Option<u64>,
    /// CPUs the tree can use at once: CPU time can grow at most this fast.
    cpus: u64,
}

impl Clock {
    /// Next instant to look again: the wall deadline, or the earliest moment the CPU budget
    /// could be spent if every allowed CPU ran flat out.
    fn next_check(&self, now: u64, cpu_used: Option<u64>) -> Option<u64> {
        let wall = self.wall_limit.map(|l| (self.start + l).saturating_sub(now));
        let cpu = match (self.cpu_limit, cpu_used) {
            (Some(l), Some(u)) => Some((l.saturating_sub(u) / self.cpus).max(MIN_CPU_CHECK_NS)),
            _ => None,
        };
        match (wall, cpu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

pub fn run(run: &mut Run, init: c_int, cg: Option<RunCgroup>) -> ! {
    // Put init into the run's cgroup before it may fork the app, then let it go.
    sys::close(run.go[0]);
    let attached = match &cg {
        Some(cg) if run.born_in_cgroup => cg.attach_v1(init),
        Some(cg) => cg.attach(init),
        None => Ok(()),
    };
    let mapped = attached.and_then(|_| if run.privileged { crate::ns::map_run_ids(run, init) } else { Ok(()) });
    if let Err(e) = mapped {
        abort_run(run, init, cg, e);
    }
    // go[1] stays open for the supervisor's whole life: init polls it to know we are alive.
    let _ = sys::write(run.go[1], b"g");
    sys::close(run.status[1]);
    sys::close(run.errors[1]);
    sys::close(run.notify[1]);

    let l = &run.policy.limits;
    let cpus = {
        let online = sys::cpus_allowed() as u64;
        l.cpus_milli.map_or(online, |m| online.min(m.div_ceil(1000)).max(1))
    };
    let clock = Clock { start: run.start, wall_limit: l.wall_time, cpu_limit: l.time, cpus };
    let cpu_used = |cg: &Option<RunCgroup>| cg.as_ref().and_then(|c| c.cpu_ns());

    let sfd = sys::signalfd(forwarded_set()).unwrap_or(-1);
    let pidfd = sys::pidfd_open(init).unwrap_or(-1);
    let tfd = sys::timerfd().unwrap_or(-1);
    if sfd < 0 || pidfd < 0 || tfd < 0 {
        let _ = sys::kill(init, libc::SIGKILL);
        run.fail(crate::Error::msg("supervisor", "signalfd/pidfd/timerfd unavailable"));
    }
    let mut listener: c_int = -1;
    let mut killed = Killed::No;
    let mut violation: Option<i32> = None;
    let arm_timer = |cg: &Option<RunCgroup>| {
        if let Some(d) = clock.next_check(sys::now_ns(), cpu_used(cg)) {
            let _ = sys::timerfd_set(tfd, d.max(1));
        }
    };
    arm_timer(&cg);

    loop {
        let mut fds = [
            libc::pollfd { fd: pidfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: tfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: run.notify[0], events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: listener, events: libc::POLLIN, revents: 0 },
        ];
        let _ = sys::poll(&mut fds, -1);
        if fds[0].revents != 0 {
            break;
        }
        if fds[1].revents != 0 {
            relay_signals(sfd, init);
        }
        if fds[2].revents != 0 {
            let mut b = [0u8; 8];
            let _ = sys::read(tfd, &mut b);
            let now = sys::now_ns();
            if clock.wall_limit.is_some_and(|w| now - clock.start >= w) {
                killed = Killed::Wall;
            } else if let (Some(lim), Some(used)) = (clock.cpu_limit, cpu_used(&cg)) {
                if used >= lim {
                    killed = Killed::Cpu;
                }
            }
            if killed != Killed::No {
                kill_tree(init, &cg);
            } else {
                arm_timer(&cg);
            }
        }
        if fds[3].revents != 0 {
            match crate::seccomp::recv_fd(run.notify[0]) {
                Ok(fd) => listener = fd,
                Err(_) => run.notify[0] = -1,
            }
        }
        if listener >= 0 && fds[4].revents != 0 {
            match crate::seccomp::recv_notif(listener) {
                Ok((_id, nr)) => {
                    // Kill first and never answer: the program stays blocked in the forbidden
                    // call until it dies, so it cannot carry on with an error code instead.
                    violation = Some(nr);
                    killed = Killed::Violation;
                    kill_tree(init, &cg);
                }
                Err(_) => {
                    sys::close(listener);
                    listener = -1;
                }
            }
        }
    }
    // SAFETY of accounting: read the cgroup before anything is removed.
    let mut ru: libc::rusage = sys::getrusage(libc::RUSAGE_SELF);
    let init_status = sys::wait4(init, libc::__WALL, Some(&mut ru)).map(|(_, s)| s).unwrap_or(0);
    let wall_ns = sys::now_ns() - clock.start;
    finish(run, cg, init_status, &ru, wall_ns, killed, violation)
}

fn relay_signals(sfd: c_int, init: c_int) {
    let mut buf = [0u8; 128 * 8];
    let n = sys::read(sfd, &mut buf).unwrap_or(0);
    for info in buf[..n].chunks_exact(128) {
        let signo = u32::from_ne_bytes(info[0..4].try_into().unwrap()) as c_int;
        if FORWARDED.contains(&signo) {
            let _ = sys::kill(init, signo);
        }
    }
}

/// Kill the whole run: the cgroup (cgroup.kill or every member) and init, whose death
/// makes the kernel kill everything left in the pid namespace.
fn kill_tree(init: c_int, cg: &Option<RunCgroup>) {
    if let Some(cg) = cg {
        cg.kill_all();
    }
    let _ = sys::kill(init, libc::SIGKILL);
}

/// Setup failed after the clone: nothing of the run may stay behind.
fn abort_run(run: &Run, init: c_int, cg: Option<RunCgroup>, e: crate::Error) -> ! {
    let _ = sys::kill(init, libc::SIGKILL);
    let _ = sys::wait4(init, libc::__WALL, None);
    if let Some(cg) = cg {
        let _ = cg.remove();
    }
    run.fail(e)
}

fn read_exact4(fd: c_int) -> Option<i32> {
    let mut b = [0u8; 4];
    match sys::read(fd, &mut b) {
        Ok(4) => Some(i32::from_ne_bytes(b)),
        _ => None,
    }
}

fn read_text(fd: c_int) -> String {
    let _ = sys::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK as usize);
    let mut b = [0u8; 1024];
    let n = sys::read(fd, &mut b).unwrap_or(0);
    String::from_utf8_lossy(&b[..n]).trim_end().into()
}

fn finish(
    run: &mut Run,
    cg: Option<RunCgroup>,
    init_status: i32,
    ru: &libc::rusage,
    wall_ns: u64,
    killed: Killed,
    violation: Option<i32>,
) -> ! {
    let app_status = read_exact4(run.status[0]).unwrap_or(init_status);
    let setup_error = read_text(run.errors[0]);
    let ru_cpu = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    let rusage_cpu = ru_cpu(ru.ru_utime) + ru_cpu(ru.ru_stime);
    let cpu_ns = cg.as_ref().and_then(|c| c.cpu_ns()).unwrap_or(rusage_cpu);
    let peak = cg.as_ref().and_then(|c| c.peak_memory());
    let oom = cg.as_ref().and_then(|c| c.oom_kills()).unwrap_or(0) > run.oom_before;
    if let Some(c) = cg {
        if let Err(e) = c.remove() {
            let _ = sys::write_all(2, format!("sandbox: {e}\n").as_bytes());
        }
    }

    let (exit_code, signal) = if libc::WIFSIGNALED(app_status) {
        (None, Some(libc::WTERMSIG(app_status)))
    } else {
        (Some(libc::WEXITSTATUS(app_status)), None)
    };
    let l = &run.policy.limits;
    let secs = |ns: u64| ns as f64 / 1e9;
    let (status, limit, message) = if !setup_error.is_empty() {
        (Status::Internal, None, setup_error.trim_start_matches("sandbox: ").into())
    } else if killed == Killed::Violation {
        let name = violation.and_then(|n| crate::seccomp::syscalls::name(n as u32)).unwrap_or("?");
        (Status::Violation, Some("seccomp"), format!("forbidden system call {name}"))
    } else if killed == Killed::Wall {
        let lim = l.wall_time.unwrap_or(0);
        (
            Status::Timeout,
            Some("wall-time"),
            format!("wall time limit exceeded ({:.3} s > {:.3} s)", secs(wall_ns), secs(lim)),
        )
    } else if killed == Killed::Cpu || signal == Some(libc::SIGXCPU) {
        let lim = l.time.unwrap_or(0);
        (Status::Timeout, Some("time"), format!("time limit exceeded ({:.3} s > {:.3} s)", secs(cpu_ns), secs(lim)))
    } else if oom && signal == Some(libc::SIGKILL) {
        (Status::Memory, Some("memory"), format!("memory limit exceeded ({} bytes)", l.memory.unwrap_or(0)))
    } else if signal == Some(libc::SIGSYS) {
        (Status::Violation, Some("seccomp"), "forbidden system call (killed by SIGSYS)".into())
    } else if let Some(s) = signal {
        (Status::Signal, None, format!("caught fatal signal {s}"))
    } else if exit_code != Some(0) {
        (Status::RuntimeError, None, format!("exited with error status {}", exit_code.unwrap_or(0)))
    } else {
        (Status::Ok, None, String::new())
    };
    let rep = Report {
        status,
        exit_code,
        signal,
        cpu_ns,
        wall_ns,
        peak_memory: peak,
        max_rss: ru.ru_maxrss as u64 * 1024,
        limit,
        syscall: violation.map(|n| String::from(crate::seccomp::syscalls::name(n as u32).unwrap_or("?"))),
        oom_killed: oom,
        message: message.clone(),
        mechs: run.mechs,
        landlock: run.landlock_note.clone(),
        workdir: run.workdir_note.clone(),
        seccomp: format!("{:?}", run.policy.seccomp).to_lowercase(),
    };
    let p = run.policy;
    for (fd, path, text) in [(run.report_fd, &p.report, rep.json()), (run.meta_fd, &p.meta, rep.meta())] {
        if fd >= 0 {
            if let Err(e) = report::write(fd, &text) {
                let path = path.as_deref().unwrap_or("");
                let m = format!("sandbox: report {path}: {}\n", crate::error::strerror(e));
                let _ = sys::write_all(2, m.as_bytes());
            }
        }
    }
    if status == Status::Internal {
        sys::exit(EXIT_SETUP);
    }
    if limit.is_some() && !p.quiet {
        let _ = sys::write_all(2, format!("sandbox: {message}\n").as_bytes());
    }
    match (exit_code, signal) {
        (_, Some(sig)) => die_by(sig),
        (Some(c), _) => sys::exit(c),
        _ => sys::exit(EXIT_SETUP),
    }
}

/// End the supervisor with the app's signal, so the shell sees a signal death too.
fn die_by(sig: c_int) -> ! {
    let _ = sys::prlimit(libc::RLIMIT_CORE as i32, 0, 0);
    let _ = sys::signal_disposition(sig, libc::SIG_DFL);
    let _ = sys::sigprocmask(libc::SIG_UNBLOCK, sys::sigbit(sig));
    let _ = sys::kill(sys::getpid(), sig);
    sys::exit(128 + sig)
}
