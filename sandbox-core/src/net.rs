//! Network: a fresh namespace (created by the clone) with `lo` up, unless asked otherwise.

use crate::error::{Ctx, Result};
use crate::policy::Net;
use crate::run::{Init, Run};
use crate::sys;

/// Bring `lo` up with one ioctl; cheaper than a netlink conversation.
pub fn setup(run: &mut Run<Init>) -> Result<()> {
    if run.policy.net != Net::Loopback {
        return Ok(());
    }
    let fd = sys::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).ctx("network", "socket")?;
    // struct ifreq: 16 bytes of name, then the flags (short) in the union.
    let mut ifr = [0u8; 40];
    ifr[..2].copy_from_slice(b"lo");
    let flags = (libc::IFF_UP | libc::IFF_RUNNING) as u16;
    ifr[16..18].copy_from_slice(&flags.to_ne_bytes());
    let r = sys::ioctl(fd, libc::SIOCSIFFLAGS, ifr.as_mut_ptr() as usize);
    sys::close(fd);
    r.map(drop).ctx("network", "bring lo up")
}
