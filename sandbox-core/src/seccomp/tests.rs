//! Real-kernel tests: each forks, installs a filter in the child, makes syscalls and reports
//! through its exit status (0 = every check passed, N = check N failed).

use super::*;
use crate::sys::syscall6;
use core::arch::asm;
use std::time::Instant;

#[derive(Debug, PartialEq, Eq)]
enum Out {
    Exit(i32),
    Signal(i32),
}

fn sc(n: libc::c_long, a: [usize; 6]) -> Result<usize, i32> {
    let r = unsafe { syscall6(n, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if (-4095..0).contains(&r) {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

fn wait(pid: libc::pid_t) -> Out {
    let mut st = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut st, 0) }, pid);
    if libc::WIFSIGNALED(st) {
        Out::Signal(libc::WTERMSIG(st))
    } else {
        Out::Exit(libc::WEXITSTATUS(st))
    }
}

/// Fork; in the child set no_new_privs, install `prog`, run `body`, exit with its result.
fn run_with(prog: &[sock_filter], nnp: bool, body: impl FnOnce() -> i32) -> Out {
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        unsafe {
            if nnp && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                libc::_exit(200);
            }
            if install(prog, 0).is_err() {
                libc::_exit(201);
            }
            libc::_exit(body());
        }
    }
    wait(pid)
}

fn run(profile: Seccomp, opts: Options, body: impl FnOnce() -> i32) -> Out {
    let prog = build(&profile, &opts).unwrap();
    run_with(&prog, true, body)
}

/// Return `code` from the child body unless `cond` holds.
macro_rules! check {
    ($cond:expr, $code:expr) => {
        if !$cond {
            return $code;
        }
    };
}

fn i386_getpid() -> isize {
    let r: isize;
    // SAFETY (test): i386 getpid takes no arguments; the compat entry may clobber r8-r11.
    unsafe {
        asm!("int 0x80", inlateout("rax") 20isize => r,
             lateout("r8") _, lateout("r9") _, lateout("r10") _, lateout("r11") _, options(nostack));
    }
    r
}

#[test]
fn i386_and_x32_calls_kill_the_process() {
    let out = run(Seccomp::None, Options::default(), || i386_getpid() as i32 & 0x7f);
    assert_eq!(out, Out::Signal(libc::SIGSYS));
    let out = run(Seccomp::None, Options::default(), || sc(0x4000_0000 | 39, [0; 6]).is_ok() as i32);
    assert_eq!(out, Out::Signal(libc::SIGSYS));
}

#[test]
fn clone3_and_namespaces_are_refused_by_every_profile() {
    for p in [Seccomp::None, Seccomp::Default, Seccomp::Strict] {
        let out = run(p.clone(), Options::default(), || {
            check!(sc(libc::SYS_clone3, [0; 6]) == Err(libc::ENOSYS), 1);
            check!(crate::sys::clone_fork(libc::CLONE_NEWNS as u64) == Err(libc::EPERM), 2);
            check!(crate::sys::clone_fork(libc::CLONE_NEWUSER as u64) == Err(libc::EPERM), 3);
            // A plain fork still works.
            match crate::sys::clone_fork(0) {
                Ok(0) => unsafe { libc::_exit(0) },
                Ok(pid) => check!(crate::sys::wait4(pid, 0, None).map(|r| r.1) == Ok(0), 4),
                Err(_) => return 5,
            }
            0
        });
        assert_eq!(out, Out::Exit(0), "{p:?}");
    }
    let out = run(Seccomp::None, Options::default(), || {
        check!(crate::sys::unshare(libc::CLONE_NEWUSER) == Err(libc::EPERM), 1);
        check!(crate::sys::unshare(0x80 /* CLONE_NEWTIME */) == Err(libc::EPERM), 2);
        check!(crate::sys::unshare(libc::CLONE_FILES).is_ok(), 3);
        0
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn default_profile_denies_admin_and_debug_calls() {
    let out = run(Seccomp::Default, Options::default(), || {
        check!(crate::sys::unshare(libc::CLONE_NEWUSER) == Err(libc::EPERM), 1);
        check!(crate::sys::unshare(libc::CLONE_FILES) == Err(libc::EPERM), 2);
        check!(crate::sys::mount(None, b"/nonexistent-sbx", None, libc::MS_REMOUNT, None) == Err(libc::EPERM), 3);
        check!(sc(libc::SYS_ptrace, [libc::PTRACE_PEEKUSER as usize, 0x7fff_ffff, 0, 0, 0, 0]) == Err(libc::EPERM), 4);
        check!(sc(libc::SYS_io_uring_setup, [1, 0, 0, 0, 0, 0]) == Err(libc::EPERM), 5);
        check!(sc(libc::SYS_bpf, [0; 6]) == Err(libc::EPERM), 6);
        // TIOCSTI refused even with junk in the upper half of the command word.
        // SAFETY: fd -1 and a null argument: the kernel (or the filter) refuses before
        // reading anything.
        let ioctl = |req| unsafe { crate::sys::ioctl(-1, req, 0) };
        check!(ioctl(0x5412) == Err(libc::EPERM), 7);
        check!(ioctl(0x1_0000_5412) == Err(libc::EPERM), 8);
        check!(ioctl(0x5401 /* TCGETS */) == Err(libc::EBADF), 9);
        check!(sc(libc::SYS_personality, [0x0006 /* PER_BSD */, 0, 0, 0, 0, 0]) == Err(libc::EPERM), 10);
        check!(sc(libc::SYS_personality, [0xffff_ffff, 0, 0, 0, 0, 0]).is_ok(), 11);
        check!(sc(libc::SYS_personality, [0, 0, 0, 0, 0, 0]).is_ok(), 12);
        // Nested filters are fine, listeners are not.
        let nested = build(&Seccomp::None, &Options::default()).unwrap();
        check!(install(&nested, 0).is_ok(), 13);
        check!(install(&nested, FLAG_NEW_LISTENER).err() == Some(libc::EPERM), 14);
        0
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn probe_tells_contained_from_not() {
    assert!(!contained(), "no filter in the test process");
    let out = run(Seccomp::None, Options::default(), || if contained() { 0 } else { 1 });
    assert_eq!(out, Out::Exit(0));
    // Root may install a filter without no_new_privs: the probe alone is not enough.
    let prog = build(&Seccomp::None, &Options::default()).unwrap();
    let out = run_with(&prog, false, || if contained() { 1 } else { 0 });
    assert_eq!(out, Out::Exit(0));
}

fn exec_true(cookie: u64, quiet_stdout: bool) -> i32 {
    let argv = [c"true".as_ptr().cast::<u8>(), core::ptr::null()];
    let envp = [core::ptr::null()];
    // SAFETY: null-terminated arrays of static C strings.
    let (argv, envp) = unsafe { (crate::sys::CStrArray::new(&argv), crate::sys::CStrArray::new(&envp)) };
    if quiet_stdout {
        let _ = crate::sys::open(b"/dev/null", libc::O_WRONLY).and_then(|fd| crate::sys::dup3(fd, 1, 0));
    }
    let Ok(fd) = crate::sys::open(b"/bin/true", libc::O_PATH) else {
        return 22;
    };
    crate::sys::execveat(fd, argv, envp, libc::AT_EMPTY_PATH, cookie);
    25
}

/// A violation kills (no listener here): each wrong exec is tried in its own child.
fn exec_wrong(how: u32, cookie: u64) -> i32 {
    let argv = [c"true".as_ptr().cast::<u8>(), core::ptr::null()];
    let envp = [core::ptr::null::<u8>()];
    let Ok(fd) = crate::sys::open(b"/bin/true", libc::O_PATH) else {
        return 22;
    };
    match how {
        0 => {
            let a = [c"/bin/true".as_ptr() as usize, argv.as_ptr() as usize, envp.as_ptr() as usize, 0, 0, 0];
            let _ = sc(libc::SYS_execve, a);
        }
        how => {
            // SAFETY: null-terminated arrays of static C strings.
            let (a, e) = unsafe { (crate::sys::CStrArray::new(&argv), crate::sys::CStrArray::new(&envp)) };
            let bad = if how == 1 { cookie ^ 1 } else { cookie ^ (1 << 40) };
            crate::sys::execveat(fd, a, e, libc::AT_EMPTY_PATH, bad);
        }
    }
    23
}

#[test]
fn exec_gate_passes_only_the_cookie() {
    let cookie = 0x1234_5678_9abc_def0;
    for p in [Seccomp::Default, Seccomp::Strict] {
        let opts = Options { exec_cookie: cookie, notify: false, ..Default::default() };
        // /bin/true is dynamic: under strict this also runs ld.so and glibc start-up.
        assert_eq!(run(p.clone(), opts, || exec_true(cookie, true)), Out::Exit(0), "{p:?}");
        for how in 0..3 {
            assert_eq!(run(p.clone(), opts, || exec_wrong(how, cookie)), Out::Signal(libc::SIGSYS), "{p:?} {how}");
        }
    }
    // Without a cookie, the default profile leaves exec alone.
    let out = run(Seccomp::Default, Options::default(), || {
        let argv = [c"true".as_ptr().cast::<u8>(), core::ptr::null()];
        let envp = [core::ptr::null::<u8>()];
        let a = [c"/bin/true".as_ptr() as usize, argv.as_ptr() as usize, envp.as_ptr() as usize, 0, 0, 0];
        let _ = sc(libc::SYS_execve, a);
        31
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn no_processes_forbids_fork_but_not_threads() {
    let opts = Options { no_processes: true, ..Default::default() };
    for p in [Seccomp::Default, Seccomp::Strict, Seccomp::Compile] {
        let out = run(p.clone(), opts, || {
            let h = std::thread::spawn(|| 7);
            check!(h.join().ok() == Some(7), 1);
            0
        });
        assert_eq!(out, Out::Exit(0), "{p:?}: threads");
        for n in [libc::SYS_fork, libc::SYS_vfork] {
            let out = run(p.clone(), opts, || {
                let _ = sc(n, [0; 6]);
                2
            });
            assert_eq!(out, Out::Signal(libc::SIGSYS), "{p:?} {n}");
        }
        let out = run(p.clone(), opts, || {
            let _ = crate::sys::clone_fork(0);
            3
        });
        assert_eq!(out, Out::Signal(libc::SIGSYS), "{p:?}: clone");
    }
    // Without the option, a forked child runs.
    let out = run(Seccomp::Strict, Options::default(), || match crate::sys::clone_fork(0) {
        Ok(0) => unsafe { libc::_exit(0) },
        Ok(_) => 0,
        Err(_) => 4,
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn probes_get_an_errno() {
    // AF_UNIX: EACCES under strict (nscd lookups fall back), allowed under compile; other
    // families: a violation under strict, EACCES under compile.
    let out = run(Seccomp::Strict, Options::default(), || {
        check!(crate::sys::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) == Err(libc::EACCES), 1);
        0
    });
    assert_eq!(out, Out::Exit(0));
    let out = run(Seccomp::Compile, Options::default(), || {
        check!(crate::sys::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).is_ok(), 1);
        check!(crate::sys::socket(libc::AF_INET, libc::SOCK_STREAM, 0) == Err(libc::EACCES), 2);
        check!(crate::sys::socket(libc::AF_NETLINK, libc::SOCK_RAW, 0) == Err(libc::EACCES), 3);
        check!(sc(libc::SYS_ptrace, [libc::PTRACE_PEEKUSER as usize, 0x7fff_ffff, 0, 0, 0, 0]) == Err(libc::EPERM), 4);
        0
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn strict_kills_on_socket() {
    let out = run(Seccomp::Strict, Options::default(), || {
        let _ = crate::sys::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        1
    });
    assert_eq!(out, Out::Signal(libc::SIGSYS));
}

#[test]
fn strict_runs_threads() {
    use std::sync::{mpsc, Arc, Mutex};
    let out = run(Seccomp::Strict, Options::default(), || {
        let total = Arc::new(Mutex::new(0u64));
        let (tx, rx) = mpsc::channel();
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let (total, tx) = (total.clone(), tx.clone());
                std::thread::spawn(move || {
                    let v: Vec<u64> = (0..10_000).map(|x| x * i).collect();
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    *total.lock().unwrap() += v.iter().sum::<u64>();
                    tx.send(i).unwrap();
                })
            })
            .collect();
        for h in hs {
            check!(h.join().is_ok(), 1);
        }
        check!(rx.iter().take(4).sum::<u64>() == 6, 2);
        check!(*total.lock().unwrap() == 6 * 49_995_000, 3);
        0
    });
    assert_eq!(out, Out::Exit(0));
}

#[test]
fn strict_notify_lets_a_supervisor_answer() {
    let mut sv = [0; 2];
    assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) }, 0);
    let prog = build(&Seccomp::Strict, &Options { exec_cookie: 0, notify: true, ..Default::default() }).unwrap();
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            libc::close(sv[0]);
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            let Ok(Some(lfd)) = install(&prog, FLAG_NEW_LISTENER) else { libc::_exit(1) };
            if send_fd(sv[1], lfd.raw()).is_err() {
                libc::_exit(2);
            }
            let r = crate::sys::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            libc::_exit(if r == Err(libc::EPERM) { 0 } else { 3 });
        }
    }
    unsafe { libc::close(sv[1]) };
    let lfd = recv_fd(sv[0]).expect("listener fd");
    let (id, nr) = recv_notif(lfd.raw()).expect("notification");
    assert_eq!(nr as libc::c_long, libc::SYS_socket);
    respond_errno(lfd.raw(), id, libc::EPERM).unwrap();
    assert_eq!(wait(pid), Out::Exit(0));
    drop(lfd);
    unsafe { libc::close(sv[0]) };
}

#[test]
fn file_profile_is_read_and_enforced() {
    let path = std::env::temp_dir().join(format!("sbx-seccomp-{}.txt", std::process::id()));
    std::fs::write(&path, "# test\ndefault allow\nerrno EACCES getppid\nkill @net\n").unwrap();
    let p = Seccomp::File(path.to_str().unwrap().to_string());
    let out = run(p.clone(), Options::default(), || {
        check!(sc(libc::SYS_getppid, [0; 6]) == Err(libc::EACCES), 1);
        check!(contained(), 2);
        let _ = crate::sys::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        3
    });
    assert_eq!(out, Out::Signal(libc::SIGSYS));
    std::fs::write(&path, "default allow\ndeny opne\n").unwrap();
    let e = build(&p, &Options::default()).unwrap_err();
    assert!(e.ends_with(": line 2: unknown syscall 'opne'"), "{e}");
    std::fs::remove_file(&path).unwrap();
    let e = build(&p, &Options::default()).unwrap_err();
    assert!(e.contains("cannot read") && e.contains("No such file"), "{e}");
}

/// Build and install cost of each built-in profile (run with --nocapture to see it).
#[test]
fn timing_of_build_and_install() {
    for (name, p) in [
        ("none", Seccomp::None),
        ("default", Seccomp::Default),
        ("strict", Seccomp::Strict),
        ("compile", Seccomp::Compile),
    ] {
        let opts = Options { exec_cookie: 0xfeed_f00d_dead_beef, notify: false, ..Default::default() };
        let n = 200;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(build(&p, &opts).unwrap());
        }
        let build_ns = t.elapsed().as_nanos() / n;
        let prog = build(&p, &opts).unwrap();
        let mut installs = Vec::new();
        for _ in 0..10 {
            let mut fds = [0; 2];
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                unsafe {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    let t = crate::sys::now_ns();
                    let ok = install(&prog, 0).is_ok();
                    let d = if ok { crate::sys::now_ns() - t } else { u64::MAX };
                    libc::write(fds[1], &d as *const u64 as *const libc::c_void, 8);
                    libc::_exit(0);
                }
            }
            let mut d = 0u64;
            unsafe {
                libc::close(fds[1]);
                libc::read(fds[0], &mut d as *mut u64 as *mut libc::c_void, 8);
                libc::close(fds[0]);
            }
            assert_eq!(wait(pid), Out::Exit(0));
            assert_ne!(d, u64::MAX, "install failed");
            installs.push(d);
        }
        installs.sort();
        println!(
            "seccomp {name:8} insns={:4} build={:6} ns install(median of 10)={:6} ns",
            prog.len(),
            build_ns,
            installs[5]
        );
    }
}

/// The whole layout on the reference interpreter: cookie halves, arch, unknown numbers.
#[test]
fn layout_on_the_interpreter() {
    use super::bpf::run as bpf;
    const X86_64: u32 = 0xc000_003e;
    let nr = |s| syscalls::number(s).unwrap();
    let cookie = 0xaaaa_bbbb_cccc_ddddu64;
    let prog = build(&Seccomp::Strict, &Options { exec_cookie: cookie, notify: true, ..Default::default() }).unwrap();
    let ret = |n, args| bpf(&prog, n, X86_64, args);
    let allow = libc::SECCOMP_RET_ALLOW;
    let eperm = libc::SECCOMP_RET_ERRNO | 1;
    assert_eq!(bpf(&prog, 39, 0x4000_0003 /* i386 */, [0; 6]), libc::SECCOMP_RET_KILL_PROCESS);
    assert_eq!(ret(nr("read"), [0; 6]), allow);
    assert_eq!(ret(nr("socket"), [0; 6]), libc::SECCOMP_RET_USER_NOTIF);
    assert_eq!(ret(nr("execveat"), [0, 0, 0, 0, 0, cookie]), allow);
    let notif = libc::SECCOMP_RET_USER_NOTIF;
    assert_eq!(ret(nr("execveat"), [0, 0, 0, 0, 0, cookie & 0xffff_ffff]), notif);
    assert_eq!(ret(nr("execveat"), [0, 0, 0, 0, 0, cookie & !0xffff_ffff]), notif);
    assert_eq!(ret(nr("execve"), [0; 6]), notif);
    assert_eq!(ret(nr("socket"), [libc::AF_UNIX as u64, 0, 0, 0, 0, 0]), libc::SECCOMP_RET_ERRNO | libc::EACCES as u32);
    assert_eq!(ret(nr("socket"), [libc::AF_INET as u64, 0, 0, 0, 0, 0]), notif);
    assert_eq!(ret(PROBE_NR, [PROBE_MAGIC, 0, 0, 0, 0, 0]), libc::SECCOMP_RET_ERRNO | PROBE_ERRNO as u32);
    assert_eq!(ret(PROBE_NR, [PROBE_MAGIC ^ (1 << 63), 0, 0, 0, 0, 0]), libc::SECCOMP_RET_USER_NOTIF);
    assert_eq!(ret(nr("ioctl"), [1, 0x5401, 0, 0, 0, 0]), allow);
    assert_eq!(ret(nr("ioctl"), [1, 0x5412, 0, 0, 0, 0]), libc::SECCOMP_RET_USER_NOTIF);
    assert_eq!(ret(nr("clone"), [libc::CLONE_THREAD as u64, 0, 0, 0, 0, 0]), allow);
    assert_eq!(ret(nr("clone"), [libc::CLONE_NEWPID as u64, 0, 0, 0, 0, 0]), eperm);
    assert_eq!(ret(999, [0; 6]), libc::SECCOMP_RET_USER_NOTIF);
}

/// The search tree gives every number exactly its rule's outcome.
#[test]
fn tree_matches_the_rules_for_every_number() {
    for (p, mut rs) in [
        (Seccomp::Default, profiles::default()),
        (Seccomp::Strict, profiles::strict()),
        (Seccomp::Compile, profiles::compile()),
    ] {
        profiles::guard_setid(&mut rs).unwrap();
        for notify in [false, true] {
            let o = Options { exec_cookie: 0, notify, ..Default::default() };
            let prog = build(&p, &o).unwrap();
            for n in (0..600).chain([0x3fff_0000, 0x8000_0001]) {
                if n == syscalls::number("clone3").unwrap() || rs.args.iter().any(|r| r.nr == n) {
                    continue;
                }
                let want = filter::ret_of(rs.action(n), &o);
                assert_eq!(super::bpf::run(&prog, n, 0xc000_003e, [0; 6]), want, "{p:?} nr {n}");
            }
        }
    }
}

/// A file alternating outcomes on every number: hundreds of runs, far jumps, trampolines.
#[test]
fn large_file_profile_resolves_far_jumps() {
    let mut text = String::from("default kill\n");
    for (i, (name, _)) in syscalls::BY_NUMBER.iter().enumerate() {
        text += &format!("{} {name}\n", if i % 2 == 0 { "allow" } else { "errno 5" });
    }
    text += "allow exit_group getppid\nerrno 7 getpid\n";
    let rs = file::parse(&text).unwrap();
    let o = Options::default();
    let prog = filter::assemble(&rs, &o).unwrap();
    assert!(prog.len() > 300, "{}", prog.len());
    for n in 0..600 {
        if n == syscalls::nr("clone3") {
            continue;
        }
        let want = filter::ret_of(rs.action(n), &o);
        assert_eq!(super::bpf::run(&prog, n, 0xc000_003e, [0; 6]), want, "nr {n}");
    }
    // The kernel accepts it and agrees.
    let out = run_with(&prog, true, || {
        check!(sc(libc::SYS_getpid, [0; 6]) == Err(7), 1);
        check!(sc(libc::SYS_getppid, [0; 6]).is_ok(), 2);
        0
    });
    assert_eq!(out, Out::Exit(0));
}
