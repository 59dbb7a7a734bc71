//! The supervisor: a report for every outcome, output limits (`--fsize`,
//! `--output`), and the supervisor's own memory and CPU-time enforcement where no cgroup is
//! usable (rootless on this machine), in every mode and as both users.

use sandbox_e2e::*;
use std::os::unix::fs::PermissionsExt;

fn report(dir: &Scratch, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

#[test]
fn setup_refusals_126_and_127_write_an_xx_report() {
    for who in BOTH {
        let s = Scratch::new(&format!("xx-{who:?}"));
        let setuid = s.join("suid");
        std::fs::copy("/bin/true", &setuid).unwrap();
        std::fs::set_permissions(&setuid, std::fs::Permissions::from_mode(0o4755)).unwrap();
        let cases: [(&str, i32, &str); 4] = [
            ("/nonexistent", 127, "no such file"),
            ("no-such-program-xyz", 127, "command not found"),
            (s.path().to_str().unwrap(), 126, "is a directory"),
            (setuid.to_str().unwrap(), 126, "set-uid"),
        ];
        for (prog, code, text) in cases {
            // Stale files must be replaced, never left to pass for this run's report.
            for f in ["r.json", "m.txt"] {
                std::fs::write(s.join(f), "stale").unwrap();
                std::fs::set_permissions(s.join(f), std::fs::Permissions::from_mode(0o666)).unwrap();
            }
            let o = Run::new(who, Mode::Launcher, s.path()).opt("report", "r.json").opt("meta", "m.txt").run(prog, &[]);
            o.exit(code);
            let j = report(&s, "r.json");
            assert_eq!(field(&j, "status"), "XX", "{who:?} {prog}: {j}");
            assert_eq!(field(&j, "exit_code"), code.to_string(), "{j}");
            assert!(field(&j, "message").contains(text), "{prog}: {j}");
            assert!(!j.contains("cgroup-v1") && !j.contains("\"rlimit\""), "claims a mechanism: {j}");
            let m = report(&s, "m.txt");
            assert!(m.contains("status:XX\n") && m.contains(&format!("exitcode:{code}\n")), "{m}");
            assert!(m.lines().any(|l| l.starts_with("message:") && l.contains(text)), "{m}");
            assert!(o.stderr().contains(text), "{}", o.stderr());
        }
        // A setup error before any process exists (a missing bind source) is XX too.
        let o = Run::new(who, Mode::Launcher, s.path())
            .opt("report", "r.json")
            .opt("bind", "/nonexistent-src")
            .run("/bin/true", &[]);
        o.exit(125);
        let j = report(&s, "r.json");
        assert_eq!(field(&j, "status"), "XX", "{j}");
        assert!(field(&j, "message").contains("nonexistent-src"), "{j}");
    }
}

const WRITE_C: &str = r#"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* write MB mebibytes to stdout (or to the file argv[2]) */
int main(int argc, char **argv) {
    long mb = atol(argv[1]);
    FILE *f = argc > 2 ? fopen(argv[2], "w") : stdout;
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < mb; i++) if (fwrite(buf, 1, sizeof buf, f) != sizeof buf) { perror("write"); return 3; }
    fclose(f);
    return 0;
}"#;

#[test]
fn fsize_exceedance_is_ol_with_limit_fsize() {
    let w = cc("writer", WRITE_C, &[]);
    for who in BOTH {
        let s = Scratch::new(&format!("fsize-{who:?}"));
        for mode in MODES {
            let o = Run::new(who, mode, s.path())
                .opt("fsize", "1M")
                .opt("report", "r.json")
                .opt("meta", "m.txt")
                .run(w.to_str().unwrap(), &["4", &format!("out-{mode:?}")]);
            o.killed_by(libc::SIGXFSZ).err_has("file size limit exceeded");
            let j = report(&s, "r.json");
            assert_eq!(field(&j, "status"), "OL", "{who:?}/{mode:?}: {j}");
            assert_eq!(field(&j, "limit"), "fsize", "{j}");
            assert_eq!(field(&j, "signal"), "25", "{j}");
            assert_eq!(std::fs::metadata(s.join(&format!("out-{mode:?}"))).unwrap().len(), 1 << 20);
            let m = report(&s, "m.txt");
            assert!(m.contains("status:SG\n") && m.contains("exitsig:25\n") && m.contains("killed:1\n"), "{m}");
        }
    }
}

fn output_to_file(r: &Run, prog: &str, args: &[&str], file: &std::path::Path) -> std::process::Output {
    let f = std::fs::File::create(file).unwrap();
    let mut c = r.command(prog, args);
    c.stdout(f).stderr(std::process::Stdio::piped()).stdin(std::process::Stdio::null());
    c.output().unwrap()
}

#[test]
fn output_limit_to_a_file_and_to_a_pipe() {
    use std::os::unix::process::ExitStatusExt;
    let w = cc("writer", WRITE_C, &[]);
    let w = w.to_str().unwrap();
    for who in BOTH {
        let s = Scratch::new(&format!("ole-{who:?}"));
        for mode in MODES {
            // To a file: exactly the limit arrives, then the run is killed: OL.
            let r = Run::new(who, mode, s.path()).opt("output", "1M").opt("report", "r.json").opt("meta", "m.txt");
            let o = output_to_file(&r, w, &["4"], &s.join("out"));
            assert_eq!(o.status.signal(), Some(libc::SIGKILL), "{who:?}/{mode:?}: {o:?}");
            assert_eq!(std::fs::metadata(s.join("out")).unwrap().len(), 1 << 20, "{who:?}/{mode:?}");
            let j = report(&s, "r.json");
            assert_eq!((field(&j, "status").as_str(), field(&j, "limit").as_str()), ("OL", "output"), "{j}");
            assert!(j.contains("\"output\": \"supervisor\""), "{j}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(err.contains("output limit exceeded"), "{err}");
            let m = report(&s, "m.txt");
            assert!(m.contains("status:SG\n") && m.contains("killed:1\n") && m.contains("output limit"), "{m}");
            // To a pipe, quietly: the same bound, no line of ours.
            let o = Run::new(who, mode, s.path()).opt("output", "1M").opt("quiet", "true").run(w, &["4"]);
            o.killed_by(libc::SIGKILL);
            assert_eq!(o.0.stdout.len(), 1 << 20, "{who:?}/{mode:?}");
            assert!(o.0.stderr.is_empty(), "{}", o.stderr());
            // Exactly the limit is not over it.
            let o = Run::new(who, mode, s.path()).opt("output", "2M").opt("report", "r.json").run(w, &["2"]);
            o.ok();
            assert_eq!(o.0.stdout.len(), 2 << 20);
            assert_eq!(field(&report(&s, "r.json"), "status"), "OK");
        }
    }
}

#[test]
fn output_relay_is_byte_exact_and_keeps_order() {
    let s = Scratch::new("relay");
    let data: Vec<u8> = {
        let mut v = vec![0u8; 100 << 20];
        let mut f = std::fs::File::open("/dev/urandom").unwrap();
        std::io::Read::read_exact(&mut f, &mut v).unwrap();
        v
    };
    std::fs::write(s.join("in"), &data).unwrap();
    for who in BOTH {
        for mode in MODES {
            // 100 MiB through cat under --output 200M: every byte, in order.
            let o = Run::new(who, mode, s.path()).opt("output", "200M").run("/bin/cat", &["in"]);
            o.ok();
            assert!(o.0.stdout == data, "{who:?}/{mode:?}: {} bytes differ from the input", o.0.stdout.len());
            // stdout and stderr on one file keep their interleaving (one shared pipe).
            let r = Run::new(who, mode, s.path()).opt("output", "1M");
            let mut c = r.command("/bin/sh", &["-c", "for i in 1 2 3; do echo out$i; echo err$i >&2; done"]);
            let f = std::fs::File::create(s.join("both")).unwrap();
            c.stdout(f.try_clone().unwrap()).stderr(f);
            assert!(c.status().unwrap().success());
            assert_eq!(std::fs::read_to_string(s.join("both")).unwrap(), "out1\nerr1\nout2\nerr2\nout3\nerr3\n");
        }
    }
    // A reader that goes away ends the program by SIGPIPE, as without the relay.
    let o = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("{} --output 1G -- yes | head -c 3; echo \" ${{PIPESTATUS[0]}}\"", sandbox_bin().display()),
        ])
        .current_dir(s.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "y\ny 141\n");
}

const EAT_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* eat MB [KIDS]: touch MB mebibytes (10 at a time); with KIDS, then fork KIDS children that
 * share it copy-on-write and sleep, and wait for them (RSS counts it KIDS+1 times, PSS once). */
int main(int argc, char **argv) {
    long mb = atol(argv[1]);
    int kids = argc > 2 ? atoi(argv[2]) : 0;
    for (long i = 0; i < mb; i += 10) {
        char *p = malloc(10 << 20);
        if (!p) { puts("malloc failed"); return 1; }
        memset(p, 1, 10 << 20);
    }
    for (int i = 0; i < kids; i++) if (fork() == 0) { sleep(1); _exit(0); }
    while (wait(0) > 0) {}
    puts("done");
    return 0;
}"#;

#[test]
fn rootless_memory_is_enforced_by_the_supervisor() {
    let eat = cc("eat_kids", EAT_C, &[]);
    let eat = eat.to_str().unwrap();
    let s = Scratch::new("supmem");
    for mode in MODES {
        let o = Run::new(Who::User, mode, s.path()).opt("memory", "64M").opt("report", "r.json").run(eat, &["1000"]);
        o.killed_by(libc::SIGKILL).err_has("memory limit exceeded");
        let j = report(&s, "r.json");
        assert_eq!((field(&j, "status").as_str(), field(&j, "limit").as_str()), ("ML", "memory"), "{mode:?}: {j}");
        assert!(j.contains("\"memory\": \"supervisor\""), "{j}");
        let peak: u64 = field(&j, "peak_memory").parse().unwrap_or_else(|_| panic!("{j}"));
        assert!((64 << 20..96 << 20).contains(&peak), "{mode:?}: peak {peak} for a 64M limit: {j}");
        // Under the limit: runs to the end, peak measured.
        let o = Run::new(Who::User, mode, s.path()).opt("memory", "256M").opt("report", "r.json").run(eat, &["100"]);
        o.ok().has("done");
        let peak: u64 = field(&report(&s, "r.json"), "peak_memory").parse().unwrap();
        // (sampled: the last 10 MiB chunk may come after the last sample)
        assert!((80 << 20..256 << 20).contains(&peak), "{peak}");
        // 60 MiB shared copy-on-write by 4 processes: RSS sums 240 MiB, PSS 60; not ML.
        let o =
            Run::new(Who::User, mode, s.path()).opt("memory", "128M").opt("report", "r.json").run(eat, &["60", "3"]);
        o.ok().has("done");
    }
}

#[test]
fn java_and_node_start_unprivileged_under_memory_256m() {
    let s = Scratch::new("jit");
    let cases: [(&str, &[&str], &str); 2] = [
        ("/usr/bin/java", &["-XshowSettings:vm", "-version"], "OpenJDK"),
        ("/usr/bin/node", &["-e", "console.log('node ' + (1 + 1))"], "node 2"),
    ];
    for (prog, args, want) in cases {
        if !std::path::Path::new(prog).exists() {
            println!("SKIP {prog}: not installed (deps.sh installs it)");
            continue;
        }
        let o = Run::new(Who::User, Mode::Launcher, s.path())
            .opt("memory", "256M")
            .opt("ro-bind", "/etc/java-17-openjdk")
            .opt("report", "r.json")
            .run(prog, args);
        o.ok();
        assert!(o.stdout().contains(want) || o.stderr().contains(want), "{prog}: {} {}", o.stdout(), o.stderr());
        assert!(report(&s, "r.json").contains("\"memory\": \"supervisor\""));
    }
}

#[test]
fn rootless_time_limits_are_exact_and_137() {
    let spin = cc(
        "spin_kids",
        "#include <stdlib.h>\n#include <unistd.h>\nint main(int c, char **v) { int k = c > 1 ? atoi(v[1]) : 0; \
         for (int i = 0; i < k; i++) if (fork() == 0) break; for (;;) {} }\n",
        &[],
    );
    let spin = spin.to_str().unwrap();
    let s = Scratch::new("suptime");
    let secs = |j: &str, k: &str| field(j, k).parse::<f64>().unwrap();
    for mode in MODES {
        for (lim, kids) in [("0.5", "0"), ("1.5", "0"), ("1", "2")] {
            let o = Run::new(Who::User, mode, s.path()).opt("time", lim).opt("report", "r.json").run(spin, &[kids]);
            o.killed_by(libc::SIGKILL).err_has("time limit exceeded");
            let j = report(&s, "r.json");
            assert_eq!((field(&j, "status").as_str(), field(&j, "limit").as_str()), ("TO", "time"), "{j}");
            assert!(j.contains("\"time\": \"supervisor\""), "{j}");
            let (cpu, l) = (secs(&j, "cpu_time"), lim.parse::<f64>().unwrap());
            // Exact to the timer (1 ms checks near the limit; /proc's 10 ms ticks for dead
            // threads), never the next whole second of RLIMIT_CPU.
            assert!(cpu >= l && cpu <= l + 0.05, "{mode:?} --time {lim} ×{kids}: cpu {cpu}: {j}");
        }
    }
}

#[test]
fn a_stalled_reader_never_delays_a_time_limit() {
    let s = Scratch::new("stalled");
    for who in BOTH {
        let _ = std::fs::remove_file(s.join("w.json"));
        // `sleep` never reads: the relay's destination stays full while the clock runs.
        let script = format!(
            "{} --output 1G --wall-time 0.5 --report w.json -- /usr/bin/yes | sleep 2",
            sandbox_bin().display()
        );
        let o =
            command(who, std::path::Path::new("/bin/sh")).args(["-c", &script]).current_dir(s.path()).output().unwrap();
        assert!(o.status.success(), "{o:?}");
        let j = report(&s, "w.json");
        assert_eq!(field(&j, "status"), "TO", "{j}");
        let wall: f64 = field(&j, "wall_time").parse().unwrap();
        assert!((0.5..0.7).contains(&wall), "{who:?}: wall {wall}: {j}");
    }
}
