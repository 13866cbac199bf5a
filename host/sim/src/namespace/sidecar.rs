//! Sidecar adapters: `/bus/<adapter>/{ctl,telemetry,link,replay,spool}` and
//! `/lora/<adapter>/{ctl,telemetry,tamper}` (regression manifest: `modbus-main`, `lora-main`).
//! `worker-bus` may write only under `/bus`, `worker-lora` only under `/lora`.

use cohesix_core::role::Role;

use super::bounds::{LineStore, SPOOL_MAX_ENTRIES};
use super::error::{NsError, NsResult};
use super::Namespace;

/// Bus adapters served.
pub const BUS_ADAPTERS: [&str; 1] = ["modbus-main"];
/// LoRa adapters served.
pub const LORA_ADAPTERS: [&str; 1] = ["lora-main"];

/// Sidecar state: the spool keeps at most [`SPOOL_MAX_ENTRIES`] entries (evict-oldest);
/// control and link writes are counted, not kept.
#[derive(Debug, Clone)]
pub struct Sidecars {
    spool: LineStore,
    replayed: usize,
    bus_ctl: u64,
    link: u64,
    lora_ctl: u64,
    spool_evicted: u64,
}

impl Default for Sidecars {
    fn default() -> Self {
        Self {
            spool: LineStore::new(SPOOL_MAX_ENTRIES, usize::MAX),
            replayed: 0,
            bus_ctl: 0,
            link: 0,
            lora_ctl: 0,
            spool_evicted: 0,
        }
    }
}

impl Sidecars {
    /// Spool entries evicted (a replay drains, it does not evict).
    pub fn spool_evicted(&self) -> u64 {
        self.spool_evicted
    }
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
                "link" => Some(vec![format!("link=up writes={}", s.link)]),
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
            ["bus", _, "telemetry"] => s.spool_evicted += s.spool.push(payload),
            ["bus", _, "replay"] => s.replayed = s.spool.clear(),
            ["bus", _, "ctl"] => s.bus_ctl = s.bus_ctl.saturating_add(1),
            ["bus", _, "link"] => s.link = s.link.saturating_add(1),
            ["lora", _, "ctl"] => s.lora_ctl = s.lora_ctl.saturating_add(1),
            ["bus", _, "spool"] | ["lora", _, "telemetry" | "tamper"] => {
                return Err(NsError::Denied)
            }
            _ => return Err(NsError::InvalidPath),
        }
        Ok(())
    }
}
