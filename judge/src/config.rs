//! Configuration: built-in defaults, then a TOML file (`--config FILE`), then flags. Every
//! key of the file is also a flag (`max_time` ↔ `--max-time`). An unknown key or flag is an
//! error, so a typo never silently drops a limit.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (loopback by default: put a reverse proxy in front).
    pub listen: String,
    /// SQLite file: problems, submissions, results and the job queue. Created on first start.
    pub db: PathBuf,
    /// The sandbox launcher: the only way this service runs code.
    pub sandbox: PathBuf,
    /// Parent of the per-job work dirs (made 0700 and owned by the service).
    pub work_root: PathBuf,
    /// Concurrent sandbox runs (queue workers and /api/run share them). 0: the cores.
    pub workers: usize,
    /// Queued submissions (and waiting /api/run requests) beyond which the service answers 503.
    pub queue_max: usize,
    /// Per-client POST requests per second (token bucket, burst = 10 × rate). 0: off.
    pub rate_limit: f64,
    pub max_source: usize,
    pub max_stdin: usize,
    /// CPU seconds a run may ask for.
    pub max_time: f64,
    /// Memory in bytes a run may ask for.
    pub max_memory: u64,
    /// Output bytes (stdout + files) a run may ask for.
    pub max_output: u64,
    pub default_time: f64,
    pub default_memory: u64,
    pub default_output: u64,
    /// Bytes of stdout/stderr/compiler output returned in a response.
    pub capture: usize,
    /// Seconds the compile step may take (CPU); the wall limit is twice that.
    pub compile_time: f64,
    /// `--cgroup-root` for every run (parent of the per-run cgroups, relative to the
    /// service's own cgroup). Empty: the launcher's default (`sandbox`).
    pub cgroup_root: String,
    /// `all` (HTTP API and workers in one process: the only role on SQLite), `api` (HTTP
    /// only: /api/run still runs here) or `worker` (judges queued submissions; serves only
    /// /healthz and /metrics). `api` and `worker` need `database`.
    pub role: String,
    /// PostgreSQL connection (`postgres://user@host/db`, or `postgres:///db?host=/run/sock`),
    /// shared by every process of the service. Empty: the SQLite file `db`.
    pub database: String,
    /// Seconds a worker's lease on a job lasts (renewed every lease/3 while it judges); a job
    /// of a worker that died is taken again after it expires. PostgreSQL only.
    pub lease: f64,
    /// This worker's name in the database (who holds a lease). Default: host-pid.
    pub worker_id: String,
}

impl Default for Config {
    fn default() -> Self {
        let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(|p| p.to_path_buf()));
        let uid = real_uid();
        Config {
            listen: "127.0.0.1:8080".into(),
            db: exe_dir.clone().unwrap_or_default().join("judge.db"),
            sandbox: exe_dir.unwrap_or_default().join("sandbox"),
            work_root: std::env::temp_dir().join(format!("judge-work-{uid}")),
            workers: 0,
            queue_max: 1000,
            rate_limit: 0.0,
            max_source: 64 * 1024,
            max_stdin: 1 << 20,
            max_time: 10.0,
            max_memory: 1 << 30,
            max_output: 64 << 20,
            default_time: 2.0,
            default_memory: 256 << 20,
            default_output: 16 << 20,
            capture: 64 * 1024,
            compile_time: 30.0,
            cgroup_root: String::new(),
            role: "all".into(),
            database: String::new(),
            lease: 30.0,
            worker_id: String::new(),
        }
    }
}

/// The real uid, from /proc (keeps `unsafe` out of this crate).
pub fn real_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

pub const USAGE: &str = "Usage: judge [--config FILE] [--KEY VALUE]...
An online compiler and judge: HTTP API and web page; every program runs in the sandbox.
Keys (file or flags): listen, db, sandbox, work-root, workers, queue-max, rate-limit,
max-source, max-stdin, max-time, max-memory, max-output, default-time, default-memory,
default-output, capture, compile-time, cgroup-root, role (all|api|worker), database
(postgres://…; empty: SQLite), lease, worker-id.  SIZE values take K/M/G.";

/// `64K`, `256M`, `1.5G` or bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mul) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&s[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    let v: f64 = num.parse().map_err(|_| format!("bad size {s:?} (bytes or 64K, 256M, 1G)"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("bad size {s:?}"));
    }
    Ok((v * mul as f64) as u64)
}

impl Config {
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut file: Option<String> = None;
        let mut flags: Vec<(String, String)> = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "-h" || a == "--help" {
                return Err(USAGE.into());
            }
            let Some(k) = a.strip_prefix("--") else { return Err(format!("unexpected argument {a:?}\n{USAGE}")) };
            let (k, v) = match k.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (k.to_string(), it.next().ok_or_else(|| format!("--{k} needs a value"))?.clone()),
            };
            if k == "config" {
                file = Some(v);
            } else {
                flags.push((k.replace('-', "_"), v));
            }
        }
        let mut c = match &file {
            Some(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| format!("config {f}: {e}"))?;
                let text = normalize_sizes(&text);
                toml::from_str::<Config>(&text).map_err(|e| format!("config {f}: {e}"))?
            }
            None => Config::default(),
        };
        for (k, v) in flags {
            c.set(&k, &v).map_err(|e| format!("--{}: {e}", k.replace('_', "-")))?;
        }
        if c.workers == 0 {
            c.workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        }
        if c.default_time > c.max_time || c.default_memory > c.max_memory || c.default_output > c.max_output {
            return Err("a default limit is over its maximum".into());
        }
        if !["all", "api", "worker"].contains(&c.role.as_str()) {
            return Err(format!("role {:?}: all, api or worker", c.role));
        }
        if !c.database.is_empty() && !c.database.starts_with("postgres://") && !c.database.starts_with("postgresql://")
        {
            return Err(format!("database {:?}: a postgres:// URL (empty: SQLite)", c.database));
        }
        if c.database.is_empty() && c.role != "all" {
            return Err(format!("role {}: needs database = \"postgres://…\" (SQLite is one process)", c.role));
        }
        if !(c.lease.is_finite() && c.lease >= 1.0) {
            return Err(format!("lease {}: at least 1 second", c.lease));
        }
        if c.worker_id.is_empty() {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            c.worker_id = format!("{}-{}", host.trim(), std::process::id());
        }
        Ok(c)
    }

    fn set(&mut self, k: &str, v: &str) -> Result<(), String> {
        let num = |v: &str| v.parse::<f64>().map_err(|_| format!("bad number {v:?}"));
        let int = |v: &str| v.parse::<usize>().map_err(|_| format!("bad integer {v:?}"));
        match k {
            "listen" => self.listen = v.into(),
            "db" => self.db = v.into(),
            "sandbox" => self.sandbox = v.into(),
            "work_root" => self.work_root = v.into(),
            "workers" => self.workers = int(v)?,
            "queue_max" => self.queue_max = int(v)?,
            "rate_limit" => self.rate_limit = num(v)?,
            "max_source" => self.max_source = parse_size(v)? as usize,
            "max_stdin" => self.max_stdin = parse_size(v)? as usize,
            "max_time" => self.max_time = num(v)?,
            "max_memory" => self.max_memory = parse_size(v)?,
            "max_output" => self.max_output = parse_size(v)?,
            "default_time" => self.default_time = num(v)?,
            "default_memory" => self.default_memory = parse_size(v)?,
            "default_output" => self.default_output = parse_size(v)?,
            "capture" => self.capture = parse_size(v)? as usize,
            "compile_time" => self.compile_time = num(v)?,
            "cgroup_root" => self.cgroup_root = v.into(),
            "role" => self.role = v.into(),
            "database" => self.database = v.into(),
            "lease" => self.lease = num(v)?,
            "worker_id" => self.worker_id = v.into(),
            _ => return Err("unknown option".into()),
        }
        Ok(())
    }
}

/// Size keys in the TOML file may be written `"256M"`: turn them into integers before serde.
fn normalize_sizes(text: &str) -> String {
    const SIZES: &[&str] =
        &["max_source", "max_stdin", "max_memory", "max_output", "default_memory", "default_output", "capture"];
    text.lines()
        .map(|l| {
            if let Some((k, v)) = l.split_once('=') {
                let v = v.split('#').next().unwrap_or("").trim().trim_matches('"');
                if SIZES.contains(&k.trim()) {
                    if let Ok(n) = parse_size(v) {
                        return format!("{} = {n}", k.trim());
                    }
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_flags() {
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1M").is_err());
        let a = |v: &[&str]| Config::from_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let c = a(&["--max-time", "5", "--workers=3", "--max-memory", "2G"]).unwrap();
        assert_eq!((c.max_time, c.workers, c.max_memory), (5.0, 3, 2 << 30));
        assert!(a(&["--max-tme", "5"]).unwrap_err().contains("unknown option"));
        assert!(a(&["--workers"]).unwrap_err().contains("needs a value"));
        assert!(a(&["--default-time", "20"]).unwrap_err().contains("over its maximum"));
        assert!(a(&["--role", "worker"]).unwrap_err().contains("needs database"));
        assert!(a(&["--role", "boss"]).unwrap_err().contains("all, api or worker"));
        assert!(a(&["--database", "mysql://x"]).unwrap_err().contains("postgres://"));
        assert!(a(&["--database", "postgres:///j", "--lease", "0.1"]).unwrap_err().contains("at least 1"));
        let c = a(&["--role", "api", "--database", "postgres:///j?host=/tmp", "--worker-id", "w1"]).unwrap();
        assert_eq!((c.role.as_str(), c.worker_id.as_str(), c.lease), ("api", "w1", 30.0));
        assert_eq!(normalize_sizes("capture = \"64K\"   # c\nx = 1"), "capture = 65536\nx = 1");
    }
}
