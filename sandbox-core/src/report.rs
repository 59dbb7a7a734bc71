//! The run report: JSON (`--report`) and isolate's meta format (`--meta`).

use crate::sys;
use alloc::format;
use alloc::string::String;

use crate::mechanism::Mechs;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Ok,
    RuntimeError,
    Signal,
    Timeout,
    Memory,
    Violation,
    /// Output limit: `--output` (the relay counted too much) or `--fsize` (SIGXFSZ).
    Output,
    Internal,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::RuntimeError => "RE",
            Status::Signal => "SG",
            Status::Timeout => "TO",
            Status::Memory => "ML",
            Status::Violation => "SV",
            Status::Output => "OL",
            Status::Internal => "XX",
        }
    }
}

pub struct Report {
    pub status: Status,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub cpu_ns: u64,
    pub wall_ns: u64,
    pub peak_memory: Option<u64>,
    pub max_rss: u64,
    pub limit: Option<&'static str>,
    pub syscall: Option<String>,
    pub oom_killed: bool,
    pub message: String,
    pub mechs: Mechs,
    pub landlock: String,
    pub seccomp: String,
    /// How the work dir is bound (idmapped, or a plain bind and why).
    pub workdir: String,
}

fn esc(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

fn opt<T: core::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".into(), |v| format!("{v}"))
}
fn opt_str(v: Option<&str>) -> String {
    v.map_or_else(|| "null".into(), |v| format!("\"{}\"", esc(v)))
}

impl Report {
    pub fn json(&self) -> String {
        let m = &self.mechs;
        format!(
            "{{\n  \"status\": \"{}\",\n  \"exit_code\": {},\n  \"signal\": {},\n  \"cpu_time\": {:.3},\n  \
             \"wall_time\": {:.3},\n  \"peak_memory\": {},\n  \"max_rss\": {},\n  \"oom_killed\": {},\n  \
             \"limit\": {},\n  \"syscall\": {},\n  \"message\": \"{}\",\n  \"seccomp\": \"{}\",\n  \
             \"landlock\": \"{}\",\n  \"workdir\": \"{}\",\n  \"mechanisms\": {{\"memory\": \"{}\", \"pids\": \"{}\", \"cpus\": \"{}\", \
             \"time\": \"{}\", \"wall_time\": \"{}\", \"files\": \"{}\", \"fsize\": \"{}\", \"output\": \"{}\", \"stack\": \"{}\", \
             \"address_space\": \"{}\", \"disk\": \"{}\", \"inodes\": \"{}\"}}\n}}\n",
            self.status.code(),
            opt(self.exit_code),
            opt(self.signal),
            self.cpu_ns as f64 / 1e9,
            self.wall_ns as f64 / 1e9,
            opt(self.peak_memory),
            self.max_rss,
            self.oom_killed,
            opt_str(self.limit),
            opt_str(self.syscall.as_deref()),
            esc(&self.message),
            esc(&self.seccomp),
            esc(&self.landlock),
            esc(&self.workdir),
            m.memory.name(),
            m.pids.name(),
            m.cpus.name(),
            m.time.name(),
            m.wall_time.name(),
            m.files.name(),
            m.fsize.name(),
            m.output.name(),
            m.stack.name(),
            m.address_space.name(),
            m.disk.name(),
            m.inodes.name(),
        )
    }

    /// isolate's meta file: `key:value` lines; sizes in KiB, no status line when OK.
    pub fn meta(&self) -> String {
        let mut s = format!(
            "time:{:.3}\ntime-wall:{:.3}\nmax-rss:{}\n",
            self.cpu_ns as f64 / 1e9,
            self.wall_ns as f64 / 1e9,
            self.max_rss / 1024
        );
        if let Some(p) = self.peak_memory {
            s.push_str(&format!("cg-mem:{}\n", p / 1024));
        }
        if self.oom_killed {
            s.push_str("cg-oom-killed:1\n");
        }
        if let Some(c) = self.exit_code {
            s.push_str(&format!("exitcode:{c}\n"));
        }
        if let Some(g) = self.signal {
            s.push_str(&format!("exitsig:{g}\n"));
        }
        if matches!(self.status, Status::Timeout | Status::Memory | Status::Violation | Status::Output) {
            s.push_str("killed:1\n");
        }
        if self.status != Status::Ok {
            // isolate knows RE, SG, TO, XX; ML, SV and OL are reported as SG with a message
            // (isolate itself ends an over-long output with SIGXFSZ, which it reports as SG).
            let st = match self.status {
                Status::Memory | Status::Violation | Status::Output => "SG",
                other => other.code(),
            };
            s.push_str(&format!("status:{st}\n"));
        }
        if !self.message.is_empty() {
            s.push_str(&format!("message:{}\n", self.message));
        }
        s
    }
}

impl Report {
    /// The report of a run that never started (status XX): the sandbox's own exit status
    /// (125 setup, 126 cannot run, 127 not found) as `exit_code`, nothing measured, every
    /// mechanism `none` because none was applied.
    pub fn setup_error(code: i32, message: &str) -> Report {
        Report {
            status: Status::Internal,
            exit_code: Some(code),
            signal: None,
            cpu_ns: 0,
            wall_ns: 0,
            peak_memory: None,
            max_rss: 0,
            limit: None,
            syscall: None,
            oom_killed: false,
            message: message.trim_start_matches("sandbox: ").trim_end().into(),
            mechs: Mechs::default(),
            landlock: "not applied".into(),
            workdir: "not applied".into(),
            seccomp: "not applied".into(),
        }
    }
}

/// `--report` and `--meta`, opened before anything runs (an unwritable path is a setup
/// error, not a lost report).
#[derive(Default)]
pub struct ReportFiles {
    pub report: Option<sys::Fd>,
    pub meta: Option<sys::Fd>,
    /// Armed ahead by a server's pool, before any request: there is no client, so a setup
    /// error writes no report (the paths are the previous client's, which may be reading
    /// them; the server runs the request unpooled and it meets the same error).
    pub ahead: bool,
}

impl ReportFiles {
    /// The XX report of a run that never started, to the files or the policy's paths.
    pub fn setup_error(&mut self, policy: &crate::Policy, msg: &str) {
        if self.ahead {
            return;
        }
        let raw = |f: Option<sys::Fd>| f.map_or(-1, sys::Fd::into_raw);
        let fds = (raw(self.report.take()), raw(self.meta.take()));
        write_setup_error(policy, fds, crate::error::EXIT_SETUP, msg);
    }
}

/// Write the XX report of a run that failed before it started, to the files already opened
/// (`fds`, -1 when not yet) or else to the policy's paths. Best effort: the error itself is
/// what the caller prints, and a report that cannot be written is said on stderr.
pub fn write_setup_error(policy: &crate::Policy, fds: (i32, i32), code: i32, message: &str) {
    let rep = Report::setup_error(code, message);
    for (fd, path, text) in [(fds.0, &policy.report, rep.json()), (fds.1, &policy.meta, rep.meta())] {
        let Some(p) = path else { continue };
        let fd = if fd >= 0 {
            Ok(fd)
        } else {
            sys::openat(sys::AT_FDCWD, p.as_bytes(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o644)
        };
        if let Err(e) = fd.and_then(|fd| write(fd, &text)) {
            let m = format!("sandbox: report {p}: {}\n", crate::error::strerror(e));
            let _ = sys::write_all(2, m.as_bytes());
        }
    }
}

/// Open the report and meta files in the supervisor, before the run (its view of paths):
/// None for a file not asked for.
pub fn open_files(policy: &crate::Policy) -> crate::error::Result<ReportFiles> {
    let open = |p: &Option<alloc::string::String>| -> crate::error::Result<Option<sys::Fd>> {
        match p {
            None => Ok(None),
            Some(path) => sys::create_fd(path.as_bytes(), 0o644)
                .map(Some)
                .map_err(|e| crate::error::Error::new("report", path.clone(), e)),
        }
    };
    Ok(ReportFiles { report: open(&policy.report)?, meta: open(&policy.meta)?, ahead: false })
}

pub fn write(fd: i32, text: &str) -> Result<(), i32> {
    let r = sys::write_all(fd, text.as_bytes());
    sys::close(fd);
    r
}
