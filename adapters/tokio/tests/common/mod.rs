//! A tiny scripted queen for adapter tests: a tokio `TcpListener` whose behaviour each
//! test writes out step by step.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use cohesix_tokio::{ClientConfig, Credentials, RetryPolicy, Role};

pub use cohesix_testsupport::scripted::{
    accept, accept_attached, listener, read_line, send, send_lines, STEP,
};

/// Encodes one text frame.
pub fn frame(line: &str) -> Vec<u8> {
    cohesix_testsupport::frame(line.as_bytes())
}

/// Encodes several frames back to back.
pub fn frames(lines: &[&str]) -> Vec<u8> {
    cohesix_testsupport::frames(lines)
}

/// Queen credentials with the placeholder token.
pub fn queen() -> Credentials {
    Credentials::new("changeme", Role::Queen, None).unwrap()
}

/// A config with a short back-off so failure paths finish quickly (the deadline stays
/// generous so a loaded machine does not trip it on happy paths).
pub fn fast() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_millis(3000))
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(10))
                .with_ceiling(Duration::from_millis(40)),
        )
        .with_heartbeat(None)
}

/// A config whose deadline fires quickly, for tests that expect a timeout.
pub fn impatient() -> ClientConfig {
    fast()
        .with_op_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy::NONE)
}
