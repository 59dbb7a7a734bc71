//! Issue 12: the work dir belongs to the program inside and to the caller outside. As root
//! it is an idmapped mount (caller's uid/gid on disk = the run's inside), so a private
//! `mktemp -d` dir works, everything the program makes is the caller's, and the next run
//! (another uid) can overwrite it. Unprivileged, the caller is mapped to itself.

use sandbox_e2e::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory made the way a judge makes one: `mktemp -d` (0700, the caller's), in the
/// host's /tmp; removed on drop.
struct Private(PathBuf);
impl Private {
    fn new(who: Who) -> Private {
        let o = match who {
            Who::Root => Command::new("mktemp").arg("-d").output().unwrap(),
            Who::User => command(who, Path::new("/usr/bin/mktemp")).arg("-d").output().unwrap(),
        };
        assert!(o.status.success());
        let p = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim());
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777, 0o700);
        Private(p)
    }
    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}
impl Drop for Private {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn owner(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid())
}

const MAKE: &str = "cat in && echo out > out && mkdir sub && echo f > sub/f && ln -s out link && id -u";

#[test]
fn root_private_dir_is_usable_and_what_it_makes_is_the_callers() {
    for mode in MODES {
        let d = Private::new(Who::Root);
        std::fs::write(d.join("in"), "secret of the caller\n").unwrap();
        std::fs::set_permissions(d.join("in"), std::fs::Permissions::from_mode(0o600)).unwrap();
        let o = Run::new(Who::Root, mode, &d.0).run("/bin/sh", &["-c", MAKE]);
        o.ok().has("secret of the caller\n");
        let uid: u32 = o.stdout().lines().last().unwrap().parse().unwrap();
        assert!(uid >= 0x4d00_0000, "{mode:?}: the program runs as a per-run uid, not {uid}");
        for f in ["out", "sub", "sub/f", "link"] {
            assert_eq!(owner(&d.join(f)), (0, 0), "{mode:?}: {f} must be the caller's (root's) on the host");
        }
        assert_eq!(std::fs::read_to_string(d.join("sub/f")).unwrap(), "f\n");
    }
}

#[test]
fn root_workdir_flag_and_binds_of_a_private_dir() {
    let cwd = Scratch::new("wd-cwd");
    for mode in MODES {
        let d = Private::new(Who::Root);
        std::fs::write(d.join("in"), "data\n").unwrap();
        let ds = d.0.to_str().unwrap();
        // --workdir from elsewhere.
        let o =
            Run::new(Who::Root, mode, cwd.path()).opt("workdir", ds).run("/bin/sh", &["-c", "pwd; cat in; echo w > w"]);
        o.ok().has(&format!("{ds}\ndata\n"));
        assert_eq!(owner(&d.join("w")), (0, 0), "{mode:?}");
        // --ro-bind D:/box: readable, never writable.
        let o = Run::new(Who::Root, mode, cwd.path())
            .opt("workdir", "none")
            .opt("ro-bind", &format!("{ds}:/box"))
            .opt("chdir", "/box")
            .run("/bin/sh", &["-c", "cat in; echo x > y || echo refused"]);
        o.ok().has("data\nrefused\n");
        assert!(!d.join("y").exists(), "{mode:?}: wrote through a read-only bind");
        // --bind D:/box: writable, and the files are the caller's.
        let o = Run::new(Who::Root, mode, cwd.path())
            .opt("workdir", "none")
            .opt("bind", &format!("{ds}:/box"))
            .opt("chdir", "/box")
            .run("/bin/sh", &["-c", "cat in; mkdir -p o/p && echo b > o/p/b"]);
        o.ok().has("data\n");
        assert_eq!(owner(&d.join("o/p/b")), (0, 0), "{mode:?}");
    }
}

#[test]
fn root_next_run_overwrites_the_previous_runs_files() {
    for mode in MODES {
        let d = Private::new(Who::Root);
        // What `javac -d out` does, twice: a 0755 tree of 0644 files, rewritten.
        let write = |n: &str| {
            let s = format!("umask 022; mkdir -p out/pkg && echo {n} > out/pkg/A.class && id -u");
            let o = Run::new(Who::Root, mode, &d.0).run("/bin/sh", &["-c", &s]);
            o.ok();
            o.stdout().trim().to_string()
        };
        let (u1, u2) = (write("1"), write("2"));
        assert_ne!(u1, u2, "{mode:?}: two runs must have two uids");
        assert_eq!(std::fs::read_to_string(d.join("out/pkg/A.class")).unwrap(), "2\n", "{mode:?}");
        assert_eq!(owner(&d.join("out/pkg/A.class")), (0, 0));
        // And the second run may delete what the first made.
        Run::new(Who::Root, mode, &d.0).run("/bin/rm", &["-r", "out"]).ok();
        assert!(!d.join("out").exists());
    }
}

#[test]
fn root_report_and_verbose_say_how_the_work_dir_is_bound() {
    let d = Private::new(Who::Root);
    let rep = d.join("r.json");
    let o = Run::new(Who::Root, Mode::Launcher, &d.0)
        .opt("report", rep.to_str().unwrap())
        .opt("verbose", "true")
        .run("/bin/true", &[]);
    o.ok().err_has("idmap: ").err_has("idmapped (0:0 on disk is ");
    let r = std::fs::read_to_string(&rep).unwrap();
    assert!(field(&r, "workdir").starts_with("idmapped (0:0 on disk is "), "{r}");
}

#[test]
fn unprivileged_private_dir_keeps_the_callers_uid() {
    let (uid, gid) = ensure_user();
    for mode in MODES {
        let d = Private::new(Who::User);
        assert_eq!(owner(&d.0), (uid, gid));
        let o = Run::new(Who::User, mode, &d.0)
            .run("/bin/sh", &["-c", "echo in > in; echo out > out && mkdir sub && id -u"]);
        o.ok().has(&format!("{uid}\n"));
        for f in ["out", "sub"] {
            assert_eq!(owner(&d.join(f)), (uid, gid), "{mode:?}: {f}");
        }
    }
}

/// A filesystem that cannot be idmapped (ramfs), mounted in a private mount namespace of
/// the test so that nothing of the host changes: a 0700 dir there is refused with one line
/// naming the filesystem and the ways out; a 0777 one falls back to a plain bind, said
/// under -v and in the report.
#[test]
fn root_unidmappable_filesystem_refused_or_plain_bind_when_usable() {
    let s = Scratch::new("ramfs");
    let m = s.join("m");
    std::fs::create_dir(&m).unwrap();
    let rep = s.join("r.json");
    for mode in [Mode::Launcher, Mode::Bare] {
        for (perm, expect_ok) in [("700", false), ("777", true)] {
            let _ = std::fs::remove_file(&rep);
            let r = Run::new(Who::Root, mode, &m).opt("report", rep.to_str().unwrap()).opt("verbose", "true");
            let inner = r.command("/bin/sh", &["-c", "echo z > z && ls -n z"]);
            let mut argv: Vec<String> = vec![inner.get_program().to_str().unwrap().into()];
            argv.extend(inner.get_args().map(|a| a.to_str().unwrap().to_string()));
            let env: Vec<String> = inner
                .get_envs()
                .map(|(k, v)| format!("{}={}", k.to_str().unwrap(), v.unwrap().to_str().unwrap()))
                .collect();
            let script = format!(
                "mount -t ramfs sbxtest-ramfs {d} && chmod {perm} {d} && cd {d} && exec env {e} \"$@\"",
                d = m.display(),
                e = env.join(" ")
            );
            let o = Command::new("unshare")
                .args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
                .args(&argv)
                .output()
                .unwrap();
            let out = Out(o, format!("{mode:?} ramfs {perm}"));
            if expect_ok {
                out.ok().err_has("plain bind: ramfs cannot be idmapped");
                let r = std::fs::read_to_string(&rep).unwrap();
                assert!(field(&r, "workdir").starts_with("plain bind: ramfs"), "{r}");
            } else {
                out.exit(125);
                let errs: Vec<String> = out
                    .stderr()
                    .lines()
                    .filter(|l| !l.contains(" ms] ") && !l.contains("target "))
                    .map(String::from)
                    .collect();
                assert_eq!(errs.len(), 1, "one line: {errs:?}");
                assert!(
                    errs[0].starts_with("sandbox: filesystem: ")
                        && errs[0].contains("is on ramfs, which cannot be idmapped"),
                    "{errs:?}"
                );
                assert!(
                    errs[0].contains("chmod o+rwx") && errs[0].contains("unprivileged user"),
                    "names the way out: {errs:?}"
                );
            }
        }
    }
    // The ramfs lived only in the test's mount namespace.
    assert!(!std::fs::read_to_string("/proc/self/mountinfo").unwrap().contains("sbxtest-ramfs"));
}
