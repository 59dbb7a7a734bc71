//! The filesystem jail and network isolation, in both modes, root and unprivileged.

use sandbox_e2e::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

#[test]
fn writes_stay_inside_the_writable_places() {
    // Canaries in the host's /tmp and in the parent of the work dir.
    let s = Scratch::new("canary");
    let work = s.join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::set_permissions(&work, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let parent_canary = s.join("canary");
    let tmp_canary = std::path::PathBuf::from(format!("/tmp/sandbox-e2e-canary-{}", std::process::id()));
    for c in [&parent_canary, &tmp_canary] {
        std::fs::write(c, "original").unwrap();
        std::fs::set_permissions(c, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    }
    let script = format!(
        "echo x > {p}; rm -f {p}; echo x > {t}; rm -f {t}; echo x > /etc/passwd; touch /usr/x /x /etc/x; \
         echo ok > inside; echo ok > /tmp/scratch; cat inside /tmp/scratch",
        p = parent_canary.display(),
        t = tmp_canary.display()
    );
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, &work).run("/bin/sh", &["-c", &script]);
            assert_eq!(o.stdout(), "ok\nok\n", "{who:?}/{mode:?}: {}", o.stderr());
            assert!(std::fs::read_to_string(work.join("inside")).unwrap() == "ok\n");
            std::fs::remove_file(work.join("inside")).unwrap();
        }
    }
    for c in [&parent_canary, &tmp_canary] {
        assert_eq!(std::fs::read_to_string(c).unwrap(), "original", "{} was touched", c.display());
    }
    std::fs::remove_file(&tmp_canary).unwrap();
}

#[test]
fn no_path_leads_to_the_host_root() {
    let escape = cc(
        "chroot_escape",
        r#"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
    mkdir("esc", 0755);
    int r = chroot("esc");
    for (int i = 0; i < 64; i++) chdir("..");
    int r2 = chroot(".");
    int fd = open(argv[1], O_RDONLY);
    printf("chroot=%d chroot2=%d open=%d\n", r, r2, fd);
    rmdir("esc");
    return fd >= 0 ? 0 : 1;
}"#,
        &[],
    );
    let s = Scratch::new("escape");
    let host_only = s.join("host-only-file");
    std::fs::write(&host_only, "x").unwrap();
    // Not under the work dir: place it where only the host sees it.
    let secret = std::path::PathBuf::from(format!("/var/tmp/sandbox-e2e-host-only-{}", std::process::id()));
    std::fs::write(&secret, "x").unwrap();
    for who in BOTH {
        for mode in MODES {
            let r = Run::new(who, mode, s.path());
            r.run(escape.to_str().unwrap(), &[secret.to_str().unwrap()]).exit(1);
            // /proc/1 is the sandbox's init: its parent is outside the namespace (ppid 0).
            let o = r.run("/bin/sh", &["-c", "cut -d' ' -f4 /proc/1/stat; cat /proc/self/mountinfo"]);
            o.ok();
            let out = o.stdout();
            assert_eq!(out.lines().next(), Some("0"), "{who:?}/{mode:?}: /proc/1 is not our init");
            // Only the jail's mounts: no host /home, /root, /var, /sys, /run.
            for line in out.lines().skip(1) {
                let mp = line.split(' ').nth(4).unwrap();
                for bad in ["/home", "/root", "/var", "/sys", "/run", "/srv", "/mnt", "/boot"] {
                    assert!(!mp.starts_with(bad), "{who:?}/{mode:?}: host mount {mp} visible");
                }
            }
            let o = r.run("/bin/sh", &["-c", "ls / ; ls /home /root /var 2>&1; cat /etc/shadow 2>&1"]);
            assert!(o.stdout().contains("No such file"), "{}", o.stdout());
            assert!(!o.stdout().contains("root:"), "shadow readable");
        }
    }
    std::fs::remove_file(&secret).unwrap();
}

/// As root the work dir is idmapped (the caller's files are the run's: tests/tests/workdir.rs),
/// so the secret belongs to a third user, whom neither the caller nor the run is.
#[test]
fn another_users_private_file_in_the_work_dir_stays_unreadable() {
    let s = Scratch::new("rootonly");
    let f = s.join("secret");
    std::fs::write(&f, "top secret").unwrap();
    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&f, Some(65534), Some(65534)).unwrap();
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path()).run("/bin/cat", &["secret"]);
            assert_ne!(o.code(), Some(0), "{who:?}/{mode:?} read a root-only file");
            assert!(!o.stdout().contains("top secret"));
        }
    }
}

#[test]
fn planted_symlinks_do_not_widen_the_view() {
    let s = Scratch::new("symlink");
    let src = s.join("src");
    std::fs::create_dir(&src).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", src.join("shadow")).unwrap();
    std::os::unix::fs::symlink("..", src.join("up")).unwrap();
    std::fs::write(s.join("outside"), "outside").unwrap();
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path())
                .opt("workdir", "none")
                .opt("ro-bind", &format!("{}:/data", src.display()))
                .run("/bin/sh", &["-c", "cat /data/shadow; ls /data/up/; cat /data/up/outside"]);
            assert!(!o.stdout().contains("root:"), "{who:?}/{mode:?}");
            assert!(!o.stdout().contains("outside"), "{who:?}/{mode:?}: .. left the bind: {}", o.stdout());
        }
    }
}

#[test]
fn disk_writes_are_bounded() {
    let s = Scratch::new("disk");
    for who in BOTH {
        for mode in MODES {
            let r = Run::new(who, mode, s.path()).opt("tmp-size", "1M");
            let o = r.run("/bin/sh", &["-c", "head -c 2000000 /dev/zero > /tmp/f; echo rc=$?; ls -l /tmp/f"]);
            assert!(o.stderr().contains("No space left"), "{who:?}/{mode:?}: {}", o.stderr());
            let r = Run::new(who, mode, s.path()).opt("fsize", "1M");
            let o = r.run("/bin/sh", &["-c", "head -c 2000000 /dev/zero > big; echo rc=$?"]);
            assert!(
                o.stdout().contains("rc=153") || o.stderr().contains("File too large"),
                "{who:?}/{mode:?} {o:?}",
                o = o.stderr()
            );
            let _ = std::fs::remove_file(s.join("big"));
        }
    }
}

#[test]
fn network_is_loopback_only_unless_host_is_asked_for() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    server.set_nonblocking(true).unwrap();
    let connect = format!(
        "python3 -c 'import socket; s=socket.create_connection((\"127.0.0.1\", {port}), timeout=2); print(\"connected\")'"
    );
    let own = "python3 -c 'import socket,threading\n\
               l=socket.socket(); l.bind((\"127.0.0.1\",0)); l.listen(1)\n\
               c=socket.create_connection(l.getsockname()); a,_=l.accept(); a.sendall(b\"hi\"); print(c.recv(2).decode())'";
    let s = Scratch::new("net");
    for who in BOTH {
        for mode in MODES {
            let r = Run::new(who, mode, s.path());
            let o = r.run("/bin/sh", &["-c", &connect]);
            assert!(!o.stdout().contains("connected"), "{who:?}/{mode:?}: reached the host's loopback");
            r.run("/bin/sh", &["-c", own]).ok().has("hi");
            let o = Run::new(who, mode, s.path()).opt("net", "host").run("/bin/sh", &["-c", &connect]);
            o.ok().has("connected");
            // Drain the accepted connection so the next one starts clean.
            if let Ok((mut c, _)) = server.accept() {
                let _ = c.write_all(b"");
                let mut b = [0u8; 1];
                let _ = c.set_nonblocking(true);
                let _ = c.read(&mut b);
            }
            let o = Run::new(who, mode, s.path()).opt("net", "none").run("/bin/sh", &["-c", own]);
            assert_ne!(o.code(), Some(0), "{who:?}/{mode:?}: --net none has a working loopback");
        }
    }
}

#[test]
fn real_programs_run() {
    let s = Scratch::new("real");
    std::fs::write(s.join("hello.c"), "#include <stdio.h>\nint main(void){puts(\"hello from gcc\");return 0;}\n")
        .unwrap();
    let script = "printf 'b\\na\\n' | sort | sha256sum | cut -c1-8; ls /usr/bin/sh >/dev/null && echo ls-ok; \
                  python3 -c 'print(6*7)'; gcc -o hello hello.c && ./hello; rm -f hello";
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path()).run("/bin/sh", &["-c", script]);
            o.ok().has("ls-ok").has("42\n").has("hello from gcc");
        }
    }
}

#[test]
fn a_missing_bind_source_is_an_error() {
    let s = Scratch::new("missing");
    for who in BOTH {
        for mode in MODES {
            let o = Run::new(who, mode, s.path()).opt("bind", "/no/such/dir:/data").run("/bin/true", &[]);
            o.exit(125).err_has("bind source /no/such/dir");
        }
    }
    assert!(Command::new("true").status().unwrap().success());
}
