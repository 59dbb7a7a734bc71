//! cgroup v1: one hierarchy per controller (or a few co-mounted), limits in the legacy files.

use alloc::format;

use super::{file, put, read, stats, Api, Ctl, MemoryEvents, Version};
use crate::error::Result;
use crate::policy::Limits;
use crate::sys;

#[derive(Debug)]
pub(super) struct V1;

impl Api for V1 {
    fn version(&self) -> Version {
        Version::V1
    }
    /// Each v1 hierarchy carries its controllers everywhere: only the directories are made.
    fn prepare(&self, base: &str, root: &str, want: Ctl) -> Result<Option<Ctl>> {
        Ok(super::mkdir_path(base, root)?.then_some(want))
    }
    fn present(&self, dir: &str) -> Ctl {
        present(dir)
    }
    fn apply(&self, dir: &str, ctl: Ctl, l: &Limits) -> Result<()> {
        apply(dir, ctl, l)
    }
    fn cpu_ns(&self, dir: &str, ctl: Ctl) -> Option<u64> {
        if ctl.has(Ctl::CPUACCT) {
            stats::parse_u64(&read(dir, "cpuacct.usage")?)
        } else {
            None
        }
    }
    fn peak_memory(&self, dir: &str) -> Option<u64> {
        stats::parse_u64(&read(dir, "memory.max_usage_in_bytes")?)
    }
    fn memory_events(&self, dir: &str) -> Option<MemoryEvents> {
        memory_events(dir)
    }
    /// v1 has no cgroup.kill: the caller signals every pid of cgroup.procs.
    fn kill(&self, _dir: &str) -> bool {
        false
    }
}

/// Controllers whose files exist in `dir` (for a directory the caller prepared).
fn present(dir: &str) -> Ctl {
    let mut c = Ctl::default();
    for (name, bit) in [
        ("memory.limit_in_bytes", Ctl::MEMORY),
        ("pids.max", Ctl::PIDS),
        ("cpu.cfs_quota_us", Ctl::CPU),
        ("cpuacct.usage", Ctl::CPUACCT),
    ] {
        if sys::fstatat(sys::AT_FDCWD, file(dir, name).as_bytes(), 0).is_ok() {
            c = c.with(bit);
        }
    }
    c
}

/// Write the requested limits of the controllers in `ctl`. Any failure is an error: the
/// directory is ours (or was handed to us) and a limit that silently does not apply is worse
/// than no run.
fn apply(dir: &str, ctl: Ctl, l: &Limits) -> Result<()> {
    if ctl.has(Ctl::MEMORY) {
        if let Some(m) = l.memory {
            let v = format!("{m}");
            put(dir, "memory.limit_in_bytes", &v)?;
            // Same value for memory+swap: the run cannot swap. Absent without swap accounting.
            match sys::write_file(file(dir, "memory.memsw.limit_in_bytes").as_bytes(), v.as_bytes()) {
                Ok(()) | Err(libc::ENOENT) => {}
                Err(e) => return Err(crate::Error::new("cgroup", file(dir, "memory.memsw.limit_in_bytes"), e)),
            }
        }
        // A directory handed to us may have been used before: restart the peak.
        let _ = sys::write_file(file(dir, "memory.max_usage_in_bytes").as_bytes(), b"0");
    }
    super::apply_pids(dir, ctl, l)?;
    if ctl.has(Ctl::CPU) {
        if let Some(m) = l.cpus_milli {
            let (quota, period) = super::cfs(m);
            put(dir, "cpu.cfs_period_us", &format!("{period}"))?;
            put(dir, "cpu.cfs_quota_us", &format!("{quota}"))?;
        }
    }
    Ok(())
}

fn memory_events(dir: &str) -> Option<MemoryEvents> {
    let oc = read(dir, "memory.oom_control")?;
    Some(MemoryEvents {
        // A charge fails on one counter: memory, or memory+swap first when both limits are equal.
        max: count(dir, "memory.failcnt") + count(dir, "memory.memsw.failcnt"),
        oom: stats::keyed(&oc, "under_oom").unwrap_or(0),
        oom_kill: stats::v1_oom_kills(&oc).unwrap_or(0),
        ..MemoryEvents::default()
    })
}

fn count(dir: &str, name: &str) -> u64 {
    read(dir, name).and_then(|t| stats::parse_u64(&t)).unwrap_or(0)
}
