//! A run armed ahead by a server's pool (launcher/src/serve): every step up to the app's
//! fork runs before the request exists, with placeholders (/dev/null) at the client's
//! descriptor numbers; the request brings the descriptors.
//!
//! The slot protocol, on the server's SOCK_SEQPACKET socket: the supervisor sends `R` once
//! init is parked; the server sends the client's descriptor numbers (a u32 count, then
//! i32 each) with the descriptors attached; the supervisor answers `A` (the run is the
//! client's now: its exit is the run's, and the socket then carries the app's early status,
//! see supervisor.rs) or `X` (stale: a file opened ahead was replaced; the slot ends and the
//! server runs the request unpooled). A server that closes the slot ends it like any setup
//! error: init killed, cgroups removed, no report (there is no client yet).

use crate::error::{Error, Result};
use crate::report::{self, ReportFiles};
use crate::run::{Init, Run, Setup, Supervisor};
use crate::sys::{self, c_int, Fd};
use alloc::vec::Vec;

/// The report files of an unpooled run now; of a pooled one at its request (opening one
/// truncates it, and the previous run of the same client may still be reading it).
pub fn report_files(run: &mut Run<Setup>) -> Result<ReportFiles> {
    match run.target.pool {
        Some(_) => Ok(ReportFiles { ahead: true, ..ReportFiles::default() }),
        None => report::open_files(run.policy),
    }
}

/// Receive descriptor numbers with their descriptors (`fds[i]` goes to `nums[i]`): a u32
/// count, then the numbers (i32 each).
fn recv_fds(sock: c_int, step: &'static str) -> Result<(Vec<c_int>, Vec<Fd>)> {
    let mut buf = [0u8; 4 + 4 * sys::MAX_FDS];
    let mut fds = Vec::new();
    let n = sys::recv_with_fds(sock, &mut buf, &mut fds, 0).map_err(|e| Error::new(step, "receive", e))?;
    if n == 0 {
        return Err(Error::msg(step, "the other end went away"));
    }
    let words: Vec<c_int> = buf[..n].chunks_exact(4).map(|c| c_int::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    match words.split_first() {
        Some((&count, nums)) if n % 4 == 0 && count as usize == nums.len() && nums.len() == fds.len() => {
            Ok((nums.to_vec(), fds))
        }
        _ => Err(Error::msg(step, "malformed descriptor message")),
    }
}

/// The descriptor message `recv_fds` reads (the server's hand-over to a slot uses it too).
pub fn fd_message(nums: &[c_int]) -> Vec<u8> {
    core::iter::once(nums.len() as c_int).chain(nums.iter().copied()).flat_map(|n| n.to_le_bytes()).collect()
}

fn send_fds(sock: c_int, nums: &[c_int], fds: &[c_int], step: &'static str) -> Result<()> {
    sys::send_with_fds(sock, &fd_message(nums), fds).map(drop).map_err(|e| Error::new(step, "send", e))
}

/// The same file as when it was opened: inode, size and both times.
fn same_file(path: &[u8], fd: c_int) -> bool {
    match (sys::fstatat(libc::AT_FDCWD, path, 0), sys::fstat(fd)) {
        (Ok(a), Ok(b)) => {
            (a.st_dev, a.st_ino, a.st_size, a.st_mtime, a.st_mtime_nsec, a.st_ctime, a.st_ctime_nsec)
                == (b.st_dev, b.st_ino, b.st_size, b.st_mtime, b.st_mtime_nsec, b.st_ctime, b.st_ctime_nsec)
        }
        _ => false,
    }
}

/// Supervisor, after go: wait for the request and make the run the client's.
pub fn request(run: &mut Run<Supervisor>) -> Result<()> {
    let Some(pool) = run.target.pool else { return Ok(()) };
    let park = run.s.chan.park.take().ok_or_else(|| Error::msg("request", "no park channel"))?;
    let mut b = [0u8; 1];
    if !matches!(sys::read(park.raw(), &mut b), Ok(1) if b[0] == b'P') {
        return Err(Error::msg("request", "init did not park"));
    }
    sys::write_all(pool.slot, b"R").map_err(|e| Error::new("request", "ready", e))?;
    let (nums, fds) = recv_fds(pool.slot, "request")?;
    if let Some((path, _)) = pool.files.iter().find(|(p, fd)| !same_file(p, *fd)) {
        let _ = sys::write_all(pool.slot, b"X");
        let what = alloc::format!("{} changed since the run was armed", alloc::string::String::from_utf8_lossy(path));
        return Err(Error::msg("request", what));
    }
    // From here on the run is the client's: what fails now fails its run (with its stderr
    // and report), as it would have unpooled, and is not retried by the server.
    sys::write_all(pool.slot, b"A").map_err(|e| Error::new("request", "accept", e))?;
    // The slot's socket now carries the app's status to the server, as an unpooled
    // run's reply socket does (supervisor.rs).
    run.s.reply = Some(pool.slot);
    run.s.reports.ahead = false;
    // The client's descriptors take the placeholders' numbers, here and in init (the app
    // inherits init's); numbers the run does not pass are dropped.
    let (mut keep_n, mut keep_fd) = (Vec::new(), Vec::new());
    for (n, fd) in nums.iter().zip(&fds) {
        if pool.fds.contains(n) {
            sys::dup3(fd.raw(), *n, 0).map_err(|e| Error::new("request", alloc::format!("descriptor {n}"), e))?;
            keep_n.push(*n);
            keep_fd.push(fd.raw());
        }
    }
    run.s.reports = report::open_files(run.policy)?;
    run.restart_clock();
    crate::workdisk_step::fill(run)?;
    let shared = crate::output::share_at_request(&mut run.s.output);
    send_fds(park.raw(), &keep_n, &keep_fd, "request")?;
    sys::write_all(park.raw(), &[shared as u8]).map_err(|e| Error::new("request", "send", e))
}

/// init, before the app's fork: park until the request's descriptors arrive.
pub fn park(run: &mut Run<Init>) -> Result<()> {
    let Some(pool) = run.target.pool else { return Ok(()) };
    // The slot is the supervisor's.
    sys::close(pool.slot);
    let park = run.s.chan.park.take().ok_or_else(|| Error::msg("park", "no park channel"))?;
    sys::write_all(park.raw(), b"P").map_err(|e| Error::new("park", "write", e))?;
    let (nums, fds) = recv_fds(park.raw(), "park")?;
    for (n, fd) in nums.iter().zip(&fds) {
        sys::dup3(fd.raw(), *n, 0).map_err(|e| Error::new("park", alloc::format!("descriptor {n}"), e))?;
    }
    // Whether the client's fds 1 and 2 are one file (--output: one relay pipe for both).
    let mut shared = [0u8; 1];
    match sys::read(park.raw(), &mut shared) {
        Ok(1) if shared[0] == 1 => crate::output::share_in_init(&mut run.s.app.output),
        Ok(1) => {}
        _ => return Err(Error::msg("park", "the supervisor went away")),
    }
    Ok(())
}
