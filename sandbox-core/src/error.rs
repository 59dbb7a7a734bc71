//! The one error type of the arming path: which step failed, what, and the OS error.

use alloc::string::String;
use core::fmt;

#[derive(Debug, Clone)]
pub struct Error {
    pub step: &'static str,
    pub what: String,
    pub errno: i32,
}

pub type Result<T> = core::result::Result<T, Error>;

/// Exit status of the sandbox itself when it could not be set up.
pub const EXIT_SETUP: i32 = 125;

impl Error {
    pub fn new(step: &'static str, what: impl Into<String>, errno: i32) -> Self {
        Error { step, what: what.into(), errno }
    }
    pub fn msg(step: &'static str, what: impl Into<String>) -> Self {
        Error::new(step, what, 0)
    }
}

/// Attach a step and a description to a raw errno.
pub trait Ctx<T> {
    fn ctx(self, step: &'static str, what: &str) -> Result<T>;
}
impl<T> Ctx<T> for core::result::Result<T, i32> {
    fn ctx(self, step: &'static str, what: &str) -> Result<T> {
        self.map_err(|e| Error::new(step, what, e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.what)?;
        if self.errno != 0 {
            write!(f, ": {}", strerror(self.errno))?;
        }
        Ok(())
    }
}

/// Error text without libc's strerror (which a preloaded program could interpose).
pub fn strerror(e: i32) -> &'static str {
    match e {
        libc::EPERM => "Operation not permitted",
        libc::ENOENT => "No such file or directory",
        libc::ESRCH => "No such process",
        libc::EINTR => "Interrupted system call",
        libc::EIO => "Input/output error",
        libc::E2BIG => "Argument list too long",
        libc::ENOEXEC => "Exec format error",
        libc::EBADF => "Bad file descriptor",
        libc::ECHILD => "No child processes",
        libc::EAGAIN => "Resource temporarily unavailable",
        libc::ENOMEM => "Cannot allocate memory",
        libc::EACCES => "Permission denied",
        libc::EFAULT => "Bad address",
        libc::EBUSY => "Device or resource busy",
        libc::EEXIST => "File exists",
        libc::EXDEV => "Invalid cross-device link",
        libc::ENOTDIR => "Not a directory",
        libc::EISDIR => "Is a directory",
        libc::EINVAL => "Invalid argument",
        libc::EMFILE => "Too many open files",
        libc::ENOSPC => "No space left on device",
        libc::EROFS => "Read-only file system",
        libc::ENAMETOOLONG => "File name too long",
        libc::ENOSYS => "Function not implemented",
        libc::ENOTEMPTY => "Directory not empty",
        libc::ELOOP => "Too many levels of symbolic links",
        libc::EOPNOTSUPP => "Operation not supported",
        libc::ENODATA => "No data available",
        libc::EUSERS => "Too many users",
        libc::ETXTBSY => "Text file busy",
        _ => "unknown error",
    }
}
