//! Derived artefacts that are hashed: the resolved JSON, the ticket table and the cohsh policy.
//!
//! The byte layouts are fixed by the upstream queen build (spec §6.3): any change here changes
//! `manifest_sha256`, `TICKET_TABLE_SHA256` or `POLICY_SHA256` and breaks interoperability.

use crate::model::Manifest;
use core::fmt::Write as _;
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The resolved manifest: `serde_json` pretty output of the defaulted model, fields in
/// declaration order, 2-space indent, no trailing newline. `manifest_sha256` hashes these bytes.
pub fn resolved_json(manifest: &Manifest) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(manifest)
}

/// Compact JSON of the `[[tickets]]` array, the input of `TICKET_TABLE_SHA256`.
pub fn ticket_table_json(manifest: &Manifest) -> Result<String, serde_json::Error> {
    serde_json::to_string(&manifest.tickets)
}

/// The cohsh client policy file (`cohsh_policy.toml`).
///
/// The two leading comment lines are part of the hashed bytes and are reproduced exactly as
/// the upstream 0.3-era compiler emits them, so `POLICY_SHA256` matches that queen's build.
/// (The 0.9.0-beta compiler adds a third line, `# Copyright 2026 Lukas Bower`; this layout is
/// kept, so a 0.9 manifest's `POLICY_SHA256` differs from the 0.9 bundle's, while its
/// `manifest_sha256` matches.)
pub fn cohsh_policy_toml(manifest: &Manifest, manifest_sha256: &str) -> String {
    let policies = &manifest.client_policies;
    let pool = &policies.cohsh.pool;
    let tail = &policies.cohsh.tail;
    let host = &policies.cohsh.host_telemetry;
    let retry = &policies.retry;
    let mut out = String::new();
    out.push_str("# Author: Lukas Bower\n");
    out.push_str("# Purpose: Generated cohsh client policy derived from configs/root_task.toml.\n");
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "[meta]\nmanifest_sha256 = \"{manifest_sha256}\"\n\n\
         [cohsh.pool]\ncontrol_sessions = {}\ntelemetry_sessions = {}\n\n\
         [cohsh.tail]\npoll_ms_default = {}\npoll_ms_min = {}\npoll_ms_max = {}\n\n\
         [cohsh.host_telemetry]\nnvidia_poll_ms = {}\nsystemd_poll_ms = {}\n\
         docker_poll_ms = {}\nk8s_poll_ms = {}\n\n\
         [retry]\nmax_attempts = {}\nbackoff_ms = {}\nceiling_ms = {}\ntimeout_ms = {}\n\n\
         [heartbeat]\ninterval_ms = {}\n\n\
         [trace]\nmax_bytes = {}\n",
        pool.control_sessions,
        pool.telemetry_sessions,
        tail.poll_ms_default,
        tail.poll_ms_min,
        tail.poll_ms_max,
        host.nvidia_poll_ms,
        host.systemd_poll_ms,
        host.docker_poll_ms,
        host.k8s_poll_ms,
        retry.max_attempts,
        retry.backoff_ms,
        retry.ceiling_ms,
        retry.timeout_ms,
        policies.heartbeat.interval_ms,
        policies.trace.max_bytes,
    );
    out
}
