//! The wire format between `sandbox --server SOCKET` (the client) and `sandbox --serve
//! SOCKET` (the server): one request, then signals one way and the final status the other.
//!
//! Request (client → server), on a SOCK_STREAM unix socket, the descriptors attached to its
//! first bytes by SCM_RIGHTS: `"SBX1"`, a u32 length of the rest, then the fields of
//! `Request` in order (strings as u32 length + bytes; integers little-endian). The first
//! descriptor is the client's working directory; the others are its open descriptors, at the
//! numbers listed in `fds`.
//!
//! After it, each side sends one-byte tags: the client `K` + i32 signal (a signal it got, to
//! relay to the run); the server `E` + u32 length + text (refused before any run: the client
//! prints it and exits 125) or `S` + i32 wait status (the run's launcher ended this way: the
//! client ends the same way).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub const MAGIC: &[u8; 4] = b"SBX1";
/// Arguments and environment together, at most: ARG_MAX-sized argv and env fit.
pub const MAX_REQUEST: usize = 8 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// The client's whole command line, argv[0] included (`--server` is ignored by the server).
    pub args: Vec<OsString>,
    /// The client's environment, `K=V` each.
    pub env: Vec<OsString>,
    /// The numbers the client's descriptors had, in the order they were attached (after cwd).
    pub fds: Vec<i32>,
    pub umask: u32,
    /// The client's blocked signals and the signals it ignores (kept ignored across exec).
    pub sigmask: u64,
    pub ignored: u64,
    pub nice: i32,
    /// (resource, soft, hard) for every resource the client has.
    pub rlimits: Vec<(u32, u64, u64)>,
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_strs(b: &mut Vec<u8>, v: &[OsString]) {
    put_u32(b, v.len() as u32);
    for s in v {
        put_u32(b, s.len() as u32);
        b.extend_from_slice(s.as_bytes());
    }
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_strs(&mut b, &self.args);
        put_strs(&mut b, &self.env);
        put_u32(&mut b, self.fds.len() as u32);
        for f in &self.fds {
            put_u32(&mut b, *f as u32);
        }
        put_u32(&mut b, self.umask);
        put_u64(&mut b, self.sigmask);
        put_u64(&mut b, self.ignored);
        put_u32(&mut b, self.nice as u32);
        put_u32(&mut b, self.rlimits.len() as u32);
        for (r, s, h) in &self.rlimits {
            put_u32(&mut b, *r);
            put_u64(&mut b, *s);
            put_u64(&mut b, *h);
        }
        let mut out = Vec::with_capacity(b.len() + 8);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, b.len() as u32);
        out.extend_from_slice(&b);
        out
    }

    /// How many bytes the whole request takes, once its 8-byte header has arrived.
    pub fn frame_len(head: &[u8]) -> Result<Option<usize>, String> {
        if head.len() < 8 {
            return Ok(None);
        }
        if &head[..4] != MAGIC {
            return Err("not a sandbox request (protocol SBX1)".into());
        }
        let n = u32::from_le_bytes(head[4..8].try_into().unwrap()) as usize;
        if n > MAX_REQUEST {
            return Err(format!("request of {n} bytes is larger than {MAX_REQUEST}"));
        }
        Ok(Some(n + 8))
    }

    /// Parse a whole frame (header included). Every count is checked against what is left.
    pub fn decode(frame: &[u8]) -> Result<Request, String> {
        let n = Self::frame_len(frame)?.ok_or("request: truncated header")?;
        if frame.len() != n {
            return Err("request: wrong length".into());
        }
        let mut r = Reader { b: &frame[8..] };
        let args = r.strs()?;
        let env = r.strs()?;
        let nfds = r.count(4)?;
        let fds = (0..nfds).map(|_| r.u32().map(|v| v as i32)).collect::<Result<Vec<_>, _>>()?;
        let umask = r.u32()?;
        let sigmask = r.u64()?;
        let ignored = r.u64()?;
        let nice = r.u32()? as i32;
        let nr = r.count(20)?;
        let rlimits = (0..nr).map(|_| Ok((r.u32()?, r.u64()?, r.u64()?))).collect::<Result<Vec<_>, String>>()?;
        if !r.b.is_empty() {
            return Err("request: trailing bytes".into());
        }
        if args.is_empty() {
            return Err("request: no command line".into());
        }
        Ok(Request { args, env, fds, umask, sigmask, ignored, nice, rlimits })
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.b.len() < n {
            return Err("request: truncated".into());
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    /// A count of items of at least `min` bytes each: never more than the bytes left allow.
    fn count(&mut self, min: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.b.len() {
            return Err("request: count beyond its length".into());
        }
        Ok(n)
    }
    fn strs(&mut self) -> Result<Vec<OsString>, String> {
        let n = self.count(4)?;
        (0..n)
            .map(|_| {
                let len = self.u32()? as usize;
                let s = self.take(len)?;
                if s.contains(&0) {
                    return Err("request: a string contains a NUL byte".to_string());
                }
                Ok(OsString::from_vec(s.to_vec()))
            })
            .collect()
    }
}

/// Tags after the request.
pub const SIGNAL: u8 = b'K';
pub const REFUSED: u8 = b'E';
pub const STATUS: u8 = b'S';

pub fn status_msg(wait_status: i32) -> [u8; 5] {
    let mut m = [STATUS, 0, 0, 0, 0];
    m[1..].copy_from_slice(&wait_status.to_le_bytes());
    m
}

pub fn refused_msg(text: &str) -> Vec<u8> {
    let mut m = vec![REFUSED];
    put_u32(&mut m, text.len() as u32);
    m.extend_from_slice(text.as_bytes());
    m
}

pub fn signal_msg(sig: i32) -> [u8; 5] {
    let mut m = [SIGNAL, 0, 0, 0, 0];
    m[1..].copy_from_slice(&sig.to_le_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Request {
        Request {
            args: vec![
                "sandbox".into(),
                "--memory".into(),
                "64M".into(),
                "--".into(),
                "/bin/echo".into(),
                "a b".into(),
            ],
            env: vec!["PATH=/usr/bin".into(), "X=".into()],
            fds: vec![0, 1, 2, 7],
            umask: 0o022,
            sigmask: 1 << 13,
            ignored: 1 << 0,
            nice: -3,
            rlimits: vec![(7, 1024, 4096), (3, u64::MAX, u64::MAX)],
        }
    }

    #[test]
    fn a_request_round_trips() {
        let r = sample();
        let b = r.encode();
        assert_eq!(Request::frame_len(&b[..8]).unwrap(), Some(b.len()));
        assert_eq!(Request::decode(&b).unwrap(), r);
    }

    #[test]
    fn every_truncation_and_bad_count_is_refused() {
        let b = sample().encode();
        for cut in 8..b.len() {
            let mut t = b[..cut].to_vec();
            t[4..8].copy_from_slice(&((cut - 8) as u32).to_le_bytes());
            assert!(Request::decode(&t).is_err(), "cut at {cut} accepted");
        }
        let mut bad = b.clone();
        bad[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Request::decode(&bad).unwrap_err().contains("count"));
        let mut magic = b.clone();
        magic[0] = b'X';
        assert!(Request::decode(&magic).unwrap_err().contains("SBX1"));
        let mut big = b;
        big[4..8].copy_from_slice(&((MAX_REQUEST + 1) as u32).to_le_bytes());
        assert!(Request::frame_len(&big).unwrap_err().contains("larger"));
    }

    #[test]
    fn nul_bytes_and_empty_command_lines_are_refused() {
        let mut r = sample();
        r.args = vec![OsString::from_vec(b"a\0b".to_vec())];
        assert!(Request::decode(&r.encode()).unwrap_err().contains("NUL"));
        r.args.clear();
        assert!(Request::decode(&r.encode()).unwrap_err().contains("no command line"));
    }
}
