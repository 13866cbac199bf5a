//! `generated/` is exactly what `coh-rtc compile configs/root_task.toml` produces, and its
//! constants equal the parsed manifest's values.

use cohesix_generated as g;
use cohesix_manifest::{compile_str, Compiled};
use std::fs;
use std::path::PathBuf;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn read(rel: &str) -> String {
    let path = repo(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compiled() -> Compiled {
    compile_str(&read("configs/root_task.toml"), "configs/root_task.toml")
        .expect("configs/root_task.toml compiles")
}

#[test]
fn generated_sources_match_a_fresh_compile() {
    let c = compiled();
    assert!(
        c.generated_rs == read("generated/src/lib.rs"),
        "generated/src/lib.rs is stale: run `cargo run -p cohesix-cli --bin coh-rtc -- compile \
         configs/root_task.toml --out generated`"
    );
    assert_eq!(c.resolved_json, read("generated/root_task_resolved.json"));
    assert_eq!(c.policy_toml, read("generated/cohsh_policy.toml"));
}

#[test]
fn own_manifest_hash_is_the_generated_one() {
    let c = compiled();
    assert_eq!(c.manifest_sha256, g::MANIFEST_SHA256);
    assert_eq!(c.ticket_table_sha256, g::TICKET_TABLE_SHA256);
    assert_eq!(c.policy_sha256, g::POLICY_SHA256);
    assert!(g::meta_bounds::JSON.contains(g::MANIFEST_SHA256));
}

#[test]
fn own_manifest_is_the_0_9_queen_manifest_but_for_the_mount_allowlist() {
    // configs/root_task.toml carries the 0.9.0-beta queen manifest's keys and values; only the
    // coh.mount allowlist differs, extended with what playbooks write (issue 16). With the
    // queen's allowlist put back it resolves to the 0.9 queen's bytes and manifest_sha256.
    let queen = compile_str(
        &read("fixtures/upstream-0.9/configs/root_task.toml"),
        "configs/root_task.toml",
    )
    .expect("0.9 manifest compiles");
    let mut ours = compiled().manifest;
    let allow = &mut ours.client_policies.coh.mount.allowlist;
    let upstream = &queen.manifest.client_policies.coh.mount.allowlist;
    assert_eq!(allow[..upstream.len()], upstream[..]);
    assert_eq!(
        allow[upstream.len()..],
        [
            "/actions",
            "/policy",
            "/queen/schedule",
            "/queen/lease",
            "/queen/export"
        ]
    );
    allow.truncate(upstream.len());
    let json = cohesix_manifest::resolve::resolved_json(&ours).unwrap();
    assert_eq!(json, queen.resolved_json);
    assert_eq!(
        cohesix_manifest::resolve::sha256_hex(json.as_bytes()),
        "af1586465c29995de8086260fe57138aa3481d8ea70f42e5d37b1add06026af0"
    );
    assert_ne!(g::MANIFEST_SHA256, queen.manifest_sha256);
}

#[test]
fn generated_constants_equal_manifest_values() {
    let m = compiled().manifest;
    let cp = &m.client_policies;
    assert_eq!(g::MANIFEST_SCHEMA, m.root_task.schema);
    assert_eq!(u64::from(g::secure9p::MSIZE), u64::from(m.secure9p.msize));
    assert_eq!(g::secure9p::WALK_DEPTH, usize::from(m.secure9p.walk_depth));
    assert_eq!(
        g::secure9p::TAGS_PER_SESSION,
        u32::from(m.secure9p.tags_per_session)
    );
    assert_eq!(
        g::secure9p::BATCH_FRAMES,
        u32::from(m.secure9p.batch_frames)
    );
    assert_eq!(g::retry::MAX_ATTEMPTS, u32::from(cp.retry.max_attempts));
    assert_eq!(g::retry::BACKOFF_MS, cp.retry.backoff_ms);
    assert_eq!(g::retry::CEILING_MS, cp.retry.ceiling_ms);
    assert_eq!(g::retry::TIMEOUT_MS, cp.retry.timeout_ms);
    assert_eq!(g::heartbeat::INTERVAL_MS, cp.heartbeat.interval_ms);
    assert_eq!(g::trace::MAX_BYTES, u64::from(cp.trace.max_bytes));
    assert_eq!(g::tail::POLL_MS_DEFAULT, cp.cohsh.tail.poll_ms_default);
    assert_eq!(g::tail::POLL_MS_MIN, cp.cohsh.tail.poll_ms_min);
    assert_eq!(g::tail::POLL_MS_MAX, cp.cohsh.tail.poll_ms_max);
    assert_eq!(
        g::pool::CONTROL_SESSIONS,
        usize::from(cp.cohsh.pool.control_sessions)
    );
    assert_eq!(
        g::pool::TELEMETRY_SESSIONS,
        usize::from(cp.cohsh.pool.telemetry_sessions)
    );
    let ht = &cp.cohsh.host_telemetry;
    assert_eq!(g::host_telemetry::NVIDIA_POLL_MS, ht.nvidia_poll_ms);
    assert_eq!(g::host_telemetry::SYSTEMD_POLL_MS, ht.systemd_poll_ms);
    assert_eq!(g::host_telemetry::DOCKER_POLL_MS, ht.docker_poll_ms);
    assert_eq!(g::host_telemetry::K8S_POLL_MS, ht.k8s_poll_ms);
    let tl = &m.ticket_limits;
    assert_eq!(g::ticket_limits::MAX_SCOPES, usize::from(tl.max_scopes));
    assert_eq!(
        g::ticket_limits::MAX_SCOPE_PATH_LEN,
        usize::from(tl.max_scope_path_len)
    );
    assert_eq!(
        g::ticket_limits::MAX_SCOPE_RATE_PER_S,
        tl.max_scope_rate_per_s
    );
    assert_eq!(g::ticket_limits::BANDWIDTH_BYTES, tl.bandwidth_bytes);
    assert_eq!(g::ticket_limits::CURSOR_RESUMES, tl.cursor_resumes);
    assert_eq!(g::ticket_limits::CURSOR_ADVANCES, tl.cursor_advances);
    assert_eq!(g::paths::QUEEN_CTL, m.client_paths.queen_ctl);
    assert_eq!(
        g::paths::QUEEN_LIFECYCLE_CTL,
        m.client_paths.queen_lifecycle_ctl
    );
    assert_eq!(g::paths::LOG, m.client_paths.log);
    assert_eq!(
        g::telemetry::RING_BYTES_PER_WORKER,
        m.telemetry.ring_bytes_per_worker
    );
    let ti = &m.telemetry_ingest;
    assert_eq!(
        g::telemetry_ingest::MAX_SEGMENTS_PER_DEVICE,
        ti.max_segments_per_device
    );
    assert_eq!(
        g::telemetry_ingest::MAX_BYTES_PER_SEGMENT,
        ti.max_bytes_per_segment
    );
    assert_eq!(
        g::telemetry_ingest::MAX_TOTAL_BYTES_PER_DEVICE,
        ti.max_total_bytes_per_device
    );
    assert_eq!(
        g::telemetry_ingest::EVICTION_POLICY,
        ti.eviction_policy.label()
    );
    assert_eq!(
        g::lifecycle::INITIAL_STATE,
        m.lifecycle.initial_state.label()
    );
    let lease = &cp.coh.run.lease;
    assert_eq!(g::coh::run::lease::SCHEMA, lease.schema);
    assert_eq!(g::coh::run::lease::ACTIVE_STATE, lease.active_state);
    assert_eq!(
        g::coh::run::lease::MAX_BYTES as u64,
        u64::from(lease.max_bytes)
    );
    let bc = &cp.coh.run.breadcrumb;
    assert_eq!(g::coh::run::breadcrumb::SCHEMA, bc.schema);
    assert_eq!(
        g::coh::run::breadcrumb::MAX_LINE_BYTES as u64,
        u64::from(bc.max_line_bytes)
    );
    assert_eq!(g::coh::mount::ALLOWLIST, cp.coh.mount.allowlist.as_slice());
    let obs = &m.observability.proc_9p;
    assert_eq!(
        g::observability::proc_9p::SESSIONS_BYTES as u64,
        u64::from(obs.sessions_bytes)
    );
    let tickets: Vec<(&str, &str)> = m
        .tickets
        .iter()
        .map(|t| (t.role.label(), t.secret.as_str()))
        .collect();
    assert_eq!(g::TICKETS, tickets.as_slice());
}

#[test]
fn fixed_compiler_constants() {
    assert_eq!(g::telemetry_push::SCHEMA, "cohsh-telemetry-push/v1");
    assert_eq!(g::telemetry_push::MAX_RECORD_BYTES, 4096);
    assert_eq!(g::console::MAX_LINE_LEN, 256);
    assert_eq!(g::console::MAX_PATH_LEN, 96);
    assert_eq!(g::console::MAX_TICKET_LEN, 224);
    assert_eq!(
        g::roles::ALL,
        [
            "queen",
            "worker-heartbeat",
            "worker-gpu",
            "worker-bus",
            "worker-lora"
        ]
    );
}

#[test]
fn generated_header_names_the_manifest() {
    let rs = compiled().generated_rs;
    assert!(rs.starts_with("// @generated by coh-rtc from configs/root_task.toml. DO NOT EDIT.\n"));
}

#[test]
fn changed_manifest_changes_outputs() {
    let src = read("configs/root_task.toml").replace("timeout_ms = 5000", "timeout_ms = 7000");
    let c = compile_str(&src, "configs/root_task.toml").unwrap();
    assert!(c.generated_rs.contains("pub const TIMEOUT_MS: u64 = 7000;"));
    assert_ne!(c.manifest_sha256, g::MANIFEST_SHA256);
    assert!(c.policy_toml.contains("timeout_ms = 7000\n"));
}

#[test]
fn host_surface_constants_equal_manifest_values() {
    let m = compiled().manifest;
    let cp = m.control_plane.clone().expect("control_plane is written");
    assert_eq!(g::control_plane::schedule::ENABLE, cp.schedule.enable);
    assert_eq!(
        g::control_plane::schedule::QUEUE_MAX_ENTRIES as u64,
        u64::from(cp.schedule.queue_max_entries)
    );
    assert_eq!(
        g::control_plane::schedule::CTL_MAX_BYTES as u64,
        u64::from(cp.schedule.ctl_max_bytes)
    );
    assert_eq!(g::control_plane::lease::ENABLE, cp.lease.enable);
    assert_eq!(
        g::control_plane::lease::ACTIVE_MAX_ENTRIES as u64,
        u64::from(cp.lease.active_max_entries)
    );
    assert_eq!(
        g::control_plane::lease::PREEMPTIONS_MAX_ENTRIES as u64,
        u64::from(cp.lease.preemptions_max_entries)
    );
    assert_eq!(
        g::control_plane::lease::CTL_MAX_BYTES as u64,
        u64::from(cp.lease.ctl_max_bytes)
    );
    assert_eq!(g::control_plane::export::ENABLE, cp.export.enable);
    assert_eq!(
        g::control_plane::export::CTL_MAX_BYTES as u64,
        u64::from(cp.export.ctl_max_bytes)
    );
    let ps = m.observability.proc_schedule.clone().expect("written");
    assert_eq!(g::observability::proc_schedule::SUMMARY, ps.summary);
    assert_eq!(g::observability::proc_schedule::QUEUE, ps.queue);
    assert_eq!(
        g::observability::proc_schedule::QUEUE_BYTES as u64,
        u64::from(ps.queue_bytes)
    );
    let pl = m.observability.proc_lease.clone().expect("written");
    assert_eq!(g::observability::proc_lease::PREEMPTIONS, pl.preemptions);
    assert_eq!(
        g::observability::proc_lease::ACTIVE_BYTES as u64,
        u64::from(pl.active_bytes)
    );
    let p = &m.client_paths;
    assert_eq!(
        Some(g::paths::QUEEN_SCHEDULE_CTL),
        p.queen_schedule_ctl.as_deref()
    );
    assert_eq!(
        Some(g::paths::QUEEN_LEASE_CTL),
        p.queen_lease_ctl.as_deref()
    );
    assert_eq!(
        Some(g::paths::QUEEN_EXPORT_CTL),
        p.queen_export_ctl.as_deref()
    );
    assert_eq!(Some(g::paths::POLICY_CTL), p.policy_ctl.as_deref());
    let ti = &m.telemetry_ingest;
    assert_eq!(
        Some(g::telemetry_ingest::MAX_REFERENCE_ENTRIES_PER_SEGMENT),
        ti.max_reference_entries_per_segment
    );
    assert_eq!(
        Some(g::telemetry_ingest::MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT),
        ti.max_reference_manifest_bytes_per_segment
    );
    assert_eq!(
        Some(g::telemetry_ingest::MAX_REFERENCE_BYTES_PER_SEGMENT),
        ti.max_reference_bytes_per_segment
    );
    let t = m.ecosystem.host.tickets.clone().expect("written");
    assert_eq!(g::ecosystem::host::tickets::ENABLE, t.enable);
    assert_eq!(
        g::ecosystem::host::tickets::REQUEST_SCHEMA,
        t.request_schema
    );
    let actions: Vec<&str> = t.action_allowlist.iter().map(|a| a.label()).collect();
    assert_eq!(
        g::ecosystem::host::tickets::ACTION_ALLOWLIST,
        actions.as_slice()
    );
    let pol = &m.ecosystem.policy;
    assert_eq!(g::ecosystem::policy::ENABLE, pol.enable);
    assert_eq!(
        g::ecosystem::policy::QUEUE_MAX_ENTRIES as u64,
        u64::from(pol.queue_max_entries)
    );
}

/// The 0.9 generated defaults (host-surface spec §1.1), stated independently of the manifest.
#[test]
fn host_surface_values_are_the_0_9_defaults() {
    use g::control_plane::{export, lease, schedule};
    use g::observability::{proc_lease, proc_schedule};
    assert_eq!((g::secure9p::MSIZE, g::secure9p::WALK_DEPTH), (8192, 8));
    assert_eq!(
        [
            g::paths::QUEEN_CTL,
            g::paths::QUEEN_LIFECYCLE_CTL,
            g::paths::QUEEN_SCHEDULE_CTL,
            g::paths::QUEEN_LEASE_CTL,
            g::paths::QUEEN_EXPORT_CTL,
            g::paths::POLICY_CTL,
            g::paths::LOG,
        ],
        [
            "/queen/ctl",
            "/queen/lifecycle/ctl",
            "/queen/schedule/ctl",
            "/queen/lease/ctl",
            "/queen/export/ctl",
            "/policy/ctl",
            "/log/queen.log",
        ]
    );
    assert_eq!(
        (
            schedule::ENABLE,
            schedule::QUEUE_MAX_ENTRIES,
            schedule::CTL_MAX_BYTES
        ),
        (true, 256, 8192)
    );
    assert_eq!(
        (
            lease::ENABLE,
            lease::ACTIVE_MAX_ENTRIES,
            lease::PREEMPTIONS_MAX_ENTRIES,
            lease::CTL_MAX_BYTES
        ),
        (true, 256, 256, 8192)
    );
    assert_eq!((export::ENABLE, export::CTL_MAX_BYTES), (true, 2048));
    assert_eq!(
        (
            proc_schedule::SUMMARY,
            proc_schedule::QUEUE,
            proc_schedule::SUMMARY_BYTES,
            proc_schedule::QUEUE_BYTES
        ),
        (true, true, 128, 256)
    );
    assert_eq!(
        (
            proc_lease::SUMMARY,
            proc_lease::ACTIVE,
            proc_lease::PREEMPTIONS,
            proc_lease::SUMMARY_BYTES,
            proc_lease::ACTIVE_BYTES,
            proc_lease::PREEMPTIONS_BYTES
        ),
        (true, true, true, 160, 256, 256)
    );
    use g::telemetry_ingest as ti;
    assert_eq!(
        (
            ti::MAX_SEGMENTS_PER_DEVICE,
            ti::MAX_BYTES_PER_SEGMENT,
            ti::MAX_TOTAL_BYTES_PER_DEVICE,
            ti::MAX_REFERENCE_ENTRIES_PER_SEGMENT,
            ti::MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT,
            ti::MAX_REFERENCE_BYTES_PER_SEGMENT,
            ti::EVICTION_POLICY
        ),
        (
            4,
            131_072,
            524_288,
            1024,
            131_072,
            1_073_741_824,
            "evict-oldest"
        )
    );
    assert_eq!(
        (
            g::telemetry_push::SCHEMA,
            g::telemetry_push::MAX_RECORD_BYTES
        ),
        ("cohsh-telemetry-push/v1", 4096)
    );
    // coh.mount: upstream's six roots first, then what playbooks write (issue 16).
    assert_eq!(g::coh::mount::ROOT, "/");
    assert_eq!(
        g::coh::mount::ALLOWLIST,
        [
            "/proc",
            "/queen",
            "/worker",
            "/log",
            "/gpu",
            "/host",
            "/actions",
            "/policy",
            "/queen/schedule",
            "/queen/lease",
            "/queen/export"
        ]
    );
    use g::coh::telemetry as ct;
    assert_eq!(
        (
            ct::ROOT,
            ct::MAX_DEVICES,
            ct::MAX_SEGMENTS_PER_DEVICE,
            ct::MAX_BYTES_PER_SEGMENT,
            ct::MAX_TOTAL_BYTES_PER_DEVICE
        ),
        ("/queen/telemetry", 32, 4, 131_072, 524_288)
    );
    use g::coh::run::{breadcrumb, lease as run_lease};
    assert_eq!(
        (
            run_lease::SCHEMA,
            run_lease::ACTIVE_STATE,
            run_lease::MAX_BYTES
        ),
        ("gpu-lease/v1", "ACTIVE", 1024)
    );
    assert_eq!(
        (
            breadcrumb::SCHEMA,
            breadcrumb::MAX_LINE_BYTES,
            breadcrumb::MAX_COMMAND_BYTES
        ),
        ("gpu-breadcrumb/v1", 512, 256)
    );
    use g::coh::peft::{activate, export as peft_export, import};
    assert_eq!(
        (
            peft_export::ROOT,
            peft_export::MAX_TELEMETRY_BYTES,
            peft_export::MAX_POLICY_BYTES,
            peft_export::MAX_BASE_MODEL_BYTES
        ),
        ("/queen/export/lora_jobs", 131_072, 8192, 1024)
    );
    assert_eq!(
        (
            import::REGISTRY_ROOT,
            import::MAX_ADAPTER_BYTES,
            import::MAX_LORA_BYTES,
            import::MAX_METRICS_BYTES,
            import::MAX_MANIFEST_BYTES
        ),
        ("out/model_registry", 67_108_864, 65_536, 65_536, 8192)
    );
    assert_eq!(
        (activate::MAX_MODEL_ID_BYTES, activate::MAX_STATE_BYTES),
        (128, 4096)
    );
    assert_eq!(
        (
            g::retry::MAX_ATTEMPTS,
            g::retry::BACKOFF_MS,
            g::retry::CEILING_MS,
            g::retry::TIMEOUT_MS
        ),
        (3, 200, 2000, 5000)
    );
    assert_eq!(
        [
            g::examples::GPU_ID,
            g::examples::MIG_GPU_ID,
            g::examples::JOB_ID,
            g::examples::MODEL_ID,
            g::examples::DEVICE_ID,
            g::examples::OUTPUT_ROOT,
            g::examples::MOCK_ROOT,
        ],
        [
            "GPU-0",
            "MIG-0",
            "job_8932",
            "llama3-edge-v7",
            "device-1",
            "out/examples",
            "out/examples/mockfs"
        ]
    );
    use g::ecosystem::policy as pol;
    assert_eq!(
        (
            pol::ENABLE,
            pol::QUEUE_MAX_ENTRIES,
            pol::QUEUE_MAX_BYTES,
            pol::CTL_MAX_BYTES
        ),
        (true, 256, 8192, 2048)
    );
    // Host tickets (spec §4.3).
    use g::ecosystem::host::tickets as ht;
    assert_eq!(
        (
            ht::ENABLE,
            ht::REQUEST_SCHEMA,
            ht::RESULT_SCHEMA,
            ht::MAX_LINE_BYTES
        ),
        (true, "host-ticket/v1", "host-ticket-result/v1", 2048)
    );
    assert_eq!(
        ht::ACTION_ALLOWLIST.join(" "),
        "gpu.lease.grant gpu.lease.renew gpu.lease.release peft.import peft.activate \
         peft.rollback systemd.start systemd.stop systemd.restart systemd.status-check \
         docker.restart docker.stop docker.status-check k8s.cordon k8s.drain k8s.lease.sync"
    );
    assert_eq!(
        ht::LIFECYCLE.join(" "),
        "queued claimed running succeeded failed expired"
    );
    assert_eq!(
        [
            g::paths::HOST_TICKETS_SPEC,
            g::paths::HOST_TICKETS_STATUS,
            g::paths::HOST_TICKETS_DEADLETTER,
            g::actions::QUEUE,
        ],
        [
            "/host/tickets/spec",
            "/host/tickets/status",
            "/host/tickets/deadletter",
            "/actions/queue"
        ]
    );
    assert_eq!(g::actions::MAX_LINE_BYTES, 2048);
}

/// `/v1/meta/bounds` (host-surface spec §5.9): every field, in the documented order.
#[test]
fn meta_bounds_document_has_the_documented_fields_in_order() {
    let want = concat!(
        r#"{"manifest_sha256":"SHA","secure9p":{"msize":8192,"walk_depth":8},"#,
        r#""console":{"max_line_len":256,"max_path_len":96,"max_json_len":192,"max_id_len":32,"#,
        r#""max_echo_len":128,"max_ticket_len":224},"#,
        r#""paths":{"queen_ctl":"/queen/ctl","queen_lifecycle_ctl":"/queen/lifecycle/ctl","#,
        r#""queen_schedule_ctl":"/queen/schedule/ctl","queen_lease_ctl":"/queen/lease/ctl","#,
        r#""queen_export_ctl":"/queen/export/ctl","policy_ctl":"/policy/ctl","#,
        r#""log":"/log/queen.log"},"#,
        r#""control_plane":{"schedule":{"enable":true,"queue_max_entries":256,"#,
        r#""ctl_max_bytes":8192},"lease":{"enable":true,"active_max_entries":256,"#,
        r#""preemptions_max_entries":256,"ctl_max_bytes":8192},"#,
        r#""export":{"enable":true,"ctl_max_bytes":2048}},"#,
        r#""policy":{"enable":true,"queue_max_entries":256,"queue_max_bytes":8192,"#,
        r#""ctl_max_bytes":2048},"#,
        r#""observability":{"proc_schedule":{"summary":true,"queue":true,"summary_bytes":128,"#,
        r#""queue_bytes":256},"proc_lease":{"summary":true,"active":true,"preemptions":true,"#,
        r#""summary_bytes":160,"active_bytes":256,"preemptions_bytes":256}}}"#,
    )
    .replace("SHA", g::MANIFEST_SHA256);
    assert_eq!(g::meta_bounds::JSON, want);
    let c = compiled();
    assert_eq!(
        cohesix_manifest::bounds::meta_bounds_json(&c.manifest, &c.manifest_sha256).unwrap(),
        g::meta_bounds::JSON
    );
}
