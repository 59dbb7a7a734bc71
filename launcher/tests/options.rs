//! Options: the same settings give the same Policy from the command line, a TOML file and
//! bare mode's SANDBOX_* variables, in any order; the README's Options table matches the key
//! tables (every key documented, no undocumented or stale row).
extern crate alloc;

use launcher::options::{self, LauncherSettings};
use launcher::{cli, config};
use sandbox_core::policy::{env_name, Arg, MountKind, Net, Seccomp, KEYS};
use sandbox_core::Policy;
use std::ffi::{CString, OsString};

/// The bare-mode parser, compiled from its source like the fuzz target does.
#[path = "../../sandbox-preload/src/env.rs"]
#[allow(dead_code)]
mod env;

/// One key with its items (several for a list key).
type Setting = (&'static str, &'static [&'static str]);

fn from_cli(settings: &[Setting]) -> Result<Policy, String> {
    let mut args: Vec<OsString> = vec!["sandbox".into()];
    for (k, items) in settings {
        for v in *items {
            args.push(format!("--{k}={v}").into());
        }
    }
    args.push("true".into());
    let cli::Action::Run { settings: flags, .. } = cli::parse(args, false)? else { panic!("not a run") };
    let mut s = LauncherSettings::default();
    for (k, v) in flags {
        s.add(k, format!("--{}", k.name), v);
    }
    options::policy(&s)
}

fn from_toml(settings: &[Setting]) -> Result<Policy, String> {
    let mut text = String::new();
    for (k, items) in settings {
        let flag = KEYS.iter().any(|key| key.name == *k && key.arg == Arg::Flag);
        let quote = |v: &str| if flag { v.to_string() } else { format!("{v:?}") };
        if items.len() == 1 {
            text += &format!("{k} = {}\n", quote(items[0]));
        } else {
            let list: Vec<_> = items.iter().map(|v| quote(v)).collect();
            text += &format!("{k} = [{}]\n", list.join(", "));
        }
    }
    config::apply(&text, "t.toml")
}

fn from_env(settings: &[Setting]) -> Result<Policy, String> {
    let vars: Vec<CString> = settings
        .iter()
        .map(|(k, items)| {
            let escaped: Vec<_> = items.iter().map(|v| v.replace('\\', "\\\\").replace(',', "\\,")).collect();
            CString::new(format!("{}={}", env_name(k), escaped.join(","))).unwrap()
        })
        .collect();
    let mut ptrs: Vec<*const u8> = vars.iter().map(|c| c.as_ptr().cast()).collect();
    ptrs.push(std::ptr::null());
    env::policy(&ptrs)
}

/// The policy of `settings` from each of the three sources, checked equal.
fn same_from_all(settings: &[Setting]) -> Policy {
    let cli = from_cli(settings).unwrap_or_else(|e| panic!("cli: {e}"));
    let toml = from_toml(settings).unwrap_or_else(|e| panic!("toml: {e}"));
    let env = from_env(settings).unwrap_or_else(|e| panic!("env: {e}"));
    assert_eq!(cli, toml, "CLI vs TOML for {settings:?}");
    assert_eq!(cli, env, "CLI vs SANDBOX_* for {settings:?}");
    cli
}

const SETTINGS: &[Setting] = &[
    ("net", &["host"]),
    ("memory", &["1G"]),
    ("time", &["1.5"]),
    ("wall-time", &["4"]),
    ("tmpfs", &["/x", "/y:8M"]),
    ("bind", &["/a:/b", "/data/a,b"]),
    ("ro-bind", &["/usr"]),
    ("profile", &["judge"]),
    ("seccomp", &["default"]),
    ("processes", &["yes"]),
    ("tmp-size", &["1G"]),
    ("landlock", &["off"]),
    ("hostname", &["box"]),
    ("workdir", &["/w"]),
    ("chdir", &["/w/s"]),
    ("nice", &["5"]),
    ("cpus", &["0.5"]),
    ("output", &["2M"]),
    ("report", &["/r.json"]),
    ("quiet", &["true"]),
];

/// The policy with its mounts sorted: mounts keep the order given (a later one covers an
/// earlier one at the same place), the one order that means something; these do not overlap.
fn unordered(settings: &[Setting]) -> Policy {
    let mut p = same_from_all(settings);
    p.mounts.sort_by(|a, b| (&a.dst, &a.src).cmp(&(&b.dst, &b.src)));
    p
}

#[test]
fn every_source_gives_the_same_policy_in_any_order() {
    let want = unordered(SETTINGS);
    let mut order: Vec<Setting> = SETTINGS.to_vec();
    order.reverse();
    assert_eq!(unordered(&order), want, "reversed");
    for r in 1..SETTINGS.len() {
        let mut order = SETTINGS.to_vec();
        order.rotate_left(r);
        assert_eq!(unordered(&order), want, "rotated by {r}");
    }
    // A fixed pseudo-random shuffle (xorshift), so a failure is reproducible.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..8 {
        let mut order = SETTINGS.to_vec();
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        assert_eq!(unordered(&order), want, "{order:?}");
    }
    assert_eq!((want.net, want.seccomp.clone(), want.processes), (Net::Host, Seccomp::Default, Some(true)));
    assert_eq!((want.limits.memory, want.limits.pids), (Some(1 << 30), Some(64)), "judge's pids stay");
}

/// `--net host --profile judge` is host network: the profile is the starting point, never
/// applied over a flag given before it.
#[test]
fn a_flag_before_the_profile_is_kept() {
    let p = same_from_all(&[("net", &["host"]), ("profile", &["judge"])]);
    assert_eq!(p.net, Net::Host);
    assert_eq!(p.seccomp, Seccomp::Strict, "the rest of the profile still applies");
    assert_eq!(p, same_from_all(&[("profile", &["judge"]), ("net", &["host"])]));
    // In a file too: flags after the file override it, its profile included.
    let dir = std::env::temp_dir().join(format!("sbx-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.toml");
    std::fs::write(&file, "net = \"loopback\"\nprofile = \"judge\"\n").unwrap();
    let mut s = LauncherSettings::default();
    config::load(&file, &mut s).unwrap();
    s.add(options::find("profile").unwrap(), "--profile".into(), "compile".into());
    let p = options::policy(&s).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((p.net, p.seccomp), (Net::Loopback, Seccomp::Compile));
}

/// `--tmpfs /x --tmp-size 1G` gives /x 1G: the size is taken once every key is applied.
#[test]
fn tmpfs_without_size_gets_tmp_size_in_any_order() {
    let a = same_from_all(&[("tmpfs", &["/x"]), ("tmp-size", &["1G"])]);
    let b = same_from_all(&[("tmp-size", &["1G"]), ("tmpfs", &["/x"])]);
    assert_eq!(a, b);
    assert_eq!(a.mounts[0].kind, MountKind::Tmpfs { size: 1 << 30 });
    let c = same_from_all(&[("tmpfs", &["/x"])]);
    assert_eq!(c.mounts[0].kind, MountKind::Tmpfs { size: 64 << 20 });
}

#[test]
fn a_path_with_a_comma_can_be_bound_from_every_source() {
    let p = same_from_all(&[("bind", &["/data/a,b", "/c\\,d:/e"]), ("ro-bind", &["/x,y:/z,w"])]);
    let got: Vec<_> = p.mounts.iter().map(|m| (m.src.as_str(), m.dst.as_str())).collect();
    assert_eq!(got, [("/data/a,b", "/data/a,b"), ("/c\\,d", "/e"), ("/x,y", "/z,w")]);
}

#[test]
fn the_same_refusal_from_every_source() {
    let bad: &[Setting] = &[("memory", &["1G"]), ("time", &["soon"])];
    assert!(from_cli(bad).unwrap_err().starts_with("--time: not a time"));
    assert!(from_toml(bad).unwrap_err().starts_with("t.toml:2: key 'time': not a time"));
    assert!(from_env(bad).unwrap_err().starts_with("SANDBOX_TIME: not a time"));
}

/// Rows of the README's Options table: (first option name without `--`, variable column).
fn readme_rows() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = text.split("\n## Options\n").nth(1).expect("an Options section").split("\n## ").next().unwrap();
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<_> = line.split(" | ").collect();
        let first = cells[0].trim_start_matches("| `");
        let name = first.split(['`', ' ']).next().unwrap().trim_start_matches("--").to_string();
        rows.push((name, cells[1].to_string()));
    }
    rows
}

#[test]
fn readme_options_table_matches_the_key_tables() {
    let rows = readme_rows();
    let mut names: Vec<_> = rows.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "a row twice in the README's Options table");
    for k in KEYS {
        let row = rows.iter().find(|(n, _)| n == k.name).unwrap_or_else(|| panic!("--{} is not in the README", k.name));
        assert_eq!(row.1, format!("`{}`", env_name(k.name)), "--{}: variable column", k.name);
    }
    for k in options::KEYS {
        let row = rows.iter().find(|(n, _)| n == k.name).unwrap_or_else(|| panic!("--{} is not in the README", k.name));
        assert_eq!(row.1, "(launcher only)", "--{}: variable column", k.name);
    }
    // The rest are the launcher's actions: in --help, and not keys.
    let help = cli::help();
    for (name, var) in &rows {
        if options::find(name).is_none() {
            assert_eq!(var, "—", "--{name}: a stale row (no such key)");
            assert!(help.contains(&format!("--{name} ")), "--{name}: a README row for an option --help does not know");
        }
    }
}
