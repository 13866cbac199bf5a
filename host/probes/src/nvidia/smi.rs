//! `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` fallback and its tolerant parser.
//!
//! Rows are split on `,` and trimmed. A cell reading `N/A`, `[N/A]`, `NA`, `none`, `unknown`,
//! `[Not Supported]`, any other `[…]` marker, or blank is `null`; so is a number that does not
//! parse. A row with fewer cells than queried fields, or whose index is `null`, is skipped; a
//! `null` memory cell reads 0. Each of those marks the report malformed (error
//! [`super::MALFORMED`], status `degraded`), the other devices are kept.

use crate::exec::{ExecConfig, ExecError};

use super::{GpuDevice, GpuReport};

/// Fields queried by default: the upstream seven, then the extras.
pub const SMI_FIELDS: [&str; 11] = [
    "index",
    "uuid",
    "name",
    "memory.total",
    "memory.used",
    "utilization.gpu",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "mig.mode.current",
    "driver_version",
];
/// The upstream seven fields, queried again when the driver rejects one of [`SMI_FIELDS`].
pub const SMI_BASE_FIELDS: [&str; 7] = [
    "index",
    "uuid",
    "name",
    "memory.total",
    "memory.used",
    "utilization.gpu",
    "temperature.gpu",
];

/// Runs the query. Outer error: nvidia-smi could not be run (absent, timed out, …). Inner
/// error: it ran and failed (its error text).
///
/// # Errors
/// See above.
///
/// Cancel safety: dropping the future kills the running nvidia-smi.
pub async fn query(exec: &ExecConfig) -> Result<Result<GpuReport, String>, ExecError> {
    let mut out = run_fields(exec, &SMI_FIELDS).await?;
    let mut fields: &[&str] = &SMI_FIELDS;
    if !out.success() && out.error_text().contains("valid field") {
        out = run_fields(exec, &SMI_BASE_FIELDS).await?;
        fields = &SMI_BASE_FIELDS;
    }
    if !out.success() {
        return Ok(Err(out.error_text()));
    }
    Ok(Ok(parse_smi_csv(fields, &out.stdout)))
}

async fn run_fields(
    exec: &ExecConfig,
    fields: &[&str],
) -> Result<crate::exec::CommandOutput, ExecError> {
    let query = format!("--query-gpu={}", fields.join(","));
    exec.run(
        "nvidia-smi",
        &[query.as_str(), "--format=csv,noheader,nounits"],
    )
    .await
}

/// Whether a cell is one of nvidia-smi's "no value" markers.
#[must_use]
pub fn is_null_cell(cell: &str) -> bool {
    let c = cell.trim();
    if c.is_empty() || (c.starts_with('[') && c.ends_with(']')) {
        return true;
    }
    matches!(
        c.to_ascii_lowercase().as_str(),
        "n/a" | "na" | "none" | "unknown" | "not supported"
    )
}

/// The cell as text, `None` for a null marker.
fn text_cell(cell: &str) -> Option<String> {
    (!is_null_cell(cell)).then(|| cell.trim().to_owned())
}

/// The numeric part of a cell (`"143771"`, also `"143771 MiB"` when units were not stripped).
fn numeric_part(cell: &str) -> Option<&str> {
    if is_null_cell(cell) {
        return None;
    }
    cell.split_whitespace().next()
}

/// An unsigned integer cell.
#[must_use]
pub fn int_cell(cell: &str) -> Option<u64> {
    numeric_part(cell)?.parse().ok()
}

/// A decimal cell (finite values only).
#[must_use]
pub fn float_cell(cell: &str) -> Option<f64> {
    numeric_part(cell)?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Parses CSV rows whose columns are `fields` (as passed to `--query-gpu`, any order; unknown
/// fields are ignored, absent ones read `null`).
#[must_use]
pub fn parse_smi_csv(fields: &[&str], text: &str) -> GpuReport {
    let col = |name: &str| fields.iter().position(|f| *f == name);
    let (i_index, i_uuid, i_name) = (col("index"), col("uuid"), col("name"));
    let (i_total, i_used) = (col("memory.total"), col("memory.used"));
    let (i_util, i_temp) = (col("utilization.gpu"), col("temperature.gpu"));
    let (i_draw, i_limit) = (col("power.draw"), col("power.limit"));
    let (i_mig, i_driver) = (col("mig.mode.current"), col("driver_version"));
    let mut report = GpuReport::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() < fields.len() {
            report.malformed = true;
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i).copied()).unwrap_or("");
        let Some(index) = int_cell(cell(i_index)).and_then(|v| u32::try_from(v).ok()) else {
            report.malformed = true;
            continue;
        };
        let total = int_cell(cell(i_total));
        let used = int_cell(cell(i_used));
        if total.is_none() || used.is_none() {
            report.malformed = true;
        }
        if report.driver_version.is_none() {
            report.driver_version = text_cell(cell(i_driver));
        }
        let small = |i| int_cell(cell(i)).and_then(|v| u32::try_from(v).ok());
        report.devices.push(GpuDevice {
            index,
            uuid: text_cell(cell(i_uuid)),
            name: text_cell(cell(i_name)),
            memory_total_mb: total.unwrap_or(0),
            memory_used_mb: used.unwrap_or(0),
            utilization_gpu_pct: small(i_util),
            temperature_c: small(i_temp),
            power_draw_w: float_cell(cell(i_draw)),
            power_limit_w: float_cell(cell(i_limit)),
            mig_mode: text_cell(cell(i_mig)).map(|m| m.to_ascii_lowercase()),
        });
    }
    report
}
