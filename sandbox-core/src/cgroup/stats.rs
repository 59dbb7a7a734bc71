//! Parsers for cgroup control files. Pure functions over the bytes the kernel returned, so
//! they are tested with real-format contents and never touch the file system.

/// A single number such as `memory.peak`, `cpuacct.usage` or `pids.max` ("max" is `None`).
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    let t = trim(text);
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in t {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// The value of `key` in a flat-keyed file ("key value" per line): memory.events, cpu.stat,
/// pids.events, memory.oom_control, memory.stat.
pub fn keyed(text: &[u8], key: &str) -> Option<u64> {
    for line in text.split(|&c| c == b'\n') {
        let mut it = line.split(|&c| c == b' ').filter(|w| !w.is_empty());
        if it.next() == Some(key.as_bytes()) {
            return it.next().and_then(parse_u64);
        }
    }
    None
}

fn trim(mut t: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = t {
        if first.is_ascii_whitespace() {
            t = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = t {
        if last.is_ascii_whitespace() {
            t = rest;
        } else {
            break;
        }
    }
    t
}

/// Memory events of a run. On v2 these are the `memory.events` counters; on v1 `max` is
/// `memory.failcnt` + `memory.memsw.failcnt` (times a charge failed; may stay 0 when reclaim
/// ends in an OOM kill) and `oom_kill` comes from `memory.oom_control`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryEvents {
    pub low: u64,
    pub high: u64,
    pub max: u64,
    pub oom: u64,
    pub oom_kill: u64,
    pub oom_group_kill: u64,
}

impl MemoryEvents {
    /// v2 `memory.events` (missing keys, e.g. `oom_group_kill` on older kernels, read as 0).
    pub fn parse_v2(text: &[u8]) -> MemoryEvents {
        let k = |name| keyed(text, name).unwrap_or(0);
        MemoryEvents {
            low: k("low"),
            high: k("high"),
            max: k("max"),
            oom: k("oom"),
            oom_kill: k("oom_kill"),
            oom_group_kill: k("oom_group_kill"),
        }
    }
}

/// v1 `memory.oom_control`: the `oom_kill` counter (absent before Linux 4.13).
pub fn v1_oom_kills(oom_control: &[u8]) -> Option<u64> {
    keyed(oom_control, "oom_kill")
}

/// v2 `cpu.stat`: CPU time of the whole subtree in nanoseconds (from `usage_usec`).
pub fn v2_cpu_ns(cpu_stat: &[u8]) -> Option<u64> {
    keyed(cpu_stat, "usage_usec").and_then(|u| u.checked_mul(1000))
}

/// `pids.events` (v1 and v2): how many times a fork failed on `pids.max`.
pub fn pids_max_events(pids_events: &[u8]) -> Option<u64> {
    keyed(pids_events, "max")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"67108864\n"), Some(67108864));
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"max\n"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"9223372036854771712\n"), Some(9223372036854771712));
    }

    #[test]
    fn memory_events_v2() {
        let e = MemoryEvents::parse_v2(b"low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
        assert_eq!(e, MemoryEvents { low: 0, high: 0, max: 12, oom: 1, oom_kill: 1, oom_group_kill: 0 });
        // Older kernels lack oom_group_kill.
        let e = MemoryEvents::parse_v2(b"low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
        assert_eq!((e.max, e.oom_kill, e.oom_group_kill), (3, 2, 0));
    }

    #[test]
    fn memory_peak_and_cpuacct() {
        assert_eq!(parse_u64(b"34156544\n"), Some(34156544));
        assert_eq!(parse_u64(b"1234567890123\n"), Some(1234567890123));
    }

    #[test]
    fn cpu_stat_v2() {
        let s = b"usage_usec 123\nuser_usec 100\nsystem_usec 23\nnr_periods 0\nnr_throttled 0\n\
                  throttled_usec 0\nnr_bursts 0\nburst_usec 0\n";
        assert_eq!(v2_cpu_ns(s), Some(123_000));
        assert_eq!(keyed(s, "user_usec"), Some(100));
        assert_eq!(keyed(s, "nr_throttled"), Some(0));
        // A key that is a prefix of another must not match it.
        assert_eq!(keyed(b"usage_usec_x 5\nusage_usec 7\n", "usage_usec"), Some(7));
        assert_eq!(v2_cpu_ns(b"user_usec 1\n"), None);
    }

    #[test]
    fn pids_events() {
        assert_eq!(pids_max_events(b"max 3\n"), Some(3));
        assert_eq!(pids_max_events(b"max 0\n"), Some(0));
        assert_eq!(pids_max_events(b""), None);
    }

    #[test]
    fn oom_control_v1() {
        assert_eq!(v1_oom_kills(b"oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), Some(2));
        assert_eq!(v1_oom_kills(b"oom_kill_disable 0\nunder_oom 0\n"), None);
        assert_eq!(keyed(b"oom_kill_disable 0\nunder_oom 1\noom_kill 2\n", "under_oom"), Some(1));
    }
}
