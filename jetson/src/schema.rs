//! The two JSON documents the agent speaks: `gpu-lease/v1` (read from `/gpu/<id>/lease`) and
//! `gpu-breadcrumb/v1` (appended to `/gpu/<id>/status`).
//!
//! Both are parsed and rendered with `serde-json-core` into caller-provided buffers; nothing
//! allocates. Field order of rendered breadcrumbs follows the upstream tools
//! (`schema, event, command, status, exit_code?`), and every rendered breadcrumb fits one
//! console `ECHO` payload ([`cohesix_generated::console::MAX_ECHO_LEN`]).

use cohesix_generated::coh::run::{breadcrumb, lease};
use cohesix_generated::console::{MAX_ECHO_LEN, MAX_ID_LEN};
use heapless::String;
use serde::{Deserialize, Serialize};

/// Schema tag of lease documents (manifest `coh.run.lease.schema`).
pub const LEASE_SCHEMA: &str = lease::SCHEMA;
/// Lease state meaning "the GPU is leased to a worker" (manifest `coh.run.lease.active_state`).
pub const LEASE_ACTIVE: &str = lease::ACTIVE_STATE;
/// Lease state meaning "the lease was given back".
pub const LEASE_RELEASED: &str = "RELEASED";
/// Schema tag of breadcrumb documents (manifest `coh.run.breadcrumb.schema`).
pub const BREADCRUMB_SCHEMA: &str = breadcrumb::SCHEMA;

/// Longest breadcrumb line the agent renders: one console ECHO payload, and never more than
/// the manifest's `coh.run.breadcrumb.max_line_bytes`.
pub const MAX_BREADCRUMB_LEN: usize = min(MAX_ECHO_LEN, breadcrumb::MAX_LINE_BYTES);

/// Bytes a breadcrumb needs besides its `command` text, for the longest event/status/exit code
/// (`{"schema":"gpu-breadcrumb/v1","event":"START","command":"","status":"RUNNING","exit_code":-2147483648}`).
const BREADCRUMB_OVERHEAD: usize = 102;

/// Longest `command` text that still lets every breadcrumb fit one ECHO payload (and the
/// manifest's `coh.run.breadcrumb.max_command_bytes`).
pub const MAX_COMMAND_LEN: usize = min(
    MAX_BREADCRUMB_LEN.saturating_sub(BREADCRUMB_OVERHEAD),
    breadcrumb::MAX_COMMAND_BYTES,
);

const _: () = assert!(
    MAX_COMMAND_LEN >= 8,
    "manifest bounds leave no room for a command"
);

const fn min(a: usize, b: usize) -> usize {
    if a < b {
        a
    } else {
        b
    }
}

/// A short identifier (GPU id, worker id), bounded by the console's id limit.
pub type Id = String<MAX_ID_LEN>;

/// Why a lease document was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LeaseError {
    /// Not JSON of the expected shape (or a field too long for its bound).
    Malformed,
    /// `schema` is not `gpu-lease/v1`.
    WrongSchema,
    /// `state` is neither `ACTIVE` nor `RELEASED`.
    UnknownState,
    /// The lease names another GPU than the one this agent serves.
    OtherGpu,
    /// An `ACTIVE` lease without a worker id.
    MissingWorker,
}

/// Lease states the agent acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LeaseState {
    /// The GPU is leased to `worker_id`.
    Active,
    /// The lease was released.
    Released,
}

/// One parsed `gpu-lease/v1` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Lease state.
    pub state: LeaseState,
    /// GPU the lease is for.
    pub gpu_id: Id,
    /// Worker holding the lease (may be empty on a release).
    pub worker_id: Id,
    /// Leased memory in MiB.
    pub mem_mb: u32,
    /// Leased stream count.
    pub streams: u32,
    /// Lease lifetime in seconds.
    pub ttl_s: u32,
    /// Scheduling priority.
    pub priority: u32,
}

#[derive(Deserialize)]
struct LeaseWire {
    schema: String<32>,
    state: String<16>,
    gpu_id: Id,
    #[serde(default)]
    worker_id: Id,
    #[serde(default)]
    mem_mb: u32,
    #[serde(default)]
    streams: u32,
    #[serde(default)]
    ttl_s: u32,
    #[serde(default)]
    priority: u32,
}

impl Lease {
    /// Parses one lease line (surrounding whitespace allowed) for GPU `gpu_id`.
    pub fn parse(line: &[u8], gpu_id: &str) -> Result<Self, LeaseError> {
        let line = trim(line);
        if line.len() > lease::MAX_BYTES {
            return Err(LeaseError::Malformed);
        }
        let (wire, _) =
            serde_json_core::from_slice::<LeaseWire>(line).map_err(|_| LeaseError::Malformed)?;
        if wire.schema.as_str() != LEASE_SCHEMA {
            return Err(LeaseError::WrongSchema);
        }
        let state = match wire.state.as_str() {
            LEASE_ACTIVE => LeaseState::Active,
            LEASE_RELEASED => LeaseState::Released,
            _ => return Err(LeaseError::UnknownState),
        };
        if wire.gpu_id.as_str() != gpu_id {
            return Err(LeaseError::OtherGpu);
        }
        if state == LeaseState::Active && wire.worker_id.is_empty() {
            return Err(LeaseError::MissingWorker);
        }
        // serde-json-core hands escaped strings over verbatim and lets raw control bytes
        // through; worker ids are plain tokens, so anything else is refused.
        if !wire.worker_id.bytes().all(is_id_byte) {
            return Err(LeaseError::Malformed);
        }
        Ok(Self {
            state,
            gpu_id: wire.gpu_id,
            worker_id: wire.worker_id,
            mem_mb: wire.mem_mb,
            streams: wire.streams,
            ttl_s: wire.ttl_s,
            priority: wire.priority,
        })
    }

    /// Parses the lease *file*: the last non-blank line wins (earlier lines are history).
    /// Returns `Ok(None)` for an empty file.
    pub fn parse_last(lines: &[&[u8]], gpu_id: &str) -> Result<Option<Self>, LeaseError> {
        match lines.iter().rev().find(|l| !trim(l).is_empty()) {
            Some(line) => Self::parse(line, gpu_id).map(Some),
            None => Ok(None),
        }
    }
}

/// Breadcrumb events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// The leased job started.
    #[serde(rename = "START")]
    Start,
    /// The leased job ended.
    #[serde(rename = "EXIT")]
    Exit,
}

/// Breadcrumb status values (as in the upstream run demo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
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

/// The command text of a breadcrumb, bounded so the whole breadcrumb fits one ECHO.
pub type Command = String<MAX_COMMAND_LEN>;

/// One `gpu-breadcrumb/v1` record (also the spool's postcard record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breadcrumb {
    /// START or EXIT.
    pub event: Event,
    /// The command the lease runs.
    pub command: Command,
    /// RUNNING, OK or FAILED.
    pub status: Status,
    /// Exit code (EXIT only).
    pub exit_code: Option<i32>,
}

#[derive(Serialize)]
struct BreadcrumbWire<'a> {
    schema: &'static str,
    event: Event,
    command: &'a str,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
}

/// A breadcrumb could not be rendered into the given buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall;

impl Breadcrumb {
    /// A START breadcrumb for `command`.
    pub fn start(command: &Command) -> Self {
        Self {
            event: Event::Start,
            command: command.clone(),
            status: Status::Running,
            exit_code: None,
        }
    }

    /// An EXIT breadcrumb for `command` with `exit_code`.
    pub fn exit(command: &Command, exit_code: i32) -> Self {
        Self {
            event: Event::Exit,
            command: command.clone(),
            status: if exit_code == 0 {
                Status::Ok
            } else {
                Status::Failed
            },
            exit_code: Some(exit_code),
        }
    }

    /// Renders the JSON line (no newline) into `out`; returns the used length.
    pub fn render(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let wire = BreadcrumbWire {
            schema: BREADCRUMB_SCHEMA,
            event: self.event,
            command: self.command.as_str(),
            status: self.status,
            exit_code: self.exit_code,
        };
        serde_json_core::to_slice(&wire, out).map_err(|_| BufferTooSmall)
    }
}

/// Bytes allowed in GPU and worker ids: `[A-Za-z0-9._-]`.
pub const fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIVE: &[u8] = br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}"#;
    const RELEASED: &[u8] = br#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":0,"priority":1}"#;

    fn cmd(s: &str) -> Command {
        let mut c = Command::new();
        c.push_str(s).ok();
        c
    }

    #[test]
    fn parses_upstream_lease_lines() {
        let l = Lease::parse(ACTIVE, "GPU-0").unwrap();
        assert_eq!(l.state, LeaseState::Active);
        assert_eq!(l.worker_id.as_str(), "worker-1");
        assert_eq!((l.mem_mb, l.streams, l.ttl_s, l.priority), (1024, 1, 60, 1));
        let r = Lease::parse(RELEASED, "GPU-0").unwrap();
        assert_eq!(r.state, LeaseState::Released);
        assert_eq!(r.ttl_s, 0);
    }

    #[test]
    fn refuses_bad_leases_with_typed_errors() {
        assert_eq!(Lease::parse(ACTIVE, "GPU-1"), Err(LeaseError::OtherGpu));
        assert_eq!(Lease::parse(b"{nope", "GPU-0"), Err(LeaseError::Malformed));
        assert_eq!(
            Lease::parse(
                br#"{"schema":"gpu-lease/v2","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"w"}"#,
                "GPU-0"
            ),
            Err(LeaseError::WrongSchema)
        );
        assert_eq!(
            Lease::parse(
                br#"{"schema":"gpu-lease/v1","state":"PAUSED","gpu_id":"GPU-0","worker_id":"w"}"#,
                "GPU-0"
            ),
            Err(LeaseError::UnknownState)
        );
        assert_eq!(
            Lease::parse(
                br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0"}"#,
                "GPU-0"
            ),
            Err(LeaseError::MissingWorker)
        );
        // Escapes and control bytes in ids are refused (they would not round-trip).
        assert_eq!(
            Lease::parse(br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"w\u002d1"}"#, "GPU-0"),
            Err(LeaseError::Malformed)
        );
        // A worker id longer than the console id bound is refused, not truncated.
        assert_eq!(
            Lease::parse(br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-0123456789012345678901234567890"}"#, "GPU-0"),
            Err(LeaseError::Malformed)
        );
    }

    #[test]
    fn last_non_blank_line_wins() {
        let lines: [&[u8]; 3] = [ACTIVE, RELEASED, b"  "];
        let l = Lease::parse_last(&lines, "GPU-0").unwrap().unwrap();
        assert_eq!(l.state, LeaseState::Released);
        assert_eq!(Lease::parse_last(&[], "GPU-0"), Ok(None));
    }

    #[test]
    fn breadcrumbs_render_like_the_upstream_demo() {
        let mut buf = [0u8; MAX_BREADCRUMB_LEN];
        let n = Breadcrumb::start(&cmd("echo ok")).render(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            br#"{"schema":"gpu-breadcrumb/v1","event":"START","command":"echo ok","status":"RUNNING"}"#
        );
        let n = Breadcrumb::exit(&cmd("echo ok"), 0)
            .render(&mut buf)
            .unwrap();
        assert_eq!(
            &buf[..n],
            br#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"echo ok","status":"OK","exit_code":0}"#
        );
        let n = Breadcrumb::exit(&cmd("x"), -3).render(&mut buf).unwrap();
        assert!(core::str::from_utf8(&buf[..n])
            .unwrap()
            .contains(r#""status":"FAILED","exit_code":-3"#));
    }

    #[test]
    fn longest_breadcrumb_fits_one_echo_payload() {
        let long = cmd(&"c".repeat(MAX_COMMAND_LEN));
        let mut buf = [0u8; MAX_BREADCRUMB_LEN];
        let worst = Breadcrumb {
            event: Event::Start,
            command: long,
            status: Status::Running,
            exit_code: Some(i32::MIN),
        };
        let n = worst.render(&mut buf).unwrap();
        assert_eq!(n, MAX_BREADCRUMB_LEN, "overhead constant is exact");
        assert_eq!(worst.render(&mut buf[..n - 1]), Err(BufferTooSmall));
    }
}
