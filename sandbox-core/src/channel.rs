//! The channels between the three processes, each end owned by the process that uses it.
//!
//! Made by the supervisor just before the clone; right after it, each side keeps its own ends
//! and drops (closes) the others once: `into_supervisor`, `into_init`, then `into_app` at the
//! app's fork. Four one-way protocols, each with its own method:
//! - go (supervisor → init): one byte once init is in the run's cgroup and mapped. The
//!   supervisor keeps the write end for its whole life, so init sees it die as a hang-up.
//! - status (init → supervisor): the app's wait status, 4 bytes, then one byte: 1 when
//!   init has killed and reaped every other process of the run before sending it.
//! - errors (init or app → supervisor): a setup error's text (close-on-exec, so it stays
//!   empty once the program runs); tells a setup failure from a program that exits 125.
//! - listener (app → supervisor): the seccomp listener fd over SCM_RIGHTS.
//! - park (init ↔ supervisor, pooled runs only): init says it is parked before the app's
//!   fork; the supervisor answers with the request's descriptors (pool.rs).
//!
//! (youki's process/channel.rs has the same idea; this is written for raw syscalls only.)

use crate::error::{Error, Result};
use crate::sys::{self, c_int, Fd};
use alloc::string::String;

pub struct Channels {
    go: [Fd; 2],
    status: [Fd; 2],
    errors: [Fd; 2],
    listener: [Fd; 2],
    park: Option<[Fd; 2]>,
}

impl Channels {
    /// `park`: a pooled run's park channel too.
    pub fn new(park: bool) -> Result<Channels> {
        let pipe = |what: &str| sys::pipe(libc::O_CLOEXEC).map_err(|e| Error::new("channels", what, e));
        Ok(Channels {
            go: pipe("go")?,
            status: pipe("status")?,
            errors: pipe("errors")?,
            listener: sys::socketpair_fds(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)
                .map_err(|e| Error::new("channels", "socketpair", e))?,
            park: match park {
                true => Some(
                    sys::socketpair_fds(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)
                        .map_err(|e| Error::new("channels", "socketpair", e))?,
                ),
                false => None,
            },
        })
    }

    pub fn into_supervisor(self) -> SupervisorEnd {
        let [_, go] = self.go;
        let [status, _] = self.status;
        let [errors, _] = self.errors;
        let [listener, _] = self.listener;
        let park = self.park.map(|[p, _]| p);
        SupervisorEnd { go, status, errors, listener: Some(listener), park }
    }

    pub fn into_init(self) -> InitEnd {
        let [go, _] = self.go;
        let [_, status] = self.status;
        let [_, errors] = self.errors;
        let [_, listener] = self.listener;
        let park = self.park.map(|[_, p]| p);
        InitEnd { go: Some(go), status, errors, listener: Some(listener), park }
    }
}

pub struct SupervisorEnd {
    go: Fd,
    status: Fd,
    errors: Fd,
    /// None once the app's end is gone without a listener.
    listener: Option<Fd>,
    pub park: Option<Fd>,
}

impl SupervisorEnd {
    pub fn go(&self) -> sys::R<()> {
        sys::write(self.go.raw(), b"g").map(drop)
    }
    /// The app's wait status, if init sent it, and whether nothing else of the run was
    /// left running then (see `InitEnd::send_status`).
    pub fn wait_status(&self) -> Option<(i32, bool)> {
        let mut b = [0u8; 5];
        match sys::read(self.status.raw(), &mut b) {
            Ok(5) => Some((i32::from_ne_bytes([b[0], b[1], b[2], b[3]]), b[4] == 1)),
            _ => None,
        }
    }
    /// The fd to poll for the status (readable once init sent it, or exited without).
    pub fn status_fd(&self) -> c_int {
        self.status.raw()
    }
    /// A setup error of init or the app ("" when none), read once everything has exited.
    pub fn read_error(&self) -> String {
        let _ = sys::set_nonblocking(self.errors.raw());
        let mut b = [0u8; 1024];
        let n = sys::read(self.errors.raw(), &mut b).unwrap_or(0);
        String::from_utf8_lossy(&b[..n]).trim_end().into()
    }
    /// The fd to poll for the listener (-1: nothing more will come).
    pub fn listener_fd(&self) -> c_int {
        self.listener.as_ref().map_or(-1, Fd::raw)
    }
    /// The seccomp listener, when the app sent it; None also when it never will (the
    /// socket is then no longer polled).
    pub fn recv_listener(&mut self) -> Option<Fd> {
        match sys::recv_fd(self.listener_fd()) {
            Ok(fd) => Some(fd),
            Err(_) => {
                self.listener = None;
                None
            }
        }
    }
}

pub struct InitEnd {
    /// Until init has its last credential change (see `close_go`).
    go: Option<Fd>,
    status: Fd,
    errors: Fd,
    /// The app's end, kept only until the app is forked.
    listener: Option<Fd>,
    /// Dropped once the request is in (pool.rs).
    pub park: Option<Fd>,
}

impl InitEnd {
    /// The supervisor is still there (it holds the write end of go for its whole life).
    pub fn supervisor_alive(&self) -> bool {
        let fd = self.go.as_ref().map_or(-1, Fd::raw);
        let mut p = [libc::pollfd { fd, events: libc::POLLIN, revents: 0 }];
        !(sys::poll(&mut p, 0).is_ok() && p[0].revents & libc::POLLHUP != 0)
    }
    /// Wait for the go byte: false when the supervisor went away instead.
    pub fn wait_go(&self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.go.as_ref().map(|fd| sys::read(fd.raw(), &mut b)), Some(Ok(1)))
    }
    /// After the last `supervisor_alive` check: nothing below needs go.
    pub fn close_go(&mut self) {
        self.go = None;
    }
    /// `all_gone`: every other process of the run is dead and reaped (one write of 5
    /// bytes: a pipe delivers it whole).
    pub fn send_status(&self, status: i32, all_gone: bool) {
        let mut b = [0u8; 5];
        b[..4].copy_from_slice(&status.to_ne_bytes());
        b[4] = all_gone as u8;
        let _ = sys::write(self.status.raw(), &b);
    }
    pub fn send_error(&self, msg: &str) {
        let _ = sys::write(self.errors.raw(), msg.as_bytes());
    }
    /// init, after the fork: the app has its own copy of the listener end.
    pub fn app_forked(&mut self) {
        self.listener = None;
    }
    /// The app keeps only what it sends on.
    pub fn into_app(self) -> AppEnd {
        AppEnd { errors: self.errors, listener: self.listener }
    }
}

pub struct AppEnd {
    errors: Fd,
    listener: Option<Fd>,
}

impl AppEnd {
    pub fn send_error(&self, msg: &str) {
        let _ = sys::write(self.errors.raw(), msg.as_bytes());
    }
    /// Hand the seccomp listener to the supervisor (with none, just close our end so that
    /// the supervisor stops waiting for one).
    pub fn send_listener(&mut self, fd: Option<Fd>) -> sys::R<()> {
        let sock = self.listener.take();
        match (sock, fd) {
            (Some(sock), Some(fd)) => sys::send_fd(sock.raw(), fd.raw()),
            _ => Ok(()),
        }
    }
}
