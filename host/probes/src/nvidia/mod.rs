//! NVIDIA probe (provider `nvidia`): NVML loaded at run time first, `nvidia-smi` CSV as fallback.
//!
//! ```text
//!   SourceChoice::Api/Auto ──► nvml::collect (dlopen libnvidia-ml.so.1, blocking thread, timeout)
//!            │ error                     │ ok ──► source "nvml"
//!            ▼
//!   SourceChoice::Cli/Auto ──► nvidia-smi --query-gpu=<SMI_FIELDS> --format=csv,noheader,nounits
//!                               (a driver that rejects a field: retried with SMI_BASE_FIELDS)
//!                               ──► smi::parse_smi_csv ──► source "nvidia-smi"
//! ```
//!
//! Data: `{"devices":[device…],"driver_version":str|null,"source":"nvml"|"nvidia-smi",
//! "truncated":bool}` plus `api_error` when nvidia-smi answered after NVML failed. A device is
//! `{"index","uuid","name","memory_total_mb","memory_used_mb","utilization_gpu_pct",
//! "temperature_c"}` (the upstream seven) plus the extra fields `power_draw_w`, `power_limit_w`
//! (watts, float) and `mig_mode` (`enabled`/`disabled`); any value the GPU does not report is
//! `null`. Memory is MiB by integer division of bytes (NVML) or as printed (nvidia-smi). NVML's
//! "used" is the v2 reading, which like nvidia-smi excludes driver-reserved memory.

pub mod nvml;
pub mod smi;

use serde_json::{json, Map, Value};

use crate::model::ProbeResult;
use crate::options::SnapshotOptions;

/// Provider name.
pub const PROVIDER: &str = "nvidia";
/// Upstream's error text when neither path is available (a detail follows after `: `).
pub const UNAVAILABLE: &str = "NVML and nvidia-smi unavailable";
/// Error text when some nvidia-smi rows or cells could not be used.
pub const MALFORMED: &str = "one or more nvidia-smi rows were malformed";

/// One GPU in normalised form.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuDevice {
    /// Device index.
    pub index: u32,
    /// GPU UUID (`GPU-…`).
    pub uuid: Option<String>,
    /// Product name.
    pub name: Option<String>,
    /// Total framebuffer memory, MiB.
    pub memory_total_mb: u64,
    /// Used framebuffer memory, MiB.
    pub memory_used_mb: u64,
    /// GPU utilisation, percent.
    pub utilization_gpu_pct: Option<u32>,
    /// GPU core temperature, °C.
    pub temperature_c: Option<u32>,
    /// Power draw, watts (extra field).
    pub power_draw_w: Option<f64>,
    /// Enforced power limit, watts (extra field).
    pub power_limit_w: Option<f64>,
    /// Current MIG mode, `enabled`/`disabled` (extra field).
    pub mig_mode: Option<String>,
}

impl GpuDevice {
    /// The device object of the snapshot data.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "index": self.index,
            "uuid": self.uuid,
            "name": self.name,
            "memory_total_mb": self.memory_total_mb,
            "memory_used_mb": self.memory_used_mb,
            "utilization_gpu_pct": self.utilization_gpu_pct,
            "temperature_c": self.temperature_c,
            "power_draw_w": self.power_draw_w,
            "power_limit_w": self.power_limit_w,
            "mig_mode": self.mig_mode,
        })
    }
}

/// What one path read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuReport {
    /// Devices in index order.
    pub devices: Vec<GpuDevice>,
    /// Driver version, when known.
    pub driver_version: Option<String>,
    /// Whether some rows/cells were malformed (nvidia-smi only).
    pub malformed: bool,
}

/// Runs the nvidia probe.
///
/// Cancel safety: dropping the future kills any child process it started; no state is kept
/// between calls, so a later call starts afresh.
pub async fn probe_nvidia(opts: &SnapshotOptions) -> ProbeResult {
    let mut api_error = None;
    if opts.nvidia_source.tries_api() {
        match nvml::collect_async(opts).await {
            Ok(report) => return answered("nvml", report, opts.max_devices, None),
            Err(e) => api_error = Some(e),
        }
    }
    if !opts.nvidia_source.tries_cli() {
        let reason = api_error.unwrap_or_default();
        return ProbeResult::skipped(PROVIDER, format!("NVML unavailable: {reason}"));
    }
    match smi::query(&opts.exec).await {
        Ok(Ok(report)) => answered("nvidia-smi", report, opts.max_devices, api_error),
        Ok(Err(failure)) => {
            let data = data_of("nvidia-smi", &GpuReport::default(), false, api_error);
            ProbeResult::new(PROVIDER, data, Some(failure))
        }
        Err(e) => {
            let detail = match &api_error {
                Some(api) => format!("nvml: {api}; cli: {e}"),
                None => format!("cli: {e}"),
            };
            ProbeResult::skipped(PROVIDER, format!("{UNAVAILABLE}: {detail}"))
        }
    }
}

fn answered(
    source: &str,
    mut report: GpuReport,
    max: usize,
    api_error: Option<String>,
) -> ProbeResult {
    let truncated = report.devices.len() > max;
    report.devices.truncate(max);
    let error = report.malformed.then(|| MALFORMED.to_owned());
    let data = data_of(source, &report, truncated, api_error);
    ProbeResult::new(PROVIDER, data, error)
}

fn data_of(source: &str, report: &GpuReport, truncated: bool, api_error: Option<String>) -> Value {
    let mut data = Map::new();
    data.insert(
        "devices".into(),
        report.devices.iter().map(GpuDevice::to_json).collect(),
    );
    data.insert(
        "driver_version".into(),
        report.driver_version.clone().into(),
    );
    data.insert("source".into(), source.into());
    data.insert("truncated".into(), truncated.into());
    if let Some(api) = api_error {
        data.insert("api_error".into(), api.into());
    }
    Value::Object(data)
}

/// Converts milliwatts to watts.
#[must_use]
pub fn milliwatts_to_watts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

/// Converts bytes to MiB by integer division.
#[must_use]
pub fn bytes_to_mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}
