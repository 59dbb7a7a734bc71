//! `sandbox --server SOCKET …` (or SANDBOX_SERVER): hand the whole command line, the
//! environment, the working directory and every open descriptor to a running
//! `sandbox --serve`, relay signals to it, and end exactly as the run ended. If the server
//! is not there or refuses, say so and exit 125: never run anything unsandboxed.

use super::proto::{self, Request};
use sandbox_core::process::FORWARDED;
use sandbox_core::sys::{self, Fd};
use sandbox_core::EXIT_SETUP;
use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::net::UnixStream;
use std::process::exit;

fn die(msg: &str) -> ! {
    eprintln!("sandbox: {msg}");
    exit(EXIT_SETUP)
}

fn os_err(e: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(e)
}

/// The descriptors this process has open (but `skip`), in ascending order.
fn open_fds(skip: &[i32]) -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    v.sort_unstable();
    // The listing's own descriptor is gone by now: keep only those still open.
    v.retain(|fd| !skip.contains(fd) && sys::status_flags(*fd).is_ok());
    v
}

/// What the run's launcher would have inherited from this process, besides descriptors.
fn request(args: Vec<OsString>, fds: Vec<i32>, sigmask: u64) -> Request {
    let umask = sys::umask(0o022);
    sys::umask(umask);
    let ignored = (1..=64).filter(|&s| sys::signal_ignored(s).unwrap_or(false)).fold(0u64, |m, s| m | sys::sigbit(s));
    // RLIMIT_CPU (0) .. RLIMIT_RTTIME (15): every resource Linux has.
    let rlimits = (0..16u32).filter_map(|r| sys::getrlimit(r as i32).ok().map(|(s, h)| (r, s, h))).collect();
    Request {
        args,
        env: std::env::vars_os()
            .map(|(k, v)| {
                let mut kv = k.into_vec();
                kv.push(b'=');
                kv.extend(v.into_vec());
                OsString::from_vec(kv)
            })
            .collect(),
        fds,
        umask,
        sigmask,
        ignored,
        nice: sys::getpriority_self().unwrap_or(0),
        rlimits,
    }
}

/// End as the run's launcher ended: its exit code, or its signal (no core file).
fn end_like(status: i32) -> ! {
    if libc::WIFEXITED(status) {
        exit(libc::WEXITSTATUS(status))
    }
    sandbox_core::process::die_by(libc::WTERMSIG(status))
}

fn read_exact(fd: i32, buf: &mut [u8]) -> Option<()> {
    let mut got = 0;
    while got < buf.len() {
        match sys::read(fd, &mut buf[got..]) {
            Ok(n) if n > 0 => got += n,
            _ => return None,
        }
    }
    Some(())
}

/// Read the server's reply and end as it says; returns only when the connection closed
/// without one.
fn reply(sock: i32, socket: &str) {
    let mut head = [0u8; 5];
    if read_exact(sock, &mut head).is_none() {
        return;
    }
    let n = u32::from_le_bytes(head[1..].try_into().unwrap());
    match head[0] {
        proto::STATUS => end_like(n as i32),
        proto::REFUSED => {
            let mut text = vec![0u8; (n as usize).min(4096)];
            let _ = read_exact(sock, &mut text);
            die(&format!("server {socket}: {}", String::from_utf8_lossy(&text)))
        }
        t => die(&format!("server {socket}: unexpected reply {t:#x}")),
    }
}

pub fn run(socket: &str, args: Vec<OsString>) -> ! {
    let conn = UnixStream::connect(socket).unwrap_or_else(|e| die(&format!("server {socket}: {e}")));
    let sock = conn.as_raw_fd();
    // Relayed signals are taken by a signalfd from here on, so none is lost or kills us.
    let blocked = FORWARDED.iter().fold(0u64, |m, &s| m | sys::sigbit(s));
    // The run restores the mask this process had, not the one it has while it waits.
    let old = sys::sigprocmask(libc::SIG_BLOCK, blocked).unwrap_or(0);
    let req = request(args, open_fds(&[sock]), old);
    let cwd: Fd = sys::open_fd(b".", libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .unwrap_or_else(|e| die(&format!("current directory: {}", os_err(e))));
    let mut pass = vec![cwd.raw()];
    pass.extend(&req.fds);
    if pass.len() > sys::MAX_FDS {
        die(&format!("{} open descriptors: at most {} can be passed to a server", pass.len() - 1, sys::MAX_FDS - 1));
    }
    let data = req.encode();
    if let Err(e) = sys::send_with_fds(sock, &data, &pass).and_then(|n| sys::write_all(sock, &data[n..])) {
        // A server that refused at once has closed its end: its reason is still to be read.
        reply(sock, socket);
        die(&format!("server {socket}: send: {}", os_err(e)))
    }
    drop(cwd);
    let sfd = sys::signalfd(blocked).unwrap_or_else(|e| die(&format!("signalfd: {}", os_err(e))));
    loop {
        let mut p = [
            libc::pollfd { fd: sock, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: sfd, events: libc::POLLIN, revents: 0 },
        ];
        if let Err(e) = sys::poll(&mut p, -1) {
            die(&format!("poll: {}", os_err(e)));
        }
        if p[1].revents != 0 {
            let mut si = [0u8; 128];
            while let Ok(128) = sys::read(sfd, &mut si) {
                let sig = u32::from_ne_bytes(si[..4].try_into().unwrap()) as i32;
                // A server that is gone shows up on the socket below.
                let _ = sys::write_all(sock, &proto::signal_msg(sig));
            }
        }
        if p[0].revents != 0 {
            reply(sock, socket);
            die(&format!("server {socket}: closed the connection before the run ended"))
        }
    }
}
