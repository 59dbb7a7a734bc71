//! `sandbox`: checks the target, arms every containment step in its own process (which
//! becomes the supervisor), and execs exactly the checked file inside.

mod cli;

use sandbox_core::{Policy, Target};
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::exit;

fn die(code: i32, msg: &str) -> ! {
    eprintln!("sandbox: {msg}");
    exit(code)
}

fn build_policy(settings: &[(String, String)], config: Option<&str>) -> Policy {
    let mut p = Policy::default();
    if let Some(_c) = config {
        die(125, "--config: not supported yet");
    }
    for (k, v) in settings {
        if let Err(e) = p.set(k, v) {
            die(125, &format!("--{k}: {e}"));
        }
    }
    p
}

/// libsandbox.so: `--lib`, else next to this executable.
fn find_lib(p: &Policy) -> PathBuf {
    let lib = match &p.lib {
        Some(l) => PathBuf::from(l),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join("libsandbox.so")))
            .unwrap_or_else(|| die(125, "cannot locate libsandbox.so (use --lib)")),
    };
    match lib.canonicalize() {
        Ok(l) => l,
        Err(e) => die(125, &format!("library {}: {e}", lib.display())),
    }
}

fn resolve(program: &OsString) -> PathBuf {
    let p = Path::new(program);
    if program.as_bytes().contains(&b'/') {
        return p.to_path_buf();
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in path.split(':') {
        let c = Path::new(dir).join(p);
        if c.is_file() {
            return c;
        }
    }
    die(
        127,
        &format!("{}: command not found", program.to_string_lossy()),
    )
}

fn cstrings<I: IntoIterator<Item = Vec<u8>>>(it: I) -> Vec<CString> {
    it.into_iter()
        .map(|v| CString::new(v).unwrap_or_else(|_| die(125, "argument contains NUL")))
        .collect()
}

fn main() {
    let action = match cli::parse(std::env::args_os().collect()) {
        Ok(a) => a,
        Err(e) => die(125, &e),
    };
    let (settings, config, program) = match action {
        cli::Action::Help => {
            print!("{}", cli::help());
            exit(0)
        }
        cli::Action::Version => {
            println!("sandbox {}", env!("CARGO_PKG_VERSION"));
            exit(0)
        }
        cli::Action::Check { .. } => die(125, "--check: not implemented yet"),
        cli::Action::Run {
            settings,
            config,
            program,
            ..
        } => (settings, config, program),
    };
    let mut policy = build_policy(&settings, config.as_deref());
    let lib = find_lib(&policy);
    policy.lib = Some(lib.to_string_lossy().into_owned());
    let path = resolve(&program[0]);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            die(127, &format!("{}: {e}", path.display()))
        }
        Err(e) => die(126, &format!("{}: {e}", path.display())),
    };
    let argv = cstrings(program.iter().map(cli::os));
    let mut env: Vec<Vec<u8>> = Vec::new();
    for k in ["PATH", "LANG", "TERM", "TZ"] {
        if let Some(v) = std::env::var_os(k) {
            env.push([k.as_bytes(), b"=", v.as_bytes()].concat());
        }
    }
    env.push([b"LD_PRELOAD=".as_slice(), lib.as_os_str().as_bytes()].concat());
    let envp = cstrings(env);
    let mut argv_p: Vec<*const u8> = argv.iter().map(|c| c.as_ptr() as *const u8).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const u8> = envp.iter().map(|c| c.as_ptr() as *const u8).collect();
    envp_p.push(std::ptr::null());
    let fd = file.as_raw_fd();
    let _keep = file.into_raw_fd();
    let name = path.to_string_lossy().into_owned();
    sandbox_core::arm(
        &policy,
        Target {
            fd,
            argv: &argv_p,
            envp: &envp_p,
            name: &name,
            script: false,
        },
    )
}
