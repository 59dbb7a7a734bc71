//! Structured logs: one JSON object per line on stderr (journald and log shippers take it
//! as is).

use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

pub fn log(level: &str, msg: &str, fields: Value) {
    let mut o = json!({"ts": (now() * 1000.0).round() / 1000.0, "level": level, "msg": msg});
    if let (Some(o), Value::Object(f)) = (o.as_object_mut(), fields) {
        o.extend(f);
    }
    eprintln!("{o}");
}

#[macro_export]
macro_rules! info {
    ($msg:expr) => { $crate::log::log("info", $msg, serde_json::json!({})) };
    ($msg:expr, $($f:tt)+) => { $crate::log::log("info", $msg, serde_json::json!({$($f)+})) };
}
#[macro_export]
macro_rules! warn {
    ($msg:expr) => { $crate::log::log("warn", $msg, serde_json::json!({})) };
    ($msg:expr, $($f:tt)+) => { $crate::log::log("warn", $msg, serde_json::json!({$($f)+})) };
}
