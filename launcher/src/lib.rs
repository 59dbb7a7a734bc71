//! The launcher's parts: everything `sandbox` decides before it arms and execs the target.

pub mod cli;
pub mod config;
pub mod environ;
pub mod fds;
pub mod options;
pub mod target;

/// Exit statuses of the launcher itself (a shell's 126/127, and the sandbox's 125).
pub use sandbox_core::EXIT_SETUP;
/// PROGRAM exists but cannot be run sandboxed.
pub const EXIT_CANNOT_RUN: i32 = 126;
/// PROGRAM was not found.
pub const EXIT_NOT_FOUND: i32 = 127;
pub mod serve;
