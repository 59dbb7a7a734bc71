//! Nothing is left behind when a run's processes are slow to exit, and not even when the caller
//! kills the sandbox's process group (a common judge habit).
//!
//! The program runs as four processes. Each writes a dirty file into the work dir, unlinks it
//! while it is still open, and touches anonymous memory. The main process exits and the
//! others are killed at the end of the run. So the kernel frees gigabytes of page cache and
//! memory inside exit, while busy processes (3 per CPU) load every CPU. The sandbox runs as
//! its own process group. After each run the test kills that group with SIGKILL, as a judge
//! does. In runs 2, 3, 6, 7, ... the test kills the group as soon as the program says it is
//! exiting, while the supervisor still waits for the tree, so the cleaner (cleaner.rs) must
//! finish the job. Launcher and LD_PRELOAD runs alternate. Each run must leave none of its
//! cgroup leaves (memory, pids, unified; the test checks they existed while it ran) and no
//! process with its per-run uid.
//!
//! SLOWEXIT_RUNS (default 4, about 40 s here) sets the number of runs. SLOWEXIT_MIB (default
//! 1024) is the file total, SLOWEXIT_ANON_MIB (default 2048) the memory total, and
//! SLOWEXIT_BUSY the number of busy processes. The issue asks for 50 runs in a row:
//! `SLOWEXIT_RUNS=50 cargo test --release -p sandbox-e2e --test slowexit -- --nocapture`.
//! On this machine these exits did not outlast the old 2 s EBUSY bound, not even with disk
//! load. `cgroup::tests::rmdir_waits_for_a_slow_tree` makes a tree that does, and checks the
//! wait deterministically.

use sandbox_e2e::*;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROG: &str = r#"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* argv[1]: MiB of file, argv[2]: MiB of anonymous memory, both split over 4 processes. */
int main(int argc, char **argv) {
    long mib = atol(argv[1]) / 4, anon = atol(argv[2]) / 4;
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    int me = 0, ready[2];
    if (pipe(ready)) { perror("pipe"); return 1; }
    for (int k = 0; k < 3; k++)
        if (fork() == 0) { me = k + 1; break; }
    char name[16];
    snprintf(name, sizeof name, "big.%d", me);
    int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    for (long i = 0; i < mib; i++)
        if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); return 1; }
    unlink(name); /* still open: its page cache is freed when the process exits */
    char *m = malloc(anon << 20); /* touched: freed in exit too */
    if (!m) { perror("malloc"); return 1; }
    for (long i = 0; i < anon << 20; i += 4096) m[i] = 1;
    if (me == 0) {
        char b[3];
        for (int got = 0; got < 3;) {
            ssize_t n = read(ready[0], b, 3 - got);
            if (n <= 0) { perror("read"); return 1; }
            got += n;
        }
        printf("written %ld MiB\n", 4 * mib);
        fflush(stdout);
        printf("exiting\n");
        fflush(stdout);
    } else {
        write(ready[1], "r", 1);
        pause(); /* until the run's end kills it: 3 exits at once, on SIGKILL */
    }
    return 0;
}
"#;

const BUSY: &str = "int main(void) { for (;;) { __asm__ volatile(\"\"); } }\n";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Directories named `run-<pid>-*` (the run's leaves) anywhere under /sys/fs/cgroup.
fn leaves(pid: u32) -> Vec<PathBuf> {
    leaves_named(&format!("run-{pid}-"))
}

fn leaves_named(prefix: &str) -> Vec<PathBuf> {
    fn walk(d: &Path, prefix: &str, depth: u32, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with(prefix) {
                out.push(p);
            } else if depth < 8 {
                walk(&p, prefix, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("/sys/fs/cgroup"), prefix, 0, &mut out);
    out
}

/// The supervisor's pid of the served run, from its leaves' names (`run-<pid>-…`).
fn served_pid(i: u64) -> u32 {
    // The server also holds runs armed ahead (--pool, default 2), idle, each with its own
    // leaves: the served run is the one whose leaf holds the program.
    let holds_prog = |leaf: &PathBuf| {
        let procs = std::fs::read_to_string(leaf.join("cgroup.procs")).unwrap_or_default();
        procs.lines().any(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "slowexit"))
    };
    let mut found = None;
    let up = eventually(5000, || {
        found = leaves_named("run-").into_iter().find(holds_prog);
        found.is_some()
    });
    assert!(up, "run {i}: no leaf holds the served run's program");
    let name = found.unwrap().file_name().unwrap().to_string_lossy().into_owned();
    name.split('-').nth(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("leaf name {name}"))
}

/// Pids of processes whose real uid is the run's (RUN_ID_BASE + supervisor pid).
fn run_uid_procs(pid: u32) -> Vec<String> {
    let uid = (0x4d00_0000u32 + pid).to_string();
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(st) = std::fs::read_to_string(e.path().join("status")) else { continue };
        if st.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(uid.as_str())) {
            v.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    v
}

/// Hierarchies (the cgroup mount directory) holding a leaf of the run.
fn hierarchies(ls: &[PathBuf]) -> Vec<String> {
    let mut h: Vec<String> =
        ls.iter().filter_map(|p| p.iter().nth(4).map(|s| s.to_string_lossy().into_owned())).collect();
    h.sort();
    h.dedup();
    h
}

struct Busy(Vec<Child>);
impl Drop for Busy {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn slow_exit_leaves_nothing_behind() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP slow_exit_leaves_nothing_behind: needs root (per-run cgroups)");
        return;
    }
    let runs = env_num("SLOWEXIT_RUNS", 4);
    let mib = env_num("SLOWEXIT_MIB", 1024).to_string();
    let anon = env_num("SLOWEXIT_ANON_MIB", 2048).to_string();
    let load = env_num("SLOWEXIT_BUSY", 3 * std::thread::available_parallelism().map_or(2, |n| n.get() as u64));
    let prog = cc("slowexit", PROG, &[]);
    let busy = cc("busy", BUSY, &[]);
    let _load = Busy((0..load).map(|_| Command::new(&busy).spawn().unwrap()).collect());
    let (mut cleaner_runs, mut slowest) = (0, Duration::ZERO);
    for i in 0..runs {
        let mode = if i % 2 == 0 { Mode::Launcher } else { Mode::Bare };
        // Runs 2, 3, 6, 7, ...: kill the group while the tree is still exiting.
        let early = (i / 2) % 2 == 1;
        let dir = Scratch::new("slowexit");
        let r = Run::new(Who::Root, mode, dir.path())
            .opt("memory", "4G")
            .opt("pids", "64")
            .opt("time", "60")
            .opt("report", dir.join("report.json").to_str().unwrap());
        let mut c = r.command(prog.to_str().unwrap(), &[&mib, &anon]);
        // The judge's habit: the sandbox is its own process group, killed after the run.
        c.process_group(0).stdout(Stdio::piped()).stderr(Stdio::null()).stdin(Stdio::null());
        let mut child = c.spawn().unwrap();
        let group = child.id();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.starts_with("written "), "run {i} ({mode:?}): {line:?}");
        // Through a server (E2E_VIA_SERVER=1) the supervisor is the server's child, not the
        // process the test started: its pid is read off the run's leaves (the one holding the program).
        let pid = if server_mode() && mode == Mode::Launcher { served_pid(i) } else { group };
        // While it runs: the leaves exist in every hierarchy we check for afterwards.
        let during = hierarchies(&leaves(pid));
        for h in ["memory", "pids", "unified"] {
            assert!(during.iter().any(|d| d == h), "run {i}: no {h} leaf while running ({during:?})");
        }
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "exiting\n", "run {i}");
        let t = Instant::now();
        if early {
            // SAFETY: kill(2) on the process group we created.
            unsafe { libc::kill(-(group as i32), libc::SIGKILL) };
            cleaner_runs += 1;
        }
        let st = child.wait().unwrap();
        // SAFETY: as above; the group may be empty by now (ESRCH is fine).
        unsafe { libc::kill(-(group as i32), libc::SIGKILL) };
        if !early {
            assert!(st.success(), "run {i} ({mode:?}): {st:?}");
        }
        // After a normal exit the supervisor has removed everything before exiting; after
        // the early kill the cleaner does it, in its own time.
        let deadline = Instant::now() + Duration::from_secs(if early { 300 } else { 0 });
        loop {
            let (l, p) = (leaves(pid), run_uid_procs(pid));
            if l.is_empty() && p.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "run {i} ({mode:?}, early kill {early}) left behind: cgroups {l:?}, processes {p:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        slowest = slowest.max(t.elapsed());
        assert!(!dir.join("big.0").exists() && !dir.join("big.1").exists());
    }
    println!(
        "{runs} slow-exit runs of {mib} MiB under load, {cleaner_runs} finished by the cleaner: no leftovers (slowest teardown {:.2} s)",
        slowest.as_secs_f64()
    );
}
