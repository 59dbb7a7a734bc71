//! cgroup v2: one unified hierarchy; controllers are enabled per subtree, and even a leaf
//! without controllers accounts CPU time (cpu.stat) and can kill its tree (cgroup.kill).

use alloc::string::String;
use alloc::{format, vec::Vec};

use super::{file, put, read, stats, unavailable, Ctl, MemoryEvents};
use crate::error::{Error, Result};
use crate::policy::Limits;
use crate::sys;

const NAMES: [(&str, u8); 3] = [("memory", Ctl::MEMORY), ("pids", Ctl::PIDS), ("cpu", Ctl::CPU)];

/// The controllers of `wanted` that `dir` (a cgroup of ours) can hand to its children.
/// Enables them in `dir/cgroup.subtree_control`; a directory we may not write gives none.
pub(super) fn enable(dir: &str, wanted: Ctl) -> Result<Ctl> {
    let avail = read(dir, "cgroup.controllers").unwrap_or_default();
    let avail: Vec<&[u8]> = avail.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect();
    let mut got = Ctl::default();
    let mut line = String::new();
    for (name, bit) in NAMES {
        if wanted.has(bit) && avail.contains(&name.as_bytes()) {
            got = got.with(bit);
            line.push_str(if line.is_empty() { "+" } else { " +" });
            line.push_str(name);
        }
    }
    if line.is_empty() {
        return Ok(got);
    }
    let p = file(dir, "cgroup.subtree_control");
    match sys::write_file(p.as_bytes(), line.as_bytes()) {
        Ok(()) => Ok(got),
        Err(e) if unavailable(e) => Ok(Ctl::default()),
        Err(e) => Err(Error::new("cgroup", p, e)),
    }
}

/// Controllers whose files exist in `dir` (for a directory the caller prepared).
pub(super) fn present(dir: &str) -> Ctl {
    let mut c = Ctl::default();
    for (name, bit) in [("memory.max", Ctl::MEMORY), ("pids.max", Ctl::PIDS), ("cpu.max", Ctl::CPU)] {
        if sys::fstatat(sys::AT_FDCWD, file(dir, name).as_bytes(), 0).is_ok() {
            c = c.with(bit);
        }
    }
    c
}

/// Write the requested limits of the controllers in `ctl`; any failure is an error.
pub(super) fn apply(dir: &str, ctl: Ctl, l: &Limits) -> Result<()> {
    if ctl.has(Ctl::MEMORY) {
        if let Some(m) = l.memory {
            put(dir, "memory.max", &format!("{m}"))?;
            // No swap for the run; the file is absent without swap accounting.
            optional(dir, "memory.swap.max", "0")?;
            // An OOM kill takes the whole run, not one process of it.
            optional(dir, "memory.oom.group", "1")?;
        }
        // Writable on newer kernels only: restarts the peak of a reused directory.
        let _ = sys::write_file(file(dir, "memory.peak").as_bytes(), b"0");
    }
    super::apply_pids(dir, ctl, l)?;
    if ctl.has(Ctl::CPU) {
        if let Some(m) = l.cpus_milli {
            let (quota, period) = super::cfs(m);
            put(dir, "cpu.max", &format!("{quota} {period}"))?;
        }
    }
    Ok(())
}

fn optional(dir: &str, name: &str, v: &str) -> Result<()> {
    match put(dir, name, v) {
        Err(e) if e.errno == libc::ENOENT => Ok(()),
        r => r,
    }
}

/// Kill every process of the tree at once (Linux 5.14+). ENOENT: no cgroup.kill here.
pub(super) fn kill(dir: &str) -> sys::R<()> {
    sys::write_file(file(dir, "cgroup.kill").as_bytes(), b"1")
}

pub(super) fn cpu_ns(dir: &str) -> Option<u64> {
    stats::v2_cpu_ns(&read(dir, "cpu.stat")?)
}

pub(super) fn peak_memory(dir: &str) -> Option<u64> {
    stats::parse_u64(&read(dir, "memory.peak")?)
}

pub(super) fn memory_events(dir: &str) -> Option<MemoryEvents> {
    Some(MemoryEvents::parse_v2(&read(dir, "memory.events")?))
}
