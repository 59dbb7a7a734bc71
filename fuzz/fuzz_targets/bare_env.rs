//! Bare mode's environment parsing (sandbox-preload/src/env.rs, compiled here from the same
//! source file): it runs inside the untrusted process before main. The input is the
//! environment block: entries separated by NUL, as in a real envp (newlines are data).
#![no_main]
extern crate alloc;
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;

#[path = "../../sandbox-preload/src/env.rs"]
#[allow(dead_code)]
mod env;

fuzz_target!(|data: &[u8]| {
    let vars: Vec<CString> = data.split(|&b| b == 0).map(|l| CString::new(l).unwrap()).collect();
    let mut ptrs: Vec<*const u8> = vars.iter().map(|c| c.as_ptr().cast()).collect();
    ptrs.push(std::ptr::null());
    if let Err(e) = env::policy(&ptrs) {
        assert!(!e.is_empty() && !e.chars().any(char::is_control), "error not one line: {e:?}");
    }
});
