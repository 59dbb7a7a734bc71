//! The real service, started on a loopback port with a fresh SQLite file and work root, using
//! the real launcher (target/release/sandbox: build the workspace first). A tiny HTTP/1.1
//! client (one request per connection) keeps the test dependencies to none.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Service {
    pub child: Child,
    pub addr: String,
    pub dir: PathBuf,
    pub work_root: PathBuf,
    pub cgroup_root: String,
    pub log: PathBuf,
}

/// A response shortened for assertion messages (outputs can be megabytes).
pub fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.len() <= 600 {
        return s;
    }
    let mut end = 600;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The workspace's launcher, or JUDGE_SANDBOX (to try the service against another build).
pub fn sandbox() -> PathBuf {
    let p = std::env::var_os("JUDGE_SANDBOX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/sandbox"));
    assert!(p.exists(), "{} is missing: run `cargo build --release --workspace` first", p.display());
    p
}

impl Service {
    pub fn start(name: &str, extra: &[&str]) -> Service {
        let dir = std::env::temp_dir().join(format!("judge-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("judge.log");
        // A `--work-root` in `extra` wins (flags apply in order), so check that one.
        let work_root = extra
            .windows(2)
            .rfind(|w| w[0] == "--work-root")
            .map(|w| PathBuf::from(w[1]))
            .unwrap_or_else(|| dir.join("work"));
        let cgroup_root = format!("judge-test-{name}-{}", std::process::id());
        let child = Command::new(env!("CARGO_BIN_EXE_judge"))
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.join("judge.db"))
            .arg("--sandbox")
            .arg(sandbox())
            .arg("--work-root")
            .arg(&work_root)
            .args(["--cgroup-root", &cgroup_root])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // Only a whole line: the service may be half-way through writing it.
            let whole = text.split_inclusive('\n').filter(|l| l.ends_with('\n'));
            if let Some(v) =
                whole.filter(|l| l.contains("\"listening\"")).find_map(|l| serde_json::from_str::<Value>(l).ok())
            {
                break v["url"].as_str().unwrap().trim_start_matches("http://").trim_end_matches('/').to_string();
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "service did not start: {text}");
            std::thread::sleep(Duration::from_millis(50));
        };
        Service { child, addr, dir, work_root, cgroup_root, log }
    }

    pub fn req(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<(String, String)>, String) {
        request(&self.addr, method, path, body)
    }
    pub fn get(&self, path: &str) -> (u16, Value) {
        let (c, _, b) = self.req("GET", path, None);
        (c, serde_json::from_str(&b).unwrap_or(Value::String(b)))
    }
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (c, _, b) = self.req("POST", path, Some(&body.to_string()));
        (c, serde_json::from_str(&b).unwrap_or_else(|_| panic!("not JSON: {b}")))
    }
    pub fn run(&self, language: &str, source: &str, stdin: &str) -> Value {
        let (c, v) =
            self.post("/api/run", &serde_json::json!({"language": language, "source": source, "stdin": stdin}));
        assert_eq!(c, 200, "{}", brief(&v));
        v
    }
    pub fn submit(&self, problem: &str, language: &str, source: &str) -> i64 {
        let (c, v) = self
            .post("/api/submissions", &serde_json::json!({"problem": problem, "language": language, "source": source}));
        assert_eq!(c, 201, "{v}");
        v["id"].as_i64().unwrap()
    }
    /// Poll until the submission is done.
    pub fn wait(&self, id: i64, timeout: Duration) -> Value {
        let t0 = Instant::now();
        loop {
            let (c, v) = self.get(&format!("/api/submissions/{id}"));
            assert_eq!(c, 200, "{v}");
            if v["state"] == "done" {
                return v;
            }
            assert!(t0.elapsed() < timeout, "submission {id} not judged in {timeout:?}: {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, wait for a clean exit, then check nothing is left behind: no work dir, no
    /// per-run cgroup under this service's cgroup root, no process the service started.
    pub fn stop_and_check(mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let st = self.child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(st.success(), "service exit {st:?}: {log}");
        assert!(log.contains("\"stopped\""), "{log}");
        let left: Vec<_> = std::fs::read_dir(&self.work_root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "work dirs left: {left:?}");
        let cg = run_cgroups(&self.cgroup_root);
        assert!(cg.is_empty(), "cgroups left: {cg:?}");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // The service's log explains most failures; then nothing of the test is kept.
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("--- judge log (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{}", l.chars().take(400).collect::<String>());
            }
            let _ = std::fs::remove_dir_all(&self.dir);
            run_cgroups(&self.cgroup_root);
        }
    }
}

/// `run-*` cgroups under `<own cgroup>/<root>` in every hierarchy; the empty parents (the
/// launcher leaves its cgroup root in place) are removed.
pub fn run_cgroups(root: &str) -> Vec<PathBuf> {
    let mut left = Vec::new();
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for line in own.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrl, path) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
        let mount = match ctrl {
            "" => "/sys/fs/cgroup/unified".to_string(),
            c if c.starts_with("name=") => continue,
            c => format!("/sys/fs/cgroup/{}", c.split(',').next().unwrap()),
        };
        let d = PathBuf::from(format!("{mount}{path}/{root}"));
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    left.push(e.path());
                }
            }
        }
        let _ = std::fs::remove_dir(&d);
    }
    left
}

pub fn request(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Read the head, then Content-Length bytes (a server may keep the connection open
    // despite `Connection: close`: chromedriver does), or to EOF without a length.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = s.read(&mut buf).unwrap();
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()));
            if let Some(len) = len {
                while raw.len() < end + 4 + len {
                    let n = s.read(&mut buf).unwrap();
                    assert!(n > 0, "connection closed early");
                    raw.extend_from_slice(&buf[..n]);
                }
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("bad response: {text}"));
    let mut lines = head.lines();
    let code: u16 = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let body = if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (code, headers, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Processes whose parent is this process (a child subreaper gets every orphan of its
/// descendants), as their /proc stat lines.
pub fn children() -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|st| st.rsplit_once(')').map(|(_, r)| r.split_whitespace().nth(1) == Some(&me)).unwrap_or(false))
        .collect()
}

/// Reap exited children and wait up to `timeout` for live ones to end (those whose stat line
/// starts with `keep`, when not empty, are not waited for); returns (reaped, still live). The launcher's cleaners (they outlive their supervisor by a moment, to remove its
/// cgroups) end up here as zombies.
pub fn reap_children(timeout: Duration, keep: &str) -> (usize, Vec<String>) {
    let t0 = Instant::now();
    let mut reaped = 0;
    loop {
        // SAFETY: waitpid on our own children, non-blocking.
        while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {
            reaped += 1;
        }
        let live: Vec<String> = children().into_iter().filter(|c| keep.is_empty() || !c.starts_with(keep)).collect();
        if live.is_empty() || t0.elapsed() > timeout {
            return (reaped, live);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
