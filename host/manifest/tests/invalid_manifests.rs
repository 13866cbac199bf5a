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
                " `lifecycle`, `control_plane`, `observability`, `ui_providers`,",
                " `client_policies`,",
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
            "unknown key in a 0.9 section",
            format!("{BASE}\n[control_plane.lease]\nenable = false\nmax_active = 1\n"),
            concat!(
                "m.toml:33:1: unknown field `max_active`, expected one of `enable`,",
                " `active_max_entries`, `preemptions_max_entries`, `ctl_max_bytes`",
            ),
        ),
        (
            "schedule queue over 256",
            format!(
                "{BASE}\n[control_plane.schedule]\nenable = true\nqueue_max_entries = 257\n\
                 ctl_max_bytes = 8192\n"
            ),
            concat!(
                "m.toml:33:21: control_plane.schedule.queue_max_entries: must be within",
                " 1..=256 when enabled",
            ),
        ),
        (
            "enabled lease without preemption entries",
            format!(
                "{BASE}\n[control_plane.lease]\nenable = true\nactive_max_entries = 8\n\
                 ctl_max_bytes = 8192\n"
            ),
            concat!(
                "m.toml:31:1: control_plane.lease.preemptions_max_entries: must be within",
                " 1..=256 when enabled",
            ),
        ),
        (
            "export ctl over msize",
            format!("{BASE}\n[control_plane.export]\nenable = true\nctl_max_bytes = 8193\n"),
            "m.toml:33:17: control_plane.export.ctl_max_bytes: must be within 1..=8192 when enabled",
        ),
        (
            "disabled control file with bounds",
            format!("{BASE}\n[control_plane.schedule]\nenable = false\nctl_max_bytes = 8192\n"),
            concat!(
                "m.toml:33:17: control_plane.schedule.ctl_max_bytes: must be 0 when",
                " control_plane.schedule.enable = false",
            ),
        ),
        (
            "proc schedule queue cap below its longest line",
            format!("{BASE}\n[observability.proc_schedule]\nqueue = true\nqueue_bytes = 172\n"),
            concat!(
                "m.toml:33:15: observability.proc_schedule.queue_bytes: must be >= 173",
                " (the longest line this node renders)",
            ),
        ),
        (
            "proc lease active cap below its longest line (defaulted cap is fine)",
            format!("{BASE}\n[observability.proc_lease]\nactive = true\nactive_bytes = 219\n"),
            concat!(
                "m.toml:33:16: observability.proc_lease.active_bytes: must be >= 220",
                " (the longest line this node renders)",
            ),
        ),
        (
            "proc lease summary cap over msize",
            format!("{BASE}\n[observability.proc_lease]\nsummary = true\nsummary_bytes = 9000\n"),
            "m.toml:33:17: observability.proc_lease.summary_bytes: must be <= 8192",
        ),
        (
            "relative 0.9 control path",
            format!("{BASE}\n[client_paths]\nqueen_lease_ctl = \"queen/lease/ctl\"\n"),
            concat!(
                "m.toml:32:19: client_paths.queen_lease_ctl: path must be absolute",
                " (start with '/')",
            ),
        ),
        (
            "defaulted 0.9 control path deeper than walk_depth",
            format!(
                "{BASE}\n[client_paths]\nqueen_lifecycle_ctl = \"/queen/lifecycle\"\n\
                 log = \"/log/queen.log\"\n"
            )
            .replacen("walk_depth = 8", "walk_depth = 2", 1),
            concat!(
                "m.toml:31:1: client_paths.queen_schedule_ctl: path depth 3 exceeds",
                " secure9p.walk_depth 2",
            ),
        ),
        (
            "reference entries over 16384",
            format!("{BASE}\n[telemetry_ingest]\nmax_reference_entries_per_segment = 16385\n"),
            concat!(
                "m.toml:32:37: telemetry_ingest.max_reference_entries_per_segment: must be",
                " within 1..=16384",
            ),
        ),
        (
            "reference manifest larger than a segment",
            format!(
                "{BASE}\n[telemetry_ingest]\nmax_bytes_per_segment = 4096\n\
                 max_reference_manifest_bytes_per_segment = 4097\n"
            ),
            concat!(
                "m.toml:33:44: telemetry_ingest.max_reference_manifest_bytes_per_segment:",
                " must be within 1..=max_bytes_per_segment",
            ),
        ),
        (
            "reference bytes below a segment",
            format!("{BASE}\n[telemetry_ingest]\nmax_reference_bytes_per_segment = 1024\n"),
            concat!(
                "m.toml:32:35: telemetry_ingest.max_reference_bytes_per_segment: must be",
                " >= max_bytes_per_segment",
            ),
        ),
        (
            "reference sizes with ingest off",
            format!(
                "{BASE}\n[telemetry_ingest]\nmax_segments_per_device = 0\n\
                 max_bytes_per_segment = 0\nmax_total_bytes_per_device = 0\n\
                 max_reference_entries_per_segment = 8\n"
            ),
            concat!(
                "m.toml:35:37: telemetry_ingest.max_reference_entries_per_segment: must be 0",
                " when the segment limits are 0 (ingest off)",
            ),
        ),
        (
            "policy queue over 256",
            format!("{BASE}\n[ecosystem.policy]\nqueue_max_entries = 257\n"),
            "m.toml:32:21: ecosystem.policy.queue_max_entries: must be within 1..=256",
        ),
        (
            "unknown host ticket action",
            format!(
                "{BASE}\n[ecosystem.host]\nenable = true\n\n[ecosystem.host.tickets]\n\
                 enable = true\naction_allowlist = [\"gpu.lease.grant\", \"rm.rf\"]\n"
            ),
            concat!(
                "m.toml:36:40: unknown variant `rm.rf`, expected one of `gpu.lease.grant`,",
                " `gpu.lease.renew`, `gpu.lease.release`, `peft.import`, `peft.activate`,",
                " `peft.rollback`, `systemd.start`, `systemd.stop`, `systemd.restart`,",
                " `systemd.status-check`, `docker.restart`, `docker.stop`,",
                " `docker.status-check`, `k8s.cordon`, `k8s.drain`, `k8s.lease.sync`",
            ),
        ),
        (
            "host ticket action listed twice",
            format!(
                "{BASE}\n[ecosystem.host]\nenable = true\n\n[ecosystem.host.tickets]\n\
                 enable = true\naction_allowlist = [\"k8s.drain\", \"k8s.drain\"]\n"
            ),
            concat!(
                "m.toml:36:34: ecosystem.host.tickets.action_allowlist[1]: action",
                " 'k8s.drain' is listed twice",
            ),
        ),
        (
            "host ticket lifecycle missing a state",
            format!(
                "{BASE}\n[ecosystem.host]\nenable = true\n\n[ecosystem.host.tickets]\nenable = true\n\
                 lifecycle = [\"queued\", \"claimed\", \"running\", \"succeeded\", \"failed\"]\n"
            ),
            concat!(
                "m.toml:36:13: ecosystem.host.tickets.lifecycle: must list state",
                " 'expired'",
            ),
        ),
        (
            "host ticket line over msize",
            format!(
                "{BASE}\n[ecosystem.host]\nenable = true\n\n[ecosystem.host.tickets]\nenable = true\nmax_line_bytes = 8193\n"
            ),
            "m.toml:36:18: ecosystem.host.tickets.max_line_bytes: must be <= 8192",
        ),
        (
            "empty host ticket schema",
            format!(
                "{BASE}\n[ecosystem.host]\nenable = true\n\n[ecosystem.host.tickets]\nenable = true\nrequest_schema = \" \"\n"
            ),
            "m.toml:36:18: ecosystem.host.tickets.request_schema: must be 1..=64 bytes",
        ),
        (
            "affinity core outside max_cores",
            with(
                "schema = \"1.5\"\n",
                "schema = \"1.5\"\n\n[root_task.affinity]\nenabled = true\nmax_cores = 4\n\
                 worker_cores = [2, 4]\n",
            ),
            "m.toml:7:20: root_task.affinity.worker_cores[1]: core 4 must be < max_cores 4",
        ),
        (
            "affinity with no cores",
            with(
                "schema = \"1.5\"\n",
                "schema = \"1.5\"\n\n[root_task.affinity]\nenabled = true\nmax_cores = 0\n",
            ),
            "m.toml:6:13: root_task.affinity.max_cores: must be within 1..=64",
        ),
        (
            "hive event buffer below the LOD budget",
            format!("{BASE}\n[swarmui.hive]\npending_event_cap = 100\n"),
            "m.toml:32:21: swarmui.hive.pending_event_cap: must be >= lod_event_budget",
        ),
        (
            "hive status poll of zero",
            format!("{BASE}\n[swarmui.hive]\nstatus_poll_ms = 0\n"),
            "m.toml:32:18: swarmui.hive.status_poll_ms: must be >= 1",
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
