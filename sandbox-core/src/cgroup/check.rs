//! `sandbox --check`: what each cgroup hierarchy of this host offers the caller, found by
//! trying (mkdir + rmdir of a temporary child), not by guessing from permissions.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{detect, file, Version};
use crate::sys;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostHierarchy {
    pub version: Version,
    pub mount_point: String,
    pub controllers: Vec<String>,
    /// The caller's own cgroup directory (None: not visible from this mount).
    pub own_dir: Option<String>,
    /// A child `<root>/check-<pid>` could be created (and was removed).
    pub can_create: bool,
    /// errno of the failed mkdir, 0 when it worked.
    pub errno: i32,
    /// v2 memory.peak exists (Linux 5.19+) where memory is on this hierarchy.
    pub memory_peak: bool,
    /// v2 cgroup.kill exists (Linux 5.14+).
    pub cgroup_kill: bool,
    /// v1 memory.memsw.* exist (swap accounting, so swap can be limited).
    pub memsw: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostCgroups {
    pub hierarchies: Vec<HostHierarchy>,
}

/// The report for the default root "sandbox".
pub fn host_report() -> HostCgroups {
    host_report_in("sandbox")
}

/// The report, probing under `<own cgroup>/<root>`; everything it creates it removes.
pub fn host_report_in(root: &str) -> HostCgroups {
    let mut out = HostCgroups::default();
    let Ok(host) = detect::detect() else {
        return out;
    };
    let relevant = ["memory", "pids", "cpu", "cpuacct"];
    for h in &host.hierarchies {
        if h.version == Version::V1 && !relevant.iter().any(|c| h.has(c)) {
            continue;
        }
        let mut r = HostHierarchy {
            version: h.version,
            mount_point: h.mount_point.clone(),
            controllers: h.controllers.clone(),
            own_dir: h.own_dir.clone(),
            can_create: false,
            errno: 0,
            memory_peak: false,
            cgroup_kill: false,
            memsw: false,
        };
        if let Some(own) = &h.own_dir {
            probe(own, root, &mut r);
            let exists = |d: &str, n: &str| sys::fstatat(sys::AT_FDCWD, file(d, n).as_bytes(), 0).is_ok();
            r.memsw = h.version == Version::V1 && h.has("memory") && exists(own, "memory.memsw.limit_in_bytes");
            // The root cgroup has neither file; a child or the caller's own cgroup tells.
            r.memory_peak |= h.version == Version::V2 && exists(own, "memory.peak");
            r.cgroup_kill |= h.version == Version::V2 && exists(own, "cgroup.kill");
        } else {
            r.errno = libc::ENOENT;
        }
        out.hierarchies.push(r);
    }
    out
}

fn probe(own: &str, root: &str, r: &mut HostHierarchy) {
    let parent = format!("{}/{}", super::base_of(own, r.version), root.trim_matches('/'));
    let made_parent = match sys::mkdirat(sys::AT_FDCWD, parent.as_bytes(), 0o755) {
        Ok(()) => true,
        Err(libc::EEXIST) => false,
        Err(e) => {
            r.errno = e;
            return;
        }
    };
    let child = format!("{parent}/check-{}", sys::getpid());
    match sys::mkdirat(sys::AT_FDCWD, child.as_bytes(), 0o755) {
        Ok(()) => {
            r.can_create = true;
            let exists = |n: &str| sys::fstatat(sys::AT_FDCWD, file(&child, n).as_bytes(), 0).is_ok();
            if r.version == Version::V2 {
                r.cgroup_kill = exists("cgroup.kill");
                r.memory_peak = exists("memory.peak");
            }
            let _ = sys::unlinkat(sys::AT_FDCWD, child.as_bytes(), libc::AT_REMOVEDIR);
        }
        Err(e) => r.errno = e,
    }
    if made_parent {
        let _ = sys::unlinkat(sys::AT_FDCWD, parent.as_bytes(), libc::AT_REMOVEDIR);
    }
}
