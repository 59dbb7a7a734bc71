//! Unix sockets: descriptor passing (SCM_RIGHTS) and seccomp user notification, whose
//! messages are structs the kernel reads and writes through pointers.

use super::{c_int, owned, ret, syscall6, Fd, R};
use core::mem::{size_of, zeroed};

/// A connected pair of unix sockets, owned.
pub fn socketpair_fds(domain: c_int, ty: c_int) -> R<[Fd; 2]> {
    let mut sv = [0 as c_int; 2];
    sc!(libc::SYS_socketpair, domain, ty, 0, sv.as_mut_ptr()).map(|_| [owned(sv[0] as usize), owned(sv[1] as usize)])
}

/// Wait for the next seccomp notification on listener `fd`: (id, syscall number).
pub fn recv_notif(fd: c_int) -> R<(u64, i32)> {
    // SAFETY: seccomp_notif is plain old data; the kernel requires it zeroed on entry.
    let mut n: libc::seccomp_notif = unsafe { zeroed() };
    loop {
        match sc!(libc::SYS_ioctl, fd, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut n as *mut libc::seccomp_notif) {
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => return Ok((n.id, n.data.nr)),
        }
    }
}

/// Fail the notified syscall `id` with `errno` (0 makes it return 0).
pub fn respond_errno(fd: c_int, id: u64, errno: i32) -> R<()> {
    let r = libc::seccomp_notif_resp { id, val: 0, error: -errno, flags: 0 };
    sc!(libc::SYS_ioctl, fd, libc::SECCOMP_IOCTL_NOTIF_SEND, &r as *const libc::seccomp_notif_resp).map(drop)
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

/// Send `fd` (and one data byte, which stream sockets need) over unix socket `sock`.
pub fn send_fd(sock: c_int, fd: c_int) -> R<()> {
    let mut byte = [b'F'];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let hdr = libc::cmsghdr { cmsg_len: CMSG_LEN_FD, cmsg_level: libc::SOL_SOCKET, cmsg_type: libc::SCM_RIGHTS };
    let mut ctl = FdMsg { hdr, fd, _pad: 0 };
    let m = msghdr(&mut iov, &mut ctl);
    loop {
        // `m`, its iovec and control buffer are live for the call.
        match sc!(libc::SYS_sendmsg, sock, &m as *const libc::msghdr, libc::MSG_NOSIGNAL) {
            Err(libc::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// Receive one descriptor sent by `send_fd` (close-on-exec in this process), owned.
pub fn recv_fd(sock: c_int) -> R<Fd> {
    let mut byte = [0u8];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let hdr = libc::cmsghdr { cmsg_len: 0, cmsg_level: 0, cmsg_type: 0 };
    let mut ctl = FdMsg { hdr, fd: -1, _pad: 0 };
    let mut m = msghdr(&mut iov, &mut ctl);
    let n = loop {
        // `m`, its iovec and control buffer are live and writable for the call.
        match sc!(libc::SYS_recvmsg, sock, &mut m as *mut libc::msghdr, libc::MSG_CMSG_CLOEXEC) {
            Err(libc::EINTR) => continue,
            r => break r?,
        }
    };
    let ok = m.msg_controllen >= CMSG_LEN_FD
        && ctl.hdr.cmsg_level == libc::SOL_SOCKET
        && ctl.hdr.cmsg_type == libc::SCM_RIGHTS
        && ctl.fd >= 0;
    match (n, ok) {
        (_, true) => Ok(owned(ctl.fd as usize)),
        (0, false) => Err(libc::ECONNRESET),
        _ => Err(libc::EBADMSG),
    }
}
