//! What a client of `sandbox --serve` may ask for: the server's policy is the ceiling. A
//! request's policy is the server's flags, then the client's config and flags on top; it is
//! refused unless it contains the program at least as much as the ceiling in every respect.
//!
//! Fields are compared one by one; anything not named here must equal the ceiling, so a key
//! added to the policy later is refused (not silently allowed) until it is classified.

use sandbox_core::policy::{Landlock, Net, Seccomp};
use sandbox_core::Policy;

fn net_rank(n: &Net) -> u8 {
    match n {
        Net::None => 0,
        Net::Loopback => 1,
        Net::Host => 2,
    }
}

fn net_name(n: &Net) -> &'static str {
    match n {
        Net::None => "none",
        Net::Loopback => "loopback",
        Net::Host => "host",
    }
}

/// A filter at least as strict as `c`: the same, any filter where the ceiling has none, or a
/// named narrowing of `default` (compile: sockets AF_UNIX only; strict).
fn seccomp_within(p: &Seccomp, c: &Seccomp) -> bool {
    p == c || *c == Seccomp::None || (*c == Seccomp::Default && matches!(p, Seccomp::Compile | Seccomp::Strict))
}

/// `Some(p) <= Some(c)`, where `None` is unlimited.
fn limit_within(p: Option<u64>, c: Option<u64>) -> bool {
    match (p, c) {
        (_, None) => true,
        (Some(p), Some(c)) => p <= c,
        (None, Some(_)) => false,
    }
}

/// Ok when `p` is within `ceiling`; else the first way it is not, as one line.
pub fn check(p: &Policy, ceiling: &Policy) -> Result<(), String> {
    let (l, c) = (&p.limits, &ceiling.limits);
    let limits = [
        ("memory", l.memory, c.memory),
        ("address-space", l.address_space, c.address_space),
        ("time", l.time, c.time),
        ("wall-time", l.wall_time, c.wall_time),
        ("pids", l.pids, c.pids),
        ("files", l.files, c.files),
        ("fsize", l.fsize, c.fsize),
        ("output", l.output, c.output),
        ("stack", l.stack, c.stack),
        ("cpus", l.cpus_milli, c.cpus_milli),
        ("disk", l.disk, c.disk),
        ("inodes", l.inodes, c.inodes),
    ];
    for (name, pv, cv) in limits {
        if !limit_within(pv, cv) {
            let asked = pv.map_or("no limit".to_string(), |v| v.to_string());
            return Err(format!("--{name}: {asked} is beyond this server's limit ({})", cv.unwrap_or(0)));
        }
    }
    // A higher nice value is a lower priority: the client may only raise it.
    if let Some(cn) = c.nice {
        if l.nice.is_none_or(|pn| pn < cn) {
            return Err(format!("--nice: below this server's {cn}"));
        }
    }
    if net_rank(&p.net) > net_rank(&ceiling.net) {
        return Err(format!("--net {}: this server allows at most --net {}", net_name(&p.net), net_name(&ceiling.net)));
    }
    if !seccomp_within(&p.seccomp, &ceiling.seccomp) {
        return Err(
            format!("--seccomp: {:?} is not within this server's {:?}", p.seccomp, ceiling.seccomp).to_lowercase()
        );
    }
    if ceiling.landlock != Landlock::Off && p.landlock == Landlock::Off {
        return Err("--landlock off: this server requires Landlock where the kernel has it".into());
    }
    if ceiling.landlock == Landlock::On && p.landlock != Landlock::On {
        return Err("--landlock: this server requires --landlock on".into());
    }
    if ceiling.processes == Some(false) && p.processes != Some(false) {
        return Err("--processes yes: this server runs programs without new processes".into());
    }
    if let Some(m) = p.mounts.iter().find(|m| !ceiling.mounts.contains(m)) {
        return Err(format!("--bind/--tmpfs {} -> {}: not one of this server's mounts", m.src, m.dst));
    }
    if let Some(v) = p.visible.iter().find(|v| !ceiling.visible.contains(v)) {
        return Err(format!("{v}: not a path this server shows"));
    }
    if ceiling.workdir.is_none() && p.workdir.is_some() {
        return Err("--workdir: this server runs programs without a work dir".into());
    }
    if p.tmp_size > ceiling.tmp_size {
        return Err(format!("--tmp-size {}: beyond this server's {}", p.tmp_size, ceiling.tmp_size));
    }
    if p.lib != ceiling.lib {
        return Err("--lib: the library is the server's".into());
    }
    if p.cgroup_root != ceiling.cgroup_root || p.cgroup_dir != ceiling.cgroup_dir {
        return Err("--cgroup-root/--cgroup-dir: the cgroups are the server's".into());
    }
    // Everything else is the client's own business (its files, its program's environment and
    // descriptors, names): made equal here, the rest must then match exactly.
    let mut rest = p.clone();
    rest.limits = ceiling.limits.clone();
    rest.net = ceiling.net;
    rest.seccomp = ceiling.seccomp.clone();
    rest.landlock = ceiling.landlock;
    rest.processes = ceiling.processes;
    rest.mounts = ceiling.mounts.clone();
    rest.visible = ceiling.visible.clone();
    rest.workdir = ceiling.workdir.clone();
    rest.tmp_size = ceiling.tmp_size;
    rest.chdir = ceiling.chdir.clone();
    rest.hostname = ceiling.hostname.clone();
    rest.report = ceiling.report.clone();
    rest.meta = ceiling.meta.clone();
    rest.quiet = ceiling.quiet;
    rest.verbose = ceiling.verbose;
    rest.env = ceiling.env.clone();
    rest.keep_env = ceiling.keep_env.clone();
    rest.inherit_env = ceiling.inherit_env;
    rest.keep_fds = ceiling.keep_fds.clone();
    if rest != *ceiling {
        return Err("the request differs from this server's policy in a way it cannot allow".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(kv: &[(&str, &str)]) -> Policy {
        let mut p = Policy::default();
        for (k, v) in kv {
            crate::options::set(&mut p, k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
        }
        p.finalize();
        p
    }

    #[test]
    fn the_ceiling_itself_and_anything_tighter_pass() {
        let c = policy(&[("memory", "256M"), ("time", "2"), ("net", "loopback")]);
        check(&c, &c).unwrap();
        let tighter =
            policy(&[("memory", "64M"), ("time", "1"), ("net", "none"), ("seccomp", "strict"), ("pids", "8")]);
        check(&tighter, &c).unwrap();
        let own = policy(&[("memory", "256M"), ("time", "2"), ("report", "r.json"), ("env", "A=1"), ("chdir", "/tmp")]);
        check(&own, &c).unwrap();
    }

    #[test]
    fn every_loosening_is_refused_with_its_key() {
        let c = policy(&[("memory", "256M"), ("time", "2"), ("net", "none"), ("processes", "no"), ("nice", "5")]);
        let base: &[(&str, &str)] =
            &[("memory", "256M"), ("time", "2"), ("net", "none"), ("processes", "no"), ("nice", "5")];
        let cases: &[(&str, &str, &str)] = &[
            ("memory", "512M", "--memory"),
            ("time", "3", "--time"),
            ("net", "loopback", "--net"),
            ("net", "host", "--net"),
            ("processes", "yes", "--processes"),
            ("nice", "0", "--nice"),
            ("seccomp", "none", "--seccomp"),
            ("landlock", "off", "--landlock"),
            ("bind", "/srv", "--bind"),
            ("tmpfs", "/x", "--bind/--tmpfs"),
            ("tmp-size", "1G", "--tmp-size"),
            ("lib", "/tmp/evil.so", "--lib"),
            ("cgroup-root", "elsewhere", "--cgroup-root"),
        ];
        for (k, v, want) in cases {
            let mut kv = base.to_vec();
            kv.push((k, v));
            let e = check(&policy(&kv), &c).unwrap_err();
            assert!(e.contains(want), "{k}={v}: {e}");
        }
        // A limit the ceiling has cannot be dropped by leaving it out.
        let e = check(&policy(&[("net", "none"), ("processes", "no"), ("nice", "5")]), &c).unwrap_err();
        assert!(e.contains("--memory: no limit"), "{e}");
    }

    #[test]
    fn seccomp_narrows_only() {
        assert!(seccomp_within(&Seccomp::Strict, &Seccomp::Default));
        assert!(seccomp_within(&Seccomp::Compile, &Seccomp::Default));
        assert!(seccomp_within(&Seccomp::Default, &Seccomp::None));
        assert!(!seccomp_within(&Seccomp::Default, &Seccomp::Strict));
        assert!(!seccomp_within(&Seccomp::None, &Seccomp::Default));
        assert!(!seccomp_within(&Seccomp::File("/x".into()), &Seccomp::Default));
    }
}
