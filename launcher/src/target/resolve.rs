//! Finding the program like a shell does, before it is opened and checked.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Refusal;
use crate::environ::DEFAULT_PATH;
use crate::EXIT_NOT_FOUND;

/// Find `program` like a shell: a name with '/' is used as is; otherwise the first executable
/// regular file in PATH (default `/usr/local/bin:/usr/bin:/bin`; an empty entry means ".").
/// A non-executable match is returned when nothing better exists, so `open_checked` says 126.
pub fn resolve(program: &str, path_env: Option<&str>) -> Result<PathBuf, Refusal> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let not_found = || Refusal { code: EXIT_NOT_FOUND, msg: format!("sandbox: {program}: command not found") };
    if program.is_empty() {
        return Err(not_found());
    }
    let mut fallback = None;
    for dir in path_env.unwrap_or(DEFAULT_PATH).split(':') {
        let cand = Path::new(if dir.is_empty() { "." } else { dir }).join(program);
        if !std::fs::metadata(&cand).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if access_x(&cand) {
            return Ok(cand);
        }
        fallback.get_or_insert(cand);
    }
    fallback.ok_or_else(not_found)
}
fn cpath(p: &Path) -> Option<CString> {
    CString::new(p.as_os_str().as_bytes()).ok()
}

/// X_OK for the caller's effective ids, as exec would judge it (also fails on noexec mounts).
pub(super) fn access_x(p: &Path) -> bool {
    let Some(c) = cpath(p) else { return false };
    // SAFETY: `c` is a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) == 0 }
}
