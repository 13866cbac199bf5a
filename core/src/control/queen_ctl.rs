//! `/queen/ctl` commands (console spec §3.5, COHSH encodings; host-surface §8.5):
//!
//! ```text
//! {"spawn":"heartbeat","ticks":3,"budget":{"ttl_s":30,"ops":100}}
//! {"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":1,"ttl_s":120,"priority":1},"budget":{"ttl_s":120,"ops":64}}
//! {"kill":"worker-2"}
//! {"bind":{"from":"/queen","to":"/host/queen"}}
//! {"mount":{"service":"logs","at":"/logs"}}
//! ```
//!
//! An empty budget is omitted, as are unset budget fields and an unset lease priority.

use cohesix_generated::paths::QUEEN_CTL;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::token::{check_id, check_path, check_positive, check_positive_opt};
use super::{paths, ControlLine};

/// A worker budget (`"budget":{"ttl_s"?,"ops"?}`); omitted when both are unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<u32>,
    /// Operation budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops: Option<u32>,
}

impl Budget {
    /// No limits.
    pub const fn new() -> Self {
        Self {
            ttl_s: None,
            ops: None,
        }
    }

    /// Sets the lifetime.
    #[must_use]
    pub const fn ttl_s(mut self, ttl_s: u32) -> Self {
        self.ttl_s = Some(ttl_s);
        self
    }

    /// Sets the operation budget.
    #[must_use]
    pub const fn ops(mut self, ops: u32) -> Self {
        self.ops = Some(ops);
        self
    }

    /// Neither field is set (the budget is omitted on the wire).
    pub const fn is_empty(&self) -> bool {
        self.ttl_s.is_none() && self.ops.is_none()
    }

    fn validate(&self) -> Result<(), ControlError> {
        check_positive_opt("budget_ttl_s", self.ttl_s)?;
        check_positive_opt("budget_ops", self.ops)
    }
}

/// The lease of a GPU spawn (`"lease":{"gpu_id","mem_mb","streams","ttl_s","priority"?}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GpuLeaseSpec<'a> {
    /// GPU id (`GPU-0`, `MIG-0`).
    pub gpu_id: &'a str,
    /// Memory in MiB (`> 0`).
    pub mem_mb: u32,
    /// Streams (`> 0`).
    pub streams: u32,
    /// Lifetime in seconds (`> 0`).
    pub ttl_s: u32,
    /// Priority (`> 0` when set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
}

impl<'a> GpuLeaseSpec<'a> {
    /// A lease without priority (`gpu_id` trimmed).
    pub fn new(gpu_id: &'a str, mem_mb: u32, streams: u32, ttl_s: u32) -> Self {
        Self {
            gpu_id: gpu_id.trim(),
            mem_mb,
            streams,
            ttl_s,
            priority: None,
        }
    }

    /// Sets the priority.
    #[must_use]
    pub const fn priority(mut self, priority: u32) -> Self {
        self.priority = Some(priority);
        self
    }

    fn validate(&self) -> Result<(), ControlError> {
        check_id("gpu_id", self.gpu_id)?;
        check_positive("mem_mb", u64::from(self.mem_mb))?;
        check_positive("streams", u64::from(self.streams))?;
        check_positive("ttl_s", u64::from(self.ttl_s))?;
        check_positive_opt("priority", self.priority)
    }
}

/// One `/queen/ctl` command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QueenCtl<'a> {
    /// `{"spawn":"heartbeat","ticks":N[,"budget":{..}]}`.
    SpawnHeartbeat {
        /// Tick count (`> 0`).
        ticks: u32,
        /// Budget (omitted when empty).
        budget: Budget,
    },
    /// `{"spawn":"gpu","lease":{..}[,"budget":{..}]}`.
    SpawnGpu {
        /// The lease.
        lease: GpuLeaseSpec<'a>,
        /// Budget (omitted when empty).
        budget: Budget,
    },
    /// `{"kill":"<worker_id>"}`.
    Kill {
        /// Worker to stop.
        worker_id: &'a str,
    },
    /// `{"bind":{"from":..,"to":..}}`.
    Bind {
        /// Source path.
        from: &'a str,
        /// Destination path.
        to: &'a str,
    },
    /// `{"mount":{"service":..,"at":..}}`.
    Mount {
        /// Service name (token).
        service: &'a str,
        /// Mount point.
        at: &'a str,
    },
}

#[derive(Serialize)]
struct HeartbeatOut {
    spawn: &'static str,
    ticks: u32,
    #[serde(skip_serializing_if = "Budget::is_empty")]
    budget: Budget,
}

#[derive(Serialize)]
struct GpuOut<'a> {
    spawn: &'static str,
    lease: GpuLeaseSpec<'a>,
    #[serde(skip_serializing_if = "Budget::is_empty")]
    budget: Budget,
}

#[derive(Serialize)]
struct KillOut<'a> {
    kill: &'a str,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairWire<'a> {
    from: &'a str,
    to: &'a str,
}

#[derive(Serialize)]
struct BindOut<'a> {
    bind: PairWire<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MountWire<'a> {
    service: &'a str,
    at: &'a str,
}

#[derive(Serialize)]
struct MountOut<'a> {
    mount: MountWire<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaseIn<'a> {
    gpu_id: &'a str,
    mem_mb: u32,
    streams: u32,
    ttl_s: u32,
    priority: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CtlIn<'a> {
    #[serde(borrow)]
    spawn: Option<&'a str>,
    ticks: Option<u32>,
    #[serde(borrow)]
    lease: Option<LeaseIn<'a>>,
    budget: Option<Budget>,
    #[serde(borrow)]
    kill: Option<&'a str>,
    #[serde(borrow)]
    bind: Option<PairWire<'a>>,
    #[serde(borrow)]
    mount: Option<MountWire<'a>>,
}

impl<'a> QueenCtl<'a> {
    /// `spawn heartbeat` with no budget.
    pub const fn spawn_heartbeat(ticks: u32) -> Self {
        QueenCtl::SpawnHeartbeat {
            ticks,
            budget: Budget::new(),
        }
    }

    /// `spawn gpu` with no budget.
    pub const fn spawn_gpu(lease: GpuLeaseSpec<'a>) -> Self {
        QueenCtl::SpawnGpu {
            lease,
            budget: Budget::new(),
        }
    }

    /// `kill` (id trimmed).
    pub fn kill(worker_id: &'a str) -> Self {
        QueenCtl::Kill {
            worker_id: worker_id.trim(),
        }
    }

    /// `bind` (paths trimmed).
    pub fn bind(from: &'a str, to: &'a str) -> Self {
        QueenCtl::Bind {
            from: from.trim(),
            to: to.trim(),
        }
    }

    /// `mount` (strings trimmed).
    pub fn mount(service: &'a str, at: &'a str) -> Self {
        QueenCtl::Mount {
            service: service.trim(),
            at: at.trim(),
        }
    }

    /// Sets the budget of a spawn. Other commands have no budget: they are returned as they
    /// are and [`validate`](Self::validate) does not see the budget.
    #[must_use]
    pub const fn with_budget(self, budget: Budget) -> Self {
        match self {
            QueenCtl::SpawnHeartbeat { ticks, .. } => QueenCtl::SpawnHeartbeat { ticks, budget },
            QueenCtl::SpawnGpu { lease, .. } => QueenCtl::SpawnGpu { lease, budget },
            other => other,
        }
    }

    /// Integers `> 0` (ticks, lease sizes, set budget fields and priority), ids tokens
    /// (`gpu_id`, `worker_id`, `service`), paths valid (`from`, `to`, `at`).
    pub fn validate(&self) -> Result<(), ControlError> {
        match self {
            QueenCtl::SpawnHeartbeat { ticks, budget } => {
                check_positive("ticks", u64::from(*ticks))?;
                budget.validate()
            }
            QueenCtl::SpawnGpu { lease, budget } => {
                lease.validate()?;
                budget.validate()
            }
            QueenCtl::Kill { worker_id } => check_id("worker_id", worker_id),
            QueenCtl::Bind { from, to } => {
                check_path("from", from)?;
                check_path("to", to)
            }
            QueenCtl::Mount { service, at } => {
                check_id("service", service)?;
                check_path("at", at)
            }
        }
    }

    /// Validates, then writes the command (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(self, out)
    }

    /// Parses and validates one command (strict: each shape with exactly its keys).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: CtlIn<'a> = json::decode(line)?;
        let cmd = if let Some(kind) = w.spawn {
            only(&[
                ("kill", w.kill.is_some()),
                ("bind", w.bind.is_some()),
                ("mount", w.mount.is_some()),
            ])?;
            let budget = w.budget.unwrap_or_default();
            match kind {
                "heartbeat" => {
                    only(&[("lease", w.lease.is_some())])?;
                    let ticks = w.ticks.ok_or(ControlError::Missing { field: "ticks" })?;
                    QueenCtl::SpawnHeartbeat { ticks, budget }
                }
                "gpu" => {
                    only(&[("ticks", w.ticks.is_some())])?;
                    let l = w.lease.ok_or(ControlError::Missing { field: "lease" })?;
                    json::plain("gpu_id", l.gpu_id)?;
                    QueenCtl::SpawnGpu {
                        lease: GpuLeaseSpec {
                            gpu_id: l.gpu_id,
                            mem_mb: l.mem_mb,
                            streams: l.streams,
                            ttl_s: l.ttl_s,
                            priority: l.priority,
                        },
                        budget,
                    }
                }
                _ => {
                    return Err(ControlError::NotOneOf {
                        field: "spawn",
                        allowed: "heartbeat|gpu",
                    })
                }
            }
        } else {
            only(&[
                ("ticks", w.ticks.is_some()),
                ("lease", w.lease.is_some()),
                ("budget", w.budget.is_some()),
            ])?;
            match (w.kill, w.bind, w.mount) {
                (Some(worker_id), None, None) => {
                    json::plain("worker_id", worker_id)?;
                    QueenCtl::Kill { worker_id }
                }
                (None, Some(b), None) => {
                    json::plain("from", b.from)?;
                    json::plain("to", b.to)?;
                    QueenCtl::Bind {
                        from: b.from,
                        to: b.to,
                    }
                }
                (None, None, Some(m)) => {
                    json::plain("service", m.service)?;
                    json::plain("at", m.at)?;
                    QueenCtl::Mount {
                        service: m.service,
                        at: m.at,
                    }
                }
                (None, None, None) => {
                    return Err(ControlError::Missing {
                        field: "spawn, kill, bind or mount",
                    })
                }
                (_, Some(_), _) => return Err(ControlError::Unexpected { field: "bind" }),
                (_, _, Some(_)) => return Err(ControlError::Unexpected { field: "mount" }),
            }
        };
        cmd.validate()?;
        Ok(cmd)
    }
}

/// Refuses the first present key that does not belong to the command.
fn only(absent: &[(&'static str, bool)]) -> Result<(), ControlError> {
    match absent.iter().find(|(_, present)| *present) {
        Some((field, _)) => Err(ControlError::Unexpected { field }),
        None => Ok(()),
    }
}

impl Serialize for QueenCtl<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            QueenCtl::SpawnHeartbeat { ticks, budget } => HeartbeatOut {
                spawn: "heartbeat",
                ticks,
                budget,
            }
            .serialize(s),
            QueenCtl::SpawnGpu { lease, budget } => GpuOut {
                spawn: "gpu",
                lease,
                budget,
            }
            .serialize(s),
            QueenCtl::Kill { worker_id } => KillOut { kill: worker_id }.serialize(s),
            QueenCtl::Bind { from, to } => BindOut {
                bind: PairWire { from, to },
            }
            .serialize(s),
            QueenCtl::Mount { service, at } => MountOut {
                mount: MountWire { service, at },
            }
            .serialize(s),
        }
    }
}

impl ControlLine for QueenCtl<'_> {
    const PATH: &'static str = QUEEN_CTL;
    const MAX_LINE_BYTES: usize = paths::QUEEN_CTL_MAX_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        QueenCtl::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        QueenCtl::encode(self, out)
    }
}
