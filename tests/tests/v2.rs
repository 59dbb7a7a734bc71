//! Limits on a real cgroup v2 host (Debian 12's stock kernel in the VM lane,
//! scripts/vm-lane.sh), as root at the root cgroup and as an unprivileged user in a subtree
//! delegated to it the way systemd's Delegate=yes does; and `--check` naming exactly the
//! mechanisms a run then uses, on whatever host the tests run on (v1 here, v2 in the VM).

use sandbox_e2e::*;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Forks N sleeping children, prints how many forks worked.
const KIDS_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = atoi(argv[1]), ok = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) { sleep(2); _exit(0); }
        if (p > 0) ok++;
    }
    printf("started %d\n", ok);
    return 0;
}"#;

/// A cgroup v2 host with the controllers the sandbox uses, or why not (the test then skips
/// and says so: the v1 development machine lands here; the VM lane does not).
fn v2_host() -> Result<(), String> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    if own.lines().any(|l| !l.starts_with("0::")) {
        return Err("cgroup v1 hierarchies are mounted (hybrid host)".into());
    }
    let c = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .map_err(|e| format!("no cgroup2 at /sys/fs/cgroup: {e}"))?;
    for want in ["memory", "pids", "cpu"] {
        if !c.split_whitespace().any(|x| x == want) {
            return Err(format!("cgroup2 lacks the {want} controller"));
        }
    }
    if own.trim() != "0::/" {
        return Err(format!("the tests expect to start at the root cgroup (VM lane), not {}", own.trim()));
    }
    Ok(())
}

macro_rules! need_v2 {
    ($name:literal) => {
        if let Err(why) = v2_host() {
            println!("SKIP v2::{}: not a cgroup v2 host: {why}", $name);
            return;
        }
    };
}

/// Who runs a v2 test: root at the root cgroup, or sbxtest started inside a subtree
/// delegated to it (directory + cgroup.procs/subtree_control/threads chowned, as systemd
/// does for Delegate=yes), or sbxtest with no delegation at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum As {
    Root,
    Delegated,
    Plain,
}

/// A delegated subtree for sbxtest, removed (deepest first) on drop.
struct Delegation(String);
impl Delegation {
    fn new(tag: &str) -> Delegation {
        let (uid, _) = ensure_user();
        // As systemd does on the parent slice: the controllers are available to the unit.
        for c in ["+memory", "+pids", "+cpu"] {
            std::fs::write("/sys/fs/cgroup/cgroup.subtree_control", c).unwrap();
        }
        let d = format!("/sys/fs/cgroup/sbx-e2e-{tag}-{}", std::process::id());
        std::fs::create_dir(&d).unwrap();
        for f in ["", "/cgroup.procs", "/cgroup.subtree_control", "/cgroup.threads"] {
            std::os::unix::fs::chown(format!("{d}{f}"), Some(uid), None).unwrap();
        }
        Delegation(d)
    }
}
impl Drop for Delegation {
    fn drop(&mut self) {
        let _ = Command::new("find").args([&self.0, "-depth", "-type", "d", "-exec", "rmdir", "{}", "+"]).status();
    }
}

/// Start `c` inside the delegated subtree `dir`, as a process of the delegating service
/// would be: in `dir` itself, or once a run moved the service's processes into
/// `dir/sandbox-caller` (v2 allows no processes beside enabled controllers), in that leaf.
/// Written by the child itself before exec, while still root.
fn inside(c: &mut Command, dir: &str) {
    let caller = format!("{dir}/{}", "sandbox-caller");
    let dir = if Path::new(&caller).is_dir() { caller.as_str() } else { dir };
    let procs = std::ffi::CString::new(format!("{dir}/cgroup.procs")).unwrap();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let r = libc::write(fd, b"0".as_ptr().cast(), 1);
            libc::close(fd);
            if r != 1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn who(a: As) -> Who {
    if a == As::Root {
        Who::Root
    } else {
        Who::User
    }
}

fn run_as(a: As, deleg: Option<&Delegation>, r: &Run, prog: &str, args: &[&str]) -> Out {
    let mut c = r.command(prog, args);
    if a == As::Delegated {
        inside(&mut c, &deleg.unwrap().0);
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
    Out(c.output().unwrap(), format!("{a:?}/{:?} {prog} {args:?}", r.mode))
}

fn report(dir: &Scratch, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn mech(json: &str, limit: &str) -> String {
    let k = format!("\"{limit}\": \"");
    let m = &json[json.find("\"mechanisms\"").unwrap_or_else(|| panic!("no mechanisms in {json}"))..];
    let i = m.find(&k).unwrap_or_else(|| panic!("no {limit} in {m}")) + k.len();
    m[i..i + m[i..].find('"').unwrap()].to_string()
}

fn secs(json: &str, key: &str) -> f64 {
    field(json, key).parse().unwrap()
}

#[test]
fn memory_bomb_is_ml_by_cgroup_v2_with_peak_at_the_limit() {
    need_v2!("memory_bomb_is_ml_by_cgroup_v2_with_peak_at_the_limit");
    let eat = cc("eat", EAT_C, &[]);
    for a in [As::Root, As::Delegated] {
        let d = Delegation::new("mem");
        let s = Scratch::new(&format!("v2mem-{a:?}"));
        for mode in MODES {
            // One report file per run: over the VM's 9p share a file sbxtest created belongs
            // to root afterwards, so the next run could not reopen it.
            let rj = format!("r-{mode:?}.json");
            let r = Run::new(who(a), mode, s.path()).opt("memory", "64M").opt("report", &rj);
            let o = run_as(a, Some(&d), &r, eat.to_str().unwrap(), &[]);
            o.killed_by(libc::SIGKILL);
            let j = report(&s, &rj);
            assert_eq!(field(&j, "status"), "ML", "{a:?}/{mode:?}: {j}");
            assert_eq!(mech(&j, "memory"), "cgroup-v2", "{a:?}/{mode:?}: {j}");
            let peak: f64 = field(&j, "peak_memory").parse().unwrap_or_else(|_| panic!("{a:?}/{mode:?}: {j}"));
            let lim = 64.0 * 1048576.0;
            assert!(peak >= lim * 0.9 && peak <= lim * 1.1, "{a:?}/{mode:?}: peak {peak} not within 10% of 64M: {j}");
            println!("{a:?}/{mode:?}: ML, memory by cgroup-v2, peak {peak}");
            // 100 MB under 256M runs fine.
            let r = Run::new(who(a), mode, s.path()).opt("memory", "256M");
            run_as(a, Some(&d), &r, eat.to_str().unwrap(), &["100"]).ok().has("done");
        }
    }
}

#[test]
fn pids_limit_is_enforced_by_cgroup_v2() {
    need_v2!("pids_limit_is_enforced_by_cgroup_v2");
    let kids = cc("kids", KIDS_C, &[]);
    for a in [As::Root, As::Delegated] {
        let d = Delegation::new("pids");
        let s = Scratch::new(&format!("v2pids-{a:?}"));
        for mode in MODES {
            let rj = format!("r-{mode:?}.json");
            let r = Run::new(who(a), mode, s.path()).opt("pids", "8").opt("report", &rj);
            let o = run_as(a, Some(&d), &r, kids.to_str().unwrap(), &["20"]);
            let j = report(&s, &rj);
            assert_eq!(mech(&j, "pids"), "cgroup-v2", "{a:?}/{mode:?}: {j}");
            let started: u32 = o.stdout().trim().trim_start_matches("started ").parse().unwrap_or(99);
            assert!(started < 8, "{a:?}/{mode:?}: {started} children under --pids 8: {}", o.stderr());
            println!("{a:?}/{mode:?}: pids by cgroup-v2, {started} of 20 children started");
        }
    }
}

#[test]
fn cpus_half_gives_a_busy_loop_about_half_a_cpu() {
    need_v2!("cpus_half_gives_a_busy_loop_about_half_a_cpu");
    let spin = cc("spin", SPIN_C, &[]);
    for a in [As::Root, As::Delegated] {
        let d = Delegation::new("cpus");
        let s = Scratch::new(&format!("v2cpus-{a:?}"));
        let r =
            Run::new(who(a), Mode::Launcher, s.path()).opt("cpus", "0.5").opt("wall-time", "3").opt("report", "r.json");
        let o = run_as(a, Some(&d), &r, spin.to_str().unwrap(), &[]);
        o.killed_by(libc::SIGKILL);
        let j = report(&s, "r.json");
        assert_eq!(mech(&j, "cpus"), "cgroup-v2", "{a:?}: {j}");
        let (cpu, wall) = (secs(&j, "cpu_time"), secs(&j, "wall_time"));
        let share = cpu / wall;
        println!("{a:?}: --cpus 0.5: busy loop got {cpu:.3} s CPU in {wall:.3} s wall = {share:.2} of a CPU");
        assert!((0.3..=0.65).contains(&share), "{a:?}: share {share} (cpu {cpu}, wall {wall}): {j}");
        // /bin/true runs under a quota.
        let r = Run::new(who(a), Mode::Launcher, s.path()).opt("cpus", "0.5");
        run_as(a, Some(&d), &r, "/bin/true", &[]).ok();
    }
}

#[test]
fn time_limit_counts_the_whole_tree() {
    need_v2!("time_limit_counts_the_whole_tree");
    let spin = cc("spin", SPIN_C, &[]);
    for a in [As::Root, As::Delegated] {
        let d = Delegation::new("time");
        let s = Scratch::new(&format!("v2time-{a:?}"));
        let r = Run::new(who(a), Mode::Launcher, s.path()).opt("time", "1").opt("report", "r.json");
        // Three busy processes (the parent and two children) share the 1 s budget.
        let o = run_as(a, Some(&d), &r, spin.to_str().unwrap(), &["2"]);
        o.killed_by(libc::SIGKILL);
        let j = report(&s, "r.json");
        assert_eq!(field(&j, "status"), "TO", "{a:?}: {j}");
        assert_eq!(mech(&j, "time"), "supervisor", "{a:?}: {j}");
        let (cpu, wall) = (secs(&j, "cpu_time"), secs(&j, "wall_time"));
        println!("{a:?}: --time 1 with 3 busy processes: cpu {cpu:.3} s, wall {wall:.3} s");
        assert!((1.0..=1.3).contains(&cpu), "{a:?}: cpu {cpu}: {j}");
        // Counted per process (RLIMIT_CPU), the three would spend about 3 s before dying.
    }
}

#[test]
fn rootless_without_delegation_falls_back_to_the_supervisor_and_rlimits() {
    need_v2!("rootless_without_delegation_falls_back_to_the_supervisor_and_rlimits");
    let eat = cc("eat", EAT_C, &[]);
    let s = Scratch::new("v2plain");
    let r =
        Run::new(Who::User, Mode::Launcher, s.path()).opt("memory", "64M").opt("pids", "16").opt("report", "r.json");
    let o = run_as(As::Plain, None, &r, eat.to_str().unwrap(), &["200"]);
    // No cgroup: the supervisor enforces --memory from the tree's resident memory (never
    // RLIMIT_AS, which JIT runtimes cannot start under): ML, the tree killed.
    o.killed_by(libc::SIGKILL).err_has("memory limit exceeded");
    let j = report(&s, "r.json");
    assert_eq!(field(&j, "status"), "ML", "{j}");
    assert_eq!(mech(&j, "memory"), "supervisor", "{j}");
    assert_eq!(mech(&j, "pids"), "rlimit", "{j}");
    let r = Run::new(Who::User, Mode::Launcher, s.path()).opt("cpus", "0.5");
    run_as(As::Plain, None, &r, "/bin/true", &[]).exit(125).err_has("--cpus");
}

/// `--check`'s "limits would be enforced by" lines: limit → first word.
fn check_names(out: &str) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut on = false;
    for l in out.lines() {
        if l.starts_with("limits would be enforced by") {
            on = true;
            continue;
        }
        if on {
            let mut w = l.split_whitespace();
            match (w.next(), w.next()) {
                (Some(k), Some(m)) if k.starts_with("--") && !k.contains(' ') && l.starts_with("  --") => {
                    v.push((k.trim_start_matches("--").to_string(), m.trim_end_matches(':').to_string()))
                }
                _ => on = l.starts_with("  "),
            }
        }
    }
    v
}

/// The same, for every host the tests run on: the names --check gives are the ones a run
/// reports, limit by limit.
fn check_equals_run(a: As, deleg: Option<&Delegation>) {
    let s = Scratch::new(&format!("checkrun-{a:?}"));
    let r = Run::new(who(a), Mode::Launcher, s.path());
    let mut c = match a {
        As::Root => Command::new(sandbox_bin()),
        _ => {
            let mut c = Command::new("setpriv");
            c.args([&format!("--reuid={USER}"), &format!("--regid={USER}"), "--clear-groups", "--"]).arg(sandbox_bin());
            c
        }
    };
    c.arg("--check").current_dir(s.path());
    if a == As::Delegated {
        inside(&mut c, &deleg.unwrap().0);
    }
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let names = check_names(&text);
    assert!(names.len() >= 4, "{a:?}: no mechanism lines in --check:\n{text}");
    let get = |k: &str| names.iter().find(|(n, _)| n == k).map(|(_, m)| m.clone()).unwrap_or_default();
    // One run with every cgroup-backed limit (without --cpus when --check says it is refused).
    let cpus_ok = get("cpus") != "unavailable";
    let mut r = r.opt("memory", "128M").opt("pids", "64").opt("time", "5").opt("report", "r.json");
    if cpus_ok {
        r = r.opt("cpus", "1.5");
    }
    run_as(a, deleg, &r, "/bin/true", &[]).ok();
    let j = report(&s, "r.json");
    for k in ["memory", "pids", "time"] {
        assert_eq!(
            get(k),
            mech(&j, k),
            "{a:?}: --check says {k} by {:?}, the run used {:?}\n{text}\n{j}",
            get(k),
            mech(&j, k)
        );
    }
    if cpus_ok {
        assert_eq!(get("cpus"), mech(&j, "cpus"), "{a:?}: cpus\n{text}\n{j}");
    } else {
        let r = Run::new(who(a), Mode::Launcher, s.path()).opt("cpus", "0.5");
        run_as(a, deleg, &r, "/bin/true", &[]).exit(125);
    }
    // The verdict says which kind of containment this is.
    let full = ["memory", "pids"].iter().all(|k| get(k).starts_with("cgroup")) && cpus_ok;
    let want = if full { "full containment" } else { "rlimit fallbacks" };
    assert!(text.contains(want), "{a:?}: verdict should say {want:?}:\n{text}");
    println!("{a:?}: --check and the run agree: {names:?}; verdict: {want}");
}

#[test]
fn check_names_the_mechanisms_a_run_uses() {
    check_equals_run(As::Root, None);
    check_equals_run(As::Plain, None);
    if v2_host().is_ok() {
        let d = Delegation::new("check");
        check_equals_run(As::Delegated, Some(&d));
    } else {
        println!("SKIP delegated --check comparison: not a cgroup v2 host");
    }
}

#[test]
fn many_mixed_runs_leave_nothing_in_the_cgroup_tree() {
    need_v2!("many_mixed_runs_leave_nothing_in_the_cgroup_tree");
    let spin = cc("spin", SPIN_C, &[]);
    let eat = cc("eat", EAT_C, &[]);
    let s = Scratch::new("v2many");
    let d = Delegation::new("many");
    // 200 here; the VM lane asks for fewer (V2_MIXED_RUNS): under TCG a run costs ~0.9 s.
    let n: usize = std::env::var("V2_MIXED_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let t0 = std::time::Instant::now();
    for i in 0..n {
        let a = if i % 2 == 0 { As::Root } else { As::Delegated };
        let r = Run::new(who(a), MODES[i % 3], s.path()).opt("pids", "16").opt("memory", "32M");
        match i % 5 {
            0 => {
                run_as(a, Some(&d), &r, "/bin/true", &[]).ok();
            }
            1 => {
                run_as(a, Some(&d), &r.opt("time", "0.05"), spin.to_str().unwrap(), &[]);
            }
            2 => {
                run_as(a, Some(&d), &r.opt("bind", "/nonexistent"), "/bin/true", &[]).exit(125);
            }
            3 => {
                run_as(a, Some(&d), &r, eat.to_str().unwrap(), &[]).killed_by(libc::SIGKILL);
            }
            _ => {
                let mut c = r.command(spin.to_str().unwrap(), &[]);
                if a == As::Delegated {
                    inside(&mut c, &d.0);
                }
                let mut c = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(50));
                c.kill().unwrap();
                c.wait().unwrap();
            }
        }
    }
    println!("{n} mixed runs in {:.1} s", t0.elapsed().as_secs_f64());
    // Through servers, their runs armed ahead are theirs until they stop.
    stop_servers();
    let left = || {
        let o = Command::new("sh")
            .args(["-c", "find /sys/fs/cgroup -type d \\( -name 'run-*' -o -name 'check-*' \\)"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(eventually(3000, || left().is_empty()), "cgroups left: {}", left());
    // The delegated subtree holds only what the sandbox keeps there between runs.
    let procs = std::fs::read_to_string(format!("{}/cgroup.procs", d.0)).unwrap();
    assert!(procs.is_empty(), "processes left in the delegated cgroup: {procs}");
    assert!(
        eventually(3000, || Command::new("pgrep")
            .args(["-f", spin.to_str().unwrap()])
            .output()
            .unwrap()
            .stdout
            .is_empty()),
        "spinners left"
    );
    assert!(Path::new(&d.0).exists());
}
