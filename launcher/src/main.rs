//! `sandbox`: checks the target, arms every containment step in its own process (which
//! becomes the supervisor), and execs exactly the checked file inside.

mod check;

use launcher::options::{self, LauncherSettings};
use launcher::serve::{self, Served};
use launcher::{cli, config, environ, fds, target, EXIT_CANNOT_RUN};
use sandbox_core::sys::CStrArray;
use sandbox_core::{Policy, Pooled, Target, EXIT_SETUP};
use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::exit;

fn die(code: i32, msg: &str) -> ! {
    eprintln!("sandbox: {msg}");
    exit(code)
}

/// Like `die`, once the policy is known: the run's --report/--meta say XX with the message
/// (every outcome has a report, 126 and 127 included).
fn refuse(policy: &Policy, code: i32, msg: &str) -> ! {
    let msg = format!("sandbox: {}", msg.trim_start_matches("sandbox: "));
    eprintln!("{msg}");
    // A run armed ahead has no client yet: its failure is the server's to see (the request
    // then runs unpooled and meets the same refusal), never a report in the client's files.
    if !ARMING.load(std::sync::atomic::Ordering::Relaxed) {
        sandbox_core::report::write_setup_error(policy, (-1, -1), code, &msg);
    }
    exit(code)
}

/// Set in a server's pool slot (`dispatch` with a slot), before it has a request.
static ARMING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Config file first, then flags in order: flags override the file; the profile (a flag's
/// over the file's) is applied before both (see `sandbox_core::policy::Settings`). Through a
/// server, the server's settings come first (the client's override them, within its ceiling).
fn build_policy(flags: &cli::Flags, config_file: Option<&str>, served: Option<&Served>) -> Policy {
    let mut settings = served.map(|s| s.settings.clone()).unwrap_or_default();
    add_settings(&mut settings, flags, config_file);
    options::policy(&settings).unwrap_or_else(|e| die(EXIT_SETUP, &e))
}

fn add_settings(settings: &mut LauncherSettings, flags: &cli::Flags, config_file: Option<&str>) {
    if let Some(c) = config_file {
        if let Err(e) = config::load(Path::new(c), settings) {
            die(EXIT_SETUP, &e);
        }
    }
    for (k, v) in flags {
        settings.add(k, format!("--{}", k.name), v.clone());
    }
}

/// libsandbox.so: `--lib`, else next to this executable. Required: it is what contains
/// the program's children under bare-mode semantics and what --preload-only relies on.
fn find_lib(p: &Policy) -> PathBuf {
    let lib = match &p.lib {
        Some(l) => PathBuf::from(l),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join("libsandbox.so")))
            .unwrap_or_else(|| refuse(p, EXIT_SETUP, "cannot locate libsandbox.so (use --lib)")),
    };
    match lib.canonicalize() {
        Ok(l) if l.is_file() => l,
        Ok(l) => refuse(p, EXIT_SETUP, &format!("library {}: not a regular file", l.display())),
        Err(e) => refuse(p, EXIT_SETUP, &format!("library {}: {e}", lib.display())),
    }
}

fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    *v = out;
}

fn cstrings<I: IntoIterator<Item = Vec<u8>>>(it: I) -> Vec<CString> {
    it.into_iter()
        .map(|v| CString::new(v).unwrap_or_else(|_| die(EXIT_SETUP, "an argument contains a NUL byte")))
        .collect()
}

fn pointers(v: &[CString]) -> Vec<*const u8> {
    v.iter().map(|c| c.as_ptr() as *const u8).chain(std::iter::once(std::ptr::null())).collect()
}

fn kind_name(k: &target::Kind) -> String {
    match k {
        target::Kind::Dynamic { interp } => format!("dynamic, {}", interp.display()),
        target::Kind::Static => "static".into(),
        target::Kind::StaticPie => "static-pie".into(),
        target::Kind::Script { interp, .. } => format!("script, {}", interp.path.display()),
    }
}

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let action = cli::parse(args.clone(), false).unwrap_or_else(|e| die(EXIT_SETUP, &e));
    let server_env = std::env::var("SANDBOX_SERVER").ok().filter(|s| !s.is_empty());
    match action {
        cli::Action::Serve { socket, allow_uids, pool, settings, config } => {
            let mut s = LauncherSettings::default();
            add_settings(&mut s, &settings, config.as_deref());
            let mut ceiling = options::policy(&s).unwrap_or_else(|e| die(EXIT_SETUP, &e));
            ceiling.lib = Some(find_lib(&ceiling).to_string_lossy().into_owned());
            serve::serve(serve::Options { socket, allow_uids, pool }, Served { settings: s, ceiling }, served)
        }
        cli::Action::Client { socket } => serve::client::run(&socket, args),
        cli::Action::Run { .. } | cli::Action::Check { .. } if server_env.is_some() => {
            serve::client::run(&server_env.unwrap_or_default(), args)
        }
        a => dispatch(a, None, serve::Handoff::default()),
    }
}

/// A client's command line, in the server's child that has become the client (armed ahead
/// when `slot` is a pool slot's socket).
fn served(args: Vec<std::ffi::OsString>, s: &Served, h: serve::Handoff) -> ! {
    let action = cli::parse(args, true).unwrap_or_else(|e| die(EXIT_SETUP, &e));
    if let Some(fd) = h.slot {
        // Only a run can be armed ahead.
        if !matches!(action, cli::Action::Run { preload_only: false, .. }) {
            unpoolable(fd)
        }
    }
    dispatch(action, Some(s), h)
}

/// Tell the server this request cannot be armed ahead, and end the slot.
fn unpoolable(slot: i32) -> ! {
    let _ = sandbox_core::sys::write_all(slot, &[serve::SLOT_UNPOOLABLE]);
    exit(0)
}

fn dispatch(action: cli::Action, served: Option<&Served>, h: serve::Handoff) -> ! {
    let slot = h.slot;
    ARMING.store(slot.is_some(), std::sync::atomic::Ordering::Relaxed);
    let (settings, config_file, preload_only, program) = match action {
        cli::Action::Help => {
            print!("{}", cli::help());
            exit(0)
        }
        cli::Action::Version => {
            println!("sandbox {}", env!("CARGO_PKG_VERSION"));
            exit(0)
        }
        cli::Action::Check { settings, config } => {
            let p = build_policy(&settings, config.as_deref(), served);
            exit(check::run(&p))
        }
        cli::Action::Run { settings, config, preload_only, program } => (settings, config, preload_only, program),
        cli::Action::Serve { .. } | cli::Action::Client { .. } => {
            die(EXIT_SETUP, "a server is not started through a server")
        }
    };
    let mut policy = build_policy(&settings, config_file.as_deref(), served);
    if served.is_some() {
        // The server's list items and the client's own are one list: a client that repeats
        // the server's --bind or --keep-fd means the same item, not a second one.
        dedup(&mut policy.mounts);
        dedup(&mut policy.visible);
        dedup(&mut policy.keep_fds);
        dedup(&mut policy.env);
        dedup(&mut policy.keep_env);
    }
    let lib = find_lib(&policy);
    policy.lib = Some(lib.to_string_lossy().into_owned());
    if let Some(s) = served {
        if let Err(e) = serve::ceiling::check(&policy, &s.ceiling) {
            refuse(&policy, EXIT_SETUP, &format!("server: {e}"));
        }
        if preload_only {
            refuse(&policy, EXIT_SETUP, "server: --preload-only is never served");
        }
    }
    // What arming ahead cannot do (sandbox-core/src/pool.rs, launcher/src/serve/pool.rs):
    // show the client its step lines (-v). A --disk copy waits for the request, unless a
    // descriptor must point into it (--keep-fd, a script read through /dev/fd): see below.
    if let (Some(fd), true) = (slot, policy.verbose) {
        unpoolable(fd)
    }

    // The exact file that will run: resolved like a shell, opened once, checked on that fd.
    let prog = program[0].to_str().unwrap_or_else(|| refuse(&policy, EXIT_SETUP, "program name is not valid UTF-8"));
    let path_env = std::env::var("PATH").ok();
    let checked = target::resolve(prog, path_env.as_deref())
        .and_then(|p| target::open_checked(&p))
        .unwrap_or_else(|r| refuse(&policy, r.code, &r.msg));
    if policy.verbose {
        eprintln!("sandbox: target {} ({})", checked.path.display(), kind_name(&checked.kind));
        for r in &checked.risky_paths {
            eprintln!("sandbox: note: library search path outside root-owned system directories: {r}");
        }
    }
    // `#!/usr/bin/env NAME`: exec the interpreter env would find, directly, with the script
    // as /dev/fd/N (what the kernel passes for an fd exec), so that env needs no second exec
    // (judge forbids it). The script's fd stays open for the interpreter to read.
    let mut program = program;
    // A pooled run gets the client's descriptors at these numbers when its request comes.
    let client_fds: Vec<i32> = [0, 1, 2].into_iter().chain(policy.keep_fds.iter().copied()).collect();
    let mut opened: Vec<(Vec<u8>, i32)> = vec![(checked.path.as_os_str().as_bytes().to_vec(), checked.fd.as_raw_fd())];
    let (exec_fd, script, exec_name) = match target::direct_interpreter(&checked) {
        Some((interp, extra)) => {
            let fd = checked.fd.as_raw_fd();
            policy.keep_fds.push(fd);
            let mut argv = vec![interp.path.clone().into_os_string()];
            argv.extend(extra);
            argv.push(format!("/dev/fd/{fd}").into());
            argv.extend(program.drain(1..));
            program = argv;
            if policy.verbose {
                eprintln!("sandbox: running {} directly (for /usr/bin/env)", interp.path.display());
            }
            opened.push((interp.path.as_os_str().as_bytes().to_vec(), interp.fd.as_raw_fd()));
            (interp.fd.as_raw_fd(), matches!(interp.kind, target::Kind::Script { .. }), interp.path.clone())
        }
        None => (checked.fd.as_raw_fd(), matches!(checked.kind, target::Kind::Script { .. }), checked.path.clone()),
    };

    let workdir = sandbox_core::fs::default_workdir(&policy);
    let env = environ::build_env(
        &policy,
        &environ::caller_env(),
        Some(&lib),
        workdir.as_deref().map(|w| Path::new(OsStr::from_bytes(w))),
    )
    .unwrap_or_else(|e| refuse(&policy, EXIT_SETUP, &e));
    if let Err(e) = fds::close_inherited(&policy.keep_fds) {
        refuse(&policy, EXIT_SETUP, &format!("descriptors: {e}"));
    }
    let argv = cstrings(program.iter().map(cli::os));
    let (argv_p, envp_p) = (pointers(&argv), pointers(&env));
    let fd = exec_fd;
    // Both descriptors (script and interpreter) live until the exec.
    let _open = checked.fd.into_raw_fd();
    let name = exec_name.to_string_lossy().into_owned();
    // SAFETY: `pointers` ends each array with a null pointer; the CStrings they point into
    // live until the exec (arm never returns).
    let (argv_c, envp_c) = unsafe { (CStrArray::new(&argv_p), CStrArray::new(&envp_p)) };

    if preload_only {
        // The design card's behaviour, for comparison only: the program's own code runs
        // before the library arms (see README): never use this for hostile programs.
        let e = sandbox_core::sys::execveat(fd, argv_c, envp_c, libc::AT_EMPTY_PATH, 0);
        die(EXIT_CANNOT_RUN, &format!("{name}: exec: {}", sandbox_core::error::strerror(e)));
    }
    // Rust's runtime ignores SIGPIPE, and an ignored signal stays ignored across exec: give
    // the program the default a shell would (`prog | head` ends it by SIGPIPE, not EPIPE).
    let _ = sandbox_core::sys::signal_disposition(libc::SIGPIPE, sandbox_core::sys::Disposition::Default);
    if let Some(fd) = slot {
        let l = &policy.limits;
        if (l.disk.is_some() || l.inodes.is_some()) && (!policy.keep_fds.is_empty() || script) {
            unpoolable(fd)
        }
        // What of the environment this run depends on, for the server to match requests.
        let f = serve::pool::EnvFilter { inherit: policy.inherit_env, keep: policy.keep_env.clone() };
        if sandbox_core::sys::write_all(fd, &f.msg()).is_err() {
            exit(0)
        }
    }
    let files: Vec<(&[u8], i32)> = opened.iter().map(|(p, fd)| (p.as_slice(), *fd)).collect();
    let pool = slot.map(|slot| Pooled { slot, files: &files, fds: &client_fds });
    let (template, reply) = (&h.jail, h.reply);
    sandbox_core::arm(&policy, Target { fd, argv: argv_c, envp: envp_c, name: &name, script, pool, template, reply })
}
