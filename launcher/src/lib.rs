//! The launcher's parts: everything `sandbox` decides before it arms and execs the target.

pub mod config;
pub mod environ;
pub mod fds;
pub mod target;
