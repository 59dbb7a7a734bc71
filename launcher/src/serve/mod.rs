//! `sandbox --serve SOCKET [--allow-uid UID]… [POLICY OPTIONS]`: a long-lived local server
//! that runs sandboxed programs for `sandbox --server SOCKET …` clients.
//!
//! Each request is the client's whole command line, environment, working directory and
//! open descriptors (proto.rs). The server checks who is asking (the kernel's peer
//! credentials, at connect), forks, and the child becomes what the launcher would have been
//! had the client run it: the client's uid, gid and groups, descriptors at the same numbers,
//! working directory, environment, umask, signal mask, ignored signals, niceness and
//! resource limits. It then runs the launcher's own path (parse, check the target, arm,
//! exec) with one difference: the policy starts from the server's options and must stay
//! within them (ceiling.rs). So a client never gets more than it could by running the
//! launcher itself, nor more than the server allows, and the containment, exit statuses,
//! reports and pipes are the launcher's by construction. The server replies with the
//! child's wait status; the client ends the same way.
//!
//! A request seen before is handed to a run armed ahead for it, if one is ready (pool.rs):
//! the same child, armed earlier, so the same containment.
//!
//! One process, one thread, one poll loop: fork is safe, and a slow client only holds its
//! own connection.

pub mod ceiling;
pub mod client;
pub mod pool;
pub mod proto;
pub mod template;

use crate::options::LauncherSettings;
use pool::{Key, Pool, Slot};
use proto::Request;
use sandbox_core::process::FORWARDED;
use sandbox_core::sys::{self, Fd};
use sandbox_core::Policy;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::exit;
use template::Template;

/// What every request starts from, fixed when the server starts.
pub struct Served {
    /// The server's config file and options, already read (a client may not be able to
    /// read the server's config file).
    pub settings: LauncherSettings,
    /// Their policy, the library resolved: the ceiling of every request.
    pub ceiling: Policy,
}

/// Runs the launcher's path in the child, as the client (main.rs); with a pool slot's
/// socket, armed ahead (it stops before the app's fork until its request comes).
pub type Dispatch = fn(Vec<OsString>, &Served, Handoff) -> !;

/// What the server's child hands to the launcher's path besides the command line.
#[derive(Default)]
pub struct Handoff {
    /// A pool slot's socket: the run is armed ahead.
    pub slot: Option<i32>,
    /// Clones of the jail template's trees (template.rs), for this run alone.
    pub jail: Vec<sandbox_core::Part>,
    /// An unpooled run's socket for its early status (sandbox_core::Target::reply).
    pub reply: Option<i32>,
}

pub struct Options {
    pub socket: String,
    pub allow_uids: Vec<u32>,
    /// Slots armed ahead per key (0: none).
    pub pool: usize,
}

/// What a pooled slot tells the server (one byte each).
pub const SLOT_READY: u8 = b'R';
pub const SLOT_ACCEPTED: u8 = b'A';
pub const SLOT_STALE: u8 = b'X';
pub const SLOT_UNPOOLABLE: u8 = b'N';
pub const SLOT_FILTER: u8 = b'F';

fn die(msg: &str) -> ! {
    eprintln!("sandbox: serve: {msg}");
    exit(sandbox_core::EXIT_SETUP)
}

fn log(msg: &str) {
    eprintln!("sandbox: serve: {msg}");
}

/// SAFETY wrapper: fork(2) through libc, so that glibc's own state (thread id, locks) is
/// right in the child; the server is single-threaded, so no lock is held across it.
fn fork() -> Result<i32, i32> {
    // SAFETY: one thread only (nothing here spawns threads); the child continues with the
    // launcher's ordinary code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    } else {
        Ok(pid)
    }
}

/// Bind under a temporary name and rename into place once listening: the socket's path
/// exists only when connecting to it works, and with its final permissions already.
fn listen(o: &Options) -> UnixListener {
    let path = Path::new(&o.socket);
    if let Ok(m) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !m.file_type().is_socket() {
            die(&format!("{}: exists and is not a socket", o.socket));
        }
        if UnixStream::connect(path).is_ok() {
            die(&format!("{}: another server is listening there", o.socket));
        }
    }
    let tmp = format!("{}.{}.tmp", o.socket, std::process::id());
    let _ = std::fs::remove_file(&tmp);
    let old = sys::umask(0o177);
    let l = UnixListener::bind(&tmp).unwrap_or_else(|e| die(&format!("{}: bind: {e}", o.socket)));
    sys::umask(old);
    let me = sys::geteuid();
    let others: Vec<u32> = o.allow_uids.iter().copied().filter(|&u| u != me).collect();
    // Owner-only: the server's uid, or the one uid it serves besides; with several, the
    // peer check below is the gate and the socket is open to connect.
    let r = match others.as_slice() {
        [] => Ok(()),
        [u] => std::os::unix::fs::chown(&tmp, Some(*u), None),
        _ => std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o666)),
    };
    if let Err(e) = r.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        die(&format!("{}: {e}", o.socket));
    }
    l.set_nonblocking(true).unwrap_or_else(|e| die(&format!("{}: {e}", o.socket)));
    l
}

pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

enum State {
    /// The request is arriving.
    Reading { buf: Vec<u8>, fds: Vec<Fd> },
    /// Its run's launcher is this child; `reply` is where its supervisor sends the app's
    /// status before the teardown, when it can (sandbox_core's supervisor.rs).
    Running { child: i32, msg: Vec<u8>, reply: Option<Fd> },
}

struct Conn {
    stream: UnixStream,
    peer: Peer,
    state: State,
}

/// Overwrite what a request carried before its memory is freed: the next child forked from
/// this process runs as another user, who may read its own process's memory.
pub fn scrub(buf: &mut Vec<u8>) {
    buf.iter_mut().for_each(|b| *b = 0);
    buf.clear();
}

/// Blank the server's own environment where it was passed in (the initial block that
/// /proc/PID/environ shows): every child of the server is a copy of it, and a child that
/// becomes a served user is that user's to read. What the server started with (a service
/// manager's variables, say) is nobody else's business. The server needs none of it.
fn scrub_environment() {
    extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    let mut strings: Vec<*mut libc::c_char> = Vec::new();
    // SAFETY: single-threaded; `environ` is libc's NULL-terminated array of the process's
    // variables, read before any of them is removed.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            strings.push(*p);
            p = p.add(1);
        }
    }
    for (k, _) in std::env::vars_os() {
        std::env::remove_var(k);
    }
    for s in strings {
        // SAFETY: each is a NUL-terminated string that libc no longer refers to; it is
        // overwritten in place, up to (not including) its NUL.
        unsafe { std::ptr::write_bytes(s, 0, libc::strlen(s)) };
    }
}

fn allowed(uid: u32, o: &Options) -> bool {
    uid == sys::geteuid() || o.allow_uids.contains(&uid)
}

struct Server<'a> {
    o: Options,
    served: &'a Served,
    dispatch: Dispatch,
    conns: HashMap<i32, Conn>,
    pool: Pool,
    /// The jail template (root only; None: every run builds its whole jail).
    template: Option<Template>,
    /// What every jail's fixed part is read from, and how it looked (sandbox_core::fs::stamp)
    /// when the template and the armed runs were made.
    sources: Vec<Vec<u8>>,
    stamp: u64,
    /// Runs started, how many of them in a slot armed ahead, and how many were answered
    /// before their teardown.
    runs: u64,
    pooled: u64,
    early: u64,
}

pub fn serve(o: Options, served: Served, dispatch: Dispatch) -> ! {
    if sys::geteuid() != 0 && o.allow_uids.iter().any(|&u| u != sys::geteuid()) {
        die("--allow-uid: only a server started by root can serve other users");
    }
    // Children are reaped and shutdown requested through a signalfd: no handlers.
    let mine =
        sys::sigbit(libc::SIGCHLD) | sys::sigbit(libc::SIGTERM) | sys::sigbit(libc::SIGINT) | sys::sigbit(libc::SIGHUP);
    sys::sigprocmask(libc::SIG_BLOCK, mine).unwrap_or_else(|e| die(&format!("sigprocmask: {e}")));
    let sfd = sys::signalfd(mine).unwrap_or_else(|e| die(&format!("signalfd: {e}")));
    // A client that hangs up mid-reply must not kill the server.
    let _ = sys::signal_disposition(libc::SIGPIPE, sys::Disposition::Ignore);
    // Before the socket exists: the first request already finds it.
    let template = (sys::geteuid() == 0).then(new_template).flatten();
    let listener = listen(&o);
    scrub_environment();
    log(&format!("listening on {} (pid {}, {} armed run(s) per request kind)", o.socket, std::process::id(), o.pool));
    let pool = Pool::new(o.pool);
    let sources = sandbox_core::fs::fixed_sources();
    let stamp = sandbox_core::fs::stamp(&sources);
    let conns = HashMap::new();
    let mut srv =
        Server { o, served: &served, dispatch, conns, pool, template, sources, stamp, runs: 0, pooled: 0, early: 0 };
    let mut stopping = false;
    loop {
        if stopping && srv.conns.is_empty() {
            // Slots end themselves once their sockets close; wait for every child.
            srv.pool.expire(true);
            while sys::wait4(-1, 0, None).is_ok() {}
            let _ = std::fs::remove_file(&srv.o.socket);
            log(&format!(
                "stopped: {} run(s), {} of them armed ahead, {} answered before their teardown; {} armed run(s) failed before a request",
                srv.runs, srv.pooled, srv.early, srv.pool.failed
            ));
            exit(0);
        }
        let mut pfds = vec![libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 }];
        if !stopping {
            pfds.push(libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 });
        }
        for (&fd, c) in &srv.conns {
            pfds.push(libc::pollfd { fd, events: libc::POLLIN | libc::POLLRDHUP, revents: 0 });
            if let State::Running { reply: Some(r), .. } = &c.state {
                pfds.push(libc::pollfd { fd: r.raw(), events: libc::POLLIN, revents: 0 });
            }
        }
        for e in &srv.pool.entries {
            for sl in &e.slots {
                pfds.push(libc::pollfd { fd: sl.sock.raw(), events: libc::POLLIN, revents: 0 });
            }
        }
        // Idle slots are looked at once a second.
        let timeout = if srv.pool.slots() > 0 { 1000 } else { -1 };
        if let Err(e) = sys::poll(&mut pfds, timeout) {
            die(&format!("poll: {}", sandbox_core::error::strerror(e)));
        }
        srv.pool.expire(false);
        for p in &pfds {
            if p.revents == 0 {
                continue;
            }
            if p.fd == sfd {
                let mut si = [0u8; 128];
                while let Ok(128) = sys::read(sfd, &mut si) {
                    let sig = u32::from_ne_bytes(si[..4].try_into().unwrap()) as i32;
                    if sig != libc::SIGCHLD && !stopping {
                        // Stop taking requests; the runs in flight get the signal (their
                        // supervisors relay it) and are waited for.
                        stopping = true;
                        let _ = std::fs::remove_file(&srv.o.socket);
                        log(&format!("signal {sig}: stopping after {} run(s) in flight", srv.conns.len()));
                        for c in srv.conns.values() {
                            if let State::Running { child, .. } = c.state {
                                let _ = sys::kill(child, libc::SIGTERM);
                            }
                        }
                        srv.conns.retain(|_, c| !matches!(c.state, State::Reading { .. }));
                        srv.pool.expire(true);
                    }
                }
                srv.reap();
            } else if Some(p.fd) == (!stopping).then(|| listener.as_raw_fd()) {
                srv.accept(&listener);
            } else if let Some(mut c) = srv.conns.remove(&p.fd) {
                if srv.step(&mut c) {
                    srv.conns.insert(p.fd, c);
                }
            } else if let Some((i, j)) = srv.pool.find_sock(p.fd) {
                srv.slot_says(i, j);
            } else {
                srv.early_status(p.fd);
            }
        }
    }
}

/// A template, or None with the reason logged (the runs then build their whole jail).
fn new_template() -> Option<Template> {
    match Template::build() {
        Ok(t) => {
            log(&format!("jail template: {} (cloned into each run)", t.parts()));
            Some(t)
        }
        Err(e) => {
            log(&format!("jail template: {e}; each run builds its whole jail"));
            None
        }
    }
}

impl Server<'_> {
    /// Before a request is served: when a source of the jail's fixed part changed on the
    /// host (an /etc file the jail copies, say), the runs armed ahead and the template show
    /// the old one. They go, and the template is made again. The stamp is taken first: a
    /// change during the rebuild is seen at the next request.
    fn fresh_jail(&mut self) {
        if sandbox_core::fs::stamp(&self.sources) == self.stamp {
            return;
        }
        self.sources = sandbox_core::fs::fixed_sources();
        self.stamp = sandbox_core::fs::stamp(&self.sources);
        log("a source of the jail changed on the host: the runs armed ahead go, the template is made again");
        self.pool.expire(true);
        if self.template.take().is_some() {
            self.template = new_template();
        }
    }

    fn accept(&mut self, l: &UnixListener) {
        while let Ok((stream, _)) = l.accept() {
            let fd = stream.as_raw_fd();
            let peer = match sys::peer_cred(fd) {
                Ok((pid, uid, gid)) => Peer { pid, uid, gid, groups: sys::peer_groups(fd).unwrap_or_default() },
                Err(_) => continue,
            };
            if !allowed(peer.uid, &self.o) {
                log(&format!("refused uid {} (pid {}): not allowed (--allow-uid)", peer.uid, peer.pid));
                let _ = sys::write_all(fd, &proto::refused_msg(&format!("uid {} is not served here", peer.uid)));
                continue;
            }
            // Paths (the work dir, the target, binds) are resolved in the server's mount
            // namespace: a client in another one would get other files, or none.
            let ns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok();
            if ns(&peer.pid.to_string()).is_none_or(|n| Some(n) != ns("self")) {
                log(&format!("refused pid {} (uid {}): another mount namespace", peer.pid, peer.uid));
                let msg = "the client is in another mount namespace than the server (paths would not be the same)";
                let _ = sys::write_all(fd, &proto::refused_msg(msg));
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.conns.insert(fd, Conn { stream, peer, state: State::Reading { buf: Vec::new(), fds: Vec::new() } });
        }
    }

    /// Reap every child that ended: a run's (reply to its client) or a slot's.
    fn reap(&mut self) {
        while let Ok((pid, status)) = sys::wait4(-1, libc::WNOHANG, None) {
            if pid <= 0 {
                break;
            }
            self.slot_ended(pid);
            // A child whose client hung up was killed and has no connection left: reaped only.
            let Some((&fd, _)) =
                self.conns.iter().find(|(_, c)| matches!(c.state, State::Running { child, .. } if child == pid))
            else {
                continue;
            };
            let c = self.conns.remove(&fd).expect("found above");
            let _ = c.stream.set_nonblocking(false);
            let _ = sys::write_all(fd, &proto::status_msg(status));
        }
    }

    /// A run's reply socket is readable: the app's status, sent before the run's teardown,
    /// goes to the client now, and the child is only reaped when it ends. Anything else (the
    /// child ended without one) leaves the reply to `reap`.
    fn early_status(&mut self, rfd: i32) {
        let is_it = |c: &Conn| matches!(&c.state, State::Running { reply: Some(r), .. } if r.raw() == rfd);
        let Some(fd) = self.conns.iter().find(|(_, c)| is_it(c)).map(|(&fd, _)| fd) else { return };
        let mut b = [0u8; 8];
        let n = sys::read(rfd, &mut b).unwrap_or(0);
        if n == 5 && b[0] == sandbox_core::supervisor::REPLY_STATUS {
            let c = self.conns.remove(&fd).expect("found above");
            let _ = c.stream.set_nonblocking(false);
            let _ = sys::write_all(fd, &proto::status_msg(i32::from_le_bytes(b[1..5].try_into().unwrap())));
            self.early += 1;
        } else if let Some(State::Running { reply, .. }) = self.conns.get_mut(&fd).map(|c| &mut c.state) {
            *reply = None;
        }
    }

    /// A child ended; if it was a slot, what it said before it went comes first. Its last
    /// message can still be queued when the exit is reaped (both arrive in one poll): a slot
    /// that said it cannot be pooled and exited is no failure.
    fn slot_ended(&mut self, pid: i32) {
        while let Some((i, j)) = self.pool.find_pid(pid) {
            let mut p =
                [libc::pollfd { fd: self.pool.entries[i].slots[j].sock.raw(), events: libc::POLLIN, revents: 0 }];
            if !matches!(sys::poll(&mut p, 0), Ok(1)) {
                break;
            }
            self.slot_says(i, j);
        }
        self.pool.ended(pid);
    }

    /// A slot's socket is readable: its environment filter, ready, not poolable, or gone.
    fn slot_says(&mut self, i: usize, j: usize) {
        let mut b = [0u8; 4096];
        let e = &mut self.pool.entries[i];
        let n = sys::read(e.slots[j].sock.raw(), &mut b).unwrap_or(0);
        match b[..n].first() {
            Some(&SLOT_FILTER) if n < b.len() => match pool::EnvFilter::parse(&b[..n]) {
                Some(f) if e.filter.as_ref().is_none_or(|g| *g == f) => e.filter = Some(f),
                // Slots of one key that disagree (a config file changed under them): none
                // of them is used.
                _ => {
                    e.unpoolable = true;
                    e.slots.clear();
                }
            },
            Some(&SLOT_READY) if n == 1 && e.filter.is_some() => e.slots[j].ready = true,
            Some(&SLOT_UNPOOLABLE) => {
                e.unpoolable = true;
                e.slots.swap_remove(j);
            }
            // Gone (or nonsense).
            _ => self.pool.drop_slot(i, j),
        }
    }

    /// One readable connection: more of its request, or a signal to relay, or its hang-up.
    /// false: the connection is done (closed by dropping it).
    fn step(&mut self, c: &mut Conn) -> bool {
        let fd = c.stream.as_raw_fd();
        match &mut c.state {
            State::Reading { buf, fds } => {
                let mut chunk = vec![0u8; 64 << 10];
                let n = match sys::recv_with_fds(fd, &mut chunk, fds, libc::MSG_DONTWAIT) {
                    Ok(0) => return false,
                    Ok(n) => n,
                    Err(libc::EAGAIN) => return true,
                    Err(e) => {
                        let msg = format!("request: {}", sandbox_core::error::strerror(e));
                        let _ = sys::write_all(fd, &proto::refused_msg(&msg));
                        return false;
                    }
                };
                buf.extend_from_slice(&chunk[..n]);
                scrub(&mut chunk);
                let want = match Request::frame_len(buf) {
                    Ok(Some(w)) => w,
                    Ok(None) => return true,
                    Err(e) => {
                        let _ = sys::write_all(fd, &proto::refused_msg(&e));
                        return false;
                    }
                };
                if buf.len() < want {
                    return true;
                }
                let req = Request::decode(buf).and_then(|r| {
                    if buf.len() != want {
                        Err("request: bytes after the request".to_string())
                    } else if fds.len() != r.fds.len() + 1 {
                        Err(format!("request: {} descriptors for {} numbers and a directory", fds.len(), r.fds.len()))
                    } else if r.fds.iter().any(|&n| n < 0) || (1..r.fds.len()).any(|i| r.fds[..i].contains(&r.fds[i])) {
                        Err("request: descriptor numbers must be distinct and non-negative".into())
                    } else {
                        Ok(r)
                    }
                });
                scrub(buf);
                let req = match req {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = sys::write_all(fd, &proto::refused_msg(&e));
                        return false;
                    }
                };
                let fds = std::mem::take(fds);
                match self.launch(&c.peer, req, fds) {
                    Ok((child, reply)) => {
                        c.state = State::Running { child, msg: Vec::new(), reply: Some(reply) };
                        true
                    }
                    Err(e) => {
                        let _ = sys::write_all(fd, &proto::refused_msg(&e));
                        false
                    }
                }
            }
            State::Running { child, msg, .. } => {
                let child = *child;
                let mut b = [0u8; 64];
                match sys::read(fd, &mut b) {
                    Ok(0) | Err(_) => {
                        // The client is gone: so is its run (init dies with its supervisor by
                        // PDEATHSIG, the pid namespace with init, and the run's cleaner removes
                        // its cgroups). `reap` collects the child without a reply.
                        let _ = sys::kill(child, libc::SIGKILL);
                        false
                    }
                    Ok(n) => {
                        msg.extend_from_slice(&b[..n]);
                        while msg.len() >= 5 {
                            let sig = i32::from_le_bytes(msg[1..5].try_into().unwrap());
                            if msg[0] == proto::SIGNAL && FORWARDED.contains(&sig) {
                                let _ = sys::kill(child, sig);
                            }
                            msg.drain(..5);
                        }
                        true
                    }
                }
            }
        }
    }

    /// Start the run of a complete request: in a ready slot of its key, else in a new
    /// child. Then arm the key's next slots. Returns the pid whose exit is the run's, and
    /// the socket its early status comes on.
    fn launch(&mut self, peer: &Peer, mut req: Request, fds: Vec<Fd>) -> Result<(i32, Fd), String> {
        self.fresh_jail();
        let key = Key::of(&req, peer, &fds[0]);
        let entry = key.as_ref().and_then(|k| self.pool.entry(k, &req.env, &fds[0]));
        let mut pid = None;
        if let Some(i) = entry {
            while let Some(slot) = self.pool.take_ready(i) {
                if let Some(p) = hand(slot, &req, &fds) {
                    pid = Some(p);
                    break;
                }
            }
        }
        self.runs += 1;
        let run = match pid {
            Some(p) => {
                self.pooled += 1;
                p
            }
            None => {
                let [mine, theirs] = sys::socketpair_fds(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)
                    .map_err(|e| format!("socketpair: {}", sandbox_core::error::strerror(e)))?;
                // Other clients' partial requests and keys must not be in the child's memory.
                match fork().map_err(|e| format!("fork: {}", sandbox_core::error::strerror(e)))? {
                    0 => {
                        drop(mine);
                        self.scrub_for(key.as_ref());
                        become_client(req, fds, peer, self, Channel::Reply(theirs))
                    }
                    child => (child, mine),
                }
            }
        };
        if let Some(i) = entry {
            for _ in 0..self.pool.wanted(i) {
                self.arm_slot(i);
            }
        }
        pool::scrub_request(&mut req);
        Ok(run)
    }

    /// In a forked child: overwrite every other client's bytes in this copy of memory.
    fn scrub_for(&mut self, key: Option<&Key>) {
        for o in self.conns.values_mut() {
            if let State::Reading { buf, .. } = &mut o.state {
                scrub(buf);
            }
        }
        self.pool.scrub_except(key);
    }

    /// Arm one more slot for entry `i`: the child its request would be, with placeholders
    /// (/dev/null) at the client's descriptor numbers, stopping before the app's fork.
    fn arm_slot(&mut self, i: usize) {
        let Ok([mine, theirs]) = sys::socketpair_fds(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) else {
            return;
        };
        let e = &self.pool.entries[i];
        let mut fds = vec![];
        let Ok(cwd) = sys::dup_fd(e.cwd.raw()) else { return };
        fds.push(cwd);
        for _ in &e.key.req.fds {
            match sys::open_fd(b"/dev/null", libc::O_RDWR | libc::O_CLOEXEC) {
                Ok(f) => fds.push(f),
                Err(_) => return,
            }
        }
        let peer = Peer { pid: 0, uid: e.key.uid, gid: e.key.gid, groups: e.key.groups.clone() };
        match fork() {
            Ok(0) => {
                drop(mine);
                let key = self.pool.entries[i].key.clone();
                let env = self.pool.entries[i].env.clone();
                self.scrub_for(Some(&key));
                become_client(Request { env, ..key.req }, fds, &peer, self, Channel::Slot(theirs))
            }
            Ok(pid) => self.pool.entries[i].slots.push(Slot { pid, sock: mine, ready: false }),
            Err(_) => {}
        }
    }
}

/// Give a request's descriptors (all but the directory) to a ready slot and wait for its
/// answer. Some(pid, its socket): the slot took it (the socket brings its early status
/// now); None: it was stale or gone (it ends by itself).
fn hand(slot: Slot, req: &Request, fds: &[Fd]) -> Option<(i32, Fd)> {
    let raw: Vec<i32> = fds[1..].iter().map(Fd::raw).collect();
    sys::send_with_fds(slot.sock.raw(), &sandbox_core::pool::fd_message(&req.fds), &raw).ok()?;
    // The slot checks its files, installs the descriptors and opens the reports: quick, but
    // bounded, so that a stuck slot cannot stall the server.
    let mut p = [libc::pollfd { fd: slot.sock.raw(), events: libc::POLLIN, revents: 0 }];
    if !matches!(sys::poll(&mut p, 2000), Ok(1)) {
        let _ = sys::kill(slot.pid, libc::SIGKILL);
        return None;
    }
    let mut b = [0u8; 1];
    match sys::read(slot.sock.raw(), &mut b) {
        Ok(1) if b[0] == SLOT_ACCEPTED => Some((slot.pid, slot.sock)),
        _ => None,
    }
}

/// The server's socket to the child's supervisor.
enum Channel {
    /// A pool slot's (the run is armed ahead).
    Slot(Fd),
    /// An unpooled run's, for its early status only.
    Reply(Fd),
}

/// In the forked child: become the client's launcher, then run the launcher's path (armed
/// ahead, with a slot).
fn become_client(req: Request, fds: Vec<Fd>, peer: &Peer, srv: &Server, chan: Channel) -> ! {
    let (served, dispatch) = (srv.served, srv.dispatch);
    let fail = |what: &str, e: i32| -> ! {
        // The client's stderr is not in place yet for every failure: both get it.
        let msg = format!("sandbox: serve: {what}: {}\n", sandbox_core::error::strerror(e));
        let _ = sys::write_all(2, msg.as_bytes());
        exit(sandbox_core::EXIT_SETUP)
    };
    // The template's trees, cloned while this child is still root (without them, the run
    // builds its whole jail, as the launcher does).
    let mut jail = match srv.template.as_ref().map(Template::clone_parts) {
        Some(Ok(parts)) => parts,
        Some(Err(e)) => {
            // Still the server's stderr: its log.
            log(&format!("jail template: {e}; this run builds its whole jail"));
            Vec::new()
        }
        None => Vec::new(),
    };
    // Descriptors: the client's at their own numbers, nothing of the server's. First every
    // received one above all the numbers involved, then everything below closed, then each
    // put at its number.
    let mut raw: Vec<i32> = fds.into_iter().map(Fd::into_raw).collect();
    let clients = raw.len();
    raw.extend(jail.iter().map(|p| p.fd));
    let slotted = matches!(chan, Channel::Slot(_));
    raw.push(match chan {
        Channel::Slot(fd) | Channel::Reply(fd) => fd.into_raw(),
    });
    let top = req.fds.iter().chain(&raw).copied().max().unwrap_or(2).max(2) + 1;
    let mut moved: Vec<i32> =
        raw.iter().map(|&f| sys::dup_above(f, top).unwrap_or_else(|e| fail("descriptors", e))).collect();
    let _ = sys::close_range(0, (top - 1) as u32, 0);
    let chan = moved.pop().expect("the channel last");
    for (p, &fd) in jail.iter_mut().zip(&moved[clients..]) {
        p.fd = fd;
    }
    moved.truncate(clients);
    let (cwd, rest) = moved.split_first().expect("a directory first");
    if let Err(e) = sys::fchdir(*cwd) {
        fail("working directory", e);
    }
    for (&want, &have) in req.fds.iter().zip(rest) {
        if let Err(e) = sys::dup3(have, want, 0) {
            fail("descriptors", e);
        }
    }
    // Everything above the client's numbers goes, but the server's socket and the jail's
    // trees.
    let mut keep: Vec<i32> = jail.iter().map(|p| p.fd).chain([chan]).collect();
    keep.sort_unstable();
    let mut from = top;
    for k in keep {
        if k > from {
            let _ = sys::close_range(from as u32, (k - 1) as u32, 0);
        }
        from = k + 1;
    }
    let _ = sys::close_range(from as u32, u32::MAX, 0);
    // Signals as the client had them (the server blocks and ignores its own).
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        let d = if req.ignored & sys::sigbit(sig) != 0 { sys::Disposition::Ignore } else { sys::Disposition::Default };
        let _ = sys::signal_disposition(sig, d);
    }
    let _ = sys::sigprocmask(libc::SIG_SETMASK, req.sigmask);
    sys::umask(req.umask & 0o777);
    // Resource limits: the client's, where the server's hard limit allows (never above it).
    for &(r, soft, hard) in &req.rlimits {
        if let Ok((_, cur_hard)) = sys::getrlimit(r as i32) {
            let h = hard.min(cur_hard);
            let _ = sys::prlimit(r as i32, soft.min(h), h);
        }
    }
    let _ = sys::setpriority_self(req.nice);
    // Identity last: the client's own, so it gets what it would running the launcher.
    if sys::geteuid() == 0 && peer.uid != 0 {
        if let Err(e) = sys::setgroups(&peer.groups) {
            fail("setgroups", e);
        }
        if let Err(e) = sys::setresgid(peer.gid) {
            fail("setresgid", e);
        }
        if let Err(e) = sys::setresuid(peer.uid) {
            fail("setresuid", e);
        }
        if sys::geteuid() != peer.uid || sys::getuid() != peer.uid {
            fail("setresuid", libc::EPERM);
        }
        // A uid change makes the process non-dumpable: its /proc files would stay root's,
        // and the run's uid maps are written through them.
        if let Err(e) = sys::prctl_set_dumpable(true) {
            fail("dumpable", e);
        }
    }
    for (k, _) in std::env::vars_os() {
        std::env::remove_var(k);
    }
    for kv in &req.env {
        let b = kv.as_bytes();
        if let Some(i) = b.iter().position(|&c| c == b'=').filter(|&i| i > 0) {
            std::env::set_var(std::ffi::OsStr::from_bytes(&b[..i]), std::ffi::OsStr::from_bytes(&b[i + 1..]));
        }
    }
    let (slot, reply) = if slotted { (Some(chan), None) } else { (None, Some(chan)) };
    dispatch(req.args, served, Handoff { slot, jail, reply })
}
