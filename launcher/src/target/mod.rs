//! Resolve and check the program before anything is armed.
//!
//! Every check is made on the descriptor the launcher will exec (`execveat(fd, "",
//! AT_EMPTY_PATH)`), never on the name again, so the file cannot be swapped in between.
//!
//! What is refused (126) and why:
//! - set-uid/set-gid bits and file capabilities: they put ld.so in secure-execution mode, where
//!   LD_PRELOAD is ignored, and they are the privilege a sandbox must not hand out;
//! - 32-bit (or any non-x86-64) ELF: the pre-exec seccomp filter kills every i386-ABI syscall,
//!   so such a program could only die on its first syscall; refusing says why;
//! - not executable for the caller, directories, other non-regular files, unknown formats.
//!
//! What is allowed but reported: static and static-pie binaries (the library cannot load in
//! them, but everything the launcher arms before exec still contains them: `kind`), a
//! DT_PREINIT_ARRAY (code that runs before any preload constructor: `preinit`), and RPATH/RUNPATH
//! entries or an ELF interpreter that someone other than root could change (`risky_paths`).

//!
//! One module per concern: `resolve` finds the file like a shell, this module opens it and
//! checks the open file, `script` reads `#!` lines, `elf` the ELF headers.

mod elf;
mod resolve;
mod script;

use std::ffi::OsString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::{EXIT_CANNOT_RUN, EXIT_NOT_FOUND};
use elf::parse_elf;
use resolve::access_x;
pub use resolve::resolve;
pub use script::direct_interpreter;
use script::{env_command, shebang};

/// Why the target cannot run; `code` is the exit status (`EXIT_SETUP`, `EXIT_CANNOT_RUN`, `EXIT_NOT_FOUND`)
/// and `msg` one line for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i32,
    pub msg: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Refusal {}

#[derive(Debug)]
pub enum Kind {
    /// Has PT_INTERP: ld.so runs, LD_PRELOAD applies.
    Dynamic { interp: PathBuf },
    /// ET_EXEC without PT_INTERP.
    Static,
    /// ET_DYN without PT_INTERP (`-static-pie`).
    StaticPie,
    /// `#!` script. `interp` is the checked interpreter, `arg` the optional argument of the
    /// `#!` line, `env_target` the program `/usr/bin/env` would run (looked up in the
    /// launcher's PATH).
    Script { interp: Box<Checked>, arg: Option<OsString>, env_target: Option<Box<Checked>> },
}

#[derive(Debug)]
pub struct Checked {
    /// Opened O_RDONLY|O_CLOEXEC: exec it with execveat(fd, "", AT_EMPTY_PATH).
    pub fd: OwnedFd,
    pub path: PathBuf,
    pub kind: Kind,
    /// The executable has a DT_PREINIT_ARRAY (runs before any LD_PRELOAD constructor).
    pub preinit: bool,
    /// RPATH/RUNPATH entries (and a PT_INTERP) that are relative, use `$ORIGIN` or another
    /// `$` token, or lie in a directory not wholly owned and writable only by root.
    pub risky_paths: Vec<String>,
}

/// Scripts whose interpreter is a script...: the kernel stops at a few levels too.
const MAX_DEPTH: u32 = 4;
/// The kernel reads this much of a file to find `#!` (BINPRM_BUF_SIZE).
const HEADER: usize = 256;

/// Internal refusal: the message without the `sandbox: ` prefix, so an interpreter's refusal
/// can be wrapped in its script's.
struct Why(i32, String);

impl Why {
    fn new(code: i32, path: &Path, reason: impl fmt::Display) -> Why {
        Why(code, format!("{}: {reason}", path.display()))
    }
    fn public(self) -> Refusal {
        // Paths and `#!` lines come from the user's files: no control characters in the line.
        Refusal { code: self.0, msg: format!("sandbox: {}", sandbox_core::policy::one_line(&self.1)) }
    }
}

/// Open `path` and check the open file (see the module comment for what is refused).
pub fn open_checked(path: &Path) -> Result<Checked, Refusal> {
    check(path, 0).map_err(Why::public)
}

fn check(path: &Path, depth: u32) -> Result<Checked, Why> {
    let refuse = |reason: &dyn fmt::Display| Why::new(EXIT_CANNOT_RUN, path, reason);
    // O_NONBLOCK: a FIFO must not hang the launcher; O_NOCTTY: a tty must not become ours.
    // std adds O_CLOEXEC.
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK).open(path).map_err(
        |e| match e.kind() {
            io::ErrorKind::NotFound => Why::new(EXIT_NOT_FOUND, path, "no such file or directory"),
            io::ErrorKind::PermissionDenied => refuse(&"permission denied"),
            _ => refuse(&e),
        },
    )?;
    let meta = file.metadata().map_err(|e| refuse(&e))?;
    if meta.is_dir() {
        return Err(refuse(&"is a directory"));
    }
    if !meta.is_file() {
        return Err(refuse(&"not a regular file"));
    }
    let mode = meta.mode();
    if mode & libc::S_ISUID != 0 {
        return Err(refuse(&"set-uid binary cannot be run sandboxed"));
    }
    if mode & libc::S_ISGID != 0 {
        return Err(refuse(&"set-gid binary cannot be run sandboxed"));
    }
    if !fd_executable(&file) {
        return Err(refuse(&"permission denied (not executable)"));
    }
    match has_file_caps(&file) {
        Ok(false) => {}
        Ok(true) => return Err(refuse(&"binary with file capabilities cannot be run sandboxed")),
        Err(e) => return Err(refuse(&format_args!("cannot read file capabilities: {e}"))),
    }

    let mut hdr = vec![0u8; HEADER];
    let n = read_full(&file, &mut hdr, 0).map_err(|e| refuse(&e))?;
    hdr.truncate(n);

    if hdr.starts_with(b"#!") {
        let (interp, arg) = shebang(&hdr, n == HEADER).map_err(|r| refuse(&r))?;
        if depth + 1 > MAX_DEPTH {
            return Err(refuse(&"too many levels of #! interpreters"));
        }
        let wrap = |w: Why| Why(w.0, format!("{}: interpreter {}", path.display(), w.1));
        let checked_interp = check(&interp, depth + 1).map_err(wrap)?;
        let env_target = match env_command(&interp, arg.as_deref()) {
            None => None,
            Some(cmd) => {
                let path_env = std::env::var("PATH").ok();
                let p = resolve(&cmd, path_env.as_deref()).map_err(|_| {
                    Why::new(
                        EXIT_NOT_FOUND,
                        path,
                        format_args!("interpreter {} {cmd}: not found in PATH", interp.display()),
                    )
                })?;
                Some(Box::new(check(&p, depth + 1).map_err(wrap)?))
            }
        };
        let kind = Kind::Script { interp: Box::new(checked_interp), arg, env_target };
        return Ok(Checked {
            fd: file.into(),
            path: path.to_path_buf(),
            kind,
            preinit: false,
            risky_paths: Vec::new(),
        });
    }
    if !hdr.starts_with(b"\x7fELF") {
        return Err(refuse(&"exec format error (neither an ELF executable nor a #! script)"));
    }
    let elf = parse_elf(&file, &hdr).map_err(|r| refuse(&r))?;
    Ok(Checked {
        fd: file.into(),
        path: path.to_path_buf(),
        kind: elf.kind,
        preinit: elf.preinit,
        risky_paths: elf.risky,
    })
}
/// Read until `buf` is full or end of file.
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
/// X_OK on the open file itself (faccessat2 with AT_EMPTY_PATH, Linux 5.8+), or through its
/// /proc/self/fd link on older kernels: either way the inode checked is the one we will exec.
fn fd_executable(file: &File) -> bool {
    let fd = file.as_raw_fd();
    // SAFETY: an empty NUL-terminated path and a descriptor we own; faccessat only reads them.
    let r = unsafe { libc::faccessat(fd, c"".as_ptr(), libc::X_OK, libc::AT_EACCESS | libc::AT_EMPTY_PATH) };
    if r == 0 {
        return true;
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => access_x(Path::new(&format!("/proc/self/fd/{fd}"))),
        _ => false,
    }
}

/// Whether the file carries `security.capability` (a setcap'd binary).
fn has_file_caps(file: &File) -> io::Result<bool> {
    // SAFETY: size 0 with a null buffer only asks for the attribute's size; the name is a valid
    // NUL-terminated string and the descriptor is ours.
    let r = unsafe { libc::fgetxattr(file.as_raw_fd(), c"security.capability".as_ptr(), std::ptr::null_mut(), 0) };
    if r >= 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENODATA) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}
#[cfg(test)]
mod tests {
    use super::elf::{DT_NULL, DT_RUNPATH, DT_STRTAB, PT_DYNAMIC, PT_LOAD};
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    /// A private temp dir, removed on drop.
    struct Tmp(PathBuf);
    impl Tmp {
        fn new(tag: &str) -> Tmp {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let d = std::env::temp_dir().join(format!("sandbox-target-{}-{tag}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir(&d).unwrap();
            Tmp(d)
        }
        fn p(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
        fn write(&self, name: &str, data: &[u8], mode: u32) -> PathBuf {
            let p = self.p(name);
            std::fs::write(&p, data).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        }
        /// Compile `src` with gcc and `flags` into `name`.
        fn cc(&self, name: &str, src: &str, flags: &[&str]) -> PathBuf {
            let c = self.write(&format!("{name}.c"), src.as_bytes(), 0o644);
            let out = self.p(name);
            let st = Command::new("gcc").args(flags).arg("-o").arg(&out).arg(&c).status().expect("gcc is needed");
            assert!(st.success(), "gcc {flags:?} failed");
            out
        }
    }
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const HELLO: &str = "int main(void) { return 0; }\n";

    fn refused(p: &Path) -> Refusal {
        match open_checked(p) {
            Ok(c) => panic!("{} accepted as {:?}", p.display(), c.kind),
            Err(r) => r,
        }
    }

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn resolve_like_a_shell() {
        assert_eq!(resolve("./a.out", None).unwrap(), PathBuf::from("./a.out"));
        assert_eq!(resolve("/x/y", None).unwrap(), PathBuf::from("/x/y"));
        let sh = resolve("sh", None).unwrap();
        assert!(sh.ends_with("sh") && sh.is_absolute(), "{}", sh.display());
        let r = resolve("no-such-program-xyz", None).unwrap_err();
        assert_eq!((r.code, r.msg.as_str()), (127, "sandbox: no-such-program-xyz: command not found"));
        assert_eq!(resolve("", None).unwrap_err().code, 127);

        // The first *executable* match wins; a non-executable one only when nothing else exists.
        let t = Tmp::new("path");
        std::fs::create_dir(t.p("a")).unwrap();
        std::fs::create_dir(t.p("b")).unwrap();
        t.write("a/prog", b"#!/bin/sh\n", 0o644);
        t.write("b/prog", b"#!/bin/sh\n", 0o755);
        let path = format!("{}:{}", t.p("a").display(), t.p("b").display());
        assert_eq!(resolve("prog", Some(&path)).unwrap(), t.p("b/prog"));
        let only_a = t.p("a").display().to_string();
        assert_eq!(resolve("prog", Some(&only_a)).unwrap(), t.p("a/prog"));
        assert_eq!(open_checked(&t.p("a/prog")).unwrap_err().code, 126);
    }

    #[test]
    fn elf_kinds() {
        let t = Tmp::new("kinds");
        let dynamic = open_checked(&t.cc("dyn", HELLO, &[])).unwrap();
        match &dynamic.kind {
            Kind::Dynamic { interp } => {
                assert_eq!(interp, Path::new("/lib64/ld-linux-x86-64.so.2"))
            }
            k => panic!("{k:?}"),
        }
        assert!(!dynamic.preinit);
        assert!(dynamic.risky_paths.is_empty(), "{:?}", dynamic.risky_paths);
        assert!(matches!(open_checked(&t.cc("st", HELLO, &["-static"])).unwrap().kind, Kind::Static));
        assert!(matches!(open_checked(&t.cc("sp", HELLO, &["-static-pie"])).unwrap().kind, Kind::StaticPie));
    }

    #[test]
    fn checked_fd_is_the_file() {
        let t = Tmp::new("fd");
        let p = t.cc("dyn", HELLO, &[]);
        let c = open_checked(&p).unwrap();
        let link = std::fs::read_link(format!("/proc/self/fd/{}", c.fd.as_raw_fd())).unwrap();
        assert_eq!(link, p);
        // SAFETY: F_GETFD only reads the flags.
        let flags = unsafe { libc::fcntl(c.fd.as_raw_fd(), libc::F_GETFD) };
        assert!(flags & libc::FD_CLOEXEC != 0);
    }

    #[test]
    fn preinit_and_runpaths() {
        let t = Tmp::new("dyninfo");
        let src = "static void f(void) {}\n__attribute__((section(\".preinit_array\"), used)) static void (*p)(void) = f;\nint main(void) { return 0; }\n";
        assert!(open_checked(&t.cc("pre", src, &[])).unwrap().preinit);

        let runpath = "-Wl,-rpath,$ORIGIN/lib:/usr/lib:/tmp:rel";
        let c = open_checked(&t.cc("rp", HELLO, &[runpath])).unwrap();
        assert_eq!(c.risky_paths, ["$ORIGIN/lib", "/tmp", "rel"]);
        let c = open_checked(&t.cc("rpath", HELLO, &["-Wl,--disable-new-dtags", "-Wl,-rpath,/usr/lib:/var/tmp/x"]))
            .unwrap();
        assert_eq!(c.risky_paths, ["/var/tmp/x"]);
    }

    #[test]
    fn set_id_and_capabilities_refused() {
        let t = Tmp::new("setid");
        let p = t.cc("dyn", HELLO, &[]);
        for (name, mode, why) in [("suid", 0o4755, "set-uid binary"), ("sgid", 0o2755, "set-gid binary")] {
            std::fs::copy(&p, t.p(name)).unwrap();
            chmod(&t.p(name), mode);
            let r = refused(&t.p(name));
            assert_eq!(r.code, 126);
            assert_eq!(r.msg, format!("sandbox: {}: {why} cannot be run sandboxed", t.p(name).display()));
        }

        let caps = t.p("caps");
        std::fs::copy(&p, &caps).unwrap();
        let setcap = Command::new("setcap").arg("cap_net_raw+ep").arg(&caps).status();
        if !setcap.is_ok_and(|s| s.success()) {
            // No setcap tool: a v2 capability blob (magic|effective, CAP_NET_RAW permitted).
            let mut blob = Vec::new();
            for w in [0x0200_0001u32, 1 << 13, 0, 0, 0] {
                blob.extend_from_slice(&w.to_le_bytes());
            }
            let f = File::options().write(true).open(&caps).unwrap();
            // SAFETY: valid name, buffer and length; the descriptor is open.
            let r = unsafe {
                libc::fsetxattr(f.as_raw_fd(), c"security.capability".as_ptr(), blob.as_ptr().cast(), blob.len(), 0)
            };
            assert_eq!(r, 0, "fsetxattr: {}", io::Error::last_os_error());
        }
        let r = refused(&caps);
        assert_eq!(r.code, 126);
        assert!(r.msg.contains("file capabilities"), "{}", r.msg);
    }

    #[test]
    fn not_runnable_files() {
        let t = Tmp::new("bad");
        let r = refused(&t.0);
        assert_eq!((r.code, r.msg), (126, format!("sandbox: {}: is a directory", t.0.display())));

        let p = t.cc("dyn", HELLO, &[]);
        chmod(&p, 0o644);
        let r = refused(&p);
        assert_eq!(r.code, 126);
        assert!(r.msg.ends_with("permission denied (not executable)"), "{}", r.msg);

        let r = refused(&t.p("missing"));
        assert_eq!((r.code, r.msg), (127, format!("sandbox: {}: no such file or directory", t.p("missing").display())));

        let r = refused(&t.write("junk", b"hello world\n", 0o755));
        assert_eq!(r.code, 126);
        assert!(r.msg.contains("exec format error"), "{}", r.msg);
        assert_eq!(refused(&t.write("empty", b"", 0o755)).code, 126);
    }

    /// An ELF header with only the fields the check reads.
    fn elf_header(class: u8, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; if class == 1 { 52 } else { 64 }];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = class;
        h[5] = 1; // little-endian
        h[6] = 1; // EV_CURRENT
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn foreign_elf_refused() {
        let t = Tmp::new("foreign");
        let r = refused(&t.write("i386", &elf_header(1, 3), 0o755));
        assert_eq!(r.code, 126);
        assert!(r.msg.contains(": 32-bit binary cannot be run sandboxed"), "{}", r.msg);
        let r = refused(&t.write("arm64", &elf_header(2, 183), 0o755));
        assert_eq!(r.code, 126);
        assert!(r.msg.contains("not an x86-64 binary"), "{}", r.msg);
        // x86-64 header whose program headers are missing.
        let r = refused(&t.write("trunc", &elf_header(2, 62), 0o755));
        assert_eq!(r.code, 126);
    }

    #[test]
    fn scripts() {
        let t = Tmp::new("scripts");
        let s = t.write("s.sh", b"#!/bin/sh\necho hi\n", 0o755);
        let c = open_checked(&s).unwrap();
        match &c.kind {
            Kind::Script { interp, arg: None, env_target: None } => {
                assert_eq!(interp.path, Path::new("/bin/sh"));
                assert!(matches!(interp.kind, Kind::Dynamic { .. }));
            }
            k => panic!("{k:?}"),
        }

        let s = t.write("arg.sh", b"#!  /bin/sh   -e -u  \n", 0o755);
        match open_checked(&s).unwrap().kind {
            Kind::Script { arg, .. } => assert_eq!(arg.as_deref(), Some(OsStr::new("-e -u"))),
            k => panic!("{k:?}"),
        }

        let s = t.write("env.sh", b"#!/usr/bin/env sh\n", 0o755);
        match open_checked(&s).unwrap().kind {
            Kind::Script { interp, env_target: Some(target), .. } => {
                assert_eq!(interp.path, Path::new("/usr/bin/env"));
                assert!(target.path.ends_with("sh"), "{}", target.path.display());
            }
            k => panic!("{k:?}"),
        }
        let s = t.write("env2.sh", b"#!/usr/bin/env -S A=1 no-such-interpreter-xyz -x\n", 0o755);
        assert_eq!(refused(&s).code, 127);

        // The interpreter is checked like the program itself.
        let suid = t.p("suid-sh");
        std::fs::copy("/bin/sh", &suid).unwrap();
        chmod(&suid, 0o4755);
        let s = t.write("bad.sh", format!("#!{}\n", suid.display()).as_bytes(), 0o755);
        let r = refused(&s);
        assert_eq!(r.code, 126);
        assert_eq!(
            r.msg,
            format!("sandbox: {}: interpreter {}: set-uid binary cannot be run sandboxed", s.display(), suid.display())
        );

        let r = refused(&t.write("missing.sh", b"#!/no/such/interp\n", 0o755));
        assert_eq!(r.code, 127);
        assert!(r.msg.contains("interpreter /no/such/interp: no such file"), "{}", r.msg);
        let r = refused(&t.write("rel.sh", b"#!bin/sh\n", 0o755));
        assert_eq!(r.code, 126);
        assert!(r.msg.contains("absolute"), "{}", r.msg);
        assert_eq!(refused(&t.write("none.sh", b"#!   \n", 0o755)).code, 126);
        let mut long = b"#!/bin/sh ".to_vec();
        long.resize(300, b'x');
        let r = refused(&t.write("long.sh", &long, 0o755));
        assert!(r.msg.contains("too long"), "{}", r.msg);
        // A not-executable script is refused before its interpreter matters.
        assert_eq!(refused(&t.write("noexec.sh", b"#!/bin/sh\n", 0o644)).code, 126);
    }

    /// Fuzzing regression (target): a DT_RUNPATH or PT_LOAD offset near 2^64 overflowed the
    /// string-table arithmetic (a panic, so no one-line refusal).
    #[test]
    fn absurd_dynamic_offsets_are_refused() {
        let t = Tmp::new("dynoff");
        let elf = |load_off: u64, runpath: u64| {
            let mut h = elf_header(2, 62);
            h[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
            h[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
            h[54..56].copy_from_slice(&56u16.to_le_bytes());
            h[56..58].copy_from_slice(&2u16.to_le_bytes());
            let ph = |ty: u32, off: u64, vaddr: u64, size: u64| {
                [
                    ty.to_le_bytes().as_slice(),
                    &6u32.to_le_bytes(),
                    &off.to_le_bytes(),
                    &vaddr.to_le_bytes(),
                    &[0; 8],
                    &size.to_le_bytes(),
                    &size.to_le_bytes(),
                    &8u64.to_le_bytes(),
                ]
                .concat()
            };
            h.extend(ph(PT_DYNAMIC, 176, 0, 48));
            h.extend(ph(PT_LOAD, load_off, 0x40_0000, 4096));
            for (tag, val) in [(DT_STRTAB, 0x40_0010u64), (DT_RUNPATH, runpath), (DT_NULL, 0)] {
                h.extend(tag.to_le_bytes());
                h.extend(val.to_le_bytes());
            }
            h
        };
        for (name, load_off, runpath) in [("runpath", 0, u64::MAX), ("load", u64::MAX - 1, 1)] {
            let r = refused(&t.write(name, &elf(load_off, runpath), 0o755));
            assert_eq!(r.code, 126, "{name}: {}", r.msg);
            assert!(r.msg.contains("outside the file"), "{name}: {}", r.msg);
        }
    }

    #[test]
    fn env_scripts_run_their_interpreter_directly() {
        let t = Tmp::new("envdirect");
        let words = |c: &Checked| direct_interpreter(c).map(|(i, w)| (i.path.clone(), w));
        let c = open_checked(&t.write("a", b"#!/usr/bin/env sh\n", 0o755)).unwrap();
        let (interp, extra) = words(&c).unwrap();
        assert!(interp.ends_with("sh") && interp.is_absolute(), "{}", interp.display());
        assert!(extra.is_empty());
        let c = open_checked(&t.write("b", b"#!/usr/bin/env -S sh -e -u\n", 0o755)).unwrap();
        assert_eq!(words(&c).unwrap().1, [OsString::from("-e"), OsString::from("-u")]);
        // Left to env: options, assignments, quoting, `$`, several words without -S.
        for line in ["-i sh", "-S A=1 sh", "-S sh '-e'", "-S sh $X", "sh -e"] {
            let c = open_checked(&t.write("c", format!("#!/usr/bin/env {line}\n").as_bytes(), 0o755));
            assert!(c.as_ref().map_or(true, |c| words(c).is_none()), "{line}");
        }
        // Not env: the kernel runs the interpreter itself.
        assert!(words(&open_checked(&t.write("d", b"#!/bin/sh\n", 0o755)).unwrap()).is_none());
    }

    #[test]
    fn script_chains_are_bounded() {
        let t = Tmp::new("chain");
        let mut prev = PathBuf::from("/bin/sh");
        for i in 0..5 {
            prev = t.write(&format!("s{i}"), format!("#!{}\n", prev.display()).as_bytes(), 0o755);
            let r = open_checked(&prev);
            // s0..s3 are 1..4 levels of scripts above /bin/sh; s4 is one too many.
            assert_eq!(r.is_ok(), i < 4, "level {i}: {:?}", r.err());
        }
        assert!(refused(&prev).msg.contains("too many levels"));
    }
}
