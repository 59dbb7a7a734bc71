//! `Policy::set` for every key: segments separated by NUL, each a key index byte then the
//! value. Every value must be accepted or refused with a one-line message, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sandbox_core::policy::KEYS;
use sandbox_core::Policy;

fuzz_target!(|data: &[u8]| {
    let mut p = Policy::default();
    for seg in data.split(|&b| b == 0) {
        let Some((&k, v)) = seg.split_first() else { continue };
        let Ok(v) = std::str::from_utf8(v) else { continue };
        let key = KEYS[k as usize % KEYS.len()].name;
        if let Err(e) = p.set(key, v) {
            assert!(!e.is_empty() && !e.chars().any(char::is_control), "{key}={v:?}: error not one line: {e:?}");
        }
    }
});
