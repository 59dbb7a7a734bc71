//! Options mean the same from every source, whatever their order: a flag given before the
//! profile is kept, a tmpfs without a size gets `--tmp-size` even when given first, and a path
//! with a comma can be bound; through the real launcher (flags) and bare mode (SANDBOX_*).

use sandbox_e2e::*;

/// `--net host --profile judge`: host network (eth0 visible), the judge profile otherwise.
#[test]
fn a_flag_before_the_profile_is_kept() {
    let s = Scratch::new("opt-profile");
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path())
                .opt("net", "host")
                .opt("profile", "judge")
                .run("/bin/cat", &["/proc/net/dev"]);
            o.ok().has("eth0:");
            let o = Run::new(who, mode, s.path()).opt("profile", "judge").run("/bin/cat", &["/proc/net/dev"]);
            o.ok().lacks("eth0:");
        }
    }
}

/// `--tmpfs /x --tmp-size 512M`: /x is 512M (it was 64M when the size was taken at set time).
#[test]
fn a_tmpfs_without_size_gets_tmp_size_in_any_order() {
    let s = Scratch::new("opt-tmpfs");
    for who in BOTH {
        for mode in MODES {
            for first in [true, false] {
                let r = Run::new(who, mode, s.path());
                let r = if first {
                    r.opt("tmpfs", "/x").opt("tmp-size", "512M")
                } else {
                    r.opt("tmp-size", "512M").opt("tmpfs", "/x")
                };
                let o = r.run("/usr/bin/stat", &["-f", "-c", "%b %S", "/x"]);
                let out = o.ok().stdout();
                let mut it = out.split_whitespace().map(|n| n.parse::<u64>().unwrap());
                let bytes = it.next().unwrap() * it.next().unwrap();
                assert_eq!(bytes, 512 << 20, "{who:?}/{mode:?} tmpfs first={first}: {out}");
            }
        }
    }
}

/// One flag is one item; in a variable, `\,` is a comma inside an item.
#[test]
fn a_path_with_a_comma_can_be_bound() {
    let s = Scratch::new("opt-comma");
    let dir = s.join("a,b");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("f"), "inside a,b\n").unwrap();
    let src = dir.display().to_string();
    for who in BOTH {
        for mode in MODES {
            let value = match mode {
                Mode::Launcher => format!("{src}:/mnt/c,d"),
                _ => format!("{}:/mnt/c\\,d", src.replace(',', "\\,")),
            };
            let o = Run::new(who, mode, s.path()).opt("ro-bind", &value).run("/bin/cat", &["/mnt/c,d/f"]);
            o.ok().has("inside a,b");
        }
    }
}
