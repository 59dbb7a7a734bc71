//! Command line: `sandbox [OPTIONS] [--] PROGRAM [ARGS...]`. Every option is a key of the
//! core table (sandbox_core::policy::KEYS) or the launcher's (crate::options::KEYS), plus a
//! few that act instead of running. One flag is one value, never split.

use crate::options;
use sandbox_core::policy::{Arg, Key};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// The flags that are keys, in command-line order.
pub type Flags = Vec<(&'static Key, String)>;

pub enum Action {
    Run {
        settings: Flags,
        config: Option<String>,
        preload_only: bool,
        program: Vec<OsString>,
    },
    Check {
        settings: Flags,
        config: Option<String>,
    },
    /// `--serve SOCKET`: the options are the server's policy (crate::serve).
    Serve {
        socket: String,
        allow_uids: Vec<u32>,
        /// Runs armed ahead per kind of request (`--pool`, default 2).
        pool: usize,
        settings: Flags,
        config: Option<String>,
    },
    /// `--server SOCKET`: the whole command line goes to that server.
    Client {
        socket: String,
    },
    Help,
    Version,
}

/// `served`: the command line came to a server from a client (its `--server` is done, and a
/// server is not started from there).
pub fn parse(args: Vec<OsString>, served: bool) -> Result<Action, String> {
    let mut settings = Vec::new();
    let mut config = None;
    let mut serve: Option<String> = None;
    let mut allow_uids = Vec::new();
    let mut pool = None;
    let mut preload_only = false;
    let mut check = false;
    let mut it = args.into_iter().skip(1);
    let mut program = Vec::new();
    while let Some(a) = it.next() {
        let s = a.to_str().ok_or("options must be valid UTF-8")?.to_string();
        if s == "--" {
            program.extend(it.by_ref());
            break;
        }
        if !s.starts_with('-') || s == "-" {
            program.push(a);
            program.extend(it.by_ref());
            break;
        }
        let (name, inline) = match s.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (s.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .ok_or(format!("option '{name}' needs a value"))?
                    .into_string()
                    .map_err(|_| format!("option '{name}': value must be valid UTF-8")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Action::Help),
            "-V" | "--version" => return Ok(Action::Version),
            "--check" => check = true,
            "--preload-only" => preload_only = true,
            "--config" => config = Some(value("--config")?),
            "--server" if served => drop(value("--server")?),
            "--server" => return Ok(Action::Client { socket: value("--server")? }),
            "--serve" if served => return Err("--serve: a server is not started through a server".into()),
            "--serve" => serve = Some(value("--serve")?),
            "--pool" => {
                let v = value("--pool")?;
                pool = Some(v.parse::<usize>().ok().filter(|&n| n <= 8).ok_or(format!("--pool: not 0..8: '{v}'"))?);
            }
            "--allow-uid" => {
                for u in value("--allow-uid")?.split(',') {
                    allow_uids.push(u.trim().parse().map_err(|_| format!("--allow-uid: not a uid: '{u}'"))?);
                }
            }
            "-v" => settings.push((known("verbose"), "true".into())),
            "-q" => settings.push((known("quiet"), "true".into())),
            _ => {
                let key = name
                    .strip_prefix("--")
                    .and_then(options::find)
                    .ok_or(format!("unknown option '{name}' (see --help)"))?;
                let v = match key.arg {
                    Arg::Flag => inline.clone().unwrap_or_else(|| "true".into()),
                    Arg::Value(_) => value(&name)?,
                };
                settings.push((key, v));
            }
        }
    }
    if let Some(socket) = serve {
        if !program.is_empty() || check {
            return Err("--serve takes policy options only, no program".into());
        }
        return Ok(Action::Serve { socket, allow_uids, pool: pool.unwrap_or(2), settings, config });
    }
    if !allow_uids.is_empty() || pool.is_some() {
        return Err("--allow-uid and --pool are options of --serve".into());
    }
    if check {
        return Ok(Action::Check { settings, config });
    }
    if program.is_empty() {
        return Err("no program given (see --help)".into());
    }
    Ok(Action::Run { settings, config, preload_only, program })
}

pub fn help() -> String {
    let mut s = String::from(
        "Usage: sandbox [OPTION]... [--] PROGRAM [ARG]...\n\
         Run PROGRAM contained: its own namespaces, a read-only view of the system, a private\n\
         /tmp, no network but loopback, no privileges, a system-call filter, and the limits\n\
         given. Its exit status is the program's own (128+N for signal N).\n\n",
    );
    for k in options::all() {
        let left = match k.arg {
            Arg::Flag => format!("--{}", k.name),
            Arg::Value(v) => format!("--{} {}", k.name, v),
        };
        s.push_str(&format!("  {left:<26} {}\n", k.help));
    }
    s.push_str(
        "  --config FILE              read options from a TOML file (flags override it)\n\
         \x20 --preload-only             only set LD_PRELOAD and exec (NOT safe for hostile programs)\n\
         \x20 --check                    report what this host supports, then exit\n\
         \x20 --serve SOCKET             serve runs on a unix socket; its options are the most a run gets\n\
         \x20 --allow-uid UID[,UID]      (--serve) users it serves besides its own\n\
         \x20 --pool N                   (--serve) runs armed ahead per kind of request, 0..8 (2)\n\
         \x20 --server SOCKET            run through that server (also SANDBOX_SERVER=SOCKET)\n\
         \x20 -v, -q                     --verbose, --quiet\n\
         \x20 -h, --help                 display this help and exit\n\
         \x20 -V, --version              output version information and exit\n\n\
         SIZE is bytes or 64K, 64M, 1.5G; SECONDS is 1.5, 1500ms or 2s.\n\n\
         Examples:\n\
         \x20 Online judge: 1 s CPU, 64 MiB, no exec, a JSON report:\n\
         \x20   sandbox --profile judge --time 1 --wall-time 3 --memory 64M --report r.json -- ./a.out < in.txt\n\
         \x20 In a pipeline (stdin/stdout pass through byte for byte):\n\
         \x20   producer | sandbox --net none -- ./filter | sha256sum\n\
         \x20 Wrapping a legacy binary with a writable data directory:\n\
         \x20   sandbox --profile legacy --bind /srv/data --chdir /srv/data -- /opt/tool/bin/tool\n\n\
         Exit status: the program's, or 125 if the sandbox could not be set up,\n\
         126 if PROGRAM cannot be run sandboxed, 127 if PROGRAM was not found.\n",
    );
    s
}

fn known(name: &str) -> &'static Key {
    options::find(name).expect("a key of the table")
}

pub fn os(v: &OsString) -> Vec<u8> {
    v.clone().into_vec()
}
