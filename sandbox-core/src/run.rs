//! The state of one run: what the three processes share (policy, target, ids, work dir),
//! the state of each role, made at each clone, and the step tracer that makes every failure
//! fail closed.
//!
//! `Setup` is the supervisor before the clone: it prepares everything. At the clone it
//! splits into `Supervisor` (what only the supervisor uses: report files, cleaner, cgroup,
//! mechanisms, notes for the report) and `Init`, which carries `ForApp` (filter, cookie,
//! environment, signal mask…) to the app's fork, where it becomes `App`. What a role does
//! not keep is dropped (descriptors closed) at that moment, once.

use crate::cgroup::RunCgroup;
use crate::channel::{AppEnd, Channels, InitEnd, SupervisorEnd};
use crate::error::{Error, Result, EXIT_SETUP};
use crate::mechanism::Mechs;
use crate::policy::Policy;
use crate::report::ReportFiles;
use crate::sys::{self, c_int, Fd};
use crate::workdisk::Disk;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::ManuallyDrop;

/// First host uid/gid of the per-run identities (root mode): uid = base + supervisor pid.
/// A live supervisor's pid is unique among concurrent runs, so is the uid; `pid_max` must
/// stay below RUN_ID_SPAN (checked at start).
pub const RUN_ID_BASE: u32 = 0x4d00_0000;
pub const RUN_ID_SPAN: u32 = 1 << 22;

/// What the launcher (or the preload library) hands to `arm()`: the exact file to exec and
/// its argv/envp.
pub struct Target<'a> {
    pub fd: c_int,
    pub argv: sys::CStrArray<'a>,
    pub envp: sys::CStrArray<'a>,
    /// The program's name, for messages.
    pub name: &'a str,
    /// A `#!` script: the fd must stay open across exec (the kernel passes /dev/fd/N).
    pub script: bool,
    /// Armed ahead by a server's pool (launcher/src/serve): the run waits here for its
    /// request before the app forks (see `pool.rs`). None for every other run.
    pub pool: Option<Pooled<'a>>,
    /// A server's run: clones of its jail template's trees (see fs.rs), empty otherwise.
    pub template: &'a [Part],
    /// A server's unpooled run: the socket on which the supervisor tells the server the
    /// app's exit status as soon as it is final, before the teardown (supervisor.rs; a
    /// pooled run uses its slot's socket). The run owns it.
    pub reply: Option<c_int>,
}

/// One top-level tree of a server's jail template (launcher/src/serve/template.rs): a
/// detached clone made for one run (`/usr`, `/etc`, `/dev`…), attached by its init in place
/// of the entries it holds.
pub struct Part {
    pub dst: Vec<u8>,
    pub fd: c_int,
}

/// A run armed ahead, waiting for the request it will serve.
#[derive(Clone, Copy)]
pub struct Pooled<'a> {
    /// The server's end of this slot (a SOCK_SEQPACKET socket).
    pub slot: c_int,
    /// Files opened ahead (the target, a script) and the paths they were opened for: a path
    /// that no longer names the same file at request time makes the slot stale.
    pub files: &'a [(&'a [u8], c_int)],
    /// The client's descriptor numbers a request may fill (0-2 and its --keep-fd ones).
    pub fds: &'a [c_int],
}

/// Who the run is, fixed before the first step.
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    /// Real root outside: no user namespace, a per-run uid for the app.
    pub privileged: bool,
    pub outer_uid: u32,
    pub outer_gid: u32,
    /// The identity the app runs as, seen from the host.
    pub app_uid: u32,
    pub app_gid: u32,
}

/// One run as one process sees it: the shared parts and the state of its role `S`.
pub struct Run<'a, S> {
    pub policy: &'a Policy,
    pub target: Target<'a>,
    pub ids: Ids,
    /// Absolute work directory bound read-write, if any (set by the first steps).
    pub workdir: Option<Vec<u8>>,
    pub s: S,
    start: u64,
    last: u64,
}

/// `--output`: the pipes the app writes to instead of fds 1 and 2, and the read ends the
/// supervisor relays from (none for a closed fd 1 or 2, or without the option). Each
/// process keeps only its own ends: init drops the readers, the supervisor the writers.
#[derive(Default)]
pub struct OutputPipes {
    pub w: [Option<Fd>; 2],
    pub r: [Option<Fd>; 2],
    /// fd 2 is the same file as fd 1: it writes to the first pipe too (`> f 2>&1` keeps
    /// its interleaving exactly).
    pub shared: bool,
}

/// What the supervisor prepares for the app, carried through init.
pub struct ForApp {
    /// Random value only this run's own exec carries (strict's exec gate; 0: none).
    pub cookie: u64,
    /// The compiled seccomp program, built once before the clone.
    pub filter: Vec<libc::sock_filter>,
    /// The environment actually passed, when it is not the target's (see environ.rs).
    pub env: Option<sys::CStrVec>,
    /// Landlock ABI of the kernel (0: none), probed once by the supervisor.
    pub landlock_abi: u32,
    /// The caller's signal mask, restored just before exec.
    pub old_sigmask: sys::SigSet,
    pub mechs: Mechs,
    pub output: OutputPipes,
}

/// The supervisor before the clone.
pub struct Setup {
    pub reports: ReportFiles,
    /// Write end of the cleaner's pipe: open for the supervisor's life.
    pub cleaner: Option<Fd>,
    /// The name of the run's own cgroup, chosen by the cleaner step (None: no fresh one).
    pub cg_name: Option<String>,
    /// The run's cgroup (None: no cgroup at all).
    pub cg: Option<RunCgroup>,
    /// The run's cgroup v2 leaf (O_PATH), for clone3(CLONE_INTO_CGROUP).
    pub cg_fd: Option<Fd>,
    /// The memory cgroup's OOM-kill count before the run (OOM = it went up).
    pub oom_before: u64,
    /// How the work dir is bound (idmapped, or a plain bind and why), for -v and the report.
    pub workdir_note: String,
    pub landlock_note: String,
    /// The killed helper that made the idmap user namespace, reaped after the clone.
    pub idmap_child: c_int,
    /// init was born in the cgroup v2 leaf: the supervisor attaches it to the v1 leaves only.
    pub born_in_cgroup: bool,
    /// `--disk`/`--inodes`: the work dir's tmpfs and what the sync-back needs.
    pub disk: Disk,
    pub channels: Option<Channels>,
    /// `Target::reply`, the supervisor's alone.
    pub reply: Option<c_int>,
    pub app: ForApp,
}

/// The supervisor after the clone.
pub struct Supervisor {
    pub init: c_int,
    pub born_in_cgroup: bool,
    pub chan: SupervisorEnd,
    pub reports: ReportFiles,
    _cleaner: Option<Fd>,
    pub cg: Option<RunCgroup>,
    pub oom_before: u64,
    pub mechs: Mechs,
    pub output: OutputPipes,
    pub workdir_note: String,
    pub landlock_note: String,
    pub disk: Disk,
    /// Where the app's status goes before the teardown (a server's run; see supervisor.rs).
    pub reply: Option<c_int>,
}

/// init, pid 1.
pub struct Init {
    pub chan: InitEnd,
    /// Only to show the run's cgroups inside: init never removes them (its supervisor
    /// does), so they are never dropped here.
    pub cg: ManuallyDrop<Option<RunCgroup>>,
    pub app: ForApp,
}

/// The app, pid 2, until it execs.
pub struct App {
    pub chan: AppEnd,
    pub app: ForApp,
}

/// What a role does with a setup error before it exits 125.
pub trait Role {
    const NAME: &'static str;
    fn on_error(&mut self, policy: &Policy, msg: &str);
}

/// The supervisor's part of a setup error in either phase: no cgroup stays behind, and
/// every outcome has a report (a setup error before init exists is XX too).
fn clean_up_and_report(cg: &mut Option<RunCgroup>, reports: &mut ReportFiles, policy: &Policy, msg: &str) {
    if let Some(cg) = cg.take() {
        let _ = cg.remove();
    }
    reports.setup_error(policy, msg);
}

impl Role for Setup {
    const NAME: &'static str = "Supervisor";
    fn on_error(&mut self, policy: &Policy, msg: &str) {
        clean_up_and_report(&mut self.cg, &mut self.reports, policy, msg);
    }
}

impl Role for Supervisor {
    const NAME: &'static str = "Supervisor";
    /// After the clone nothing of the run may stay behind: init is killed and reaped first.
    fn on_error(&mut self, policy: &Policy, msg: &str) {
        let _ = sys::kill(self.init, libc::SIGKILL);
        let _ = sys::wait4(self.init, libc::__WALL, None);
        clean_up_and_report(&mut self.cg, &mut self.reports, policy, msg);
    }
}

/// init and the app tell the supervisor, so that it can tell a setup failure from a
/// program that exits 125.
impl Role for Init {
    const NAME: &'static str = "Init";
    fn on_error(&mut self, _: &Policy, msg: &str) {
        self.chan.send_error(msg);
    }
}

impl Role for App {
    const NAME: &'static str = "App";
    fn on_error(&mut self, _: &Policy, msg: &str) {
        self.chan.send_error(msg);
    }
}

impl<'a> Run<'a, Setup> {
    /// Infallible: everything that can fail is a step of `arm()` (the ids are checked by
    /// `check_ids`, the channels made by `channels`).
    pub fn new(policy: &'a Policy, target: Target<'a>) -> Self {
        let now = sys::now_ns();
        let outer_uid = sys::geteuid();
        let outer_gid = sys::getegid();
        let privileged = outer_uid == 0;
        let (app_uid, app_gid) = if privileged {
            let id = RUN_ID_BASE.wrapping_add(sys::getpid() as u32);
            (id, id)
        } else {
            (outer_uid, outer_gid)
        };
        let app = ForApp {
            cookie: 0,
            filter: Vec::new(),
            env: None,
            landlock_abi: 0,
            old_sigmask: 0,
            mechs: Mechs::default(),
            output: OutputPipes::default(),
        };
        let s = Setup {
            reports: ReportFiles { ahead: target.pool.is_some(), ..ReportFiles::default() },
            cleaner: None,
            cg_name: None,
            cg: None,
            cg_fd: None,
            oom_before: 0,
            workdir_note: "none".into(),
            landlock_note: "not applied".into(),
            idmap_child: -1,
            born_in_cgroup: false,
            disk: Disk::default(),
            channels: None,
            reply: target.reply,
            app,
        };
        Run {
            policy,
            target,
            ids: Ids { privileged, outer_uid, outer_gid, app_uid, app_gid },
            workdir: None,
            s,
            start: now,
            last: now,
        }
    }

    /// The supervisor's side of the clone of `init`.
    pub fn into_supervisor(self, init: c_int) -> Run<'a, Supervisor> {
        self.become_role(|mut s| {
            let chan = s.channels.take().expect("channels before the clone").into_supervisor();
            Supervisor {
                init,
                born_in_cgroup: s.born_in_cgroup,
                chan,
                reports: s.reports,
                _cleaner: s.cleaner,
                cg: s.cg,
                oom_before: s.oom_before,
                mechs: s.app.mechs,
                output: s.app.output,
                workdir_note: s.workdir_note,
                landlock_note: s.landlock_note,
                disk: s.disk,
                reply: s.reply,
            }
        })
    }

    /// init's side: the report files, the cleaner's pipe and the server's reply socket are
    /// the supervisor's alone (the cleaner must see EOF when the supervisor dies), closed
    /// here.
    pub fn into_init(self) -> Run<'a, Init> {
        self.become_role(|mut s| {
            let chan = s.channels.take().expect("channels before the clone").into_init();
            drop(s.reports);
            drop(s.cleaner);
            // The host work dir and the tmpfs are the supervisor's, for the sync-back.
            drop(s.disk);
            if let Some(fd) = s.reply {
                sys::close(fd);
            }
            Init { chan, cg: ManuallyDrop::new(s.cg.take()), app: s.app }
        })
    }
}

impl<'a> Run<'a, Init> {
    /// The app's side of init's fork.
    pub fn into_app(self) -> Run<'a, App> {
        self.become_role(|s| App { chan: s.chan.into_app(), app: s.app })
    }
}

impl<S: Role> Run<'_, S> {
    /// Run one containment step; on failure the program never runs (fail closed).
    pub fn step<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> Result<T>) -> T {
        match f(self) {
            Ok(v) => {
                if self.policy.verbose {
                    let now = sys::now_ns();
                    let msg = format!(
                        "sandbox: [{:>8.3} ms] {:<12} {:>7.3} ms ({})\n",
                        (now - self.start) as f64 / 1e6,
                        name,
                        (now - self.last) as f64 / 1e6,
                        S::NAME
                    );
                    let _ = sys::write_all(2, msg.as_bytes());
                    self.last = now;
                }
                v
            }
            // The step's own name, whatever the code that failed called it: every
            // `sandbox: <step>: …` names a step exactly as `arm()` lists it.
            Err(e) => self.fail(Error { step: name, ..e }),
        }
    }

    /// Report a setup error (as the role must) and exit 125.
    pub fn fail(&mut self, e: Error) -> ! {
        let msg = format!("sandbox: {e}\n");
        self.s.on_error(self.policy, &msg);
        let _ = sys::write_all(2, msg.as_bytes());
        sys::exit(EXIT_SETUP)
    }
}

impl<'a, S> Run<'a, S> {
    /// The same run in another role: `f` makes the new role's state from the old one's.
    fn become_role<T>(self, f: impl FnOnce(S) -> T) -> Run<'a, T> {
        let Run { policy, target, ids, workdir, s, start, last } = self;
        Run { policy, target, ids, workdir, s: f(s), start, last }
    }

    pub fn is_verbose(&self) -> bool {
        self.policy.verbose
    }
    /// When the run started (monotonic ns): wall time counts from here.
    pub fn start(&self) -> u64 {
        self.start
    }
    /// A pooled run starts when its request arrives, not when it was armed.
    pub fn restart_clock(&mut self) {
        self.start = sys::now_ns();
        self.last = self.start;
    }
}

/// Root mode: the per-run uid must fit the reserved span (a pid beyond it would share
/// another range's uids).
pub fn check_ids(run: &mut Run<Setup>) -> Result<()> {
    let pid = sys::getpid() as u32;
    if run.ids.privileged && pid >= RUN_ID_SPAN {
        return Err(Error::msg("run-ids", format!("pid {pid} is beyond the per-run uid range")));
    }
    Ok(())
}

impl Run<'_, App> {
    pub fn envp(&self) -> sys::CStrArray<'_> {
        self.s.app.env.as_ref().map_or(self.target.envp, |e| e.as_array())
    }
}
