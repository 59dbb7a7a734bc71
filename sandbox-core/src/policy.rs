//! Policy: everything a run may do, from one table of keys shared by the launcher's flags,
//! the TOML configuration and the SANDBOX_* variables of bare mode. Each key parses and
//! applies its own value; every source collects `Settings`, whose `finalize` applies them in
//! the one order (profile first, then the rest as given, then derived values).

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

/// Parses a value and applies it: `(policy, key name, value)`. The key name is for messages.
pub type Apply = fn(&mut Policy, &str, &str) -> Result<(), String>;

/// One option. The table of them is the whole definition: name, value, help, whether it may
/// be repeated, and the function that parses and applies the value. Every source (flags,
/// TOML, SANDBOX_* variables) goes through the same `apply`.
pub struct Key {
    pub name: &'static str,
    pub arg: Arg,
    /// Repeatable: each occurrence adds one item (see `Settings` for the one list rule).
    pub list: bool,
    pub help: &'static str,
    pub apply: Apply,
}

impl Key {
    /// A key that takes a value.
    pub const fn value(name: &'static str, arg: &'static str, help: &'static str, apply: Apply) -> Key {
        Key { name, arg: Arg::Value(arg), list: false, help, apply }
    }
    /// A key that may be given more than once, each time adding one item.
    pub const fn list(name: &'static str, arg: &'static str, help: &'static str, apply: Apply) -> Key {
        Key { name, arg: Arg::Value(arg), list: true, help, apply }
    }
    /// A yes/no key: `--NAME` alone means yes; TOML takes a boolean.
    pub const fn flag(name: &'static str, help: &'static str, apply: Apply) -> Key {
        Key { name, arg: Arg::Flag, list: false, help, apply }
    }
}

/// The key that is applied before every other, whatever its place (see `Settings`).
pub const PROFILE: &str = "profile";

/// The table of policy keys: `--NAME`, TOML `NAME`, `SANDBOX_NAME` (upper case, '-'→'_').
/// Every key here also works in bare mode; the launcher's own keys (environment, descriptors,
/// the library) are in the launcher's table. To add a key: one entry here (and its field in
/// `Policy`, and its row in the README's Options table, which a test checks).
pub const KEYS: &[Key] = &[
    Key::value(PROFILE, "NAME", "start from a built-in profile: judge, compile, legacy, default", |p, _, v| {
        p.apply_profile(v)
    }),
    Key::value("memory", "SIZE", "memory of the whole tree (cgroup, swap off; else the supervisor)", |p, k, v| {
        put(&mut p.limits.memory, Some(size(k, v)?))
    }),
    Key::value("address-space", "SIZE", "RLIMIT_AS per process (breaks JIT runtimes; opt-in)", |p, k, v| {
        put(&mut p.limits.address_space, Some(size(k, v)?))
    }),
    Key::value("time", "SECONDS", "CPU time of the whole tree (1.5, 1500ms)", |p, k, v| {
        put(&mut p.limits.time, Some(nonzero(parse_time(v)?, k)?))
    }),
    Key::value("wall-time", "SECONDS", "wall-clock time", |p, k, v| {
        put(&mut p.limits.wall_time, Some(nonzero(parse_time(v)?, k)?))
    }),
    Key::value("pids", "N", "processes + threads", |p, k, v| put(&mut p.limits.pids, Some(count(k, v)?))),
    Key::value("processes", "yes|no", "new processes allowed (threads always are; judge: no)", |p, _, v| {
        put(&mut p.processes, Some(parse_bool(v)?))
    }),
    Key::value("files", "N", "open files per process (RLIMIT_NOFILE)", |p, k, v| {
        put(&mut p.limits.files, Some(count(k, v)?))
    }),
    Key::value("fsize", "SIZE", "largest file a process may write (RLIMIT_FSIZE)", |p, k, v| {
        put(&mut p.limits.fsize, Some(size(k, v)?))
    }),
    Key::value("output", "SIZE", "bytes of stdout + stderr, pipes included (relayed; OL past it)", |p, k, v| {
        put(&mut p.limits.output, Some(size(k, v)?))
    }),
    Key::value("stack", "SIZE", "stack size (RLIMIT_STACK)", |p, k, v| put(&mut p.limits.stack, Some(size(k, v)?))),
    Key::value("nice", "N", "scheduling niceness, 0..19", |p, _, v| {
        let n: i32 = v.trim().parse().map_err(|_| format!("not a number: '{v}'"))?;
        if !(0..=19).contains(&n) {
            return Err(format!("must be 0..19 (raising priority is not allowed): '{v}'"));
        }
        put(&mut p.limits.nice, Some(n))
    }),
    Key::value("cpus", "N.N", "CPU bandwidth, in CPUs (cgroup quota)", |p, k, v| {
        put(&mut p.limits.cpus_milli, Some(nonzero(parse_milli(v)?, k)?))
    }),
    Key::value("disk", "SIZE", "bytes the work dir may hold (a sized tmpfs copy, synced back)", |p, k, v| {
        put(&mut p.limits.disk, Some(size(k, v)?))
    }),
    Key::value("inodes", "N", "files + directories the work dir may hold (the same tmpfs)", |p, k, v| {
        put(&mut p.limits.inodes, Some(count(k, v)?))
    }),
    Key::value("net", "MODE", "none | loopback (default) | host", |p, _, v| {
        p.net = match v {
            "none" => Net::None,
            "loopback" | "lo" => Net::Loopback,
            "host" => Net::Host,
            _ => return Err(format!("must be none, loopback or host: '{v}'")),
        };
        Ok(())
    }),
    Key::list("bind", "SRC[:DST]", "bind SRC read-write at DST (repeatable)", |p, k, v| p.bind(k, v, true)),
    Key::list("ro-bind", "SRC[:DST]", "bind SRC read-only at DST (repeatable)", |p, k, v| p.bind(k, v, false)),
    Key::list("tmpfs", "DST[:SIZE]", "a private tmpfs at DST (repeatable; default size: --tmp-size)", |p, k, v| {
        let (dst, size_text) = split_pair(v);
        // 0 until `finalize`: the size of /tmp, whichever order the two keys came in.
        let size = match size_text {
            Some(s) => size(k, s)?,
            None => 0,
        };
        p.mounts.push(Mount { kind: MountKind::Tmpfs { size }, src: String::new(), dst: abs(dst, k)? });
        Ok(())
    }),
    Key::value("workdir", "DIR", "work dir bound read-write at its own path (default: cwd; 'none')", |p, k, v| {
        put(&mut p.workdir, if v == "none" { None } else { Some(abs(v, k)?) })
    }),
    Key::value("chdir", "DIR", "directory to start in (default: the work dir)", |p, k, v| {
        put(&mut p.chdir, Some(abs(v, k)?))
    }),
    Key::value("tmp-size", "SIZE", "size of the private /tmp (default 64M)", |p, k, v| {
        put(&mut p.tmp_size, size(k, v)?)
    }),
    Key::value("seccomp", "PROFILE", "default | strict | compile | none | FILE", |p, _, v| {
        p.seccomp = match v {
            "default" => Seccomp::Default,
            "strict" => Seccomp::Strict,
            "compile" => Seccomp::Compile,
            "none" => Seccomp::None,
            "" => return Err("empty value".into()),
            // A file: the caller (launcher or preload) reads it; the text is stored.
            path => Seccomp::File(path.to_string()),
        };
        Ok(())
    }),
    Key::value("landlock", "MODE", "auto (default) | on | off", |p, _, v| {
        p.landlock = match v {
            "auto" => Landlock::Auto,
            "on" => Landlock::On,
            "off" => Landlock::Off,
            _ => return Err(format!("must be auto, on or off: '{v}'")),
        };
        Ok(())
    }),
    Key::value("hostname", "NAME", "hostname inside (default 'sandbox')", |p, _, v| {
        if v.is_empty() || v.len() > 64 || v.contains('/') {
            return Err(format!("not a valid hostname: '{v}'"));
        }
        put(&mut p.hostname, v.to_string())
    }),
    Key::value("cgroup-root", "PATH", "parent of per-run cgroups, relative to the caller's own cgroup", |p, _, v| {
        if v.is_empty() || v.split('/').any(|c| c == "..") {
            return Err(format!("not a valid cgroup path: '{v}'"));
        }
        put(&mut p.cgroup_root, v.trim_matches('/').to_string())
    }),
    Key::value("cgroup-dir", "DIR", "a cgroup prepared by the caller: limits are written there", |p, k, v| {
        put(&mut p.cgroup_dir, Some(abs(v, k)?))
    }),
    Key::value("report", "FILE", "write a JSON report of the run", |p, _, v| put(&mut p.report, Some(nonempty(v)?))),
    Key::value("meta", "FILE", "write an isolate-style meta file", |p, _, v| put(&mut p.meta, Some(nonempty(v)?))),
    Key::flag("quiet", "no message when a limit ends the program", |p, _, v| put(&mut p.quiet, parse_bool(v)?)),
    Key::flag("verbose", "print each step and its duration", |p, _, v| put(&mut p.verbose, parse_bool(v)?)),
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

/// The items of a list key's value in a SANDBOX_* variable, the one source that cannot repeat
/// a key: comma-separated, `\,` for a comma inside an item and `\\` for a backslash; empty
/// items are skipped. Flags and TOML never split: one flag or one array element is one item.
pub fn env_items(v: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ (',' | '\\')) => cur.push(e),
                Some(e) => {
                    cur.push('\\');
                    cur.push(e);
                }
                None => cur.push('\\'),
            },
            ',' => {
                if !cur.is_empty() {
                    items.push(core::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        items.push(cur);
    }
    items
}

/// Settings collected from any sources (a config file, flags, variables), applied in one
/// order whatever order they came in: the defaults, then the profile (the last one given: a
/// flag's overrides the file's), then every other setting in the order given (a later one
/// overrides an earlier one; a list key adds each item), then `Policy::finalize`. `O` says
/// where a setting came from, for the source's error message.
#[derive(Clone)]
pub struct Settings<O> {
    profile: Option<(O, String)>,
    items: Vec<(&'static Key, O, String)>,
}

impl<O> Default for Settings<O> {
    fn default() -> Self {
        Settings { profile: None, items: Vec::new() }
    }
}

impl<O> Settings<O> {
    pub fn add(&mut self, key: &'static Key, origin: O, value: String) {
        if key.name == PROFILE {
            self.profile = Some((origin, value));
        } else {
            self.items.push((key, origin, value));
        }
    }

    /// The policy, or the first setting refused: its origin, key name and a one-line message.
    pub fn finalize(&self) -> Result<Policy, (&O, &'static str, String)> {
        let mut p = Policy::default();
        if let Some((o, v)) = &self.profile {
            p.apply_profile(v).map_err(|e| (o, PROFILE, one_line(&e)))?;
        }
        for (key, o, v) in &self.items {
            (key.apply)(&mut p, key.name, v).map_err(|e| (o, key.name, one_line(&e)))?;
        }
        p.finalize();
        Ok(p)
    }
}

impl Policy {
    /// Apply one key of `KEYS` now. `value` is "true"/"false" for flags from TOML/env, or the
    /// flag's value; one call is one item of a list key. A policy built this way must end with
    /// `finalize()`; `Settings` does both in the one order every source shares.
    /// The error is one line even when it quotes a value holding a newline (found by fuzzing).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let k = find_key(key).ok_or_else(|| one_line(&format!("unknown key '{key}'")))?;
        (k.apply)(self, k.name, value).map_err(|e| one_line(&e))
    }

    /// Values that depend on other keys, filled once every key is applied: a tmpfs given
    /// without a size gets the size of /tmp (`--tmp-size`), whichever came first.
    pub fn finalize(&mut self) {
        for m in &mut self.mounts {
            if let MountKind::Tmpfs { size: size @ 0 } = &mut m.kind {
                *size = self.tmp_size;
            }
        }
    }

    fn bind(&mut self, key: &str, value: &str, rw: bool) -> Result<(), String> {
        let (src, dst) = split_pair(value);
        self.mounts.push(Mount {
            kind: MountKind::Bind { rw },
            src: abs(src, key)?,
            dst: abs(dst.unwrap_or(src), key)?,
        });
        Ok(())
    }

    /// A profile is a starting point: `Settings` applies it before every other key, so what
    /// it sets here is what a flag, a TOML key or a variable then overrides.
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

/// Store a parsed value: the end of most `apply` functions.
pub fn put<T>(slot: &mut T, value: T) -> Result<(), String> {
    *slot = value;
    Ok(())
}
fn size(key: &str, v: &str) -> Result<u64, String> {
    nonzero(parse_size(v)?, key)
}
fn count(key: &str, v: &str) -> Result<u64, String> {
    nonzero(parse_count(v)?, key)
}
fn nonzero(v: u64, key: &str) -> Result<u64, String> {
    if v == 0 {
        Err(format!("{key} must be greater than zero"))
    } else {
        Ok(v)
    }
}
pub fn nonempty(v: &str) -> Result<String, String> {
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
                "cpus" | "time" | "wall-time" => "1.5",
                "nice" => "5",
                "pids" | "files" | "inodes" => "8",
                "memory" | "address-space" | "fsize" | "output" | "stack" | "tmp-size" | "disk" => "8M",
                "tmpfs" => "/scratch:8M",
                "hostname" | "cgroup-root" => "abc",
                "quiet" | "verbose" => "true",
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

    fn settings(pairs: &[(&str, &str)]) -> Policy {
        let mut s = Settings::default();
        for (i, (k, v)) in pairs.iter().enumerate() {
            s.add(find_key(k).unwrap(), i, v.to_string());
        }
        s.finalize().unwrap_or_else(|(i, k, e)| panic!("#{i} {k}: {e}"))
    }

    /// A flag given before the profile is not undone by it: the profile is the starting point.
    #[test]
    fn profile_applies_first_whatever_its_place() {
        let before = settings(&[("net", "host"), ("seccomp", "default"), ("profile", "judge")]);
        let after = settings(&[("profile", "judge"), ("net", "host"), ("seccomp", "default")]);
        assert_eq!(before, after);
        assert_eq!((before.net, before.seccomp.clone()), (Net::Host, Seccomp::Default));
        assert_eq!(before.limits.pids, Some(64));
        // The last profile given is the one: a flag's overrides a file's.
        let p = settings(&[("profile", "judge"), ("profile", "compile")]);
        assert_eq!(p, settings(&[("profile", "compile")]));
    }

    /// A tmpfs without a size gets --tmp-size, whether it came before or after.
    #[test]
    fn tmpfs_size_is_taken_at_finalize() {
        let a = settings(&[("tmpfs", "/x"), ("tmp-size", "1G"), ("tmpfs", "/y:8M")]);
        let b = settings(&[("tmp-size", "1G"), ("tmpfs", "/x"), ("tmpfs", "/y:8M")]);
        assert_eq!(a, b);
        let sizes: Vec<_> = a.mounts.iter().map(|m| m.kind.clone()).collect();
        assert_eq!(sizes, [MountKind::Tmpfs { size: 1 << 30 }, MountKind::Tmpfs { size: 8 << 20 }]);
        assert_eq!(settings(&[("tmpfs", "/x")]).mounts[0].kind, MountKind::Tmpfs { size: 64 << 20 });
        assert!(Policy::default().set("tmpfs", "/x:0").is_err());
    }

    /// One item per occurrence: a value is never split, so a path may hold a comma.
    #[test]
    fn list_values_are_whole() {
        let p = settings(&[("bind", "/a,b"), ("ro-bind", "/c:/d,e")]);
        assert_eq!((p.mounts[0].src.as_str(), p.mounts[1].dst.as_str()), ("/a,b", "/d,e"));
    }

    #[test]
    fn variable_lists_split_on_unescaped_commas() {
        assert_eq!(env_items("/a,/b"), ["/a", "/b"]);
        assert_eq!(env_items(",/a,,/b,"), ["/a", "/b"]);
        assert_eq!(env_items(r"/a\\,b,/c"), [r"/a\", "b", "/c"]);
        assert_eq!(env_items(r"/a\,b,/c\d"), ["/a,b", r"/c\d"]);
        assert_eq!(env_items(r"/a\\"), [r"/a\"]);
        assert!(env_items("").is_empty());
    }

    /// The first refused setting names its origin and key.
    #[test]
    fn settings_name_the_refused_one() {
        let mut s = Settings::default();
        s.add(find_key("memory").unwrap(), "first", "1G".into());
        s.add(find_key("time").unwrap(), "second", "soon".into());
        let (o, k, e) = s.finalize().map(|_| ()).unwrap_err();
        assert_eq!((*o, k), ("second", "time"));
        assert!(e.starts_with("not a time"), "{e}");
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("wall-time"), "SANDBOX_WALL_TIME");
        assert_eq!(env_name("cgroup-dir"), "SANDBOX_CGROUP_DIR");
    }
}
