//! systemd probe: `systemctl show <unit> --property=ActiveState,SubState,UnitFileState --no-pager`
//! per requested unit.
//!
//! Data: `{"services":{unit:{"status":"ok","active","sub","unit_file"}}}` (a property absent
//! from the output reads `unknown`; one present with an empty value stays `""`) or, for a unit whose query failed, `{"status":"error","error":text}`.

use serde_json::{json, Map, Value};

use crate::exec::ExecConfig;
use crate::join::join_all;
use crate::model::ProbeResult;

/// Provider name.
pub const PROVIDER: &str = "systemd";

/// Most `systemctl show` commands run at once.
pub const MAX_PARALLEL_UNITS: usize = 16;

/// Runs the probe for `units` (queried concurrently, at most [`MAX_PARALLEL_UNITS`] at a time,
/// each under the exec timeout).
///
/// Cancel safety: dropping the future kills any child process it started; no state is kept
/// between calls, so a later call starts afresh.
pub async fn probe_systemd(exec: &ExecConfig, units: &[String]) -> ProbeResult {
    let empty = || json!({ "services": {} });
    if units.is_empty() {
        return ProbeResult::new(PROVIDER, empty(), Some("no services requested".to_owned()));
    }
    if exec.find_program("systemctl").is_none() {
        return ProbeResult::new(PROVIDER, empty(), Some("systemctl unavailable".to_owned()));
    }
    let mut services = Map::new();
    let mut failed = false;
    for chunk in units.chunks(MAX_PARALLEL_UNITS) {
        let entries = join_all(chunk.iter().map(|unit| query_unit(exec, unit)).collect()).await;
        for (unit, entry) in chunk.iter().zip(entries) {
            failed |= entry.get("status").and_then(Value::as_str) != Some("ok");
            services.insert(unit.clone(), entry);
        }
    }
    let error = failed.then(|| "one or more services failed".to_owned());
    ProbeResult::new(PROVIDER, json!({ "services": services }), error)
}

/// Queries one unit; never fails, errors are reported in the returned entry.
async fn query_unit(exec: &ExecConfig, unit: &str) -> Value {
    if unit.is_empty() || unit.starts_with('-') || unit.chars().any(char::is_control) {
        return unit_error("invalid unit name");
    }
    let args = [
        "show",
        unit,
        "--property=ActiveState,SubState,UnitFileState",
        "--no-pager",
    ];
    match exec.run("systemctl", &args).await {
        Ok(out) if out.success() => parse_show(&out.stdout),
        Ok(out) => unit_error(&out.error_text()),
        Err(e) => unit_error(&e.to_string()),
    }
}

fn unit_error(text: &str) -> Value {
    json!({ "status": "error", "error": text })
}

/// Parses `key=value` lines of `systemctl show` into the per-unit entry.
#[must_use]
pub fn parse_show(text: &str) -> Value {
    let mut active = None;
    let mut sub = None;
    let mut unit_file = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let slot = match key.trim() {
            "ActiveState" => &mut active,
            "SubState" => &mut sub,
            "UnitFileState" => &mut unit_file,
            _ => continue,
        };
        *slot = Some(value.to_owned());
    }
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_owned());
    json!({
        "status": "ok",
        "active": or_unknown(active),
        "sub": or_unknown(sub),
        "unit_file": or_unknown(unit_file),
    })
}
