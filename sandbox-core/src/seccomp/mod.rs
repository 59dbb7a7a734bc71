//! Seccomp: our own BPF generator (no libseccomp), the containment probe, installation and
//! user notification. Profiles and the reason for every rule: docs/seccomp.md.

mod bpf;
mod file;
mod filter;
mod profiles;
/// Public for the differential test against libseccomp (seccomp-diff/).
pub mod rules;
pub mod syscalls;
#[cfg(test)]
mod tests;

use crate::error::strerror;
use crate::policy::{one_line, Seccomp};
use crate::sys::{self, c_uint};
/// User notification and handing its listener on live in sys (they pass structs by pointer).
pub use crate::sys::{recv_fd, recv_notif, respond_errno, send_fd};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
pub use libc::sock_filter;
pub use profiles::GROUPS;

/// Containment marker: this syscall number, unassigned on x86-64 (far above the table and
/// below the x32 bit), with `PROBE_MAGIC` as its first argument, fails with `PROBE_ERRNO`
/// only under our filter. Without it the kernel answers ENOSYS, so no environment variable
/// can fake it. (A program could install its own filter answering the same public triple;
/// the probe proves "a filter that knows the marker is installed", not who installed it.)
pub const PROBE_NR: u32 = 0x3fff_5ecc;
/// "SANDBOX!" in ASCII.
pub const PROBE_MAGIC: u64 = 0x5341_4e44_424f_5821;
/// Outside every real errno (they end near 133), inside the kernel's 4095 limit.
pub const PROBE_ERRNO: i32 = 3_333;

pub const FLAG_TSYNC: c_uint = libc::SECCOMP_FILTER_FLAG_TSYNC as c_uint;
pub const FLAG_NEW_LISTENER: c_uint = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as c_uint;

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Nonzero: deny execve, and allow execveat only with this value as its 6th argument.
    pub exec_cookie: u64,
    /// Violations of `strict` go to a user-notification listener instead of killing.
    pub notify: bool,
    /// New processes are violations (fork, vfork, clone without CLONE_THREAD); threads stay.
    pub no_processes: bool,
}

/// Build the complete filter for `profile`. `Seccomp::File` is read here (raw syscalls).
pub fn build(profile: &Seccomp, opts: &Options) -> Result<Vec<sock_filter>, String> {
    let rules = ruleset(profile).map_err(|e| one_line(&e))?;
    filter::assemble(&rules, opts).map_err(|e| format!("seccomp: {e}"))
}

/// The rule set `build` compiles (public for the differential test, seccomp-diff/).
pub fn ruleset(profile: &Seccomp) -> Result<rules::Ruleset, String> {
    let mut rules = match profile {
        Seccomp::Default => profiles::default(),
        Seccomp::Strict => profiles::strict(),
        Seccomp::Compile => profiles::compile(),
        Seccomp::None => profiles::none(),
        Seccomp::File(path) => {
            let text = sys::read_file(path.as_bytes())
                .map_err(|e| format!("seccomp: cannot read '{path}': {}", strerror(e)))?;
            let text = core::str::from_utf8(&text).map_err(|_| format!("seccomp: '{path}' is not UTF-8"))?;
            file::parse(text).map_err(|e| format!("seccomp: {path}: {e}"))?
        }
    };
    profiles::guard_setid(&mut rules)
        .map_err(|n| format!("seccomp: the profile's own argument rule on {n} would defeat the set-id guard"))?;
    Ok(rules)
}

/// Check a policy file's text without building (for early, friendly errors).
pub fn check_file(text: &str) -> Result<(), String> {
    // The same refusals as `ruleset`: a file whose own rule would defeat the set-id guard.
    let mut rules = file::parse(text)?;
    profiles::guard_setid(&mut rules).map_err(|n| format!("its own argument rule on {n} would defeat the set-id guard"))
}

/// Install `prog` on the calling thread (FLAG_TSYNC: all threads). The caller has set
/// no_new_privs. With FLAG_NEW_LISTENER the listener fd (close-on-exec) is returned.
///
/// SECCOMP_FILTER_FLAG_SPEC_ALLOW is deliberately not set: without it the kernel may force
/// Speculative Store Bypass mitigation on the task (on CPUs and boot settings where SSBD is
/// "seccomp"/"prctl"), which costs some single-thread speed but keeps a hostile program
/// from using Spectre v4 against its own sandbox. On the reference VM spec_store_bypass is
/// not mitigated at all, so the flag would change nothing there anyway.
pub fn install(prog: &[sock_filter], flags: c_uint) -> Result<Option<sys::Fd>, i32> {
    if prog.is_empty() || prog.len() > bpf::MAX_INSNS {
        return Err(libc::EINVAL);
    }
    sys::seccomp_set_filter(prog, flags)
}

/// True when this process runs under our filter with no_new_privs set.
pub fn contained() -> bool {
    sys::unassigned_syscall(PROBE_NR, PROBE_MAGIC) == Err(PROBE_ERRNO) && sys::prctl_get_no_new_privs() == Ok(true)
}
