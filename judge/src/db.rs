//! SQLite: problems, submissions, per-test results, and the job queue (a submission in state
//! `queued` is a job; a worker claims it by moving it to `running`). One connection behind a
//! mutex: every statement is short, and WAL keeps readers cheap.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Mutex;

pub struct Db(Mutex<Connection>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    pub id: String,
    pub title: String,
    pub statement: String,
    /// CPU seconds per test.
    pub time_limit: f64,
    /// Bytes.
    pub memory_limit: u64,
    /// Bytes of output per test.
    pub output_limit: u64,
    /// `exact` or `whitespace` (tokens compared, any runs of whitespace equal).
    pub checker: String,
    pub tests: Vec<Test>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Test {
    pub input: String,
    pub output: String,
}

pub struct Job {
    pub id: i64,
    pub problem: String,
    pub language: String,
    pub source: String,
    pub created: f64,
    /// The lease token (PostgreSQL): every claim increments it, and only the holder of the
    /// current one may write results. 0 on SQLite (one process, no leases).
    pub attempt: i64,
    /// The worker whose expired lease this claim took over (PostgreSQL), if any.
    pub retaken_from: Option<String>,
}

/// A submission row as the API shows it (both stores).
pub struct SubRow {
    pub problem: String,
    pub language: String,
    pub state: String,
    pub verdict: Option<String>,
    pub compile_output: Option<String>,
    pub created: f64,
    pub started: Option<f64>,
    pub finished: Option<f64>,
}

/// The submission as the API shows it: state, verdict, per-test results, totals.
pub fn submission_json(id: i64, r: SubRow, tests: Vec<Value>, total: Option<usize>) -> Value {
    let passed = tests.iter().filter(|t| t["verdict"] == "AC").count();
    let first_failed = tests.iter().find(|t| t["verdict"] != "AC").map(|t| t["test"].clone());
    json!({
        "id": id, "problem": r.problem, "language": r.language, "state": r.state, "verdict": r.verdict,
        "compile_output": r.compile_output, "tests": tests, "passed": passed, "total": total,
        "first_failed": first_failed, "created": r.created, "started": r.started, "finished": r.finished,
        "latency": r.finished.map(|f| f - r.created),
    })
}

pub struct TestResult {
    pub test: usize,
    pub verdict: String,
    pub time: f64,
    pub memory: u64,
    pub message: String,
}

impl Db {
    pub fn open(path: &Path) -> Result<Db, String> {
        let c = Connection::open(path).map_err(|e| format!("db {}: {e}", path.display()))?;
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             CREATE TABLE IF NOT EXISTS problems (id TEXT PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS submissions (
                 id INTEGER PRIMARY KEY, problem TEXT NOT NULL, language TEXT NOT NULL,
                 source TEXT NOT NULL, state TEXT NOT NULL, verdict TEXT, compile_output TEXT,
                 created REAL NOT NULL, started REAL, finished REAL, client TEXT);
             CREATE INDEX IF NOT EXISTS submissions_state ON submissions(state, id);
             CREATE TABLE IF NOT EXISTS results (
                 submission INTEGER NOT NULL REFERENCES submissions(id), test INTEGER NOT NULL,
                 verdict TEXT NOT NULL, time REAL, memory INTEGER, message TEXT,
                 PRIMARY KEY (submission, test));",
        )
        .map_err(|e| format!("db {}: schema: {e}", path.display()))?;
        Ok(Db(Mutex::new(c)))
    }

    fn c(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding it would abort (panic = "abort"), so poisoning cannot be seen.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn put_problem(&self, p: &Problem) -> rusqlite::Result<()> {
        let body = serde_json::to_string(p).expect("problem serializes");
        self.c().execute("INSERT OR REPLACE INTO problems (id, body) VALUES (?1, ?2)", params![p.id, body])?;
        Ok(())
    }

    pub fn problem(&self, id: &str) -> Option<Problem> {
        let body: Option<String> =
            self.c().query_row("SELECT body FROM problems WHERE id = ?1", [id], |r| r.get(0)).optional().ok()?;
        serde_json::from_str(&body?).ok()
    }

    pub fn problems(&self) -> Vec<Problem> {
        let c = self.c();
        let Ok(mut st) = c.prepare("SELECT body FROM problems ORDER BY id") else { return Vec::new() };
        let rows = st.query_map([], |r| r.get::<_, String>(0));
        rows.map(|it| it.filter_map(|b| serde_json::from_str(&b.ok()?).ok()).collect()).unwrap_or_default()
    }

    /// Jobs a previous process left `running` (it was killed): back to the queue, their
    /// partial results dropped, so each is judged again from the start.
    pub fn requeue_running(&self) -> rusqlite::Result<usize> {
        let c = self.c();
        c.execute("DELETE FROM results WHERE submission IN (SELECT id FROM submissions WHERE state = 'running')", [])?;
        c.execute("UPDATE submissions SET state = 'queued', started = NULL WHERE state = 'running'", [])
    }

    pub fn queued(&self) -> usize {
        self.c().query_row("SELECT count(*) FROM submissions WHERE state = 'queued'", [], |r| r.get(0)).unwrap_or(0)
    }

    pub fn submit(&self, problem: &str, language: &str, source: &str, client: &str, now: f64) -> rusqlite::Result<i64> {
        let c = self.c();
        c.execute(
            "INSERT INTO submissions (problem, language, source, state, created, client) VALUES (?1, ?2, ?3, 'queued', ?4, ?5)",
            params![problem, language, source, now, client],
        )?;
        Ok(c.last_insert_rowid())
    }

    /// Take the oldest queued job (atomic: one connection, one statement).
    pub fn claim(&self, now: f64) -> rusqlite::Result<Option<Job>> {
        self.c()
            .query_row(
                "UPDATE submissions SET state = 'running', started = ?1
                 WHERE id = (SELECT id FROM submissions WHERE state = 'queued' ORDER BY id LIMIT 1)
                 RETURNING id, problem, language, source, created",
                [now],
                |r| {
                    Ok(Job {
                        id: r.get(0)?,
                        problem: r.get(1)?,
                        language: r.get(2)?,
                        source: r.get(3)?,
                        created: r.get(4)?,
                        attempt: 0,
                        retaken_from: None,
                    })
                },
            )
            .optional()
    }

    pub fn put_result(&self, sub: i64, t: &TestResult) -> rusqlite::Result<()> {
        self.c().execute(
            "INSERT OR REPLACE INTO results (submission, test, verdict, time, memory, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![sub, t.test as i64, t.verdict, t.time, t.memory as i64, t.message],
        )?;
        Ok(())
    }

    pub fn finish(&self, sub: i64, verdict: &str, compile_output: Option<&str>, now: f64) -> rusqlite::Result<()> {
        self.c().execute(
            "UPDATE submissions SET state = 'done', verdict = ?2, compile_output = ?3, finished = ?4 WHERE id = ?1",
            params![sub, verdict, compile_output, now],
        )?;
        Ok(())
    }

    pub fn submission(&self, id: i64) -> Option<Value> {
        let c = self.c();
        let row = c
            .query_row(
                "SELECT problem, language, state, verdict, compile_output, created, started, finished FROM submissions WHERE id = ?1",
                [id],
                |r| {
                    Ok(SubRow {
                        problem: r.get(0)?,
                        language: r.get(1)?,
                        state: r.get(2)?,
                        verdict: r.get(3)?,
                        compile_output: r.get(4)?,
                        created: r.get(5)?,
                        started: r.get(6)?,
                        finished: r.get(7)?,
                    })
                },
            )
            .optional()
            .ok()??;
        let mut st = c
            .prepare("SELECT test, verdict, time, memory, message FROM results WHERE submission = ?1 ORDER BY test")
            .ok()?;
        let tests: Vec<Value> = st
            .query_map([id], |r| {
                Ok(json!({"test": r.get::<_, i64>(0)?, "verdict": r.get::<_, String>(1)?, "time": r.get::<_, Option<f64>>(2)?,
                          "memory": r.get::<_, Option<i64>>(3)?, "message": r.get::<_, Option<String>>(4)?}))
            })
            .ok()?
            .filter_map(|r| r.ok())
            .collect();
        let total = c
            .query_row("SELECT body FROM problems WHERE id = ?1", [&row.problem], |r| r.get::<_, String>(0))
            .ok()
            .and_then(|b| serde_json::from_str::<Problem>(&b).ok())
            .map(|p| p.tests.len());
        Some(submission_json(id, row, tests, total))
    }

    /// Verdict counts of finished submissions.
    pub fn verdict_counts(&self) -> Vec<(String, i64)> {
        let c = self.c();
        let Ok(mut st) = c.prepare(
            "SELECT verdict, count(*) FROM submissions WHERE state = 'done' GROUP BY verdict ORDER BY verdict",
        ) else {
            return Vec::new();
        };
        st.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?)))
            .map(|it| it.filter_map(|r| r.ok()).collect())
            .unwrap_or_default()
    }
}
