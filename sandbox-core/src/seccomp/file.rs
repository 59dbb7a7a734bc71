//! The policy-file format (`--seccomp FILE`).
//!
//! ```text
//! # comment (also after a directive)
//! default allow            # or: default deny | default kill | default errno EACCES
//! deny ptrace bpf          # errno EPERM
//! errno EACCES openat      # errno by name or number (1..4095)
//! kill socket              # SIGSYS, whole process
//! allow read write @basic-io
//! ```
//!
//! Exactly one `default` line. Names are syscalls or `@group`s (see `profiles::GROUPS`).
//! A later line overrides an earlier one for the same syscall, so
//! `deny @mount` then `allow mount` denies all of @mount but `mount`.
//! Rules are per syscall number; only the built-in profiles check arguments.

use super::profiles::group;
use super::rules::{Action, Ruleset};
use super::syscalls;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub fn parse(text: &str) -> Result<Ruleset, String> {
    let mut default: Option<(Action, usize)> = None;
    let mut rules: Vec<(u32, Action)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(verb) = words.next() else { continue };
        let err = |m: String| format!("line {ln}: {m}");
        if verb == "default" {
            let verb = need(&mut words, "'default' needs an action").map_err(err)?;
            let a = action(&mut words, verb).map_err(err)?;
            if let Some(w) = words.next() {
                return Err(err(format!("unexpected '{w}' after the default action")));
            }
            if let Some((_, first)) = default {
                return Err(err(format!("second 'default' (first on line {first})")));
            }
            default = Some((a, ln));
            continue;
        }
        let a = action(&mut words, verb).map_err(err)?;
        let mut any = false;
        for w in words {
            any = true;
            if let Some(g) = w.strip_prefix('@') {
                let members = group(g).ok_or_else(|| err(format!("unknown group '{w}'")))?;
                rules.extend(members.iter().map(|&nr| (nr, a)));
            } else {
                let nr = syscalls::number(w).ok_or_else(|| err(format!("unknown syscall '{w}'")))?;
                rules.push((nr, a));
            }
        }
        if !any {
            return Err(err(format!("'{verb}' needs at least one syscall or @group")));
        }
    }
    let (d, _) = default.ok_or("no 'default' line (e.g. 'default allow')")?;
    let mut rs = Ruleset::new(d);
    for (nr, a) in rules {
        rs.set(nr, a);
    }
    Ok(rs)
}

fn need<'a>(w: &mut impl Iterator<Item = &'a str>, msg: &str) -> Result<&'a str, String> {
    w.next().ok_or_else(|| msg.into())
}

/// The action named by `verb` (consuming the errno operand of `errno`).
fn action<'a>(words: &mut impl Iterator<Item = &'a str>, verb: &str) -> Result<Action, String> {
    Ok(match verb {
        "allow" => Action::Allow,
        "deny" => Action::Errno(libc::EPERM as u16),
        "kill" => Action::KillProcess,
        "errno" => Action::Errno(errno(need(words, "'errno' needs an errno name or number")?)?),
        _ => return Err(format!("unknown directive '{verb}' (allow, deny, errno, kill, default)")),
    })
}

const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("EBADF", libc::EBADF),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EINVAL", libc::EINVAL),
    ("EMFILE", libc::EMFILE),
    ("ENOSPC", libc::ENOSPC),
    ("EROFS", libc::EROFS),
    ("ENOSYS", libc::ENOSYS),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("ENOTSUP", libc::ENOTSUP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ECONNREFUSED", libc::ECONNREFUSED),
];

fn errno(w: &str) -> Result<u16, String> {
    let n = match ERRNOS.iter().find(|e| e.0 == w) {
        Some(e) => e.1 as u32,
        None => w.parse::<u32>().map_err(|_| format!("unknown errno '{w}'"))?,
    };
    if !(1..=4095).contains(&n) {
        return Err(format!("errno out of range 1..4095: '{w}'"));
    }
    Ok(n as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::syscalls::number;

    #[test]
    fn parses_the_documented_example() {
        let r = parse(
            "# comment\n\
             default allow            # trailing comment\n\
             deny ptrace bpf\n\
             errno EACCES openat\n\
             errno 38 getpid\n\
             kill socket\n\
             deny @mount\n\
             allow mount read write @basic-io\n",
        )
        .unwrap();
        let n = |s| number(s).unwrap();
        assert_eq!(r.default, Action::Allow);
        assert_eq!(r.action(n("ptrace")), Action::Errno(1));
        assert_eq!(r.action(n("openat")), Action::Errno(13));
        assert_eq!(r.action(n("getpid")), Action::Errno(38));
        assert_eq!(r.action(n("socket")), Action::KillProcess);
        assert_eq!(r.action(n("umount2")), Action::Errno(1));
        assert_eq!(r.action(n("mount")), Action::Allow, "later line wins");
        assert_eq!(r.action(n("uname")), Action::Allow);
    }

    #[test]
    fn errors_name_the_line() {
        for (text, want) in [
            ("default allow\nallow read\nallow opne\n", "line 3: unknown syscall 'opne'"),
            ("default allow\nfrobnicate read\n", "line 2: unknown directive 'frobnicate'"),
            ("default allow\n\ndefault kill\n", "line 3: second 'default' (first on line 1)"),
            ("default kill\ndeny @nope\n", "line 2: unknown group '@nope'"),
            ("default allow\nerrno EWHAT read\n", "line 2: unknown errno 'EWHAT'"),
            ("default allow\nerrno 0 read\n", "line 2: errno out of range"),
            ("default allow\nerrno\n", "line 2: 'errno' needs an errno"),
            ("default allow\ndeny\n", "line 2: 'deny' needs at least one"),
            ("default\n", "line 1: 'default' needs an action"),
            ("default allow read\n", "line 1: unexpected 'read'"),
            ("allow read\n", "no 'default' line"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: got {e:?}, want {want:?}");
        }
    }
}
