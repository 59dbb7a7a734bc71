//! `--output SIZE`: a bound on what the whole tree writes to stdout and stderr, pipes
//! included (RLIMIT_FSIZE only sees regular files). Only with the option: otherwise fds 1
//! and 2 pass straight through, as they always did.
//!
//! The supervisor makes a pipe for each of fds 1 and 2 before the clone (one shared pipe
//! when both are the same file, so `> f 2>&1` keeps its interleaving exactly); the app puts
//! them on 1 and 2 just before exec. The supervisor moves the bytes to its own fds 1 and 2
//! with splice(2) (page moves, no copy: bare speed), falling back to read/write where the
//! kernel refuses to splice (a tty, an O_APPEND file). Both directions are non-blocking and
//! part of the supervisor's poll loop, so a stalled reader never delays a time limit.
//!
//! Exactly `SIZE` bytes may pass (in order, per stream); one more byte waiting in a pipe is
//! the verdict: the run is killed, status OL. The relay drains every pipe before the report
//! is written, so nothing the program wrote under the limit is lost. A reader that goes away
//! (`| head`) closes the pipe, so the program sees EPIPE/SIGPIPE as it would bare.

use crate::error::{Ctx, Result};
use crate::run::{App, Init, OutputPipes, Run, Setup};
use crate::sys::{self, c_int, Fd};

/// Pipe buffer asked for (the kernel's default is 64 KiB; fewer wake-ups per MiB).
const PIPE_SIZE: usize = 1 << 20;
/// Largest single splice / read.
const CHUNK: usize = 1 << 20;

/// Supervisor, before the clone: the relay pipes, when `--output` is set.
pub fn pipes(run: &mut Run<Setup>) -> Result<()> {
    if run.policy.limits.output.is_none() {
        return Ok(());
    }
    let out = &mut run.s.app.output;
    let st1 = sys::fstat(1).ok();
    for fd in [1, 2] {
        let Ok(st) = sys::fstat(fd) else {
            // A closed descriptor stays closed: there is nothing to bound.
            continue;
        };
        // Armed ahead (pool.rs), fds 1 and 2 are placeholders: which are one file is told
        // at the request (`share_at_request`).
        let pooled = run.target.pool.is_some();
        if !pooled
            && fd == 2
            && out.w[0].is_some()
            && st1.is_some_and(|a| a.st_dev == st.st_dev && a.st_ino == st.st_ino)
        {
            out.shared = true;
            continue;
        }
        let [r, w] = sys::pipe(libc::O_CLOEXEC).ctx("output-pipes", "pipe2")?;
        let _ = sys::set_pipe_size(w.raw(), PIPE_SIZE);
        sys::set_nonblocking(r.raw()).ctx("output-pipes", "O_NONBLOCK")?;
        out.r[(fd - 1) as usize] = Some(r);
        out.w[(fd - 1) as usize] = Some(w);
    }
    Ok(())
}

/// Supervisor of a run armed ahead, at its request (its fds 1 and 2 are the client's now):
/// whether fd 2 is the same file as fd 1, so that both go through the first pipe (the
/// second pipe's reader is dropped). init is told the same (`pool.rs`).
pub fn share_at_request(out: &mut OutputPipes) -> bool {
    let same = matches!((sys::fstat(1), sys::fstat(2)), (Ok(a), Ok(b)) if a.st_dev == b.st_dev && a.st_ino == b.st_ino);
    let shared = same && out.r[0].is_some() && out.r[1].is_some();
    if shared {
        out.r[1] = None;
        out.shared = true;
    }
    shared
}

/// init of a run armed ahead: fd 2 writes to the first pipe too.
pub fn share_in_init(out: &mut OutputPipes) {
    out.w[1] = None;
    out.shared = true;
}

/// init: only the supervisor may hold the read ends, so that a reader that goes away
/// (the supervisor closing a pipe) is a broken pipe for the program.
pub fn close_readers(run: &mut Run<Init>) -> Result<()> {
    run.s.app.output.r = [None, None];
    Ok(())
}

/// App, before exec: write to the relay instead of the supervisor's fds 1 and 2.
pub fn attach(run: &mut Run<App>) -> Result<()> {
    let out = &run.s.app.output;
    let err = if out.shared { &out.w[0] } else { &out.w[1] };
    for (i, w) in [&out.w[0], err].into_iter().enumerate() {
        if let Some(w) = w {
            sys::dup3(w.raw(), i as c_int + 1, 0).ctx("output-attach", "dup3")?;
        }
    }
    Ok(())
}

struct Stream {
    src: Fd,
    dst: c_int,
    /// The last splice found the destination full: wait for POLLOUT on it.
    wait_dst: bool,
    /// The kernel refused to splice to `dst`: copy through user space.
    copy: bool,
    done: bool,
}

pub struct Relay {
    streams: [Option<Stream>; 2],
    limit: u64,
    pub passed: u64,
    pub exceeded: bool,
}

impl Relay {
    /// Supervisor, after the clone: drop our copies of the write ends (the pipes must see
    /// EOF when the run's last process is gone).
    pub fn start(pipes: OutputPipes, limit: Option<u64>) -> Relay {
        let limit = limit.unwrap_or(u64::MAX);
        let OutputPipes { w, r: [r1, r2], .. } = pipes;
        drop(w);
        // (The supervisor ignores SIGPIPE for its whole life: see supervisor::run.)
        let s =
            |src: Option<Fd>, dst: c_int| src.map(|src| Stream { src, dst, wait_dst: false, copy: false, done: false });
        Relay { streams: [s(r1, 1), s(r2, 2)], limit, passed: 0, exceeded: false }
    }

    pub fn active(&self) -> bool {
        !self.exceeded && self.streams.iter().flatten().any(|s| !s.done)
    }

    /// The pollfd of each stream (fd -1: nothing to wait for).
    pub fn pollfds(&self) -> [libc::pollfd; 2] {
        let p = |s: &Option<Stream>| match s {
            Some(s) if !s.done && !self.exceeded => {
                if s.wait_dst {
                    libc::pollfd { fd: s.dst, events: libc::POLLOUT, revents: 0 }
                } else {
                    libc::pollfd { fd: s.src.raw(), events: libc::POLLIN, revents: 0 }
                }
            }
            _ => libc::pollfd { fd: -1, events: 0, revents: 0 },
        };
        [p(&self.streams[0]), p(&self.streams[1])]
    }

    /// Move what is ready after poll reported `fds` (from `pollfds`). Returns true when
    /// the limit was just exceeded.
    pub fn pump(&mut self, fds: &[libc::pollfd]) -> bool {
        for (i, p) in fds.iter().enumerate().take(2) {
            if p.fd >= 0 && p.revents != 0 {
                self.pump_one(i);
            }
        }
        self.exceeded
    }

    fn pump_one(&mut self, i: usize) {
        let limit = self.limit;
        let Some(s) = self.streams[i].as_mut() else { return };
        s.wait_dst = false;
        loop {
            if self.exceeded || s.done {
                return;
            }
            let left = limit - self.passed;
            if left == 0 {
                // Budget spent: one more byte is the verdict; EOF without one is fine.
                match sys::fionread(s.src.raw()) {
                    Ok(n) if n > 0 => self.exceeded = true,
                    _ => {
                        let mut p = [libc::pollfd { fd: s.src.raw(), events: libc::POLLIN, revents: 0 }];
                        if sys::poll(&mut p, 0).is_ok() && p[0].revents & libc::POLLHUP != 0 {
                            s.done = true;
                        }
                    }
                }
                return;
            }
            let want = left.min(CHUNK as u64) as usize;
            let r = if s.copy {
                copy(s.src.raw(), s.dst, want)
            } else {
                sys::splice(s.src.raw(), s.dst, want, libc::SPLICE_F_NONBLOCK | libc::SPLICE_F_MOVE)
            };
            match r {
                Ok(0) => s.done = true,
                Ok(n) => self.passed += n as u64,
                Err(libc::EINTR) => {}
                Err(libc::EAGAIN) => {
                    // Either the pipe is empty (wait for data) or the destination is full.
                    s.wait_dst = !s.copy && sys::fionread(s.src.raw()).unwrap_or(0) > 0;
                    return;
                }
                Err(libc::EINVAL) if !s.copy => s.copy = true,
                Err(_) => {
                    // The destination is gone (EPIPE, ENOSPC…): close the pipe, so the
                    // program's next write fails as it would have without the relay.
                    self.streams[i] = None;
                    return;
                }
            }
        }
    }

    /// After init is gone: move what is still in the pipes (every writer is dead, so each
    /// ends in EOF). A stalled destination is waited for; a pipe silent for 5 s with no
    /// writer left cannot happen, and is given up rather than hang the report.
    pub fn drain(&mut self) {
        while self.active() {
            let mut fds = self.pollfds();
            match sys::poll(&mut fds, 5000) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    self.pump(&fds);
                }
            }
        }
    }
}

/// The fallback: one read and a blocking write of all of it.
fn copy(src: c_int, dst: c_int, want: usize) -> sys::R<usize> {
    let mut buf = [0u8; 65536];
    let n = sys::read(src, &mut buf[..want.min(65536)])?;
    sys::write_all(dst, &buf[..n])?;
    Ok(n)
}
