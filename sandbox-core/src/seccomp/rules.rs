//! A profile as data: one action per syscall number, a default, and a few argument checks.

use alloc::vec;
use alloc::vec::Vec;

/// Syscall numbers a rule set can name (the x86-64 table ends below this).
pub const MAX_NR: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    /// Fail with this errno (1..=4095).
    Errno(u16),
    KillProcess,
    /// A policy violation: user notification when a supervisor listens, else kill.
    Violation,
}

/// How an argument-checked rule tests the low 32 bits of one argument.
#[derive(Clone, Copy, Debug)]
pub enum Test {
    /// Equal to one of these values.
    OneOf(&'static [u32]),
    /// Any of these bits set.
    AnyBit(u32),
}

/// `nr` with argument `arg` passing `test` gets `then`, otherwise `other`.
#[derive(Clone, Copy, Debug)]
pub struct ArgRule {
    pub nr: u32,
    pub arg: u32,
    pub test: Test,
    pub then: Action,
    pub other: Action,
}

#[derive(Clone, Debug)]
pub struct Ruleset {
    pub default: Action,
    /// Indexed by syscall number; `None` takes the default.
    pub by_nr: Vec<Option<Action>>,
    /// Checked before `by_nr`; keep these few, as they defeat the kernel's per-number cache.
    pub args: Vec<ArgRule>,
}

impl Ruleset {
    pub fn new(default: Action) -> Self {
        Ruleset { default, by_nr: vec![None; MAX_NR], args: Vec::new() }
    }
    /// Set the action of `nr` (a later call wins).
    pub fn set(&mut self, nr: u32, a: Action) {
        if let Some(slot) = self.by_nr.get_mut(nr as usize) {
            *slot = Some(a);
        }
    }
    pub fn set_all(&mut self, nrs: &[u32], a: Action) {
        for &nr in nrs {
            self.set(nr, a);
        }
    }
    #[cfg(test)]
    pub fn action(&self, nr: u32) -> Action {
        self.by_nr.get(nr as usize).copied().flatten().unwrap_or(self.default)
    }
}
