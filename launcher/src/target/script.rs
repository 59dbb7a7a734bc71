//! `#!` lines: split like the kernel does, and the `/usr/bin/env NAME` forms that can run
//! without env's second exec.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{Checked, Kind};

/// The `#!` line, split like the kernel does: interpreter = first word, the rest (trimmed) is
/// one optional argument. `full` says the header buffer was filled (the file may go on).
pub(super) fn shebang(hdr: &[u8], full: bool) -> Result<(PathBuf, Option<OsString>), String> {
    let line = match hdr.iter().position(|&c| c == b'\n') {
        Some(i) => &hdr[2..i],
        None if full => return Err("#! line too long (max 255 bytes)".into()),
        None => &hdr[2..],
    };
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let line = &line[line.iter().position(|c| !blank(c)).unwrap_or(line.len())..];
    let end = line.iter().position(blank).unwrap_or(line.len());
    let (interp, rest) = line.split_at(end);
    if interp.is_empty() {
        return Err("no interpreter after #!".into());
    }
    let interp = PathBuf::from(OsStr::from_bytes(interp));
    // The kernel would resolve a relative interpreter against the cwd: depend on no cwd.
    if !interp.is_absolute() {
        return Err(format!("#! interpreter must be an absolute path: '{}'", interp.display()));
    }
    let s = rest.iter().position(|c| !blank(c)).unwrap_or(rest.len());
    let e = rest.iter().rposition(|c| !blank(c)).map_or(s, |i| i + 1);
    let arg = (s < e).then(|| OsStr::from_bytes(&rest[s..e]).to_os_string());
    Ok((interp, arg))
}

/// For `#!/usr/bin/env [-S] [opts] [NAME=V]... cmd ...`: the command env will look up.
pub(super) fn env_command(interp: &Path, arg: Option<&OsStr>) -> Option<String> {
    if interp.file_name() != Some(OsStr::new("env")) {
        return None;
    }
    let arg = arg?.to_str()?;
    let mut words = arg.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            // Options that take the next word.
            "-u" | "--unset" | "-C" | "--chdir" => {
                words.next();
            }
            _ if w.starts_with('-') || w.contains('=') => {}
            _ => return Some(w.to_string()),
        }
    }
    None
}

/// How to run a `#!/usr/bin/env NAME` script without a second exec: the interpreter env would
/// find (checked like any program) and the words to pass before the script. Only the plain
/// forms `NAME` and `-S NAME ARG...` qualify; anything else (options, assignments, quotes
/// or `$` in `-S`) is left to env itself, which then needs exec (a violation under judge).
pub fn direct_interpreter(c: &Checked) -> Option<(&Checked, Vec<OsString>)> {
    let Kind::Script { interp, arg, env_target: Some(target) } = &c.kind else {
        return None;
    };
    if interp.path.file_name() != Some(OsStr::new("env")) {
        return None;
    }
    let arg = arg.as_deref()?.to_str()?;
    let mut words = arg.split_whitespace().peekable();
    let split = words.peek() == Some(&"-S");
    if split {
        words.next();
    }
    let words: Vec<&str> = words.collect();
    let plain = |w: &str| !w.is_empty() && !w.contains(['"', '\'', '\\', '$', '#', '=']);
    if words.is_empty() || words[0].starts_with('-') || !words.iter().all(|w| plain(w)) || (!split && words.len() > 1) {
        return None;
    }
    Some((target, words[1..].iter().map(OsString::from).collect()))
}
