//! Policy: everything a run may do, from one table of keys shared by the launcher's flags,
//! the TOML configuration and the SANDBOX_* variables of bare mode.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// New network namespace, no interface up.
    None,
    /// New network namespace with `lo` up (default).
    Loopback,
    /// The host's network (must be asked for).
    Host,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seccomp {
    Default,
    Strict,
    /// `default` with sockets limited to AF_UNIX (compilers and build tools).
    Compile,
    /// Only the architecture pin and the containment marker.
    None,
    /// A policy file's path; the seccomp compiler reads and checks it before the run.
    File(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landlock {
    /// Use it when the kernel has it; say so in the report either way.
    Auto,
    /// Refuse to run where the kernel lacks it.
    On,
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    Bind { rw: bool },
    Tmpfs { size: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    pub src: String,
    pub dst: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    pub memory: Option<u64>,
    pub address_space: Option<u64>,
    /// CPU time of the whole tree, nanoseconds.
    pub time: Option<u64>,
    /// Wall-clock time, nanoseconds.
    pub wall_time: Option<u64>,
    pub pids: Option<u64>,
    pub files: Option<u64>,
    pub fsize: Option<u64>,
    /// Bytes the tree may write to stdout + stderr together (relayed by the supervisor).
    pub output: Option<u64>,
    pub stack: Option<u64>,
    pub nice: Option<i32>,
    /// CPU bandwidth in thousandths of a CPU.
    pub cpus_milli: Option<u64>,
    /// Bytes and inodes (files, directories, symlinks; the work dir itself included) the
    /// work dir may hold: a sized tmpfs copy of it, synced back after the run (workdisk.rs).
    pub disk: Option<u64>,
    pub inodes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub net: Net,
    pub seccomp: Seccomp,
    pub landlock: Landlock,
    pub limits: Limits,
    /// New processes (fork, vfork, clone without CLONE_THREAD) allowed; threads always are.
    /// `None` means yes: only the judge profile says no unless asked.
    pub processes: Option<bool>,
    pub mounts: Vec<Mount>,
    /// Work directory bound read-write at the same path; `None` for no work dir.
    /// Empty string means "the current directory" (resolved when arming).
    pub workdir: Option<String>,
    pub chdir: Option<String>,
    pub tmp_size: u64,
    pub hostname: String,
    pub cgroup_root: String,
    /// A cgroup directory prepared by the caller (bare mode, the seeds' SANDBOX_CGROUP_DIR).
    pub cgroup_dir: Option<String>,
    pub report: Option<String>,
    pub meta: Option<String>,
    pub quiet: bool,
    pub verbose: bool,
    // Launcher-only keys (environment and descriptors of the target).
    pub env: Vec<(String, String)>,
    pub keep_env: Vec<String>,
    pub inherit_env: bool,
    pub keep_fds: Vec<i32>,
    pub lib: Option<String>,
    /// Files that must resolve at their own path inside (preloaded and audit libraries in
    /// bare mode): bound read-only unless an identity bind already shows them.
    pub visible: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            net: Net::Loopback,
            seccomp: Seccomp::Default,
            landlock: Landlock::Auto,
            limits: Limits::default(),
            processes: None,
            mounts: Vec::new(),
            workdir: Some(String::new()),
            chdir: None,
            tmp_size: 64 << 20,
            hostname: "sandbox".to_string(),
            cgroup_root: "sandbox".to_string(),
            cgroup_dir: None,
            report: None,
            meta: None,
            quiet: false,
            verbose: false,
            env: Vec::new(),
            keep_env: Vec::new(),
            inherit_env: false,
            keep_fds: Vec::new(),
            lib: None,
            visible: Vec::new(),
        }
    }
}

/// What a key takes, for help texts and the README table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    Flag,
    Value(&'static str),
}

pub struct Key {
    pub name: &'static str,
    pub arg: Arg,
    /// Usable from SANDBOX_* variables in bare mode.
    pub bare: bool,
    pub help: &'static str,
}

macro_rules! key {
    ($n:expr, flag, $b:expr, $h:expr) => {
        Key { name: $n, arg: Arg::Flag, bare: $b, help: $h }
    };
    ($n:expr, $v:expr, $b:expr, $h:expr) => {
        Key { name: $n, arg: Arg::Value($v), bare: $b, help: $h }
    };
}

/// The single table of policy keys: `--NAME`, TOML `NAME`, `SANDBOX_NAME` (upper case, '-'→'_').
pub const KEYS: &[Key] = &[
    key!("profile", "NAME", true, "start from a built-in profile: judge, compile, legacy, default"),
    key!("memory", "SIZE", true, "memory of the whole tree (cgroup, swap off; else the supervisor)"),
    key!("address-space", "SIZE", true, "RLIMIT_AS per process (breaks JIT runtimes; opt-in)"),
    key!("time", "SECONDS", true, "CPU time of the whole tree (1.5, 1500ms)"),
    key!("wall-time", "SECONDS", true, "wall-clock time"),
    key!("pids", "N", true, "processes + threads"),
    key!("processes", "yes|no", true, "new processes allowed (threads always are; judge: no)"),
    key!("files", "N", true, "open files per process (RLIMIT_NOFILE)"),
    key!("fsize", "SIZE", true, "largest file a process may write (RLIMIT_FSIZE)"),
    key!("output", "SIZE", true, "bytes of stdout + stderr, pipes included (relayed; OL past it)"),
    key!("stack", "SIZE", true, "stack size (RLIMIT_STACK)"),
    key!("nice", "N", true, "scheduling niceness, 0..19"),
    key!("cpus", "N.N", true, "CPU bandwidth, in CPUs (cgroup quota)"),
    key!("disk", "SIZE", true, "bytes the work dir may hold (a sized tmpfs copy, synced back)"),
    key!("inodes", "N", true, "files + directories the work dir may hold (the same tmpfs)"),
    key!("net", "MODE", true, "none | loopback (default) | host"),
    key!("bind", "SRC[:DST]", true, "bind SRC read-write at DST (repeatable)"),
    key!("ro-bind", "SRC[:DST]", true, "bind SRC read-only at DST (repeatable)"),
    key!("tmpfs", "DST[:SIZE]", true, "a private tmpfs at DST (repeatable)"),
    key!("workdir", "DIR", true, "work dir bound read-write at its own path (default: cwd; 'none')"),
    key!("chdir", "DIR", true, "directory to start in (default: the work dir)"),
    key!("tmp-size", "SIZE", true, "size of the private /tmp (default 64M)"),
    key!("seccomp", "PROFILE", true, "default | strict | compile | none | FILE"),
    key!("landlock", "MODE", true, "auto (default) | on | off"),
    key!("hostname", "NAME", true, "hostname inside (default 'sandbox')"),
    key!("cgroup-root", "PATH", true, "parent of per-run cgroups, relative to the caller's own cgroup"),
    key!("cgroup-dir", "DIR", true, "a cgroup prepared by the caller: limits are written there"),
    key!("report", "FILE", true, "write a JSON report of the run"),
    key!("meta", "FILE", true, "write an isolate-style meta file"),
    key!("quiet", flag, true, "no message when a limit ends the program"),
    key!("verbose", flag, true, "print each step and its duration"),
    key!("env", "K=V", false, "set a variable for the program"),
    key!("keep-env", "K", false, "pass the caller's variable K"),
    key!("inherit-env", flag, false, "pass the caller's whole environment (LD_* still dropped)"),
    key!("keep-fd", "N", false, "pass descriptor N (default: only 0, 1, 2)"),
    key!("lib", "PATH", false, "libsandbox.so to preload in the target"),
];

pub fn find_key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// `msg` with control characters escaped (`\n`, `\u{1b}`), so a value it quotes cannot add
/// lines or terminal escapes to the one-line error.
pub fn one_line(msg: &str) -> String {
    let mut s = String::with_capacity(msg.len());
    for c in msg.chars() {
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s
}

/// Environment variable name of a key: `SANDBOX_WALL_TIME` for `wall-time`.
pub fn env_name(key: &str) -> String {
    let mut s = String::from("SANDBOX_");
    for c in key.chars() {
        s.push(if c == '-' { '_' } else { c.to_ascii_uppercase() });
    }
    s
}

impl Policy {
    /// Apply one key. `value` is "true"/"false" for flags from TOML/env, or the flag's value.
    /// The error is one line even when it quotes a value holding a newline (found by fuzzing).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.set_key(key, value).map_err(|e| one_line(&e))
    }

    fn set_key(&mut self, key: &str, value: &str) -> Result<(), String> {
        let l = &mut self.limits;
        match key {
            "profile" => self.apply_profile(value)?,
            "memory" => l.memory = Some(nonzero(parse_size(value)?, key)?),
            "address-space" => l.address_space = Some(nonzero(parse_size(value)?, key)?),
            "time" => l.time = Some(nonzero(parse_time(value)?, key)?),
            "wall-time" => l.wall_time = Some(nonzero(parse_time(value)?, key)?),
            "pids" => l.pids = Some(nonzero(parse_count(value)?, key)?),
            "processes" => self.processes = Some(parse_bool(value)?),
            "files" => l.files = Some(nonzero(parse_count(value)?, key)?),
            "fsize" => l.fsize = Some(nonzero(parse_size(value)?, key)?),
            "output" => l.output = Some(nonzero(parse_size(value)?, key)?),
            "stack" => l.stack = Some(nonzero(parse_size(value)?, key)?),
            "nice" => {
                let n: i32 = value.trim().parse().map_err(|_| format!("not a number: '{value}'"))?;
                if !(0..=19).contains(&n) {
                    return Err(format!("must be 0..19 (raising priority is not allowed): '{value}'"));
                }
                l.nice = Some(n);
            }
            "cpus" => l.cpus_milli = Some(nonzero(parse_milli(value)?, key)?),
            "disk" => l.disk = Some(nonzero(parse_size(value)?, key)?),
            "inodes" => l.inodes = Some(nonzero(parse_count(value)?, key)?),
            "net" => {
                self.net = match value {
                    "none" => Net::None,
                    "loopback" | "lo" => Net::Loopback,
                    "host" => Net::Host,
                    _ => return Err(format!("must be none, loopback or host: '{value}'")),
                }
            }
            "bind" | "ro-bind" => {
                for item in list(value) {
                    let (src, dst) = split_pair(item);
                    self.mounts.push(Mount {
                        kind: MountKind::Bind { rw: key == "bind" },
                        src: abs(src, key)?,
                        dst: abs(dst.unwrap_or(src), key)?,
                    });
                }
            }
            "tmpfs" => {
                for item in list(value) {
                    let (dst, size) = split_pair(item);
                    let size = match size {
                        Some(s) => nonzero(parse_size(s)?, key)?,
                        None => self.tmp_size,
                    };
                    self.mounts.push(Mount {
                        kind: MountKind::Tmpfs { size },
                        src: String::new(),
                        dst: abs(dst, key)?,
                    });
                }
            }
            "workdir" => {
                self.workdir = if value == "none" { None } else { Some(abs(value, key)?) };
            }
            "chdir" => self.chdir = Some(abs(value, key)?),
            "tmp-size" => self.tmp_size = nonzero(parse_size(value)?, key)?,
            "seccomp" => {
                self.seccomp = match value {
                    "default" => Seccomp::Default,
                    "strict" => Seccomp::Strict,
                    "compile" => Seccomp::Compile,
                    "none" => Seccomp::None,
                    "" => return Err("empty value".into()),
                    // A file: the caller (launcher or preload) reads it; the text is stored.
                    path => Seccomp::File(path.to_string()),
                }
            }
            "landlock" => {
                self.landlock = match value {
                    "auto" => Landlock::Auto,
                    "on" => Landlock::On,
                    "off" => Landlock::Off,
                    _ => return Err(format!("must be auto, on or off: '{value}'")),
                }
            }
            "hostname" => {
                if value.is_empty() || value.len() > 64 || value.contains('/') {
                    return Err(format!("not a valid hostname: '{value}'"));
                }
                self.hostname = value.to_string();
            }
            "cgroup-root" => {
                if value.is_empty() || value.split('/').any(|c| c == "..") {
                    return Err(format!("not a valid cgroup path: '{value}'"));
                }
                self.cgroup_root = value.trim_matches('/').to_string();
            }
            "cgroup-dir" => self.cgroup_dir = Some(abs(value, key)?),
            "report" => self.report = Some(nonempty(value)?),
            "meta" => self.meta = Some(nonempty(value)?),
            "quiet" => self.quiet = parse_bool(value)?,
            "verbose" => self.verbose = parse_bool(value)?,
            "env" => {
                let (k, v) = value.split_once('=').ok_or_else(|| format!("expected K=V: '{value}'"))?;
                if k.is_empty() {
                    return Err(format!("expected K=V: '{value}'"));
                }
                self.env.push((k.to_string(), v.to_string()));
            }
            "keep-env" => self.keep_env.push(nonempty(value)?),
            "inherit-env" => self.inherit_env = parse_bool(value)?,
            "keep-fd" => {
                let n: i32 = value.parse().map_err(|_| format!("not a descriptor number: '{value}'"))?;
                if n < 3 {
                    return Err(format!("descriptors 0-2 are always kept; got {n}"));
                }
                self.keep_fds.push(n);
            }
            "lib" => self.lib = Some(nonempty(value)?),
            _ => return Err(format!("unknown key '{key}'")),
        }
        Ok(())
    }

    fn apply_profile(&mut self, name: &str) -> Result<(), String> {
        match name {
            "default" => {}
            // Judged programs in any language: no network, no exec, no new processes (threads
            // are fine), bounded everything.
            "judge" => {
                self.seccomp = Seccomp::Strict;
                self.net = Net::None;
                self.processes.get_or_insert(false);
                self.limits.pids.get_or_insert(64);
                self.limits.files.get_or_insert(64);
                self.limits.fsize.get_or_insert(64 << 20);
                // Output to a pipe is bounded like output to a file (judges read both).
                self.limits.output.get_or_insert(64 << 20);
                self.limits.memory.get_or_insert(256 << 20);
                self.limits.time.get_or_insert(10_000_000_000);
                self.limits.wall_time.get_or_insert(30_000_000_000);
                // The work dir is bounded too: many files under --fsize would fill the
                // host's disk or inodes otherwise (the source and binary need far less).
                self.limits.disk.get_or_insert(64 << 20);
                self.limits.inodes.get_or_insert(4096);
            }
            // Compilers (gcc, g++, javac, go build, rustc): exec and processes, no network,
            // generous limits.
            "compile" => {
                self.seccomp = Seccomp::Compile;
                self.net = Net::None;
                self.limits.pids.get_or_insert(512);
                self.limits.files.get_or_insert(4096);
                self.limits.fsize.get_or_insert(1 << 30);
                // Compiler diagnostics can be long, never endless.
                self.limits.output.get_or_insert(16 << 20);
                self.limits.memory.get_or_insert(2 << 30);
                self.limits.time.get_or_insert(60_000_000_000);
                self.limits.wall_time.get_or_insert(120_000_000_000);
                // Compilers write the binary, objects and (go) a build cache under $HOME,
                // the work dir: room for that, never the host's whole disk.
                self.limits.disk.get_or_insert(1 << 30);
                self.limits.inodes.get_or_insert(65536);
            }
            // Wrapped legacy tools: shells, interpreters, compilers; loopback network.
            "legacy" => {
                self.seccomp = Seccomp::Default;
                self.net = Net::Loopback;
                self.limits.pids.get_or_insert(1024);
            }
            _ => return Err(format!("unknown profile '{name}' (judge, compile, legacy, default)")),
        }
        Ok(())
    }
}

fn nonzero(v: u64, key: &str) -> Result<u64, String> {
    if v == 0 {
        Err(format!("{key} must be greater than zero"))
    } else {
        Ok(v)
    }
}
fn nonempty(v: &str) -> Result<String, String> {
    if v.is_empty() {
        Err("empty value".into())
    } else {
        Ok(v.to_string())
    }
}
fn abs(p: &str, key: &str) -> Result<String, String> {
    if !p.starts_with('/') {
        return Err(format!("{key}: path must be absolute: '{p}'"));
    }
    Ok(p.to_string())
}
/// Repeatable keys in SANDBOX_* variables are comma-separated.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').filter(|s| !s.is_empty())
}
fn split_pair(v: &str) -> (&str, Option<&str>) {
    match v.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    }
}

pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" | "yes" | "on" | "" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("not a boolean: '{v}'")),
    }
}

pub fn parse_count(v: &str) -> Result<u64, String> {
    v.trim().parse::<u64>().map_err(|_| format!("not a whole number: '{v}'"))
}

/// Decimal number with up to 9 fractional digits, scaled by `scale` (exact, no floats).
fn parse_scaled(num: &str, scale: u64, orig: &str) -> Result<u64, String> {
    let bad = || format!("not a number: '{orig}'");
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return Err(bad());
    }
    let i: u64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
    let mut f: u64 = 0;
    let mut div: u64 = 1;
    for b in frac.bytes() {
        f = f * 10 + (b - b'0') as u64;
        div *= 10;
    }
    let too_big = || format!("too large: '{orig}'");
    let whole = i.checked_mul(scale).ok_or_else(too_big)?;
    let part = (f as u128 * scale as u128 / div as u128) as u64;
    whole.checked_add(part).ok_or_else(too_big)
}

/// Sizes: `4096`, `64K`, `64M`, `1.5G`, `2T` (powers of 1024; an optional `iB`/`B` suffix).
pub fn parse_size(v: &str) -> Result<u64, String> {
    let s = v.trim();
    let s = s.strip_suffix("iB").or_else(|| s.strip_suffix('B')).unwrap_or(s);
    let (num, mul) = match s.as_bytes().last() {
        Some(b'K' | b'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&s[..s.len() - 1], 1 << 30),
        Some(b'T' | b't') => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    if num.is_empty() {
        return Err(format!("not a size: '{v}' (e.g. 64M, 1G)"));
    }
    parse_scaled(num, mul, v).map_err(|_| format!("not a size: '{v}' (e.g. 64M, 1G)"))
}

/// Times: `1.5` or `1.5s` (seconds), `1500ms`, `250us`; result in nanoseconds.
pub fn parse_time(v: &str) -> Result<u64, String> {
    let s = v.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1_000_000)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000_000_000)
    } else {
        (s, 1_000_000_000)
    };
    parse_scaled(num, scale, v).map_err(|_| format!("not a time: '{v}' (e.g. 1.5, 1500ms)"))
}

/// `1.5` CPUs → 1500 thousandths.
pub fn parse_milli(v: &str) -> Result<u64, String> {
    parse_scaled(v.trim(), 1000, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("2KiB").unwrap(), 2048);
        for bad in ["", "M", "-1M", "1.2.3M", "12Q", "abc", "99999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1.5").unwrap(), 1_500_000_000);
        assert_eq!(parse_time("1500ms").unwrap(), 1_500_000_000);
        assert_eq!(parse_time("0.3s").unwrap(), 300_000_000);
        assert_eq!(parse_time("250us").unwrap(), 250_000);
        for bad in ["", "s", "1,5", "-1", "x1", "1.0000000001"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_reject_bad_values() {
        let mut p = Policy::default();
        for (k, v) in [
            ("memory", "0"),
            ("memory", "lots"),
            ("time", "forever"),
            ("pids", "-3"),
            ("nice", "-5"),
            ("net", "wifi"),
            ("bind", "relative/path"),
            ("seccomp", ""),
            ("landlock", "maybe"),
            ("keep-fd", "1"),
            ("env", "=x"),
            ("profile", "nope"),
            ("cgroup-root", "../escape"),
            ("disk", "0"),
            ("disk", "lots"),
            ("inodes", "0"),
            ("inodes", "1k"),
            ("no-such-key", "1"),
        ] {
            assert!(p.set(k, v).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn every_key_is_settable() {
        for k in KEYS {
            let mut p = Policy::default();
            let v = match k.name {
                "profile" => "judge",
                "net" => "none",
                "seccomp" => "strict",
                "landlock" => "off",
                "env" => "A=b",
                "keep-fd" => "7",
                "cpus" | "time" | "wall-time" => "1.5",
                "nice" => "5",
                "pids" | "files" | "inodes" => "8",
                "memory" | "address-space" | "fsize" | "output" | "stack" | "tmp-size" | "disk" => "8M",
                "tmpfs" => "/scratch:8M",
                "hostname" | "keep-env" | "cgroup-root" => "abc",
                "quiet" | "verbose" | "inherit-env" => "true",
                "processes" => "no",
                _ => "/abs/path",
            };
            p.set(k.name, v).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            assert_ne!(p, Policy::default(), "{} changed nothing", k.name);
        }
    }

    /// Fuzzing regression (policy_set): `time="\n"` gave a two-line error.
    #[test]
    fn errors_are_one_line() {
        for k in KEYS {
            let mut p = Policy::default();
            if let Err(e) = p.set(k.name, "\n\x1b[2J\r") {
                assert!(!e.chars().any(char::is_control), "{}: {e:?}", k.name);
            }
        }
        let e = Policy::default().set("time", "\n").unwrap_err();
        assert_eq!(e, "not a time: '\\n' (e.g. 1.5, 1500ms)");
    }

    #[test]
    fn judge_and_compile_profiles() {
        let mut p = Policy::default();
        p.set("profile", "judge").unwrap();
        assert_eq!((p.seccomp.clone(), p.net, p.processes), (Seccomp::Strict, Net::None, Some(false)));
        // A choice made before the profile stays, like the limits.
        let mut p = Policy::default();
        p.set("processes", "yes").unwrap();
        p.set("memory", "1G").unwrap();
        p.set("profile", "judge").unwrap();
        assert_eq!((p.processes, p.limits.memory), (Some(true), Some(1 << 30)));
        let mut p = Policy::default();
        p.set("profile", "compile").unwrap();
        assert_eq!((p.seccomp.clone(), p.net, p.processes), (Seccomp::Compile, Net::None, None));
        assert_eq!((p.limits.pids, p.limits.memory, p.limits.time), (Some(512), Some(2 << 30), Some(60_000_000_000)));
        assert!(p.set("processes", "maybe").is_err());
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("wall-time"), "SANDBOX_WALL_TIME");
        assert_eq!(env_name("cgroup-dir"), "SANDBOX_CGROUP_DIR");
    }
}
