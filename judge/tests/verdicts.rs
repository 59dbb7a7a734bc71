//! Submissions to the sample problems get exactly the verdict their solution earns: AC, WA,
//! TLE, MLE, RE, CE, OLE and SV (a forbidden system call), each with per-test verdicts, the
//! first failing test and the totals; the whitespace-tolerant checker accepts any spacing.

mod common;
use common::*;
use std::time::Duration;

const C_AC: &str = "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b); return 0; }\n";

#[test]
fn every_verdict() {
    let s = Service::start("verdicts", &[]);
    let cases: &[(&str, &str, &str, &str)] = &[
        ("AC", "aplusb", "c", C_AC),
        ("AC", "aplusb", "python", "a, b = map(int, input().split())\nprint(a + b)\n"),
        // Off by one except when a + b == 0 would still be wrong: every test fails.
        ("WA", "aplusb", "c", "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b + 1); }\n"),
        // The exact checker: a trailing space is a wrong answer.
        ("WA", "aplusb", "python", "a, b = map(int, input().split())\nprint(a + b, '')\n"),
        ("TLE", "aplusb", "c", "int main(void) { volatile unsigned long i = 0; for (;;) i++; }\n"),
        ("MLE", "aplusb", "c", "#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 24); if (!p) return 9; memset(p, 1, 1 << 24); } }\n"),
        ("RE", "aplusb", "c", "#include <stdio.h>\nint main(void) { int *p = (int *)0; printf(\"%d\\n\", *p); }\n"),
        ("RE", "aplusb", "python", "raise SystemExit(4)\n"),
        ("CE", "aplusb", "c", "int main(void) { return x; }\n"),
        ("OLE", "aplusb", "c", "#include <stdio.h>\nint main(void) { for (;;) puts(\"0123456789012345678901234567890123456789\"); }\n"),
        ("SV", "aplusb", "c", "#include <unistd.h>\n#include <stdio.h>\nint main(void) { fork(); puts(\"3\"); }\n"),
        ("SV", "aplusb", "python", "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"),
        ("AC", "sort", "python", "input()\nfor x in sorted(map(int, input().split())): print(x)\n"),
        ("WA", "sort", "python", "input()\nprint(*map(int, input().split()))\n"),
    ];
    let ids: Vec<i64> = cases.iter().map(|(_, p, l, src)| s.submit(p, l, src)).collect();
    for ((want, p, l, _), id) in cases.iter().zip(ids) {
        let v = s.wait(id, Duration::from_secs(180));
        println!("{want:>3} {p}/{l}: {} {}", v["verdict"], v["tests"]);
        assert_eq!(v["verdict"], *want, "{p}/{l}: {}", brief(&v));
        assert_eq!(v["total"], 3, "{}", brief(&v));
        let tests = v["tests"].as_array().unwrap();
        if *want == "CE" {
            assert!(tests.is_empty(), "{}", brief(&v));
            assert!(v["compile_output"].as_str().unwrap().contains("undeclared"), "{}", brief(&v));
            continue;
        }
        assert_eq!(tests.len(), 3, "{}", brief(&v));
        if *want == "AC" {
            assert_eq!((v["passed"].as_i64(), v["first_failed"].is_null()), (Some(3), true), "{}", brief(&v));
        } else if (*p, *l, *want) == ("sort", "python", "WA") {
            // Test 2 has one number: the same output either way.
            assert_eq!(tests.iter().map(|t| t["verdict"].as_str().unwrap()).collect::<Vec<_>>(), ["WA", "AC", "WA"]);
            assert_eq!(v["first_failed"], 1, "{}", brief(&v));
        } else {
            assert_eq!(v["first_failed"], 1, "{}", brief(&v));
            assert!(tests.iter().all(|t| t["verdict"] == *want), "{}", brief(&v));
        }
        if *want == "SV" {
            let m = tests[0]["message"].as_str().unwrap();
            assert!(m == "forbidden system call: clone" || m == "forbidden system call: socket", "{}", brief(&v));
        }
    }
    let (_, _, m) = s.req("GET", "/metrics", None);
    println!("{m}");
    for (v, n) in [("AC", 3), ("WA", 3), ("TLE", 1), ("MLE", 1), ("RE", 2), ("CE", 1), ("OLE", 1), ("SV", 2)] {
        assert!(m.contains(&format!("judge_verdicts_total{{verdict=\"{v}\"}} {n}\n")), "{v} {n}: {m}");
    }
    assert!(m.contains("judge_latency_seconds{quantile=\"0.99\"}"), "{m}");
    assert!(m.contains("judge_queue_depth 0\n"), "{m}");
    s.stop_and_check();
}

/// SIGTERM while jobs are queued and one is running: the running one finishes, the others
/// stay queued, and a restart on the same database judges them all; none is lost.
#[test]
fn graceful_shutdown_loses_nothing() {
    let s = Service::start("shutdown", &["--workers", "1"]);
    let slow = "import time\nt = time.time()\nwhile time.time() - t < 0.3: pass\na, b = map(int, input().split())\nprint(a + b)\n";
    let ids: Vec<i64> = (0..4).map(|_| s.submit("aplusb", "python", slow)).collect();
    // Wait until the first is running, then stop.
    let t0 = std::time::Instant::now();
    while s.get(&format!("/api/submissions/{}", ids[0])).1["state"] == "queued" {
        assert!(t0.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    let db = s.dir.join("judge.db");
    let keep = s.dir.join("keep.db");
    let pid = s.child.id() as i32;
    // SAFETY: kill(2) on our own live child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let mut s = s;
    assert!(s.child.wait().unwrap().success());
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(log.contains("\"stopping: running jobs finish"), "{log}");
    let judged = log.lines().filter(|l| l.contains("\"judged\"")).count();
    println!("judged before the stop finished: {judged} of 4");
    assert!((1..4).contains(&judged), "{log}");
    std::fs::copy(&db, &keep).unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::copy(format!("{}{ext}", db.display()), format!("{}{ext}", keep.display()));
    }
    // Restart on the same database.
    let s2 = Service::start("shutdown2", &["--db", keep.to_str().unwrap()]);
    for id in ids {
        let v = s2.wait(id, Duration::from_secs(60));
        assert_eq!(v["verdict"], "AC", "{}", brief(&v));
    }
    let _ = std::fs::remove_dir_all(&s.dir);
    s2.stop_and_check();
}
