//! The HTTP API and the page. Every bad input is a 4xx with `{"error": "..."}`; nothing a
//! client sends can crash the service (bodies are parsed by hand, not by an extractor that
//! answers in plain text).

use crate::config::parse_size;
use crate::runner::Limits;
use crate::App;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

const INDEX: &str = include_str!("../static/index.html");
const JS: &str = include_str!("../static/app.js");
const CSS: &str = include_str!("../static/style.css");

pub fn router(app: Arc<App>) -> Router {
    // Room for the largest allowed source and stdin, JSON-escaped; larger bodies get 413.
    let body_max = 2 * (app.cfg.max_source + app.cfg.max_stdin) + 65536;
    Router::new()
        .route("/", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX) }))
        .route("/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS) }))
        .route("/style.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/languages", get(languages))
        .route("/api/problems", get(problems))
        .route("/api/problems/{id}", get(problem))
        .route("/api/run", post(run))
        .route("/api/submissions", post(submit))
        .route("/api/submissions/{id}", get(submission))
        .fallback(|| async { err(StatusCode::NOT_FOUND, "no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(body_max))
        .with_state(app)
}

/// A `worker` process serves only its health and metrics.
pub fn worker_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { err(StatusCode::NOT_FOUND, "a worker serves only /healthz and /metrics".into()) })
        .with_state(app)
}

/// Queued submissions. SQLite: the counter this process keeps. PostgreSQL: other processes
/// add and take jobs, so the database is asked (and the counter set from it).
async fn queue_depth(app: &App) -> usize {
    if let crate::store::Store::Pg(_) = app.db {
        app.metrics.queued.store(app.db.queued().await as i64, Relaxed);
    }
    app.metrics.queued.load(Relaxed).max(0) as usize
}

fn err(code: StatusCode, msg: String) -> Response {
    (code, Json(json!({"error": msg}))).into_response()
}

fn busy(app: &App, what: &str) -> Response {
    app.metrics.rejected.fetch_add(1, Relaxed);
    let mut r = err(StatusCode::SERVICE_UNAVAILABLE, format!("{what} is full, try again later"));
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// Per-client token bucket for POSTs (`rate_limit` per second, burst 10×).
fn rate_limited(app: &App, addr: &SocketAddr) -> Option<Response> {
    let rate = app.cfg.rate_limit;
    if rate <= 0.0 {
        return None;
    }
    let now = crate::log::now();
    let mut b = app.buckets.lock().unwrap_or_else(|p| p.into_inner());
    if b.len() > 10000 {
        b.retain(|_, (tokens, t)| *tokens + (now - *t) * rate < rate * 10.0);
    }
    let (tokens, t) = b.entry(addr.ip()).or_insert((rate * 10.0, now));
    *tokens = (*tokens + (now - *t) * rate).min(rate * 10.0);
    *t = now;
    if *tokens < 1.0 {
        app.metrics.rejected.fetch_add(1, Relaxed);
        let mut r = err(StatusCode::TOO_MANY_REQUESTS, "too many requests from this client".into());
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Some(r);
    }
    *tokens -= 1.0;
    None
}

/// A rejected request: its status and message (small, unlike a Response).
type Bad = (StatusCode, String);

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Bad> {
    serde_json::from_slice(body).map_err(|e| (StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let queued = queue_depth(&app).await;
    Json(json!({"ok": true, "role": app.cfg.role, "store": app.db.kind(), "workers": app.cfg.workers, "queued": queued,
                "output_cap": format!("{:?}", app.runner.output_cap), "box_mode": format!("{:o}", app.runner.box_mode)}))
    .into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    queue_depth(&app).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render(app.cfg.workers)).into_response()
}

async fn languages() -> Response {
    Json(crate::lang::LANGS.iter().map(|l| json!({"id": l.id, "name": l.name, "file": l.file})).collect::<Vec<_>>())
        .into_response()
}

fn problem_json(p: &crate::db::Problem) -> Value {
    json!({"id": p.id, "title": p.title, "statement": p.statement, "time_limit": p.time_limit,
           "memory_limit": p.memory_limit, "output_limit": p.output_limit, "checker": p.checker,
           "tests": p.tests.len(), "example": p.tests.first()})
}

async fn problems(State(app): State<Arc<App>>) -> Response {
    Json(app.db.problems().await.iter().map(problem_json).collect::<Vec<_>>()).into_response()
}

async fn problem(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.db.problem(&id).await {
        Some(p) => Json(problem_json(&p)).into_response(),
        None => err(StatusCode::NOT_FOUND, format!("unknown problem {id:?}")),
    }
}

fn check_source(app: &App, language: &str, source: &str) -> Result<&'static crate::lang::Lang, Bad> {
    let Some(lang) = crate::lang::find(language) else {
        let known: Vec<_> = crate::lang::LANGS.iter().map(|l| l.id).collect();
        return Err((StatusCode::BAD_REQUEST, format!("unknown language {language:?} (known: {})", known.join(", "))));
    };
    if source.len() > app.cfg.max_source {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("source is {} bytes, over the limit of {}", source.len(), app.cfg.max_source),
        ));
    }
    Ok(lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunReq {
    language: String,
    source: String,
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    limits: LimitsReq,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsReq {
    /// CPU seconds.
    time: Option<f64>,
    /// Bytes, or a string such as "256M".
    memory: Option<Value>,
    output: Option<Value>,
}

fn size(v: &Option<Value>, what: &str, default: u64, max: u64) -> Result<u64, String> {
    let n = match v {
        None => return Ok(default),
        Some(Value::Number(n)) => n.as_u64().ok_or(format!("limits.{what}: a byte count or a size like \"64M\""))?,
        Some(Value::String(s)) => parse_size(s).map_err(|e| format!("limits.{what}: {e}"))?,
        Some(_) => return Err(format!("limits.{what}: a byte count or a size like \"64M\"")),
    };
    if n == 0 || n > max {
        return Err(format!("limits.{what} {n} is outside 1..={max} bytes"));
    }
    Ok(n)
}

fn limits(app: &App, l: &LimitsReq) -> Result<Limits, String> {
    let c = &app.cfg;
    let time = l.time.unwrap_or(c.default_time);
    if !(time > 0.0 && time <= c.max_time) {
        return Err(format!("limits.time {time} is outside (0, {}] seconds", c.max_time));
    }
    Ok(Limits {
        time,
        memory: size(&l.memory, "memory", c.default_memory, c.max_memory)?,
        output: size(&l.output, "output", c.default_output, c.max_output)?,
    })
}

async fn run(State(app): State<Arc<App>>, ConnectInfo(addr): ConnectInfo<SocketAddr>, body: Bytes) -> Response {
    if let Some(r) = rate_limited(&app, &addr) {
        return r;
    }
    let req: RunReq = match parse(&body) {
        Ok(r) => r,
        Err((c, m)) => return err(c, m),
    };
    let lang = match check_source(&app, &req.language, &req.source) {
        Ok(l) => l,
        Err((c, m)) => return err(c, m),
    };
    if req.stdin.len() > app.cfg.max_stdin {
        return err(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("stdin is {} bytes, over the limit of {}", req.stdin.len(), app.cfg.max_stdin),
        );
    }
    let lim = match limits(&app, &req.limits) {
        Ok(l) => l,
        Err(e) => return err(StatusCode::BAD_REQUEST, e),
    };
    if app.metrics.run_waiting.load(Relaxed) as usize >= app.cfg.queue_max {
        return busy(&app, "the run queue");
    }
    app.metrics.run_waiting.fetch_add(1, Relaxed);
    let permit = app.slots.clone().acquire_owned().await;
    app.metrics.run_waiting.fetch_sub(1, Relaxed);
    let _permit = permit.expect("semaphore is never closed");
    app.metrics.runs.fetch_add(1, Relaxed);
    let t0 = std::time::Instant::now();
    let mut dir = match app.runner.job_dir() {
        Ok(d) => d,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    if let Err(e) = std::fs::write(dir.work.join(lang.file), &req.source) {
        return err(StatusCode::INTERNAL_SERVER_ERROR, format!("source: {e}"));
    }
    if let Some(cmd) = lang.compile {
        if let Err(out) = app.runner.compile(&mut dir, cmd, lang.ro_binds).await {
            crate::info!("run", "client": addr.to_string(), "language": lang.id, "status": "CE");
            return Json(json!({"status": "CE", "compile_output": out})).into_response();
        }
    }
    let o = app.runner.run(&mut dir, lim, lang.run, lang.ro_binds, req.stdin.as_bytes()).await;
    crate::info!("run", "client": addr.to_string(), "language": lang.id, "status": o.status,
                 "ms": t0.elapsed().as_millis() as u64);
    let mut v = serde_json::to_value(&o).unwrap_or_default();
    v["compile_output"] = Value::Null;
    Json(v).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitReq {
    problem: String,
    language: String,
    source: String,
}

async fn submit(State(app): State<Arc<App>>, ConnectInfo(addr): ConnectInfo<SocketAddr>, body: Bytes) -> Response {
    if let Some(r) = rate_limited(&app, &addr) {
        return r;
    }
    let req: SubmitReq = match parse(&body) {
        Ok(r) => r,
        Err((c, m)) => return err(c, m),
    };
    if let Err((c, m)) = check_source(&app, &req.language, &req.source) {
        return err(c, m);
    }
    if app.db.problem(&req.problem).await.is_none() {
        return err(StatusCode::NOT_FOUND, format!("unknown problem {:?}", req.problem));
    }
    queue_depth(&app).await;
    if app.metrics.queued.fetch_add(1, Relaxed) as usize >= app.cfg.queue_max {
        app.metrics.queued.fetch_sub(1, Relaxed);
        return busy(&app, "the submission queue");
    }
    match app.db.submit(&req.problem, &req.language, &req.source, &addr.ip().to_string()).await {
        Ok(id) => {
            app.wake.notify_one();
            crate::info!("submitted", "submission": id, "problem": req.problem, "language": req.language, "client": addr.to_string());
            (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
        }
        Err(e) => {
            app.metrics.queued.fetch_sub(1, Relaxed);
            err(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}"))
        }
    }
}

async fn submission(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Ok(n) = id.parse::<i64>() else { return err(StatusCode::BAD_REQUEST, format!("bad submission id {id:?}")) };
    match app.db.submission(n).await {
        Some(v) => Json(v).into_response(),
        None => err(StatusCode::NOT_FOUND, format!("no submission {n}")),
    }
}
