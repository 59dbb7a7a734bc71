//! Seccomp user notification (the supervisor side) and passing its fd over a unix socket.
//!
//! The listener fd exists only in the process that installed the filter, so the sandbox
//! hands it to its supervisor with SCM_RIGHTS right after installing (strict allows
//! `sendmsg` for this); the supervisor then answers each violation, e.g. with EPERM.

use crate::sys::{self, c_int, syscall6};
use core::mem::{size_of, zeroed};

/// Wait for the next notification: (id, syscall number).
pub fn recv_notif(fd: c_int) -> Result<(u64, i32), i32> {
    // SAFETY: seccomp_notif is plain old data; the kernel requires it zeroed on entry.
    let mut n: libc::seccomp_notif = unsafe { zeroed() };
    let p = &mut n as *mut libc::seccomp_notif as usize;
    loop {
        match sys::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_RECV as _, p) {
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => return Ok((n.id, n.data.nr)),
        }
    }
}

/// Fail the notified syscall `id` with `errno` (0 makes it return 0).
pub fn respond_errno(fd: c_int, id: u64, errno: i32) -> Result<(), i32> {
    let r = libc::seccomp_notif_resp { id, val: 0, error: -errno, flags: 0 };
    let p = &r as *const libc::seccomp_notif_resp as usize;
    sys::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND as _, p).map(drop)
}

/// A control message carrying one descriptor (CMSG_SPACE(sizeof(int)) on x86-64).
#[repr(C)]
struct FdMsg {
    hdr: libc::cmsghdr,
    fd: c_int,
    _pad: u32,
}
const CMSG_LEN_FD: usize = size_of::<libc::cmsghdr>() + size_of::<c_int>();

fn msghdr(iov: &mut libc::iovec, ctl: &mut FdMsg) -> libc::msghdr {
    // SAFETY: msghdr is plain old data (it has private padding fields, hence zeroed()).
    let mut m: libc::msghdr = unsafe { zeroed() };
    m.msg_iov = iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl as *mut FdMsg as *mut libc::c_void;
    m.msg_controllen = size_of::<FdMsg>();
    m
}

fn sendmsg(sock: c_int, m: &libc::msghdr, flags: c_int) -> Result<usize, i32> {
    // SAFETY: `m` and the iovec/control buffers it points to are live for the call.
    let r = unsafe { syscall6(libc::SYS_sendmsg, sock as usize, m as *const _ as usize, flags as usize, 0, 0, 0) };
    if r < 0 {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

fn recvmsg(sock: c_int, m: &mut libc::msghdr, flags: c_int) -> Result<usize, i32> {
    // SAFETY: `m` and the iovec/control buffers it points to are live and writable.
    let r = unsafe { syscall6(libc::SYS_recvmsg, sock as usize, m as *mut _ as usize, flags as usize, 0, 0, 0) };
    if r < 0 {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

/// Send `fd` (and one data byte, which stream sockets need) over unix socket `sock`.
pub fn send_fd(sock: c_int, fd: c_int) -> Result<(), i32> {
    let mut byte = [b'F'];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let hdr = libc::cmsghdr { cmsg_len: CMSG_LEN_FD, cmsg_level: libc::SOL_SOCKET, cmsg_type: libc::SCM_RIGHTS };
    let mut ctl = FdMsg { hdr, fd, _pad: 0 };
    let m = msghdr(&mut iov, &mut ctl);
    loop {
        match sendmsg(sock, &m, libc::MSG_NOSIGNAL) {
            Err(libc::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// Receive one descriptor sent by `send_fd` (close-on-exec in this process).
pub fn recv_fd(sock: c_int) -> Result<c_int, i32> {
    let mut byte = [0u8];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let hdr = libc::cmsghdr { cmsg_len: 0, cmsg_level: 0, cmsg_type: 0 };
    let mut ctl = FdMsg { hdr, fd: -1, _pad: 0 };
    let mut m = msghdr(&mut iov, &mut ctl);
    let n = loop {
        match recvmsg(sock, &mut m, libc::MSG_CMSG_CLOEXEC) {
            Err(libc::EINTR) => continue,
            r => break r?,
        }
    };
    let ok = m.msg_controllen >= CMSG_LEN_FD
        && ctl.hdr.cmsg_level == libc::SOL_SOCKET
        && ctl.hdr.cmsg_type == libc::SCM_RIGHTS
        && ctl.fd >= 0;
    match (n, ok) {
        (_, true) => Ok(ctl.fd),
        (0, false) => Err(libc::ECONNRESET),
        _ => Err(libc::EBADMSG),
    }
}
