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
    let r = sys::set_interface_flags(fd, b"lo", (libc::IFF_UP | libc::IFF_RUNNING) as u16);
    sys::close(fd);
    r.ctx("network", "bring lo up")
}
