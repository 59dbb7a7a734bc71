//! Many submissions from concurrent clients: every one judged correctly, and nothing left
//! behind (work dirs, per-run cgroups, processes). Its own test binary, so the process-leak
//! check (this process is a child subreaper: anything the service leaves orphaned is
//! reparented here) sees only this service's descendants.
//! JUDGE_SUBMISSIONS / JUDGE_CLIENTS override the default 200 from 20; JUDGE_ONLY_C=1 makes
//! every submission the small C solution (the benchmark in README "Judge service").

mod common;
use common::*;
use std::time::{Duration, Instant};

const PY_AC: &str = "a, b = map(int, input().split())\nprint(a + b)\n";
const PY_WA: &str = "a, b = map(int, input().split())\nprint(a - b)\n";
const C_AC: &str = "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b); }\n";

fn env(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

#[test]
fn many_concurrent_clients() {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) on this process only.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let n = env("JUDGE_SUBMISSIONS", 200);
    let clients = env("JUDGE_CLIENTS", 20);
    let only_c = env("JUDGE_ONLY_C", 0) == 1;
    let s = Service::start("concurrent", &[]);
    let t0 = Instant::now();
    let addr = s.addr.clone();
    let results: Vec<(i64, &str, String, f64)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..clients)
            .map(|c| {
                let s = &s;
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for i in (c..n).step_by(clients) {
                        // Every tenth in C (compiled), every seventh wrong: a mix of work.
                        let (lang, src, want) = match i {
                            _ if only_c => ("c", C_AC, "AC"),
                            i if i % 10 == 0 => ("c", C_AC, "AC"),
                            i if i % 7 == 0 => ("python", PY_WA, "WA"),
                            _ => ("python", PY_AC, "AC"),
                        };
                        let id = s.submit("aplusb", lang, src);
                        let v = s.wait(id, Duration::from_secs(900));
                        out.push((
                            id,
                            want,
                            v["verdict"].as_str().unwrap_or("?").to_string(),
                            v["latency"].as_f64().unwrap(),
                        ));
                    }
                    out
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let secs = t0.elapsed().as_secs_f64();
    let _ = addr;
    assert_eq!(results.len(), n);
    let wrong: Vec<_> = results.iter().filter(|(_, w, got, _)| got != w).collect();
    let mut lat: Vec<f64> = results.iter().map(|r| r.3).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{n} submissions{} from {clients} clients in {secs:.1} s ({:.2}/s), latency p50 {:.2} s p99 {:.2} s, wrong {}",
        if only_c { " (all C)" } else { "" },
        n as f64 / secs,
        lat[n / 2],
        lat[(n * 99 / 100).min(n - 1)],
        wrong.len()
    );
    assert!(wrong.is_empty(), "wrong verdicts: {wrong:?}");
    let mut ids: Vec<i64> = results.iter().map(|r| r.0).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "ids not unique");
    let (_, _, m) = s.req("GET", "/metrics", None);
    assert!(m.contains("judge_queue_depth 0\n"), "{m}");
    s.stop_and_check();
    // Nothing the service started may still run: orphans would have been reparented to us.
    let (reaped, live) = reap_children(Duration::from_secs(5), "");
    println!("reaped {reaped} exited orphans (launcher cleaners)");
    assert!(live.is_empty(), "processes left: {live:?}");
    println!("left behind: no work dir, no run cgroup, no process");
}
