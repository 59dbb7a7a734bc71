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
//! Nothing is armed ahead yet: each request arms its run after it arrives (see
//! bench/DIRECTIONS.md for what a warm pool would take off the path).
//!
//! One process, one thread, one poll loop: fork is safe, and a slow client only holds its
//! own connection.

pub mod ceiling;
pub mod client;
pub mod proto;

use crate::options::LauncherSettings;
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

/// What every request starts from, fixed when the server starts.
pub struct Served {
    /// The server's config file and options, already read (a client may not be able to
    /// read the server's config file).
    pub settings: LauncherSettings,
    /// Their policy, the library resolved: the ceiling of every request.
    pub ceiling: Policy,
}

/// Runs the launcher's path in the child, as the client (main.rs).
pub type Dispatch = fn(Vec<OsString>, &Served) -> !;

pub struct Options {
    pub socket: String,
    pub allow_uids: Vec<u32>,
}

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

struct Peer {
    pid: i32,
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
}

enum State {
    /// The request is arriving.
    Reading { buf: Vec<u8>, fds: Vec<Fd> },
    /// Its run's launcher is this child.
    Running { child: i32, msg: Vec<u8> },
}

struct Conn {
    stream: UnixStream,
    peer: Peer,
    state: State,
}

/// Overwrite what a request carried before its memory is freed: the next child forked from
/// this process runs as another user, who may read its own process's memory.
fn scrub(buf: &mut Vec<u8>) {
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
    let listener = listen(&o);
    scrub_environment();
    log(&format!("listening on {} (pid {})", o.socket, std::process::id()));
    let mut conns: HashMap<i32, Conn> = HashMap::new();
    let mut stopping = false;
    loop {
        let mut pfds = vec![libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 }];
        if !stopping {
            pfds.push(libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 });
        }
        let ids: Vec<i32> = conns.keys().copied().collect();
        for &fd in &ids {
            pfds.push(libc::pollfd { fd, events: libc::POLLIN | libc::POLLRDHUP, revents: 0 });
        }
        if stopping && conns.is_empty() {
            let _ = std::fs::remove_file(&o.socket);
            log("stopped");
            exit(0);
        }
        if let Err(e) = sys::poll(&mut pfds, -1) {
            die(&format!("poll: {}", sandbox_core::error::strerror(e)));
        }
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
                        let _ = std::fs::remove_file(&o.socket);
                        log(&format!("signal {sig}: stopping after {} run(s) in flight", conns.len()));
                        for c in conns.values() {
                            if let State::Running { child, .. } = c.state {
                                let _ = sys::kill(child, libc::SIGTERM);
                            }
                        }
                        conns.retain(|_, c| !matches!(c.state, State::Reading { .. }));
                    }
                }
                reap(&mut conns);
            } else if Some(p.fd) == (!stopping).then(|| listener.as_raw_fd()) {
                accept(&listener, &o, &mut conns);
            } else if let Some(mut c) = conns.remove(&p.fd) {
                if step(&mut c, &served, dispatch, &mut conns) {
                    conns.insert(p.fd, c);
                }
            }
        }
    }
}

fn accept(l: &UnixListener, o: &Options, conns: &mut HashMap<i32, Conn>) {
    while let Ok((stream, _)) = l.accept() {
        let fd = stream.as_raw_fd();
        let peer = match sys::peer_cred(fd) {
            Ok((pid, uid, gid)) => Peer { pid, uid, gid, groups: sys::peer_groups(fd).unwrap_or_default() },
            Err(_) => continue,
        };
        if !allowed(peer.uid, o) {
            log(&format!("refused uid {} (pid {}): not allowed (--allow-uid)", peer.uid, peer.pid));
            let _ = sys::write_all(fd, &proto::refused_msg(&format!("uid {} is not served here", peer.uid)));
            continue;
        }
        if stream.set_nonblocking(true).is_err() {
            continue;
        }
        conns.insert(fd, Conn { stream, peer, state: State::Reading { buf: Vec::new(), fds: Vec::new() } });
    }
}

/// Reap every child that ended and reply to its client.
fn reap(conns: &mut HashMap<i32, Conn>) {
    while let Ok((pid, status)) = sys::wait4(-1, libc::WNOHANG, None) {
        if pid <= 0 {
            break;
        }
        // A child whose client hung up was killed and has no connection left: reaped only.
        let Some((&fd, _)) =
            conns.iter().find(|(_, c)| matches!(c.state, State::Running { child, .. } if child == pid))
        else {
            continue;
        };
        let c = conns.remove(&fd).expect("found above");
        let _ = c.stream.set_nonblocking(false);
        let _ = sys::write_all(fd, &proto::status_msg(status));
    }
}

/// One readable connection: more of its request, or a signal to relay, or its hang-up.
/// false: the connection is done (closed by dropping it).
fn step(c: &mut Conn, served: &Served, dispatch: Dispatch, others: &mut HashMap<i32, Conn>) -> bool {
    let fd = c.stream.as_raw_fd();
    match &mut c.state {
        State::Reading { buf, fds } => {
            let mut chunk = vec![0u8; 64 << 10];
            let n = match sys::recv_with_fds(fd, &mut chunk, fds, libc::MSG_DONTWAIT) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(libc::EAGAIN) => return true,
                Err(e) => {
                    let _ = sys::write_all(
                        fd,
                        &proto::refused_msg(&format!("request: {}", sandbox_core::error::strerror(e))),
                    );
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
            match fork() {
                Ok(0) => {
                    // Other clients' partial requests, in this copy of the server's memory.
                    for o in others.values_mut() {
                        if let State::Reading { buf, .. } = &mut o.state {
                            scrub(buf);
                        }
                    }
                    become_client(req, fds, &c.peer, served, dispatch)
                }
                Ok(child) => {
                    drop(fds);
                    wipe(req);
                    c.state = State::Running { child, msg: Vec::new() };
                    true
                }
                Err(e) => {
                    wipe(req);
                    let _ =
                        sys::write_all(fd, &proto::refused_msg(&format!("fork: {}", sandbox_core::error::strerror(e))));
                    false
                }
            }
        }
        State::Running { child, msg } => {
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

/// Overwrite a request's strings before they are freed (see `scrub`).
fn wipe(req: Request) {
    for s in req.args.into_iter().chain(req.env) {
        let mut v = s.into_encoded_bytes();
        scrub(&mut v);
    }
}

/// In the forked child: become the client's launcher, then run the launcher's path.
fn become_client(req: Request, fds: Vec<Fd>, peer: &Peer, served: &Served, dispatch: Dispatch) -> ! {
    let fail = |what: &str, e: i32| -> ! {
        // The client's stderr is not in place yet for every failure: both get it.
        let msg = format!("sandbox: serve: {what}: {}\n", sandbox_core::error::strerror(e));
        let _ = sys::write_all(2, msg.as_bytes());
        exit(sandbox_core::EXIT_SETUP)
    };
    // Descriptors: the client's at their own numbers, nothing of the server's. First every
    // received one above all the numbers involved, then everything below closed, then each
    // put at its number.
    let raw: Vec<i32> = fds.into_iter().map(Fd::into_raw).collect();
    let top = req.fds.iter().chain(&raw).copied().max().unwrap_or(2).max(2) + 1;
    let moved: Vec<i32> =
        raw.iter().map(|&f| sys::dup_above(f, top).unwrap_or_else(|e| fail("descriptors", e))).collect();
    let _ = sys::close_range(0, (top - 1) as u32, 0);
    let (cwd, rest) = moved.split_first().expect("a directory first");
    if let Err(e) = sys::fchdir(*cwd) {
        fail("working directory", e);
    }
    for (&want, &have) in req.fds.iter().zip(rest) {
        if let Err(e) = sys::dup3(have, want, 0) {
            fail("descriptors", e);
        }
    }
    let _ = sys::close_range(top as u32, u32::MAX, 0);
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
    dispatch(req.args, served)
}
