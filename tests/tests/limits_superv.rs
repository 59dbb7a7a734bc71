//! Issue 12 (supervisor part): a report for every outcome, output limits (`--fsize`,
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
        .args(["-c", &format!("{} --output 1G -- yes | head -c 3; echo \" ${{PIPESTATUS[0]}}\"", sandbox_bin().display())])
        .current_dir(s.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "y\ny 141\n");
}
