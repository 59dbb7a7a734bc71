//! The launcher's target checks, environment, descriptors, configuration, --check.

use sandbox_e2e::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const MARK_C: &str = r#"
#include <stdio.h>
int main(int argc, char **argv) { FILE *f = fopen(argv[1], "w"); if (f) fclose(f); puts("ran"); return 0; }"#;

fn sandbox(dir: &std::path::Path, args: &[&str]) -> Out {
    let o = Command::new(sandbox_bin()).args(args).current_dir(dir).output().unwrap();
    Out(o, format!("sandbox {args:?}"))
}

#[test]
fn refused_targets_never_run() {
    let s = Scratch::new("refuse");
    let prog = cc("mark", MARK_C, &[]);
    let marker = s.join("ran");
    let m = marker.to_str().unwrap();
    let copy = |name: &str, mode: u32| {
        let p = s.join(name);
        std::fs::copy(&prog, &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    };
    let suid = copy("suid", 0o4755);
    let sgid = copy("sgid", 0o2755);
    let noexec = copy("noexec", 0o644);
    let caps = copy("caps", 0o755);
    let setcap = Command::new("setcap").args(["cap_net_raw+ep"]).arg(&caps).status().unwrap();
    assert!(setcap.success(), "setcap (libcap2-bin) is needed for this test");
    // A 32-bit ELF: the i386 hello from c-tests, or a hand-made ELF32 header.
    let elf32 = s.join("elf32");
    let mut h = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0];
    h.resize(52, 0);
    h[16] = 2;
    h[18] = 3; // EM_386
    std::fs::write(&elf32, &h).unwrap();
    std::fs::set_permissions(&elf32, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(s.join("adir")).unwrap();
    let cases: &[(&str, i32, &str)] = &[
        (suid.to_str().unwrap(), 126, "set-uid"),
        (sgid.to_str().unwrap(), 126, "set-gid"),
        (caps.to_str().unwrap(), 126, "capabilit"),
        (noexec.to_str().unwrap(), 126, ""),
        (elf32.to_str().unwrap(), 126, "32-bit"),
        ("./adir", 126, "directory"),
        ("./missing", 127, ""),
        ("no-such-command-xyz", 127, ""),
    ];
    for (target, code, why) in cases {
        let o = sandbox(s.path(), &["--", target, m]);
        o.exit(*code);
        let err = o.stderr();
        assert_eq!(err.lines().count(), 1, "{target}: one line expected: {err}");
        assert!(err.starts_with("sandbox: ") && err.contains(why), "{target}: {err}");
        assert!(!marker.exists(), "{target} ran");
    }
}

#[test]
fn static_and_static_pie_programs_are_contained() {
    let s = Scratch::new("static");
    let src = r#"
#include <stdio.h>
#include <string.h>
int main(void) {
    char l[256]; FILE *f = fopen("/proc/self/status", "r");
    while (fgets(l, sizeof l, f)) if (!strncmp(l, "Cap", 3) || !strncmp(l, "Seccomp:", 8) || !strncmp(l, "NoNewPrivs", 10)) fputs(l, stdout);
    printf("hello\n"); return 0;
}"#;
    for (name, flags) in [("st_status", &["-static"][..]), ("stpie_status", &["-static-pie", "-fPIE"][..])] {
        let p = cc(name, src, flags);
        for who in BOTH {
            let o = Run::new(who, Mode::Launcher, s.path()).opt("seccomp", "strict").run(p.to_str().unwrap(), &[]);
            o.ok().has("hello").has("CapEff:\t0000000000000000").has("CapBnd:\t0000000000000000").has("Seccomp:\t2");
        }
    }
}

#[test]
fn environment_and_descriptors_do_not_leak() {
    let s = Scratch::new("env");
    let o = Command::new(sandbox_bin())
        .args(["--", "/bin/sh", "-c", "env; ls /proc/self/fd"])
        .env("AWS_SECRET_ACCESS_KEY", "hunter2")
        .env("LD_LIBRARY_PATH", "/evil")
        .env("SANDBOX_MEMORY", "1G")
        .current_dir(s.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(!out.contains("hunter2") && !out.contains("/evil") && !out.contains("SANDBOX_MEMORY"), "{out}");
    assert!(out.contains(&format!("HOME={}", s.path().display())), "{out}");
    let o = Command::new(sandbox_bin())
        .args(["--keep-env", "AWS_SECRET_ACCESS_KEY", "--env", "X=1", "--", "/usr/bin/env"])
        .env("AWS_SECRET_ACCESS_KEY", "hunter2")
        .current_dir(s.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("AWS_SECRET_ACCESS_KEY=hunter2") && out.contains("X=1"), "{out}");
    // An open file on fd 7 in the caller is not reachable inside, unless kept.
    let f = s.join("fd7");
    std::fs::write(&f, "secret fd").unwrap();
    let run = |extra: &str| {
        let cmd = format!("exec 7<{}; {} {extra} -- /bin/sh -c 'cat <&7'", f.display(), sandbox_bin().display());
        Command::new("sh").args(["-c", &cmd]).current_dir(s.path()).output().unwrap()
    };
    let o = run("");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("secret fd"));
    let o = run("--keep-fd 7");
    assert!(String::from_utf8_lossy(&o.stdout).contains("secret fd"));
    let o = sandbox(s.path(), &["--env", "LD_PRELOAD=/x", "--", "/bin/true"]);
    o.exit(125);
}

#[test]
fn every_bad_flag_value_is_a_clear_error() {
    let s = Scratch::new("flags");
    for args in [
        &["--memory", "lots"][..],
        &["--memory", "0"],
        &["--address-space", "-1"],
        &["--time", "soon"],
        &["--wall-time", "1,5"],
        &["--pids", "many"],
        &["--files", "x"],
        &["--fsize", "1Q"],
        &["--stack", ""],
        &["--nice", "-5"],
        &["--cpus", "two"],
        &["--net", "wifi"],
        &["--bind", "relative"],
        &["--ro-bind", "rel:/x"],
        &["--tmpfs", "/x:huge"],
        &["--workdir", "rel"],
        &["--chdir", "rel"],
        &["--tmp-size", "0"],
        &["--seccomp", "/no/such/policy"],
        &["--landlock", "maybe"],
        &["--hostname", ""],
        &["--cgroup-root", "../up"],
        &["--profile", "nope"],
        &["--keep-fd", "1"],
        &["--env", "novalue"],
        &["--no-such-flag"],
        &["--memory"],
    ] {
        let mut a = args.to_vec();
        a.extend(["--", "/bin/true"]);
        let o = sandbox(s.path(), &a);
        o.exit(125);
        assert!(o.stderr().starts_with("sandbox: "), "{args:?}: {}", o.stderr());
    }
    sandbox(s.path(), &[]).exit(125).err_has("no program");
}

#[test]
fn toml_config_and_flags_are_equivalent() {
    let s = Scratch::new("toml");
    std::fs::write(
        s.join("judge.toml"),
        "profile = \"judge\"\nmemory = \"64M\"\ntime = 1.5\nnet = \"none\"\nro-bind = [\"/usr/share:/share\"]\nreport = \"r.json\"\n",
    )
    .unwrap();
    let o1 = sandbox(s.path(), &["--config", "judge.toml", "--", "/bin/true"]);
    o1.ok();
    let r1 = std::fs::read_to_string(s.join("r.json")).unwrap();
    let o2 = sandbox(
        s.path(),
        &[
            "--profile=judge",
            "--memory=64M",
            "--time=1.5",
            "--net=none",
            "--ro-bind=/usr/share:/share",
            "--report=r.json",
            "--",
            "/bin/true",
        ],
    );
    o2.ok();
    let r2 = std::fs::read_to_string(s.join("r.json")).unwrap();
    assert_eq!(field(&r1, "mechanisms"), field(&r2, "mechanisms"));
    std::fs::write(s.join("bad.toml"), "memory = \"64M\"\n\nmemroy = \"1G\"\n").unwrap();
    sandbox(s.path(), &["--config", "bad.toml", "--", "/bin/true"]).exit(125).err_has("bad.toml:3");
    std::fs::write(s.join("bad2.toml"), "memory = \"64M\"\ntime = \"soon\"\n").unwrap();
    sandbox(s.path(), &["--config", "bad2.toml", "--", "/bin/true"]).exit(125).err_has("bad2.toml:2");
    // Flags override the file: the file says net = none (Landlock then denies TCP too).
    assert!(field(&r1, "landlock").contains("tcp denied"), "{r1}");
    sandbox(s.path(), &["--config", "judge.toml", "--net", "loopback", "--", "/bin/true"]).ok();
    let r3 = std::fs::read_to_string(s.join("r.json")).unwrap();
    assert!(!field(&r3, "landlock").contains("tcp denied"), "{r3}");
}

#[test]
fn check_reports_this_host() {
    let s = Scratch::new("check");
    let o = sandbox(s.path(), &["--check"]);
    o.ok()
        .has("v1 /sys/fs/cgroup/memory: memory; can create run cgroups")
        .has("v1 /sys/fs/cgroup/pids: pids; can create run cgroups")
        .has("v2 /sys/fs/cgroup/unified")
        .has("landlock: ABI 7")
        .has("verdict: OK");
    ensure_user();
    let o = Command::new("setpriv")
        .args([&format!("--reuid={USER}"), &format!("--regid={USER}"), "--clear-groups", "--"])
        .arg(sandbox_bin())
        .arg("--check")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("--memory     supervisor") && out.contains("--time       supervisor"), "{out}");
    assert!(out.contains("fall back to the supervisor and rlimits"), "{out}");
}

#[test]
fn shebang_scripts_run_with_a_checked_interpreter() {
    let s = Scratch::new("script");
    let sh = s.join("hello.sh");
    std::fs::write(&sh, "#!/bin/sh\necho \"script $1\"\n").unwrap();
    std::fs::set_permissions(&sh, std::fs::Permissions::from_mode(0o755)).unwrap();
    for who in BOTH {
        Run::new(who, Mode::Launcher, s.path()).run("./hello.sh", &["ok"]).ok().has("script ok");
    }
}
