//! Sidecar adapters: `/bus/<adapter>/{ctl,telemetry,link,replay,spool}` and
//! `/lora/<adapter>/{ctl,telemetry,tamper}` (regression manifest: `modbus-main`, `lora-main`).
//! `worker-bus` may write only under `/bus`, `worker-lora` only under `/lora`.

use cohesix_core::role::Role;

use super::error::{NsError, NsResult};
use super::Namespace;

/// Bus adapters served.
pub const BUS_ADAPTERS: [&str; 1] = ["modbus-main"];
/// LoRa adapters served.
pub const LORA_ADAPTERS: [&str; 1] = ["lora-main"];

/// Sidecar state.
#[derive(Debug, Clone, Default)]
pub struct Sidecars {
    spool: Vec<String>,
    replayed: usize,
    bus_ctl: Vec<String>,
    link: Vec<String>,
    lora_ctl: Vec<String>,
}

impl Namespace {
    pub(super) fn sidecar_list(&self, c: &[&str]) -> Option<Vec<String>> {
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match c {
            ["bus"] => Some(strs(&BUS_ADAPTERS)),
            ["lora"] => Some(strs(&LORA_ADAPTERS)),
            ["bus", a] if BUS_ADAPTERS.contains(a) => {
                Some(strs(&["ctl", "telemetry", "link", "replay", "spool"]))
            }
            ["lora", a] if LORA_ADAPTERS.contains(a) => Some(strs(&["ctl", "telemetry", "tamper"])),
            _ => None,
        }
    }

    pub(super) fn sidecar_read(&self, c: &[&str]) -> Option<Vec<String>> {
        let s = &self.sidecars;
        match c {
            ["bus", a, node] if BUS_ADAPTERS.contains(a) => match *node {
                "spool" => Some(vec![format!("entries={}", s.spool.len())]),
                "replay" => Some(vec![format!("entries={}", s.replayed)]),
                "link" => Some(vec![format!("link=up writes={}", s.link.len())]),
                _ => None,
            },
            ["lora", a, node] if LORA_ADAPTERS.contains(a) => match *node {
                "telemetry" => Some(vec!["rssi_dbm=-90 snr_db=7".to_string()]),
                "tamper" => Some(vec!["tamper=none".to_string()]),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn sidecar_append(&mut self, c: &[&str], payload: &str, role: Role) -> NsResult<()> {
        let kind = c.first().copied().unwrap_or("");
        let allowed = match role {
            Role::Queen => true,
            Role::WorkerBus => kind == "bus",
            Role::WorkerLora => kind == "lora",
            _ => false,
        };
        if self.sidecar_list(&c[..c.len().min(2)]).is_none() {
            return Err(NsError::InvalidPath);
        }
        if !allowed {
            self.log.push(format!(
                "sidecar-deny kind={kind} role={} path=/{}",
                role.label(),
                c.join("/")
            ));
            return Err(NsError::Denied);
        }
        let s = &mut self.sidecars;
        match c {
            ["bus", _, "telemetry"] => s.spool.push(payload.to_string()),
            ["bus", _, "replay"] => {
                s.replayed = s.spool.len();
                s.spool.clear();
            }
            ["bus", _, "ctl"] => s.bus_ctl.push(payload.to_string()),
            ["bus", _, "link"] => s.link.push(payload.to_string()),
            ["lora", _, "ctl"] => s.lora_ctl.push(payload.to_string()),
            ["bus", _, "spool"] | ["lora", _, "telemetry" | "tamper"] => {
                return Err(NsError::Denied)
            }
            _ => return Err(NsError::InvalidPath),
        }
        Ok(())
    }
}
