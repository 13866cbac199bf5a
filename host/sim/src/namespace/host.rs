//! `/host/<provider>/...` control and status nodes, plus `/host/tickets/*` (host-surface §4.3).

use std::collections::BTreeMap;

use cohesix_core::control::HostTicket;
use cohesix_generated::ecosystem::host::tickets::{
    ACTION_ALLOWLIST, MAX_LINE_BYTES, RESULT_SCHEMA,
};
use serde::Deserialize;

use super::bounds::{LineStore, HOST_CONTROL_MAX_LINES};
use super::error::{NsError, NsResult};
use super::json::parse_strict;

/// Providers in listing order (`ecosystem.host.providers`).
pub const PROVIDERS: &[&str] = cohesix_generated::ecosystem::host::PROVIDERS;

/// A `host-ticket-result/v1` receipt (`/host/tickets/{status,deadletter}`; no core type:
/// the host-ticket agent writes them, no client of this crate does).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TicketResult {
    schema: String,
    id: String,
    idempotency_key: String,
    action: String,
    state: String,
    message: Option<String>,
}

/// A `/host/tickets/spec` line: the core's `host-ticket/v1` decoder, then the target's
/// rules the client does not apply: the manifest's action allowlist and line bound.
///
/// **Stricter than the real target on ids**: `ticket_id` and `idempotency_key` follow the
/// core's identifier rule (at most 32 bytes of `[A-Za-z0-9._-]`, as every identifier the
/// client writes), where the 0.9 target accepts 128 bytes including `:`. Clients of this
/// stack cannot write such ids, so the simulator refuses them rather than keep a second
/// ticket schema.
fn check_ticket(payload: &str) -> NsResult<()> {
    let t = HostTicket::decode(payload.as_bytes())?;
    let fits = payload.len() < MAX_LINE_BYTES;
    if !fits || !ACTION_ALLOWLIST.contains(&t.action) {
        return Err(NsError::InvalidPayload);
    }
    Ok(())
}

/// Host node kind.
#[derive(Debug, Clone)]
pub enum HostNode {
    /// Read-only status lines.
    Status(Vec<String>),
    /// Append-only control node; keeps the newest [`HOST_CONTROL_MAX_LINES`] lines written
    /// and counts every write.
    Control {
        /// Kept lines.
        lines: LineStore,
        /// Writes since boot.
        writes: u64,
    },
}

fn control() -> HostNode {
    HostNode::Control {
        lines: LineStore::new(HOST_CONTROL_MAX_LINES, usize::MAX),
        writes: 0,
    }
}

/// The `/host` subtree.
#[derive(Debug, Clone)]
pub struct Host {
    /// Nodes by full path.
    pub nodes: BTreeMap<String, HostNode>,
    /// Whether `/host/tickets` is served.
    pub tickets: bool,
}

impl Host {
    /// The seeded demo tree.
    pub fn new(tickets: bool) -> Self {
        let mut nodes = BTreeMap::new();
        let mut status = |p: &str, l: &str| {
            nodes.insert(p.to_string(), HostNode::Status(vec![l.to_string()]));
        };
        status(
            "/host/systemd/cohesix-agent.service/status",
            "unit=cohesix-agent.service state=active restarts=0",
        );
        status(
            "/host/k8s/node/node-1/status",
            "node=node-1 state=Ready schedulable=yes",
        );
        status(
            "/host/docker/cohesix-sidecar/status",
            "container=cohesix-sidecar state=running",
        );
        status(
            "/host/nvidia/gpu/0/status",
            "gpu=0 util_pct=0 mem_used_mb=0 temp_c=40",
        );
        status(
            "/host/nvidia/gpu/1/status",
            "gpu=1 util_pct=0 mem_used_mb=0 temp_c=41",
        );
        let controls = [
            "/host/systemd/cohesix-agent.service/start",
            "/host/systemd/cohesix-agent.service/stop",
            "/host/systemd/cohesix-agent.service/restart",
            "/host/k8s/node/node-1/cordon",
            "/host/k8s/node/node-1/drain",
            "/host/docker/cohesix-sidecar/restart",
            "/host/docker/cohesix-sidecar/stop",
        ];
        for c in controls {
            nodes.insert(c.to_string(), control());
        }
        if tickets {
            for n in ["spec", "status", "deadletter"] {
                nodes.insert(format!("/host/tickets/{n}"), control());
            }
        }
        Self { nodes, tickets }
    }

    /// Children of directory `path` (`/host` keeps provider order).
    pub fn list(&self, path: &str) -> Option<Vec<String>> {
        if path == "/host" {
            let mut v: Vec<String> = PROVIDERS.iter().map(|s| s.to_string()).collect();
            if self.tickets {
                v.push("tickets".into());
            }
            return Some(v);
        }
        if path == "/host/tickets" && self.tickets {
            return Some(
                [
                    "spec",
                    "status",
                    "deadletter",
                    "spec.snapshot",
                    "status.snapshot",
                    "deadletter.snapshot",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            );
        }
        let prefix = format!("{path}/");
        let mut out: Vec<String> = Vec::new();
        for key in self.nodes.keys() {
            if let Some(rest) = key.strip_prefix(&prefix) {
                let child = rest.split('/').next().unwrap_or(rest).to_string();
                if !out.contains(&child) {
                    out.push(child);
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// Lines of a readable node.
    pub fn read(&self, path: &str) -> Option<Vec<String>> {
        if let Some(base) = path
            .strip_prefix("/host/tickets/")
            .and_then(|n| n.strip_suffix(".snapshot"))
        {
            return match self.nodes.get(&format!("/host/tickets/{base}")) {
                Some(HostNode::Control { lines, .. }) => Some(lines.to_vec()),
                _ => None,
            };
        }
        match self.nodes.get(path) {
            Some(HostNode::Status(lines)) => Some(lines.clone()),
            _ => None,
        }
    }

    /// Whether `path` is an append-only control node.
    pub fn is_control(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(HostNode::Control { .. }))
    }

    /// Control lines evicted over all nodes.
    pub fn evicted(&self) -> u64 {
        self.nodes
            .values()
            .map(|n| match n {
                HostNode::Control { lines, .. } => lines.evicted_lines(),
                HostNode::Status(_) => 0,
            })
            .sum()
    }

    /// Appends to a control node (caller has done role and policy checks).
    pub fn append(&mut self, path: &str, payload: &str) -> NsResult<()> {
        match path {
            "/host/tickets/spec" => check_ticket(payload)?,
            "/host/tickets/status" | "/host/tickets/deadletter" => {
                let r: TicketResult = parse_strict(payload)?;
                if r.schema != RESULT_SCHEMA {
                    return Err(NsError::InvalidPayload);
                }
            }
            _ => {}
        }
        let Some(HostNode::Control { lines, writes }) = self.nodes.get_mut(path) else {
            return Err(NsError::InvalidPath);
        };
        lines.push(payload);
        *writes = writes.saturating_add(1);
        let restarts = *writes;
        if let Some(unit) = path
            .strip_prefix("/host/systemd/")
            .and_then(|r| r.strip_suffix("/restart"))
        {
            self.nodes.insert(
                format!("/host/systemd/{unit}/status"),
                HostNode::Status(vec![format!(
                    "unit={unit} state=active restarts={restarts}"
                )]),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_and_restart_status() {
        let mut h = Host::new(false);
        assert_eq!(
            h.list("/host").unwrap(),
            vec!["systemd", "k8s", "docker", "nvidia"]
        );
        assert_eq!(h.list("/host/k8s/node").unwrap(), vec!["node-1"]);
        let p = "/host/systemd/cohesix-agent.service/restart";
        assert!(h.is_control(p));
        h.append(p, "restart").unwrap();
        assert!(h
            .read("/host/systemd/cohesix-agent.service/status")
            .unwrap()[0]
            .ends_with("restarts=1"));
        assert!(h.list("/host/tickets").is_none());
    }

    #[test]
    fn ticket_spec_is_strict() {
        let mut h = Host::new(true);
        assert_eq!(h.list("/host").unwrap().len(), 5);
        let good = r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"systemd.restart"}"#;
        h.append("/host/tickets/spec", good).unwrap();
        let full = r#"{"schema":"host-ticket/v1","id":"t2","idempotency_key":"k2","action":"gpu.lease.grant","target":"/gpu/GPU-0","args":{"ttl_s":60,"dry":true},"expires_unix_ms":1}"#;
        h.append("/host/tickets/spec", full).unwrap();
        assert_eq!(
            h.read("/host/tickets/spec.snapshot").unwrap(),
            vec![good, full]
        );
        for bad in [
            r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"rm.rf"}"#,
            r#"{"schema":"host-ticket/v2","id":"t1","idempotency_key":"k1","action":"k8s.drain"}"#,
            r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"k8s.drain","x":1}"#,
            r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"k8s.drain","args":[1]}"#,
            r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"k8s.drain","target":"relative"}"#,
            // The core's identifier rule, stricter than the 0.9 target (`:`, 128 bytes).
            r#"{"schema":"host-ticket/v1","id":"t:1","idempotency_key":"k1","action":"k8s.drain"}"#,
            r#"{"schema":"host-ticket/v1","id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","idempotency_key":"k1","action":"k8s.drain"}"#,
        ] {
            assert_eq!(
                h.append("/host/tickets/spec", bad),
                Err(NsError::InvalidPayload)
            );
        }
    }
}
