//! Test-only support for checking the sandbox's own seccomp BPF compiler against libseccomp:
//! an exact classic-BPF interpreter for `seccomp_data`, and a translation of a rule set
//! (`sandbox_core::seccomp::rules::Ruleset` plus the always-on steps of every filter) into
//! libseccomp rules whose exported BPF is the reference.
//!
//! Nothing here is part of the shipped sandbox; libseccomp is linked by this crate alone.

use libc::sock_filter;
use sandbox_core::seccomp::rules::{Action, Ruleset, Test, MAX_NR};
use sandbox_core::seccomp::syscalls::nr;
use sandbox_core::seccomp::{Options, PROBE_ERRNO, PROBE_MAGIC, PROBE_NR};

pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
pub const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;
pub const X32_BIT: u32 = 0x4000_0000;

pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
pub const RET_NOTIFY: u32 = 0x7fc0_0000;
pub const fn ret_errno(e: u32) -> u32 {
    0x0005_0000 | (e & 0xffff)
}

/// The CLONE_NEW* flags the filter's step 3 refuses (docs/seccomp.md).
pub const CLONE_NS: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u32;
pub const CLONE_NEWTIME: u32 = 0x80;
pub const CLONE_THREAD: u32 = libc::CLONE_THREAD as u32;

/// `struct seccomp_data`.
#[derive(Clone, Copy, Debug)]
pub struct Data {
    pub nr: u32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    pub fn new(arch: u32, nr: u32, args: [u64; 6]) -> Self {
        Data { nr, arch, ip: 0x7f00_1234_5678, args }
    }
    fn bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        b[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        b[8..16].copy_from_slice(&self.ip.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            b[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        b
    }
}

/// Run a classic BPF program on `d` the way the kernel's seccomp does: the whole instruction
/// set seccomp_check_filter() accepts (loads from seccomp_data, LEN, IMM, scratch memory, ALU,
/// jumps, returns). Err for anything the kernel would refuse to load or cannot happen there
/// (unaligned or out-of-range load, a jump past the end, falling off the end).
pub fn run(prog: &[sock_filter], d: &Data) -> Result<u32, String> {
    let data = d.bytes();
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    let mut steps = 0usize;
    loop {
        let Some(i) = prog.get(pc) else { return Err(format!("pc {pc} past the end")) };
        steps += 1;
        if steps > prog.len() {
            return Err("more steps than instructions (jumps are forward only)".into());
        }
        pc += 1;
        let k = i.k;
        let class = i.code & 0x07;
        match class {
            // BPF_LD / BPF_LDX
            0x00 | 0x01 => {
                let mode = i.code & 0xe0;
                let size = i.code & 0x18;
                let v = match mode {
                    0x00 => k, // IMM
                    0x20 => {
                        // ABS: seccomp allows only 32-bit aligned words inside seccomp_data.
                        if class != 0 || size != 0 || k % 4 != 0 || k as usize + 4 > data.len() {
                            return Err(format!("bad load {:#x} k={k}", i.code));
                        }
                        u32::from_ne_bytes(data[k as usize..k as usize + 4].try_into().unwrap())
                    }
                    0x60 => *mem.get(k as usize).ok_or("mem index")?, // MEM
                    0x80 => 64,                                       // LEN
                    _ => return Err(format!("load mode {:#x}", i.code)),
                };
                if class == 0 {
                    a = v
                } else {
                    x = v
                }
            }
            0x02 => *mem.get_mut(k as usize).ok_or("st index")? = a, // ST
            0x03 => *mem.get_mut(k as usize).ok_or("stx index")? = x, // STX
            0x04 => {
                // ALU
                let src = if i.code & 0x08 != 0 { x } else { k };
                a = match i.code & 0xf0 {
                    0x00 => a.wrapping_add(src),
                    0x10 => a.wrapping_sub(src),
                    0x20 => a.wrapping_mul(src),
                    // The kernel's cBPF→eBPF conversion returns 0 on division by X == 0.
                    0x30 if src == 0 => return Ok(0),
                    0x30 => a / src,
                    0x40 => a | src,
                    0x50 => a & src,
                    0x60 => a.wrapping_shl(src),
                    0x70 => a.wrapping_shr(src),
                    0x80 => a.wrapping_neg(),
                    0x90 if src == 0 => return Ok(0),
                    0x90 => a % src,
                    0xa0 => a ^ src,
                    op => return Err(format!("alu op {op:#x}")),
                };
            }
            0x05 => {
                // JMP
                let src = if i.code & 0x08 != 0 { x } else { k };
                let op = i.code & 0xf0;
                if op == 0x00 {
                    pc += k as usize;
                    continue;
                }
                let hit = match op {
                    0x10 => a == src,
                    0x20 => a > src,
                    0x30 => a >= src,
                    0x40 => a & src != 0,
                    _ => return Err(format!("jmp op {op:#x}")),
                };
                pc += if hit { i.jt } else { i.jf } as usize;
            }
            0x06 => {
                // RET
                return match i.code & 0x18 {
                    0x00 => Ok(k),
                    0x10 => Ok(a),
                    _ => Err(format!("ret {:#x}", i.code)),
                };
            }
            _ => {
                // MISC: TAX / TXA
                match i.code & 0xf8 {
                    0x00 => x = a,
                    0x80 => a = x,
                    _ => return Err(format!("misc {:#x}", i.code)),
                }
            }
        }
    }
}

// ---- libseccomp (C API) ----------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ArgCmp {
    arg: libc::c_uint,
    op: libc::c_int,
    a: u64,
    b: u64,
}

const CMP_NE: i32 = 1;
const CMP_EQ: i32 = 4;
const CMP_MASKED_EQ: i32 = 7;
const FLTATR_ACT_BADARCH: i32 = 2;

extern "C" {
    fn seccomp_init(def_action: u32) -> *mut libc::c_void;
    fn seccomp_release(ctx: *mut libc::c_void);
    fn seccomp_attr_set(ctx: *mut libc::c_void, attr: libc::c_int, value: u32) -> libc::c_int;
    fn seccomp_rule_add_array(
        ctx: *mut libc::c_void,
        action: u32,
        syscall: libc::c_int,
        arg_cnt: libc::c_uint,
        arg_array: *const ArgCmp,
    ) -> libc::c_int;
    fn seccomp_export_bpf(ctx: *mut libc::c_void, fd: libc::c_int) -> libc::c_int;
}

/// `(arg & mask) == v`: with a mask inside the low 32 bits this tests the low half only, as
/// our filters do.
fn masked(arg: u32, mask: u64, v: u64) -> ArgCmp {
    ArgCmp { arg, op: CMP_MASKED_EQ, a: mask, b: v }
}

/// Prefix blocks `(mask, value)` of the 32-bit space covering exactly the values NOT in `vals`
/// (libseccomp has no 32-bit "not one of"; a union of masked equalities is exact).
pub fn complement32(vals: &[u32]) -> Vec<(u32, u32)> {
    fn go(vals: &[u32], prefix: u32, depth: u32, out: &mut Vec<(u32, u32)>) {
        let mask = if depth == 0 { 0 } else { !0u32 << (32 - depth) };
        if !vals.iter().any(|&v| v & mask == prefix) {
            out.push((mask, prefix));
            return;
        }
        if depth == 32 {
            return; // one of `vals`
        }
        go(vals, prefix, depth + 1, out);
        go(vals, prefix | 1 << (31 - depth), depth + 1, out);
    }
    let mut out = Vec::new();
    go(vals, 0, 0, &mut out);
    out
}

/// The same ruleset as `sandbox_core::seccomp::filter` lays out, as libseccomp rules.
struct Ref {
    ctx: *mut libc::c_void,
    default: u32,
}

impl Ref {
    /// One rule (all `cmps` must hold). A rule whose action is the filter's default is left
    /// out: libseccomp refuses it, and the default applies to whatever no rule matches anyway.
    fn add(&mut self, action: u32, nr: u32, cmps: &[ArgCmp]) -> Result<(), String> {
        if action == self.default {
            return Ok(());
        }
        // SAFETY: ctx is live; the array has cmps.len() elements.
        let r = unsafe { seccomp_rule_add_array(self.ctx, action, nr as i32, cmps.len() as u32, cmps.as_ptr()) };
        if r != 0 {
            return Err(format!("seccomp_rule_add({nr}, {action:#x}, {cmps:?}): {}", -r));
        }
        Ok(())
    }
}

impl Drop for Ref {
    fn drop(&mut self) {
        // SAFETY: ctx came from seccomp_init and is released once.
        unsafe { seccomp_release(self.ctx) }
    }
}

/// Our action code for `a` (the documented mapping, filter.rs `ret_of`).
pub fn ret_of(a: Action, o: &Options) -> u32 {
    match a {
        Action::Allow => RET_ALLOW,
        Action::Errno(e) => ret_errno(e as u32),
        Action::KillProcess => RET_KILL_PROCESS,
        Action::Violation if o.notify => RET_NOTIFY,
        Action::Violation => RET_KILL_PROCESS,
    }
}

/// The syscalls the always-on steps decide (before the profile).
pub fn always_on(o: &Options) -> Vec<u32> {
    let mut v = vec![PROBE_NR, nr("clone3"), nr("clone"), nr("unshare")];
    if o.no_processes {
        v.extend([nr("fork"), nr("vfork")]);
    }
    if o.exec_cookie != 0 {
        v.extend([nr("execve"), nr("execveat")]);
    }
    v
}

/// Build the reference filter for `rs` with libseccomp and export its BPF.
pub fn reference(rs: &Ruleset, o: &Options) -> Result<Vec<sock_filter>, String> {
    let default = ret_of(rs.default, o);
    // SAFETY: plain constructor; null is checked.
    let ctx = unsafe { seccomp_init(default) };
    if ctx.is_null() {
        return Err("seccomp_init failed".into());
    }
    let mut f = Ref { ctx, default };
    // (1) Native x86-64 only (libseccomp also sends x32 numbers to the bad-arch action).
    // SAFETY: live ctx, valid attribute.
    if unsafe { seccomp_attr_set(ctx, FLTATR_ACT_BADARCH, RET_KILL_PROCESS) } != 0 {
        return Err("seccomp_attr_set(ACT_BADARCH)".into());
    }
    let profile = |n: u32| -> u32 {
        assert!(!rs.args.iter().any(|r| r.nr == n), "argument rule on always-on syscall {n}: not translated");
        ret_of(rs.by_nr.get(n as usize).copied().flatten().unwrap_or(rs.default), o)
    };
    // (2) The containment probe: the 64-bit magic in arg0, else the profile.
    f.add(ret_errno(PROBE_ERRNO as u32), PROBE_NR, &[ArgCmp { arg: 0, op: CMP_EQ, a: PROBE_MAGIC, b: 0 }])?;
    f.add(profile(PROBE_NR), PROBE_NR, &[ArgCmp { arg: 0, op: CMP_NE, a: PROBE_MAGIC, b: 0 }])?;
    // (3) clone3 → ENOSYS; clone/unshare with a namespace flag (low 32 bits) → EPERM. With
    // `no_processes` a clone without CLONE_THREAD, fork and vfork are violations.
    let violation = ret_of(Action::Violation, o);
    f.add(ret_errno(libc::ENOSYS as u32), nr("clone3"), &[])?;
    for (name, mask) in [("clone", CLONE_NS), ("unshare", CLONE_NS | CLONE_NEWTIME)] {
        for bit in (0..32).map(|b| 1u32 << b).filter(|b| mask & b != 0) {
            f.add(ret_errno(libc::EPERM as u32), nr(name), &[masked(0, bit as u64, bit as u64)])?;
        }
        if name == "clone" && o.no_processes {
            let both = (mask | CLONE_THREAD) as u64;
            f.add(profile(nr(name)), nr(name), &[masked(0, both, CLONE_THREAD as u64)])?;
            f.add(violation, nr(name), &[masked(0, both, 0)])?;
        } else {
            f.add(profile(nr(name)), nr(name), &[masked(0, mask as u64, 0)])?;
        }
    }
    if o.no_processes {
        f.add(violation, nr("fork"), &[])?;
        f.add(violation, nr("vfork"), &[])?;
    }
    // (4) Exec gate: only execveat with the cookie; every other exec is a violation.
    if o.exec_cookie != 0 {
        f.add(violation, nr("execve"), &[])?;
        f.add(RET_ALLOW, nr("execveat"), &[ArgCmp { arg: 5, op: CMP_EQ, a: o.exec_cookie, b: 0 }])?;
        f.add(violation, nr("execveat"), &[ArgCmp { arg: 5, op: CMP_NE, a: o.exec_cookie, b: 0 }])?;
    }
    // (5) The profile.
    let fixed = always_on(o);
    for n in 0..MAX_NR as u32 {
        if fixed.contains(&n) {
            continue;
        }
        let rules: Vec<_> = rs.args.iter().filter(|r| r.nr == n).collect();
        match rules.as_slice() {
            [] => {
                if let Some(a) = rs.by_nr[n as usize] {
                    f.add(ret_of(a, o), n, &[])?;
                }
            }
            [r] => {
                let (then, other) = (ret_of(r.then, o), ret_of(r.other, o));
                match r.test {
                    Test::AnyBit(bits) => {
                        for bit in (0..32).map(|b| 1u32 << b).filter(|b| bits & b != 0) {
                            f.add(then, n, &[masked(r.arg, bit as u64, bit as u64)])?;
                        }
                        f.add(other, n, &[masked(r.arg, bits as u64, 0)])?;
                    }
                    Test::OneOf(vals) => {
                        for &v in vals {
                            f.add(then, n, &[masked(r.arg, 0xffff_ffff, v as u64)])?;
                        }
                        for (m, p) in complement32(vals) {
                            f.add(other, n, &[masked(r.arg, m as u64, p as u64)])?;
                        }
                    }
                }
            }
            _ => return Err(format!("several argument rules on syscall {n}: not translated")),
        }
    }
    export(&f)
}

fn export(f: &Ref) -> Result<Vec<sock_filter>, String> {
    // SAFETY: a fresh memfd; every return value is checked.
    unsafe {
        let fd = libc::memfd_create(c"bpf".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return Err("memfd_create".into());
        }
        let r = seccomp_export_bpf(f.ctx, fd);
        if r != 0 {
            libc::close(fd);
            return Err(format!("seccomp_export_bpf: {}", -r));
        }
        let len = libc::lseek(fd, 0, libc::SEEK_END);
        let mut buf = vec![0u8; len as usize];
        let n = libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0);
        libc::close(fd);
        if n != len as isize || len % 8 != 0 {
            return Err(format!("export: read {n} of {len} bytes"));
        }
        Ok(buf
            .chunks_exact(8)
            .map(|c| sock_filter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect())
    }
}

/// A tiny deterministic PRNG (xorshift64*) for generated profiles and argument values.
pub struct Rng(pub u64);
impl Rng {
    pub fn word(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.word() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complement_is_exact() {
        let vals = [0u32, 0xffff_ffff, 0x5412, 0x541c];
        let c = complement32(&vals);
        let covered = |x: u32| c.iter().filter(|(m, p)| x & m == *p).count();
        for &v in &vals {
            assert_eq!(covered(v), 0, "{v:#x}");
        }
        let mut r = Rng(7);
        for x in (0..70000u32).chain((0..100000).map(|_| r.word() as u32)).chain([0x5411, 0x5413, 0xffff_fffe, 1]) {
            if !vals.contains(&x) {
                assert_eq!(covered(x), 1, "{x:#x}");
            }
        }
    }
}
