//! The GPU run documents (host-surface §5.3, §8.5): `gpu-lease/v1` (the state of
//! `/gpu/<id>/lease`) and `gpu-breadcrumb/v1` (START/EXIT records appended to
//! `/gpu/<id>/status`).
//!
//! ```text
//! {"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}
//! {"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"echo ok","status":"OK","exit_code":0}
//! ```

use cohesix_generated::coh::run::{breadcrumb, lease};
use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::text::Text;
use super::token::check_id;

/// Schema tag of lease documents (manifest `coh.run.lease.schema`).
pub const GPU_LEASE_SCHEMA: &str = lease::SCHEMA;
/// Schema tag of breadcrumbs (manifest `coh.run.breadcrumb.schema`).
pub const GPU_BREADCRUMB_SCHEMA: &str = breadcrumb::SCHEMA;
/// Longest lease document read (manifest `coh.run.lease.max_bytes`).
pub const GPU_LEASE_MAX_BYTES: usize = lease::MAX_BYTES;
/// Longest breadcrumb line (manifest `coh.run.breadcrumb.max_line_bytes`).
pub const BREADCRUMB_MAX_LINE_BYTES: usize = breadcrumb::MAX_LINE_BYTES;
/// Longest breadcrumb command, decoded (manifest `coh.run.breadcrumb.max_command_bytes`).
pub const BREADCRUMB_MAX_COMMAND_BYTES: usize = breadcrumb::MAX_COMMAND_BYTES;

/// Lease states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GpuLeaseState {
    /// The GPU is leased to `worker_id` (manifest `coh.run.lease.active_state`).
    #[serde(rename = "ACTIVE")]
    Active,
    /// The lease was given back.
    #[serde(rename = "RELEASED")]
    Released,
}

impl GpuLeaseState {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            GpuLeaseState::Active => lease::ACTIVE_STATE,
            GpuLeaseState::Released => "RELEASED",
        }
    }
}

/// One `gpu-lease/v1` document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GpuLease<'a> {
    /// State.
    pub state: GpuLeaseState,
    /// GPU the lease is for.
    pub gpu_id: &'a str,
    /// Worker holding the lease (may be empty on a release).
    pub worker_id: &'a str,
    /// Leased memory in MiB.
    pub mem_mb: u32,
    /// Leased stream count.
    pub streams: u32,
    /// Lease lifetime in seconds (0 on a release).
    pub ttl_s: u32,
    /// Priority.
    pub priority: u32,
}

#[derive(Serialize)]
struct LeaseOut<'a> {
    schema: &'static str,
    state: GpuLeaseState,
    gpu_id: &'a str,
    worker_id: &'a str,
    mem_mb: u32,
    streams: u32,
    ttl_s: u32,
    priority: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaseIn<'a> {
    schema: &'a str,
    state: &'a str,
    gpu_id: &'a str,
    #[serde(default)]
    worker_id: &'a str,
    #[serde(default)]
    mem_mb: u32,
    #[serde(default)]
    streams: u32,
    #[serde(default)]
    ttl_s: u32,
    #[serde(default)]
    priority: u32,
}

impl<'a> GpuLease<'a> {
    /// Longest encoded document (32-byte ids, `RELEASED`, `u32::MAX`).
    pub const MAX_LEN: usize = 217;

    /// An `ACTIVE` lease with the mock's defaults (1024 MiB, 1 stream, 60 s, priority 1).
    pub fn active(gpu_id: &'a str, worker_id: &'a str) -> Self {
        Self {
            state: GpuLeaseState::Active,
            gpu_id: gpu_id.trim(),
            worker_id: worker_id.trim(),
            mem_mb: 1024,
            streams: 1,
            ttl_s: 60,
            priority: 1,
        }
    }

    /// A `RELEASED` lease as the mock writes it (1024 MiB, 1 stream, ttl 0, priority 1).
    pub fn released(gpu_id: &'a str, worker_id: &'a str) -> Self {
        Self {
            state: GpuLeaseState::Released,
            ttl_s: 0,
            ..Self::active(gpu_id, worker_id)
        }
    }

    /// Sets memory, streams, lifetime and priority.
    #[must_use]
    pub const fn with(mut self, mem_mb: u32, streams: u32, ttl_s: u32, priority: u32) -> Self {
        self.mem_mb = mem_mb;
        self.streams = streams;
        self.ttl_s = ttl_s;
        self.priority = priority;
        self
    }

    /// `gpu_id` token; `worker_id` token, or empty on a release
    /// (`"worker_id is required for state=ACTIVE"`).
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("gpu_id", self.gpu_id)?;
        if self.worker_id.is_empty() {
            return match self.state {
                GpuLeaseState::Active => Err(ControlError::ActiveWithoutWorker),
                GpuLeaseState::Released => Ok(()),
            };
        }
        check_id("worker_id", self.worker_id)
    }

    /// Validates, then writes the document (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(
            &LeaseOut {
                schema: GPU_LEASE_SCHEMA,
                state: self.state,
                gpu_id: self.gpu_id,
                worker_id: self.worker_id,
                mem_mb: self.mem_mb,
                streams: self.streams,
                ttl_s: self.ttl_s,
                priority: self.priority,
            },
            out,
        )
    }

    /// Parses one document (at most [`GPU_LEASE_MAX_BYTES`]; missing integers and a missing
    /// `worker_id` default to 0 / empty, as the upstream tools write partial documents).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        if line.len() > GPU_LEASE_MAX_BYTES {
            return Err(ControlError::LineTooLong {
                what: "gpu lease",
                len: line.len(),
                max: GPU_LEASE_MAX_BYTES,
            });
        }
        let w: LeaseIn<'a> = json::decode(line)?;
        if w.schema != GPU_LEASE_SCHEMA {
            return Err(ControlError::WrongSchema {
                expected: GPU_LEASE_SCHEMA,
            });
        }
        let state = match w.state {
            "ACTIVE" => GpuLeaseState::Active,
            "RELEASED" => GpuLeaseState::Released,
            _ => {
                return Err(ControlError::NotOneOf {
                    field: "state",
                    allowed: "ACTIVE|RELEASED",
                })
            }
        };
        json::plain("gpu_id", w.gpu_id)?;
        json::plain("worker_id", w.worker_id)?;
        let l = Self {
            state,
            gpu_id: w.gpu_id,
            worker_id: w.worker_id,
            mem_mb: w.mem_mb,
            streams: w.streams,
            ttl_s: w.ttl_s,
            priority: w.priority,
        };
        l.validate()?;
        Ok(l)
    }

    /// The last non-blank line of a lease *file* (earlier lines are history); `Ok(None)` for
    /// a blank file.
    pub fn decode_last(file: &'a [u8]) -> Result<Option<Self>, ControlError> {
        match file
            .split(|&b| b == b'\n')
            .rev()
            .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        {
            Some(line) => Self::decode(line).map(Some),
            None => Ok(None),
        }
    }
}

/// Breadcrumb events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BreadcrumbEvent {
    /// The leased job started.
    #[serde(rename = "START")]
    Start,
    /// The leased job ended.
    #[serde(rename = "EXIT")]
    Exit,
}

/// Breadcrumb status values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BreadcrumbStatus {
    /// The job is running.
    #[serde(rename = "RUNNING")]
    Running,
    /// The job exited with code 0.
    #[serde(rename = "OK")]
    Ok,
    /// The job exited with a non-zero code.
    #[serde(rename = "FAILED")]
    Failed,
}

/// One `gpu-breadcrumb/v1` record. Key order `schema`, `event`, `command`, `status`,
/// `exit_code`?.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GpuBreadcrumb<'a> {
    /// START or EXIT.
    pub event: BreadcrumbEvent,
    /// The command (at most [`BREADCRUMB_MAX_COMMAND_BYTES`] decoded).
    pub command: Text<'a>,
    /// RUNNING, OK or FAILED.
    pub status: BreadcrumbStatus,
    /// Exit code (EXIT only).
    pub exit_code: Option<i32>,
}

#[derive(Serialize)]
struct CrumbOut<'a> {
    schema: &'static str,
    event: BreadcrumbEvent,
    command: Text<'a>,
    status: BreadcrumbStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrumbIn<'a> {
    schema: &'a str,
    event: &'a str,
    #[serde(borrow)]
    command: Text<'a>,
    status: &'a str,
    exit_code: Option<i32>,
}

impl<'a> GpuBreadcrumb<'a> {
    /// Bytes a breadcrumb needs besides its (escaped) command, for the longest event, status
    /// and exit code: `{"schema":"gpu-breadcrumb/v1","event":"START","command":"","status":"RUNNING","exit_code":-2147483648}`.
    pub const OVERHEAD: usize = 102;

    /// A START record (`RUNNING`).
    pub const fn start(command: &'a str) -> Self {
        Self {
            event: BreadcrumbEvent::Start,
            command: Text::Plain(command),
            status: BreadcrumbStatus::Running,
            exit_code: None,
        }
    }

    /// An EXIT record: `OK` for code 0, else `FAILED`.
    pub const fn exit(command: &'a str, exit_code: i32) -> Self {
        Self {
            event: BreadcrumbEvent::Exit,
            command: Text::Plain(command),
            status: if exit_code == 0 {
                BreadcrumbStatus::Ok
            } else {
                BreadcrumbStatus::Failed
            },
            exit_code: Some(exit_code),
        }
    }

    /// The command decodes and is at most [`BREADCRUMB_MAX_COMMAND_BYTES`] long.
    pub fn validate(&self) -> Result<(), ControlError> {
        self.command.check("command")?;
        if self.command.len()? > BREADCRUMB_MAX_COMMAND_BYTES {
            return Err(ControlError::TooLong {
                field: "command",
                max: BREADCRUMB_MAX_COMMAND_BYTES,
            });
        }
        Ok(())
    }

    /// Validates, then writes the record (no newline) into `out`; the line must fit
    /// [`BREADCRUMB_MAX_LINE_BYTES`].
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        let n = json::encode(
            &CrumbOut {
                schema: GPU_BREADCRUMB_SCHEMA,
                event: self.event,
                command: self.command,
                status: self.status,
                exit_code: self.exit_code,
            },
            out,
        )?;
        if n > BREADCRUMB_MAX_LINE_BYTES {
            return Err(ControlError::LineTooLong {
                what: "breadcrumb",
                len: n,
                max: BREADCRUMB_MAX_LINE_BYTES,
            });
        }
        Ok(n)
    }

    /// Parses one record (the command is borrowed escaped, see [`Text`]).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        if line.len() > BREADCRUMB_MAX_LINE_BYTES.saturating_add(1) {
            return Err(ControlError::LineTooLong {
                what: "breadcrumb",
                len: line.len(),
                max: BREADCRUMB_MAX_LINE_BYTES,
            });
        }
        let w: CrumbIn<'a> = json::decode(line)?;
        if w.schema != GPU_BREADCRUMB_SCHEMA {
            return Err(ControlError::WrongSchema {
                expected: GPU_BREADCRUMB_SCHEMA,
            });
        }
        let event = match w.event {
            "START" => BreadcrumbEvent::Start,
            "EXIT" => BreadcrumbEvent::Exit,
            _ => {
                return Err(ControlError::NotOneOf {
                    field: "event",
                    allowed: "START|EXIT",
                })
            }
        };
        let status = match w.status {
            "RUNNING" => BreadcrumbStatus::Running,
            "OK" => BreadcrumbStatus::Ok,
            "FAILED" => BreadcrumbStatus::Failed,
            _ => {
                return Err(ControlError::NotOneOf {
                    field: "status",
                    allowed: "RUNNING|OK|FAILED",
                })
            }
        };
        let c = Self {
            event,
            command: w.command,
            status,
            exit_code: w.exit_code,
        };
        c.validate()?;
        Ok(c)
    }
}
