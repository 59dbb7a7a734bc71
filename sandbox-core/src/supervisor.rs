//! The supervisor: outside every new namespace, it never returns. It relays signals,
//! enforces wall and CPU time without polling at a fixed interval, enforces memory where no
//! cgroup can (from /proc, see `tree`), relays output under `--output`, takes violation
//! reports, then accounts, reports, removes the run's cgroup and exits with the app's status.

use crate::cgroup::RunCgroup;
use crate::error::EXIT_SETUP;
use crate::process::{forwarded_set, FORWARDED};
use crate::report::{self, Report, Status};
use crate::run::{Run, Supervisor};
use crate::sys::{self, c_int};
use alloc::format;
use alloc::string::String;

/// Shortest sleep between CPU-time checks: bounds the overshoot near the limit.
const MIN_CPU_CHECK_NS: u64 = 1_000_000;
/// Fastest the tree's resident memory can grow, per CPU, in bytes per ns (4 GB/s: page
/// faults of freshly touched memory run well below that here, ~0.6 GB/s per CPU for the
/// c-tests memory bomb; THP-backed memset reaches a few GB/s).
const MEM_BYTES_PER_NS: u64 = 4;
/// Memory checks (supervisor mechanism only): at least this often near the limit, and at
/// most this rarely far from it.
const MIN_MEM_CHECK_NS: u64 = 1_000_000;
const MAX_MEM_CHECK_NS: u64 = 50_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Killed {
    No,
    Wall,
    Cpu,
    Violation,
    Output,
    Memory,
}

/// How the run ended, as far as the supervisor knows.
struct Verdict {
    killed: Killed,
    violation: Option<i32>,
    /// The largest memory sample (supervisor mechanism only).
    peak: Option<u64>,
    /// The tree's CPU time by /proc, when sampled: init's rusage misses the processes the
    /// kernel kills with the pid namespace.
    tree_cpu: u64,
    /// The app's wait status, when init sent it before exiting.
    app_status: Option<i32>,
    /// A setup error of init or the app, when already read (at an early reply).
    setup_error: Option<String>,
}

struct Clock {
    start: u64,
    wall_limit: Option<u64>,
    cpu_limit: Option<u64>,
    /// CPUs the tree can use at once: CPU time can grow at most this fast.
    cpus: u64,
    /// The memory limit when the supervisor enforces it.
    mem_limit: Option<u64>,
}

impl Clock {
    /// Next instant to look again: the wall deadline, or the earliest moment the CPU budget
    /// could be spent if every allowed CPU ran flat out.
    /// The same for memory: the earliest moment the tree could fill its headroom at the
    /// fastest fault rate.
    fn next_check(&self, now: u64, cpu_used: Option<u64>, mem_used: u64) -> Option<u64> {
        let wall = self.wall_limit.map(|l| (self.start + l).saturating_sub(now));
        let cpu = match (self.cpu_limit, cpu_used) {
            (Some(l), Some(u)) => Some((l.saturating_sub(u) / self.cpus).max(MIN_CPU_CHECK_NS)),
            _ => None,
        };
        let mem = self.mem_limit.map(|l| {
            (l.saturating_sub(mem_used) / (MEM_BYTES_PER_NS * self.cpus)).clamp(MIN_MEM_CHECK_NS, MAX_MEM_CHECK_NS)
        });
        [wall, cpu, mem].into_iter().flatten().min()
    }
}

/// Put init into the run's cgroup before it may fork the app (v2 leaf: it was born there).
pub fn attach(run: &mut Run<Supervisor>) -> crate::Result<()> {
    let s = &run.s;
    match &s.cg {
        Some(cg) if s.born_in_cgroup => cg.attach_v1(s.init),
        Some(cg) => cg.attach(s.init),
        None => Ok(()),
    }
}

/// Let init go (it is in the cgroup and mapped by now).
pub fn go(run: &mut Run<Supervisor>) -> crate::Result<()> {
    // A reader that went away (of the relay, or of our stderr) is an EPIPE to handle, never
    // the supervisor's death before the report. Only here: init and the app keep theirs.
    let _ = sys::signal_disposition(libc::SIGPIPE, sys::Disposition::Ignore);
    run.s.chan.go().map_err(|e| crate::Error::new("go", "write", e))
}

/// The fds the supervisor waits on: the signals it relays, init's exit, its timer.
pub struct Watch {
    sfd: c_int,
    pidfd: c_int,
    tfd: c_int,
}

pub fn watch(run: &mut Run<Supervisor>) -> crate::Result<Watch> {
    let sfd = sys::signalfd(forwarded_set()).map_err(|e| crate::Error::new("supervise", "signalfd", e))?;
    let pidfd = sys::pidfd_open(run.s.init).map_err(|e| crate::Error::new("supervise", "pidfd_open", e))?;
    let tfd = sys::timerfd().map_err(|e| crate::Error::new("supervise", "timerfd", e))?;
    Ok(Watch { sfd, pidfd, tfd })
}

/// Supervise until init exits, then account, report and exit with the app's status.
pub fn run(mut run: Run<Supervisor>, w: Watch) -> ! {
    let init = run.s.init;
    let cg = run.s.cg.take();
    let Watch { sfd, pidfd, tfd } = w;

    let l = &run.policy.limits;
    let cpus = {
        let online = sys::cpus_allowed() as u64;
        l.cpus_milli.map_or(online, |m| online.min(m.div_ceil(1000)).max(1))
    };
    // Without a cgroup that counts tree CPU time (or memory), the supervisor samples the
    // tree from /proc on the same timer.
    let cg_cpu = cg.as_ref().is_some_and(|c| c.cpu_ns().is_some());
    let mem_limit = if run.s.mechs.memory == crate::mechanism::Mech::Supervisor { l.memory } else { None };
    let sample_tree = (l.time.is_some() && !cg_cpu) || mem_limit.is_some();
    let clock = Clock { start: run.start(), wall_limit: l.wall_time, cpu_limit: l.time, cpus, mem_limit };
    // Samples only grow (a process reaped between two reads can be missed once).
    let (mut tree_cpu, mut mem_now, mut peak): (u64, u64, Option<u64>) = (0, 0, None);
    let cpu_used = |cg: &Option<RunCgroup>, tree_cpu: u64| {
        if cg_cpu {
            cg.as_ref().and_then(|c| c.cpu_ns())
        } else {
            sample_tree.then_some(tree_cpu)
        }
    };

    let mut relay = crate::output::Relay::start(core::mem::take(&mut run.s.output), l.output);
    let mut listener: Option<sys::Fd> = None;
    let mut killed = Killed::No;
    let mut violation: Option<i32> = None;
    // Once init has sent the app's status, the app ended in time: a timer that fires before
    // init is reaped no longer turns that into a limit.
    let (mut ended, mut status_open) = (None::<(i32, bool)>, true);
    let mut setup_error = None;
    let status_fd = run.s.chan.status_fd();
    let arm_timer = |cg: &Option<RunCgroup>, tree_cpu: u64, mem: u64| {
        if let Some(d) = clock.next_check(sys::now_ns(), cpu_used(cg, tree_cpu), mem) {
            let _ = sys::timerfd_set(tfd, d.max(1));
        }
    };
    arm_timer(&cg, 0, 0);

    loop {
        let out = relay.pollfds();
        let mut fds = [
            libc::pollfd { fd: pidfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: tfd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: run.s.chan.listener_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: listener.as_ref().map_or(-1, sys::Fd::raw), events: libc::POLLIN, revents: 0 },
            out[0],
            out[1],
            libc::pollfd { fd: if status_open { status_fd } else { -1 }, events: libc::POLLIN, revents: 0 },
        ];
        let _ = sys::poll(&mut fds, -1);
        if killed == Killed::No && relay.pump(&fds[5..7]) {
            killed = Killed::Output;
            kill_tree(init, &cg);
        }
        if fds[7].revents != 0 {
            status_open = false;
            ended = run.s.chan.wait_status();
            if let Some((status, all_gone)) = ended {
                setup_error = reply_early(&mut run, status, all_gone, killed);
            }
        }
        if fds[0].revents != 0 {
            break;
        }
        if fds[1].revents != 0 {
            relay_signals(sfd, init);
        }
        if fds[2].revents != 0 {
            let mut b = [0u8; 8];
            let _ = sys::read(tfd, &mut b);
            if ended.is_some() {
                // Nothing left to time.
            } else if sample_tree {
                let t = crate::tree::sample(init);
                tree_cpu = tree_cpu.max(t.cpu_ns);
                if let Some(lim) = mem_limit {
                    mem_now = t.memory(lim);
                    peak = Some(peak.unwrap_or(0).max(mem_now));
                }
            }
            let now = sys::now_ns();
            if clock.wall_limit.is_some_and(|w| now - clock.start >= w) {
                killed = Killed::Wall;
            } else if let (Some(lim), Some(used)) = (clock.cpu_limit, cpu_used(&cg, tree_cpu)) {
                if used >= lim {
                    killed = Killed::Cpu;
                }
            }
            if killed == Killed::No && mem_limit.is_some_and(|lim| mem_now > lim) {
                killed = Killed::Memory;
            }
            if killed != Killed::No {
                kill_tree(init, &cg);
            } else {
                arm_timer(&cg, tree_cpu, mem_now);
            }
        }
        if fds[3].revents != 0 {
            if let Some(fd) = run.s.chan.recv_listener() {
                listener = Some(fd);
            }
        }
        if let (Some(l), true) = (&listener, fds[4].revents != 0) {
            match crate::seccomp::recv_notif(l.raw()) {
                Ok((_id, nr)) => {
                    // Kill first and never answer: the program stays blocked in the forbidden
                    // call until it dies, so it cannot carry on with an error code instead.
                    violation = Some(nr);
                    killed = Killed::Violation;
                    kill_tree(init, &cg);
                }
                Err(_) => listener = None,
            }
        }
    }
    // SAFETY of accounting: read the cgroup before anything is removed.
    let mut ru: libc::rusage = sys::getrusage(libc::RUSAGE_SELF);
    let init_status = sys::wait4(init, libc::__WALL, Some(&mut ru)).map(|(_, s)| s).unwrap_or(0);
    let wall_ns = sys::now_ns() - clock.start;
    // Everything written under the limit reaches the caller before the report and before
    // any message of ours.
    relay.drain();
    if relay.exceeded && killed == Killed::No {
        killed = Killed::Output;
    }
    crate::workdisk_step::sync_back(&mut run);
    let app_status = ended.map(|(s, _)| s);
    finish(
        &mut run,
        cg,
        init_status,
        &ru,
        wall_ns,
        Verdict { killed, violation, peak, tree_cpu, app_status, setup_error },
    )
}

/// A server's run: tell the server the app's exit status as soon as it is final, so that
/// the client's reply waits for none of the teardown (init's exit with the mount and pid
/// namespaces, the cgroups' removal, the supervisor's own exit). Only when nothing after
/// this can change the outcome or what the client sees: every process of the run is gone,
/// the app exited (a signal could still turn out to be the memory limit's), no limit was
/// hit, no setup error, and no report file, --output relay or --disk copy-back is still to
/// come. The status is the one the supervisor exits with later (`finish`). Returns the
/// setup error when it read it (it can be read once).
fn reply_early(run: &mut Run<Supervisor>, status: i32, all_gone: bool, killed: Killed) -> Option<String> {
    let fd = run.s.reply?;
    let (p, r) = (run.policy, &run.s.reports);
    let after = p.limits.output.is_some() || run.s.disk.active() || r.report.is_some() || r.meta.is_some();
    if !all_gone || killed != Killed::No || !libc::WIFEXITED(status) || after {
        return None;
    }
    let setup_error = run.s.chan.read_error();
    if setup_error.is_empty() {
        if p.verbose {
            let _ = sys::write_all(2, b"sandbox: exit status sent to the server before the teardown\n");
        }
        let mut m = [REPLY_STATUS, 0, 0, 0, 0];
        m[1..].copy_from_slice(&status.to_le_bytes());
        let _ = sys::send_with_fds(fd, &m, &[]);
    }
    Some(setup_error)
}

/// The early reply's message on the server's socket: this byte, then the wait status (i32,
/// little-endian).
pub const REPLY_STATUS: u8 = b'S';

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

fn finish(
    run: &mut Run<Supervisor>,
    cg: Option<RunCgroup>,
    init_status: i32,
    ru: &libc::rusage,
    wall_ns: u64,
    v: Verdict,
) -> ! {
    let (killed, violation) = (v.killed, v.violation);
    let app_status = v.app_status.or_else(|| run.s.chan.wait_status().map(|(s, _)| s)).unwrap_or(init_status);
    let setup_error = v.setup_error.unwrap_or_else(|| run.s.chan.read_error());
    let ru_cpu = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    let rusage_cpu = ru_cpu(ru.ru_utime) + ru_cpu(ru.ru_stime);
    let cpu_ns = cg.as_ref().and_then(|c| c.cpu_ns()).unwrap_or(rusage_cpu.max(v.tree_cpu));
    // Without a cgroup the peak is sampled, and a burst after the last sample is missed;
    // the largest single process's own peak (rusage of the reaped tree) is a sure floor.
    let ru_peak = ru.ru_maxrss as u64 * 1024;
    let peak = cg.as_ref().and_then(|c| c.peak_memory()).or(v.peak.map(|p| p.max(ru_peak)));
    let oom = cg.as_ref().and_then(|c| c.oom_kills()).unwrap_or(0) > run.s.oom_before;
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
    } else if killed == Killed::Output {
        let lim = l.output.unwrap_or(0);
        (Status::Output, Some("output"), format!("output limit exceeded (more than {lim} bytes to stdout/stderr)"))
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
    } else if killed == Killed::Memory || (oom && signal == Some(libc::SIGKILL)) {
        (Status::Memory, Some("memory"), format!("memory limit exceeded ({} bytes)", l.memory.unwrap_or(0)))
    } else if signal == Some(libc::SIGXFSZ) && l.fsize.is_some() {
        // RLIMIT_FSIZE ended it: the closest verdict is an output limit (isolate reports the
        // same SIGXFSZ death as SG; our meta does too, with this message).
        (Status::Output, Some("fsize"), format!("file size limit exceeded ({} bytes)", l.fsize.unwrap_or(0)))
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
        mechs: run.s.mechs,
        landlock: run.s.landlock_note.clone(),
        workdir: run.s.workdir_note.clone(),
        seccomp: format!("{:?}", run.policy.seccomp).to_lowercase(),
    };
    let p = run.policy;
    let files = &mut run.s.reports;
    for (fd, path, text) in [(files.report.take(), &p.report, rep.json()), (files.meta.take(), &p.meta, rep.meta())] {
        if let Some(fd) = fd {
            if let Err(e) = report::write(fd.into_raw(), &text) {
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
        (_, Some(sig)) => crate::process::die_by(sig),
        (Some(c), _) => sys::exit(c),
        _ => sys::exit(EXIT_SETUP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(mem: Option<u64>) -> Clock {
        Clock { start: 0, wall_limit: Some(10_000_000_000), cpu_limit: Some(2_000_000_000), cpus: 2, mem_limit: mem }
    }

    #[test]
    fn checks_come_when_a_limit_could_first_be_reached() {
        // CPU: 1.5 s of budget left on 2 CPUs: 0.75 s; the wall deadline is later.
        assert_eq!(clock(None).next_check(0, Some(500_000_000), 0), Some(750_000_000));
        // Memory far from the limit: at most 50 ms; near it: every 1 ms.
        assert_eq!(clock(Some(1 << 30)).next_check(0, Some(0), 0), Some(MAX_MEM_CHECK_NS));
        assert_eq!(clock(Some(64 << 20)).next_check(0, Some(0), (64 << 20) - 4096), Some(MIN_MEM_CHECK_NS));
        // 64 MiB of headroom at 4 B/ns on 2 CPUs: 8.4 ms.
        assert_eq!(clock(Some(128 << 20)).next_check(0, Some(0), 64 << 20), Some((64 << 20) / 8));
        // Past the wall deadline: now.
        assert_eq!(clock(None).next_check(11_000_000_000, None, 0), Some(0));
    }
}
