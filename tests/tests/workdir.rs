//! The work dir belongs to the program inside and to the caller outside. As root
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
        if mode == Mode::Launcher && server_mode() {
            // The ramfs exists only in a mount namespace of the test's own, and a server
            // refuses a client in another mount namespace (server.rs checks that).
            println!("SKIP launcher mode through a server: the client is in its own mount namespace");
            continue;
        }
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
                    errs[0].starts_with("sandbox: idmap: ")
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

/// Every way to put a set-uid/set-gid bit or a file capability on a file, and a hard link
/// to a set-uid binary outside. Each call is named on the command line and prints its
/// errno name (or OK).
const SETID_PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
struct how { unsigned long long flags, mode, resolve; };
static void rep(const char *name, long r) { printf("%s %s\n", name, r >= 0 ? "OK" : strerrorname_np(errno)); }
int main(int argc, char **argv) {
    close(open("f", O_CREAT | O_WRONLY, 0755));
    for (int i = 1; i < argc; i++) {
        const char *t = argv[i];
        int fd = open("f", O_RDONLY);
        struct how h = { O_CREAT | O_WRONLY, 04755, 0 };
        /* VFS_CAP_REVISION_2 with CAP_SETUID permitted and effective */
        unsigned int cap[5] = { 0x02000001, 1u << 7, 0, 0, 0 };
        long r = -1;
        if (!strcmp(t, "chmod-suid")) r = chmod("f", 04755);
        else if (!strcmp(t, "chmod-sgid")) r = chmod("f", 02755);
        else if (!strcmp(t, "fchmod")) r = fchmod(fd, 04755);
        else if (!strcmp(t, "fchmodat")) r = fchmodat(AT_FDCWD, "f", 06755, 0);
        else if (!strcmp(t, "fchmodat2")) r = syscall(452, AT_FDCWD, "f", 04755, 0);
        else if (!strcmp(t, "open")) r = syscall(SYS_open, "o1", O_CREAT | O_WRONLY, 04755);
        else if (!strcmp(t, "openat")) r = openat(AT_FDCWD, "o2", O_CREAT | O_WRONLY, 02755);
        else if (!strcmp(t, "creat")) r = creat("o3", 04755);
        else if (!strcmp(t, "tmpfile")) r = open(".", O_TMPFILE | O_WRONLY, 04755);
        else if (!strcmp(t, "openat2")) r = syscall(437, AT_FDCWD, "o4", &h, sizeof h);
        else if (!strcmp(t, "mkdir")) r = mkdir("d1", 02755);
        else if (!strcmp(t, "mkdirat")) r = mkdirat(AT_FDCWD, "d2", 04755);
        else if (!strcmp(t, "mknod")) r = mknod("n1", S_IFREG | 04755, 0);
        else if (!strcmp(t, "mknodat")) r = mknodat(AT_FDCWD, "n2", S_IFREG | 02755, 0);
        else if (!strcmp(t, "setcap")) r = setxattr("f", "security.capability", cap, sizeof cap, 0);
        else if (!strcmp(t, "link-su")) r = link("/usr/bin/su", "su");
        else if (!strcmp(t, "link-etc")) r = link("/etc/passwd", "passwd");
        else if (!strcmp(t, "control")) r = chmod("f", 0700) | mkdir("d3", 0755) | (open("o5", O_CREAT | O_WRONLY, 0644) < 0);
        rep(t, r);
        fflush(stdout);
        close(fd);
    }
    return 0;
}"#;

const SETID_CALLS: &[(&str, &str)] = &[
    ("chmod-suid", "EPERM"),
    ("chmod-sgid", "EPERM"),
    ("fchmod", "EPERM"),
    ("fchmodat", "EPERM"),
    ("fchmodat2", "EPERM"),
    ("open", "EPERM"),
    ("openat", "EPERM"),
    ("creat", "EPERM"),
    ("tmpfile", "EPERM"),
    ("openat2", "ENOSYS"),
    ("mkdir", "EPERM"),
    ("mkdirat", "EPERM"),
    ("mknod", "EPERM"),
    ("mknodat", "EPERM"),
    ("setcap", "EPERM"),
    ("link-su", "EXDEV"),
    ("link-etc", "EXDEV"),
];

/// No file in `d` (recursively) has a set-id bit or a security.capability xattr.
fn assert_no_setid(d: &Path, ctx: &str) {
    for e in std::fs::read_dir(d).unwrap() {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        assert_eq!(m.mode() & 0o6000, 0, "{ctx}: {} has mode {:o} on the host", e.path().display(), m.mode());
        let o = Command::new("getfattr").args(["-n", "security.capability"]).arg(e.path()).output();
        if let Ok(o) = o {
            assert!(
                !String::from_utf8_lossy(&o.stdout).contains("security.capability"),
                "{ctx}: file capability on {}",
                e.path().display()
            );
        }
        if m.is_dir() {
            assert_no_setid(&e.path(), ctx);
        }
    }
}

/// The program's files are root's on the host (idmapped work dir), so set-id bits and file
/// capabilities must never be set: every profile, launcher and both bare modes. Where a
/// profile does not allow a call at all (strict), it is a violation instead: still never
/// a set-id bit.
#[test]
fn no_setid_bit_or_file_capability_reaches_the_host() {
    let probe = cc("setid_probe", SETID_PROBE, &[]);
    let p = probe.to_str().unwrap();
    let all: Vec<&str> = SETID_CALLS.iter().map(|c| c.0).chain(["control"]).collect();
    let mut runs = vec![(Who::User, Mode::Launcher)];
    runs.extend(MODES.map(|m| (Who::Root, m)));
    for (who, mode) in runs {
        for seccomp in ["default", "none"] {
            let d = Private::new(who);
            let o = Run::new(who, mode, &d.0).opt("seccomp", seccomp).run(p, &all);
            o.ok();
            for (call, want) in SETID_CALLS {
                o.has(&format!("{call} {want}\n"));
            }
            o.has("control OK\n");
            assert_no_setid(&d.0, &format!("{who:?}/{mode:?}/{seccomp}"));
        }
        // strict: one call per run; a call strict forbids ends the run as a violation.
        let d = Private::new(who);
        for (call, want) in SETID_CALLS {
            let o = Run::new(who, mode, &d.0).opt("seccomp", "strict").run(p, &[call]);
            let line = format!("{call} {want}\n");
            assert!(
                o.stdout().contains(&line) || o.signal() == Some(libc::SIGKILL) || o.signal() == Some(libc::SIGSYS),
                "{who:?}/{mode:?}/strict {call}: {} {:?} {}",
                o.stdout(),
                o.0.status,
                o.stderr()
            );
            assert!(!o.stdout().contains(&format!("{call} OK")), "{who:?}/{mode:?}/strict: {call} succeeded");
        }
        assert_no_setid(&d.0, &format!("{who:?}/{mode:?}/strict"));
    }
}

/// As root an idmapped bind makes the caller's files the program's, so the host's own trees
/// are never idmapped: `--bind /etc` or a run started in /etc gets the plain bind it always
/// had, and the program can neither write there nor read root-only files.
#[test]
fn root_system_trees_are_never_idmapped() {
    let cwd = Scratch::new("wd-sys");
    for mode in MODES {
        let o = Run::new(Who::Root, mode, cwd.path())
            .opt("workdir", "none")
            .opt("bind", "/etc:/x")
            .run("/bin/sh", &["-c", "touch /x/sbx-canary-etc 2>/dev/null && echo WROTE; cat /x/shadow >/dev/null 2>&1 && echo READ; echo done"]);
        o.ok().has("done\n");
        assert!(!o.stdout().contains("WROTE") && !o.stdout().contains("READ"), "{mode:?}: {}", o.stdout());
        assert!(!Path::new("/etc/sbx-canary-etc").exists(), "{mode:?}: wrote into the host's /etc");
        let o = Run::new(Who::Root, mode, Path::new("/etc"))
            .opt("verbose", "true")
            .run("/bin/sh", &["-c", "touch /etc/sbx-canary-cwd 2>/dev/null && echo WROTE; echo done"]);
        o.ok().has("done\n");
        assert!(
            o.stderr().contains("/etc: plain bind (a system directory is never idmapped)"),
            "{mode:?}: {}",
            o.stderr()
        );
        assert!(!Path::new("/etc/sbx-canary-cwd").exists(), "{mode:?}: wrote into the host's /etc");
    }
}
