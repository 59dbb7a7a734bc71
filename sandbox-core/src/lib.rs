//! sandbox-core: the Policy and `arm()`, every containment step in order.
//!
//! `no_std` on purpose: under bare LD_PRELOAD the program can interpose any libc symbol, so
//! nothing on the arming path may call libc. All kernel access goes through `sys`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod error;
pub mod policy;
pub mod seccomp;
pub mod sys;

pub use error::{Error, Result};
pub use policy::Policy;
