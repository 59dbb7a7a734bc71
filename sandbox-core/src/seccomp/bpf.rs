//! A tiny classic-BPF assembler with forward labels.
//!
//! Conditional jumps in classic BPF have 8-bit offsets, so a rule list of a few hundred
//! syscalls cannot jump straight to a shared `ret` at its end. `finish()` resolves labels and
//! reroutes every conditional jump that is too far through an adjacent `ja` trampoline
//! (32-bit offset), repeating until all offsets fit.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use libc::sock_filter;

// Opcodes (linux/bpf_common.h).
const LD_W_ABS: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS
const JMP_JA: u16 = 0x05; // BPF_JMP | BPF_JA
const JMP_JEQ_K: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
const JMP_JGE_K: u16 = 0x05 | 0x30; // BPF_JMP | BPF_JGE | BPF_K
const JMP_JSET_K: u16 = 0x05 | 0x40; // BPF_JMP | BPF_JSET | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

/// Largest program the kernel accepts (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

// Offsets into `struct seccomp_data` (little-endian x86-64).
pub const OFF_NR: u32 = 0;
pub const OFF_ARCH: u32 = 4;
/// Low 32 bits of argument `i`; the high half is at `+ 4`.
pub const fn off_arg(i: u32) -> u32 {
    16 + 8 * i
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(u32);

/// Where a conditional jump goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// The next instruction.
    Next,
    L(Label),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Ld(u32),
    /// Conditional jump: opcode, constant, true target, false target.
    Jc(u16, u32, To, To),
    Ja(Label),
    Ret(u32),
    Bind(Label),
}

#[derive(Default)]
pub struct Asm {
    ops: Vec<Op>,
    labels: u32,
}

impl Asm {
    pub fn new() -> Self {
        Asm { ops: Vec::with_capacity(256), labels: 0 }
    }
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }
    /// Place `l` at the current position.
    pub fn bind(&mut self, l: Label) {
        self.ops.push(Op::Bind(l));
    }
    /// Load the 32-bit word at `off` of `seccomp_data` into the accumulator.
    pub fn ld(&mut self, off: u32) {
        self.ops.push(Op::Ld(off));
    }
    pub fn jeq(&mut self, k: u32, t: To, f: To) {
        self.ops.push(Op::Jc(JMP_JEQ_K, k, t, f));
    }
    /// Jump to `t` when the accumulator is >= `k` (unsigned).
    pub fn jge(&mut self, k: u32, t: To, f: To) {
        self.ops.push(Op::Jc(JMP_JGE_K, k, t, f));
    }
    /// Jump to `t` when any bit of `k` is set in the accumulator.
    pub fn jset(&mut self, k: u32, t: To, f: To) {
        self.ops.push(Op::Jc(JMP_JSET_K, k, t, f));
    }
    pub fn ja(&mut self, l: Label) {
        self.ops.push(Op::Ja(l));
    }
    pub fn ret(&mut self, k: u32) {
        self.ops.push(Op::Ret(k));
    }

    /// Resolve labels into a kernel-ready program.
    pub fn finish(mut self) -> Result<Vec<sock_filter>, String> {
        loop {
            let pos = self.positions()?;
            if !self.add_trampolines(&pos) {
                return self.emit(&pos);
            }
        }
    }

    /// Instruction index of every label.
    fn positions(&self) -> Result<Vec<u32>, String> {
        let mut pos = alloc::vec![u32::MAX; self.labels as usize];
        let mut n = 0u32;
        for op in &self.ops {
            match op {
                Op::Bind(l) => pos[l.0 as usize] = n,
                _ => n += 1,
            }
        }
        if let Some(i) = pos.iter().position(|&p| p == u32::MAX) {
            return Err(format!("bpf: label {i} never bound"));
        }
        if n as usize > MAX_INSNS {
            return Err(format!("bpf: program too long ({n} > {MAX_INSNS} instructions)"));
        }
        Ok(pos)
    }

    /// Reroute conditional jumps longer than 255 through `ja`; true if anything changed.
    fn add_trampolines(&mut self, pos: &[u32]) -> bool {
        // Labels made in this pass (index beyond `pos`) are adjacent by construction.
        let far = |at: u32, t: To| matches!(t, To::L(l) if pos.get(l.0 as usize).is_some_and(|&p| p > at + 1 + 255));
        let mut out = Vec::with_capacity(self.ops.len() + 16);
        let mut at = 0u32;
        let mut changed = false;
        for op in core::mem::take(&mut self.ops) {
            match op {
                Op::Jc(code, k, t, f) if far(at, t) || far(at, f) => {
                    changed = true;
                    // cond → (T: ja t) / (F: ja f) / after, with Next made explicit.
                    let after = self.label();
                    let fix = |x: To| if x == To::Next { To::L(after) } else { x };
                    let (t, f) = (fix(t), fix(f));
                    let mut route = |x: To, out: &mut Vec<Op>| -> To {
                        if !far(at, x) {
                            return x;
                        }
                        let To::L(target) = x else { return x };
                        let tr = self.label();
                        out.push(Op::Bind(tr));
                        out.push(Op::Ja(target));
                        To::L(tr)
                    };
                    let mut tail = Vec::new();
                    let t2 = route(t, &mut tail);
                    let f2 = route(f, &mut tail);
                    out.push(Op::Jc(code, k, t2, f2));
                    out.extend(tail);
                    out.push(Op::Bind(after));
                }
                _ => out.push(op),
            }
            if !matches!(op, Op::Bind(_)) {
                at += 1;
            }
        }
        self.ops = out;
        changed
    }

    fn emit(&self, pos: &[u32]) -> Result<Vec<sock_filter>, String> {
        let mut prog = Vec::with_capacity(pos.len() + self.ops.len());
        let off = |at: usize, t: To| -> Result<u32, String> {
            match t {
                To::Next => Ok(0),
                To::L(l) => {
                    let p = pos[l.0 as usize] as usize;
                    if p <= at {
                        return Err(format!("bpf: backward jump at {at}"));
                    }
                    Ok((p - at - 1) as u32)
                }
            }
        };
        let ins = |code, jt, jf, k| sock_filter { code, jt, jf, k };
        for op in &self.ops {
            let at = prog.len();
            match *op {
                Op::Bind(_) => continue,
                Op::Ld(o) => prog.push(ins(LD_W_ABS, 0, 0, o)),
                Op::Ret(k) => prog.push(ins(RET_K, 0, 0, k)),
                Op::Ja(l) => prog.push(ins(JMP_JA, 0, 0, off(at, To::L(l))?)),
                Op::Jc(code, k, t, f) => {
                    let (jt, jf) = (off(at, t)?, off(at, f)?);
                    // add_trampolines() guarantees this; keep the check as a tripwire.
                    if jt > 255 || jf > 255 {
                        return Err(format!("bpf: jump too far at {at}"));
                    }
                    prog.push(ins(code, jt as u8, jf as u8, k));
                }
            }
        }
        Ok(prog)
    }
}

/// A reference interpreter for tests: run `prog` on (nr, arch, args).
#[cfg(test)]
pub fn run(prog: &[sock_filter], nr: u32, arch: u32, args: [u64; 6]) -> u32 {
    let word = |off: u32| -> u32 {
        match off {
            OFF_NR => nr,
            OFF_ARCH => arch,
            o if o >= 16 => {
                let a = args[((o - 16) / 8) as usize];
                if o % 8 == 0 {
                    a as u32
                } else {
                    (a >> 32) as u32
                }
            }
            _ => 0,
        }
    };
    let (mut pc, mut acc) = (0usize, 0u32);
    loop {
        let i = prog[pc];
        pc += 1;
        match i.code {
            LD_W_ABS => acc = word(i.k),
            RET_K => return i.k,
            JMP_JA => pc += i.k as usize,
            JMP_JEQ_K | JMP_JGE_K | JMP_JSET_K => {
                let hit = match i.code {
                    JMP_JEQ_K => acc == i.k,
                    JMP_JGE_K => acc >= i.k,
                    _ => acc & i.k != 0,
                };
                pc += if hit { i.jt } else { i.jf } as usize;
            }
            c => panic!("opcode {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chains_get_trampolines() {
        // 600 tests jumping to one shared return at the end: far beyond 255.
        let mut a = Asm::new();
        let hit = a.label();
        a.ld(OFF_NR);
        for nr in 0..600 {
            a.jeq(nr * 2, To::L(hit), To::Next);
        }
        a.ret(1);
        a.bind(hit);
        a.ret(2);
        let p = a.finish().unwrap();
        assert!(p.len() > 602, "trampolines were added");
        for nr in 0..1200 {
            assert_eq!(run(&p, nr, 0, [0; 6]), if nr % 2 == 0 { 2 } else { 1 }, "nr {nr}");
        }
    }

    #[test]
    fn unbound_label_is_an_error() {
        let mut a = Asm::new();
        let l = a.label();
        a.ja(l);
        assert!(a.finish().unwrap_err().contains("never bound"));
    }
}
