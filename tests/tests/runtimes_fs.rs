//! Issue 12: what runtimes need from /etc (and, below, from /sys/fs/cgroup), without the
//! host's secrets.

use sandbox_e2e::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const JAVA_SRC: &str = r#"import java.util.*;
public class Sum {
    public static void main(String[] a) {
        Scanner s = new Scanner(System.in);
        long t = 0;
        while (s.hasNextLong()) t += s.nextLong();
        System.out.println("sum " + t);
    }
}
"#;

/// A work dir the way each caller makes one: `mktemp -d` as root (0700), a fresh
/// world-writable scratch dir for the unprivileged user.
fn workdir(who: Who) -> (Option<Scratch>, PathBuf) {
    match who {
        Who::Root => {
            let o = Command::new("mktemp").arg("-d").output().unwrap();
            (None, PathBuf::from(String::from_utf8(o.stdout).unwrap().trim()))
        }
        Who::User => {
            let s = Scratch::new("java");
            let p = s.path().to_path_buf();
            (Some(s), p)
        }
    }
}

fn have(p: &str) -> bool {
    let ok = Path::new(p).exists();
    if !ok {
        println!("SKIP: {p} is not installed (deps.sh installs it)");
    }
    ok
}

/// javac and java under the default profile (Debian's JDK reads its security config
/// through /usr/lib/jvm/*/conf -> /etc/java-17-openjdk), twice into the same `-d out`.
#[test]
fn javac_and_java_run_under_the_default_profile() {
    if !have("/usr/bin/javac") {
        return;
    }
    for who in BOTH {
        let (_keep, d) = workdir(who);
        std::fs::write(d.join("Sum.java"), JAVA_SRC).unwrap();
        if who == Who::User {
            let (u, g) = ensure_user();
            std::os::unix::fs::chown(d.join("Sum.java"), Some(u), Some(g)).unwrap();
        }
        for _ in 0..2 {
            Run::new(who, Mode::Launcher, &d).opt("pids", "512").run("/usr/bin/javac", &["-d", "out", "Sum.java"]).ok();
        }
        let o = Run::new(who, Mode::Launcher, &d)
            .stdin(b"1 2 3 39\n".to_vec())
            .run("/usr/bin/java", &["-cp", "out", "Sum"]);
        o.ok().has("sum 45\n");
        if who == Who::Root {
            let _ = std::fs::remove_dir_all(&d);
        }
    }
}

/// Every symlink from /usr into /etc (found by walking /usr, as the README says) resolves
/// inside the jail, unless it is on the list of what is deliberately left out.
#[test]
fn what_usr_links_into_etc_is_visible_and_secrets_are_not() {
    let left_out = ["/etc/ssl/private", "/etc/environment", "/etc/X11", "/etc/groff", "/etc/maven"];
    let o = Command::new("sh")
        .args(["-c", "find /usr -xdev -type l -print0 | xargs -0 -r readlink -e | grep '^/etc/' | sort -u"])
        .output()
        .unwrap();
    let targets: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|t| !left_out.iter().any(|l| t.starts_with(l)))
        .map(String::from)
        .collect();
    assert!(!targets.is_empty() || !Path::new("/usr/lib/jvm").exists(), "no /usr -> /etc links found");
    let secrets = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/etc/ssl/private", "/etc/machine-id"];
    let s = Scratch::new("etc");
    for who in BOTH {
        let mut script = String::new();
        for t in &targets {
            script += &format!("test -r '{t}' || echo MISSING {t}; ");
        }
        for t in secrets {
            script += &format!("test -e '{t}' && echo EXPOSED {t}; ");
        }
        script += "echo done";
        let o = Run::new(who, Mode::Launcher, s.path()).run("/bin/sh", &["-c", &script]);
        o.ok().has("done\n").lacks("MISSING").lacks("EXPOSED");
    }
    println!("{} /usr -> /etc targets checked", targets.len());
}
