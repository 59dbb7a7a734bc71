//! Counters for /metrics (Prometheus text format): queue depth, verdicts since start, and
//! judge latency (submission to verdict) percentiles over the last 1000 submissions.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    /// Queued submissions (kept in step with the database; read without a query).
    pub queued: AtomicI64,
    /// /api/run requests waiting for a slot.
    pub run_waiting: AtomicI64,
    pub runs: AtomicU64,
    pub rejected: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    verdicts: BTreeMap<String, u64>,
    latencies: VecDeque<f64>,
}

impl Metrics {
    pub fn record(&self, verdict: &str, latency: f64) {
        let mut i = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *i.verdicts.entry(verdict.to_string()).or_default() += 1;
        if i.latencies.len() == 1000 {
            i.latencies.pop_front();
        }
        i.latencies.push_back(latency);
    }

    pub fn percentiles(&self) -> Option<(f64, f64, f64)> {
        let i = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<f64> = i.latencies.iter().copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Some((q(0.5), q(0.9), q(0.99)))
    }

    pub fn render(&self, workers: usize) -> String {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Relaxed;
        let mut s = String::new();
        let _ = writeln!(s, "# TYPE judge_queue_depth gauge\njudge_queue_depth {}", self.queued.load(Relaxed));
        let _ = writeln!(s, "# TYPE judge_run_waiting gauge\njudge_run_waiting {}", self.run_waiting.load(Relaxed));
        let _ = writeln!(s, "# TYPE judge_workers gauge\njudge_workers {workers}");
        let _ = writeln!(s, "# TYPE judge_runs_total counter\njudge_runs_total {}", self.runs.load(Relaxed));
        let _ =
            writeln!(s, "# TYPE judge_rejected_total counter\njudge_rejected_total {}", self.rejected.load(Relaxed));
        let _ = writeln!(s, "# TYPE judge_verdicts_total counter");
        {
            let i = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            for (v, n) in &i.verdicts {
                let _ = writeln!(s, "judge_verdicts_total{{verdict=\"{v}\"}} {n}");
            }
        }
        let _ = writeln!(s, "# TYPE judge_latency_seconds summary");
        if let Some((p50, p90, p99)) = self.percentiles() {
            for (q, v) in [("0.5", p50), ("0.9", p90), ("0.99", p99)] {
                let _ = writeln!(s, "judge_latency_seconds{{quantile=\"{q}\"}} {v:.4}");
            }
        }
        s
    }
}
