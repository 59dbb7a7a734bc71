//! The warm pool: runs armed ahead for requests seen before, used once each.
//!
//! A request's key is everything the run's arming depends on: the client (uid, gid,
//! groups), its working directory (device, inode and path), its whole command line and
//! environment, umask, signal state, niceness, resource limits and descriptor numbers. After
//! a request, the server arms up to `per_key` slots for that key: each is the child that the
//! request would have been (the client's identity, directory, placeholders at its descriptor
//! numbers), run through the launcher's path with `Target::pool` set, so its supervisor and
//! init stop before the app's fork (sandbox-core/src/pool.rs). The next request with the
//! same key is handed to a ready slot: only its descriptors travel, and what remains is the
//! app's fork, its steps and the exec. A request with no ready slot runs unpooled, as
//! before. A slot is never reused; an idle one ends after `IDLE`.
//!
//! What a slot froze when it was armed and a request could see: the copied /etc files of
//! the jail (at most IDLE old), and the target and script, which the slot checks again at the
//! request (a replaced file makes the slot stale, and the request runs unpooled). What the
//! arming cannot know waits for the request: the report files, the clock, a `--disk` copy of
//! the work dir, and whether fds 1 and 2 are one file (`--output`). Never pooled: `-v` (its
//! step lines), a `--disk` run with a descriptor into the work dir (`--keep-fd`, a script
//! read through /dev/fd), and everything but a run (`--check`, `--help`).

use super::proto::Request;
use super::Peer;
use sandbox_core::sys::{self, Fd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

/// An unused slot ends after this long (its jail's copied /etc files are at most this old).
pub const IDLE: Duration = Duration::from_secs(30);
/// Slots across every key, at most.
pub const MAX_SLOTS: usize = 16;
/// Keys remembered, at most (the least recently used one is forgotten).
const MAX_KEYS: usize = 32;

/// What of the environment a key's runs depend on (`--inherit-env`, `--keep-env` names):
/// a slot says it (`F`) before it arms, from the policy it arms with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EnvFilter {
    pub inherit: bool,
    pub keep: Vec<String>,
}

impl EnvFilter {
    pub fn msg(&self) -> Vec<u8> {
        let mut m = vec![super::SLOT_FILTER, self.inherit as u8];
        for k in &self.keep {
            m.extend_from_slice(k.as_bytes());
            m.push(0);
        }
        m
    }
    pub fn parse(m: &[u8]) -> Option<EnvFilter> {
        let (&tag, rest) = m.split_first()?;
        let (&inherit, names) = rest.split_first()?;
        if tag != super::SLOT_FILTER || inherit > 1 {
            return None;
        }
        let keep = names.split(|&b| b == 0).filter(|n| !n.is_empty()).map(|n| String::from_utf8_lossy(n).into_owned());
        Some(EnvFilter { inherit: inherit == 1, keep: keep.collect() })
    }
    pub fn view(&self, env: &[std::ffi::OsString]) -> Vec<std::ffi::OsString> {
        crate::environ::view(env, self.inherit, &self.keep)
    }
}

/// Everything but the environment (matched through the slots' `EnvFilter`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Key {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub cwd: (u64, u64),
    pub cwd_path: Vec<u8>,
    /// The request without its descriptors and environment.
    pub req: Request,
}

impl Key {
    pub fn of(req: &Request, peer: &Peer, cwd: &Fd) -> Option<Key> {
        let st = sys::fstat(cwd.raw()).ok()?;
        let path = std::fs::read_link(format!("/proc/self/fd/{}", cwd.raw())).ok()?;
        Some(Key {
            uid: peer.uid,
            gid: peer.gid,
            groups: peer.groups.clone(),
            cwd: (st.st_dev, st.st_ino),
            cwd_path: path.as_os_str().as_bytes().to_vec(),
            req: Request { env: Vec::new(), ..req.clone() },
        })
    }
}

pub struct Slot {
    pub pid: i32,
    /// The server's end of the slot's socket.
    pub sock: Fd,
    pub ready: bool,
}

pub struct Entry {
    pub key: Key,
    /// The environment the slots are armed with, and what of it they depend on (known once
    /// a slot said so).
    pub env: Vec<std::ffi::OsString>,
    pub filter: Option<EnvFilter>,
    /// The client's working directory (O_PATH), for the slots armed later.
    pub cwd: Fd,
    pub slots: Vec<Slot>,
    pub last_used: Instant,
    /// Slots that ended before they were ready; two, and the key is not pooled again.
    pub failures: u32,
    /// The run said it cannot be pooled (see the module's comment).
    pub unpoolable: bool,
}

#[derive(Default)]
pub struct Pool {
    pub per_key: usize,
    pub entries: Vec<Entry>,
    /// Armed runs that ended before any request took them (they failed a step), in all.
    pub failed: u64,
}

impl Pool {
    pub fn new(per_key: usize) -> Pool {
        Pool { per_key, entries: Vec::new(), failed: 0 }
    }

    pub fn slots(&self) -> usize {
        self.entries.iter().map(|e| e.slots.len()).sum()
    }

    /// The entry for `key` and `env`, made (with a copy of the working directory) if needed.
    /// An entry whose slots were armed with an environment that differs where its runs look
    /// is re-armed with this one.
    pub fn entry(&mut self, key: &Key, env: &[std::ffi::OsString], cwd: &Fd) -> Option<usize> {
        if self.per_key == 0 {
            return None;
        }
        if let Some(i) = self.entries.iter().position(|e| e.key == *key) {
            let e = &mut self.entries[i];
            e.last_used = Instant::now();
            let same = e.filter.as_ref().is_some_and(|f| f.view(env) == f.view(&e.env));
            if !same && !e.slots.is_empty() {
                e.slots.clear();
            }
            if !same {
                e.env = env.to_vec();
                e.filter = None;
            }
            return Some(i);
        }
        if self.entries.len() >= MAX_KEYS {
            // Forget the least recently used key that has no slot left.
            let old =
                self.entries.iter().enumerate().filter(|(_, e)| e.slots.is_empty()).min_by_key(|(_, e)| e.last_used)?.0;
            self.entries.swap_remove(old);
        }
        let cwd = sys::dup_fd(cwd.raw()).ok()?;
        self.entries.push(Entry {
            key: key.clone(),
            env: env.to_vec(),
            filter: None,
            cwd,
            slots: Vec::new(),
            last_used: Instant::now(),
            failures: 0,
            unpoolable: false,
        });
        Some(self.entries.len() - 1)
    }

    /// A ready slot of entry `i`, taken out of the pool.
    pub fn take_ready(&mut self, i: usize) -> Option<Slot> {
        let e = &mut self.entries[i];
        let j = e.slots.iter().position(|s| s.ready)?;
        Some(e.slots.swap_remove(j))
    }

    /// How many slots entry `i` should get now.
    pub fn wanted(&self, i: usize) -> usize {
        let e = &self.entries[i];
        if e.unpoolable || e.failures >= 2 {
            return 0;
        }
        self.per_key.saturating_sub(e.slots.len()).min(MAX_SLOTS.saturating_sub(self.slots()))
    }

    /// The slot whose socket is `fd`: (entry, slot).
    pub fn find_sock(&self, fd: i32) -> Option<(usize, usize)> {
        self.entries
            .iter()
            .enumerate()
            .find_map(|(i, e)| e.slots.iter().position(|s| s.sock.raw() == fd).map(|j| (i, j)))
    }

    /// The slot whose process is `pid`: (entry, slot).
    pub fn find_pid(&self, pid: i32) -> Option<(usize, usize)> {
        self.entries.iter().enumerate().find_map(|(i, e)| e.slots.iter().position(|s| s.pid == pid).map(|j| (i, j)))
    }

    /// A slot's process ended: forget it (a slot that was never ready counts as a failure).
    pub fn ended(&mut self, pid: i32) {
        if let Some((i, j)) = self.find_pid(pid) {
            self.drop_slot(i, j);
        }
    }

    /// Drop slot `j` of entry `i` (it ends itself once its socket closes); one that was
    /// never ready counts as a failure.
    pub fn drop_slot(&mut self, i: usize, j: usize) {
        let e = &mut self.entries[i];
        if !e.slots[j].ready {
            e.failures += 1;
            self.failed += 1;
        }
        e.slots.swap_remove(j);
    }

    /// Close the slots of keys unused for IDLE (each slot then ends itself) and, with `all`,
    /// every slot.
    pub fn expire(&mut self, all: bool) {
        let now = Instant::now();
        for e in &mut self.entries {
            if all || now.duration_since(e.last_used) > IDLE {
                e.slots.clear();
            }
        }
    }

    /// In a child that becomes one client: overwrite every other key's strings (another
    /// user's command lines and environments) in this copy of the server's memory.
    pub fn scrub_except(&mut self, keep: Option<&Key>) {
        for e in &mut self.entries {
            if Some(&e.key) != keep {
                scrub_request(&mut e.key.req);
                for s in &mut e.env {
                    let mut v = std::mem::take(s).into_encoded_bytes();
                    super::scrub(&mut v);
                }
            }
        }
    }
}

/// Overwrite a request's strings in place (see `super::scrub`).
pub fn scrub_request(r: &mut Request) {
    for s in r.args.iter_mut().chain(r.env.iter_mut()) {
        let mut v = std::mem::take(s).into_encoded_bytes();
        super::scrub(&mut v);
    }
}
