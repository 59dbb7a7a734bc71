//! Issue 15: the work dir is bounded (`--disk`, `--inodes`): a sized tmpfs copy of it in the
//! jail, synced back into the host dir after the run. Fills by bytes and by inodes stop
//! at the limit with ENOSPC; what was written within the limit is in the host dir after
//! the run (also after a --time kill); symlinks the program plants are copied as symlinks,
//! never followed; a work dir that does not fit is refused with 125. In launcher, LD_PRELOAD
//! and LD_AUDIT modes, as root and as the unprivileged test user.

use sandbox_e2e::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// `fill bytes`: 64 KiB files, each written in 4 KiB pieces, until a write fails; `fill
/// inodes`: empty files until a creation fails. Prints what failed, the errno, and exactly
/// what it managed to write.
const FILL_C: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int bytes = argc > 1 && strcmp(argv[1], "bytes") == 0;
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    long total = 0;
    for (int i = 0; i < 1000000; i++) {
        char name[32];
        snprintf(name, sizeof name, "fill%06d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) { printf("stop open errno=%d files=%d bytes=%ld\n", errno, i, total); return 0; }
        if (bytes) {
            for (int k = 0; k < 16; k++) {
                ssize_t n = write(fd, buf, sizeof buf);
                if (n < 0) { printf("stop write errno=%d files=%d bytes=%ld\n", errno, i + 1, total); return 0; }
                total += n;
            }
        }
        close(fd);
    }
    puts("never stopped");
    return 1;
}"#;

fn fill() -> String {
    cc("workdisk_fill", FILL_C, &[]).to_str().unwrap().to_string()
}

/// The "k=v" fields of the fill program's last line.
fn stop_field(out: &str, key: &str) -> i64 {
    let line = out.lines().find(|l| l.starts_with("stop ")).unwrap_or_else(|| panic!("no stop line in {out:?}"));
    let kv = line.split(' ').find_map(|w| w.strip_prefix(&format!("{key}="))).unwrap();
    kv.parse().unwrap()
}

/// Total size and count of the fill files in `dir`.
fn fill_files(dir: &Path) -> (u64, usize) {
    let mut size = 0;
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().starts_with("fill") {
            size += e.metadata().unwrap().len();
            n += 1;
        }
    }
    (size, n)
}

/// A work dir the unprivileged user can use too, with a little content.
fn workdir(tag: &str) -> Scratch {
    let d = Scratch::new(tag);
    std::fs::write(d.join("src.c"), "int main(void) { return 0; }\n").unwrap();
    std::fs::set_permissions(d.join("src.c"), std::fs::Permissions::from_mode(0o666)).unwrap();
    d
}

#[test]
fn byte_fill_stops_at_disk_with_enospc_and_what_was_written_stays() {
    let prog = fill();
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-bytes");
            let o = Run::new(who, mode, d.path()).opt("disk", "1M").opt("inodes", "1000").run(&prog, &["bytes"]);
            o.ok();
            let out = o.stdout();
            assert_eq!(stop_field(&out, "errno"), libc::ENOSPC as i64, "{who:?}/{mode:?}: {out}");
            let written = stop_field(&out, "bytes") as u64;
            // A 1 MiB tmpfs holds 256 pages; the copied-in source takes one.
            assert!(((1 << 20) - (16 << 12)..=1 << 20).contains(&written), "{who:?}/{mode:?}: {written} bytes");
            let (size, n) = fill_files(d.path());
            assert_eq!(size, written, "{who:?}/{mode:?}: every byte written within the limit is in the host dir");
            assert_eq!(n as i64, stop_field(&out, "files"), "{who:?}/{mode:?}");
            assert_eq!(std::fs::read_to_string(d.join("src.c")).unwrap(), "int main(void) { return 0; }\n");
        }
    }
}

#[test]
fn inode_fill_stops_at_inodes_with_enospc_and_every_file_stays() {
    let prog = fill();
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-inodes");
            let o = Run::new(who, mode, d.path()).opt("disk", "64M").opt("inodes", "200").run(&prog, &["inodes"]);
            o.ok();
            let out = o.stdout();
            assert_eq!(stop_field(&out, "errno"), libc::ENOSPC as i64, "{who:?}/{mode:?}: {out}");
            // 200 inodes: the work dir itself, src.c, and 198 new files.
            let files = stop_field(&out, "files");
            assert_eq!(files, 198, "{who:?}/{mode:?}: {out}");
            assert_eq!(fill_files(d.path()).1 as i64, files, "{who:?}/{mode:?}");
        }
    }
}

#[test]
fn results_are_synced_back_after_a_time_kill() {
    let spin = "echo result > result && mkdir -p o && echo two > o/two && rm src.c && while :; do :; done";
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-time");
            let rep = d.join("r.json");
            let o = Run::new(who, mode, d.path())
                .opt("disk", "4M")
                .opt("inodes", "100")
                .opt("time", "0.3")
                .opt("report", rep.to_str().unwrap())
                .run("/bin/sh", &["-c", spin]);
            // The supervisor re-raises the app's SIGKILL (a shell sees 137).
            o.killed_by(libc::SIGKILL);
            let r = std::fs::read_to_string(&rep).unwrap();
            assert_eq!(field(&r, "status"), "TO", "{who:?}/{mode:?}");
            assert_eq!(field(&r, "disk"), "tmpfs");
            assert!(field(&r, "workdir").starts_with("tmpfs copy"), "{r}");
            assert_eq!(std::fs::read_to_string(d.join("result")).unwrap(), "result\n", "{who:?}/{mode:?}");
            assert_eq!(std::fs::read_to_string(d.join("o/two")).unwrap(), "two\n", "{who:?}/{mode:?}");
            assert!(!d.join("src.c").exists(), "{who:?}/{mode:?}: a deletion inside is a deletion on the host");
        }
    }
}

#[test]
fn changes_deletions_modes_and_owners_are_synced_back() {
    let (uid, gid) = ensure_user();
    let script = "cat src.c > /dev/null && echo changed > src.c && rm -r gone && \
                  mkdir -p new/deep && echo n > new/deep/n && ln -s new/deep/n rel && echo same > keep.txt && chmod 750 keep.txt";
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-sync");
            std::fs::create_dir_all(d.join("gone/inner")).unwrap();
            std::fs::write(d.join("gone/inner/x"), "x").unwrap();
            std::fs::set_permissions(d.join("gone"), std::fs::Permissions::from_mode(0o777)).unwrap();
            std::fs::set_permissions(d.join("gone/inner"), std::fs::Permissions::from_mode(0o777)).unwrap();
            std::fs::set_permissions(d.join("gone/inner/x"), std::fs::Permissions::from_mode(0o666)).unwrap();
            let untouched = d.join("untouched");
            std::fs::write(&untouched, "u").unwrap();
            let ino = std::fs::metadata(&untouched).unwrap().ino();
            let o =
                Run::new(who, mode, d.path()).opt("disk", "4M").opt("inodes", "100").run("/bin/sh", &["-c", script]);
            o.ok();
            assert_eq!(std::fs::read_to_string(d.join("src.c")).unwrap(), "changed\n", "{who:?}/{mode:?}");
            assert_eq!(std::fs::metadata(d.join("keep.txt")).unwrap().permissions().mode() & 0o777, 0o750);
            assert!(!d.join("gone").exists(), "{who:?}/{mode:?}");
            assert_eq!(std::fs::read_to_string(d.join("new/deep/n")).unwrap(), "n\n");
            assert_eq!(std::fs::read_link(d.join("rel")).unwrap(), Path::new("new/deep/n"));
            assert_eq!(std::fs::metadata(&untouched).unwrap().ino(), ino, "an unchanged file is left alone");
            // What the program made is the caller's on the host, as through the idmapped bind.
            let want = if who == Who::Root { (0, 0) } else { (uid, gid) };
            for f in ["new", "new/deep/n", "keep.txt"] {
                let m = std::fs::symlink_metadata(d.join(f)).unwrap();
                assert_eq!((m.uid(), m.gid()), want, "{who:?}/{mode:?}: {f}");
            }
        }
    }
}

#[test]
fn planted_symlinks_are_never_followed_on_sync_back() {
    let outside = Scratch::new("wdisk-outside");
    std::fs::write(outside.join("victim"), "orig\n").unwrap();
    std::fs::set_permissions(outside.join("victim"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = outside.path().to_str().unwrap();
    // Each name that existed on the host becomes a symlink to the outside, then something
    // is "written" below or through it inside, where it lands in the tmpfs only.
    let script = format!(
        "rm -r sub && ln -s {o} sub && rm out && ln -s {o}/victim out && ln -s {o} fresh && \
         mkdir later && echo data > later/f && ln -s /etc/passwd pw && echo done"
    );
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-links");
            std::fs::create_dir(d.join("sub")).unwrap();
            std::fs::set_permissions(d.join("sub"), std::fs::Permissions::from_mode(0o777)).unwrap();
            std::fs::write(d.join("sub/f"), "f").unwrap();
            std::fs::write(d.join("out"), "out").unwrap();
            std::fs::set_permissions(d.join("out"), std::fs::Permissions::from_mode(0o666)).unwrap();
            let r =
                Run::new(who, mode, d.path()).opt("disk", "4M").opt("inodes", "100").run("/bin/sh", &["-c", &script]);
            r.ok().has("done");
            assert_eq!(std::fs::read_to_string(outside.join("victim")).unwrap(), "orig\n", "{who:?}/{mode:?}");
            let names: Vec<_> = std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names, vec![std::ffi::OsString::from("victim")], "{who:?}/{mode:?}: nothing new outside");
            for (l, t) in [("sub", o.to_string()), ("out", format!("{o}/victim")), ("pw", "/etc/passwd".into())] {
                assert_eq!(std::fs::read_link(d.join(l)).unwrap(), Path::new(&t), "{who:?}/{mode:?}: {l}");
            }
        }
    }
}

#[test]
fn a_work_dir_over_the_limit_is_refused_with_125() {
    for who in BOTH {
        for mode in MODES {
            let d = workdir("wdisk-big");
            std::fs::write(d.join("blob"), vec![7u8; 300 << 10]).unwrap();
            let o = Run::new(who, mode, d.path()).opt("disk", "200K").run("/bin/echo", &["ran"]);
            o.exit(125).lacks("ran").err_has("does not fit in --disk 204800");
            assert_eq!(o.stderr().lines().count(), 1, "{who:?}/{mode:?}: one line: {}", o.stderr());
            let o = Run::new(who, mode, d.path()).opt("inodes", "2").run("/bin/echo", &["ran"]);
            o.exit(125).lacks("ran").err_has("does not fit in --inodes 2");
            // Nothing of the host dir was touched.
            assert_eq!(std::fs::read(d.join("blob")).unwrap().len(), 300 << 10);
        }
    }
}

#[test]
fn judge_profile_bounds_the_work_dir_by_default_and_leaves_no_mount() {
    // Entries of the host's /tmp owned by a per-run uid, which nothing of the sandbox may
    // leave behind (other users' and tests' files there are not this test's business).
    let run_owned = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir("/tmp")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.metadata().is_ok_and(|m| m.uid() >= 0x4d00_0000))
            .map(|e| e.path())
            .collect()
    };
    let before = run_owned();
    for who in BOTH {
        let d = workdir("wdisk-judge");
        let rep = d.join("r.json");
        let o = Run::new(who, Mode::Launcher, d.path())
            .opt("profile", "judge")
            .opt("report", rep.to_str().unwrap())
            .run("/bin/sh", &["-c", "echo x > made"]);
        // judge forbids new processes: sh's builtins only.
        o.ok();
        let r = std::fs::read_to_string(&rep).unwrap();
        assert_eq!((field(&r, "disk"), field(&r, "inodes")), ("tmpfs".into(), "tmpfs".into()), "{who:?}");
        assert!(field(&r, "workdir").contains("disk 67108864 bytes, inodes 4096"), "{r}");
        assert_eq!(std::fs::read_to_string(d.join("made")).unwrap(), "x\n");
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(!info.contains(d.path().to_str().unwrap()), "{who:?}: a mount is left at the work dir");
    }
    let left: Vec<_> = run_owned().into_iter().filter(|p| !before.contains(p)).collect();
    assert!(left.is_empty(), "left behind in /tmp: {left:?}");
    // --check names the mechanism.
    let c = std::process::Command::new(sandbox_bin()).arg("--check").output().unwrap();
    assert!(
        String::from_utf8_lossy(&c.stdout).contains("--disk --inodes  tmpfs"),
        "{}",
        String::from_utf8_lossy(&c.stdout)
    );
}
