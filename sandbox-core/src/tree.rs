//! The run's process tree seen from /proc, for the limits no cgroup can enforce (rootless on
//! a host without a delegated cgroup): tree CPU time for `--time`, resident memory for
//! `--memory`. The supervisor samples it on its timer, only while the run lives.
//!
//! The tree is found from init's host pid through `/proc/PID/task/TID/children` (every
//! thread: a child belongs to the thread that forked it). Orphans are reparented to init
//! (the pid namespace's reaper), so nothing leaves the tree while the run lives.
//!
//! CPU time: every process, live or zombie, counts its own time (live threads by
//! `schedstat`, in ns; the thread group's total, dead threads included, by `stat`'s
//! utime+stime in clock ticks: the larger of the two) plus `cutime+cstime`, the time of the
//! children it has reaped (their own reaped children included). A reaped process is thus
//! counted once, in its reaper. A parent's `stat` is always read before its children's, so a
//! child reaped between the two reads is missed for one sample, never counted twice.
//!
//! Memory: the sum of every process's RSS (`stat`, one read per process). RSS counts a page
//! shared by several processes (after fork, shared libraries) once per process, so when the
//! sum exceeds the limit with more than one process, the proportional set size
//! (`smaps_rollup`, which walks the page tables: dearer, only then) decides.

use crate::sys;
use alloc::format;
use alloc::vec::Vec;

/// USER_HZ: the unit of /proc's clock ticks on every Linux ABI.
const TICK_NS: u64 = 10_000_000;
const PAGE: u64 = 4096;
/// Bound on one walk (pids_max is far lower in practice): a sample always ends.
const MAX_PROCS: usize = 1 << 16;

#[derive(Default)]
pub struct Sample {
    pub cpu_ns: u64,
    pub rss: u64,
    pub pids: Vec<i32>,
}

impl Sample {
    /// The tree's memory for the verdict: RSS, or PSS when the RSS sum is over `limit` and
    /// pages may be counted more than once.
    pub fn memory(&self, limit: u64) -> u64 {
        if self.rss <= limit || self.pids.len() <= 1 {
            return self.rss;
        }
        self.pids.iter().map(|&p| pss(p)).sum::<u64>().min(self.rss)
    }
}

/// Walk the tree under `init` (a host pid).
pub fn sample(init: i32) -> Sample {
    let mut s = Sample::default();
    let mut todo: Vec<i32> = alloc::vec![init];
    while let Some(pid) = todo.pop() {
        if s.pids.len() >= MAX_PROCS {
            break;
        }
        let Ok(stat) = sys::read_file(format!("/proc/{pid}/stat").as_bytes()) else {
            continue; // gone since its parent listed it: its time is in the parent now
        };
        let Some(f) = stat_fields(&stat) else { continue };
        let own_ticks_ns = (f.utime + f.stime) * TICK_NS;
        let mut live_ns = 0;
        for_each_task(pid, |tid| {
            live_ns += schedstat_ns(pid, tid);
            children(pid, tid, &mut todo);
        });
        s.cpu_ns += own_ticks_ns.max(live_ns) + (f.cutime + f.cstime) * TICK_NS;
        s.rss += f.rss_pages * PAGE;
        s.pids.push(pid);
    }
    s
}

struct Stat {
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
    rss_pages: u64,
}

/// `/proc/PID/stat`: fields after the command name (which may hold spaces and parentheses,
/// hence the last ')').
fn stat_fields(b: &[u8]) -> Option<Stat> {
    let close = b.iter().rposition(|&c| c == b')')?;
    let rest = core::str::from_utf8(&b[close + 1..]).ok()?;
    let mut it = rest.split_ascii_whitespace();
    // Field n of proc(5) is item n - 3 here (item 0 is the state, field 3).
    let mut nth = |skip: usize| it.nth(skip).and_then(|v| v.parse::<u64>().ok());
    let utime = nth(11)?; // field 14
    let stime = nth(0)?; // 15
    let cutime = nth(0)?; // 16
    let cstime = nth(0)?; // 17
    let rss_pages = nth(6)?; // 24
    Some(Stat { utime, stime, cutime, cstime, rss_pages })
}

fn for_each_task(pid: i32, mut f: impl FnMut(i32)) {
    sys::for_each_dirent(format!("/proc/{pid}/task").as_bytes(), |name| {
        if let Some(tid) = core::str::from_utf8(name).ok().and_then(|t| t.parse::<i32>().ok()) {
            f(tid);
        }
    });
}

fn schedstat_ns(pid: i32, tid: i32) -> u64 {
    sys::read_file(format!("/proc/{pid}/task/{tid}/schedstat").as_bytes())
        .ok()
        .and_then(|b| core::str::from_utf8(&b).ok()?.split_ascii_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn children(pid: i32, tid: i32, out: &mut Vec<i32>) {
    if let Ok(b) = sys::read_file(format!("/proc/{pid}/task/{tid}/children").as_bytes()) {
        if let Ok(t) = core::str::from_utf8(&b) {
            out.extend(t.split_ascii_whitespace().filter_map(|c| c.parse::<i32>().ok()));
        }
    }
}

/// Proportional set size of one process, bytes (0 when gone or unreadable).
fn pss(pid: i32) -> u64 {
    let Ok(b) = sys::read_file(format!("/proc/{pid}/smaps_rollup").as_bytes()) else { return 0 };
    let Ok(t) = core::str::from_utf8(&b) else { return 0 };
    t.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_ascii_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parsing_survives_odd_names() {
        let line =
            b"42 (a) b (c) R 1 42 42 0 -1 4194304 100 0 0 0 7 3 2 1 20 0 1 0 999 1000000 250 18446744073709551615";
        let f = stat_fields(line).unwrap();
        assert_eq!((f.utime, f.stime, f.cutime, f.cstime, f.rss_pages), (7, 3, 2, 1, 250));
    }

    #[test]
    fn samples_this_process_and_a_child() {
        let me = sys::getpid();
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let s = sample(me);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(s.pids.contains(&me) && s.pids.contains(&(child.id() as i32)), "{:?}", s.pids);
        assert!(s.rss > 1 << 20 && s.cpu_ns > 0, "rss {} cpu {}", s.rss, s.cpu_ns);
        assert!(pss(me) > 0 && pss(me) <= s.rss);
    }
}
