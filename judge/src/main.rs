//! judge: an online compiler and judge service. HTTP API + web page (axum), SQLite (one
//! process) or PostgreSQL (`api` and `worker` processes on several machines) as store and job
//! queue, a worker pool; every program is compiled and run by the `sandbox` launcher, never
//! by this process. See README "Judge service".

mod api;
mod config;
mod db;
mod lang;
mod log;
mod metrics;
mod pg;
mod runner;
mod store;
mod worker;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify, Semaphore};

pub struct App {
    pub cfg: config::Config,
    pub db: store::Store,
    pub runner: runner::Runner,
    /// Concurrent sandbox runs: queue workers and /api/run share them.
    pub slots: Arc<Semaphore>,
    /// A submission was queued.
    pub wake: Notify,
    /// Set on SIGTERM/SIGINT.
    pub stop: watch::Sender<bool>,
    pub metrics: metrics::Metrics,
    pub buckets: Mutex<HashMap<IpAddr, (f64, f64)>>,
}

/// The sample problems that ship with the service (put into the database at every start).
const PROBLEMS: &[&str] = &[include_str!("../problems/aplusb.toml"), include_str!("../problems/sort.toml")];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match config::Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("judge: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    if let Err(e) = rt.block_on(serve(cfg)) {
        log::log("error", "fatal", serde_json::json!({"error": e}));
        std::process::exit(1);
    }
}

async fn serve(cfg: config::Config) -> Result<(), String> {
    let db = if cfg.database.is_empty() {
        store::Store::Sqlite(db::Db::open(&cfg.db)?)
    } else {
        store::Store::Pg(pg::Pg::connect(&cfg.database, cfg.lease, cfg.worker_id.clone()).await?)
    };
    for text in PROBLEMS {
        let p: db::Problem = toml::from_str(text).map_err(|e| format!("sample problem: {e}"))?;
        db.put_problem(&p).await?;
    }
    // SQLite: this process is the only one, so whatever is `running` was left by a killed
    // predecessor. PostgreSQL: other workers may be judging; expired leases do this instead.
    let requeued = match &db {
        store::Store::Sqlite(d) => d.requeue_running().map_err(|e| format!("db: {e}"))?,
        store::Store::Pg(_) => 0,
    };
    let mut runner = runner::Runner {
        sandbox: cfg.sandbox.clone(),
        work_root: cfg.work_root.clone(),
        output_cap: runner::OutputCap::Fsize,
        box_mode: 0o700,
        capture: cfg.capture,
        compile_time: cfg.compile_time,
        cgroup_root: cfg.cgroup_root.clone(),
    };
    runner.prepare().await?;
    let listener =
        tokio::net::TcpListener::bind(&cfg.listen).await.map_err(|e| format!("listen {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, _) = watch::channel(false);
    let app = Arc::new(App {
        slots: Arc::new(Semaphore::new(cfg.workers)),
        metrics: metrics::Metrics::default(),
        wake: Notify::new(),
        stop,
        buckets: Mutex::new(HashMap::new()),
        db,
        runner,
        cfg,
    });
    let queued = app.db.queued().await;
    app.metrics.queued.store(queued as i64, std::sync::atomic::Ordering::Relaxed);
    let judges = app.cfg.role != "api";
    info!("listening", "url": format!("http://{addr}/"), "role": app.cfg.role, "workers": app.cfg.workers,
          "store": app.db.kind(), "db": if app.cfg.database.is_empty() { app.cfg.db.display().to_string() } else { app.cfg.database.clone() },
          "worker_id": if judges && app.db.kind() == "postgres" { Some(&app.cfg.worker_id) } else { None },
          "sandbox": app.cfg.sandbox.display().to_string(), "output_cap": format!("{:?}", app.runner.output_cap),
          "box_mode": format!("{:o}", app.runner.box_mode), "requeued": requeued, "queued": queued);
    let workers: Vec<_> = if judges {
        (0..app.cfg.workers).map(|n| tokio::spawn(worker::worker(app.clone(), n))).collect()
    } else {
        Vec::new()
    };
    let a = app.clone();
    let shutdown = async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        let sig = tokio::select! { _ = term.recv() => "SIGTERM", _ = int.recv() => "SIGINT" };
        info!("stopping: running jobs finish, queued ones stay queued", "signal": sig);
        a.stop.send_replace(true);
    };
    let router = if app.cfg.role == "worker" { api::worker_router(app.clone()) } else { api::router(app.clone()) };
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("serve: {e}"))?;
    for w in workers {
        let _ = w.await;
    }
    info!("stopped", "queued": app.db.queued().await);
    Ok(())
}
