//! PostgreSQL: the same tables as SQLite, shared by `api` and `worker` processes on several
//! machines, and the job queue. A worker claims a job with `SELECT … FOR UPDATE SKIP LOCKED`
//! and takes a lease on it (`lease_until`, renewed by a heartbeat while it judges); a job
//! whose lease expired (its worker died) is claimed again. Every claim increments `attempt`,
//! the lease token: results and the final verdict are written only by the holder of the
//! current token, in statements that lock the row, so a late writer whose lease was taken
//! over loses and a job is judged to completion exactly once (`completions` counts it).
//! Times come from the database's clock, so machines with skewed clocks agree on leases.
//! Every statement stands alone (no client-side transactions), so one pipelined connection
//! serves the whole process.

use crate::db::{submission_json, Job, Problem, SubRow, TestResult};
use serde_json::{json, Value};
use tokio_postgres::{Client, NoTls};

pub struct Pg {
    c: Client,
    /// Lease seconds.
    lease: f64,
    worker: String,
}

const SCHEMA: &str = "
    SELECT pg_advisory_xact_lock(7413);
    CREATE TABLE IF NOT EXISTS problems (id TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS submissions (
        id BIGSERIAL PRIMARY KEY, problem TEXT NOT NULL, language TEXT NOT NULL,
        source TEXT NOT NULL, state TEXT NOT NULL, verdict TEXT, compile_output TEXT,
        created DOUBLE PRECISION NOT NULL, started DOUBLE PRECISION, finished DOUBLE PRECISION,
        client TEXT, worker TEXT, lease_until TIMESTAMPTZ, attempt BIGINT NOT NULL DEFAULT 0,
        completions INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS submissions_state ON submissions(state, id);
    CREATE TABLE IF NOT EXISTS results (
        submission BIGINT NOT NULL REFERENCES submissions(id), attempt BIGINT NOT NULL,
        test INTEGER NOT NULL, verdict TEXT NOT NULL, time DOUBLE PRECISION, memory BIGINT,
        message TEXT, PRIMARY KEY (submission, attempt, test));";

const NOW: &str = "extract(epoch from clock_timestamp())";

fn e(what: &str) -> impl Fn(tokio_postgres::Error) -> String + '_ {
    move |err| format!("postgres: {what}: {err}")
}

impl Pg {
    pub async fn connect(url: &str, lease: f64, worker: String) -> Result<Pg, String> {
        let (c, conn) = tokio_postgres::connect(url, NoTls).await.map_err(e("connect"))?;
        tokio::spawn(async move {
            // The connection carries every statement of this process: without it nothing
            // can be stored, so exit (systemd restarts the service; a worker's leased jobs
            // are taken by another worker when the leases expire).
            if let Err(err) = conn.await {
                crate::log::log("error", "database connection lost", json!({"error": err.to_string()}));
                std::process::exit(1);
            }
        });
        c.batch_execute(SCHEMA).await.map_err(e("schema"))?;
        Ok(Pg { c, lease, worker })
    }

    pub async fn put_problem(&self, p: &Problem) -> Result<(), String> {
        let body = serde_json::to_string(p).expect("problem serializes");
        self.c
            .execute(
                "INSERT INTO problems (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
                &[&p.id, &body],
            )
            .await
            .map_err(e("problem"))?;
        Ok(())
    }

    pub async fn problem(&self, id: &str) -> Option<Problem> {
        let r = self.c.query_opt("SELECT body FROM problems WHERE id = $1", &[&id]).await.ok()??;
        serde_json::from_str(r.get::<_, &str>(0)).ok()
    }

    pub async fn problems(&self) -> Vec<Problem> {
        let rows = self.c.query("SELECT body FROM problems ORDER BY id", &[]).await.unwrap_or_default();
        rows.iter().filter_map(|r| serde_json::from_str(r.get::<_, &str>(0)).ok()).collect()
    }

    pub async fn queued(&self) -> Result<usize, String> {
        let r = self
            .c
            .query_one("SELECT count(*) FROM submissions WHERE state = 'queued'", &[])
            .await
            .map_err(e("queue depth"))?;
        Ok(r.get::<_, i64>(0) as usize)
    }

    pub async fn submit(&self, problem: &str, language: &str, source: &str, client: &str) -> Result<i64, String> {
        let q = format!(
            "INSERT INTO submissions (problem, language, source, state, created, client)
             VALUES ($1, $2, $3, 'queued', {NOW}, $4) RETURNING id"
        );
        let r = self.c.query_one(&q, &[&problem, &language, &source, &client]).await.map_err(e("submit"))?;
        Ok(r.get(0))
    }

    /// Take the oldest queued job, or the oldest whose lease expired, and lease it.
    pub async fn claim(&self) -> Result<Option<Job>, String> {
        let q = format!(
            "WITH c AS (
                 SELECT id, state, worker FROM submissions
                 WHERE state = 'queued' OR (state = 'running' AND lease_until < clock_timestamp())
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             UPDATE submissions s SET state = 'running', worker = $1, attempt = s.attempt + 1,
                 lease_until = clock_timestamp() + make_interval(secs => $2), started = {NOW}
             FROM c WHERE s.id = c.id
             RETURNING s.id, s.problem, s.language, s.source, s.created, s.attempt,
                 CASE WHEN c.state = 'running' THEN c.worker END"
        );
        let r = self.c.query_opt(&q, &[&self.worker, &self.lease]).await.map_err(e("claim"))?;
        Ok(r.map(|r| Job {
            id: r.get(0),
            problem: r.get(1),
            language: r.get(2),
            source: r.get(3),
            created: r.get(4),
            attempt: r.get(5),
            retaken_from: r.get(6),
        }))
    }

    /// Renew the lease; false when it is no longer ours (taken over, or the job is done).
    pub async fn heartbeat(&self, job: &Job) -> Result<bool, String> {
        let n = self
            .c
            .execute(
                "UPDATE submissions SET lease_until = clock_timestamp() + make_interval(secs => $3)
                 WHERE id = $1 AND attempt = $2 AND state = 'running'",
                &[&job.id, &job.attempt, &self.lease],
            )
            .await
            .map_err(e("heartbeat"))?;
        Ok(n == 1)
    }

    /// One test's result, if the lease is still ours (the row lock orders it against a
    /// claim; results of older attempts are never shown).
    pub async fn put_result(&self, job: &Job, t: &TestResult) -> Result<bool, String> {
        let n = self
            .c
            .execute(
                "WITH s AS (SELECT id FROM submissions WHERE id = $1 AND attempt = $2 AND state = 'running' FOR UPDATE)
                 INSERT INTO results (submission, attempt, test, verdict, time, memory, message)
                 SELECT s.id, $2, $3, $4, $5, $6, $7 FROM s
                 ON CONFLICT (submission, attempt, test) DO UPDATE SET verdict = EXCLUDED.verdict,
                     time = EXCLUDED.time, memory = EXCLUDED.memory, message = EXCLUDED.message",
                &[&job.id, &job.attempt, &(t.test as i32), &t.verdict, &t.time, &(t.memory as i64), &t.message],
            )
            .await
            .map_err(e("result"))?;
        Ok(n == 1)
    }

    /// The final verdict: written once, by the holder of the current lease token only.
    /// False: another worker took the job over; this result is discarded.
    pub async fn finish(&self, job: &Job, verdict: &str, compile_output: Option<&str>) -> Result<bool, String> {
        let q = format!(
            "UPDATE submissions SET state = 'done', verdict = $3, compile_output = $4, finished = {NOW},
                 lease_until = NULL, completions = completions + 1
             WHERE id = $1 AND attempt = $2 AND state = 'running'"
        );
        let n = self.c.execute(&q, &[&job.id, &job.attempt, &verdict, &compile_output]).await.map_err(e("finish"))?;
        Ok(n == 1)
    }

    pub async fn submission(&self, id: i64) -> Option<Value> {
        let r = self
            .c
            .query_opt(
                "SELECT s.problem, s.language, s.state, s.verdict, s.compile_output, s.created, s.started,
                        s.finished, s.attempt, p.body
                 FROM submissions s LEFT JOIN problems p ON p.id = s.problem WHERE s.id = $1",
                &[&id],
            )
            .await
            .ok()??;
        let attempt: i64 = r.get(8);
        let total =
            r.get::<_, Option<&str>>(9).and_then(|b| serde_json::from_str::<Problem>(b).ok()).map(|p| p.tests.len());
        let row = SubRow {
            problem: r.get(0),
            language: r.get(1),
            state: r.get(2),
            verdict: r.get(3),
            compile_output: r.get(4),
            created: r.get(5),
            started: r.get(6),
            finished: r.get(7),
        };
        let rows = self
            .c
            .query(
                "SELECT test, verdict, time, memory, message FROM results WHERE submission = $1 AND attempt = $2 ORDER BY test",
                &[&id, &attempt],
            )
            .await
            .ok()?;
        let tests = rows
            .iter()
            .map(|r| {
                json!({"test": r.get::<_, i32>(0), "verdict": r.get::<_, &str>(1), "time": r.get::<_, Option<f64>>(2),
                       "memory": r.get::<_, Option<i64>>(3), "message": r.get::<_, Option<&str>>(4)})
            })
            .collect();
        Some(submission_json(id, row, tests, total))
    }
}
