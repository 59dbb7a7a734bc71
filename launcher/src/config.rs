//! TOML configuration: the same keys as the flags, each value applied by its key's `apply`,
//! so a file can never mean something a command line could not.
//!
//! ```toml
//! profile = "judge"
//! memory = "64M"
//! time = 1.5
//! bind = ["/data:/data", "/opt/tool"]
//! quiet = true
//! ```

use crate::options::{self, LauncherSettings};
use sandbox_core::policy::{one_line, Arg};
use sandbox_core::Policy;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// Read `path` and add every key to `settings` in file order (`Settings` applies `profile`
/// first, like on the command line, and flags added later override the file).
/// Errors: `FILE:LINE:COL: msg` for bad TOML, `FILE:LINE: key 'x': msg` for bad keys/values.
pub fn load(path: &Path, settings: &mut LauncherSettings) -> Result<(), String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    collect(&text, &name.to_string(), settings)
}

/// The policy of a TOML text alone; `name` is used in messages.
pub fn apply(text: &str, name: &str) -> Result<Policy, String> {
    let mut s = LauncherSettings::default();
    collect(text, name, &mut s)?;
    options::policy(&s)
}

/// `load` on text already read. The error is one line even when it quotes a key holding a
/// newline (`"a\nb" = 1`, found by fuzzing).
pub fn collect(text: &str, name: &str, settings: &mut LauncherSettings) -> Result<(), String> {
    collect_doc(text, name, settings).map_err(|e| one_line(&e))
}

fn collect_doc(text: &str, name: &str, settings: &mut LauncherSettings) -> Result<(), String> {
    let doc: BTreeMap<Spanned<String>, Spanned<Item>> = toml::from_str(text).map_err(|e| {
        // One line: the parser's message may span several.
        let msg = e.message().trim_end().replace('\n', "; ");
        match e.span() {
            Some(s) => {
                let (line, col) = line_col(text, s.start);
                format!("{name}:{line}:{col}: {msg}")
            }
            None => format!("{name}: {msg}"),
        }
    })?;
    let mut entries: Vec<_> = doc.into_iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);

    for (key, value) in &entries {
        let k = key.get_ref().as_str();
        let origin = |offset: usize| format!("{name}:{}: key '{k}'", line_col(text, offset).0);
        let at = |offset: usize, msg: &str| format!("{}: {msg}", origin(offset));
        let Some(def) = options::find(k) else {
            return Err(at(key.span().start, "unknown key"));
        };
        let flag = def.arg == Arg::Flag;
        match value.get_ref() {
            Item::One(s) => {
                let v = s.as_value(flag).map_err(|m| at(value.span().start, &m))?;
                settings.add(def, origin(value.span().start), v);
            }
            Item::Many(items) => {
                if !def.list {
                    return Err(at(value.span().start, "takes one value, not an array"));
                }
                for s in items {
                    let v = s.get_ref().as_value(flag).map_err(|m| at(s.span().start, &m))?;
                    settings.add(def, origin(s.span().start), v);
                }
            }
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// One TOML value as the config accepts it; anything else is kept as a description so the
/// error can name the key and line (instead of a bare type error from the parser).
#[derive(Debug)]
enum Scalar {
    Str(String),
    Num(String),
    Bool(bool),
    Other(&'static str),
}

impl Scalar {
    /// The text handed to `Policy::set`.
    fn as_value(&self, flag: bool) -> Result<String, String> {
        match self {
            Scalar::Str(s) | Scalar::Num(s) => Ok(s.clone()),
            Scalar::Bool(b) if flag => Ok(b.to_string()),
            Scalar::Bool(_) => Err("expected a string or number, not a boolean".into()),
            Scalar::Other(what) => Err(format!("expected a string, number or boolean, not {what}")),
        }
    }
}

#[derive(Debug)]
enum Item {
    One(Scalar),
    Many(Vec<Spanned<Scalar>>),
}

/// Visits one value; `seq` says whether an array is allowed here (top level) or not (inside).
struct ValueVisitor {
    seq: bool,
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or array")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Item, E> {
        Ok(Item::One(Scalar::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
        Ok(Item::One(Scalar::Num(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        Ok(Item::One(Scalar::Num(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Item, E> {
        // Display of f64 never uses an exponent: 1.5 → "1.5", 1e-3 → "0.001".
        Ok(Item::One(if v.is_finite() { Scalar::Num(v.to_string()) } else { Scalar::Other("inf/nan") }))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
        Ok(Item::One(Scalar::Str(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        if !self.seq {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Item::One(Scalar::Other("a nested array")));
        }
        let mut items = Vec::new();
        while let Some(s) = seq.next_element::<Spanned<InnerScalar>>()? {
            let span = s.span();
            items.push(Spanned::new(span, s.into_inner().0));
        }
        Ok(Item::Many(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        // Tables, inline tables and dates (toml hands dates over as a one-key map).
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Item::One(Scalar::Other("a table or date")))
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor { seq: true })
    }
}

/// An array element: a scalar, never another array.
struct InnerScalar(Scalar);

impl<'de> Deserialize<'de> for InnerScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ValueVisitor { seq: false })? {
            Item::One(s) => Ok(InnerScalar(s)),
            Item::Many(_) => unreachable!("arrays are not visited as items inside arrays"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzzing regression (toml_config): a quoted key with a newline gave a two-line error.
    #[test]
    fn errors_are_one_line() {
        let e = apply("\"a\\nb\" = 1\n", "f.toml").unwrap_err();
        assert_eq!(e, "f.toml:1: key 'a\\nb': unknown key");
        let e = apply("memory = \"\\r\\u001b[2J\"\n", "f.toml").unwrap_err();
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }

    fn from_sets(sets: &[(&str, &str)]) -> Policy {
        let mut p = Policy::default();
        for (k, v) in sets {
            let key = options::find(k).unwrap();
            (key.apply)(&mut p, k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
        }
        p.finalize();
        p
    }

    fn err(text: &str) -> String {
        apply(text, "cfg.toml").unwrap_err()
    }

    #[test]
    fn file_equals_set_calls() {
        let text = r#"
# a judge box
memory = "64M"
time = 1.5
wall-time = 3
net = "none"
bind = ["/a:/b", "/c"]
ro-bind = "/usr"
tmpfs = ["/scratch:8M"]
quiet = true
verbose = false
env = ["K=V", "X=1"]
keep-env = ["TERM"]
keep-fd = [7]
seccomp = "default"
profile = "judge"
"#;
        let p = apply(text, "cfg.toml").unwrap();
        // profile is applied first, whatever its place in the file; then file order.
        let want = from_sets(&[
            ("profile", "judge"),
            ("memory", "64M"),
            ("time", "1.5"),
            ("wall-time", "3"),
            ("net", "none"),
            ("bind", "/a:/b"),
            ("bind", "/c"),
            ("ro-bind", "/usr"),
            ("tmpfs", "/scratch:8M"),
            ("quiet", "true"),
            ("verbose", "false"),
            ("env", "K=V"),
            ("env", "X=1"),
            ("keep-env", "TERM"),
            ("keep-fd", "7"),
            ("seccomp", "default"),
        ]);
        assert_eq!(p, want);
        assert_eq!(p.limits.memory, Some(64 << 20));
        assert_eq!(p.limits.time, Some(1_500_000_000));
    }

    #[test]
    fn load_reads_the_file() {
        let path = std::env::temp_dir().join(format!("sandbox-config-test-{}.toml", std::process::id()));
        std::fs::write(&path, "pids = 10\n\nnice = \"7\"\n").unwrap();
        let mut s = LauncherSettings::default();
        load(&path, &mut s).unwrap();
        let p = options::policy(&s).unwrap();
        std::fs::write(&path, "pids = 10\n\nnice = 50\n").unwrap();
        let mut s = LauncherSettings::default();
        load(&path, &mut s).unwrap();
        let e = options::policy(&s).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(p, from_sets(&[("pids", "10"), ("nice", "7")]));
        assert!(e.starts_with(&format!("{}:3: key 'nice': ", path.display())), "{e}");
        let e = load(Path::new("/nonexistent/x.toml"), &mut s).unwrap_err();
        assert!(e.starts_with("/nonexistent/x.toml: cannot read"), "{e}");
    }

    #[test]
    fn bad_keys_and_values_name_the_line() {
        let cases: &[(&str, &str)] = &[
            ("memory = \"1G\"\nbogus = 1\n", "cfg.toml:2: key 'bogus': unknown key"),
            ("\n\nmemory = \"lots\"\n", "cfg.toml:3: key 'memory': not a size"),
            ("net = true\n", "cfg.toml:1: key 'net': expected a string or number, not a boolean"),
            ("time = 1.5\nmemory = [\"1G\"]\n", "cfg.toml:2: key 'memory': takes one value"),
            ("bind = [\n  \"/ok\",\n  \"relative\",\n]\n", "cfg.toml:3: key 'bind': "),
            ("bind = [[\"/a\"]]\n", "cfg.toml:1: key 'bind': expected a string, number or boolean, not a nested"),
            ("[memory]\nx = 1\n", "cfg.toml:1: key 'memory': expected a string, number or boolean, not a table"),
            ("a = 1\nwall-time = 1979-05-27\n", "cfg.toml:1: key 'a': unknown key"),
            ("quiet = true\nwall-time = 1979-05-27\n", "cfg.toml:2: key 'wall-time': expected"),
            ("keep-fd = [5, 1]\n", "cfg.toml:1: key 'keep-fd': descriptors 0-2"),
            ("profile = \"nope\"\n", "cfg.toml:1: key 'profile': unknown profile"),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with(want), "{text:?}: got {e:?}, want {want:?}");
        }
    }

    #[test]
    fn bad_syntax_names_line_and_column() {
        let e = err("memory = \"64M\"\ntime = = 2\n");
        assert!(e.starts_with("cfg.toml:2:8: "), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let e = err("memory = \"64M\"\nmemory = \"1G\"\n");
        assert!(e.starts_with("cfg.toml:2:"), "{e}");
        let e = err("x = \"unterminated\n");
        assert!(e.starts_with("cfg.toml:1:"), "{e}");
    }
}
