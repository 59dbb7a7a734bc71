//! sandbox-core: the Policy and `arm()`, every containment step in order.
//!
//! `no_std` on purpose: under bare LD_PRELOAD the program can interpose any libc symbol, so
//! nothing on the arming path may call libc. All kernel access goes through `sys`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod cgroup;
pub mod cgroup_step;
pub mod channel;
pub mod cleaner;
pub mod environ;
pub mod error;
pub mod fs;
pub mod identity;
pub mod landlock;
pub mod mechanism;
pub mod net;
pub mod ns;
pub mod output;
pub mod policy;
pub mod pool;
pub mod process;
pub mod report;
pub mod rlimits;
pub mod run;
pub mod seccomp;
pub mod seccomp_step;
pub mod supervisor;
pub mod sys;
pub mod tree;
pub mod workdisk;
pub mod workdisk_step;

pub use error::{Error, Result, EXIT_SETUP};
pub use policy::Policy;
pub use run::{Part, Pooled, Run, Target};

use channel::Channels;
use ns::Side;

/// Contain the current process and exec `target` inside. Never returns: this process
/// becomes the supervisor and exits with the program's status; the exec happens in pid 2
/// of the new namespaces. Any failed step prints `sandbox: <step>: <reason>` and exits 125
/// before the program runs.
pub fn arm(policy: &Policy, target: Target) -> ! {
    let mut r = Run::new(policy, target);
    // --- supervisor, in the caller's namespaces
    r.step("run-ids", run::check_ids);
    r.step("workdir", fs::resolve_workdir);
    let disk = r.step("workdisk", workdisk_step::setup);
    let owned = r.step("idmap", |r| fs::own_sources(r, disk));
    r.s.reports = r.step("report-files", pool::report_files);
    r.step("cleaner", cleaner::spawn);
    r.step("cgroup", cgroup_step::setup);
    r.s.app.mechs = r.step("mechanisms", |r| mechanism::choose(&r.policy.limits, r.s.cg.as_ref(), r.s.disk.active()));
    r.s.app.env = r.step("environment", |r| Ok(environ::for_run(r.target.envp, r.s.cg.as_ref())));
    r.step("seccomp-compile", seccomp_step::compile);
    r.step("landlock-check", landlock::check);
    r.step("output-pipes", output::pipes);
    r.step("signals", process::block_signals);
    r.s.channels = Some(r.step("channels", |r| Channels::new(r.target.pool.is_some())));
    let mut r = match r.step("namespaces", ns::clone_init) {
        Side::Parent(init) => {
            drop(owned); // init alone holds the idmapped trees now
            let mut r = r.into_supervisor(init);
            r.step("cgroup-attach", supervisor::attach);
            r.step("run-id-map", ns::map_run_ids);
            r.step("go", supervisor::go);
            r.step("request", pool::request);
            let watch = r.step("supervise", supervisor::watch);
            supervisor::run(r, watch)
        }
        Side::Child => r.into_init(),
    };
    // --- init: pid 1 of the new pid namespace
    r.step("id-map", ns::map_ids);
    r.step("sync", ns::wait_for_supervisor);
    let mounts = r.step("fs-sources", |r| fs::open_sources(r, &owned));
    r.step("run-user", ns::become_run_user);
    r.step("cgroupns", ns::enter_cgroupns);
    r.step("init-session", process::init_session);
    r.step("hostname", ns::hostname);
    r.step("network", net::setup);
    r.step("filesystem", |r| fs::jail(r, mounts));
    r.step("output-readers", output::close_readers);
    r.step("park", pool::park);
    let mut r = match r.step("fork-app", process::fork_app) {
        Side::Parent(app) => {
            let sfd = r.step("init-signals", process::init_signals);
            process::init_loop(r, app, sfd)
        }
        Side::Child => r.into_app(),
    };
    // --- app: pid 2, becomes the program
    r.step("rlimits", rlimits::apply);
    r.step("identity", identity::drop_all);
    r.step("session", process::new_session);
    r.step("no-new-privs", identity::no_new_privs);
    r.step("landlock", landlock::restrict);
    r.step("output-attach", output::attach);
    r.step("descriptors", process::close_stray);
    r.step("seccomp", seccomp_step::install);
    match r.step("exec", process::exec) {}
}

#[cfg(test)]
mod tests {
    /// The step names `arm()` passes to `Run::step`, in order.
    fn arm_steps() -> Vec<String> {
        let src = include_str!("lib.rs");
        let body = &src[src.find("pub fn arm(").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        body.split(".step(\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect()
    }

    /// The step names of README's "The order of containment" block, in order.
    fn readme_steps() -> Vec<String> {
        let readme = include_str!("../../README.md");
        let sec = &readme[readme.find("## The order of containment").unwrap()..];
        let sec = &sec[..sec[3..].find("\n## ").unwrap()];
        sec.lines()
            .filter_map(|l| l.strip_prefix("      "))
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn readme_lists_exactly_the_steps_of_arm_in_order() {
        let arm = arm_steps();
        assert!(arm.len() > 30, "parsed arm(): {arm:?}");
        let mut seen = arm.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), arm.len(), "every step name is unique, so grepping an error finds its step: {arm:?}");
        assert_eq!(readme_steps(), arm, "README's \"The order of containment\" and arm() disagree");
    }

    /// Every source file of the crate but tests: (top-level module, text).
    fn sources() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
                    let rel = p.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
                    let top = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
                    let text = std::fs::read_to_string(&p).unwrap();
                    // Unit tests at the end of a file are not part of the structure.
                    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap().to_string();
                    out.push((top, text));
                }
            }
        }
        out
    }

    #[test]
    fn unsafe_lives_only_in_sys() {
        let outside: Vec<_> = sources().into_iter().filter(|(m, t)| m != "sys" && t.contains("unsafe")).collect();
        assert!(outside.is_empty(), "unsafe outside sys/: {:?}", outside.iter().map(|o| &o.0).collect::<Vec<_>>());
    }

    #[test]
    fn no_import_cycle_between_modules() {
        use std::collections::{BTreeMap, BTreeSet};
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (m, text) in sources() {
            let d = deps.entry(m.clone()).or_default();
            for part in text.split("crate::").skip(1) {
                let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != m {
                    d.insert(name);
                }
            }
            for group in text.split("use crate::{").skip(1) {
                let group = &group[..group.find('}').unwrap_or(0)];
                for item in group.split(',') {
                    let name = item.trim().split("::").next().unwrap().to_string();
                    if !name.is_empty() && name != m {
                        d.insert(name);
                    }
                }
            }
        }
        let known: BTreeSet<String> = deps.keys().cloned().collect();
        assert!(known.len() > 20, "{known:?}");
        // Depth-first search for a back edge.
        fn visit(
            m: &str,
            deps: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if let Some(i) = path.iter().position(|p| p == m) {
                panic!("import cycle: {:?}", &path[i..]);
            }
            if !done.insert(m.to_string()) {
                return;
            }
            path.push(m.to_string());
            for d in deps.get(m).into_iter().flatten() {
                if deps.contains_key(d) {
                    visit(d, deps, path, done);
                }
            }
            path.pop();
        }
        let mut done = BTreeSet::new();
        for m in deps.keys() {
            visit(m, &deps, &mut Vec::new(), &mut done);
        }
    }
}
