//! Running code: every compile and every run is one `sandbox` launcher process (the only way
//! this service runs code), in a fresh per-job work dir that is removed afterwards. Statuses
//! come from the launcher's `--report` JSON, never from guessing at exit codes.

use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

/// The jail shows /usr: the launcher and the compilers look runtimes up there.
const PATH: &str = "/usr/bin:/bin";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time: f64,
    pub memory: u64,
    pub output: u64,
}

/// How the launcher caps output, found at start-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputCap {
    /// `--output SIZE`: the launcher counts stdout+stderr and reports status OL.
    Launcher,
    /// No `--output`: stdout/stderr go to files, so RLIMIT_FSIZE (`--fsize`) bounds them and
    /// SIGXFSZ means the limit was hit. Never unbounded.
    Fsize,
}

pub struct Runner {
    pub sandbox: PathBuf,
    pub work_root: PathBuf,
    pub output_cap: OutputCap,
    /// Mode of the per-job work dir the program sees (see `prepare`).
    pub box_mode: u32,
    pub capture: usize,
    pub compile_time: f64,
    pub cgroup_root: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Outcome {
    /// OK RE TLE MLE OLE SV XX (CE is decided by the caller).
    pub status: String,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub time: f64,
    pub wall_time: f64,
    pub memory: u64,
    pub stdout: String,
    pub stdout_truncated: bool,
    pub stderr: String,
    pub stderr_truncated: bool,
    pub syscall: Option<String>,
    pub message: Option<String>,
    #[serde(skip)]
    pub stdout_raw: Vec<u8>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// One job's directory: `<work_root>/job-<pid>-<n>` (0700, the service's) holding the reports,
/// stdin and captured output, and `box/`, the program's work dir. Removed on drop.
pub struct JobDir {
    pub dir: PathBuf,
    pub work: PathBuf,
    n: u32,
}

impl Drop for JobDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn set_mode(p: &Path, mode: u32) -> std::io::Result<()> {
    std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(mode))
}

impl Runner {
    /// Create the work root (0700) and find out what the launcher supports.
    pub async fn prepare(&mut self) -> Result<(), String> {
        std::fs::create_dir_all(&self.work_root).map_err(|e| format!("work root {}: {e}", self.work_root.display()))?;
        set_mode(&self.work_root, 0o700).map_err(|e| format!("work root {}: {e}", self.work_root.display()))?;
        self.remove_stale();
        let help = tokio::process::Command::new(&self.sandbox)
            .arg("--help")
            .output()
            .await
            .map_err(|e| format!("sandbox {}: {e}", self.sandbox.display()))?;
        let text = String::from_utf8_lossy(&help.stdout).to_string() + &String::from_utf8_lossy(&help.stderr);
        self.output_cap = if text.contains("--output") { OutputCap::Launcher } else { OutputCap::Fsize };
        // As root every run gets a uid of its own (0x4d000000 + pid), which cannot enter a
        // 0700 root-owned work dir unless the launcher maps the dir to it (the idmapped
        // work dir). Probe: a 0700 box first; if the run cannot use it, make boxes 0777.
        // That is still private: the box sits in a 0700 job dir inside the 0700 work root,
        // so no other host user can reach it; inside the jail the box is bound at its own
        // path under a fresh tmpfs, so the 0700 parents are not in the way of the run uid.
        self.box_mode = 0o700;
        if crate::config::real_uid() == 0 {
            let j = self.job_dir()?;
            let o = self
                .exec(
                    &j,
                    "judge",
                    Limits { time: 1.0, memory: 64 << 20, output: 1 << 20 },
                    &["/bin/sh", "-c", "echo x > probe"],
                    &[],
                    b"",
                )
                .await;
            if o.status != "OK" {
                self.box_mode = 0o777;
            }
        }
        Ok(())
    }

    /// Job dirs of a process that is gone (it was killed: its `JobDir`s were never dropped).
    fn remove_stale(&self) {
        let Ok(rd) = std::fs::read_dir(&self.work_root) else { return };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("job-").and_then(|r| r.split('-').next()).and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                    crate::info!("removing a dead process's job dir", "dir": e.path().display().to_string());
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }

    pub fn job_dir(&self) -> Result<JobDir, String> {
        loop {
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let dir = self.work_root.join(format!("job-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("work dir {}: {e}", dir.display())),
            }
            let j = JobDir { work: dir.join("box"), dir, n: 0 };
            set_mode(&j.dir, 0o700).map_err(|e| format!("work dir: {e}"))?;
            std::fs::create_dir(&j.work).map_err(|e| format!("work dir: {e}"))?;
            set_mode(&j.work, self.box_mode).map_err(|e| format!("work dir: {e}"))?;
            return Ok(j);
        }
    }

    /// Compile `argv` under `--profile compile`; Err(compiler output) when it fails.
    pub async fn compile(&self, j: &mut JobDir, argv: &[&str], ro: &[&str]) -> Result<(), String> {
        let lim = Limits { time: self.compile_time, memory: 2 << 30, output: 16 << 20 };
        let o = self.exec_in(j, "compile", lim, argv, ro, b"").await;
        match o.status.as_str() {
            "OK" => Ok(()),
            "RE" => Err(cap_text(format!("{}{}", o.stdout, o.stderr), self.capture)),
            _ => Err(format!(
                "{}{}\ncompilation stopped: {} ({})",
                o.stdout,
                o.stderr,
                o.status,
                o.message.unwrap_or_default()
            )),
        }
    }

    pub async fn run(&self, j: &mut JobDir, lim: Limits, argv: &[&str], ro: &[&str], stdin: &[u8]) -> Outcome {
        self.exec_in(j, "judge", lim, argv, ro, stdin).await
    }

    async fn exec_in(
        &self,
        j: &mut JobDir,
        profile: &str,
        lim: Limits,
        argv: &[&str],
        ro: &[&str],
        stdin: &[u8],
    ) -> Outcome {
        j.n += 1;
        self.exec(j, profile, lim, argv, ro, stdin).await
    }

    async fn exec(&self, j: &JobDir, profile: &str, lim: Limits, argv: &[&str], ro: &[&str], stdin: &[u8]) -> Outcome {
        match self.try_exec(j, profile, lim, argv, ro, stdin).await {
            Ok(o) => o,
            Err(e) => Outcome { status: "XX".into(), message: Some(e), ..Default::default() },
        }
    }

    async fn try_exec(
        &self,
        j: &JobDir,
        profile: &str,
        lim: Limits,
        argv: &[&str],
        ro: &[&str],
        stdin: &[u8],
    ) -> Result<Outcome, String> {
        let f = |name: &str| j.dir.join(format!("{name}-{}", j.n));
        let (inp, out, err, rep) = (f("stdin"), f("stdout"), f("stderr"), f("report.json"));
        std::fs::write(&inp, stdin).map_err(|e| format!("stdin file: {e}"))?;
        let open = |p: &Path| std::fs::File::create(p).map_err(|e| format!("output file: {e}"));
        let mut cmd = tokio::process::Command::new(&self.sandbox);
        cmd.env_clear().env("PATH", PATH).env("LANG", "C.UTF-8").current_dir(&j.work);
        cmd.arg("--profile").arg(profile).arg("--quiet").arg("--report").arg(&rep);
        cmd.arg("--workdir").arg(&j.work);
        for p in ro.iter().filter(|p| Path::new(p).exists()) {
            cmd.arg("--ro-bind").arg(p);
        }
        if !self.cgroup_root.is_empty() {
            cmd.arg("--cgroup-root").arg(&self.cgroup_root);
        }
        cmd.arg("--memory").arg(lim.memory.to_string());
        cmd.arg("--time").arg(format!("{:.3}", lim.time));
        cmd.arg("--wall-time").arg(format!("{:.3}", lim.time * 2.0 + 1.0));
        match self.output_cap {
            OutputCap::Launcher => cmd.arg("--output").arg(lim.output.to_string()),
            OutputCap::Fsize => cmd.arg("--fsize").arg(lim.output.to_string()),
        };
        cmd.arg("--").args(argv);
        cmd.stdin(Stdio::from(std::fs::File::open(&inp).map_err(|e| format!("stdin file: {e}"))?));
        cmd.stdout(Stdio::from(open(&out)?)).stderr(Stdio::from(open(&err)?));
        cmd.kill_on_drop(true);
        let st = cmd.status().await.map_err(|e| format!("sandbox {}: {e}", self.sandbox.display()))?;
        let (stdout_raw, stdout_truncated) = read_capped(&out, self.capture.max(lim.output as usize));
        let (stderr_raw, stderr_truncated) = read_capped(&err, self.capture);
        let report: Option<Value> = std::fs::read(&rep).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let Some(r) = report else {
            // No report: the launcher itself failed before it could write one; its stderr
            // holds the one-line `sandbox: <step>: <reason>`.
            return Ok(Outcome {
                status: "XX".into(),
                exit_code: st.code().map(|c| c as i64),
                message: Some(format!("sandbox gave no report: {}", String::from_utf8_lossy(&stderr_raw).trim())),
                ..Default::default()
            });
        };
        let s = |k: &str| r.get(k).and_then(|v| v.as_str()).map(|s| s.to_string());
        let signal = r.get("signal").and_then(|v| v.as_i64());
        // Without `--output`, RLIMIT_FSIZE on the captured files is the output limit: the
        // program gets SIGXFSZ, or EFBIG where it ignores that signal (Python does), so
        // output that reached the limit is OLE however the program then ended.
        let written = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let full = self.output_cap == OutputCap::Fsize && written(&out).max(written(&err)) >= lim.output;
        let peak = r.get("peak_memory").and_then(|v| v.as_u64()).unwrap_or(0);
        let status = match s("status").as_deref() {
            Some("OK" | "RE" | "SG") if full => "OLE",
            Some("OK") => "OK",
            Some("RE") => "RE",
            // RLIMIT_FSIZE on the captured stdout/stderr files: the output limit.
            Some("SG") if signal == Some(libc::SIGXFSZ as i64) && self.output_cap == OutputCap::Fsize => "OLE",
            Some("SG") => "RE",
            // At the memory limit when time ran out: the kernel was reclaiming against the
            // cgroup limit instead of OOM-killing (seen under load on cgroup v1), so the run
            // stalled on memory, not on CPU.
            Some("TO") if peak >= lim.memory - lim.memory / 100 => "MLE",
            Some("TO") => "TLE",
            Some("ML") => "MLE",
            Some("OL") => "OLE",
            Some("SV") => "SV",
            _ => "XX",
        };
        let cut = stdout_raw.len().min(self.capture);
        Ok(Outcome {
            status: status.into(),
            exit_code: r.get("exit_code").and_then(|v| v.as_i64()),
            signal,
            time: r.get("cpu_time").and_then(|v| v.as_f64()).unwrap_or(0.0),
            wall_time: r.get("wall_time").and_then(|v| v.as_f64()).unwrap_or(0.0),
            memory: r.get("peak_memory").and_then(|v| v.as_u64()).or_else(|| r.get("max_rss")?.as_u64()).unwrap_or(0),
            stdout: String::from_utf8_lossy(&stdout_raw[..cut]).into_owned(),
            stdout_truncated: stdout_truncated || cut < stdout_raw.len(),
            stderr: String::from_utf8_lossy(&stderr_raw).into_owned(),
            stderr_truncated,
            syscall: s("syscall"),
            message: s("message"),
            stdout_raw,
        })
    }
}

/// Read at most `cap` bytes of a file; true when there was more.
fn read_capped(p: &Path, cap: usize) -> (Vec<u8>, bool) {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(p) else { return (Vec::new(), false) };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut v = Vec::new();
    let _ = f.take(cap as u64).read_to_end(&mut v);
    (v, len > cap as u64)
}

fn cap_text(s: String, cap: usize) -> String {
    if s.len() <= cap {
        return s;
    }
    let mut end = cap;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[truncated]", &s[..end])
}
