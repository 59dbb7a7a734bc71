//! Run a program under one seccomp profile, the way the launcher will (exec gate on):
//! `cargo run -p sandbox-core --example seccomp_run -- strict /path/to/prog args...`
//! Prints the filter size and build/install times to stderr.

use sandbox_core::policy::Seccomp;
use sandbox_core::{seccomp, sys};
use std::ffi::CString;

fn main() {
    let mut args = std::env::args().skip(1);
    let profile = match args.next().as_deref() {
        Some("default") => Seccomp::Default,
        Some("strict") => Seccomp::Strict,
        Some("none") => Seccomp::None,
        Some(path) if !path.is_empty() => Seccomp::File(path.to_string()),
        _ => return eprintln!("usage: seccomp_run default|strict|none|FILE PROG [ARGS...]"),
    };
    let argv: Vec<CString> = args.map(|a| CString::new(a).unwrap()).collect();
    if argv.is_empty() {
        return eprintln!("no program given");
    }
    let mut c = [0u8; 8];
    sys::getrandom(&mut c).expect("getrandom");
    let cookie = u64::from_ne_bytes(c) | 1;
    let opts = seccomp::Options { exec_cookie: cookie, notify: false, ..Default::default() };
    let t0 = sys::now_ns();
    let prog = seccomp::build(&profile, &opts).unwrap_or_else(|e| panic!("{e}"));
    let t1 = sys::now_ns();
    // A second build shows how much of the first was cold caches and page faults.
    let t1b = sys::now_ns();
    drop(seccomp::build(&profile, &opts));
    let t1c = sys::now_ns();
    let fd = sys::open(argv[0].as_bytes(), libc::O_PATH).expect("open program");
    sys::prctl_set_no_new_privs().expect("no_new_privs");
    seccomp::install(&prog, 0).expect("install");
    let t2 = sys::now_ns();
    eprintln!("seccomp_run: insns={} build={}ns (again: {}ns) install={}ns", prog.len(), t1 - t0, t1c - t1b, t2 - t1c);
    let mut av = sys::CStrVec::default();
    for a in &argv {
        av.push(a.as_bytes());
    }
    let mut ev = sys::CStrVec::default();
    for (k, v) in std::env::vars() {
        ev.push(format!("{k}={v}").as_bytes());
    }
    let e = sys::execveat(fd, av.as_array(), ev.as_array(), libc::AT_EMPTY_PATH, cookie);
    eprintln!("seccomp_run: execveat: {}", sandbox_core::error::strerror(e));
    std::process::exit(127);
}
