//! Renders the `cohesix-generated` crate source from a validated manifest.
//!
//! The output is rustfmt-stable (the drift check and `cargo fmt --check` both see it): scalar
//! constants break after `=` exactly where rustfmt would, and any list that does not fit on one
//! line is written vertically under `#[rustfmt::skip]`.

use crate::model::{Manifest, Role};
use core::fmt::Write as _;
use serde_json::Value;

/// rustfmt's default `max_width`.
const MAX_WIDTH: usize = 100;

/// Console grammar limits: constants of the wire grammar, not manifest keys (spec §6.1).
const CONSOLE_LIMITS: &[(&str, &str, &str, &str)] = &[
    (
        "Longest console line in bytes.",
        "MAX_LINE_LEN",
        "usize",
        "256",
    ),
    (
        "Longest path argument in bytes.",
        "MAX_PATH_LEN",
        "usize",
        "96",
    ),
    (
        "Longest ECHO payload in bytes.",
        "MAX_ECHO_LEN",
        "usize",
        "128",
    ),
    (
        "Longest SPAWN JSON payload in bytes.",
        "MAX_JSON_LEN",
        "usize",
        "192",
    ),
    ("Longest worker id in bytes.", "MAX_ID_LEN", "usize", "32"),
    (
        "Longest role label in bytes.",
        "MAX_ROLE_LEN",
        "usize",
        "16",
    ),
    ("Longest ticket in bytes.", "MAX_TICKET_LEN", "usize", "224"),
    (
        "Smallest legal frame `total_len` (the length prefix alone).",
        "MIN_FRAME_LEN",
        "usize",
        "4",
    ),
    (
        "Largest frame `total_len` a client accepts (Secure9P msize).",
        "MAX_FRAME_LEN",
        "usize",
        "8192",
    ),
    (
        "Commands the server buffers between executor polls (pipelining bound).",
        "MAX_IN_FLIGHT",
        "usize",
        "8",
    ),
    ("TCP console port.", "TCP_PORT", "u16", "31337"),
];

/// Telemetry push record schema (a compiler constant, not a manifest key).
const TELEMETRY_PUSH_SCHEMA: &str = "cohsh-telemetry-push/v1";
/// Largest telemetry push record (a compiler constant, not a manifest key).
const TELEMETRY_PUSH_MAX_RECORD_BYTES: usize = 4096;

/// Hashes embedded in the generated source.
#[derive(Debug, Clone, Copy)]
pub struct Hashes<'a> {
    /// `manifest_sha256`.
    pub manifest: &'a str,
    /// `TICKET_TABLE_SHA256`.
    pub ticket_table: &'a str,
    /// `POLICY_SHA256`.
    pub policy: &'a str,
}

struct Out {
    text: String,
    depth: usize,
}

impl Out {
    fn indent(&self) -> String {
        "    ".repeat(self.depth)
    }

    fn line(&mut self, s: &str) {
        if s.is_empty() {
            self.text.push('\n');
        } else {
            let ind = self.indent();
            let _ = writeln!(self.text, "{ind}{s}");
        }
    }

    fn doc(&mut self, doc: &str) {
        self.line(&format!("/// {doc}"));
    }

    fn konst(&mut self, doc: &str, name: &str, ty: &str, value: &str) {
        self.doc(doc);
        let ind = self.indent();
        let one = format!("{ind}pub const {name}: {ty} = {value};");
        if one.len() <= MAX_WIDTH {
            let _ = writeln!(self.text, "{one}");
        } else {
            let _ = writeln!(
                self.text,
                "{ind}pub const {name}: {ty} =\n{ind}    {value};"
            );
        }
    }

    fn list(&mut self, doc: &str, name: &str, ty: &str, items: &[String]) {
        let one = format!(
            "{}pub const {name}: {ty} = &[{}];",
            self.indent(),
            items.join(", ")
        );
        if one.len() <= MAX_WIDTH && !items.is_empty() {
            self.doc(doc);
            let _ = writeln!(self.text, "{one}");
            return;
        }
        self.doc(doc);
        if items.is_empty() {
            self.line(&format!("pub const {name}: {ty} = &[];"));
            return;
        }
        self.line("#[rustfmt::skip]");
        self.line(&format!("pub const {name}: {ty} = &["));
        for item in items {
            self.line(&format!("    {item},"));
        }
        self.line("];");
    }

    fn module(&mut self, doc: &str, name: &str, body: impl FnOnce(&mut Out)) {
        if !self.text.ends_with("{\n") {
            self.line("");
        }
        self.doc(doc);
        self.line(&format!("pub mod {name} {{"));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line("}");
    }
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Renders the full `generated/src/lib.rs` for `m`, naming `file` as its source.
pub fn render(m: &Manifest, file: &str, hashes: &Hashes<'_>) -> String {
    let mut o = Out {
        text: String::new(),
        depth: 0,
    };
    header(&mut o, file);
    o.konst(
        "SHA-256 of the resolved manifest JSON these constants were derived from.",
        "MANIFEST_SHA256",
        "&str",
        &lit(hashes.manifest),
    );
    o.konst(
        "SHA-256 of the compact JSON of the `[[tickets]]` table.",
        "TICKET_TABLE_SHA256",
        "&str",
        &lit(hashes.ticket_table),
    );
    o.konst(
        "SHA-256 of the generated `cohsh_policy.toml`.",
        "POLICY_SHA256",
        "&str",
        &lit(hashes.policy),
    );
    o.konst(
        "Manifest schema version.",
        "MANIFEST_SCHEMA",
        "&str",
        &lit(&m.root_task.schema),
    );
    let tickets: Vec<String> = m
        .tickets
        .iter()
        .map(|t| format!("({}, {})", lit(t.role.label()), lit(&t.secret)))
        .collect();
    o.line("");
    o.list(
        "`[[tickets]]` as `(role label, secret)`: the manifest's public development defaults.",
        "TICKETS",
        "&[(&str, &str)]",
        &tickets,
    );
    o.module(
        "Console grammar limits (constants of the console grammar, not manifest keys).",
        "console",
        |o| {
            for (doc, name, ty, value) in CONSOLE_LIMITS {
                o.konst(doc, name, ty, value);
            }
        },
    );
    o.module("Role labels accepted by `ATTACH`.", "roles", |o| {
        for role in Role::ALL {
            let name = role.label().replace('-', "_").to_uppercase();
            o.konst(
                &format!("`{}`.", role.label()),
                &name,
                "&str",
                &lit(role.label()),
            );
        }
        let all: Vec<String> = Role::ALL.iter().map(|r| lit(r.label())).collect();
        o.list("Every role, queen first.", "ALL", "&[&str]", &all);
    });
    scalar_sections(&mut o, m);
    generic_sections(&mut o, m);
    o.text
}

fn header(o: &mut Out, file: &str) {
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("manifest");
    let lines = [
        format!("// @generated by coh-rtc from {file}. DO NOT EDIT."),
        format!("// Regenerate with: coh-rtc compile {file} --out generated"),
        "//! Manifest-derived constants for the Cohesix client stack.".to_owned(),
        "//!".to_owned(),
        "//! ```text".to_owned(),
        format!("//! {file} ──coh-rtc compile──► src/lib.rs (this crate)"),
        format!("//!   └─ defaults filled ──► {stem}_resolved.json ──sha256──► MANIFEST_SHA256"),
        "//! ```".to_owned(),
        "//!".to_owned(),
        "//! `no_std`, no dependencies: the core, the adapters and the host tools read their bounds"
            .to_owned(),
        "//! from here. Console limits are grammar constants emitted by the compiler.".to_owned(),
        "#![no_std]".to_owned(),
        String::new(),
    ];
    for l in lines {
        o.line(&l);
    }
}

fn scalar_sections(o: &mut Out, m: &Manifest) {
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
        o.konst("Queen log.", "LOG", "&str", &lit(&p.log));
    });
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
}

fn generic_sections(o: &mut Out, m: &Manifest) {
    let sections: [(&str, &str, Option<Value>); 5] = [
        (
            "sharding",
            "sharding",
            serde_json::to_value(&m.sharding).ok(),
        ),
        (
            "observability",
            "observability",
            serde_json::to_value(&m.observability).ok(),
        ),
        (
            "ui_providers",
            "ui_providers",
            serde_json::to_value(&m.ui_providers).ok(),
        ),
        (
            "ecosystem",
            "ecosystem",
            serde_json::to_value(&m.ecosystem).ok(),
        ),
        (
            "client_policies.coh",
            "coh",
            serde_json::to_value(&m.client_policies.coh).ok(),
        ),
    ];
    for (path, name, value) in sections {
        if let Some(Value::Object(map)) = value {
            value_module(o, path, name, &map);
        }
    }
}

fn value_module(o: &mut Out, path: &str, name: &str, map: &serde_json::Map<String, Value>) {
    o.module(&format!("`[{path}]`."), name, |o| {
        // Sorted here so the output never depends on serde_json's map ordering features.
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in entries {
            let doc = format!("`{path}.{key}`.");
            let konst = key.to_uppercase();
            match value {
                Value::Bool(b) => o.konst(&doc, &konst, "bool", &b.to_string()),
                Value::Number(n) => {
                    let ty = if key.ends_with("_ms") || key.ends_with("_s") {
                        "u64"
                    } else {
                        "usize"
                    };
                    o.konst(&doc, &konst, ty, &n.to_string());
                }
                Value::String(s) => o.konst(&doc, &konst, "&str", &lit(s)),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    let items: Vec<String> =
                        items.iter().filter_map(Value::as_str).map(lit).collect();
                    o.list(&doc, &konst, "&[&str]", &items);
                }
                Value::Object(inner) => value_module(o, &format!("{path}.{key}"), key, inner),
                // Arrays of tables (policy rules) and nulls have no constant form.
                _ => {}
            }
        }
    });
}
