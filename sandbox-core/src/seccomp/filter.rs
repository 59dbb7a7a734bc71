//! Lay a rule set out as one BPF program, always-on steps first:
//! (1) architecture pin, (2) containment probe, (3) clone3 / namespace flags / new
//! processes, (4) exec gate, (5) the profile.
//!
//! Only clone, unshare, execve(at), the probe number and the profile's few argument rules
//! load arguments; every other number reaches a constant return, so the kernel's
//! per-number action cache (≥ 5.11) skips the program for allowed syscalls.
//!
//! The profile is a binary search (`jge`) over runs of numbers with one outcome, not a
//! linear `jeq` chain: when installing, the kernel builds that cache by running the program
//! once per syscall number, and a 180-entry chain made that ~0.8 ms on the reference VM.

use super::bpf::{off_arg, Asm, Label, To, OFF_ARCH, OFF_NR};
use super::rules::{Action, Ruleset, Test};
use super::syscalls::nr;
use super::{Options, PROBE_ERRNO, PROBE_MAGIC, PROBE_NR};
use alloc::string::String;
use alloc::vec::Vec;
use libc::sock_filter;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// x32 syscalls are x86-64 numbers with this bit; they pass the arch check, so pin them too.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// seccomp_data.nr of a skipped syscall (-1).
const NO_SYSCALL: u32 = u32::MAX;

/// CLONE_NEW* that clone(2) accepts. CLONE_NEWTIME (0x80) overlaps clone's exit-signal
/// byte, so it is only reachable through clone3 (denied) and unshare.
const CLONE_NS: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u32;
const CLONE_NEWTIME: u32 = 0x80;

fn errno(e: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | (e as u32 & libc::SECCOMP_RET_DATA)
}

pub(super) fn ret_of(a: Action, o: &Options) -> u32 {
    match a {
        Action::Allow => libc::SECCOMP_RET_ALLOW,
        Action::Errno(e) => errno(e as i32),
        Action::KillProcess => libc::SECCOMP_RET_KILL_PROCESS,
        Action::Violation if o.notify => libc::SECCOMP_RET_USER_NOTIF,
        Action::Violation => libc::SECCOMP_RET_KILL_PROCESS,
    }
}

/// One shared `ret` per distinct return value, placed at the end.
struct Rets(Vec<(u32, Label)>);
impl Rets {
    fn get(&mut self, a: &mut Asm, k: u32) -> Label {
        if let Some(&(_, l)) = self.0.iter().find(|r| r.0 == k) {
            return l;
        }
        let l = a.label();
        self.0.push((k, l));
        l
    }
}

/// Compare a 64-bit argument with `v`: fall through on equal, else go to `ne`.
fn arg64_eq(a: &mut Asm, arg: u32, v: u64, ne: To) {
    a.ld(off_arg(arg));
    a.jeq(v as u32, To::Next, ne);
    a.ld(off_arg(arg) + 4);
    a.jeq((v >> 32) as u32, To::Next, ne);
}

/// A slice of `runs()`: one subtree of the search.
type Runs<'a> = &'a [(u32, Leaf)];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Ret(u32),
    /// Index into `Ruleset::args`.
    Args(usize),
}

/// Maximal runs of syscall numbers with the same outcome: (first number, outcome); the last
/// run extends to u32::MAX. Strict and default both come out near 100 runs.
fn runs(rs: &Ruleset, o: &Options) -> Vec<(u32, Leaf)> {
    let default = Leaf::Ret(ret_of(rs.default, o));
    let mut v: Vec<(u32, Leaf)> = Vec::with_capacity(256);
    for n in 0..=rs.by_nr.len() {
        let leaf = match rs.args.iter().position(|r| r.nr as usize == n) {
            Some(i) => Leaf::Args(i),
            None => rs.by_nr.get(n).copied().flatten().map_or(default, |a| Leaf::Ret(ret_of(a, o))),
        };
        if v.last().map(|r| r.1) != Some(leaf) {
            v.push((n as u32, leaf));
        }
    }
    v
}

pub fn assemble(rs: &Ruleset, o: &Options) -> Result<Vec<sock_filter>, String> {
    let mut a = Asm::new();
    let mut rets = Rets(Vec::new());
    let kill = To::L(rets.get(&mut a, libc::SECCOMP_RET_KILL_PROCESS));
    let eperm = To::L(rets.get(&mut a, errno(libc::EPERM)));
    let profile = a.label();

    // (1) Native x86-64 only: i386 (int 0x80) and x32 calls would bypass every rule below.
    a.ld(OFF_ARCH);
    a.jeq(AUDIT_ARCH_X86_64, To::Next, kill);
    a.ld(OFF_NR);
    // nr -1 is "no syscall" (a tracer's way to skip one; the kernel answers ENOSYS): the
    // profile decides, as in libseccomp, instead of killing a tracee for its tracer's skip.
    a.jeq(NO_SYSCALL, To::L(profile), To::Next);
    a.jset(X32_SYSCALL_BIT, kill, To::Next);

    // (2) The containment marker, answered only by this filter.
    let skip = a.label();
    a.jeq(PROBE_NR, To::Next, To::L(skip));
    arg64_eq(&mut a, 0, PROBE_MAGIC, To::L(profile));
    a.ret(errno(PROBE_ERRNO));
    a.bind(skip);

    // (3) clone3 takes its flags in memory BPF cannot read: ENOSYS makes libc fall back to
    // clone, whose flags we can check. No new namespaces, via clone or unshare.
    let enosys = To::L(rets.get(&mut a, errno(libc::ENOSYS)));
    a.jeq(nr("clone3"), enosys, To::Next);
    // With `no_processes`, a clone without CLONE_THREAD (fork, posix_spawn's vfork) and
    // fork/vfork themselves are violations; threads pass.
    let violation = To::L(rets.get(&mut a, ret_of(Action::Violation, o)));
    for (name, mask) in [("clone", CLONE_NS), ("unshare", CLONE_NS | CLONE_NEWTIME)] {
        let skip = a.label();
        a.jeq(nr(name), To::Next, To::L(skip));
        a.ld(off_arg(0));
        if name == "clone" && o.no_processes {
            a.jset(mask, eperm, To::Next);
            a.jset(libc::CLONE_THREAD as u32, To::L(profile), violation);
        } else {
            a.jset(mask, eperm, To::L(profile));
        }
        a.bind(skip);
    }
    if o.no_processes {
        a.jeq(nr("fork"), violation, To::Next);
        a.jeq(nr("vfork"), violation, To::Next);
    }

    // (4) Exec gate: only an execveat carrying the cookie in its unused 6th argument. Any
    // other exec is a violation: reported with its name, never a quiet EPERM.
    if o.exec_cookie != 0 {
        a.jeq(nr("execve"), violation, To::Next);
        let skip = a.label();
        a.jeq(nr("execveat"), To::Next, To::L(skip));
        arg64_eq(&mut a, 5, o.exec_cookie, violation);
        a.ret(libc::SECCOMP_RET_ALLOW);
        a.bind(skip);
    }

    // (5) The profile: a binary search over runs of numbers sharing one outcome.
    a.bind(profile);
    a.ld(OFF_NR);
    let runs = runs(rs, o);
    let leaf = |a: &mut Asm, rets: &mut Rets, l: Leaf, blocks: &[Label]| match l {
        Leaf::Ret(k) => rets.get(a, k),
        Leaf::Args(i) => blocks[i],
    };
    let blocks: Vec<Label> = rs.args.iter().map(|_| a.label()).collect();
    // Depth-first, parent before children (BPF jumps only forward).
    let mut todo: Vec<(Option<Label>, Runs)> = alloc::vec![(None, &runs[..])];
    while let Some((at, s)) = todo.pop() {
        if let Some(l) = at {
            a.bind(l);
        }
        if s.len() == 1 {
            let to = leaf(&mut a, &mut rets, s[0].1, &blocks);
            a.ja(to);
            continue;
        }
        let (lo, hi) = s.split_at(s.len() / 2);
        let hi_to = if hi.len() == 1 {
            leaf(&mut a, &mut rets, hi[0].1, &blocks)
        } else {
            let l = a.label();
            todo.push((Some(l), hi));
            l
        };
        let lo_to = if lo.len() == 1 {
            To::L(leaf(&mut a, &mut rets, lo[0].1, &blocks))
        } else {
            todo.push((None, lo));
            To::Next
        };
        a.jge(hi[0].0, To::L(hi_to), lo_to);
    }
    // Argument checks, reached from their numbers' leaves.
    for (r, &l) in rs.args.iter().zip(&blocks) {
        let then = rets.get(&mut a, ret_of(r.then, o));
        let other = rets.get(&mut a, ret_of(r.other, o));
        a.bind(l);
        a.ld(off_arg(r.arg));
        match r.test {
            Test::AnyBit(bits) => a.jset(bits, To::L(then), To::L(other)),
            Test::OneOf(vals) => {
                for &v in vals {
                    a.jeq(v, To::L(then), To::Next);
                }
                a.ja(other);
            }
        }
    }
    for (k, l) in rets.0 {
        a.bind(l);
        a.ret(k);
    }
    a.finish()
}
