//! Turning typed payloads into [`PreparedLine`]s, with every check done **before** the
//! first line is written (upstream checked line by line while writing, so a bad line k left
//! lines 1..k-1 applied).
//!
//! For each line, in order (host-surface §2.3, §4.2 wording):
//!
//! 1. the payload's own rules (`validate`, the core's messages, e.g.
//!    `"grant requires subject, resource, and ttl_s"`), then its compact JSON (the core's
//!    encoder: key order of §2.4);
//! 2. `"control payload must not be empty"` (raw lines only);
//! 3. `"control payload for <path> exceeds transport payload bound 128 bytes"`: one console
//!    `ECHO` carries at most 128 bytes, and every backend keeps that bound;
//! 4. `"control payload for <path> exceeds bound <N> bytes"`: the line plus its newline
//!    against the file's per-line limit (`ctl_max_bytes`);
//! 5. the backend's own line rules (single line, printable ASCII), so that a batch never
//!    stops half-way on a line the client could have refused up front.
//!
//! Host tickets add the §4.2 guardrails: the manifest's action allowlist
//! (`"ticket action '<a>' is not in host ticket allowlist"`), the 2048-byte line bound
//! (`"host ticket payload for <id> exceeds bound 2048 bytes"`) and the transport bound
//! (`"host ticket payload for <id> exceeds transport payload bound 128 bytes for
//! /host/tickets/spec"`).

use cohesix_core::control::{ControlError, ControlLine, HostTicket, K8sRbacIntent};
use cohesix_generated::ecosystem::host::tickets as host_tickets;

use super::batch::PreparedLine;
use crate::backend::{prepare_line, ECHO_BOUND};
use crate::error::Error;

/// Scratch size for one encoded line: larger than any line a bound lets through.
const SCRATCH: usize = 4096;

/// The transport bound of `path`: the console's echo bound (paths are at most 96 bytes, so
/// `max_line_len − len("ECHO ") − len(path) − 1` never binds first).
#[must_use]
pub fn transport_bound(path: &str) -> usize {
    ECHO_BOUND.min(cohesix_generated::console::MAX_LINE_LEN.saturating_sub(6 + path.len()))
}

fn encode_with(
    encode: impl FnOnce(&mut [u8]) -> Result<usize, ControlError>,
    path: &str,
    limit: usize,
) -> Result<String, Error> {
    let mut buf = vec![0u8; SCRATCH.max(limit)];
    let n = match encode(&mut buf) {
        Ok(n) => n,
        Err(ControlError::BufferTooSmall { .. }) => {
            return Err(Error::Payload(format!(
                "control payload for {path} exceeds bound {limit} bytes"
            )))
        }
        Err(e) => return Err(Error::Control(e)),
    };
    buf.truncate(n);
    String::from_utf8(buf).map_err(|_| Error::Payload("payload must be UTF-8".into()))
}

/// Checks steps 2–5 of the module docs for one raw line; returns the trimmed line.
///
/// # Errors
/// [`Error::Payload`] with the messages above.
pub fn check_control_line(path: &str, payload: &str, limit: usize) -> Result<String, Error> {
    crate::backend::check_path(path)?;
    let line = payload.trim();
    if line.is_empty() {
        return Err(Error::Payload("control payload must not be empty".into()));
    }
    let bound = transport_bound(path);
    if line.len() > bound {
        return Err(Error::Payload(format!(
            "control payload for {path} exceeds transport payload bound {bound} bytes"
        )));
    }
    if limit > 0 && line.len() + 1 > limit {
        return Err(Error::Payload(format!(
            "control payload for {path} exceeds bound {limit} bytes"
        )));
    }
    prepare_line(path, line, true)?;
    Ok(line.to_owned())
}

/// Validates and encodes every item, then checks every line: all or nothing.
///
/// # Errors
/// The first item's error, in input order; nothing is written.
pub fn prepare<T: ControlLine>(items: &[T]) -> Result<Vec<PreparedLine>, Error> {
    items
        .iter()
        .map(|item| {
            let line = encode_with(|b| item.encode(b), T::PATH, T::MAX_LINE_BYTES)?;
            let line = check_control_line(T::PATH, &line, T::MAX_LINE_BYTES)?;
            Ok(PreparedLine::new(T::PATH, line))
        })
        .collect()
}

/// Raw lines for `path` with a per-line `limit` (0: none): steps 2–5 for each.
///
/// # Errors
/// The first line's error; nothing is written.
pub fn prepare_raw<S: AsRef<str>>(
    path: &str,
    payloads: &[S],
    limit: usize,
) -> Result<Vec<PreparedLine>, Error> {
    payloads
        .iter()
        .map(|p| {
            Ok(PreparedLine::new(
                path,
                check_control_line(path, p.as_ref(), limit)?,
            ))
        })
        .collect()
}

fn host_ticket_line(ticket: &HostTicket<'_>) -> Result<PreparedLine, Error> {
    ticket.validate()?;
    let allow = host_tickets::ACTION_ALLOWLIST;
    if !allow.is_empty() && !allow.contains(&ticket.action) {
        return Err(Error::Payload(format!(
            "ticket action '{}' is not in host ticket allowlist",
            ticket.action
        )));
    }
    let path = <HostTicket<'_> as ControlLine>::PATH;
    let max = host_tickets::MAX_LINE_BYTES;
    let too_big = || {
        Error::Payload(format!(
            "host ticket payload for {} exceeds bound {max} bytes",
            ticket.ticket_id
        ))
    };
    let line = encode_with(|b| ticket.encode(b), path, max).map_err(|e| match e {
        Error::Payload(_) => too_big(),
        other => other,
    })?;
    if line.len() + 1 > max {
        return Err(too_big());
    }
    let bound = transport_bound(path);
    if line.len() > bound {
        return Err(Error::Payload(format!(
            "host ticket payload for {} exceeds transport payload bound {bound} bytes for {path}",
            ticket.ticket_id
        )));
    }
    prepare_line(path, &line, true)?;
    Ok(PreparedLine::new(path, line))
}

/// Host tickets with the §4.2 guardrails, all checked before any is written.
///
/// # Errors
/// The first ticket's error.
pub fn prepare_host_tickets(tickets: &[HostTicket<'_>]) -> Result<Vec<PreparedLine>, Error> {
    tickets.iter().map(host_ticket_line).collect()
}

/// K8s RBAC intents: every intent is translated first (the core's compact ticket, which
/// fits the console bound or fails), then each ticket goes through the host-ticket
/// guardrails.
///
/// # Errors
/// The first intent's error (`"verb must be one of cordon|drain|lease-sync"`, `"k8s intent
/// ticket of <n> bytes exceeds the 128-byte console echo bound"`, …).
pub fn prepare_k8s(intents: &[K8sRbacIntent<'_>]) -> Result<Vec<PreparedLine>, Error> {
    let tickets = intents
        .iter()
        .map(K8sRbacIntent::ticket)
        .collect::<Result<Vec<_>, _>>()?;
    tickets
        .iter()
        .map(|t| host_ticket_line(&t.host_ticket()))
        .collect()
}
