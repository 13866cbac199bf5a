//! The hand-laid sections of the generated crate: scalars with chosen types and names.

use super::{lit, Hashes, Out};
use crate::constants::{
    ACTIONS_QUEUE, ACTIONS_QUEUE_MAX_LINE_BYTES, EXAMPLES, TELEMETRY_PUSH_MAX_RECORD_BYTES,
    TELEMETRY_PUSH_SCHEMA,
};
use crate::model::Manifest;

pub(super) fn scalar_sections(o: &mut Out, m: &Manifest, hashes: &Hashes<'_>) {
    let s = &m.secure9p;
    o.module("`[secure9p]`.", "secure9p", |o| {
        o.konst(
            "Negotiated message size ceiling.",
            "MSIZE",
            "u32",
            &s.msize.to_string(),
        );
        o.konst(
            "Maximum path components per walk.",
            "WALK_DEPTH",
            "usize",
            &s.walk_depth.to_string(),
        );
        o.konst(
            "Tags per session.",
            "TAGS_PER_SESSION",
            "u32",
            &s.tags_per_session.to_string(),
        );
        o.konst(
            "Frames per batch.",
            "BATCH_FRAMES",
            "u32",
            &s.batch_frames.to_string(),
        );
        let policy = match s.short_write.policy {
            crate::model::ShortWritePolicy::Reject => "reject",
            crate::model::ShortWritePolicy::Retry => "retry",
        };
        o.konst(
            "Short-write policy.",
            "SHORT_WRITE_POLICY",
            "&str",
            &lit(policy),
        );
    });
    let cp = &m.client_policies;
    o.module("`[client_policies.retry]`.", "retry", |o| {
        let r = &cp.retry;
        o.konst(
            "Retries after the first failure (`max_retries`).",
            "MAX_ATTEMPTS",
            "u32",
            &r.max_attempts.to_string(),
        );
        o.konst(
            "First back-off delay.",
            "BACKOFF_MS",
            "u64",
            &r.backoff_ms.to_string(),
        );
        o.konst(
            "Back-off ceiling.",
            "CEILING_MS",
            "u64",
            &r.ceiling_ms.to_string(),
        );
        o.konst(
            "Per-operation timeout.",
            "TIMEOUT_MS",
            "u64",
            &r.timeout_ms.to_string(),
        );
    });
    o.module("`[client_policies.heartbeat]`.", "heartbeat", |o| {
        o.konst(
            "Idle PING cadence.",
            "INTERVAL_MS",
            "u64",
            &cp.heartbeat.interval_ms.to_string(),
        );
    });
    o.module("`[client_policies.trace]`.", "trace", |o| {
        o.konst(
            "Trace file cap in bytes.",
            "MAX_BYTES",
            "u64",
            &cp.trace.max_bytes.to_string(),
        );
    });
    o.module("`[client_policies.cohsh.tail]`.", "tail", |o| {
        let t = &cp.cohsh.tail;
        o.konst(
            "Default poll interval.",
            "POLL_MS_DEFAULT",
            "u64",
            &t.poll_ms_default.to_string(),
        );
        o.konst(
            "Smallest poll interval.",
            "POLL_MS_MIN",
            "u64",
            &t.poll_ms_min.to_string(),
        );
        o.konst(
            "Largest poll interval.",
            "POLL_MS_MAX",
            "u64",
            &t.poll_ms_max.to_string(),
        );
    });
    o.module("`[client_policies.cohsh.pool]`.", "pool", |o| {
        let p = &cp.cohsh.pool;
        o.konst(
            "Pooled control sessions.",
            "CONTROL_SESSIONS",
            "usize",
            &p.control_sessions.to_string(),
        );
        o.konst(
            "Pooled telemetry sessions.",
            "TELEMETRY_SESSIONS",
            "usize",
            &p.telemetry_sessions.to_string(),
        );
    });
    o.module(
        "`[client_policies.cohsh.host_telemetry]` poll intervals.",
        "host_telemetry",
        |o| {
            let h = &cp.cohsh.host_telemetry;
            o.konst(
                "NVIDIA provider.",
                "NVIDIA_POLL_MS",
                "u64",
                &h.nvidia_poll_ms.to_string(),
            );
            o.konst(
                "systemd provider.",
                "SYSTEMD_POLL_MS",
                "u64",
                &h.systemd_poll_ms.to_string(),
            );
            o.konst(
                "Docker provider.",
                "DOCKER_POLL_MS",
                "u64",
                &h.docker_poll_ms.to_string(),
            );
            o.konst(
                "Kubernetes provider.",
                "K8S_POLL_MS",
                "u64",
                &h.k8s_poll_ms.to_string(),
            );
        },
    );
    o.module(
        "`[ticket_limits]` (0 means unlimited).",
        "ticket_limits",
        |o| {
            let t = &m.ticket_limits;
            o.konst(
                "Maximum scopes per ticket.",
                "MAX_SCOPES",
                "usize",
                &t.max_scopes.to_string(),
            );
            o.konst(
                "Maximum scope path length.",
                "MAX_SCOPE_PATH_LEN",
                "usize",
                &t.max_scope_path_len.to_string(),
            );
            o.konst(
                "Maximum scope rate.",
                "MAX_SCOPE_RATE_PER_S",
                "u32",
                &t.max_scope_rate_per_s.to_string(),
            );
            o.konst(
                "Session bandwidth budget.",
                "BANDWIDTH_BYTES",
                "u64",
                &t.bandwidth_bytes.to_string(),
            );
            o.konst(
                "Cursor resumes.",
                "CURSOR_RESUMES",
                "u32",
                &t.cursor_resumes.to_string(),
            );
            o.konst(
                "Cursor advances.",
                "CURSOR_ADVANCES",
                "u32",
                &t.cursor_advances.to_string(),
            );
        },
    );
    o.module("`[client_paths]`.", "paths", |o| {
        let p = &m.client_paths;
        o.konst(
            "Queen control file.",
            "QUEEN_CTL",
            "&str",
            &lit(&p.queen_ctl),
        );
        o.konst(
            "Queen lifecycle control file.",
            "QUEEN_LIFECYCLE_CTL",
            "&str",
            &lit(&p.queen_lifecycle_ctl),
        );
        o.konst(
            "Scheduler control file (append JSONL schedule requests).",
            "QUEEN_SCHEDULE_CTL",
            "&str",
            &lit(p.queen_schedule_ctl_or_default()),
        );
        o.konst(
            "Lease control file (append JSONL lease requests).",
            "QUEEN_LEASE_CTL",
            "&str",
            &lit(p.queen_lease_ctl_or_default()),
        );
        o.konst(
            "Export control file (append JSONL export requests).",
            "QUEEN_EXPORT_CTL",
            "&str",
            &lit(p.queen_export_ctl_or_default()),
        );
        o.konst(
            "Policy control file.",
            "POLICY_CTL",
            "&str",
            &lit(p.policy_ctl_or_default()),
        );
        o.konst("Queen log.", "LOG", "&str", &lit(&p.log));
        let mount = m.ecosystem.host.mount_at.trim().trim_end_matches('/');
        for (doc, name, file) in [
            (
                "Host ticket requests (`<ecosystem.host.mount_at>/tickets/spec`).",
                "HOST_TICKETS_SPEC",
                "spec",
            ),
            (
                "Host ticket receipts (`<ecosystem.host.mount_at>/tickets/status`).",
                "HOST_TICKETS_STATUS",
                "status",
            ),
            (
                "Host ticket terminal failures (`<ecosystem.host.mount_at>/tickets/deadletter`).",
                "HOST_TICKETS_DEADLETTER",
                "deadletter",
            ),
        ] {
            o.konst(doc, name, "&str", &lit(&format!("{mount}/tickets/{file}")));
        }
    });
    o.module(
        "Approval queue (compiler constants; the manifest has no key for it).",
        "actions",
        |o| {
            o.konst(
                "Approval queue file (append JSONL approvals).",
                "QUEUE",
                "&str",
                &lit(ACTIONS_QUEUE),
            );
            o.konst(
                "Longest approval line, newline included.",
                "MAX_LINE_BYTES",
                "usize",
                &ACTIONS_QUEUE_MAX_LINE_BYTES.to_string(),
            );
        },
    );
    o.module("`[telemetry]`: per-worker rings.", "telemetry", |o| {
        let t = &m.telemetry;
        o.konst(
            "Ring bytes per worker.",
            "RING_BYTES_PER_WORKER",
            "u32",
            &t.ring_bytes_per_worker.to_string(),
        );
        o.konst(
            "Frame schema.",
            "FRAME_SCHEMA",
            "&str",
            &lit(t.frame_schema.label()),
        );
        o.konst(
            "Cursors survive a reboot.",
            "CURSOR_RETAIN_ON_BOOT",
            "bool",
            &t.cursor.retain_on_boot.to_string(),
        );
    });
    o.module("`[telemetry_ingest]`.", "telemetry_ingest", |o| {
        let t = &m.telemetry_ingest;
        o.konst(
            "Segments kept per device.",
            "MAX_SEGMENTS_PER_DEVICE",
            "u32",
            &t.max_segments_per_device.to_string(),
        );
        o.konst(
            "Bytes per segment.",
            "MAX_BYTES_PER_SEGMENT",
            "u32",
            &t.max_bytes_per_segment.to_string(),
        );
        o.konst(
            "Bytes per device.",
            "MAX_TOTAL_BYTES_PER_DEVICE",
            "u32",
            &t.max_total_bytes_per_device.to_string(),
        );
        o.konst(
            "Reference entries per reference-mode segment.",
            "MAX_REFERENCE_ENTRIES_PER_SEGMENT",
            "u32",
            &t.max_reference_entries_or_default().to_string(),
        );
        o.konst(
            "Bytes of a reference-mode segment's manifest.",
            "MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT",
            "u32",
            &t.max_reference_manifest_bytes_or_default().to_string(),
        );
        o.konst(
            "Source bytes a reference-mode segment may describe.",
            "MAX_REFERENCE_BYTES_PER_SEGMENT",
            "u64",
            &t.max_reference_bytes_or_default().to_string(),
        );
        o.konst(
            "Eviction policy.",
            "EVICTION_POLICY",
            "&str",
            &lit(t.eviction_policy.label()),
        );
    });
    o.module(
        "Telemetry push records (compiler constants, not manifest keys).",
        "telemetry_push",
        |o| {
            o.konst(
                "Record schema tag.",
                "SCHEMA",
                "&str",
                &lit(TELEMETRY_PUSH_SCHEMA),
            );
            o.konst(
                "Largest record in bytes.",
                "MAX_RECORD_BYTES",
                "usize",
                &TELEMETRY_PUSH_MAX_RECORD_BYTES.to_string(),
            );
        },
    );
    o.module("`[lifecycle]`.", "lifecycle", |o| {
        let l = &m.lifecycle;
        o.konst(
            "State at boot.",
            "INITIAL_STATE",
            "&str",
            &lit(l.initial_state.label()),
        );
        let items: Vec<String> = l
            .auto_transitions
            .iter()
            .map(|t| format!("({}, {})", lit(t.from.label()), lit(t.to.label())))
            .collect();
        o.list(
            "Automatic transitions as `(from, to)`.",
            "AUTO_TRANSITIONS",
            "&[(&str, &str)]",
            &items,
        );
    });
    o.module(
        "Example identifiers (compiler constants, not manifest keys).",
        "examples",
        |o| {
            for (doc, name, value) in EXAMPLES {
                o.konst(doc, name, "&str", &lit(value));
            }
        },
    );
    let bounds = crate::bounds::meta_bounds_json(m, hashes.manifest).unwrap_or_default();
    o.module(
        "Compiled bounds as served by `GET /v1/meta/bounds` (an evidence pack's `bounds.json`).",
        "meta_bounds",
        |o| {
            o.konst(
                "Compact JSON, fields in the documented order.",
                "JSON",
                "&str",
                &raw_lit(&bounds),
            );
        },
    );
}

/// A raw string literal holding `s`, with enough `#`s that `s` cannot close it early.
fn raw_lit(s: &str) -> String {
    let mut hashes = String::from("#");
    while s.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{s}\"{hashes}")
}
