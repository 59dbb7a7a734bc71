//! The interpreter the differential test relies on, checked against the real kernel: a forked
//! child installs a filter (ours and libseccomp's) and makes one harmless syscall; what the
//! kernel did (killed with SIGSYS, a filter errno, or the call's own result, compared with the
//! same call made without a filter) must be what the interpreter predicts.
//! Also a mutation check: the comparison does see a one-rule difference.

use libc::sock_filter;
use sandbox_core::policy::Seccomp;
use sandbox_core::seccomp::syscalls::nr;
use sandbox_core::seccomp::{self, Options, PROBE_MAGIC, PROBE_NR};
use seccomp_diff::*;
use std::arch::asm;

const COOKIE: u64 = 0x1234_5678_9abc_def0;
const TIOCSTI: u64 = 0x5412;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Killed(i32),
    Ret(i64),
}

#[derive(Clone, Copy, Debug)]
enum Call {
    /// x86-64 `syscall` with six arguments.
    Native(u32, [u64; 6]),
    /// i386 `int $0x80` with eax = nr and no argument (getpid).
    I386(u32),
}

/// SAFETY (for callers): only the calls in `calls()`, which take no pointers or NULL ones.
unsafe fn issue(c: Call) -> i64 {
    match c {
        Call::Native(n, a) => {
            let r: i64;
            asm!("syscall", inlateout("rax") n as i64 => r, in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
                 in("r10") a[3], in("r8") a[4], in("r9") a[5], lateout("rcx") _, lateout("r11") _, options(nostack));
            r
        }
        Call::I386(n) => {
            let r: i32;
            asm!("int 0x80", inlateout("eax") n as i32 => r, options(nostack));
            r as i64
        }
    }
}

/// Fork; the child installs `prog` (if any), issues `c` and reports the result.
fn observe(prog: Option<&[sock_filter]>, c: Call) -> Outcome {
    let fprog = prog.map(|p| libc::sock_fprog { len: p.len() as u16, filter: p.as_ptr() as *mut _ });
    let mut fds = [0; 2];
    // SAFETY: the child only makes raw syscalls (no allocation, no locks) and _exits.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            libc::close(fds[0]);
            if let Some(f) = &fprog {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, f as *const libc::sock_fprog)
                        != 0
                {
                    libc::_exit(99);
                }
            }
            let r = issue(c);
            libc::write(fds[1], (&r as *const i64).cast(), 8);
            libc::_exit(0);
        }
        libc::close(fds[1]);
        let mut r = 0i64;
        let n = libc::read(fds[0], (&mut r as *mut i64).cast(), 8);
        libc::close(fds[0]);
        let mut st = 0;
        assert_eq!(libc::waitpid(pid, &mut st, 0), pid);
        if libc::WIFSIGNALED(st) {
            return Outcome::Killed(libc::WTERMSIG(st));
        }
        assert_eq!(libc::WEXITSTATUS(st), 0, "child could not install the filter");
        assert_eq!(n, 8);
        Outcome::Ret(r)
    }
}

fn calls() -> Vec<Call> {
    let z = [0u64; 6];
    let a = |v: &[u64]| {
        let mut x = z;
        x[..v.len()].copy_from_slice(v);
        x
    };
    let n = |s| nr(s);
    vec![
        Call::Native(n("getppid"), z),
        Call::Native(n("uname"), z), // NULL buffer: EFAULT when allowed
        Call::Native(n("mount"), z),
        Call::Native(n("personality"), a(&[0xffff_ffff])),
        Call::Native(n("personality"), a(&[0x0040_0000])),
        Call::Native(n("ioctl"), a(&[u64::MAX, TIOCSTI])),
        Call::Native(n("ioctl"), a(&[u64::MAX, 1 << 32 | TIOCSTI])),
        Call::Native(n("ioctl"), a(&[u64::MAX, 0x5401])),
        Call::Native(n("clone3"), z),
        Call::Native(n("unshare"), a(&[0x80])),
        Call::Native(n("unshare"), a(&[libc::CLONE_NEWUSER as u64])),
        Call::Native(n("seccomp"), a(&[1, 8])), // NEW_LISTENER, NULL program
        Call::Native(n("seccomp"), a(&[1, 0])),
        Call::Native(n("execve"), z),
        Call::Native(n("execveat"), a(&[u64::MAX, 0, 0, 0, 0, COOKIE])),
        Call::Native(n("execveat"), a(&[u64::MAX, 0, 0, 0, 0, COOKIE ^ 1 << 40])),
        Call::Native(n("socket"), a(&[99])), // EAFNOSUPPORT when allowed
        Call::Native(n("socket"), a(&[libc::AF_UNIX as u64, 99])), // EINVAL when allowed
        Call::Native(n("socket"), a(&[libc::AF_INET as u64, 99])),
        // Set-id guard; NULL paths: EFAULT when allowed.
        Call::Native(n("mkdir"), a(&[0, 0o4755])),
        Call::Native(n("mkdir"), a(&[0, 0o1755])),
        Call::Native(n("chmod"), a(&[0, 0o2755])),
        Call::Native(n("openat"), a(&[u64::MAX, 0, libc::O_CREAT as u64, 0o6755])),
        Call::Native(n("openat"), a(&[u64::MAX, 0, libc::O_CREAT as u64, 1 << 32 | 0o644])),
        Call::Native(n("openat2"), z),
        // no_processes; both fail with EINVAL when allowed (no process or thread is made):
        // CLONE_THREAD without CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM.
        Call::Native(n("clone"), a(&[libc::CLONE_THREAD as u64])),
        Call::Native(n("clone"), a(&[libc::CLONE_SIGHAND as u64])),
        Call::Native(PROBE_NR, a(&[PROBE_MAGIC])),
        Call::Native(PROBE_NR, a(&[PROBE_MAGIC ^ 1 << 63])),
        Call::Native(u32::MAX, z),
        Call::Native(X32_BIT | n("getpid"), z),
        Call::I386(20),
    ]
}

fn predict(prog: &[sock_filter], c: Call) -> Option<Outcome> {
    let d = match c {
        Call::Native(n, a) => Data::new(AUDIT_ARCH_X86_64, n, a),
        Call::I386(n) => Data::new(AUDIT_ARCH_I386, n, [0; 6]),
    };
    let act = run(prog, &d).unwrap();
    match act & 0xffff_0000 {
        RET_KILL_PROCESS => Some(Outcome::Killed(libc::SIGSYS)),
        0x0005_0000 => Some(Outcome::Ret(-((act & 0xffff) as i64))),
        RET_ALLOW => None, // the call's own result
        _ => panic!("unexpected action {act:#x} for {c:?}"),
    }
}

#[test]
fn interpreter_matches_the_kernel() {
    let (mut checked, mut kinds) = (0, std::collections::BTreeSet::new());
    for p in [Seccomp::Default, Seccomp::Strict, Seccomp::Compile, Seccomp::None] {
        for (exec_cookie, no_processes) in [(0, false), (COOKIE, false), (0, true), (COOKIE, true)] {
            let o = Options { exec_cookie, notify: false, no_processes };
            let rs = seccomp::ruleset(&p).unwrap();
            for (who, prog) in [("ours", seccomp::build(&p, &o).unwrap()), ("libseccomp", reference(&rs, &o).unwrap())]
            {
                for c in calls() {
                    let seen = observe(Some(&prog), c);
                    let want = match predict(&prog, c) {
                        Some(w) => w,
                        None => {
                            kinds.insert("allow");
                            observe(None, c)
                        }
                    };
                    if let Outcome::Killed(_) = want {
                        kinds.insert("kill");
                    } else if want != observe(None, c) {
                        kinds.insert("errno");
                    }
                    assert_eq!(seen, want, "{who} {p:?} cookie={exec_cookie:#x} no_processes={no_processes}: {c:?}");
                    checked += 1;
                }
            }
        }
    }
    println!("{checked} kernel runs agree with the interpreter ({kinds:?})");
    assert_eq!(kinds.len(), 3, "every kind of outcome was exercised");
}

/// The differential comparison is not blind: a one-rule change shows up, on exactly that
/// syscall.
#[test]
fn a_one_rule_difference_is_seen() {
    let dir = std::env::temp_dir().join(format!("seccomp-mut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, "default allow\ndeny ptrace\n").unwrap();
    std::fs::write(&b, "default allow\n").unwrap();
    let o = Options::default();
    let ours = seccomp::build(&Seccomp::File(a.to_str().unwrap().into()), &o).unwrap();
    let other = reference(&seccomp::ruleset(&Seccomp::File(b.to_str().unwrap().into())).unwrap(), &o).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let differ: Vec<u32> = (0..1024)
        .filter(|&n| {
            run(&ours, &Data::new(AUDIT_ARCH_X86_64, n, [0; 6]))
                != run(&other, &Data::new(AUDIT_ARCH_X86_64, n, [0; 6]))
        })
        .collect();
    assert_eq!(differ, vec![nr("ptrace")]);
}
