//! The launcher's TOML configuration (`--config FILE`): any text is applied or refused with
//! one line naming the file, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = launcher::config::apply(text, "f.toml") {
        assert!(e.starts_with("f.toml") && !e.chars().any(char::is_control), "error not one line: {e:?}");
    }
});
