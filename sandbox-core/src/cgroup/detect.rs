//! Where the cgroup hierarchies are and where the caller sits in each: parsed from
//! /proc/self/mountinfo and /proc/self/cgroup at run time, never assumed.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::Version;
use crate::error::{Ctx, Result};
use crate::sys;

/// Controllers the sandbox knows on v1 (anything else in the super options is a flag).
const V1_CONTROLLERS: &[&str] = &[
    "cpuset",
    "cpu",
    "cpuacct",
    "blkio",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "perf_event",
    "net_prio",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
];

/// One cgroup mount as seen from this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub version: Version,
    /// Where it is mounted, e.g. /sys/fs/cgroup/memory.
    pub mount_point: String,
    /// The cgroup shown at the mount point (mountinfo field 4), usually "/".
    pub mount_root: String,
    /// v1: controllers bound to it (and `name=X` for named hierarchies); v2: the caller's
    /// own `cgroup.controllers`.
    pub controllers: Vec<String>,
    /// The caller's own cgroup directory in this hierarchy, when it is visible here.
    pub own_dir: Option<String>,
}

impl Hierarchy {
    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// Every cgroup hierarchy of this process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    pub hierarchies: Vec<Hierarchy>,
}

impl Host {
    /// The v1 hierarchy carrying `controller`, or the v2 one if it carries it there.
    pub fn for_controller(&self, controller: &str) -> Option<&Hierarchy> {
        self.hierarchies.iter().find(|h| h.own_dir.is_some() && h.has(controller))
    }
    pub fn v2(&self) -> Option<&Hierarchy> {
        self.hierarchies.iter().find(|h| h.version == Version::V2 && h.own_dir.is_some())
    }
}

/// One line of /proc/self/mountinfo that is a cgroup or cgroup2 mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    pub version: Version,
    pub root: String,
    pub mount_point: String,
    /// v1 controllers from the super options; empty for v2.
    pub controllers: Vec<String>,
}

/// The cgroup mounts of a mountinfo text (first mount of each hierarchy wins).
pub fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut out: Vec<CgroupMount> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        // id parent maj:min root mount_point options [optional...] - fstype source super_options
        let Some(sep) = f.iter().position(|w| *w == "-") else {
            continue;
        };
        if sep < 6 || f.len() < sep + 4 {
            continue;
        }
        let version = match f[sep + 1] {
            "cgroup" => Version::V1,
            "cgroup2" => Version::V2,
            _ => continue,
        };
        let controllers: Vec<String> = if version == Version::V1 {
            f[sep + 3]
                .split(',')
                .filter(|o| V1_CONTROLLERS.contains(o) || o.starts_with("name="))
                .map(|o| o.to_string())
                .collect()
        } else {
            Vec::new()
        };
        let m = CgroupMount { version, root: unescape(f[3]), mount_point: unescape(f[4]), controllers };
        let dup = out.iter().any(|o| o.version == m.version && same_set(&o.controllers, &m.controllers));
        if !dup {
            out.push(m);
        }
    }
    out
}

/// One line of /proc/self/cgroup: hierarchy id, controllers, path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: u32,
    pub controllers: Vec<String>,
    pub path: String,
}

pub fn parse_proc_cgroup(text: &str) -> Vec<Membership> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut it = line.splitn(3, ':');
        let (Some(id), Some(ctl), Some(path)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(id) = id.parse() else { continue };
        let controllers = ctl.split(',').filter(|c| !c.is_empty()).map(|c| c.to_string()).collect();
        out.push(Membership { id, controllers, path: path.to_string() });
    }
    out
}

/// The directory of cgroup `path` under a mount of cgroup `root` at `mount_point`, if the
/// mount shows it (a mount of a subtree only shows paths below its root).
pub fn dir_of(mount_point: &str, root: &str, path: &str) -> Option<String> {
    let rel = if root == "/" {
        path
    } else if path == root {
        ""
    } else {
        path.strip_prefix(root).filter(|r| r.starts_with('/'))?
    };
    let rel = rel.trim_end_matches('/');
    let mut d = String::from(mount_point.trim_end_matches('/'));
    if d.is_empty() {
        d.push('/');
    }
    if !rel.is_empty() && rel != "/" {
        if !rel.starts_with('/') {
            d.push('/');
        }
        d.push_str(rel);
    }
    Some(d)
}

/// Join mounts and memberships into hierarchies (pure; `read_controllers` reads a v2
/// cgroup's `cgroup.controllers`).
pub fn combine(mounts: &[CgroupMount], members: &[Membership], read_controllers: impl Fn(&str) -> Vec<String>) -> Host {
    let mut host = Host::default();
    for m in mounts {
        let member = members.iter().find(|g| match m.version {
            Version::V2 => g.id == 0 && g.controllers.is_empty(),
            Version::V1 => g.id != 0 && same_set(&g.controllers, &m.controllers),
        });
        let own_dir = member.and_then(|g| dir_of(&m.mount_point, &m.root, &g.path));
        let controllers = match (m.version, &own_dir) {
            (Version::V2, Some(d)) => read_controllers(d),
            (Version::V2, None) => Vec::new(),
            (Version::V1, _) => m.controllers.clone(),
        };
        host.hierarchies.push(Hierarchy {
            version: m.version,
            mount_point: m.mount_point.clone(),
            mount_root: m.root.clone(),
            controllers,
            own_dir,
        });
    }
    host
}

/// Detect the hierarchies of the calling process.
pub fn detect() -> Result<Host> {
    let mi = sys::read_file(b"/proc/self/mountinfo").ctx("cgroup", "read /proc/self/mountinfo")?;
    let cg = sys::read_file(b"/proc/self/cgroup").ctx("cgroup", "read /proc/self/cgroup")?;
    let mounts = parse_mountinfo(&String::from_utf8_lossy(&mi));
    let members = parse_proc_cgroup(&String::from_utf8_lossy(&cg));
    Ok(combine(&mounts, &members, |dir| {
        let mut p = String::from(dir);
        p.push_str("/cgroup.controllers");
        match sys::read_file(p.as_bytes()) {
            Ok(t) => String::from_utf8_lossy(&t).split_whitespace().map(|c| c.to_string()).collect(),
            Err(_) => Vec::new(),
        }
    }))
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// Undo mountinfo's octal escapes (`\040` for space, `\011`, `\012`, `\134`).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const MOUNTINFO: &str = "\
23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
90 35 0:32 /process_api /mnt/mem\\040x rw,relatime - cgroup cgroup rw,memory
";
    const PROC_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
4:memory:/process_api/0ddad217
2:cpuacct:/
1:cpu:/
0::/
";

    #[test]
    fn mountinfo() {
        let m = parse_mountinfo(MOUNTINFO);
        assert_eq!(m.len(), 6, "{m:?}");
        assert_eq!(m[0].mount_point, "/sys/fs/cgroup/cpu");
        assert_eq!(m[0].controllers, vec!["cpu"]);
        assert_eq!(m[4].controllers, vec!["name=systemd"]);
        assert_eq!(m[5].version, Version::V2);
        assert!(m[5].controllers.is_empty());
        let co = parse_mountinfo("1 2 0:9 / /c rw - cgroup cgroup rw,nosuid,cpu,cpuacct,clone_children\n");
        assert_eq!(co[0].controllers, vec!["cpu", "cpuacct"]);
        // An escaped mount point of a subtree mount.
        let sub = parse_mountinfo("90 35 0:32 /process_api /mnt/mem\\040x rw - cgroup cgroup rw,memory\n");
        assert_eq!(sub[0].mount_point, "/mnt/mem x");
        assert_eq!(sub[0].root, "/process_api");
    }

    #[test]
    fn proc_cgroup() {
        let g = parse_proc_cgroup(PROC_CGROUP);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[2],
            Membership { id: 4, controllers: vec!["memory".into()], path: "/process_api/0ddad217".into() }
        );
        assert_eq!(g[5], Membership { id: 0, controllers: vec![], path: "/".into() });
        let co = parse_proc_cgroup("3:cpu,cpuacct:/a/b\n");
        assert_eq!(co[0].controllers, vec!["cpu", "cpuacct"]);
    }

    #[test]
    fn dirs() {
        assert_eq!(dir_of("/sys/fs/cgroup/memory", "/", "/a/b").as_deref(), Some("/sys/fs/cgroup/memory/a/b"));
        assert_eq!(dir_of("/sys/fs/cgroup/unified", "/", "/").as_deref(), Some("/sys/fs/cgroup/unified"));
        assert_eq!(dir_of("/m", "/a", "/a/b").as_deref(), Some("/m/b"));
        assert_eq!(dir_of("/m", "/a", "/a").as_deref(), Some("/m"));
        assert_eq!(dir_of("/m", "/a", "/ab"), None);
        assert_eq!(dir_of("/m", "/a", "/x"), None);
    }

    #[test]
    fn combined() {
        let host = combine(&parse_mountinfo(MOUNTINFO), &parse_proc_cgroup(PROC_CGROUP), |_| vec!["hugetlb".into()]);
        let mem = host.for_controller("memory").unwrap();
        assert_eq!(mem.own_dir.as_deref(), Some("/sys/fs/cgroup/memory/process_api/0ddad217"));
        assert_eq!(host.for_controller("cpu").unwrap().own_dir.as_deref(), Some("/sys/fs/cgroup/cpu"));
        let v2 = host.v2().unwrap();
        assert_eq!(v2.own_dir.as_deref(), Some("/sys/fs/cgroup/unified"));
        assert_eq!(v2.controllers, vec!["hugetlb"]);
        assert!(host.for_controller("io").is_none());
    }

    #[test]
    fn this_machine() {
        // Whatever the host is, detection must not fail and every visible dir must exist.
        let host = detect().unwrap();
        for h in &host.hierarchies {
            if let Some(d) = &h.own_dir {
                assert!(std::path::Path::new(d).is_dir(), "{d}");
            }
        }
    }
}
