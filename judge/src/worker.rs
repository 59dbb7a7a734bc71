//! The worker pool: `workers` tasks, each claiming the oldest queued submission from the store,
//! compiling it once and running it on every test, writing each test's verdict as soon as it
//! is known (the page polls them). On shutdown a worker finishes the job it is judging and
//! takes no new one; jobs never started stay queued for the next start. On PostgreSQL the
//! claim is a lease, renewed every lease/3 while the job is judged; a job whose lease was
//! lost (this process stalled past it and another worker took the job) is abandoned, and
//! its result would not be stored anyway.

use crate::db::{Job, Problem, TestResult};
use crate::runner::Limits;
use crate::{info, warn, App};
use std::sync::Arc;
use std::time::Duration;

pub async fn worker(app: Arc<App>, n: usize) {
    let mut stop = app.stop.subscribe();
    // SQLite: submissions of this process wake a worker at once. PostgreSQL: another process
    // queues them, so poll more often.
    let poll = Duration::from_millis(if app.cfg.database.is_empty() { 500 } else { 200 });
    loop {
        if *stop.borrow() {
            break;
        }
        // A slot first (shared with /api/run), then a job: a claimed job is always judged.
        let permit = tokio::select! {
            p = app.slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
            _ = stop.changed() => continue,
        };
        let job = match app.db.claim().await {
            Ok(j) => j,
            Err(e) => {
                warn!("claim failed", "worker": n, "error": e);
                None
            }
        };
        let Some(job) = job else {
            drop(permit);
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        if job.retaken_from.is_none() {
            app.metrics.queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(prev) = &job.retaken_from {
            info!("retaken", "worker": n, "submission": job.id, "attempt": job.attempt, "from": prev);
        }
        let (id, attempt, created) = (job.id, job.attempt, job.created);
        match judge(&app, job).await {
            Some(verdict) => {
                // The store's clock on PostgreSQL, this one's on SQLite: close enough for metrics.
                let latency = crate::log::now() - created;
                app.metrics.record(&verdict, latency);
                info!("judged", "worker": n, "submission": id, "attempt": attempt, "verdict": verdict,
                      "latency": (latency * 1000.0).round() / 1000.0);
            }
            None => {
                warn!("verdict not stored: the lease was lost (another worker judges it) or the store failed", "worker": n, "submission": id, "attempt": attempt)
            }
        }
        drop(permit);
    }
    info!("worker stopped", "worker": n);
}

/// Judge one job to completion and store its verdict; returns it, or None when the lease was
/// lost (the verdict was not stored: another worker owns the job now).
async fn judge(app: &App, job: Job) -> Option<String> {
    let beat = Duration::from_secs_f64(app.cfg.lease / 3.0);
    let heartbeat = async {
        loop {
            tokio::time::sleep(beat).await;
            match app.db.heartbeat(&job).await {
                Ok(true) => {}
                Ok(false) => return,
                // A failed renewal is retried; the lease is only lost when it expires.
                Err(e) => warn!("heartbeat failed", "submission": job.id, "error": e),
            }
        }
    };
    // Dropping the judging future on a lost lease kills its sandbox run (kill_on_drop).
    let (verdict, compile_output) = tokio::select! {
        r = judge_inner(app, &job) => match r {
            Ok(v) => v,
            Err(e) if e == LOST => return None,
            Err(e) => {
                warn!("judge error", "submission": job.id, "error": e);
                ("XX".to_string(), Some(e))
            }
        },
        _ = heartbeat => return None,
    };
    match app.db.finish(&job, &verdict, compile_output.as_deref()).await {
        Ok(true) => Some(verdict),
        Ok(false) => None,
        Err(e) => {
            warn!("finish failed", "submission": job.id, "error": e);
            None
        }
    }
}

const LOST: &str = "lease lost";

async fn judge_inner(app: &App, job: &Job) -> Result<(String, Option<String>), String> {
    let p: Problem = app.db.problem(&job.problem).await.ok_or("problem vanished")?;
    let lang = crate::lang::find(&job.language).ok_or("language vanished")?;
    let mut dir = app.runner.job_dir()?;
    std::fs::write(dir.work.join(lang.file), &job.source).map_err(|e| format!("source: {e}"))?;
    if let Some(cmd) = lang.compile {
        if let Err(out) = app.runner.compile(&mut dir, cmd, lang.ro_binds).await {
            return Ok(("CE".into(), Some(out)));
        }
    }
    let lim = Limits { time: p.time_limit, memory: p.memory_limit, output: p.output_limit };
    let mut first_bad: Option<String> = None;
    for (i, t) in p.tests.iter().enumerate() {
        let o = app.runner.run(&mut dir, lim, lang.run, lang.ro_binds, t.input.as_bytes()).await;
        let verdict = match o.status.as_str() {
            "OK" if check(&p.checker, &o.stdout_raw, t.output.as_bytes()) => "AC",
            "OK" => "WA",
            other => other,
        };
        let message = match verdict {
            "SV" => format!("forbidden system call: {}", o.syscall.clone().unwrap_or_default()),
            "AC" | "WA" => String::new(),
            _ => o.message.clone().unwrap_or_default(),
        };
        let stored = app
            .db
            .put_result(
                job,
                &TestResult { test: i + 1, verdict: verdict.into(), time: o.time, memory: o.memory, message },
            )
            .await
            .map_err(|e| format!("result: {e}"))?;
        if !stored {
            return Err(LOST.into());
        }
        if verdict != "AC" && first_bad.is_none() {
            first_bad = Some(verdict.to_string());
        }
    }
    Ok((first_bad.unwrap_or_else(|| "AC".into()), None))
}

/// `exact`: byte for byte. `whitespace`: the same tokens, whatever whitespace separates them.
pub fn check(checker: &str, got: &[u8], want: &[u8]) -> bool {
    match checker {
        "exact" => got == want,
        _ => got
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .eq(want.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty())),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn checkers() {
        assert!(check("exact", b"3\n", b"3\n"));
        assert!(!check("exact", b"3", b"3\n"));
        assert!(!check("exact", b"3 \n", b"3\n"));
        assert!(check("whitespace", b"1\n2\t3  \n\n", b"1 2 3\n"));
        assert!(!check("whitespace", b"1 2", b"1 2 3\n"));
        assert!(!check("whitespace", b"12 3", b"1 23"));
        assert!(check("whitespace", b"", b"\n"));
    }
}
