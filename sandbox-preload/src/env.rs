//! The policy of bare mode, from SANDBOX_* variables read straight from the loader's envp
//! (no getenv, which the program could interpose).

use alloc::format;
use alloc::string::String;
use sandbox_core::policy::{env_items, env_name, one_line, Arg, Settings, KEYS};
use sandbox_core::{sys, Policy};

/// The loader's null-terminated pointer array, including its terminating null.
///
/// # Safety
/// `p` is a null-terminated array of pointers that lives for the whole process.
pub unsafe fn array(p: *const *const u8) -> &'static [*const u8] {
    let mut n = 0;
    // SAFETY: per the contract, every slot up to and including the null one is readable.
    unsafe {
        while !(*p.add(n)).is_null() {
            n += 1;
        }
        core::slice::from_raw_parts(p, n + 1)
    }
}

/// The policy of the SANDBOX_* entries of `envp`; the error is one line even when it quotes a
/// variable name holding a newline (found by fuzzing).
pub fn policy(envp: &[*const u8]) -> Result<Policy, String> {
    read(envp).map_err(|e| one_line(&e))
}

fn read(envp: &[*const u8]) -> Result<Policy, String> {
    let mut settings = Settings::<()>::default();
    let mut libs: alloc::vec::Vec<&[u8]> = alloc::vec::Vec::new();
    for &e in envp.iter().take_while(|e| !e.is_null()) {
        // SAFETY: each entry is a NUL-terminated string from the loader.
        let kv = unsafe { sys::c_bytes(e) };
        let Some(eq) = kv.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (k, v) = (&kv[..eq], &kv[eq + 1..]);
        if k == b"LD_PRELOAD" || k == b"LD_AUDIT" {
            libs.push(v);
        }
        // SANDBOX_SERVER names the launcher's server (`--server`), not a policy key: a
        // program run under a shell that exported it is not refused for it.
        if !k.starts_with(b"SANDBOX_") || k == b"SANDBOX_SERVER" {
            continue;
        }
        let k = core::str::from_utf8(k).map_err(|_| "non-UTF-8 SANDBOX_ variable name")?;
        let v = core::str::from_utf8(v).map_err(|_| format!("{k}: value is not UTF-8"))?;
        // An unknown SANDBOX_ variable is an error: a typo must not silently drop a limit.
        let key = KEYS
            .iter()
            .find(|key| env_name(key.name) == k)
            .ok_or_else(|| format!("{k}: unknown variable (see the README's table)"))?;
        if key.list {
            // A variable cannot repeat: its items are comma-separated (`\,` for a comma).
            for item in env_items(v) {
                settings.add(key, (), item);
            }
        } else {
            let v = if key.arg == Arg::Flag && v.is_empty() { "true" } else { v };
            settings.add(key, (), String::from(v));
        }
    }
    let mut p = settings.finalize().map_err(|(_, k, e)| format!("{}: {e}", env_name(k)))?;
    // Every preloaded or audit library must resolve inside the jail, or ld.so would skip it in
    // the re-executed program and its children: bind each read-only at the path ld.so will use
    // (a relative one is resolved against the current directory, as ld.so does).
    let mut cwd = [0u8; 4096];
    let n = sys::getcwd(&mut cwd).map_err(|_| "getcwd failed")?;
    for list in libs {
        for lib in list.split(|&b| b == b':' || b == b' ').filter(|l| !l.is_empty()) {
            let lib = core::str::from_utf8(lib).map_err(|_| "LD_PRELOAD/LD_AUDIT is not UTF-8")?;
            let path = absolute(&cwd[..n], lib);
            if !p.visible.contains(&path) {
                p.visible.push(path);
            }
        }
    }
    Ok(p)
}

/// `lib` made absolute against `cwd`, with `.` and `..` folded lexically (ld.so opens it
/// relative to the same directory inside the jail).
fn absolute(cwd: &[u8], lib: &str) -> String {
    let base = if lib.starts_with('/') { "" } else { core::str::from_utf8(cwd).unwrap_or("/") };
    let mut parts: alloc::vec::Vec<&str> = alloc::vec::Vec::new();
    for c in base.split('/').chain(lib.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::new();
    for c in parts {
        s.push('/');
        s.push_str(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{absolute, policy};

    /// Fuzzing regression (bare_env): a variable name with a newline gave a two-line error.
    #[test]
    fn errors_are_one_line() {
        let vars = [c"PATH=/bin", c"SANDBOX_TI\nME=1"];
        let mut ptrs: alloc::vec::Vec<*const u8> = vars.iter().map(|c| c.as_ptr().cast()).collect();
        ptrs.push(core::ptr::null());
        let e = policy(&ptrs).unwrap_err();
        assert_eq!(e, "SANDBOX_TI\\nME: unknown variable (see the README's table)");
    }

    #[test]
    fn library_paths_resolve_like_the_loader() {
        assert_eq!(absolute(b"/work/a/b", "../../lib/x.so"), "/work/lib/x.so");
        assert_eq!(absolute(b"/work", "./x.so"), "/work/x.so");
        assert_eq!(absolute(b"/work", "/abs/x.so"), "/abs/x.so");
        assert_eq!(absolute(b"/", "../../x.so"), "/x.so");
    }
}
