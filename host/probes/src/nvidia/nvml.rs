//! NVML path: `libnvidia-ml` is opened with `dlopen` at run time (nvml-wrapper over
//! libloading), so the binary has no link-time driver dependency and runs where no driver is
//! installed (the probe then falls back or reports `skipped`).
//!
//! NVML calls block, so they run on tokio's blocking pool under the exec timeout. A call that
//! overruns keeps its blocking thread until NVML returns; the snapshot does not wait for it.
//!
//! The NVML client (nvml-wrapper) is compiled only with the cargo feature `nvml`; without it
//! [`collect_async`] fails at once with [`API_NOT_COMPILED`] and the probe falls back to
//! nvidia-smi. [`RawNvmlDevice`] and its normalisation exist either way.

#[cfg(feature = "nvml")]
use std::path::PathBuf;

#[cfg(feature = "nvml")]
use super::GpuReport;
use super::{bytes_to_mib, milliwatts_to_watts, GpuDevice};
use crate::options::SnapshotOptions;

/// NVML failure text when the crate was built without the `nvml` feature.
pub const API_NOT_COMPILED: &str = "NVML client not compiled in (cargo feature `nvml`)";

/// Library names tried, in order, when no explicit library is configured.
pub const DEFAULT_LIBRARIES: [&str; 2] = ["libnvidia-ml.so.1", "libnvidia-ml.so"];

/// Raw NVML readings of one device (bytes, milliwatts, raw MIG mode), before normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawNvmlDevice {
    /// Device index.
    pub index: u32,
    /// UUID.
    pub uuid: Option<String>,
    /// Product name.
    pub name: Option<String>,
    /// Total framebuffer bytes.
    pub memory_total_bytes: u64,
    /// Used framebuffer bytes.
    pub memory_used_bytes: u64,
    /// GPU utilisation, percent.
    pub util_gpu: Option<u32>,
    /// GPU temperature, °C.
    pub temperature_c: Option<u32>,
    /// Power draw, milliwatts.
    pub power_mw: Option<u32>,
    /// Enforced power limit, milliwatts.
    pub power_limit_mw: Option<u32>,
    /// Current MIG mode as NVML reports it (0 disabled, 1 enabled).
    pub mig_current: Option<u32>,
}

impl RawNvmlDevice {
    /// Normalises units: MiB by integer division, watts, MIG mode word.
    #[must_use]
    pub fn normalise(&self) -> GpuDevice {
        GpuDevice {
            index: self.index,
            uuid: self.uuid.clone(),
            name: self.name.clone(),
            memory_total_mb: bytes_to_mib(self.memory_total_bytes),
            memory_used_mb: bytes_to_mib(self.memory_used_bytes),
            utilization_gpu_pct: self.util_gpu,
            temperature_c: self.temperature_c,
            power_draw_w: self.power_mw.map(milliwatts_to_watts),
            power_limit_w: self.power_limit_mw.map(milliwatts_to_watts),
            mig_mode: self
                .mig_current
                .map(|m| if m == 0 { "disabled" } else { "enabled" }.to_owned()),
        }
    }
}

/// Reads every device (at most `max + 1`) on the blocking pool under the exec timeout.
///
/// # Errors
/// NVML could not be loaded or initialised, a required query failed, or the timeout passed;
/// without the `nvml` feature, always [`API_NOT_COMPILED`].
///
/// Cancel safety: dropping the future leaves the blocking NVML call to finish on its own;
/// its result is discarded.
#[cfg(not(feature = "nvml"))]
pub async fn collect_async(_opts: &SnapshotOptions) -> Result<super::GpuReport, String> {
    Err(API_NOT_COMPILED.to_owned())
}

/// Reads every device (at most `max + 1`) on the blocking pool under the exec timeout.
///
/// # Errors
/// NVML could not be loaded or initialised, a required query failed, or the timeout passed.
///
/// Cancel safety: dropping the future leaves the blocking NVML call to finish on its own;
/// its result is discarded.
#[cfg(feature = "nvml")]
pub async fn collect_async(opts: &SnapshotOptions) -> Result<GpuReport, String> {
    let library = opts.nvml_library.clone();
    let max = opts.max_devices;
    let timeout = opts.exec.timeout;
    let task = tokio::task::spawn_blocking(move || collect(library, max));
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(format!("NVML query panicked: {join}")),
        Err(_) => Err(format!("NVML timed out after {} ms", timeout.as_millis())),
    }
}

/// Opens NVML (explicit library, else [`DEFAULT_LIBRARIES`]).
#[cfg(feature = "nvml")]
fn open(library: Option<PathBuf>) -> Result<nvml_wrapper::Nvml, String> {
    use nvml_wrapper::Nvml;
    use std::ffi::OsStr;

    let candidates: Vec<PathBuf> = match library {
        Some(path) => vec![path],
        None => DEFAULT_LIBRARIES.iter().map(PathBuf::from).collect(),
    };
    let mut last = String::from("no NVML library candidates");
    for candidate in &candidates {
        let os: &OsStr = candidate.as_os_str();
        match Nvml::builder().lib_path(os).init() {
            Ok(nvml) => return Ok(nvml),
            Err(e) => last = format!("{}: {e}", candidate.display()),
        }
    }
    Err(format!("NVML unavailable ({last})"))
}

/// Blocking read of all devices (only with the `nvml` feature).
///
/// # Errors
/// NVML could not be loaded or initialised, or a required per-device query failed.
#[cfg(feature = "nvml")]
pub fn collect(library: Option<PathBuf>, max: usize) -> Result<GpuReport, String> {
    let nvml = open(library)?;
    let count = nvml
        .device_count()
        .map_err(|e| format!("NVML device count: {e}"))?;
    let driver_version = nvml.sys_driver_version().ok();
    let mut devices = Vec::new();
    let limit = u32::try_from(max.saturating_add(1)).unwrap_or(u32::MAX);
    for index in 0..count.min(limit) {
        let raw = read_device(&nvml, index).map_err(|e| format!("NVML device {index}: {e}"))?;
        devices.push(raw.normalise());
    }
    Ok(GpuReport {
        devices,
        driver_version,
        malformed: false,
    })
}

/// Reads one device: handle, uuid, name and memory are required, the rest optional.
#[cfg(feature = "nvml")]
fn read_device(
    nvml: &nvml_wrapper::Nvml,
    index: u32,
) -> Result<RawNvmlDevice, nvml_wrapper::error::NvmlError> {
    use nvml_wrapper::enum_wrappers::device::TemperatureSensor;

    let device = nvml.device_by_index(index)?;
    let memory = device.memory_info()?;
    Ok(RawNvmlDevice {
        index,
        uuid: Some(device.uuid()?),
        name: Some(device.name()?),
        memory_total_bytes: memory.total,
        memory_used_bytes: memory.used,
        util_gpu: device.utilization_rates().ok().map(|u| u.gpu),
        temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
        power_mw: device.power_usage().ok(),
        power_limit_mw: device
            .enforced_power_limit()
            .or_else(|_| device.power_management_limit())
            .ok(),
        mig_current: device.mig_mode().ok().map(|m| m.current),
    })
}
