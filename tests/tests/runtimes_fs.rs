//! What runtimes need from /etc (and, below, from /sys/fs/cgroup), without the
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

fn max_heap(o: &Out) -> u64 {
    let line = o
        .stdout()
        .lines()
        .find(|l| l.contains(" MaxHeapSize "))
        .map(String::from)
        .unwrap_or_else(|| panic!("no MaxHeapSize: {}", o.stderr()));
    line.split('=').nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// The JVM reads its limits from /sys/fs/cgroup: under --memory 256M it sizes its heap
/// from that, not from the host's RAM.
#[test]
fn java_sizes_its_heap_from_the_runs_cgroup() {
    if !have("/usr/bin/java") {
        return;
    }
    let s = Scratch::new("jheap");
    let o = Run::new(Who::Root, Mode::Launcher, s.path())
        .opt("memory", "256M")
        .opt("pids", "512")
        .run("/usr/bin/java", &["-XX:+PrintFlagsFinal", "-version"]);
    o.ok();
    let heap = max_heap(&o);
    assert!(heap <= 256 << 20, "MaxHeapSize {heap} > 256M under --memory 256M");
    println!("root, --memory 256M: MaxHeapSize = {heap}");
    // Unprivileged here no cgroup is delegated: nothing is shown at /sys/fs/cgroup, and the
    // JVM sizes its heap from the host (the memory limit is enforced without a cgroup).
    let rep = s.join("r.json");
    let o = Run::new(Who::User, Mode::Launcher, s.path())
        .opt("report", rep.to_str().unwrap())
        .opt("memory", "2G")
        .run("/bin/sh", &["-c", "test -e /sys/fs/cgroup && echo SHOWN || echo ABSENT"]);
    o.ok();
    let mech = field(&std::fs::read_to_string(&rep).unwrap(), "memory");
    if mech.starts_with("cgroup") {
        o.has("SHOWN\n");
    } else {
        o.has("ABSENT\n");
        println!("sbxtest: no cgroup (memory by {mech}): /sys/fs/cgroup absent, the JVM sizes its heap from the host");
    }
}

/// Node (libuv) reads memory.limit_in_bytes / memory.max of its own cgroup.
#[test]
fn node_sees_the_memory_limit() {
    if !have("/usr/bin/node") {
        return;
    }
    let s = Scratch::new("nheap");
    let js = "console.log(process.constrainedMemory(), require('v8').getHeapStatistics().heap_size_limit)";
    let o = Run::new(Who::Root, Mode::Launcher, s.path()).opt("memory", "256M").run("/usr/bin/node", &["-e", js]);
    o.ok();
    let v: Vec<u64> = o.stdout().split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(v[0], 256 << 20, "{}", o.stdout());
    assert!(v[1] <= 300 << 20, "V8 heap limit {} not sized from 256M", v[1]);
}

/// The view is the run's own cgroup, read-only, nosuid/nodev/noexec, with nothing else of
/// /sys and no other cgroup (a concurrent run's leaf is not there), in every mode.
#[test]
fn cgroup_view_is_read_only_and_only_the_runs_own() {
    let s = Scratch::new("cgview");
    // A neighbour run, alive while we look.
    let mut other = Run::new(Who::Root, Mode::Launcher, s.path())
        .opt("memory", "64M")
        .command("/bin/sleep", &["5"])
        .spawn()
        .unwrap();
    let script = r#"
        ls /sys; ls /sys/fs
        grep -c . /proc/self/cgroup; grep -v ':/$' /proc/self/cgroup
        grep ' cgroup' /proc/self/mountinfo | grep -v 'ro,nosuid,nodev,noexec' && echo WRITABLE
        find /sys/fs/cgroup -mindepth 2 -type d | head -3
        cat /sys/fs/cgroup/memory/memory.limit_in_bytes
        echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo refused-write
        mkdir /sys/fs/cgroup/memory/x || echo refused-mkdir
        echo $$ > /sys/fs/cgroup/memory/cgroup.procs || echo refused-procs
        echo done"#;
    for mode in MODES {
        let o =
            Run::new(Who::Root, mode, s.path()).opt("memory", "128M").opt("pids", "64").run("/bin/sh", &["-c", script]);
        o.ok().has("done\n").lacks("WRITABLE").has("134217728\n");
        let out = o.stdout();
        let mut l = out.lines();
        assert_eq!(l.next(), Some("fs"), "{mode:?}: /sys has more than fs: {out}");
        assert_eq!(l.next(), Some("cgroup"), "{mode:?}: {out}");
        let n: usize = l.next().unwrap().parse().unwrap();
        assert!(n >= 1);
        // Every hierarchy's path is "/" (the namespace root), and no directory below a
        // mount: no other cgroup is visible.
        assert_eq!(l.next(), Some("134217728"), "{mode:?}: a non-root cgroup path or a sub-cgroup is visible: {out}");
        for r in ["refused-write", "refused-mkdir", "refused-procs"] {
            o.has(&format!("{r}\n"));
        }
        assert!(o.stderr().contains("Read-only file system"), "{mode:?}: {}", o.stderr());
    }
    let _ = other.kill();
    let _ = other.wait();
}
