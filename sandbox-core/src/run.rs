//! The state of one run shared by the supervisor, init and app: who we are, the pipes
//! between the three processes, and the step tracer that makes every failure fail closed.

use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::sys::{self, c_int};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Exit status of the sandbox itself when it could not be set up.
pub const EXIT_SETUP: i32 = 125;

/// First host uid/gid of the per-run identities (root mode): uid = base + supervisor pid.
/// A live supervisor's pid is unique among concurrent runs, so is the uid; `pid_max` must
/// stay below RUN_ID_SPAN (checked at start).
pub const RUN_ID_BASE: u32 = 0x4d00_0000;
pub const RUN_ID_SPAN: u32 = 1 << 22;

/// What the launcher (or the preload library) hands to `arm()`: the exact file to exec and
/// its argv/envp as NUL-terminated pointer arrays (each ending in a null pointer).
pub struct Target<'a> {
    pub fd: c_int,
    pub argv: &'a [*const u8],
    pub envp: &'a [*const u8],
    /// The program's name, for messages.
    pub name: &'a str,
    /// A `#!` script: the fd must stay open across exec (the kernel passes /dev/fd/N).
    pub script: bool,
}

pub struct Run<'a> {
    pub policy: &'a Policy,
    pub target: Target<'a>,
    /// Real root outside: no user namespace, a per-run uid for the app.
    pub privileged: bool,
    pub outer_uid: u32,
    pub outer_gid: u32,
    /// The identity the app runs as, seen from the host.
    pub app_uid: u32,
    pub app_gid: u32,
    /// Random value only this run's own exec carries (see seccomp's exec gate).
    pub cookie: u64,
    /// Absolute work directory bound read-write, if any.
    pub workdir: Option<Vec<u8>>,
    /// Root mode: the work dir and binds as idmapped trees, made by the supervisor.
    pub owned: Vec<crate::fs::Owned>,
    /// How the work dir is bound (idmapped, or a plain bind and why), for -v and the report.
    pub workdir_note: String,
    /// The killed helper that made the idmap user namespace, reaped after the clone.
    pub idmap_child: c_int,
    /// `--disk`/`--inodes`: the work dir's tmpfs and what the supervisor needs to sync it back.
    pub disk: crate::workdisk::Disk,
    /// supervisor → init: one byte once init has been attached to the cgroup.
    pub go: [c_int; 2],
    /// init → supervisor: the app's wait status (4 bytes).
    pub status: [c_int; 2],
    /// init/app → supervisor: a setup error message (close-on-exec, so empty after exec).
    pub errors: [c_int; 2],
    /// app → supervisor: the seccomp listener fd (SCM_RIGHTS), for violation reports.
    pub notify: [c_int; 2],
    /// `--report` and `--meta` files, opened before anything runs (an unwritable path is a
    /// setup error, not a lost report); -1 when not asked for.
    pub report_fd: c_int,
    pub meta_fd: c_int,
    /// The run's cgroup v2 leaf (O_PATH), for clone3(CLONE_INTO_CGROUP); -1 without one.
    pub cg_fd: c_int,
    /// init was born in that leaf: the supervisor attaches it to the v1 leaves only.
    pub born_in_cgroup: bool,
    /// `--output`: pipes the app writes to instead of fds 1 and 2 (write ends, -1: fd left
    /// as it is; both the same pipe when 1 and 2 are the same file) and the read ends the
    /// supervisor relays from (the second -1 when shared).
    pub relay_w: [c_int; 2],
    pub relay_r: [c_int; 2],
    /// Write end of the cleaner's pipe (-1 without one): open for the supervisor's life.
    pub cleaner: c_int,
    pub old_sigmask: sys::SigSet,
    pub role: Role,
    /// Which mechanism enforces each limit (decided by the supervisor before the clone).
    pub mechs: crate::report::Mechs,
    /// The memory cgroup's OOM-kill count before the run (OOM = it went up).
    pub oom_before: u64,
    pub landlock_note: alloc::string::String,
    /// Landlock ABI of the kernel (0: none), probed once by the supervisor.
    pub landlock_abi: u32,
    /// The environment actually passed (the target's, plus SANDBOX_CGROUP_DIR), with the
    /// pointer array into it; empty until `export_cgroup_dir` runs.
    pub env_owned: Vec<Vec<u8>>,
    pub env_ptrs: Vec<*const u8>,
    /// The compiled seccomp program, built once before the clone.
    pub filter: Vec<libc::sock_filter>,
    pub start: u64,
    last: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Supervisor,
    Init,
    App,
}

impl<'a> Run<'a> {
    pub fn new(policy: &'a Policy, target: Target<'a>) -> Result<Self> {
        let now = sys::now_ns();
        let outer_uid = sys::geteuid();
        let outer_gid = sys::getegid();
        let privileged = outer_uid == 0;
        let (app_uid, app_gid) = if privileged {
            let pid = sys::getpid() as u32;
            if pid >= RUN_ID_SPAN {
                return Err(Error::msg("identity", format!("pid {pid} is beyond the per-run uid range")));
            }
            (RUN_ID_BASE + pid, RUN_ID_BASE + pid)
        } else {
            (outer_uid, outer_gid)
        };
        let mut cookie = [0u8; 8];
        sys::getrandom(&mut cookie).map_err(|e| Error::new("random", "getrandom", e))?;
        let pipe = |what: &str| sys::pipe2(libc::O_CLOEXEC).map_err(|e| Error::new("pipes", what, e));
        let notify = {
            let mut sv = [0 as c_int; 2];
            crate::sys::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, &mut sv)
                .map_err(|e| Error::new("pipes", "socketpair", e))?;
            sv
        };
        Ok(Run {
            policy,
            target,
            privileged,
            outer_uid,
            outer_gid,
            app_uid,
            app_gid,
            cookie: u64::from_ne_bytes(cookie) | 1,
            workdir: None,
            owned: Vec::new(),
            workdir_note: "none".into(),
            idmap_child: -1,
            disk: Default::default(),
            go: pipe("go")?,
            status: pipe("status")?,
            errors: pipe("errors")?,
            notify,
            cleaner: -1,
            relay_w: [-1, -1],
            relay_r: [-1, -1],
            cg_fd: -1,
            born_in_cgroup: false,
            report_fd: -1,
            meta_fd: -1,
            old_sigmask: 0,
            role: Role::Supervisor,
            mechs: Default::default(),
            oom_before: 0,
            landlock_note: "not applied".into(),
            landlock_abi: 0,
            env_owned: Vec::new(),
            env_ptrs: Vec::new(),
            filter: Vec::new(),
            start: now,
            last: now,
        })
    }

    /// Run one containment step; on failure the program never runs (fail closed).
    pub fn step<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> Result<T>) -> T {
        match f(self) {
            Ok(v) => {
                if self.policy.verbose {
                    let now = sys::now_ns();
                    let msg = format!(
                        "sandbox: [{:>8.3} ms] {:<12} {:>7.3} ms ({:?})\n",
                        (now - self.start) as f64 / 1e6,
                        name,
                        (now - self.last) as f64 / 1e6,
                        self.role
                    );
                    let _ = sys::write_all(2, msg.as_bytes());
                    self.last = now;
                }
                v
            }
            Err(e) => self.fail(e),
        }
    }

    /// Report a setup error and exit 125. In init/app the message also goes to the
    /// supervisor, so that it can tell a setup failure from a program that exits 125.
    pub fn fail(&self, e: Error) -> ! {
        let msg = format!("sandbox: {e}\n");
        if self.role != Role::Supervisor {
            let _ = sys::write(self.errors[1], msg.as_bytes());
        }
        let _ = sys::write_all(2, msg.as_bytes());
        if self.role == Role::Supervisor {
            // Every outcome has a report: a setup error before init exists is XX too.
            crate::report::write_setup_error(self.policy, (self.report_fd, self.meta_fd), EXIT_SETUP, &msg);
        }
        sys::exit(EXIT_SETUP)
    }

    pub fn is_verbose(&self) -> bool {
        self.policy.verbose
    }
}

impl Run<'_> {
    /// Tell the program which cgroup it runs in, as the seeds' design does: replaces any
    /// SANDBOX_CGROUP_DIR of the caller.
    pub fn export_cgroup_dir(&mut self, dir: &str) {
        let key = b"SANDBOX_CGROUP_DIR=";
        for &p in self.target.envp.iter().take_while(|p| !p.is_null()) {
            // SAFETY: the target's environment is an array of NUL-terminated strings.
            let kv = unsafe { sys::c_bytes(p) };
            if !kv.starts_with(key) {
                self.env_owned.push(sys::cstr(kv));
            }
        }
        self.env_owned.push(sys::cstr(&[&key[..], dir.as_bytes()].concat()));
        self.env_ptrs = self.env_owned.iter().map(|v| v.as_ptr()).collect();
        self.env_ptrs.push(core::ptr::null());
    }

    pub fn envp(&self) -> &[*const u8] {
        if self.env_ptrs.is_empty() {
            self.target.envp
        } else {
            &self.env_ptrs
        }
    }
}

/// Format a setup error the way every entry point prints it.
pub fn describe(e: &Error) -> String {
    format!("sandbox: {e}")
}
