//! `sandbox --serve` and `sandbox --server`: who is served, what a client may ask for, and
//! that nothing runs unsandboxed or stays behind when a client, the server or a request
//! goes wrong. (Every other e2e test also runs through a server: E2E_VIA_SERVER=1, in
//! `make test`.)

use sandbox_e2e::*;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server started by root with `args`, stopped (SIGTERM) and waited for on drop.
struct Server {
    child: Child,
    sock: PathBuf,
    log: PathBuf,
}

impl Server {
    fn start(s: &Scratch, name: &str, args: &[&str]) -> Server {
        let sock = s.join(&format!("{name}.sock"));
        let log = s.join(&format!("{name}.log"));
        let child = Command::new(sandbox_bin())
            .arg(format!("--serve={}", sock.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut srv = Server { child, sock, log };
        // Up when a connection is taken (a stale socket file from a killed server exists
        // before the new one is there).
        let up = eventually(5000, || UnixStream::connect(&srv.sock).is_ok());
        assert!(up, "server did not come up: {}", srv.log_text());
        assert!(srv.child.try_wait().unwrap().is_none());
        srv
    }
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap()
    }
    fn client(&self, who: Who, dir: &Path, opts: &[&str], prog: &[&str]) -> Command {
        let mut c = command(who, &sandbox_bin());
        c.arg(format!("--server={}", self.sock.display())).args(opts).arg("--").args(prog).current_dir(dir);
        c
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

fn out(mut c: Command, what: &str) -> Out {
    Out(c.stdin(Stdio::null()).output().unwrap(), what.to_string())
}

/// Processes whose name (/proc/PID/comm) is `name`: the program itself, never a client or
/// server whose command line merely mentions it.
fn procs_named(name: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(c) = std::fs::read_to_string(e.path().join("comm")) {
            if c.trim_end() == name {
                v.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    v
}

#[test]
fn a_served_run_is_the_launchers_run() {
    let s = Scratch::new("srv-same");
    let (uid, _) = ensure_user();
    let srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}")]);
    let probe =
        "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; id -u; hostname; ls /; pwd; ulimit -n; umask";
    for who in BOTH {
        let direct = out(
            {
                let mut c = command(who, &sandbox_bin());
                c.args(["--", "/bin/sh", "-c", probe]).current_dir(s.path());
                c
            },
            "direct",
        );
        let served = out(srv.client(who, s.path(), &[], &["/bin/sh", "-c", probe]), "served");
        direct.ok();
        served.ok().has("NoNewPrivs:\t1").has("Seccomp:\t2");
        // The same containment and identity: only the per-run uid (root mode) differs,
        // since it is derived from the supervisor's pid.
        let strip_uid = |t: String| t.lines().filter(|l| l.parse::<u64>().is_err()).collect::<Vec<_>>().join("\n");
        assert_eq!(strip_uid(served.stdout()), strip_uid(direct.stdout()), "{who:?}");
        if who == Who::User {
            assert_eq!(
                served.stdout(),
                direct.stdout(),
                "the unprivileged run is the user's own, through the server too"
            );
        }
        // Exit codes, signals, stdin/stdout byte for byte, through the server.
        out(srv.client(who, s.path(), &[], &["/bin/sh", "-c", "exit 42"]), "exit").exit(42);
        out(srv.client(who, s.path(), &[], &["/bin/sh", "-c", "kill -USR1 $$"]), "sig").killed_by(libc::SIGUSR1);
        let mut c = srv.client(who, s.path(), &[], &["/bin/cat"]);
        let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut sin = child.stdin.take().unwrap();
        let d2 = data.clone();
        let w = std::thread::spawn(move || sin.write_all(&d2).unwrap());
        let mut got = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut got).unwrap();
        w.join().unwrap();
        assert!(child.wait().unwrap().success());
        assert!(got == data, "{who:?}: stdout differs from stdin ({} vs {} bytes)", got.len(), data.len());
    }
    // SANDBOX_SERVER does what --server does.
    let mut c = command(Who::Root, &sandbox_bin());
    c.env("SANDBOX_SERVER", &srv.sock).args(["--", "/bin/sh", "-c", "echo $PPID"]).current_dir(s.path());
    out(c, "env").ok().has("1");
    // A report, and the JSON the launcher writes, from the client's directory.
    out(srv.client(Who::User, s.path(), &["--report=r.json"], &["/bin/true"]), "report").ok();
    let r = std::fs::read_to_string(s.join("r.json")).unwrap();
    assert_eq!(field(&r, "status"), "OK", "{r}");
}

#[test]
fn only_the_users_it_is_told_to_are_served() {
    let s = Scratch::new("srv-uid");
    let marker = s.join("ran");
    let touch = format!("touch {}", marker.display());
    // Not allowed: the socket is the server's alone (0600), so connect fails.
    let srv = Server::start(&s, "own", &[]);
    let mode = std::fs::metadata(&srv.sock)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap();
    assert_eq!(mode, 0o600, "owner-only socket");
    let o = out(srv.client(Who::User, s.path(), &[], &["/bin/sh", "-c", &touch]), "not allowed");
    o.exit(125).err_has("sandbox: server ");
    assert!(!marker.exists(), "ran for a user it does not serve");
    // Two other uids allowed, the test user not: the socket is open, the peer check refuses.
    let srv2 = Server::start(&s, "two", &["--allow-uid=65534,65533"]);
    let o = out(srv2.client(Who::User, s.path(), &[], &["/bin/sh", "-c", &touch]), "peer check");
    o.exit(125).err_has("is not served here");
    assert!(!marker.exists(), "ran for a refused peer");
    assert!(srv2.log_text().contains("refused uid"), "{}", srv2.log_text());
    // An unprivileged server serves only itself.
    let o = out(
        {
            let mut c = command(Who::User, &sandbox_bin());
            c.args(["--serve", s.join("u.sock").to_str().unwrap(), "--allow-uid=0"]);
            c
        },
        "user server",
    );
    o.exit(125).err_has("only a server started by root");
}

#[test]
fn a_client_gets_at_most_the_servers_policy() {
    let s = Scratch::new("srv-ceiling");
    let (uid, _) = ensure_user();
    let srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--memory=64M", "--net=none", "--time=2"]);
    let marker = s.join("ran");
    let touch = format!("touch {}", marker.display());
    for (opt, key) in [
        ("--memory=1G", "--memory"),
        ("--net=loopback", "--net"),
        ("--seccomp=none", "--seccomp"),
        ("--bind=/srv", "--bind"),
        ("--lib=/bin/true", "--lib"),
        ("--landlock=off", "--landlock"),
    ] {
        let o = out(srv.client(Who::User, s.path(), &[opt, "--report=r.json"], &["/bin/sh", "-c", &touch]), opt);
        o.exit(125).err_has(&format!("sandbox: server: {key}"));
        assert!(!marker.exists(), "{opt}: the program ran");
        let r = std::fs::read_to_string(s.join("r.json")).unwrap_or_default();
        assert_eq!(field(&r, "status"), "XX", "{opt}: a refused run has a report: {r}");
        assert_eq!(o.stderr().lines().count(), 1, "{opt}: one line: {}", o.stderr());
    }
    // The server's limits apply without being asked, and a client can tighten them.
    let o = out(srv.client(Who::User, s.path(), &["--report=r.json"], &["/bin/true"]), "defaults");
    o.ok();
    let r = std::fs::read_to_string(s.join("r.json")).unwrap();
    assert!(r.contains("\"memory\"") || r.contains("67108864") || r.contains("64"), "{r}");
    out(srv.client(Who::User, s.path(), &["--net=none", "--memory=32M", "--time=1"], &["/bin/true"]), "tighter").ok();
    // The server's network policy holds: no loopback inside (lo is down, so 127.0.0.1 is no
    // address of the run's).
    let py = "import socket\ntry:\n socket.socket().bind(('127.0.0.1', 0)); print('up')\nexcept OSError as e: print('down', e.errno)";
    let o = out(srv.client(Who::Root, s.path(), &[], &["/usr/bin/python3", "-c", py]), "net");
    o.ok().has("down");
    // A served run never gets --preload-only.
    out(srv.client(Who::Root, s.path(), &["--preload-only"], &["/bin/sh", "-c", &touch]), "preload-only")
        .exit(125)
        .err_has("--preload-only is never served");
    assert!(!marker.exists());
}

#[test]
fn no_server_no_run() {
    let s = Scratch::new("srv-gone");
    let marker = s.join("ran");
    let touch = format!("touch {}", marker.display());
    let gone = s.join("nobody.sock");
    let o = out(
        {
            let mut c = command(Who::Root, &sandbox_bin());
            c.arg(format!("--server={}", gone.display())).args(["--", "/bin/sh", "-c", &touch]).current_dir(s.path());
            c
        },
        "gone",
    );
    o.exit(125).err_has("sandbox: server ");
    assert_eq!(o.stderr().lines().count(), 1, "{}", o.stderr());
    assert!(!marker.exists(), "ran without a server");
    // A stale socket file (its server is dead): refused the same way, and a new server can
    // take the path over.
    let mut srv = Server::start(&s, "stale", &[]);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(srv.child.id() as i32, libc::SIGKILL) };
    srv.child.wait().unwrap();
    assert!(srv.sock.exists(), "SIGKILL leaves the socket file");
    out(srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", &touch]), "stale").exit(125);
    assert!(!marker.exists());
    let srv2 = Server::start(&s, "stale", &[]);
    out(srv2.client(Who::Root, s.path(), &[], &["/bin/true"]), "new").ok();
}

#[test]
fn a_client_that_dies_takes_its_run_with_it() {
    let s = Scratch::new("srv-kill");
    let (uid, _) = ensure_user();
    let srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--memory=128M", "--pids=32"]);
    for who in BOTH {
        // A copy of sleep under a name of its own (at most 15 bytes, the kernel's comm), so
        // that only the running program matches. (It was `exec -a` in /bin/sh, which dash
        // refuses: the run ended at once with 127, and the test only saw the client's own
        // command line, when it looked soon enough.)
        let name = format!("sk{}{}", std::process::id() % 100_000_000, if who == Who::User { 'u' } else { 'r' });
        std::fs::copy("/bin/sleep", s.join(&name)).unwrap(); // with its 0755
        let err = s.join(&format!("client-{who:?}.err"));
        let mut c = srv.client(who, s.path(), &[], &[&format!("./{name}"), "60"]);
        let mut child = c.stdin(Stdio::null()).stderr(std::fs::File::create(&err).unwrap()).spawn().unwrap();
        if !eventually(5000, || !procs_named(&name).is_empty()) {
            // Not left running past the test: its run ends with it.
            let _ = child.kill();
            let st = child.wait().unwrap();
            let text = std::fs::read_to_string(&err).unwrap_or_default();
            panic!("{who:?}: the run never started (client {st:?}, stderr: {text:?}); server: {}", srv.log_text());
        }
        // The program runs, and the client waits for it.
        assert!(child.try_wait().unwrap().is_none(), "{who:?}: the client ended while its run goes on");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(eventually(5000, || procs_named(&name).is_empty()), "{who:?}: left behind: {:?}", procs_named(&name));
    }
    // The server is still up and serving.
    out(srv.client(Who::Root, s.path(), &[], &["/bin/true"]), "after").ok();
}

#[test]
fn the_server_survives_bad_requests_and_stops_cleanly() {
    let s = Scratch::new("srv-bad");
    let mut srv = Server::start(&s, "s", &[]);
    // Garbage: refused with a reason, the server stays.
    let mut c = UnixStream::connect(&srv.sock).unwrap();
    c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = c.read_to_end(&mut reply);
    assert_eq!(reply.first(), Some(&b'E'), "{reply:?}");
    assert!(String::from_utf8_lossy(&reply).contains("SBX1"));
    // A request cut short, then a hang-up; a request that claims more than it sends, left open.
    let mut c = UnixStream::connect(&srv.sock).unwrap();
    c.write_all(b"SBX1\x10\x00\x00\x00abc").unwrap();
    drop(c);
    let _half = {
        let mut c = UnixStream::connect(&srv.sock).unwrap();
        c.write_all(b"SBX1\xff\xff\x00\x00").unwrap();
        c
    };
    // A well-formed request without descriptors.
    let mut c = UnixStream::connect(&srv.sock).unwrap();
    let body = [0u8; 4 * 3 + 8 + 8 + 4 + 4];
    let mut m = b"SBX1".to_vec();
    m.extend((body.len() as u32).to_le_bytes());
    m.extend(body);
    c.write_all(&m).unwrap();
    let mut reply = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = c.read_to_end(&mut reply);
    assert_eq!(reply.first(), Some(&b'E'), "{reply:?}");
    // Still serving while the half-sent request waits.
    out(srv.client(Who::Root, s.path(), &[], &["/bin/true"]), "after garbage").ok();
    // SIGTERM: a run in flight gets it (relayed), the socket goes, the server exits 0.
    let mut run = srv.client(Who::Root, s.path(), &[], &["/bin/sleep", "30"]);
    let mut run = run.stdin(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let st = srv.stop();
    assert!(st.success(), "server exit: {st:?}: {}", srv.log_text());
    let rs = run.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&rs), Some(libc::SIGTERM), "{rs:?}");
    assert!(!srv.sock.exists(), "socket left behind");
}

/// The server's own count of runs handed to a slot armed ahead, from its log at stop.
fn pooled_runs(srv: &mut Server) -> (u64, u64) {
    let [runs, pooled, _, _] = stop_counts(srv);
    (runs, pooled)
}

/// Stop the server; its counts: runs, runs armed ahead, runs answered before their
/// teardown, armed runs that failed unused.
fn stop_counts(srv: &mut Server) -> [u64; 4] {
    srv.stop();
    let log = srv.log_text();
    let line = log.lines().find(|l| l.contains("stopped:")).unwrap_or_else(|| panic!("no stop line: {log}"));
    let nums: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    nums.try_into().unwrap_or_else(|n| panic!("not four counts {n:?}: {line}"))
}

/// A request like the last one is served by a run armed ahead for it, never shared: each
/// run has its own /tmp and gets its own descriptors, report, exit code and clock.
#[test]
fn armed_runs_are_used_once_and_see_only_their_request() {
    let s = Scratch::new("srv-pool");
    let (uid, _) = ensure_user();
    let mut srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--pool=2", "--memory=256M"]);
    let script = "ls -A /tmp; touch /tmp/mark; read code; cat; exit $code";
    for who in BOTH {
        for i in 0..6u8 {
            let rep = format!("r-{who:?}.json");
            let mut c = srv.client(who, s.path(), &[&format!("--report={rep}")], &["/bin/sh", "-c", script]);
            let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            let body = format!("{i}\nline {i} of {who:?}\n");
            child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
            let o = Out(child.wait_with_output().unwrap(), format!("{who:?} run {i}"));
            o.exit(i as i32);
            // Nothing of the previous run's /tmp, and exactly this run's input.
            assert_eq!(o.stdout(), format!("line {i} of {who:?}\n"), "{who:?} run {i}");
            let r = std::fs::read_to_string(s.join(&rep)).unwrap();
            assert_eq!(field(&r, "exit_code"), i.to_string(), "{r}");
            // Time spent armed before the request is not the run's.
            let wall: f64 = field(&r, "wall_time").parse().unwrap();
            assert!(wall < 1.0, "run {i}: wall {wall} s includes the time it waited armed");
            std::thread::sleep(Duration::from_millis(if i == 2 { 1200 } else { 150 }));
        }
    }
    let (runs, pooled) = pooled_runs(&mut srv);
    assert_eq!(runs, 12);
    assert!(pooled >= 8, "only {pooled} of {runs} runs were armed ahead: {}", srv.log_text());
}

/// A target replaced after a run was armed with it is never run from the old copy: the
/// armed run is stale and the request runs as if there were no pool.
#[test]
fn an_armed_run_never_runs_a_replaced_program() {
    let s = Scratch::new("srv-stale");
    let mut srv = Server::start(&s, "s", &["--pool=2"]);
    let prog = s.join("prog");
    let write = |text: &str| {
        let tmp = s.join("prog.new");
        std::fs::write(&tmp, format!("#!/bin/sh\necho {text}\n")).unwrap();
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &prog).unwrap();
    };
    write("one");
    for _ in 0..3 {
        out(srv.client(Who::Root, s.path(), &[], &["./prog"]), "one").ok().has("one");
        std::thread::sleep(Duration::from_millis(300));
    }
    write("two");
    out(srv.client(Who::Root, s.path(), &[], &["./prog"]), "two").ok().has("two").lacks("one");
    // Rewritten in place (same inode): its size and times changed.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&prog, "#!/bin/sh\necho three3\n").unwrap();
    out(srv.client(Who::Root, s.path(), &[], &["./prog"]), "three").ok().has("three3");
    let (runs, pooled) = pooled_runs(&mut srv);
    assert!(pooled >= 1 && runs == 5, "{runs} runs, {pooled} armed ahead: {}", srv.log_text());
}

/// Closes after writing of the files in `dir`, counted by inotify from `start()` on.
struct Writes(i32);

impl Writes {
    fn start(dir: &Path) -> Writes {
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: plain syscalls on a descriptor this struct owns; `c` outlives the call.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: as above.
        assert!(unsafe { libc::inotify_add_watch(fd, c.as_ptr(), libc::IN_CLOSE_WRITE) } >= 0);
        Writes(fd)
    }
    /// The names written (closed after writing) since the last call, once each time.
    fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: read(2) into a buffer of the length given.
            let n = unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return names;
            }
            let mut off = 0;
            while off < n as usize {
                let hdr = std::mem::size_of::<libc::inotify_event>();
                let len = u32::from_ne_bytes(buf[off + 12..off + 16].try_into().unwrap()) as usize;
                let name = &buf[off + hdr..off + hdr + len];
                let name = name.split(|&b| b == 0).next().unwrap_or_default();
                names.push(String::from_utf8_lossy(name).into_owned());
                off += hdr + len;
            }
        }
    }
}

impl Drop for Writes {
    fn drop(&mut self) {
        // SAFETY: our descriptor, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// A run armed ahead that fails has no client: it writes no report, since the paths it has
/// are those of a client that may be reading them. (Once, a refill for a request that could
/// not bind its source truncated the XX report while the client's caller read it.)
#[test]
fn an_armed_run_that_fails_writes_no_report() {
    let s = Scratch::new("srv-slotfail");
    // A server may offer a mount whose source is not there (yet): each request meets it.
    let mut srv = Server::start(&s, "s", &["--pool=2", "--bind=/nonexistent-src"]);
    let w = Writes::start(s.path());
    let opts = ["--bind=/nonexistent-src", "--report=r.json", "--meta=m.txt"];
    out(srv.client(Who::Root, s.path(), &opts, &["/bin/true"]), "bad bind").exit(125);
    let r = std::fs::read_to_string(s.join("r.json")).unwrap();
    assert_eq!(field(&r, "status"), "XX", "{r}");
    // The request's refills fail the same way, after or while it ends; stopping the server
    // waits for every one of them.
    std::thread::sleep(Duration::from_millis(500));
    let [runs, pooled, _, failed] = stop_counts(&mut srv);
    assert_eq!((runs, pooled), (1, 0), "{}", srv.log_text());
    assert!(failed >= 1, "the refills did not fail as expected: {}", srv.log_text());
    // The server's own log lives in the same directory; only the client's files count.
    let mut names: Vec<String> = w.names().into_iter().filter(|n| n != "s.log").collect();
    names.sort();
    assert_eq!(names, ["m.txt", "r.json"], "each written once, by the request: {}", srv.log_text());
}

/// The environment a run depends on is the request's: a variable the program gets is
/// never the one an armed run was made with; one it does not get does not stop the pool.
#[test]
fn armed_runs_match_the_environment_the_program_sees() {
    let s = Scratch::new("srv-env");
    let mut srv = Server::start(&s, "s", &["--pool=1"]);
    let run = |lang: &str, noise: &str| {
        let mut c = srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", "echo LANG=$LANG NOISE=${NOISE:-unset}"]);
        c.env("LANG", lang).env("NOISE", noise);
        let o = out(c, lang);
        std::thread::sleep(Duration::from_millis(300));
        o
    };
    run("C", "1").ok().has("LANG=C NOISE=unset");
    run("C", "2").ok().has("LANG=C NOISE=unset");
    run("C.UTF-8", "3").ok().has("LANG=C.UTF-8 NOISE=unset");
    run("C.UTF-8", "4").ok().has("LANG=C.UTF-8 NOISE=unset");
    run("C", "5").ok().has("LANG=C NOISE=unset");
    let (runs, pooled) = pooled_runs(&mut srv);
    assert!(runs == 5 && pooled >= 2, "{runs} runs, {pooled} armed ahead: {}", srv.log_text());
}

/// Armed runs that are never used, and the server that armed them, leave nothing: no
/// process, no cgroup leaf.
#[test]
fn armed_runs_leave_nothing_when_the_server_stops() {
    let s = Scratch::new("srv-left");
    let mut srv = Server::start(&s, "s", &["--pool=3", "--memory=64M", "--pids=16"]);
    let tag = format!("srvleft{}", std::process::id());
    out(srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", &format!(": {tag}")]), "first").ok();
    std::thread::sleep(Duration::from_millis(800));
    let server_pid = srv.child.id();
    let children = || -> Vec<String> {
        let mut v = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let st = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = st.rsplit(')').next().and_then(|r| r.split_whitespace().nth(1)).unwrap_or("");
            if ppid == server_pid.to_string() {
                v.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        v
    };
    let armed = children();
    assert!(armed.len() >= 3, "the server armed {} run(s): {armed:?}", armed.len());
    let leaves = |pids: &[String]| -> Vec<String> {
        let mut v = Vec::new();
        for h in ["memory", "pids"] {
            let root = std::path::Path::new("/sys/fs/cgroup").join(h);
            let mut stack = vec![root];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        if pids.iter().any(|p| name.starts_with(&format!("run-{p}-"))) {
                            v.push(e.path().display().to_string());
                        }
                        stack.push(e.path());
                    }
                }
            }
        }
        v
    };
    assert!(!leaves(&armed).is_empty(), "armed runs have their cgroups already");
    assert!(srv.stop().success(), "{}", srv.log_text());
    assert!(eventually(5000, || armed.iter().all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())));
    assert!(eventually(5000, || leaves(&armed).is_empty()), "left behind: {:?}", leaves(&armed));
}

/// The judge profile (`--disk`: a sized tmpfs copy of the work dir) armed ahead: the copy
/// is made at the request, so a run sees the work dir as it is when it is asked for, and
/// what it writes is synced back as without the pool.
#[test]
fn an_armed_judge_run_copies_the_work_dir_at_its_request() {
    let s = Scratch::new("srv-disk");
    let (uid, _) = ensure_user();
    let mut srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--profile=judge", "--pool=2"]);
    // One process, no exec (the judge profile): print in.txt and out.txt, then write out.txt.
    let prog = cc(
        "disk_rw",
        r#"
#include <stdio.h>
static void show(const char *p) { FILE *f = fopen(p, "r"); int c; if (!f) return; while ((c = fgetc(f)) != EOF) putchar(c); fclose(f); }
int main(void) { show("in.txt"); show("out.txt"); FILE *o = fopen("out.txt", "w"); if (!o) return 3; fputs("written x\n", o); return fclose(o) ? 4 : 0; }"#,
        &[],
    );
    for who in BOTH {
        let dir = s.join(&format!("box-{who:?}"));
        std::fs::create_dir(&dir).unwrap();
        if who == Who::User {
            std::os::unix::fs::chown(&dir, Some(uid), None).unwrap();
        }
        std::fs::copy(&prog, dir.join("prog")).unwrap();
        for i in 0..4 {
            // Changed between runs, after the next run was armed.
            std::fs::write(dir.join("in.txt"), format!("input {i}\n")).unwrap();
            if who == Who::User {
                std::os::unix::fs::chown(dir.join("in.txt"), Some(uid), None).unwrap();
            }
            let o = out(srv.client(who, &dir, &[], &["./prog"]), "judge");
            let prev = if i == 0 { String::new() } else { "written x\n".to_string() };
            o.ok();
            assert_eq!(o.stdout(), format!("input {i}\n{prev}"), "{who:?} run {i}");
            assert_eq!(std::fs::read_to_string(dir.join("out.txt")).unwrap(), "written x\n");
            std::thread::sleep(Duration::from_millis(400));
        }
    }
    let (runs, pooled) = pooled_runs(&mut srv);
    assert!(runs == 8 && pooled >= 4, "{runs} runs, {pooled} armed ahead: {}", srv.log_text());
}

/// `--output` armed ahead: which of fds 1 and 2 are one file is the request's (one relay
/// pipe for `> f 2>&1`, keeping the interleaving; two otherwise).
#[test]
fn an_armed_output_limit_keeps_the_requests_streams() {
    let s = Scratch::new("srv-output");
    let mut srv = Server::start(&s, "s", &["--output=1M", "--pool=2"]);
    let script = "echo a; echo b >&2; echo c; echo d >&2";
    for i in 0..3 {
        let f = s.join(&format!("both{i}.txt"));
        let file = std::fs::File::create(&f).unwrap();
        let mut c = srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", script]);
        let st = c.stdin(Stdio::null()).stdout(file.try_clone().unwrap()).stderr(file).status().unwrap();
        assert!(st.success());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a\nb\nc\nd\n", "run {i}: one file, in order");
        std::thread::sleep(Duration::from_millis(300));
        let o = out(srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", script]), "apart");
        o.ok();
        assert_eq!((o.stdout(), o.stderr()), ("a\nc\n".to_string(), "b\nd\n".to_string()), "run {i}: apart");
        std::thread::sleep(Duration::from_millis(300));
    }
    let (runs, pooled) = pooled_runs(&mut srv);
    assert!(runs == 6 && pooled >= 2, "{runs} runs, {pooled} armed ahead: {}", srv.log_text());
}

/// Paths are the server's: a client in another mount namespace (its own mounts, its own
/// view of the work dir and the target) is refused, never served with other files.
#[test]
fn a_client_in_another_mount_namespace_is_refused() {
    let s = Scratch::new("srv-mntns");
    let srv = Server::start(&s, "s", &[]);
    let marker = s.join("ran");
    let o = Command::new("unshare")
        .args(["-m", "--propagation", "private", "--"])
        .arg(sandbox_bin())
        .arg(format!("--server={}", srv.sock.display()))
        .args(["--", "/bin/sh", "-c", &format!("touch {}", marker.display())])
        .current_dir(s.path())
        .output()
        .unwrap();
    let o = Out(o, "unshare -m".into());
    o.exit(125).err_has("another mount namespace");
    assert!(!marker.exists());
    out(srv.client(Who::Root, s.path(), &[], &["/bin/true"]), "same namespace").ok();
}

/// A request that cannot be armed ahead (-v: its step lines are the client's) is run on
/// arrival, and its slots end by saying so: that is no failure, even when the server
/// reaps a slot's exit before it reads what the slot said (both come in one poll). They
/// were once counted that way, and the stop line reported armed runs that "failed".
#[test]
fn requests_that_cannot_be_armed_ahead_are_not_failures() {
    let s = Scratch::new("srv-unpoolable");
    let mut srv = Server::start(&s, "s", &["--pool=2"]);
    for i in 0..6 {
        let o = out(srv.client(Who::Root, s.path(), &["-v"], &["/bin/true"]), &format!("-v run {i}"));
        o.ok().err_has("sandbox: target ");
        // The slots for -v arm, say they cannot, and exit while the next request comes.
        std::thread::sleep(Duration::from_millis(if i % 2 == 0 { 0 } else { 200 }));
    }
    // A poolable kind beside it is still armed ahead.
    for i in 0..4 {
        out(srv.client(Who::Root, s.path(), &[], &["/bin/true"]), &format!("run {i}")).ok();
        std::thread::sleep(Duration::from_millis(300));
    }
    let [runs, pooled, _, failed] = stop_counts(&mut srv);
    assert_eq!(runs, 10, "{}", srv.log_text());
    assert!(pooled >= 3, "only {pooled} of the 4 plain runs armed ahead: {}", srv.log_text());
    assert_eq!(failed, 0, "slots that said they cannot be pooled counted as failures: {}", srv.log_text());
}

/// The super options of the mount at `dst` in a mountinfo text ("ro,size=…" for a tmpfs
/// read-only at the superblock).
fn super_opts<'a>(mountinfo: &'a str, dst: &str) -> Option<&'a str> {
    mountinfo.lines().find(|l| l.split(' ').nth(4) == Some(dst)).and_then(|l| l.split(" - ").nth(1)?.split(' ').nth(2))
}

/// The tests that compare /etc, and the one that changes it.
static ETC: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A server started by root builds the fixed part of the jail once (the system trees, /etc,
/// /dev) and each run attaches clones of it: the same files as a jail built per run, on a
/// tmpfs that is read-only at the superblock, so no run can change what the next sees.
#[test]
fn a_root_servers_runs_get_its_read_only_jail_template() {
    let _etc = ETC.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scratch::new("srv-template");
    let (uid, _) = ensure_user();
    let srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--pool=0"]);
    assert!(srv.log_text().contains("jail template: /usr /etc /dev"), "{}", srv.log_text());
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let probe = "cat /etc/passwd; ls /dev; cat /proc/self/mountinfo; touch /etc/x /dev/x; \
                 echo shm > /dev/shm/a && cat /dev/shm/a && echo tmp > /tmp/a && cat /tmp/a && : > /dev/null";
    for who in BOTH {
        let o = out(srv.client(who, s.path(), &["-v"], &["/bin/sh", "-c", probe]), "template");
        o.ok().err_has("sandbox: filesystem: /usr /etc /dev from the server's template");
        o.has(&passwd).has("urandom").has("\nshm\ntmp\n");
        o.err_has("cannot touch '/etc/x': Read-only file system")
            .err_has("cannot touch '/dev/x': Read-only file system");
        let info = o.stdout();
        for dst in ["/etc", "/dev"] {
            let opts = super_opts(&info, dst).unwrap_or_else(|| panic!("{who:?}: no {dst} in {info}"));
            assert!(opts.starts_with("ro,"), "{who:?}: {dst} is not read-only at the superblock: {opts}");
        }
        // The work dir, /tmp and /dev/shm are the run's own.
        assert!(super_opts(&info, "/tmp").is_some_and(|o| o.starts_with("rw,")), "{who:?}: {info}");
        let direct = out(
            {
                let mut c = command(who, &sandbox_bin());
                c.args(["--", "/bin/sh", "-c", "ls -A / /etc /dev; cat /etc/*.conf"]).current_dir(s.path());
                c
            },
            "direct",
        );
        let served =
            out(srv.client(who, s.path(), &[], &["/bin/sh", "-c", "ls -A / /etc /dev; cat /etc/*.conf"]), "ls");
        assert_eq!(
            served.ok().stdout(),
            direct.ok().stdout(),
            "{who:?}: the template shows what a jail built per run does"
        );
    }
    // A mount inside a template tree needs a mount point in it: that run builds its jail.
    let srv2 = Server::start(&s, "inside", &["--pool=0", "--tmpfs=/etc/sbx-extra"]);
    let o =
        out(srv2.client(Who::Root, s.path(), &["-v"], &["/bin/sh", "-c", "touch /etc/sbx-extra/f && echo made"]), "in");
    o.ok().has("made").err_has("built per run, not from the server's template (/etc/sbx-extra is inside it)");
}

/// A file the jail copies changes on the host: the server's next run sees the new one, as a
/// run of the launcher would, not the template's or an armed run's copy.
#[test]
fn a_changed_etc_file_reaches_the_next_served_run() {
    struct Gone(PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _etc = ETC.lock().unwrap_or_else(|e| e.into_inner());
    let s = Scratch::new("srv-etc");
    let srv = Server::start(&s, "s", &["--pool=1"]);
    // A runtime's entry (ETC_RUNTIMES in fs.rs: java-*), made and removed by this test.
    let f = Gone(PathBuf::from(format!("/etc/java-sbxtest-{}", std::process::id())));
    let cat = format!("cat {} 2>&1 || true", f.0.display());
    let run = |what: &str| out(srv.client(Who::Root, s.path(), &[], &["/bin/sh", "-c", &cat]), what).ok().stdout();
    for i in 0..2 {
        assert!(run(&format!("before {i}")).contains("No such file"));
    }
    for v in ["one", "two"] {
        std::fs::write(&f.0, format!("{v}\n")).unwrap();
        std::fs::set_permissions(&f.0, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        for i in 0..2 {
            assert_eq!(run(&format!("{v} {i}")), format!("{v}\n"), "{}", srv.log_text());
        }
    }
    drop(f);
    assert!(run("after").contains("No such file"), "{}", srv.log_text());
    assert!(srv.log_text().contains("a source of the jail changed on the host"), "{}", srv.log_text());
}

/// A served run's status reaches its client before the run's teardown, but only once it is
/// final: every process of the run is dead by then (a background writer stops at the
/// reply, not later), and a run whose outcome still depends on what comes after the app's
/// exit (a report file, a limit, a death by signal) is answered after its teardown, as
/// before. Both users, armed ahead and not (-v never is).
#[test]
fn a_served_runs_status_comes_before_its_teardown_only_when_final() {
    let s = Scratch::new("srv-early");
    let (uid, _) = ensure_user();
    let mut srv = Server::start(&s, "s", &[&format!("--allow-uid={uid}"), "--pool=2", "--wall-time=5"]);
    const EARLY: &str = "sandbox: exit status sent to the server before the teardown";
    let mut early = 0;
    for who in BOTH {
        let name = format!("bg-{who:?}.log");
        let log = s.join(&name);
        let _ = std::fs::remove_file(&log);
        // A writer left running in the background (in the work dir, the client's cwd; not
        // on the client's pipes, which would hold the client's reader until it dies anyway):
        // it is dead before the status goes.
        let script = format!("(while :; do echo x >> {name}; done) >/dev/null 2>&1 & sleep 0.2; exit 7");
        for (i, opts) in [&["-v"][..], &[], &[]].iter().enumerate() {
            let o = out(srv.client(who, s.path(), opts, &["/bin/sh", "-c", &script]), &format!("{who:?} bg {i}"));
            let size = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            o.exit(7);
            assert!(size > 0, "{who:?} run {i}: the background writer never ran");
            std::thread::sleep(Duration::from_millis(200));
            let later = std::fs::metadata(&log).unwrap().len();
            assert_eq!(size, later, "{who:?} run {i}: the background writer still ran after the reply");
            if i == 0 {
                assert!(o.stderr().contains(EARLY), "{who:?}: -v did not say so: {}", o.stderr());
            }
            std::fs::remove_file(&log).unwrap();
            early += 1;
            std::thread::sleep(Duration::from_millis(150));
        }
        // Not final at the app's exit: each is answered after its teardown, as it was.
        let rep = s.join(&format!("r-{who:?}.json"));
        let o =
            out(srv.client(who, s.path(), &["-v", &format!("--report={}", rep.display())], &["/bin/true"]), "report");
        o.ok();
        assert!(!o.stderr().contains(EARLY), "{who:?}: replied before its report: {}", o.stderr());
        assert_eq!(field(&std::fs::read_to_string(&rep).unwrap(), "status"), "OK");
        let o = out(srv.client(who, s.path(), &["-v"], &["/bin/sh", "-c", "kill -USR1 $$"]), "signal");
        assert_eq!(o.signal(), Some(libc::SIGUSR1), "{who:?}");
        assert!(!o.stderr().contains(EARLY), "{who:?}: replied before a signal's verdict: {}", o.stderr());
        let o = out(srv.client(who, s.path(), &["-v", "--wall-time=0.2"], &["/bin/sleep", "5"]), "timeout");
        assert!(o.stderr().contains("wall time limit exceeded"), "{who:?}: {}", o.stderr());
        assert!(!o.stderr().contains(EARLY), "{who:?}: replied before the limit's verdict: {}", o.stderr());
    }
    let [runs, pooled, answered, _] = stop_counts(&mut srv);
    assert_eq!(runs, 2 * 6, "{}", srv.log_text());
    assert!(pooled >= 2, "no run was armed ahead: {}", srv.log_text());
    assert_eq!(answered, early, "runs answered before their teardown: {}", srv.log_text());
}
