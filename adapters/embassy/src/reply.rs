//! Owned summary of a completed request (the core's `Outcome` borrows the receive buffer).

use cohesix_core::session::{Completion, Outcome};
use heapless::String;

/// Bytes kept of a refusal's `reason`/`detail` values.
pub const REFUSAL_TEXT_LEN: usize = 32;

/// How a request ended, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Reply {
    /// `OK` (and the stream's `END`, for streams), with the number of data lines.
    Ok {
        /// Data lines delivered.
        lines: u32,
    },
    /// `ERR <VERB> ...`.
    Refused {
        /// `reason=` value (truncated to [`REFUSAL_TEXT_LEN`]).
        reason: String<REFUSAL_TEXT_LEN>,
        /// `detail=` value (truncated to [`REFUSAL_TEXT_LEN`]).
        detail: String<REFUSAL_TEXT_LEN>,
        /// `delay_ms=` value, if any.
        delay_ms: Option<u64>,
    },
    /// No reply within the operation timeout (the connection was declared dead).
    TimedOut,
    /// The connection ended first; safe to retry (`sent`: it reached the wire).
    Interrupted {
        /// Whether the request was written before the connection ended.
        sent: bool,
    },
    /// The connection ended after a write was sent and before its ack: it may or may not
    /// have been applied.
    Unknown,
    /// A fenced request got no reply line.
    NoReply,
}

impl Reply {
    /// Converts the core's completion.
    pub fn from_completion(c: &Completion<'_>) -> Self {
        match &c.outcome {
            Outcome::Ok => Reply::Ok { lines: c.lines },
            Outcome::Refused(_) => Reply::Refused {
                reason: truncated(c.outcome.reason()),
                detail: truncated(c.outcome.detail()),
                delay_ms: c.outcome.delay_ms(),
            },
            Outcome::TimedOut => Reply::TimedOut,
            Outcome::Interrupted { sent } => Reply::Interrupted { sent: *sent },
            Outcome::NoReply => Reply::NoReply,
            _ => Reply::Unknown,
        }
    }

    /// `OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Reply::Ok { .. })
    }
}

fn truncated(s: Option<&str>) -> String<REFUSAL_TEXT_LEN> {
    let mut out = String::new();
    for ch in s.unwrap_or("").chars() {
        if out.push(ch).is_err() {
            break;
        }
    }
    out
}
