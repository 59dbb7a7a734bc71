//! The multi-machine setup on one machine: a real PostgreSQL server (Debian's package,
//! initdb into a temp dir, a Unix socket only, run as an unprivileged user since postgres
//! refuses root), one `api` and two `worker` processes of the real service. 200 submissions
//! (AC and WA, C and Python); one worker is SIGKILLed while it holds jobs. Then: every
//! submission has its correct verdict, each was judged to completion exactly once (the
//! database's completion count, and the workers' logs), the killed worker's jobs were taken
//! again by the other worker after their 3 s lease expired, a third worker started on the
//! dead one's work root removes its job dirs, a worker frozen (SIGSTOP) past its lease while
//! judging loses the job to another worker and its late result is discarded (the verdict
//! is written once, by the new lease holder), and nothing is left behind
//! (the server stopped, temp dirs removed, no run cgroup, no process; the killed worker's
//! in-flight sandbox runs finish on their own and are waited for). Its own test binary:
//! this process is a child subreaper, so orphans come here.
//! Skips (and says so) only when the PostgreSQL binaries are absent.

mod common;
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PY_AC: &str = "a, b = map(int, input().split())\nprint(a + b)\n";
const PY_WA: &str = "a, b = map(int, input().split())\nprint(a - b)\n";
const C_AC: &str = "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b); }\n";
const C_WA: &str = "#include <stdio.h>\nint main(void) { long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a * b); }\n";
/// Slow enough (0.3 s of sleep per test) to be frozen in the middle of.
const PY_SLOW: &str = "import time\ntime.sleep(0.3)\na, b = map(int, input().split())\nprint(a + b)\n";
const N: usize = 200;
const LEASE: &str = "3";

/// The newest /usr/lib/postgresql/<version>/bin with a `postgres` binary (or PG_BIN).
fn pg_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(p)).filter(|p| p.join("postgres").exists());
    }
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, b): &(u32, PathBuf)| b.join("postgres").exists() && b.join("initdb").exists())
        .collect();
    v.sort();
    v.pop().map(|(_, b)| b)
}

fn id_of(user: &str) -> Option<(u32, u32)> {
    let q = |f: &str| {
        let o = Command::new("id").args([f, user]).output().ok()?;
        String::from_utf8_lossy(&o.stdout).trim().parse().ok()
    };
    Some((q("-u")?, q("-g")?))
}

struct Postgres {
    child: Child,
    bin: PathBuf,
    /// Data dir, socket and log, owned by the server's user.
    dir: PathBuf,
    port: u16,
}

impl Postgres {
    fn start(bin: &Path) -> Postgres {
        let dir = std::env::temp_dir().join(format!("judge-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // postgres refuses to run as root: the test account (or the package's `postgres`).
        let user = if libc_geteuid() == 0 {
            let ids = id_of("sbxtest").or_else(|| id_of("postgres")).expect("no unprivileged user (sbxtest, postgres)");
            std::os::unix::fs::chown(&dir, Some(ids.0), Some(ids.1)).unwrap();
            Some(ids)
        } else {
            None
        };
        let as_user = |c: &mut Command| {
            if let Some((u, g)) = user {
                c.uid(u).gid(g);
            }
            c.env("LC_ALL", "C");
        };
        let mut init = Command::new(bin.join("initdb"));
        init.arg("-D").arg(dir.join("data")).args([
            "-U",
            "judge",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        as_user(&mut init);
        let o = init.stdin(Stdio::null()).output().unwrap();
        assert!(
            o.status.success(),
            "initdb: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        // A free port number: it names the socket (`.s.PGSQL.<port>`); no TCP listener.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut srv = Command::new(bin.join("postgres"));
        srv.arg("-D").arg(dir.join("data")).arg("-k").arg(&dir).arg("-p").arg(port.to_string());
        srv.args(["-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=50"]);
        as_user(&mut srv);
        let child = srv
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("postgres.log")).unwrap())
            .spawn()
            .unwrap();
        let pg = Postgres { child, bin: bin.to_path_buf(), dir, port };
        let t0 = Instant::now();
        while pg.try_psql("SELECT 1").as_deref() != Some("1") {
            let log = std::fs::read_to_string(pg.dir.join("postgres.log")).unwrap_or_default();
            assert!(t0.elapsed() < Duration::from_secs(30), "postgres did not start: {log}");
            std::thread::sleep(Duration::from_millis(100));
        }
        pg
    }

    fn url(&self) -> String {
        format!("postgres:///postgres?host={}&port={}&user=judge", self.dir.display(), self.port)
    }

    fn try_psql(&self, sql: &str) -> Option<String> {
        let o = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "judge",
                "-d",
                "postgres",
                "-X",
                "-A",
                "-t",
                "-F",
                "|",
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    }

    fn psql(&self, sql: &str) -> String {
        self.try_psql(sql).unwrap_or_else(|| panic!("psql failed: {sql}"))
    }

    /// Rows of `sql`, each split at `|`.
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.psql(sql).lines().filter(|l| !l.is_empty()).map(|l| l.split('|').map(String::from).collect()).collect()
    }

    /// Fast shutdown (SIGINT), then remove its dir.
    fn stop(mut self) {
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let st = self.child.wait().unwrap();
        assert!(st.success(), "postgres exit {st:?}");
        std::fs::remove_dir_all(&self.dir).unwrap();
        assert!(!self.dir.exists());
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn libc_geteuid() -> u32 {
    // SAFETY: geteuid(2) has no arguments and cannot fail.
    unsafe { libc::geteuid() }
}

/// The JSON log lines of a service with this `msg`.
fn log_lines(s: &Service, msg: &str) -> Vec<Value> {
    std::fs::read_to_string(&s.log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["msg"] == msg)
        .collect()
}

fn signal(s: &Service, sig: i32) {
    // SAFETY: kill(2) on our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(s.child.id() as i32, sig) }, 0);
}

#[test]
fn api_and_two_workers_share_postgres() {
    let Some(bin) = pg_bin() else {
        println!(
            "skipped: no PostgreSQL binaries in /usr/lib/postgresql/*/bin (scripts/deps.sh installs postgresql-15)"
        );
        return;
    };
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) on this process only.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let pg = Postgres::start(&bin);
    let url = pg.url();
    let role = |r: &'static str, id: &'static str| -> Vec<&str> {
        let mut v = vec!["--database", url.as_str(), "--lease", LEASE, "--workers", "2", "--role", r];
        if !id.is_empty() {
            v.extend(["--worker-id", id]);
        }
        v
    };
    let api = Service::start("pg-api", &role("api", ""));
    let w1 = Service::start("pg-w1", &role("worker", "w1"));
    let mut w2 = Service::start("pg-w2", &role("worker", "w2"));
    let (c, h) = w1.get("/healthz");
    assert_eq!((c, h["role"].as_str(), h["store"].as_str()), (200, Some("worker"), Some("postgres")), "{h}");
    let (c, _) = w1.post("/api/submissions", &serde_json::json!({}));
    assert_eq!(c, 404, "a worker takes no submissions");
    let (_, p) = api.get("/api/problems/aplusb");
    let tests = p["tests"].as_u64().unwrap();

    // 200 submissions from 10 clients, all queued at once.
    let t0 = Instant::now();
    let want: HashMap<i64, &str> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..10)
            .map(|c| {
                let api = &api;
                sc.spawn(move || {
                    (c..N)
                        .step_by(10)
                        .map(|i| {
                            let (lang, src, want) = match i % 10 {
                                0 => ("c", C_AC, "AC"),
                                5 => ("c", C_WA, "WA"),
                                _ if i % 7 == 0 => ("python", PY_WA, "WA"),
                                _ => ("python", PY_AC, "AC"),
                            };
                            (api.submit("aplusb", lang, src), want)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(want.len(), N);

    // In the middle, while w2 holds jobs: freeze it (so what it holds cannot change), read
    // what it holds, then SIGKILL it.
    let (held, frozen): (Vec<i64>, Instant) = loop {
        assert!(t0.elapsed() < Duration::from_secs(300), "w2 never held a job in the middle of the run");
        let r = pg.rows(
            "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'running' AND worker = 'w2') FROM submissions",
        );
        let (done, w2_running): (usize, usize) = (r[0][0].parse().unwrap(), r[0][1].parse().unwrap());
        if done < N / 4 || w2_running == 0 {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        signal(&w2, libc::SIGSTOP);
        let frozen = Instant::now();
        std::thread::sleep(Duration::from_millis(300));
        let ids: Vec<i64> = pg
            .rows("SELECT id FROM submissions WHERE state = 'running' AND worker = 'w2' ORDER BY id")
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect();
        if ids.is_empty() {
            signal(&w2, libc::SIGCONT);
            continue;
        }
        break (ids, frozen);
    };
    let done_at_kill = pg.psql("SELECT count(*) FROM submissions WHERE state = 'done'");
    signal(&w2, libc::SIGKILL);
    w2.child.wait().unwrap();
    println!("SIGKILLed w2 after {done_at_kill}/{N} were done, holding {} job(s): {held:?}", held.len());

    // Every submission reaches its verdict.
    loop {
        let done: usize = pg.psql("SELECT count(*) FROM submissions WHERE state = 'done'").parse().unwrap();
        if done == N {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(900), "only {done}/{N} judged");
        std::thread::sleep(Duration::from_millis(200));
    }
    let secs = t0.elapsed().as_secs_f64();
    let rows = pg.rows("SELECT id, verdict, completions, attempt, worker FROM submissions ORDER BY id");
    assert_eq!(rows.len(), N);
    let mut by_worker: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let id: i64 = r[0].parse().unwrap();
        assert_eq!(r[1], want[&id], "submission {id}: verdict {} (want {})", r[1], want[&id]);
        assert_eq!(r[2], "1", "submission {id} completed {} times", r[2]);
        *by_worker.entry(r[4].clone()).or_default() += 1;
    }
    // Every final verdict has all its tests, of its final attempt only.
    let short = pg.psql(&format!(
        "SELECT count(*) FROM submissions s WHERE s.verdict = 'AC' AND
         (SELECT count(*) FROM results r WHERE r.submission = s.id AND r.attempt = s.attempt) <> {tests}"
    ));
    assert_eq!(short, "0", "AC submissions without all {tests} test results");
    // The killed worker's jobs: taken again by w1 (a second attempt), after the lease.
    let retaken: HashMap<i64, Value> = log_lines(&w1, "retaken")
        .into_iter()
        .filter(|v| v["from"] == "w2")
        .map(|v| (v["submission"].as_i64().unwrap(), v))
        .collect();
    for id in &held {
        let r = rows.iter().find(|r| r[0] == id.to_string()).unwrap();
        assert!(r[3].parse::<i64>().unwrap() >= 2, "held job {id} not claimed again: {r:?}");
        assert_eq!(r[4], "w1", "held job {id} finished by {}", r[4]);
        assert!(retaken.contains_key(id), "w1 did not log retaking {id} from w2");
        let (c, v) = api.get(&format!("/api/submissions/{id}"));
        assert_eq!(
            (c, v["state"].as_str(), v["tests"].as_array().map(|t| t.len() as u64)),
            (200, Some("done"), Some(tests)),
            "{v}"
        );
    }
    let retake_delay: Vec<String> = held
        .iter()
        .map(|id| {
            format!("{:.1}", retaken[id]["ts"].as_f64().unwrap() - (crate_now() - frozen.elapsed().as_secs_f64()))
        })
        .collect();
    // The logs agree: no submission has two winning completions; w1 logged each of its own.
    let mut judged: HashMap<i64, usize> = HashMap::new();
    for v in log_lines(&w1, "judged").into_iter().chain(log_lines(&w2, "judged")) {
        *judged.entry(v["submission"].as_i64().unwrap()).or_default() += 1;
    }
    assert!(judged.values().all(|&n| n == 1), "a submission judged to completion twice: {judged:?}");
    let w1_ids: Vec<i64> = rows.iter().filter(|r| r[4] == "w1").map(|r| r[0].parse().unwrap()).collect();
    assert!(w1_ids.iter().all(|id| judged.get(id) == Some(&1)), "w1's completions and its log disagree");
    println!(
        "{N} judged in {secs:.1} s ({:.1}/s) by {by_worker:?}; each completed once; w2's {} held job(s) retaken by w1 {} s after it froze (SIGSTOP, then SIGKILL; lease {LEASE} s, renewed every 1 s)",
        N as f64 / secs,
        held.len(),
        retake_delay.join(", ")
    );

    // A third worker, started on the dead worker's work root, removes its job dirs.
    let stale = std::fs::read_dir(&w2.work_root).unwrap().count();
    let w2_work = w2.work_root.to_str().unwrap().to_string();
    let mut args = role("worker", "w3");
    args.extend(["--work-root", &w2_work]);
    let w3 = Service::start("pg-w3", &args);
    let left = std::fs::read_dir(&w2_work).unwrap().count();
    assert_eq!(left, 0, "a new worker did not remove the dead one's job dirs");

    // A late writer loses: freeze the worker judging a slow submission past its lease, let
    // the other worker take the job over and finish it, then let the frozen one go on.
    let x = api.submit("aplusb", "python", PY_SLOW);
    let holder = wait_for(&pg, &format!("SELECT worker FROM submissions WHERE id = {x} AND state = 'running'"), |w| {
        w == "w1" || w == "w3"
    });
    let (late, other) = if holder == "w1" { (&w1, &w3) } else { (&w3, &w1) };
    let other_name = if holder == "w1" { "w3" } else { "w1" };
    signal(late, libc::SIGSTOP);
    let taken = wait_for(&pg, &format!("SELECT worker || '|' || attempt FROM submissions WHERE id = {x}"), |w| {
        w == format!("{other_name}|2")
    });
    let done = wait_for(&pg, &format!("SELECT state FROM submissions WHERE id = {x}"), |w| w == "done");
    signal(late, libc::SIGCONT);
    let t = Instant::now();
    while !log_lines(late, "verdict not stored: the lease was lost (another worker judges it) or the store failed")
        .iter()
        .any(|v| v["submission"] == x && v["attempt"] == 1)
    {
        assert!(t.elapsed() < Duration::from_secs(30), "the late worker {holder} did not notice it lost {x}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = pg.rows(&format!("SELECT verdict, completions, attempt, worker FROM submissions WHERE id = {x}"));
    assert_eq!(r[0], ["AC", "1", "2", other_name], "submission {x} after the late writer");
    assert!(log_lines(late, "judged").iter().all(|v| v["submission"] != x), "the late worker claims it judged {x}");
    assert!(log_lines(other, "judged").iter().any(|v| v["submission"] == x));
    println!("late writer: {holder} frozen past its lease on {x}; {taken} took it over ({done}); {holder} discarded its result");

    // Nothing left behind. The killed worker's sandbox runs finish on their own (bounded by
    // their limits) and are reparented here: wait for them, then its run cgroups are gone.
    api.stop_and_check();
    w1.stop_and_check();
    w3.stop_and_check();
    let server = format!("{} ", pg.child.id());
    let (reaped, live) = reap_children(Duration::from_secs(60), &server);
    assert!(live.is_empty(), "processes left after w2 was killed: {live:?}");
    let cg = run_cgroups(&w2.cgroup_root);
    assert!(cg.is_empty(), "the killed worker's cgroups left: {cg:?}");
    let w2_dir = w2.dir.clone();
    drop(w2);
    std::fs::remove_dir_all(&w2_dir).unwrap();
    pg.stop();
    let (reaped2, live) = reap_children(Duration::from_secs(10), "");
    assert!(live.is_empty(), "processes left: {live:?}");
    println!(
        "left behind: nothing (server stopped, temp dirs removed, {stale} dead job dir(s) removed by the next worker, reaped {} orphans, no run cgroup)",
        reaped + reaped2
    );
}

/// Poll `sql` (one value) until `ok` holds; returns the value.
fn wait_for(pg: &Postgres, sql: &str, ok: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        let v = pg.psql(sql);
        if ok(&v) {
            return v;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "{sql}: still {v:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn crate_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}
