//! Every common judge language, compiled under `--profile compile` and run under
//! `--profile judge --memory 256M`, reading stdin and writing stdout, with status OK in the
//! report. As root in a fresh `mktemp -d` work dir (mode 0700, root's), and as the
//! unprivileged test user in a `mktemp -d` dir of its own. Real compilers and runtimes from
//! Debian (scripts/deps.sh installs them), at the /usr paths the jail shows.

use sandbox_e2e::*;
use std::path::{Path, PathBuf};

/// What every program is given, and what each must print.
const INPUT: &[u8] = b"5\n1 2 3 4\n100000000000\n";
const WANT: &str = "sum=100000000015\n";
/// The jail shows /usr: the caller's PATH must name the runtimes there (not rustup's or
/// pyenv's under /root), for the launcher and for the compilers' own lookups (cc1, ld, cc).
const PATH: &str = "/usr/bin:/bin";

/// A private work dir made by `mktemp -d` (0700) as `who`, removed on drop.
struct WorkDir(PathBuf);
impl WorkDir {
    fn new(who: Who) -> WorkDir {
        let o = command(who, Path::new("/usr/bin/mktemp")).args(["-d", "/tmp/sbx-lang.XXXXXX"]).output().unwrap();
        assert!(o.status.success(), "mktemp: {}", String::from_utf8_lossy(&o.stderr));
        let d = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim());
        let mode = std::os::unix::fs::MetadataExt::mode(&std::fs::metadata(&d).unwrap());
        assert_eq!(mode & 0o777, 0o700, "{}", d.display());
        WorkDir(d)
    }
    /// A source file, owned by the dir's owner.
    fn write(&self, name: &str, text: &str, mode: u32) {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
        let m = std::fs::metadata(&self.0).unwrap();
        use std::os::unix::fs::MetadataExt;
        std::os::unix::fs::chown(&p, Some(m.uid()), Some(m.gid())).unwrap();
    }
}
impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sandbox(who: Who, dir: &WorkDir, profile: &str, report: &str) -> Run {
    let r = Run::new(who, Mode::Launcher, &dir.0).opt("profile", profile).opt("report", report).env("PATH", PATH);
    if profile == "judge" {
        r.opt("memory", "256M")
    } else {
        r
    }
}

fn report_ok(dir: &WorkDir, report: &str, seccomp: &str) {
    let r = std::fs::read_to_string(dir.0.join(report)).unwrap();
    assert_eq!(field(&r, "status"), "OK", "{r}");
    assert_eq!(field(&r, "seccomp"), seccomp, "{r}");
}

/// Compile `cmd` under `compile` (when given), then run `prog args` under judge on INPUT.
fn judge(who: Who, src: (&str, &str), compile: Option<&[&str]>, prog: &str, args: &[&str]) {
    let dir = WorkDir::new(who);
    let exec = src.0.ends_with(".py");
    dir.write(src.0, src.1, if exec { 0o755 } else { 0o644 });
    if let Some(cmd) = compile {
        let o = sandbox(who, &dir, "compile", "compile.json").run(cmd[0], &cmd[1..]);
        o.ok();
        report_ok(&dir, "compile.json", "compile");
    }
    let o = sandbox(who, &dir, "judge", "run.json").stdin(INPUT.to_vec()).run(prog, args);
    o.ok();
    assert_eq!(o.stdout(), WANT, "[{who:?}] {prog}: stderr {}", o.stderr());
    report_ok(&dir, "run.json", "strict");
}

const C: (&str, &str) = (
    "sol.c",
    r#"#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    /* glibc asks nscd first (a socket): judge answers EACCES and the lookup falls back. */
    (void)getpwuid(getuid());
    long long x, s = 0;
    while (scanf("%lld", &x) == 1) s += x;
    printf("sum=%lld\n", s);
    return 0;
}
"#,
);

const CPP: (&str, &str) = (
    "sol.cpp",
    r#"#include <iostream>
#include <thread>
#include <vector>
int main() {
    std::vector<long long> v;
    long long x;
    while (std::cin >> x) v.push_back(x);
    long long s = 0;
    std::thread t([&] { for (auto y : v) s += y; });
    t.join();
    std::cout << "sum=" << s << std::endl;
}
"#,
);

const PY: (&str, &str) =
    ("sol.py", "#!/usr/bin/env python3\nimport sys\nprint(f\"sum={sum(map(int, sys.stdin.read().split()))}\")\n");

const JAVA: (&str, &str) = (
    "Main.java",
    r#"import java.io.*;
import java.util.*;
public class Main {
    public static void main(String[] a) throws IOException {
        StreamTokenizer t = new StreamTokenizer(new BufferedReader(new InputStreamReader(System.in)));
        t.resetSyntax(); t.wordChars('0', '9'); t.whitespaceChars(0, ' ');
        long s = 0;
        while (t.nextToken() != StreamTokenizer.TT_EOF) s += Long.parseLong(t.sval);
        System.out.println("sum=" + s);
    }
}
"#,
);

const JS: (&str, &str) = (
    "sol.js",
    "const s = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).reduce((a, x) => a + BigInt(x), 0n);\nconsole.log(`sum=${s}`);\n",
);

const GO: (&str, &str) = (
    "sol.go",
    r#"package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	r := bufio.NewReader(os.Stdin)
	var s, x int64
	for {
		if _, err := fmt.Fscan(r, &x); err != nil {
			break
		}
		s += x
	}
	fmt.Printf("sum=%d\n", s)
}
"#,
);

const RUST: (&str, &str) = (
    "sol.rs",
    r#"use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let t: i64 = s.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum();
    println!("sum={}", t);
}
"#,
);

const RUBY: (&str, &str) = ("sol.rb", "puts \"sum=#{STDIN.read.split.map(&:to_i).sum}\"\n");

fn c(who: Who) {
    judge(who, C, Some(&["/usr/bin/gcc", "-O2", "-o", "sol", "sol.c"]), "./sol", &[]);
}
fn cpp(who: Who) {
    judge(who, CPP, Some(&["/usr/bin/g++", "-O2", "-pthread", "-o", "sol", "sol.cpp"]), "./sol", &[]);
}
fn python(who: Who) {
    // A `#!/usr/bin/env python3` script: the launcher execs python3 itself (one exec).
    judge(who, PY, None, "./sol.py", &[]);
}
fn java(who: Who) {
    judge(who, JAVA, Some(&["/usr/bin/javac", "-d", ".", "Main.java"]), "/usr/bin/java", &["-cp", ".", "Main"]);
}
fn node(who: Who) {
    judge(who, JS, None, "/usr/bin/node", &["sol.js"]);
}
fn go(who: Who) {
    judge(who, GO, Some(&["/usr/bin/go", "build", "-o", "sol", "sol.go"]), "./sol", &[]);
}
fn rust(who: Who) {
    judge(who, RUST, Some(&["/usr/bin/rustc", "-O", "-o", "sol", "sol.rs"]), "./sol", &[]);
}
fn ruby(who: Who) {
    judge(who, RUBY, None, "/usr/bin/ruby", &["sol.rb"]);
}

#[test]
fn c_root() {
    c(Who::Root)
}
#[test]
fn c_user() {
    c(Who::User)
}
#[test]
fn cpp_root() {
    cpp(Who::Root)
}
#[test]
fn cpp_user() {
    cpp(Who::User)
}
#[test]
fn python_root() {
    python(Who::Root)
}
#[test]
fn python_user() {
    python(Who::User)
}
#[test]
fn java_root() {
    java(Who::Root)
}
#[test]
fn java_user() {
    java(Who::User)
}
#[test]
fn node_root() {
    node(Who::Root)
}
#[test]
fn node_user() {
    node(Who::User)
}
#[test]
fn go_root() {
    go(Who::Root)
}
#[test]
fn go_user() {
    go(Who::User)
}
#[test]
fn rust_root() {
    rust(Who::Root)
}
#[test]
fn rust_user() {
    rust(Who::User)
}
#[test]
fn ruby_root() {
    ruby(Who::Root)
}
#[test]
fn ruby_user() {
    ruby(Who::User)
}

/// Judge: new processes are violations unless `--processes yes`; exec always is.
#[test]
fn judge_forbids_new_processes_unless_asked() {
    let fork = cc(
        "lang_fork",
        r#"
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    puts("start"); fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (argc > 1) execl("/bin/true", "true", (char *)0);
        _exit(7);
    }
    int st = 0; waitpid(p, &st, 0);
    printf("child %d\n", WEXITSTATUS(st));
    return 0;
}"#,
        &[],
    );
    let s = Scratch::new("lang-fork");
    let f = fork.to_str().unwrap();
    for who in BOTH {
        // Report files per user: root's would not be the test user's to overwrite.
        let rep = |n: &str| format!("{who:?}-{n}");
        let sv = |o: &Out, report: &str, name: &str| {
            o.killed_by(libc::SIGKILL).has("start").lacks("child");
            let r = std::fs::read_to_string(s.join(&rep(report))).unwrap();
            assert_eq!((field(&r, "status"), field(&r, "syscall")), ("SV".into(), name.into()), "{r}");
        };
        let o =
            Run::new(who, Mode::Launcher, s.path()).opt("profile", "judge").opt("report", &rep("f.json")).run(f, &[]);
        sv(&o, "f.json", "clone");
        let run = || Run::new(who, Mode::Launcher, s.path()).opt("profile", "judge").opt("processes", "yes");
        run().run(f, &[]).ok().has("child 7");
        // The child's exec attempt is still a violation.
        let o = run().opt("report", &rep("e.json")).run(f, &["exec"]);
        sv(&o, "e.json", "execve");
        // posix_spawn (Python's subprocess) is a vfork.
        let o = Run::new(who, Mode::Launcher, s.path()).opt("profile", "judge").opt("report", &rep("p.json")).run(
            "/usr/bin/python3",
            &["-c", "import subprocess; print('start', flush=True); subprocess.run(['/bin/true'])"],
        );
        sv(&o, "p.json", "vfork");
    }
}

/// Compile: exec and processes work (a shell pipeline), the network does not.
#[test]
fn compile_allows_processes_but_no_network() {
    let s = Scratch::new("lang-compile");
    let py = "import socket, errno\n\
              a, b = socket.socketpair(); a.send(b'x'); print('unix', b.recv(1))\n\
              for fam in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK):\n\
              \x20   try:\n\
              \x20       socket.socket(fam, socket.SOCK_DGRAM if fam == socket.AF_NETLINK else socket.SOCK_STREAM)\n\
              \x20       print('open', fam)\n\
              \x20   except OSError as e: print('refused', errno.errorcode[e.errno])\n";
    for who in BOTH {
        let o = Run::new(who, Mode::Launcher, s.path())
            .opt("profile", "compile")
            .opt("report", &format!("{who:?}-c.json"))
            .run("/bin/sh", &["-c", &format!("echo hi | tr a-z A-Z && /usr/bin/python3 -c \"{py}\"")]);
        o.ok().has("HI\n").has("unix b'x'\n").lacks("open");
        assert_eq!(o.stdout().matches("refused EACCES").count(), 3, "{}", o.stdout());
        let r = std::fs::read_to_string(s.join(&format!("{who:?}-c.json"))).unwrap();
        assert_eq!(field(&r, "seccomp"), "compile", "{r}");
    }
}

/// The judge profile still kills a program that opens a network socket, naming the call.
#[test]
fn judge_network_socket_is_a_violation() {
    let s = Scratch::new("lang-net");
    for who in BOTH {
        let o = Run::new(who, Mode::Launcher, s.path())
            .opt("profile", "judge")
            .opt("report", &format!("{who:?}-n.json"))
            .run(
                "/usr/bin/python3",
                &["-c", "import socket; print('start', flush=True); socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)"],
            );
        o.killed_by(libc::SIGKILL).has("start");
        let r = std::fs::read_to_string(s.join(&format!("{who:?}-n.json"))).unwrap();
        assert_eq!((field(&r, "status"), field(&r, "syscall")), ("SV".into(), "socket".into()), "{r}");
    }
    // Sanity: the same program runs to the socket call under the default profile.
    let o = Run::new(Who::Root, Mode::Launcher, s.path()).run(
        "/usr/bin/python3",
        &["-c", "import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); print('made')"],
    );
    o.ok().has("made");
}
