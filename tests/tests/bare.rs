//! Bare mode against a hostile program: arming calls nothing a program can interpose, LD_AUDIT
//! arms before any program code, and glibc's state in the program is intact.

use sandbox_e2e::*;
use std::process::Command;

/// The library imports no symbol at all (and needs no other library): nothing on the arming
/// path can be interposed, because nothing is looked up.
#[test]
fn the_library_imports_nothing() {
    let o = Command::new("nm").args(["-D", "--undefined-only"]).arg(lib()).output().unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "", "undefined dynamic symbols in libsandbox.so");
    let o = Command::new("readelf").args(["-d"]).arg(lib()).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("NEEDED"), "libsandbox.so has DT_NEEDED entries");
    // Exported: only the audit entry point.
    let o = Command::new("nm").args(["-D", "--defined-only"]).arg(lib()).output().unwrap();
    let syms: Vec<String> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split(' ').next_back().unwrap().into()).collect();
    assert_eq!(syms, ["la_version"]);
}

/// A program that defines prctl, syscall, seccomp, malloc, memcpy, fork, getenv, mount,
/// unshare, setrlimit and open (exported with -rdynamic), each printing a marker, is fully
/// contained under LD_PRELOAD, and no marker appears before its main.
#[test]
fn an_interposing_program_is_contained_and_never_called_while_arming() {
    let prog = root_dir().join("c-tests/build/attack_interpose");
    assert!(prog.exists(), "build the C programs first (make -C c-tests)");
    let s = Scratch::new("interpose");
    // The program's own printf("MAIN") allocates stdout's buffer first, so some markers come
    // before the word MAIN even unsandboxed: arming must add none to that prefix.
    let head = |out: &str| out.split("MAIN").next().unwrap().to_string();
    let plain = Command::new("sh").args(["-c", &format!("exec 2>&1; {}", prog.display())]).output().unwrap();
    let baseline = head(&String::from_utf8_lossy(&plain.stdout));
    ensure_user();
    for who in BOTH {
        for var in ["LD_PRELOAD", "LD_AUDIT"] {
            let user = match who {
                Who::Root => String::new(),
                Who::User => format!("setpriv --reuid={USER} --regid={USER} --clear-groups -- "),
            };
            // One stream, so the order of markers and MAIN is the order they happened in.
            let sh = format!("exec 2>&1; {user}env {var}={} {}", lib().display(), prog.display());
            let o = Command::new("sh").args(["-c", &sh]).current_dir(s.path()).output().unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(out.contains("MAIN"), "{who:?}/{var}: main never ran: {out}");
            assert_eq!(head(&out), baseline, "{who:?}/{var}: interposed during arming:\n{out}");
            assert!(out.contains("ATTACK interpose: BLOCKED"), "{who:?}/{var}: not contained:\n{out}");
        }
    }
}

/// glibc's per-thread state is the program's own after arming (the app re-executes the
/// image rather than returning from a raw clone): threads, raise, fork, malloc, abort.
#[test]
fn glibc_state_is_intact_in_the_program() {
    let p = cc(
        "glibc_state",
        r#"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int got;
static void on(int s) { got = s; }
static void *th(void *a) { return (void *)(long)(pthread_self() != *(pthread_t *)a); }
int main(int argc, char **argv) {
    pthread_t me = pthread_self(), t; void *r;
    pthread_create(&t, 0, th, &me); pthread_join(t, &r);
    signal(SIGUSR1, on); raise(SIGUSR1);
    pid_t c = fork(); if (c == 0) _exit(7); int st; waitpid(c, &st, 0);
    char *m = malloc(1 << 20); memset(m, 1, 1 << 20); free(m);
    printf("thread=%ld raise=%d fork=%d getpid=%d\n", (long)r, got, WEXITSTATUS(st), getpid() != 1);
    fflush(stdout);
    if (argc > 1) abort();
    return 0;
}"#,
        &["-pthread"],
    );
    let s = Scratch::new("glibc");
    for who in BOTH {
        for mode in MODES {
            let r = Run::new(who, mode, s.path());
            r.run(p.to_str().unwrap(), &[]).ok().has("thread=1 raise=10 fork=7 getpid=1");
            r.run(p.to_str().unwrap(), &["abort"]).killed_by(libc::SIGABRT);
        }
    }
}

/// LD_AUDIT arms before the program's .preinit_array, its libraries' constructors and its
/// IFUNC resolvers run; LD_PRELOAD cannot (documented), the launcher can.
#[test]
fn pre_main_code_is_contained_by_audit_and_launcher() {
    let s = Scratch::new("premain");
    let canary = s.join("canary");
    let pidfile = s.join("pid");
    for prog in ["attack_preinit", "attack_ctor", "attack_ifunc"] {
        let p = root_dir().join("c-tests/build").join(prog);
        assert!(p.exists(), "build the C programs first");
        for mode in [Mode::Launcher, Mode::Audit, Mode::Bare] {
            std::fs::write(&canary, "canary\n").unwrap();
            std::fs::set_permissions(&canary, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
            let _ = std::fs::remove_file(&pidfile);
            // The canary lives outside the work dir, so only an escaped process can reach it.
            let work = s.join("work");
            std::fs::create_dir_all(&work).unwrap();
            let o = Run::new(Who::Root, mode, &work)
                .env("CANARY", canary.to_str().unwrap())
                .run(p.to_str().unwrap(), &[canary.to_str().unwrap(), pidfile.to_str().unwrap()]);
            let touched = std::fs::read_to_string(&canary).unwrap() != "canary\n";
            let escaped = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
                .filter(|&pid| pid > 1 && std::path::Path::new(&format!("/proc/{pid}")).exists());
            if let Some(pid) = escaped {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            match mode {
                Mode::Bare => assert!(touched || escaped.is_some(), "{prog}: LD_PRELOAD was expected to be too late"),
                _ => assert!(!touched && escaped.is_none(), "{prog} {mode:?}: pre-main code escaped: {}", o.stdout()),
            }
        }
    }
}

/// The library inside the work dir (as when running from the source tree) is already visible
/// there: no second bind, and no write into a directory the run may not write.
#[test]
fn a_library_inside_the_work_dir_needs_no_bind() {
    let s = Scratch::new("libinwork");
    let sub = s.join("lib");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let l = sub.join("libsandbox.so");
    std::fs::copy(lib(), &l).unwrap();
    for var in ["LD_PRELOAD", "LD_AUDIT"] {
        for path in [l.to_str().unwrap(), "./lib/libsandbox.so"] {
            let o = Command::new("/bin/sh")
                .args(["-c", "grep Seccomp: /proc/self/status"])
                .env(var, path)
                .current_dir(s.path())
                .output()
                .unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success() && out.contains("Seccomp:\t2"),
                "{var}={path}: {out} {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(o.stderr.is_empty(), "{var}={path}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
}
