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
