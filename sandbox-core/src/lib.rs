//! sandbox-core: the Policy and `arm()`, every containment step in order.
//!
//! `no_std` on purpose: under bare LD_PRELOAD the program can interpose any libc symbol, so
//! nothing on the arming path may call libc. All kernel access goes through `sys`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod cgroup;
pub mod cleaner;
pub mod error;
pub mod filter;
pub mod fs;
pub mod identity;
pub mod landlock;
pub mod limits;
pub mod net;
pub mod ns;
pub mod output;
pub mod policy;
pub mod process;
pub mod report;
pub mod rlimits;
pub mod run;
pub mod seccomp;
pub mod supervisor;
pub mod sys;
pub mod tree;
pub mod workdisk;

pub use error::{Error, Result};
pub use policy::Policy;
pub use run::{Run, Target, EXIT_SETUP};

use ns::Side;

/// Contain the current process and exec `target` inside. Never returns: this process
/// becomes the supervisor and exits with the program's status; the exec happens in pid 2
/// of the new namespaces. Any failed step prints `sandbox: <step>: <reason>` and exits 125
/// before the program runs.
pub fn arm(policy: &Policy, target: Target) -> ! {
    let mut run = match Run::new(policy, target) {
        Ok(r) => r,
        Err(e) => fail_early(policy, e),
    };
    let r = &mut run;
    // --- supervisor, in the caller's namespaces
    r.step("workdir", fs::resolve_workdir);
    r.step("workdisk", workdisk::setup);
    r.step("idmap", fs::own_sources);
    r.step("report-files", report::open_files);
    let cg = r.step("cgroup", limits::setup);
    r.step("seccomp-compile", filter::compile);
    r.step("landlock-check", landlock::check);
    r.step("output", output::pipes);
    r.step("signals", process::block_signals);
    if let Side::Parent(init) = r.step("namespaces", ns::clone_init) {
        supervisor::run(r, init, cg)
    }
    // --- init: pid 1 of the new pid namespace
    r.step("id-map", ns::map_ids);
    r.step("sync", ns::wait_for_supervisor);
    let mounts = r.step("fs-sources", |r| fs::open_sources(r, cg.as_ref()));
    r.step("run-user", ns::become_run_user);
    r.step("cgroupns", ns::enter_cgroupns);
    r.step("hostname", ns::hostname);
    r.step("network", net::setup);
    r.step("filesystem", |r| fs::jail(r, mounts));
    r.step("output", output::close_readers);
    if let Side::Parent(app) = r.step("fork-app", process::fork_app) {
        process::init_loop(r, app)
    }
    // --- app: pid 2, becomes the program
    r.step("rlimits", rlimits::apply);
    r.step("identity", identity::drop_all);
    r.step("session", process::new_session);
    r.step("no-new-privs", identity::no_new_privs);
    r.step("landlock", landlock::restrict);
    r.step("output", output::attach);
    r.step("descriptors", process::close_stray);
    r.step("seccomp", filter::install);
    process::exec(r)
}

fn fail_early(policy: &Policy, e: Error) -> ! {
    let msg = run::describe(&e);
    let _ = sys::write_all(2, alloc::format!("{msg}\n").as_bytes());
    report::write_setup_error(policy, (-1, -1), EXIT_SETUP, &msg);
    sys::exit(EXIT_SETUP)
}
