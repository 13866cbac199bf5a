//! `/gpu`: mock GPUs (`GPU-0`, `GPU-1`) with `info`, `lease`, `status`, the `bridge` entry
//! (no `info`, like the real queen) and, with PEFT on, `/gpu/models/*`.

use serde_json::{json, Value};

use super::bounds::{LineStore, GPU_STATUS_MAX_LINES};
use super::error::{NsError, NsResult};
use super::json::GpuLeaseSpec;
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

fn object(payload: &str) -> NsResult<Value> {
    match serde_json::from_str::<Value>(payload) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(NsError::InvalidPayload),
    }
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

    pub(super) fn set_lease(&mut self, spec: &GpuLeaseSpec, worker: &str, state: &str) {
        let lease = json!({
            "schema": "gpu-lease/v1",
            "state": state,
            "gpu_id": self.id,
            "worker_id": worker,
            "mem_mb": spec.mem_mb,
            "streams": spec.streams,
            "ttl_s": spec.ttl_s,
            "priority": spec.priority.unwrap_or(1),
        });
        self.lease = Some(lease.to_string());
    }

    pub(super) fn release(&mut self, worker: &str) {
        let spec = GpuLeaseSpec {
            gpu_id: self.id.clone(),
            mem_mb: 1024,
            streams: 1,
            ttl_s: 0,
            priority: Some(1),
        };
        self.set_lease(&spec, worker, "RELEASED");
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
                let v = object(payload)?;
                if *node == "lease" {
                    g.lease = Some(v.to_string());
                } else {
                    g.status.push(v.to_string());
                }
                Ok(())
            }
            [id, "info"] if self.gpus.iter().any(|g| g.id == *id) => Err(NsError::Denied),
            _ => Err(NsError::InvalidPath),
        }
    }
}
