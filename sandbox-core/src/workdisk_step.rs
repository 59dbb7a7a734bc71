//! The "workdisk" step and the supervisor's sync-back: `--disk`/`--inodes` for this run
//! (the mechanism, with the reasons for it, is workdisk.rs).

use crate::error::{Error, Result};
use crate::fs::{For, Owned};
use crate::run::{Run, Setup, Supervisor};
use crate::sys;
use crate::workdisk::{self, Ask};
use alloc::string::String;

/// In the supervisor before the clone: the work dir's sized tmpfs, filled with its copy.
/// Without --disk/--inodes, or without a work dir, nothing happens. Returns init's copy of
/// the mount fd as the work dir's tree (the "idmap" step adds it to the detached trees, in
/// place of the work dir's bind).
pub fn setup(run: &mut Run<Setup>) -> Result<Option<Owned>> {
    let l = &run.policy.limits;
    if l.disk.is_none() && l.inodes.is_none() {
        return Ok(None);
    }
    let Some(w) = run.workdir.clone() else {
        return Ok(None);
    };
    let mut inherited = run.policy.keep_fds.clone();
    if run.target.script {
        inherited.push(run.target.fd);
    }
    let ask = Ask {
        workdir: &w,
        limits: l,
        privileged: run.ids.privileged,
        app: (run.ids.app_uid, run.ids.app_gid),
        outer: (run.ids.outer_uid, run.ids.outer_gid),
        verbose: run.is_verbose(),
        inherited,
        system_tree: crate::fs::is_system_tree,
    };
    // Armed ahead (pool.rs), the copy waits for the request: the work dir may change first.
    let (disk, fd, note) = match run.target.pool {
        None => workdisk::make(ask)?,
        Some(_) => {
            let (d, fd) = workdisk::make_empty(ask)?;
            if d.has_inherited() {
                sys::close(fd);
                return Err(Error::msg("workdisk", "an inherited file would need its copy before the request"));
            }
            (d, fd, String::from("tmpfs copy, filled at the request"))
        }
    };
    run.s.disk = disk;
    run.s.workdir_note = note;
    Ok(Some(Owned { of: For::Workdir, fd, dir: true }))
}

/// A run armed ahead, at its request: copy the work dir into the tmpfs made ahead.
pub fn fill(run: &mut Run<Supervisor>) -> Result<()> {
    if !run.s.disk.active() {
        return Ok(());
    }
    let w = run.workdir.clone().unwrap_or_default();
    run.s.workdir_note = run.s.disk.fill(&w, &run.policy.limits)?;
    Ok(())
}

/// In the supervisor after the run, however it ended (init has exited): what the program
/// left in the tmpfs goes back into the host work dir.
pub fn sync_back(run: &mut Run<Supervisor>) {
    workdisk::sync_back(&mut run.s.disk);
}
