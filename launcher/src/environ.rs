//! The target's environment: a small allow-list by default, never the caller's loader or
//! sandbox variables.
//!
//! `LD_*` from the caller would change what ld.so loads into the target (LD_PRELOAD,
//! LD_LIBRARY_PATH, LD_AUDIT...) and could displace libsandbox.so; `SANDBOX_*` configure bare
//! mode and must not reconfigure the library the target loads. Both are dropped even with
//! `--inherit-env` or `--keep-env`.

use sandbox_core::Policy;
use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Passed by default: what programs need to find tools and print text correctly.
fn allowed_by_default(name: &[u8]) -> bool {
    matches!(name, b"PATH" | b"LANG" | b"TERM" | b"TZ") || name.starts_with(b"LC_")
}

fn never_passed(name: &[u8]) -> bool {
    name.starts_with(b"LD_") || name.starts_with(b"SANDBOX_")
}

/// Whether the caller's variable `name` reaches the target (`--inherit-env`, `--keep-env`).
pub fn passes(inherit: bool, keep: &[String], name: &[u8]) -> bool {
    !never_passed(name)
        && !name.is_empty()
        && !name.contains(&b'=')
        && (inherit || allowed_by_default(name) || keep.iter().any(|n| n.as_bytes() == name))
}

/// The part of an environment (`K=V` entries) that a run with these options depends on: the
/// variables that reach the target (PATH among them, which also finds the target), sorted.
/// Two environments with the same view give the same run (the server's pool matches on it).
pub fn view(env: &[OsString], inherit: bool, keep: &[String]) -> Vec<OsString> {
    let mut v: Vec<OsString> = env
        .iter()
        .filter(|kv| {
            let b = kv.as_bytes();
            let name = &b[..b.iter().position(|&c| c == b'=').unwrap_or(b.len())];
            passes(inherit, keep, name)
        })
        .cloned()
        .collect();
    v.sort();
    v
}

/// Build the target's `envp` (sorted by name, one entry per name).
///
/// `lib` is the absolute path of libsandbox.so (becomes LD_PRELOAD), `workdir` the work dir
/// (HOME; /tmp without one). SANDBOX_CGROUP_DIR is added by `arm()` (sandbox-core's
/// environ.rs), the one place that knows the run's cgroup.
/// Errors: an explicit `--env LD_*`, or a `lib` path ld.so would misread.
pub fn build_env(
    policy: &Policy,
    caller: &[(OsString, OsString)],
    lib: Option<&Path>,
    workdir: Option<&Path>,
) -> Result<Vec<CString>, String> {
    let mut env: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (k, v) in caller {
        let name = k.as_bytes();
        if never_passed(name) || name.is_empty() || name.contains(&b'=') {
            continue;
        }
        if passes(policy.inherit_env, &policy.keep_env, name) {
            env.insert(name.to_vec(), v.as_bytes().to_vec());
        }
    }
    env.entry(b"PATH".to_vec()).or_insert_with(|| DEFAULT_PATH.as_bytes().to_vec());
    let home = workdir.map(|p| p.as_os_str()).unwrap_or(OsStr::new("/tmp"));
    env.insert(b"HOME".to_vec(), home.as_bytes().to_vec());

    // Explicit --env comes last and wins, except over the loader's variables.
    for (k, v) in &policy.env {
        if k.starts_with("LD_") {
            return Err(format!(
                "--env {k}: LD_* variables cannot be set for the target (the sandbox controls the loader)"
            ));
        }
        env.insert(k.as_bytes().to_vec(), v.as_bytes().to_vec());
    }

    if let Some(lib) = lib {
        let b = lib.as_os_str().as_bytes();
        // ld.so splits LD_PRELOAD on spaces and colons, and resolves relative paths against the
        // target's cwd: either would load something else, or nothing.
        if !lib.is_absolute() || b.iter().any(|c| matches!(c, b' ' | b':' | b'\t')) {
            return Err(format!("library path must be absolute, without spaces or colons: {}", lib.display()));
        }
        env.insert(b"LD_PRELOAD".to_vec(), b.to_vec());
    }

    env.into_iter()
        .map(|(mut k, v)| {
            k.push(b'=');
            k.extend_from_slice(&v);
            CString::new(k).map_err(|e| format!("environment entry with a NUL byte: {e}"))
        })
        .collect()
}

/// The caller's environment, in the shape `build_env` takes.
pub fn caller_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os().collect()
}

/// `NAME=value` entries back into pairs (for tests and reports).
pub fn as_pairs(env: &[CString]) -> Vec<(OsString, OsString)> {
    env.iter()
        .filter_map(|e| {
            let b = e.as_bytes();
            let i = b.iter().position(|&c| c == b'=')?;
            Some((OsString::from_vec(b[..i].to_vec()), OsString::from_vec(b[i + 1..].to_vec())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/opt/bin:/usr/bin"),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C"),
            ("TERM", "xterm"),
            ("HOME", "/root"),
            ("AWS_SECRET_ACCESS_KEY", "hunter2"),
            ("LD_PRELOAD", "/evil.so"),
            ("LD_LIBRARY_PATH", "/evil"),
            ("LD_AUDIT", "/evil-audit.so"),
            ("SANDBOX_SECCOMP", "none"),
        ]
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect()
    }

    fn get(env: &[CString], k: &str) -> Option<String> {
        as_pairs(env).into_iter().find(|(n, _)| n == k).map(|(_, v)| v.into_string().unwrap())
    }

    fn build(p: &Policy) -> Vec<CString> {
        build_env(p, &caller(), None, Some(Path::new("/work/box"))).unwrap()
    }

    #[test]
    fn default_allow_list() {
        let env = build(&Policy::default());
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY"), None);
        assert_eq!(get(&env, "PATH").as_deref(), Some("/opt/bin:/usr/bin"));
        assert_eq!(get(&env, "LANG").as_deref(), Some("C.UTF-8"));
        assert_eq!(get(&env, "LC_ALL").as_deref(), Some("C"));
        assert_eq!(get(&env, "TERM").as_deref(), Some("xterm"));
        assert_eq!(get(&env, "HOME").as_deref(), Some("/work/box"));
        assert_eq!(env.len(), 5);
    }

    #[test]
    fn keep_env_passes_one() {
        let mut p = Policy::default();
        crate::options::set(&mut p, "keep-env", "AWS_SECRET_ACCESS_KEY").unwrap();
        crate::options::set(&mut p, "keep-env", "LD_PRELOAD").unwrap();
        crate::options::set(&mut p, "keep-env", "SANDBOX_SECCOMP").unwrap();
        let env = build(&p);
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY").as_deref(), Some("hunter2"));
        assert_eq!(get(&env, "LD_PRELOAD"), None);
        assert_eq!(get(&env, "SANDBOX_SECCOMP"), None);
    }

    #[test]
    fn inherit_env_still_drops_loader_and_sandbox_vars() {
        let mut p = Policy::default();
        crate::options::set(&mut p, "inherit-env", "true").unwrap();
        let env = build(&p);
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY").as_deref(), Some("hunter2"));
        for k in ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "SANDBOX_SECCOMP"] {
            assert_eq!(get(&env, k), None, "{k}");
        }
        // HOME is the work dir even when everything else is inherited.
        assert_eq!(get(&env, "HOME").as_deref(), Some("/work/box"));
    }

    #[test]
    fn home_defaults_to_tmp_and_path_to_default() {
        let env = build_env(&Policy::default(), &[], None, None).unwrap();
        assert_eq!(get(&env, "HOME").as_deref(), Some("/tmp"));
        assert_eq!(get(&env, "PATH").as_deref(), Some(DEFAULT_PATH));
    }

    #[test]
    fn explicit_env_wins_but_not_for_ld() {
        let mut p = Policy::default();
        crate::options::set(&mut p, "env", "HOME=/elsewhere").unwrap();
        crate::options::set(&mut p, "env", "FOO=a=b").unwrap();
        let env = build(&p);
        assert_eq!(get(&env, "HOME").as_deref(), Some("/elsewhere"));
        assert_eq!(get(&env, "FOO").as_deref(), Some("a=b"));

        crate::options::set(&mut p, "env", "LD_BIND_NOW=1").unwrap();
        assert!(build_env(&p, &caller(), None, None).unwrap_err().contains("LD_BIND_NOW"));
    }

    #[test]
    fn preload_added_cgroup_dir_left_to_arm() {
        let mut p = Policy::default();
        crate::options::set(&mut p, "env", "SANDBOX_CGROUP_DIR=/fake").unwrap();
        let lib = Path::new("/usr/lib/libsandbox.so");
        let env = build_env(&p, &caller(), Some(lib), None).unwrap();
        assert_eq!(get(&env, "LD_PRELOAD").as_deref(), Some("/usr/lib/libsandbox.so"));
        // arm() replaces it with the run's cgroup when there is one (sandbox-core environ.rs).
        assert_eq!(get(&env, "SANDBOX_CGROUP_DIR").as_deref(), Some("/fake"));

        for bad in ["libsandbox.so", "/a b/lib.so", "/a:/b.so"] {
            assert!(build_env(&p, &[], Some(Path::new(bad)), None).is_err(), "{bad}");
        }
    }
}
