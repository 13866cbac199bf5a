//! Test support shared by the workspace's test suites (dev-dependency only).
//!
//! * [`frame`], [`frames`]: encode frames by hand (including deliberately wrong ones).
//! * [`raw`]: a framed TCP connection with no client logic ([`raw::RawConn`]).
//! * [`scripted`]: a loopback listener whose behaviour a test writes out step by step.
//! * [`mod@env`]: child processes that inherit no Cohesix variables ([`env::hermetic`]).
//! * [`proxy`]: a TCP proxy that loses one acknowledgement ([`proxy::AckDroppingProxy`]).
//! * [`fake`]: a small in-memory queen (AUTH, ATTACH, then a handler per line) that
//!   records how many frames a client kept unanswered.
//!
//! Everything here panics on unexpected input: it is test code.
#![allow(clippy::missing_panics_doc)]

pub mod env;
pub mod fake;
pub mod proxy;
pub mod raw;
pub mod scripted;

/// Encodes one frame with an explicit payload (length counts its own 4 bytes).
#[must_use]
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len() + 4).unwrap_or(u32::MAX);
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// Encodes several text frames back to back.
#[must_use]
pub fn frames(lines: &[&str]) -> Vec<u8> {
    lines.iter().flat_map(|l| frame(l.as_bytes())).collect()
}

/// Splits complete frames off the front of `buf`; returns their payloads and leaves any
/// partial frame in `buf`.
pub fn take_frames(buf: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(header) = buf.get(..4) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if len < 4 || buf.len() < len {
            break;
        }
        out.push(buf[4..len].to_vec());
        buf.drain(..len);
    }
    out
}
