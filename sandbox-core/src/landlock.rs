//! Landlock: a second, independent layer mirroring the jail (read-only system, writable
//! work dir and scratch space), TCP denied when there is no network, and abstract unix
//! sockets and signals scoped to the run (ABI 6+).

use crate::error::{Error, Result};
use crate::policy::{Landlock, MountKind, Net};
use crate::run::{App, Run, Setup};
use crate::sys;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;
const IOCTL_DEV: u64 = 1 << 15;
const NET_TCP: u64 = (1 << 0) | (1 << 1);
const SCOPE_ALL: u64 = (1 << 0) | (1 << 1);

/// Filesystem rights the kernel knows at each ABI (index = ABI).
fn fs_rights(abi: u32) -> u64 {
    match abi {
        0 => 0,
        1 => (1 << 13) - 1,
        2 => (1 << 14) - 1,
        3 | 4 => (1 << 15) - 1,
        _ => (1 << 16) - 1,
    }
}

/// The ABI version, 0 when the kernel lacks Landlock or it is disabled.
pub fn abi() -> u32 {
    sys::landlock_abi().unwrap_or(0)
}

/// In the supervisor, before anything starts: what Landlock will do, for the report, and
/// refuse early when it is required and missing.
pub fn check(run: &mut Run<Setup>) -> Result<()> {
    let p = run.policy;
    let abi = abi();
    run.s.app.landlock_abi = abi;
    run.s.landlock_note = if p.landlock == Landlock::Off {
        "off (by request)".into()
    } else if abi == 0 {
        if p.landlock == Landlock::On {
            return Err(Error::msg("landlock", "required (--landlock on) but the kernel has no Landlock"));
        }
        "unavailable on this kernel (skipped)".into()
    } else {
        let (net, scoped) = layers(p, abi);
        note(abi, net, scoped, p.net)
    };
    Ok(())
}

/// The layers this policy would get from Landlock on a newer kernel that `abi` lacks, each
/// with what still holds it here (or says that nothing does). Empty at ABI 6+.
pub fn missing_layers(abi: u32, net: Net) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if abi == 0 {
        return v;
    }
    if abi < 4 && net == Net::None {
        v.push(("TCP bind/connect rules (ABI 4)", "held by the run's network namespace, which has no interface up"));
    }
    if abi < 6 {
        v.push((
            "abstract unix socket scoping (ABI 6)",
            if net == Net::Host {
                "NOT held under --net host: the run shares the host's abstract socket namespace"
            } else {
                "held by the per-run network namespace (abstract sockets are per namespace)"
            },
        ));
        v.push((
            "signal scoping (ABI 6)",
            "held by the per-run pid namespace and session: no outside process is visible",
        ));
    }
    v
}

fn note(abi: u32, net_rules: u64, scoped: u64, net: Net) -> String {
    let mut s = format!(
        "abi {abi}{}{}",
        if net_rules != 0 { ", tcp denied" } else { "" },
        if scoped != 0 { ", scoped" } else { "" }
    );
    let missing = missing_layers(abi, net);
    for (i, (what, held)) in missing.iter().enumerate() {
        s.push_str(if i == 0 { "; missing: " } else { "; " });
        s.push_str(what);
        s.push_str(": ");
        s.push_str(held);
    }
    s
}

/// TCP rules when there is no network at all; signal and abstract-socket scoping (ABI 6+).
fn layers(p: &crate::Policy, abi: u32) -> (u64, u64) {
    let net = if p.net == Net::None && abi >= 4 { NET_TCP } else { 0 };
    let scoped = if abi >= 6 { SCOPE_ALL } else { 0 };
    (net, scoped)
}

pub fn restrict(run: &mut Run<App>) -> Result<()> {
    let p = run.policy;
    let abi = run.s.app.landlock_abi;
    if p.landlock == Landlock::Off || abi == 0 {
        return Ok(());
    }
    let all = fs_rights(abi);
    let (net, scoped) = layers(p, abi);
    let rs =
        sys::landlock_create_ruleset(all, net, scoped, abi).map_err(|e| Error::new("landlock", "create ruleset", e))?;

    let read = EXECUTE | READ_FILE | READ_DIR;
    let mut rules: Vec<(Vec<u8>, u64)> = alloc::vec![
        (b"/".to_vec(), read),
        (b"/dev".to_vec(), (READ_FILE | WRITE_FILE | IOCTL_DEV) & all),
        (b"/tmp".to_vec(), all),
        (b"/dev/shm".to_vec(), all),
    ];
    if let Some(w) = &run.workdir {
        rules.push((w.clone(), all));
    }
    for m in &p.mounts {
        let rw = matches!(m.kind, MountKind::Bind { rw: true } | MountKind::Tmpfs { .. });
        if rw {
            rules.push((m.dst.as_bytes().to_vec(), all));
        }
    }
    for (path, allowed) in &rules {
        let fd = sys::open(path, libc::O_PATH).map_err(|e| Error::new("landlock", path_str(path), e))?;
        let mut allowed = *allowed;
        // Directory-only rights on a file are rejected: keep the file rights.
        if sys::fstat(fd).map(|s| s.st_mode & libc::S_IFMT != libc::S_IFDIR).unwrap_or(false) {
            allowed &= EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | IOCTL_DEV;
        }
        let r = sys::landlock_allow_beneath(rs.raw(), fd, allowed);
        sys::close(fd);
        r.map_err(|e| Error::new("landlock", format!("rule for {}", path_str(path)), e))?;
    }
    // The target is exec'd through the descriptor the launcher checked, which lies outside
    // the new root: allow exactly that file to be read and executed.
    sys::landlock_allow_beneath(rs.raw(), run.target.fd, EXECUTE | READ_FILE)
        .map_err(|e| Error::new("landlock", "rule for the target", e))?;
    sys::landlock_restrict_self(rs.raw()).map_err(|e| Error::new("landlock", "restrict_self", e))
}

fn path_str(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into()
}
