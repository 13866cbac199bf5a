//! `/gpu`: mock GPUs (`GPU-0`, `GPU-1`) with `info`, `lease`, `status`, the `bridge` entry
//! (no `info`, like the real queen) and, with PEFT on, `/gpu/models/*`.
//!
//! `lease` holds one `gpu-lease/v1` document and `status` `gpu-breadcrumb/v1` lines, both
//! the core's types: the simulator encodes the lease a GPU spawn or kill writes with
//! [`GpuLease`], and a client's writes must decode as [`GpuLease`] / [`GpuBreadcrumb`]
//! (they are kept as written).

use cohesix_core::control::{GpuBreadcrumb, GpuLease, GpuLeaseSpec};
use serde_json::json;

use super::bounds::{LineStore, GPU_STATUS_MAX_LINES};
use super::error::{NsError, NsResult};
use super::Namespace;

/// Models offered under `/gpu/models/available`.
pub const AVAILABLE_MODELS: [&str; 1] = ["llama3-edge-v7"];

/// One mock GPU.
#[derive(Debug, Clone)]
pub struct Gpu {
    /// GPU id.
    pub id: String,
    info: Vec<String>,
    lease: Option<String>,
    status: LineStore,
}

/// The compact JSON of a lease document.
fn encode_lease(lease: &GpuLease<'_>) -> NsResult<String> {
    let mut buf = [0u8; GpuLease::MAX_LEN];
    let n = lease.encode(&mut buf)?;
    String::from_utf8(buf.get(..n).unwrap_or_default().to_vec())
        .map_err(|_| NsError::InvalidPayload)
}

impl Gpu {
    /// A mock GPU named `id` (`MockGPU`, 8192 MB, 80 SMs).
    pub fn mock(id: &str) -> Self {
        Self::with_info(id, "MockGPU", 8192, 80)
    }

    /// A mock MIG slice named `id` (`MockMIG`, 1024 MB, 14 SMs; host-surface §5.3).
    pub fn mock_mig(id: &str) -> Self {
        Self::with_info(id, "MockMIG", 1024, 14)
    }

    fn with_info(id: &str, name: &str, memory_mb: u32, sm_count: u32) -> Self {
        let info = json!({
            "id": id,
            "name": name,
            "memory_mb": memory_mb,
            "sm_count": sm_count,
            "driver_version": "mock",
            "runtime_version": "mock",
        });
        let pretty = serde_json::to_string_pretty(&info).unwrap_or_default();
        Self {
            id: id.to_string(),
            info: pretty.lines().map(str::to_owned).collect(),
            lease: None,
            status: LineStore::new(GPU_STATUS_MAX_LINES, usize::MAX),
        }
    }

    /// Status lines evicted.
    pub fn status_evicted(&self) -> u64 {
        self.status.evicted_lines()
    }

    /// Writes the `ACTIVE` lease of a GPU spawn for `worker` (priority 1 when unset).
    pub(super) fn grant(&mut self, spec: &GpuLeaseSpec<'_>, worker: &str) -> NsResult<()> {
        let lease = GpuLease::active(&self.id, worker).with(
            spec.mem_mb,
            spec.streams,
            spec.ttl_s,
            spec.priority.unwrap_or(1),
        );
        self.lease = Some(encode_lease(&lease)?);
        Ok(())
    }

    /// Writes the `RELEASED` lease of a killed worker (the mock's release defaults).
    pub(super) fn release(&mut self, worker: &str) -> NsResult<()> {
        self.lease = Some(encode_lease(&GpuLease::released(&self.id, worker))?);
        Ok(())
    }
}

impl Namespace {
    pub(super) fn gpu_list(&self, rest: &[&str]) -> Option<Vec<String>> {
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let peft = self.features.peft;
        match rest {
            [] => {
                let mut v = vec!["bridge".to_string()];
                v.extend(self.gpus.iter().map(|g| g.id.clone()));
                if peft {
                    v.push("models".into());
                }
                Some(v)
            }
            ["bridge"] => Some(strs(&["ctl"])),
            ["models"] if peft => Some(strs(&["active", "available"])),
            ["models", "available"] if peft => Some(strs(&AVAILABLE_MODELS)),
            ["models", "available", m] if peft && AVAILABLE_MODELS.contains(m) => {
                Some(strs(&["manifest.toml"]))
            }
            [id] => self
                .gpus
                .iter()
                .find(|g| g.id == *id)
                .map(|_| strs(&["info", "lease", "status"])),
            _ => None,
        }
    }

    pub(super) fn gpu_read(&self, rest: &[&str]) -> Option<Vec<String>> {
        let peft = self.features.peft;
        match rest {
            ["models", "active"] if peft => Some(self.models_active.clone()),
            ["models", "available", m, "manifest.toml"] if peft && AVAILABLE_MODELS.contains(m) => {
                Some(vec!["[model]".to_string(), format!("id = \"{m}\"")])
            }
            [id, node] => {
                let g = self.gpus.iter().find(|g| g.id == *id)?;
                match *node {
                    "info" => Some(g.info.clone()),
                    "lease" => Some(g.lease.clone().into_iter().collect()),
                    "status" => Some(g.status.to_vec()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub(super) fn gpu_append(&mut self, rest: &[&str], payload: &str) -> NsResult<()> {
        match rest {
            ["bridge", "ctl"] => {
                self.log.push(format!("[INFO  gpu-bridge] ctl {payload}"));
                Ok(())
            }
            ["models", "active"] if self.features.peft => {
                self.models_active = vec![payload.trim().to_string()];
                Ok(())
            }
            [id, node @ ("lease" | "status")] => {
                let g = self
                    .gpus
                    .iter_mut()
                    .find(|g| g.id == *id)
                    .ok_or(NsError::InvalidPath)?;
                let line = payload.trim();
                if *node == "lease" {
                    GpuLease::decode(line.as_bytes())?;
                    g.lease = Some(line.to_owned());
                } else {
                    GpuBreadcrumb::decode(line.as_bytes())?;
                    g.status.push(line);
                }
                Ok(())
            }
            [id, "info"] if self.gpus.iter().any(|g| g.id == *id) => Err(NsError::Denied),
            _ => Err(NsError::InvalidPath),
        }
    }
}
