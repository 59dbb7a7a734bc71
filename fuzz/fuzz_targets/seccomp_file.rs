//! The seccomp policy-file format (`--seccomp FILE`), through the same path as a run: the
//! file is read and compiled by `seccomp::build`. Anything is compiled into a program the
//! kernel would accept (length, jumps) or refused with one line without control characters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sandbox_core::policy::Seccomp;
use sandbox_core::seccomp::{self, Options};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("sbxfz-seccomp-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let p = Seccomp::File(path.to_str().unwrap().into());
    let parsed = std::str::from_utf8(data).ok().map(seccomp::check_file);
    for o in [Options::default(), Options { exec_cookie: 0x5eed_5eed_5eed_5eed, notify: true, no_processes: true }] {
        match seccomp::build(&p, &o) {
            Ok(prog) => {
                assert!(!prog.is_empty() && prog.len() <= 4096);
                assert_eq!(parsed, Some(Ok(())), "built what check_file refused");
            }
            Err(e) => {
                assert!(e.starts_with("seccomp: ") && !e.chars().any(char::is_control), "not one line: {e:?}");
                assert!(!matches!(parsed, Some(Ok(()))), "check_file accepted what did not build: {e}");
            }
        }
    }
});
