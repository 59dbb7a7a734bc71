//! The worker pool: `workers` tasks, each claiming the oldest queued submission from SQLite,
//! compiling it once and running it on every test, writing each test's verdict as soon as it
//! is known (the page polls them). On shutdown a worker finishes the job it is judging and
//! takes no new one; jobs never started stay queued for the next start.

use crate::db::{Job, Problem, TestResult};
use crate::runner::Limits;
use crate::{info, warn, App};
use std::sync::Arc;
use std::time::Duration;

pub async fn worker(app: Arc<App>, n: usize) {
    let mut stop = app.stop.subscribe();
    loop {
        if *stop.borrow() {
            break;
        }
        // A slot first (shared with /api/run), then a job: a claimed job is always judged.
        let permit = tokio::select! {
            p = app.slots.clone().acquire_owned() => p.expect("semaphore is never closed"),
            _ = stop.changed() => continue,
        };
        let job = match app.db.claim(crate::log::now()) {
            Ok(j) => j,
            Err(e) => {
                warn!("claim failed", "worker": n, "error": e.to_string());
                None
            }
        };
        let Some(job) = job else {
            drop(permit);
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        app.metrics.queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let id = job.id;
        let created = job.created;
        let verdict = judge(&app, job).await;
        let now = crate::log::now();
        app.metrics.record(&verdict, now - created);
        info!("judged", "worker": n, "submission": id, "verdict": verdict, "latency": ((now - created) * 1000.0).round() / 1000.0);
        drop(permit);
    }
    info!("worker stopped", "worker": n);
}

/// Judge one job to completion and store its verdict; returns it.
async fn judge(app: &App, job: Job) -> String {
    let (verdict, compile_output) = match judge_inner(app, &job).await {
        Ok(v) => v,
        Err(e) => {
            warn!("judge error", "submission": job.id, "error": e);
            ("XX".to_string(), Some(e))
        }
    };
    if let Err(e) = app.db.finish(job.id, &verdict, compile_output.as_deref(), crate::log::now()) {
        warn!("finish failed", "submission": job.id, "error": e.to_string());
    }
    verdict
}

async fn judge_inner(app: &App, job: &Job) -> Result<(String, Option<String>), String> {
    let p: Problem = app.db.problem(&job.problem).ok_or("problem vanished")?;
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
        app.db
            .put_result(
                job.id,
                &TestResult { test: i + 1, verdict: verdict.into(), time: o.time, memory: o.memory, message },
            )
            .map_err(|e| format!("result: {e}"))?;
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
