//! Strict JSON control payloads (unknown fields rejected): `/queen/ctl` (spec §3.5),
//! `/queen/{schedule,lease,export}/ctl`, `/actions/queue` and telemetry ctl
//! (host-surface §2.4).

use serde::Deserialize;
use serde_json::Value;

use super::error::{NsError, NsResult};

/// Optional worker budget.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Time to live in seconds.
    pub ttl_s: Option<u64>,
    /// Operation budget.
    pub ops: Option<u64>,
}

/// GPU lease request inside a GPU spawn.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuLeaseSpec {
    /// Target GPU id (`GPU-0`).
    pub gpu_id: String,
    /// Memory in MiB.
    pub mem_mb: u64,
    /// Stream count.
    pub streams: u64,
    /// Lease time to live.
    pub ttl_s: u64,
    /// Optional priority.
    pub priority: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpawnHeartbeat {
    #[allow(dead_code)]
    spawn: String,
    ticks: u64,
    budget: Option<Budget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpawnGpu {
    #[allow(dead_code)]
    spawn: String,
    lease: GpuLeaseSpec,
    budget: Option<Budget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Kill {
    kill: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindSpec {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bind {
    bind: BindSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MountSpec {
    service: String,
    at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mount {
    mount: MountSpec,
}

/// One `/queen/ctl` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueenCtl {
    /// `{"spawn":"heartbeat","ticks":N[,"budget":{..}]}`.
    SpawnHeartbeat {
        /// Tick count.
        ticks: u64,
        /// Optional budget.
        budget: Option<Budget>,
    },
    /// `{"spawn":"gpu","lease":{..}[,"budget":{..}]}`.
    SpawnGpu {
        /// Lease request.
        lease: GpuLeaseSpec,
        /// Optional budget.
        budget: Option<Budget>,
    },
    /// `{"kill":"<id>"}`.
    Kill(String),
    /// `{"bind":{"from":..,"to":..}}`.
    Bind {
        /// Source path.
        from: String,
        /// Destination path.
        to: String,
    },
    /// `{"mount":{"service":..,"at":..}}`.
    Mount {
        /// Service name.
        service: String,
        /// Mount point.
        at: String,
    },
}

fn strict<T: for<'de> Deserialize<'de>>(v: Value) -> NsResult<T> {
    serde_json::from_value(v).map_err(|_| NsError::InvalidPayload)
}

fn object(text: &str) -> NsResult<serde_json::Map<String, Value>> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(NsError::InvalidPayload),
    }
}

/// Parses one `/queen/ctl` payload.
pub fn parse_queen_ctl(text: &str) -> NsResult<QueenCtl> {
    let map = object(text)?;
    let kind = map.get("spawn").and_then(Value::as_str).map(str::to_owned);
    let value = Value::Object(map.clone());
    if map.contains_key("spawn") {
        return match kind.as_deref() {
            Some("heartbeat") => {
                let s: SpawnHeartbeat = strict(value)?;
                Ok(QueenCtl::SpawnHeartbeat {
                    ticks: s.ticks,
                    budget: s.budget,
                })
            }
            Some("gpu") => {
                let s: SpawnGpu = strict(value)?;
                Ok(QueenCtl::SpawnGpu {
                    lease: s.lease,
                    budget: s.budget,
                })
            }
            _ => Err(NsError::InvalidPayload),
        };
    }
    if map.contains_key("kill") {
        return Ok(QueenCtl::Kill(strict::<Kill>(value)?.kill));
    }
    if map.contains_key("bind") {
        let b: Bind = strict(value)?;
        return Ok(QueenCtl::Bind {
            from: b.bind.from,
            to: b.bind.to,
        });
    }
    if map.contains_key("mount") {
        let m: Mount = strict(value)?;
        return Ok(QueenCtl::Mount {
            service: m.mount.service,
            at: m.mount.at,
        });
    }
    Err(NsError::InvalidPayload)
}

/// `/queen/schedule/ctl` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// Request id.
    pub id: String,
    /// Role label.
    pub role: String,
    /// Priority.
    pub priority: u32,
    /// Ticks.
    pub ticks: u32,
    /// Budget in ms.
    pub budget_ms: u32,
}

/// `/queen/lease/ctl` entry (fields per op are checked by the lease table).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    /// `grant|renew|preempt|quota`.
    pub op: String,
    /// Lease id.
    pub id: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Resource.
    pub resource: Option<String>,
    /// TTL.
    pub ttl_s: Option<u32>,
    /// Priority.
    pub priority: Option<u32>,
    /// Preemption reason.
    pub reason: Option<String>,
    /// Quota: max active.
    pub max_active: Option<u32>,
    /// Quota: max preemptions.
    pub max_preemptions: Option<u32>,
}

/// `/queen/export/ctl` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// `open|close`.
    pub op: String,
    /// Export id.
    pub id: String,
    /// TTL (open).
    pub ttl_s: Option<u32>,
    /// Reason (close).
    pub reason: Option<String>,
}

/// `/actions/queue` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    /// Approval id.
    pub id: String,
    /// Gated target path.
    pub target: String,
    /// `approve|deny`.
    pub decision: String,
}

/// `/queen/telemetry/<dev>/ctl` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    /// Must be `segment`.
    pub new: String,
    /// MIME type of the segment.
    pub mime: String,
}

/// Parses a strict JSON object into `T`.
pub fn parse_strict<T: for<'de> Deserialize<'de>>(text: &str) -> NsResult<T> {
    strict(Value::Object(object(text)?))
}

/// Token rule for ids: non-empty, ≤ `max` bytes, `[A-Za-z0-9._-]`.
pub fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queen_ctl_shapes() {
        assert_eq!(
            parse_queen_ctl(r#"{"spawn":"heartbeat","ticks":3}"#),
            Ok(QueenCtl::SpawnHeartbeat {
                ticks: 3,
                budget: None
            })
        );
        assert!(matches!(
            parse_queen_ctl(r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#),
            Ok(QueenCtl::SpawnHeartbeat {
                budget: Some(Budget {
                    ttl_s: Some(30),
                    ops: None
                }),
                ..
            })
        ));
        assert!(matches!(
            parse_queen_ctl(
                r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1024,"streams":1,"ttl_s":60}}"#
            ),
            Ok(QueenCtl::SpawnGpu { .. })
        ));
        assert_eq!(
            parse_queen_ctl(r#"{"kill":"worker-2"}"#),
            Ok(QueenCtl::Kill("worker-2".into()))
        );
        assert!(matches!(
            parse_queen_ctl(r#"{"bind":{"from":"/queen","to":"/host/queen"}}"#),
            Ok(QueenCtl::Bind { .. })
        ));
        assert!(matches!(
            parse_queen_ctl(r#"{"mount":{"service":"logs","at":"/logs"}}"#),
            Ok(QueenCtl::Mount { .. })
        ));
    }

    #[test]
    fn queen_ctl_rejects_unknown_and_malformed() {
        for bad in [
            r#"{"spawn":"heartbeat","ticks":3,"extra":1}"#,
            r#"{"spawn":"heartbeat"}"#,
            r#"{"spawn":"rocket","ticks":1}"#,
            r#"{"kill":"w","also":2}"#,
            r#"{"bind":{"from":"/a"}}"#,
            r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl":3}}"#,
            "heartbeat ticks=3",
            "[1]",
            "{}",
        ] {
            assert_eq!(parse_queen_ctl(bad), Err(NsError::InvalidPayload), "{bad}");
        }
    }

    #[test]
    fn strict_control_plane_payloads() {
        let s: ScheduleRequest = parse_strict(
            r#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#,
        )
        .unwrap();
        assert_eq!(s.budget_ms, 200);
        assert!(parse_strict::<ScheduleRequest>(
            r#"{"id":"j","role":"r","priority":1,"ticks":1,"budget_ms":1,"x":0}"#
        )
        .is_err());
        assert!(parse_strict::<ExportRequest>(r#"{"op":"open","id":"e","ttl_s":3}"#).is_ok());
        assert!(is_token("job_8932", 32));
        assert!(!is_token("a b", 32));
    }
}
