//! The launcher's own keys (the program's environment and descriptors, the library), in the
//! shape of the core table (`sandbox_core::policy::KEYS`), and the one way every source of the
//! launcher (TOML file, then flags) turns into a policy. Bare mode has none of these: its
//! program is already running with its own environment and descriptors.

use sandbox_core::policy::{nonempty, parse_bool, Key, Settings, KEYS as CORE};
use sandbox_core::Policy;

/// Keys only the launcher takes. Same shape as the core table: adding one is one entry.
pub const KEYS: &[Key] = &[
    Key::list("env", "K=V", "set a variable for the program", |p, _, v| {
        let (k, val) = v.split_once('=').ok_or_else(|| format!("expected K=V: '{v}'"))?;
        if k.is_empty() {
            return Err(format!("expected K=V: '{v}'"));
        }
        p.env.push((k.to_string(), val.to_string()));
        Ok(())
    }),
    Key::list("keep-env", "K", "pass the caller's variable K", |p, _, v| {
        p.keep_env.push(nonempty(v)?);
        Ok(())
    }),
    Key::flag("inherit-env", "pass the caller's whole environment (LD_* still dropped)", |p, _, v| {
        p.inherit_env = parse_bool(v)?;
        Ok(())
    }),
    Key::list("keep-fd", "N", "pass descriptor N (default: only 0, 1, 2)", |p, _, v| {
        let n: i32 = v.parse().map_err(|_| format!("not a descriptor number: '{v}'"))?;
        if n < 3 {
            return Err(format!("descriptors 0-2 are always kept; got {n}"));
        }
        p.keep_fds.push(n);
        Ok(())
    }),
    Key::value("lib", "PATH", "libsandbox.so to preload in the target", |p, _, v| {
        p.lib = Some(nonempty(v)?);
        Ok(())
    }),
];

/// A key of either table, by name.
pub fn find(name: &str) -> Option<&'static Key> {
    CORE.iter().chain(KEYS).find(|k| k.name == name)
}

/// Every key the launcher takes: the core's, then its own.
pub fn all() -> impl Iterator<Item = &'static Key> {
    CORE.iter().chain(KEYS)
}

/// Apply one key of either table to `p` now (tests that build a policy by hand).
pub fn set(p: &mut Policy, key: &str, value: &str) -> Result<(), String> {
    let k = find(key).ok_or_else(|| format!("unknown key '{key}'"))?;
    (k.apply)(p, k.name, value)
}

/// The launcher's settings; each carries the text that names it in an error (`--time`,
/// `cfg.toml:3: key 'time'`).
pub type LauncherSettings = Settings<String>;

/// The policy of `settings`, or the one-line error `ORIGIN: MESSAGE`.
pub fn policy(settings: &LauncherSettings) -> Result<Policy, String> {
    settings.finalize().map_err(|(origin, _, e)| format!("{origin}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_across_both_tables() {
        let names: Vec<_> = all().map(|k| k.name).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(n), "{n} twice");
        }
    }

    #[test]
    fn launcher_keys_apply_and_refuse() {
        let mut s = LauncherSettings::default();
        for (k, v) in
            [("env", "A=b"), ("keep-env", "TERM"), ("inherit-env", "true"), ("keep-fd", "7"), ("lib", "/l.so")]
        {
            s.add(find(k).unwrap(), format!("--{k}"), v.into());
        }
        let p = policy(&s).unwrap();
        assert_eq!(p.env, [("A".to_string(), "b".to_string())]);
        assert_eq!(
            (p.keep_env.as_slice(), p.inherit_env, p.keep_fds.as_slice()),
            (&["TERM".to_string()][..], true, &[7][..])
        );
        assert_eq!(p.lib.as_deref(), Some("/l.so"));
        for (k, v) in [("env", "=x"), ("env", "noequals"), ("keep-fd", "1"), ("keep-fd", "x"), ("lib", "")] {
            let mut s = LauncherSettings::default();
            s.add(find(k).unwrap(), format!("--{k}"), v.into());
            let e = policy(&s).unwrap_err();
            assert!(e.starts_with(&format!("--{k}: ")), "{k}={v}: {e}");
        }
    }
}
