//! Unix sockets: descriptor passing (SCM_RIGHTS) and seccomp user notification, whose
//! messages are structs the kernel reads and writes through pointers.

use super::{c_int, owned, ret, syscall6, Fd, R};
use alloc::vec::Vec;
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

/// At most this many descriptors travel in one message (the kernel's SCM_MAX_FD is 253).
pub const MAX_FDS: usize = 250;

/// Room for a control message of MAX_FDS descriptors, aligned for cmsghdr.
#[repr(C, align(8))]
struct FdsMsg([u8; size_of::<libc::cmsghdr>() + MAX_FDS * size_of::<c_int>() + 8]);

/// Send `data` with `fds` attached (SCM_RIGHTS) over unix socket `sock`: returns how many
/// bytes went (a stream socket may take fewer; the descriptors went with the first of them).
pub fn send_with_fds(sock: c_int, data: &[u8], fds: &[c_int]) -> R<usize> {
    if fds.len() > MAX_FDS || data.is_empty() {
        return Err(libc::EINVAL);
    }
    let mut ctl = FdsMsg([0; size_of::<FdsMsg>()]);
    let len = size_of::<libc::cmsghdr>() + core::mem::size_of_val(fds);
    let hdr = libc::cmsghdr { cmsg_len: len, cmsg_level: libc::SOL_SOCKET, cmsg_type: libc::SCM_RIGHTS };
    // SAFETY: `ctl` is 8-aligned and large enough for the header plus MAX_FDS ints; the
    // header and the descriptors are plain old data written at their offsets.
    unsafe {
        core::ptr::write_unaligned(ctl.0.as_mut_ptr().cast::<libc::cmsghdr>(), hdr);
        let p = ctl.0.as_mut_ptr().add(size_of::<libc::cmsghdr>()).cast::<c_int>();
        for (i, fd) in fds.iter().enumerate() {
            core::ptr::write_unaligned(p.add(i), *fd);
        }
    }
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: msghdr is plain old data (it has private padding fields, hence zeroed()).
    let mut m: libc::msghdr = unsafe { zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    if !fds.is_empty() {
        m.msg_control = ctl.0.as_mut_ptr().cast();
        m.msg_controllen = (len + 7) & !7;
    }
    loop {
        // `m`, its iovec (read only by the kernel) and control buffer are live for the call.
        match sc!(libc::SYS_sendmsg, sock, &m as *const libc::msghdr, libc::MSG_NOSIGNAL) {
            Err(libc::EINTR) => continue,
            r => return r,
        }
    }
}

/// Receive into `buf`, appending any descriptors that came with it (close-on-exec here) to
/// `fds`. A truncated control message (more descriptors than MAX_FDS) is EMSGSIZE: what did
/// arrive is still owned and closed.
pub fn recv_with_fds(sock: c_int, buf: &mut [u8], fds: &mut Vec<Fd>, flags: c_int) -> R<usize> {
    let mut ctl = FdsMsg([0; size_of::<FdsMsg>()]);
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: msghdr is plain old data (it has private padding fields, hence zeroed()).
    let mut m: libc::msghdr = unsafe { zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.0.as_mut_ptr().cast();
    m.msg_controllen = size_of::<FdsMsg>();
    let n = loop {
        // `m`, its iovec and control buffer are live and writable for the call.
        match sc!(libc::SYS_recvmsg, sock, &mut m as *mut libc::msghdr, libc::MSG_CMSG_CLOEXEC | flags) {
            Err(libc::EINTR) => continue,
            r => break r?,
        }
    };
    let mut off = 0usize;
    let total = m.msg_controllen.min(size_of::<FdsMsg>());
    while off + size_of::<libc::cmsghdr>() <= total {
        // SAFETY: the kernel wrote `total` bytes of control messages into `ctl`; each header
        // is read unaligned and its length bounded by `total` before its payload is read.
        let h: libc::cmsghdr = unsafe { core::ptr::read_unaligned(ctl.0.as_ptr().add(off).cast()) };
        if h.cmsg_len < size_of::<libc::cmsghdr>() || off + h.cmsg_len > total {
            break;
        }
        if h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_RIGHTS {
            let count = (h.cmsg_len - size_of::<libc::cmsghdr>()) / size_of::<c_int>();
            for i in 0..count {
                // SAFETY: within this message's payload, bounded above.
                let fd: c_int = unsafe {
                    core::ptr::read_unaligned(
                        ctl.0.as_ptr().add(off + size_of::<libc::cmsghdr>()).cast::<c_int>().add(i),
                    )
                };
                fds.push(owned(fd as usize));
            }
        }
        off += (h.cmsg_len + 7) & !7;
    }
    if m.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(libc::EMSGSIZE);
    }
    Ok(n)
}

/// The peer of a connected unix socket as the kernel recorded it at connect(): (pid, uid, gid).
pub fn peer_cred(sock: c_int) -> R<(c_int, u32, u32)> {
    let mut c = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = size_of::<libc::ucred>() as u32;
    sc!(
        libc::SYS_getsockopt,
        sock,
        libc::SOL_SOCKET,
        libc::SO_PEERCRED,
        &mut c as *mut libc::ucred,
        &mut len as *mut u32
    )
    .map(|_| (c.pid, c.uid, c.gid))
}

/// The peer's supplementary groups at connect() (SO_PEERGROUPS, Linux 4.13).
pub fn peer_groups(sock: c_int) -> R<Vec<u32>> {
    let mut g: Vec<u32> = alloc::vec![0; 256];
    loop {
        let mut len = (g.len() * 4) as u32;
        match sc!(
            libc::SYS_getsockopt,
            sock,
            libc::SOL_SOCKET,
            libc::SO_PEERGROUPS,
            g.as_mut_ptr(),
            &mut len as *mut u32
        ) {
            Ok(_) => {
                g.truncate(len as usize / 4);
                return Ok(g);
            }
            Err(libc::ERANGE) if (len as usize) > g.len() * 4 => g.resize(len as usize / 4, 0),
            Err(e) => return Err(e),
        }
    }
}
