//! The store and job queue: SQLite (embedded default: one process, `role = all`) or
//! PostgreSQL (`database = "postgres://…"`: `api` and `worker` processes on any number of
//! machines, jobs leased). The rest of the service sees only this.

use crate::db::{Db, Job, Problem, TestResult};
use crate::pg::Pg;
use serde_json::Value;

pub enum Store {
    Sqlite(Db),
    Pg(Pg),
}

impl Store {
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Pg(_) => "postgres",
        }
    }

    pub async fn put_problem(&self, p: &Problem) -> Result<(), String> {
        match self {
            Store::Sqlite(d) => d.put_problem(p).map_err(|e| format!("db: {e}")),
            Store::Pg(d) => d.put_problem(p).await,
        }
    }

    pub async fn problem(&self, id: &str) -> Option<Problem> {
        match self {
            Store::Sqlite(d) => d.problem(id),
            Store::Pg(d) => d.problem(id).await,
        }
    }

    pub async fn problems(&self) -> Vec<Problem> {
        match self {
            Store::Sqlite(d) => d.problems(),
            Store::Pg(d) => d.problems().await,
        }
    }

    /// Queued jobs now (PostgreSQL: other processes add and take them).
    pub async fn queued(&self) -> usize {
        match self {
            Store::Sqlite(d) => d.queued(),
            Store::Pg(d) => d.queued().await.unwrap_or(0),
        }
    }

    pub async fn submit(&self, problem: &str, language: &str, source: &str, client: &str) -> Result<i64, String> {
        match self {
            Store::Sqlite(d) => {
                d.submit(problem, language, source, client, crate::log::now()).map_err(|e| e.to_string())
            }
            Store::Pg(d) => d.submit(problem, language, source, client).await,
        }
    }

    pub async fn claim(&self) -> Result<Option<Job>, String> {
        match self {
            Store::Sqlite(d) => d.claim(crate::log::now()).map_err(|e| e.to_string()),
            Store::Pg(d) => d.claim().await,
        }
    }

    /// Renew the job's lease; false when it was lost. SQLite has no leases.
    pub async fn heartbeat(&self, job: &Job) -> Result<bool, String> {
        match self {
            Store::Sqlite(_) => Ok(true),
            Store::Pg(d) => d.heartbeat(job).await,
        }
    }

    /// False: the lease was lost, the result was not stored.
    pub async fn put_result(&self, job: &Job, t: &TestResult) -> Result<bool, String> {
        match self {
            Store::Sqlite(d) => d.put_result(job.id, t).map(|_| true).map_err(|e| e.to_string()),
            Store::Pg(d) => d.put_result(job, t).await,
        }
    }

    /// False: the lease was lost to another worker, the verdict was not stored.
    pub async fn finish(&self, job: &Job, verdict: &str, compile_output: Option<&str>) -> Result<bool, String> {
        match self {
            Store::Sqlite(d) => {
                d.finish(job.id, verdict, compile_output, crate::log::now()).map(|_| true).map_err(|e| e.to_string())
            }
            Store::Pg(d) => d.finish(job, verdict, compile_output).await,
        }
    }

    pub async fn submission(&self, id: i64) -> Option<Value> {
        match self {
            Store::Sqlite(d) => d.submission(id),
            Store::Pg(d) => d.submission(id).await,
        }
    }
}
