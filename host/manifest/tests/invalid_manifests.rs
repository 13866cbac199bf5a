//! Every invalid manifest is refused with the broken rule and its exact source position.

use cohesix_manifest::{check_str, ManifestError};

/// Smallest valid manifest: only the required sections.
const BASE: &str = r#"[root_task]
schema = "1.5"

[profile]
name = "virt-aarch64"
kernel = true

[event_pump]
tick_ms = 5

[secure9p]
msize = 8192
walk_depth = 8
tags_per_session = 16
batch_frames = 1

[secure9p.short_write]
policy = "reject"

[features]
net_console = true

[[tickets]]
role = "queen"
secret = "bootstrap"

[[tickets]]
role = "worker-heartbeat"
secret = "worker"
"#;

fn with(find: &str, replace: &str) -> String {
    assert!(BASE.contains(find), "BASE lacks {find:?}");
    BASE.replacen(find, replace, 1)
}

fn error_of(src: &str) -> ManifestError {
    match check_str(src, "m.toml") {
        Ok(_) => panic!("manifest unexpectedly valid:\n{src}"),
        Err(e) => e,
    }
}

#[test]
fn base_manifest_is_valid() {
    let m = check_str(BASE, "m.toml").expect("BASE is valid");
    assert_eq!(m.tickets.len(), 2);
    // Omitted optional sections carry their defaults.
    assert_eq!(m.client_policies.retry.ceiling_ms, 2000);
    assert_eq!(m.lifecycle.auto_transitions.len(), 1);
}

#[test]
fn invalid_manifest_table() {
    let long_secret = format!("secret = \"{}\"", "s".repeat(225));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown top-level key",
            format!("bogus = 1\n{BASE}"),
            concat!(
                "m.toml:1:1: unknown field `bogus`, expected one of `meta`,",
                " `root_task`, `profile`, `event_pump`, `secure9p`, `features`,",
                " `cache`, `tickets`, `ticket_limits`, `namespaces`, `sharding`,",
                " `ecosystem`, `sidecars`, `telemetry`, `telemetry_ingest`,",
                " `lifecycle`, `observability`, `ui_providers`, `client_policies`,",
                " `client_paths`, `swarmui`, `cas`",
            ),
        ),
        (
            "unknown key in a section",
            with("batch_frames = 1\n", "batch_frames = 1\nwalk = 3\n"),
            concat!(
                "m.toml:16:1: unknown field `walk`, expected one of `msize`,",
                " `walk_depth`, `tags_per_session`, `batch_frames`, `short_write`",
            ),
        ),
        (
            "unknown key in a nested section",
            with("policy = \"reject\"\n", "policy = \"reject\"\nmode = 1\n"),
            "m.toml:19:1: unknown field `mode`, expected `policy`",
        ),
        (
            "unknown key in an array of tables",
            with("secret = \"bootstrap\"\n", "secret = \"bootstrap\"\nttl = 5\n"),
            "m.toml:26:1: unknown field `ttl`, expected `role` or `secret`",
        ),
        (
            "unknown key in a defaulted deep section",
            format!("{BASE}\n[client_policies.cohsh.pool]\ncontrol_sessions = 2\nidle = 1\n"),
            concat!(
                "m.toml:33:1: unknown field `idle`, expected `control_sessions` or",
                " `telemetry_sessions`",
            ),
        ),
        (
            "unknown key in an inline table",
            format!("{BASE}\n[ecosystem]\nmodels = {{ enable = false, size = 1 }}\n"),
            "m.toml:32:28: unknown field `size`, expected `enable`",
        ),
        (
            "wrong schema",
            with("schema = \"1.5\"", "schema = \"1.4\""),
            "m.toml:2:10: root_task.schema: schema must be \"1.5\"",
        ),
        (
            "msize over 8192",
            with("msize = 8192", "msize = 8193"),
            "m.toml:12:9: secure9p.msize: must be <= 8192",
        ),
        (
            "walk_depth 9",
            with("walk_depth = 8", "walk_depth = 9"),
            "m.toml:13:14: secure9p.walk_depth: must be <= 8",
        ),
        (
            "duplicate ticket",
            with("secret = \"worker\"", "secret = \"worker\"\n\n[[tickets]]\nrole = \"worker-heartbeat\"\nsecret = \"worker\""),
            concat!(
                "m.toml:31:1: tickets[2]: duplicate ticket (same role and secret) for",
                " role worker-heartbeat",
            ),
        ),
        (
            "ticket secret over 224 bytes",
            with("secret = \"worker\"", &long_secret),
            "m.toml:29:10: tickets[1].secret: secret must be at most 224 bytes",
        ),
        (
            "relative client path",
            format!("{BASE}\n[client_paths]\nlog = \"log/queen.log\"\n"),
            "m.toml:32:7: client_paths.log: path must be absolute (start with '/')",
        ),
        (
            "client path with ..",
            format!("{BASE}\n[client_paths]\nqueen_ctl = \"/queen/../ctl\"\n"),
            "m.toml:32:13: client_paths.queen_ctl: path component '..' is not allowed",
        ),
        (
            "client path deeper than walk_depth",
            format!("{BASE}\n[client_paths]\nlog = \"/a/b/c/d\"\n")
                .replacen("walk_depth = 8", "walk_depth = 3", 1),
            "m.toml:32:7: client_paths.log: path depth 4 exceeds secure9p.walk_depth 3",
        ),
        (
            "ceiling below backoff",
            format!("{BASE}\n[client_policies.retry]\nbackoff_ms = 500\nceiling_ms = 400\n"),
            "m.toml:33:14: client_policies.retry.ceiling_ms: must be >= backoff_ms",
        ),
        (
            "ceiling below a defaulted backoff",
            format!("{BASE}\n[client_policies.retry]\nceiling_ms = 100\n"),
            "m.toml:32:14: client_policies.retry.ceiling_ms: must be >= backoff_ms",
        ),
        (
            "max_scopes over 16",
            format!("{BASE}\n[ticket_limits]\nmax_scopes = 17\n"),
            "m.toml:32:14: ticket_limits.max_scopes: must be <= 16",
        ),
        (
            "max_scope_path_len 0",
            format!("{BASE}\n[ticket_limits]\nmax_scope_path_len = 0\n"),
            "m.toml:32:22: ticket_limits.max_scope_path_len: must be within 1..=255",
        ),
        (
            "hive line cap over the console line",
            format!("{BASE}\n[swarmui.hive]\nline_cap_bytes = 300\nper_worker_bytes = 4096\n"),
            "m.toml:32:18: swarmui.hive.line_cap_bytes: must be <= 256",
        ),
        (
            "proc node cap below its longest line",
            format!("{BASE}\n[observability.proc_pressure]\nbusy = true\nbusy_bytes = 25\n"),
            concat!(
                "m.toml:33:14: observability.proc_pressure.busy_bytes: must be >= 26",
                " (the longest line this node renders)",
            ),
        ),
        (
            "unsupported lifecycle transition",
            format!("{BASE}\n[[lifecycle.auto_transitions]]\nfrom = \"ONLINE\"\nto = \"BOOTING\"\n"),
            concat!(
                "m.toml:31:1: lifecycle.auto_transitions[0]: ONLINE -> BOOTING is not",
                " supported (only BOOTING -> ONLINE or DEGRADED)",
            ),
        ),
        (
            "ui provider without its /proc node",
            format!("{BASE}\n[ui_providers.proc_9p]\nsessions = true\n"),
            concat!(
                "m.toml:32:12: ui_providers.proc_9p.sessions: needs",
                " observability.proc_9p.sessions = true",
            ),
        ),
        (
            "cas enabled without signing",
            format!("{BASE}\n[cas]\nenable = true\n\n[cas.store]\nchunk_bytes = 128\n\n[ui_providers.updates]\nmanifest = true\n"),
            "m.toml:31:1: cas: [cas.signing] is required when cas.enable = true",
        ),
        (
            "sharding with a shallow walk",
            format!("{BASE}\n[sharding]\nenabled = true\nshard_bits = 4\n")
                .replacen("walk_depth = 8", "walk_depth = 4", 1),
            concat!(
                "m.toml:13:14: secure9p.walk_depth: must be >= 5 when sharding.enabled",
                " (/shard/<xx>/worker/<id>/<file>)",
            ),
        ),
        (
            "sidecar enabled without adapters",
            format!("{BASE}\n[sidecars.lora]\nenable = true\n"),
            "m.toml:31:1: sidecars.lora.adapters: at least one adapter is required when enabled",
        ),
        (
            "sidecar scope used twice",
            format!(
                "{BASE}\n[sidecars.modbus]\nenable = true\n\n[[sidecars.modbus.adapters]]\n\
                 id = \"a\"\nmount = \"a\"\nscope = \"s\"\nlink = \"tcp\"\nbaud = 0\n\n\
                 [[sidecars.modbus.adapters]]\nid = \"b\"\nmount = \"b\"\nscope = \"s\"\n\
                 link = \"tcp\"\nbaud = 0\n"
            ),
            "m.toml:44:9: sidecars.modbus.adapters[1].scope: sidecar scope 's' is used twice",
        ),
        (
            "unknown role",
            with("role = \"queen\"", "role = \"king\""),
            concat!(
                "m.toml:24:8: unknown variant `king`, expected one of `queen`,",
                " `worker-heartbeat`, `worker-gpu`, `worker-bus`, `worker-lora`",
            ),
        ),
        (
            "wrong type",
            with("tick_ms = 5", "tick_ms = \"5\""),
            "m.toml:9:11: invalid type: string \"5\", expected u64",
        ),
        (
            "missing required section",
            BASE.replacen("[features]\nnet_console = true\n", "", 1),
            "m.toml:1:1: missing field `features`",
        ),
    ];
    let mut failures = Vec::new();
    for (name, src, want) in &cases {
        let got = error_of(src).to_string();
        if got != *want {
            failures.push(format!("{name}:\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_errors_expose_rule_and_position() {
    let err = error_of(&with("walk_depth = 8", "walk_depth = 9"));
    assert!(err.is_invalid_manifest());
    assert_eq!(err.position(), Some((13, 14)));
    assert_eq!(err.rule(), Some("must be <= 8"));
}

#[test]
fn errors_never_show_ticket_secrets() {
    let src = with(
        "secret = \"worker\"",
        "secret = \"worker\"\n\n[[tickets]]\nrole = \"worker-heartbeat\"\nsecret = \"worker\"",
    );
    let err = error_of(&src);
    assert!(!err.to_string().contains("\"worker\""), "{err}");
    let m = check_str(BASE, "m.toml").unwrap();
    assert!(!format!("{m:?}").contains("bootstrap"));
}
