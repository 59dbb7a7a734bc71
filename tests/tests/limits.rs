//! Limits, accounting and the report, on this machine's cgroup v1 (and the
//! controller-less v2 mount for CPU accounting and kill), root and rootless fallbacks.

use sandbox_e2e::*;
use std::process::Command;

fn report(dir: &Scratch, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn secs(json: &str, key: &str) -> f64 {
    field(json, key).parse().unwrap()
}

#[test]
fn memory_limit_ends_ml_with_peak_near_the_limit() {
    let eat = cc("eat", EAT_C, &[]);
    let s = Scratch::new("mem");
    let free_before = mem_available();
    for mode in MODES {
        let o = Run::new(Who::Root, mode, s.path())
            .opt("memory", "64M")
            .opt("report", "r.json")
            .run(eat.to_str().unwrap(), &[]);
        o.killed_by(libc::SIGKILL);
        let r = report(&s, "r.json");
        assert_eq!(field(&r, "status"), "ML", "{r}");
        let peak: f64 = field(&r, "peak_memory").parse().unwrap();
        let lim = 64.0 * 1048576.0;
        assert!(peak >= lim * 0.9 && peak <= lim * 1.1, "peak {peak} not within 10% of 64M: {r}");
        assert!(field(&r, "mechanisms").contains("cgroup-v1") || r.contains("\"memory\": \"cgroup-v1\""), "{r}");
        assert!(o.stderr().contains("memory limit exceeded"), "{}", o.stderr());
        // 100 MB under 256M runs fine.
        Run::new(Who::Root, mode, s.path()).opt("memory", "256M").run(eat.to_str().unwrap(), &["100"]).ok().has("done");
    }
    // The host's memory is back (within 200 MiB of noise from other processes), once the
    // runs that servers armed ahead (E2E_VIA_SERVER=1) are gone too.
    stop_servers();
    assert!(mem_available() + (200 << 20) > free_before, "host memory did not come back");
}

fn mem_available() -> u64 {
    let m = std::fs::read_to_string("/proc/meminfo").unwrap();
    let l = m.lines().find(|l| l.starts_with("MemAvailable:")).unwrap();
    l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[test]
fn fork_and_thread_bombs_are_contained() {
    let bomb = cc(
        "forkbomb",
        r#"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void *idle(void *a) { (void)a; for (;;) pause(); }
int main(int argc, char **argv) {
    int made = 0;
    for (int i = 0; i < 5000; i++) {
        if (argc > 1 && !strcmp(argv[1], "threads")) {
            pthread_t t;
            if (pthread_create(&t, 0, idle, 0)) break;
        } else {
            pid_t p = fork();
            if (p < 0) break;
            if (p == 0) for (;;) pause();
        }
        made++;
    }
    printf("made %d\n", made);
    fflush(stdout);
    for (;;) pause();
}"#,
        &["-pthread"],
    );
    for who in BOTH {
        let s = Scratch::new(&format!("bomb-{who:?}"));
        for mode in MODES {
            for kind in ["procs", "threads"] {
                let o = Run::new(who, mode, s.path())
                    .opt("pids", "32")
                    .opt("wall-time", "1")
                    .opt("report", "r.json")
                    .run(bomb.to_str().unwrap(), &[kind]);
                let made: u32 =
                    o.stdout().trim().trim_start_matches("made ").parse().unwrap_or_else(|_| panic!("{}", o.stderr()));
                assert!(made < 32, "{who:?}/{mode:?}/{kind}: made {made} under --pids 32");
                let r = report(&s, "r.json");
                assert_eq!(field(&r, "status"), "TO", "{r}");
                // The host can still fork.
                assert!(Command::new("true").status().unwrap().success());
            }
        }
    }
}

#[test]
fn cpu_and_wall_time_limits() {
    let spin = cc("spin", SPIN_C, &[]);
    let s = Scratch::new("time");
    for mode in MODES {
        let r = Run::new(Who::Root, mode, s.path()).opt("time", "0.5").opt("report", "r.json");
        let o = r.run(spin.to_str().unwrap(), &[]);
        o.killed_by(libc::SIGKILL);
        let j = report(&s, "r.json");
        assert_eq!(field(&j, "status"), "TO", "{j}");
        let cpu = secs(&j, "cpu_time");
        assert!((0.5..=0.6).contains(&cpu), "cpu_time {cpu} not in [0.5, 0.6]: {j}");
        // Two busy children are both counted: the report's cpu_time is the whole tree's, so
        // a limit that counted one child only would end with about 1.0 s here. (Wall time is
        // not asserted: on a loaded machine it says nothing; overshoot is measured in bench/.)
        let o = r.run(spin.to_str().unwrap(), &["2"]);
        o.killed_by(libc::SIGKILL);
        let j = report(&s, "r.json");
        let cpu = secs(&j, "cpu_time");
        assert!((0.5..=0.6).contains(&cpu), "cpu {cpu}: {j}");
        let o = Run::new(Who::Root, mode, s.path())
            .opt("wall-time", "0.3")
            .opt("report", "w.json")
            .run("/bin/sleep", &["100"]);
        o.killed_by(libc::SIGKILL);
        let j = report(&s, "w.json");
        let wall = secs(&j, "wall_time");
        // Not before the limit; the upper bound only catches a limit that did not fire.
        assert!((0.3..=2.0).contains(&wall), "wall {wall}: {j}");
        assert_eq!(field(&j, "limit"), "wall-time");
    }
}

#[test]
fn files_and_fsize_rlimits() {
    let s = Scratch::new("rlim");
    let open_n = cc(
        "open_n",
        r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    for (int i = 3; i < 4096; i++) {
        if (open("/dev/null", O_RDONLY) < 0) { printf("failed at fd %d: %s\n", i, strerror(errno)); return 0; }
    }
    return 1;
}"#,
        &[],
    );
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path()).opt("files", "16").run(open_n.to_str().unwrap(), &[]);
            o.ok().has("failed at fd 16: Too many open files");
        }
    }
}

#[test]
fn the_report_and_meta_describe_the_run() {
    let s = Scratch::new("report");
    for who in BOTH {
        let s = Scratch::new(&format!("report-{who:?}"));
        let o = Run::new(who, Mode::Launcher, s.path())
            .opt("report", "r.json")
            .opt("meta", "m.txt")
            .opt("pids", "64")
            .opt("files", "64")
            .run("/bin/sh", &["-c", "exit 3"]);
        o.exit(3);
        let j = report(&s, "r.json");
        assert_eq!(field(&j, "status"), "RE");
        assert_eq!(field(&j, "exit_code"), "3");
        assert!(j.contains("\"files\": \"rlimit\""), "{j}");
        let pids = if who == Who::Root { "cgroup-v1" } else { "rlimit" };
        assert!(j.contains(&format!("\"pids\": \"{pids}\"")), "{who:?}: {j}");
        let m = report(&s, "m.txt");
        assert!(m.contains("exitcode:3\n") && m.contains("status:RE\n") && m.contains("time-wall:"), "{m}");
    }
    // A report that cannot be written is a setup error: the program never runs.
    Run::new(Who::Root, Mode::Launcher, s.path()).opt("report", "/proc/no/such/r.json").run("/bin/true", &[]).exit(125);
}

#[test]
fn rootless_limits_fall_back_and_say_so() {
    let spin = cc("spin", SPIN_C, &[]);
    let eat = cc("eat", EAT_C, &[]);
    let s = Scratch::new("rootless");
    let r = Run::new(Who::User, Mode::Launcher, s.path()).opt("time", "1").opt("report", "r.json");
    r.run(spin.to_str().unwrap(), &[]);
    let j = report(&s, "r.json");
    assert_eq!(field(&j, "status"), "TO", "{j}");
    // Without a cgroup the supervisor enforces both from /proc (limits_superv.rs has more).
    assert!(j.contains("\"time\": \"supervisor\""), "{j}");
    let o = Run::new(Who::User, Mode::Launcher, s.path())
        .opt("memory", "64M")
        .opt("report", "r.json")
        .run(eat.to_str().unwrap(), &["200"]);
    o.killed_by(libc::SIGKILL);
    assert!(report(&s, "r.json").contains("\"memory\": \"supervisor\""));
    // --cpus has no per-process substitute: refused, never silently unbounded.
    Run::new(Who::User, Mode::Launcher, s.path()).opt("cpus", "0.5").run("/bin/true", &[]).exit(125);
}

#[test]
fn many_runs_leave_no_cgroup_or_process() {
    let spin = cc("spin", SPIN_C, &[]);
    let s = Scratch::new("many");
    for i in 0..200 {
        let r = Run::new(Who::Root, MODES[i % 3], s.path()).opt("pids", "16").opt("memory", "32M");
        match i % 4 {
            0 => {
                r.run("/bin/true", &[]).ok();
            }
            1 => {
                r.opt("time", "0.05").run(spin.to_str().unwrap(), &[]);
            }
            2 => {
                r.opt("bind", "/nonexistent").run("/bin/true", &[]).exit(125);
            }
            _ => {
                let mut c = r.command(spin.to_str().unwrap(), &[]).spawn().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(20));
                c.kill().unwrap();
                c.wait().unwrap();
            }
        }
    }
    // Through servers (E2E_VIA_SERVER=1), their runs armed ahead are theirs until they stop.
    stop_servers();
    // A leaf is left behind when the supervisor it is named after (run-<pid>-…) is gone: one
    // of a run still going (another test's, alongside) is not.
    let leaked = || -> Vec<String> {
        let o = Command::new("sh")
            .args(["-c", "find /sys/fs/cgroup -type d -path '*sandbox/run-*' 2>/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| {
                let name = l.rsplit('/').next().unwrap_or("");
                let pid = name.split('-').nth(1).unwrap_or("");
                !std::path::Path::new(&format!("/proc/{pid}")).exists()
            })
            .map(String::from)
            .collect()
    };
    assert!(eventually(2000, || leaked().is_empty()), "cgroups left: {:?}", leaked());
    assert!(
        eventually(2000, || {
            let o = Command::new("pgrep").args(["-f", spin.to_str().unwrap()]).output().unwrap();
            o.stdout.is_empty()
        }),
        "spinners left"
    );
}

/// The seeds' flow: the caller prepares a cgroup, bare mode writes the limits there, puts the
/// run in it, and leaves the directory to its owner.
#[test]
fn bare_mode_uses_a_prepared_cgroup_dir() {
    let prepared = Prepared::new(format!("/sys/fs/cgroup/pids/sandbox-e2e-prepared-{}", std::process::id()));
    let dir = prepared.0.clone();
    let s = Scratch::new("prepared");
    for mode in [Mode::Bare, Mode::Audit] {
        let o = Run::new(Who::Root, mode, s.path()).opt("cgroup-dir", &dir).opt("pids", "8").run(
            "/bin/sh",
            // Each child lives 3 s, so that all ten overlap even on a loaded machine (with
            // 1 s, a fork bomb test alongside once slowed the loop enough for them not to).
            &["-c", "echo $SANDBOX_CGROUP_DIR; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & done 2>&1 | head -1"],
        );
        o.has(&dir);
        // The failed fork is the loop's (its error goes down the pipe to stdout) or, if the
        // cgroup is fuller, the pipeline's own (sh's stderr): either is the limit at work.
        let both = o.stdout() + &o.stderr();
        assert!(
            both.contains("fork") || both.contains("Resource"),
            "{mode:?}: 10 children under pids 8\nstdout: {}\nstderr: {}",
            o.stdout(),
            o.stderr()
        );
        assert_eq!(std::fs::read_to_string(format!("{dir}/pids.max")).unwrap().trim(), "8");
        assert!(std::path::Path::new(&dir).exists(), "the caller's cgroup must not be removed");
    }
    assert!(eventually(8000, || std::fs::read_to_string(format!("{dir}/cgroup.procs")).unwrap().is_empty()));
}

/// The caller's own cgroup directory for a test, removed at the end whether or not the test
/// passed (once it waited for the processes in it to end: a failed run may leave sleepers).
struct Prepared(String);
impl Prepared {
    fn new(dir: String) -> Prepared {
        std::fs::create_dir(&dir).unwrap();
        Prepared(dir)
    }
}
impl Drop for Prepared {
    fn drop(&mut self) {
        let procs = format!("{}/cgroup.procs", self.0);
        eventually(8000, || std::fs::read_to_string(&procs).map(|p| p.is_empty()).unwrap_or(true));
        if let Err(e) = std::fs::remove_dir(&self.0) {
            eprintln!("could not remove {}: {e}", self.0);
        }
    }
}
