//! The server's jail template (issue 13; bench/DIRECTIONS.md (b), (g)): the part of every
//! run's jail that is the same for all of them (the system trees, /etc, /dev and its
//! devices), built once in a mount namespace of its own and read-only at the superblock
//! (sandbox-core/src/fs.rs `build_template`). Each run gets recursive clones of its
//! top-level trees, made by the server's child for that run, and its init attaches them in
//! place of building those entries: about 40 mounts and copies fewer per run.
//!
//! The server itself stays in the host's mount namespace (clients must share it, and the
//! host's later mounts must reach every run); it only keeps the template's namespace open.
//! Root only: unshare and setns of a mount namespace need CAP_SYS_ADMIN. The template is
//! made again when one of its sources changes (`fs::stamp`, mod.rs `fresh_jail`), so a
//! run never sees an /etc file that a run built without it would not.

use sandbox_core::sys::{self, Fd};
use sandbox_core::Part;

/// Where the template is mounted, inside its own mount namespace only.
const STAGE: &str = "/tmp";

pub struct Template {
    /// The template's mount namespace (kept alive by this descriptor alone).
    ns: Fd,
    /// Its top-level trees (`/usr`, `/etc`, `/dev`…).
    parts: Vec<Vec<u8>>,
}

fn err(what: &str, e: i32) -> String {
    format!("{what}: {}", sandbox_core::error::strerror(e))
}

/// Run `f` in another mount namespace (`into`, or a new one), then come back to this
/// process's own with its root and working directory as they were (setns resets both to
/// the namespace's root, which would undo a chroot the server was started in). A process
/// that cannot come back would resolve every path of its runs against the wrong root, so
/// that ends it.
fn visit<T>(into: Option<&Fd>, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let own = sys::open_fd(b"/proc/self/ns/mnt", libc::O_RDONLY).map_err(|e| err("own mount namespace", e))?;
    let root = sys::open_fd(b"/", libc::O_PATH | libc::O_DIRECTORY).map_err(|e| err("own root", e))?;
    let cwd = sys::open_fd(b".", libc::O_PATH | libc::O_DIRECTORY).ok();
    let went = match into {
        Some(ns) => sys::setns(ns.raw(), libc::CLONE_NEWNS).map_err(|e| err("enter", e)),
        None => sys::unshare(libc::CLONE_NEWNS).map_err(|e| err("unshare", e)),
    };
    went?;
    let r = f();
    let back = sys::setns(own.raw(), libc::CLONE_NEWNS)
        .and_then(|_| sys::fchdir(root.raw()))
        .and_then(|_| sys::chroot(b"."))
        .and_then(|_| cwd.as_ref().map_or(sys::chdir(b"/"), |c| sys::fchdir(c.raw())));
    if let Err(e) = back {
        eprintln!("sandbox: serve: jail template: {}", err("back to the server's mount namespace", e));
        std::process::exit(sandbox_core::EXIT_SETUP)
    }
    r
}

impl Template {
    pub fn build() -> Result<Template, String> {
        let (parts, ns) = visit(None, || {
            sys::mount(None, b"/", None, libc::MS_REC | libc::MS_PRIVATE, None)
                .map_err(|e| err("make / private", e))?;
            let parts = sandbox_core::fs::build_template(STAGE.as_bytes()).map_err(|e| e.to_string())?;
            let ns = sys::open_fd(b"/proc/self/ns/mnt", libc::O_RDONLY).map_err(|e| err("its namespace", e))?;
            Ok((parts, ns))
        })?;
        Ok(Template { ns, parts })
    }

    /// Its trees, for the log.
    pub fn parts(&self) -> String {
        self.parts.iter().map(|p| String::from_utf8_lossy(p)).collect::<Vec<_>>().join(" ")
    }

    /// In the server's child for one run, as root, before it becomes the client: a detached
    /// clone of each tree. An error leaves the run to build its jail itself.
    pub fn clone_parts(&self) -> Result<Vec<Part>, String> {
        visit(Some(&self.ns), || {
            let mut out: Vec<Part> = Vec::new();
            for p in &self.parts {
                let path = [STAGE.as_bytes(), p].concat();
                match sys::open_tree(sys::AT_FDCWD, &path, sys::OPEN_TREE_CLONE | sys::AT_RECURSIVE) {
                    Ok(fd) => out.push(Part { dst: p.clone(), fd }),
                    Err(e) => {
                        out.iter().for_each(|p| sys::close(p.fd));
                        return Err(err(&format!("clone {}", String::from_utf8_lossy(p)), e));
                    }
                }
            }
            Ok(out)
        })
    }
}
