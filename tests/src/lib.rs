//! End-to-end test helpers: the real `sandbox` and `libsandbox.so` (release build), real C
//! programs compiled on the fly, run as root and as a throw-away unprivileged user.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

/// The unprivileged account the tests create (and reuse) for rootless runs.
pub const USER: &str = "sbxtest";
pub const USER_COMMENT: &str = "sandbox e2e tests";

pub fn root_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn bin_dir() -> PathBuf {
    let d = std::env::var_os("SANDBOX_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| root_dir().join("target/release"));
    assert!(d.join("sandbox").exists(), "build first: cargo build --release ({} missing)", d.display());
    d
}
pub fn sandbox_bin() -> PathBuf {
    bin_dir().join("sandbox")
}
pub fn lib() -> PathBuf {
    bin_dir().join("libsandbox.so")
}

/// Who runs the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Root,
    User,
}
pub const BOTH: [Who; 2] = [Who::Root, Who::User];

/// How the program is contained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Launcher,
    /// LD_PRELOAD
    Bare,
    /// LD_AUDIT
    Audit,
}
pub const MODES: [Mode; 3] = [Mode::Launcher, Mode::Bare, Mode::Audit];

pub fn ensure_user() -> (u32, u32) {
    static ONCE: OnceLock<(u32, u32)> = OnceLock::new();
    *ONCE.get_or_init(|| {
        let id = |flag: &str| Command::new("id").args([flag, USER]).output().unwrap();
        if !id("-u").status.success() {
            // The comment marks it as ours: `make test` deletes only an account with it.
            let st = Command::new("useradd").args(["-M", "-s", "/bin/sh", "-c", USER_COMMENT, USER]).status().unwrap();
            assert!(st.success(), "useradd {USER}");
        }
        let num = |o: Output| String::from_utf8(o.stdout).unwrap().trim().parse::<u32>().unwrap();
        (num(id("-u")), num(id("-g")))
    })
}

/// A scratch directory, world-writable so the unprivileged user can work in it; removed
/// on drop. Lives under target/, never in the host's /tmp.
pub struct Scratch(pub PathBuf);
impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: Mutex<u32> = Mutex::new(0);
        let n = {
            let mut g = N.lock().unwrap();
            *g += 1;
            *g
        };
        let base = root_dir().join("target/e2e-scratch");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        let d = base.join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        Scratch(d)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compile a C program once (cached by name and source) into target/e2e-bin.
pub fn cc(name: &str, src: &str, extra: &[&str]) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap();
    let dir = root_dir().join("target/e2e-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    let srcf = dir.join(format!("{name}.c"));
    let old = std::fs::read_to_string(&srcf).ok();
    if old.as_deref() != Some(src) || !out.exists() {
        std::fs::write(&srcf, src).unwrap();
        let o = Command::new("gcc").args(["-O2", "-Wall", "-o"]).arg(&out).arg(&srcf).args(extra).output().unwrap();
        assert!(o.status.success(), "gcc {name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    out
}

/// A command that runs as `who` (setpriv for the unprivileged user).
pub fn command(who: Who, prog: &Path) -> Command {
    match who {
        Who::Root => Command::new(prog),
        Who::User => {
            ensure_user();
            let mut c = Command::new("setpriv");
            c.args([&format!("--reuid={USER}"), &format!("--regid={USER}"), "--clear-groups", "--"]).arg(prog);
            c
        }
    }
}

/// `sandbox OPTS -- PROG ARGS` (launcher) or `LD_PRELOAD=lib PROG ARGS` with SANDBOX_*
/// variables for the same options (bare), run as `who` in `dir`.
pub struct Run {
    pub who: Who,
    pub mode: Mode,
    pub dir: PathBuf,
    pub opts: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub stdin: Option<Vec<u8>>,
}

impl Run {
    pub fn new(who: Who, mode: Mode, dir: &Path) -> Run {
        Run { who, mode, dir: dir.to_path_buf(), opts: vec![], env: vec![], stdin: None }
    }
    pub fn opt(mut self, k: &str, v: &str) -> Run {
        self.opts.push((k.into(), v.into()));
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Run {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn stdin(mut self, data: Vec<u8>) -> Run {
        self.stdin = Some(data);
        self
    }
    pub fn command(&self, prog: &str, args: &[&str]) -> Command {
        let mut c = match self.mode {
            Mode::Launcher => {
                let mut c = command(self.who, &sandbox_bin());
                // E2E_VIA_SERVER=1: through a server started with the same options.
                if let Some(sock) = server_mode().then(|| server_for(&self.opts)).flatten() {
                    c.arg(format!("--server={}", sock.display()));
                }
                for (k, v) in &self.opts {
                    c.arg(format!("--{k}={v}"));
                }
                c.arg("--").arg(prog).args(args);
                c
            }
            Mode::Bare | Mode::Audit => {
                // Through env(1), so that only the program preloads the library, never
                // setpriv, which must still change identity first.
                let mut c = command(self.who, Path::new("/usr/bin/env"));
                let var = if self.mode == Mode::Bare { "LD_PRELOAD" } else { "LD_AUDIT" };
                c.arg(format!("{var}={}", lib().display()));
                for (k, v) in &self.opts {
                    c.arg(format!("{}={v}", sandbox_core_env_name(k)));
                }
                c.arg(prog).args(args);
                c
            }
        };
        c.current_dir(&self.dir);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }
    pub fn run(&self, prog: &str, args: &[&str]) -> Out {
        let mut c = self.command(prog, args);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = c.spawn().unwrap();
        if let Some(data) = &self.stdin {
            let mut sin = child.stdin.take().unwrap();
            let data = data.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = sin.write_all(&data);
            });
        }
        Out(child.wait_with_output().unwrap(), format!("{:?}/{:?} {prog} {args:?}", self.who, self.mode))
    }
}

fn sandbox_core_env_name(k: &str) -> String {
    format!("SANDBOX_{}", k.replace('-', "_").to_uppercase())
}

/// Whether launcher runs go through `sandbox --serve` (E2E_VIA_SERVER=1): the same
/// tests then check that a served run is the launcher's run.
pub fn server_mode() -> bool {
    std::env::var_os("E2E_VIA_SERVER").is_some_and(|v| v == "1")
}

/// A server (as root, serving root and the test user) whose policy is `opts`, one per option
/// set and test thread: it is started on first use and stopped when the thread that started
/// it ends (the thread-local's drop; PDEATHSIG if the thread dies without one), which for
/// libtest is the end of the test. None when `sandbox --serve` refuses the options: the run
/// then goes to the launcher itself, which refuses them the same way.
struct Server {
    child: std::process::Child,
    dir: PathBuf,
}
impl Server {
    fn sock(&self) -> PathBuf {
        self.dir.join("s.sock")
    }
}
impl Drop for Server {
    /// SIGTERM, wait (its runs armed ahead hold cgroups and processes until it stops), then
    /// remove its directory; its log goes to the test's output first if the test failed.
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.join("s.log")).unwrap_or_default();
            eprintln!("server log ({}):\n{log}", self.dir.display());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
type Servers = std::collections::HashMap<Vec<(String, String)>, Server>;
thread_local! {
    static SERVERS: std::cell::RefCell<Servers> = std::cell::RefCell::new(Servers::new());
}

/// Stop this thread's servers now: a test that checks nothing is left calls this first.
pub fn stop_servers() {
    SERVERS.with(|s| s.borrow_mut().clear());
}

pub fn server_for(opts: &[(String, String)]) -> Option<PathBuf> {
    use std::os::unix::process::CommandExt;
    static N: Mutex<u32> = Mutex::new(0);
    if let Some(p) = SERVERS.with(|s| s.borrow().get(opts).map(Server::sock)) {
        return Some(p);
    }
    let (uid, _) = ensure_user();
    let base = root_dir().join("target/e2e-scratch");
    std::fs::create_dir_all(&base).unwrap();
    let n = {
        let mut g = N.lock().unwrap();
        *g += 1;
        *g
    };
    let dir = base.join(format!("server-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = std::fs::File::create(dir.join("s.log")).unwrap();
    let mut c = Command::new(sandbox_bin());
    c.arg(format!("--serve={}", dir.join("s.sock").display())).arg(format!("--allow-uid={uid}"));
    for (k, v) in opts {
        c.arg(format!("--{k}={v}"));
    }
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).current_dir(&dir);
    // SAFETY: prctl only, between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = c.spawn().unwrap();
    let mut srv = Server { child, dir };
    let sock = srv.sock();
    let up = eventually(5000, || sock.exists() || srv.child.try_wait().ok().flatten().is_some());
    if !up || !sock.exists() {
        return None; // the drop stops it and removes its directory
    }
    SERVERS.with(|s| s.borrow_mut().insert(opts.to_vec(), srv));
    Some(sock)
}

/// A finished run with readable assertions.
pub struct Out(pub Output, pub String);
impl Out {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }
    pub fn signal(&self) -> Option<i32> {
        self.0.status.signal()
    }
    fn ctx(&self) -> String {
        format!("[{}] status {:?}\nstdout: {}\nstderr: {}", self.1, self.0.status, self.stdout(), self.stderr())
    }
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code(), Some(0), "{}", self.ctx());
        self
    }
    pub fn exit(&self, code: i32) -> &Self {
        assert_eq!(self.code(), Some(code), "{}", self.ctx());
        self
    }
    pub fn killed_by(&self, sig: i32) -> &Self {
        assert_eq!(self.signal(), Some(sig), "{}", self.ctx());
        self
    }
    pub fn has(&self, needle: &str) -> &Self {
        assert!(self.stdout().contains(needle), "stdout lacks {needle:?}\n{}", self.ctx());
        self
    }
    pub fn lacks(&self, needle: &str) -> &Self {
        assert!(!self.stdout().contains(needle), "stdout has {needle:?}\n{}", self.ctx());
        self
    }
    pub fn err_has(&self, needle: &str) -> &Self {
        assert!(self.stderr().contains(needle), "stderr lacks {needle:?}\n{}", self.ctx());
        self
    }
}

/// A JSON report's field, as text (the reports are flat enough for this).
pub fn field(json: &str, key: &str) -> String {
    let k = format!("\"{key}\": ");
    let i = json.find(&k).unwrap_or_else(|| panic!("no {key} in {json}")) + k.len();
    let rest = &json[i..];
    if let Some(q) = rest.strip_prefix('"') {
        return q[..q.find('"').unwrap()].to_string();
    }
    let end = rest.find([',', '\n', '}']).unwrap();
    rest[..end].trim().to_string()
}

/// Wait (bounded) until `f` is true.
pub fn eventually(ms: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    f()
}

/// A C program that allocates and touches ARGV[1] MiB (default: until stopped) in 10 MiB
/// chunks, then prints "done": the memory limit tests' eater.
pub const EAT_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    long mb = argc > 1 ? atol(argv[1]) : 100000;
    for (long i = 0; i < mb; i += 10) {
        char *p = malloc(10 << 20);
        if (!p) { puts("malloc failed"); return 1; }
        memset(p, 1, 10 << 20);
    }
    puts("done");
    return 0;
}"#;

/// A C program that spins forever in itself and ARGV[1] forked children.
pub const SPIN_C: &str = r#"
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int kids = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < kids; i++) if (fork() == 0) break;
    for (;;) {}
}"#;
