//! The agent's view of the two GPU documents: `gpu-lease/v1` (read from `/gpu/<id>/lease`) and
//! `gpu-breadcrumb/v1` (appended to `/gpu/<id>/status`).
//!
//! The wire formats are defined once, in [`cohesix_core::control::gpu`] (shared with the host
//! library and the simulator); this module only keeps what the agent owns: a [`Lease`] copied
//! out of the receive buffer into bounded ids, the agent-level [`LeaseError`] (a lease for
//! another GPU is the agent's concern, not the schema's), and the [`Breadcrumb`] record the
//! spool stores (postcard) and renders through the core type. Every rendered breadcrumb fits
//! one console `ECHO` payload ([`cohesix_generated::console::MAX_ECHO_LEN`]).

use cohesix_core::control::gpu::{
    GpuBreadcrumb, GpuLease, BREADCRUMB_MAX_COMMAND_BYTES, BREADCRUMB_MAX_LINE_BYTES,
};
use cohesix_core::control::{ControlError, Text};
use cohesix_generated::console::{MAX_ECHO_LEN, MAX_ID_LEN};
use heapless::String;
use serde::{Deserialize, Serialize};

pub use cohesix_core::control::gpu::{
    BreadcrumbEvent as Event, BreadcrumbStatus as Status, GpuLeaseState as LeaseState,
    GPU_BREADCRUMB_SCHEMA as BREADCRUMB_SCHEMA, GPU_LEASE_SCHEMA as LEASE_SCHEMA,
};
pub use cohesix_core::control::token::is_token_byte as is_id_byte;

/// Lease state meaning "the GPU is leased to a worker" (manifest `coh.run.lease.active_state`).
pub const LEASE_ACTIVE: &str = LeaseState::Active.as_str();
/// Lease state meaning "the lease was given back".
pub const LEASE_RELEASED: &str = LeaseState::Released.as_str();

/// Longest breadcrumb line the agent renders: one console ECHO payload, and never more than
/// the manifest's `coh.run.breadcrumb.max_line_bytes`.
pub const MAX_BREADCRUMB_LEN: usize = min(MAX_ECHO_LEN, BREADCRUMB_MAX_LINE_BYTES);

/// Longest `command` text that still lets every breadcrumb fit one ECHO payload (and the
/// manifest's `coh.run.breadcrumb.max_command_bytes`).
pub const MAX_COMMAND_LEN: usize = min(
    MAX_BREADCRUMB_LEN.saturating_sub(GpuBreadcrumb::OVERHEAD),
    BREADCRUMB_MAX_COMMAND_BYTES,
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
    /// Not JSON of the expected shape (or a field too long for its bound, or an id that is
    /// not a plain token).
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

impl From<ControlError> for LeaseError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::WrongSchema { .. } => LeaseError::WrongSchema,
            ControlError::NotOneOf { field: "state", .. } => LeaseError::UnknownState,
            ControlError::ActiveWithoutWorker => LeaseError::MissingWorker,
            _ => LeaseError::Malformed,
        }
    }
}

/// One parsed `gpu-lease/v1` line, copied out of the receive buffer.
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

impl Lease {
    /// Parses one lease line (surrounding whitespace allowed) for GPU `gpu_id`, with the core
    /// decoder (strict, plain-token ids of at most `MAX_ID_LEN` bytes).
    pub fn parse(line: &[u8], gpu_id: &str) -> Result<Self, LeaseError> {
        let doc = GpuLease::decode(trim(line))?;
        if doc.gpu_id != gpu_id {
            return Err(LeaseError::OtherGpu);
        }
        let id = |s: &str| Id::try_from(s).map_err(|_| LeaseError::Malformed);
        Ok(Self {
            state: doc.state,
            gpu_id: id(doc.gpu_id)?,
            worker_id: id(doc.worker_id)?,
            mem_mb: doc.mem_mb,
            streams: doc.streams,
            ttl_s: doc.ttl_s,
            priority: doc.priority,
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

    /// The document this lease was read from (for re-rendering).
    pub fn as_doc(&self) -> GpuLease<'_> {
        GpuLease {
            state: self.state,
            gpu_id: &self.gpu_id,
            worker_id: &self.worker_id,
            mem_mb: self.mem_mb,
            streams: self.streams,
            ttl_s: self.ttl_s,
            priority: self.priority,
        }
    }
}

/// The command text of a breadcrumb, bounded so the whole breadcrumb fits one ECHO.
pub type Command = String<MAX_COMMAND_LEN>;

/// One breadcrumb as the agent keeps it (also the spool's postcard record); rendered as
/// `gpu-breadcrumb/v1` by [`GpuBreadcrumb`].
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

/// A breadcrumb could not be rendered into the given buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall;

impl Breadcrumb {
    /// A START breadcrumb for `command`.
    pub fn start(command: &Command) -> Self {
        Self::from_doc(command, GpuBreadcrumb::start(""))
    }

    /// An EXIT breadcrumb for `command` with `exit_code`.
    pub fn exit(command: &Command, exit_code: i32) -> Self {
        Self::from_doc(command, GpuBreadcrumb::exit("", exit_code))
    }

    fn from_doc(command: &Command, doc: GpuBreadcrumb<'_>) -> Self {
        Self {
            event: doc.event,
            command: command.clone(),
            status: doc.status,
            exit_code: doc.exit_code,
        }
    }

    /// The record as the core's `gpu-breadcrumb/v1` value.
    pub fn as_doc(&self) -> GpuBreadcrumb<'_> {
        GpuBreadcrumb {
            event: self.event,
            command: Text::Plain(&self.command),
            status: self.status,
            exit_code: self.exit_code,
        }
    }

    /// Renders the JSON line (no newline) into `out`; returns the used length.
    pub fn render(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        self.as_doc().encode(out).map_err(|_| BufferTooSmall)
    }
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
        // Re-rendered through the core type, the line is the same bytes.
        let mut buf = [0u8; 256];
        let n = l.as_doc().encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], ACTIVE);
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
