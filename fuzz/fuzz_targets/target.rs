//! The launcher's inspection of the target (launcher/src/target/): ELF headers, program
//! headers, PT_INTERP, the dynamic section, `#!` lines and interpreter chains. The input is up
//! to four files separated by "@@F\n", written to /tmp/sbxfz-target/{a,b,c,d} (mode 0755),
//! so a `#!` line can name another one (or itself). `open_checked(a)` must return a checked
//! file or a one-line refusal with exit code 125, 126 or 127: never panic or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const DIR: &str = "/tmp/sbxfz-target";

fuzz_target!(|data: &[u8]| {
    let _ = std::fs::create_dir_all(DIR);
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < 3 {
        match rest.windows(4).position(|w| w == b"@@F\n") {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + 4..];
            }
            None => break,
        }
    }
    parts.push(rest);
    for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
        let p = Path::new(DIR).join(name);
        let _ = std::fs::remove_file(&p);
        if let Some(body) = parts.get(i) {
            std::fs::write(&p, body).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    match launcher::target::open_checked(&Path::new(DIR).join("a")) {
        Ok(_) => {}
        Err(r) => {
            assert!([125, 126, 127].contains(&r.code), "exit code {}: {}", r.code, r.msg);
            assert!(
                r.msg.starts_with("sandbox: ") && !r.msg.chars().any(char::is_control),
                "not one line: {:?}",
                r.msg
            );
        }
    }
});
