//! Differential test: the sandbox's BPF compiler against libseccomp, for the built-in
//! profiles and generated policy files, on every syscall number 0..1023 of x86-64, i386 and
//! x32, plus argument cases for every rule that inspects arguments. Both programs run in the
//! same exact classic-BPF interpreter, which a second test checks against the real kernel.

use libc::sock_filter;
use sandbox_core::policy::Seccomp;
use sandbox_core::seccomp::rules::{Ruleset, Test};
use sandbox_core::seccomp::syscalls::{self, nr};
use sandbox_core::seccomp::{self, Options, GROUPS, PROBE_MAGIC, PROBE_NR};
use seccomp_diff::*;

const COOKIE: u64 = 0x1234_5678_9abc_def0;

fn option_sets() -> Vec<Options> {
    let mut v = Vec::new();
    for exec_cookie in [0, COOKIE] {
        for notify in [false, true] {
            for no_processes in [false, true] {
                v.push(Options { exec_cookie, notify, no_processes });
            }
        }
    }
    v
}

/// Argument values worth trying for a rule set: edges, every single bit, the constants the
/// rules name (and their neighbours, with and without high bits), the magic and the cookie
/// with each bit flipped, and a few random words.
fn arg_values(rs: &Ruleset) -> Vec<u64> {
    let mut v: Vec<u64> =
        vec![0, 1, 0x11, 0xffff_ffff, 0x1_0000_0000, 0xffff_ffff_0000_0000, u64::MAX, PROBE_MAGIC, COOKIE];
    v.extend((0..64).map(|i| 1u64 << i));
    v.extend((0..64).map(|i| PROBE_MAGIC ^ (1 << i)));
    v.extend((0..64).map(|i| COOKIE ^ (1 << i)));
    v.extend([PROBE_MAGIC & 0xffff_ffff, PROBE_MAGIC >> 32 << 32, COOKIE & 0xffff_ffff, COOKIE >> 32 << 32]);
    // Clone flags: namespaces, fork's (SIGCHLD | CLONE_CHILD_*TID), a pthread's, vfork's
    // (CLONE_VM | CLONE_VFORK | SIGCHLD), CLONE_THREAD alone and with a namespace bit.
    // Modes: set-id bits with common permissions, the sticky bit. Socket families.
    let mut k: Vec<u32> = vec![
        CLONE_NS,
        CLONE_NS | CLONE_NEWTIME,
        CLONE_NEWTIME,
        0x0100_0011,
        0x0120_0011,
        0x003d_0f00,
        0x0000_4111,
        CLONE_THREAD,
        CLONE_THREAD | libc::CLONE_NEWNS as u32,
        0o4755,
        0o2755,
        0o6777,
        0o1777,
        0o0755,
        0o0644,
        0o100_644,
        libc::AF_INET as u32,
        libc::AF_INET6 as u32,
        libc::AF_NETLINK as u32,
        libc::AF_PACKET as u32,
    ];
    for r in &rs.args {
        match r.test {
            Test::OneOf(vals) => k.extend(vals),
            Test::AnyBit(bits) => k.push(bits),
        }
    }
    for c in k {
        for d in [c, c.wrapping_add(1), c.wrapping_sub(1), !c] {
            for hi in [0u64, 1, 0xffff_ffff] {
                v.push(hi << 32 | d as u64);
            }
        }
    }
    let mut r = Rng(0x5eed);
    v.extend((0..32).map(|_| r.word()));
    v.sort_unstable();
    v.dedup();
    v
}

/// Every (arch, nr, args) case for one rule set.
fn cases(rs: &Ruleset) -> Vec<Data> {
    let mut c = Vec::new();
    let zero = [0u64; 6];
    for n in 0..1024u32 {
        c.push(Data::new(AUDIT_ARCH_X86_64, n, zero));
        c.push(Data::new(AUDIT_ARCH_X86_64, X32_BIT | n, zero));
        c.push(Data::new(AUDIT_ARCH_I386, n, zero));
    }
    for n in [PROBE_NR - 1, PROBE_NR + 1, 0x3fff_ffff, 0x7fff_ffff, 0xffff_ffff] {
        c.push(Data::new(AUDIT_ARCH_X86_64, n, zero));
    }
    for n in [0, 39, 59, 1023] {
        c.push(Data::new(AUDIT_ARCH_AARCH64, n, zero));
    }
    // Syscalls whose outcome depends on arguments: always-on steps and the profile's rules.
    let mut inspected = vec![
        PROBE_NR,
        nr("clone"),
        nr("unshare"),
        nr("execve"),
        nr("execveat"),
        nr("clone3"),
        nr("fork"),
        nr("vfork"),
        nr("openat2"),
    ];
    inspected.extend(rs.args.iter().map(|r| r.nr));
    inspected.extend([nr("ioctl"), nr("personality"), nr("seccomp")]);
    inspected.sort_unstable();
    inspected.dedup();
    let vals = arg_values(rs);
    for &n in &inspected {
        for i in 0..6 {
            for &v in &vals {
                let mut a = zero;
                a[i] = v;
                c.push(Data::new(AUDIT_ARCH_X86_64, n, a));
            }
        }
    }
    c
}

/// Compare the two programs on every case; returns (cases, differences).
fn compare(
    what: &str,
    rs: &Ruleset,
    ours: &[sock_filter],
    reference: &[sock_filter],
    shown: &mut usize,
) -> (usize, usize) {
    let cs = cases(rs);
    let mut diffs = 0;
    for d in &cs {
        let a = run(ours, d).unwrap_or_else(|e| panic!("{what}: our program: {e}"));
        let b = run(reference, d).unwrap_or_else(|e| panic!("{what}: libseccomp program: {e}"));
        if a != b {
            diffs += 1;
            if *shown < 30 {
                *shown += 1;
                let name = syscalls::name(d.nr).unwrap_or("?");
                eprintln!(
                    "DIFF {what}: arch {:#x} nr {:#x} ({name}) args {:x?}: ours {a:#x}, libseccomp {b:#x}",
                    d.arch, d.nr, d.args
                );
            }
        }
    }
    (cs.len(), diffs)
}

/// Policy files made of random directives over every syscall name and group.
fn generated_files(dir: &std::path::Path, count: usize) -> Vec<(String, String)> {
    let names: Vec<&str> = (0..512).filter_map(syscalls::name).collect();
    let errnos = ["EPERM", "EACCES", "ENOSYS", "EINVAL", "1", "38", "4094", "3333", "200"];
    let mut r = Rng(0xdecaf);
    // Not 4095: the kernel accepts it (MAX_ERRNO) and so do we, but libseccomp 2.5 refuses
    // SCMP_ACT_ERRNO(4095) (its check is `< MAX_ERRNO`), so it cannot be the reference there.
    let action = |r: &mut Rng| -> String {
        match r.below(4) {
            0 => "allow".into(),
            1 => "deny".into(),
            2 => "kill".into(),
            _ => format!("errno {}", errnos[r.below(errnos.len() as u64) as usize]),
        }
    };
    let mut out = Vec::new();
    // Hand-written ones first: the always-on syscalls named by the profile.
    let fixed = [
        "default errno 4094\nallow clone clone3 execve execveat unshare\n",
        "default allow\nkill clone clone3 execve execveat unshare personality ioctl seccomp\n",
        "default kill\nallow @basic-io @memory @thread\nerrno ENOSYS clone\n",
        // The set-id guard: skipped where the file denies the call, openat2 keeps its errno;
        // fork and vfork as the profile says, or a violation with `no_processes`.
        "default allow\nkill fork vfork\nerrno EACCES chmod mkdir openat2\n",
        "default deny\nallow @file @thread @memory chmod fchmod fchmodat fchmodat2 mknod mknodat openat2 socket\n",
    ];
    for (i, t) in fixed.iter().enumerate() {
        out.push((format!("fixed-{i}"), t.to_string()));
    }
    for i in 0..count {
        let mut t = format!("# generated {i}\ndefault {}\n", action(&mut r));
        for _ in 0..1 + r.below(30) {
            t.push_str(&action(&mut r));
            for _ in 0..1 + r.below(8) {
                t.push(' ');
                if r.below(5) == 0 {
                    t.push('@');
                    t.push_str(GROUPS[r.below(GROUPS.len() as u64) as usize].0);
                } else {
                    t.push_str(names[r.below(names.len() as u64) as usize]);
                }
            }
            t.push('\n');
        }
        out.push((format!("generated-{i}"), t));
    }
    out.into_iter()
        .map(|(name, text)| {
            let p = dir.join(format!("{name}.policy"));
            std::fs::write(&p, text).unwrap();
            (name, p.to_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn ours_and_libseccomp_agree() {
    let dir = std::env::temp_dir().join(format!("seccomp-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut profiles: Vec<(String, Seccomp)> = vec![
        ("default".into(), Seccomp::Default),
        ("strict".into(), Seccomp::Strict),
        ("compile".into(), Seccomp::Compile),
        ("none".into(), Seccomp::None),
    ];
    for (name, path) in generated_files(&dir, 50) {
        profiles.push((name, Seccomp::File(path)));
    }
    let (mut total, mut diffs, mut shown, mut filters) = (0, 0, 0, 0);
    for (name, p) in &profiles {
        let rs = seccomp::ruleset(p).unwrap_or_else(|e| panic!("{name}: {e}"));
        for o in option_sets() {
            let what =
                format!("{name} cookie={} notify={} no_processes={}", o.exec_cookie != 0, o.notify, o.no_processes);
            let ours = seccomp::build(p, &o).unwrap_or_else(|e| panic!("{what}: {e}"));
            let reference = reference(&rs, &o).unwrap_or_else(|e| panic!("{what}: {e}"));
            let (n, d) = compare(&what, &rs, &ours, &reference, &mut shown);
            total += n;
            diffs += d;
            filters += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{total} cases compared, {diffs} differences ({} profiles x {} option sets = {filters} filter pairs)",
        profiles.len(),
        option_sets().len()
    );
    assert_eq!(diffs, 0, "our BPF and libseccomp's disagree (first differences above)");
    assert!(total > 1_000_000, "too few cases: {total}");
}

/// The cases are not blind to any argument rule: dropping one rule from the reference's rule
/// set (or `no_processes` from its options) shows up, on exactly that syscall's numbers.
#[test]
fn every_argument_rule_and_option_is_seen() {
    let differing = |rs: &Ruleset, ours: &[sock_filter], reference: &[sock_filter]| -> Vec<u32> {
        let mut v: Vec<u32> =
            cases(rs).iter().filter(|d| run(ours, d).unwrap() != run(reference, d).unwrap()).map(|d| d.nr).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut seen = 0;
    for p in [Seccomp::Default, Seccomp::Strict, Seccomp::Compile, Seccomp::None] {
        let rs = seccomp::ruleset(&p).unwrap();
        for o in option_sets() {
            let ours = seccomp::build(&p, &o).unwrap();
            for i in 0..rs.args.len() {
                let mut less = rs.clone();
                let r = less.args.remove(i);
                assert_eq!(differing(&rs, &ours, &reference(&less, &o).unwrap()), vec![r.nr], "{p:?} {o:?}: {r:?}");
                seen += 1;
            }
            if o.no_processes {
                let without = Options { no_processes: false, ..o };
                let mut want = vec![nr("clone"), nr("fork"), nr("vfork")];
                // Where the profile already makes fork and vfork violations, only clone changes.
                want.retain(|&n| {
                    n == nr("clone")
                        || run(&ours, &Data::new(AUDIT_ARCH_X86_64, n, [0; 6])).unwrap()
                            != run(&seccomp::build(&p, &without).unwrap(), &Data::new(AUDIT_ARCH_X86_64, n, [0; 6]))
                                .unwrap()
                });
                assert_eq!(differing(&rs, &ours, &reference(&rs, &without).unwrap()), want, "{p:?} {o:?}");
                seen += 1;
            }
        }
    }
    println!("{seen} one-rule mutations seen");
}
