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
fn own_manifest_hashes_like_the_queen_build() {
    // configs/root_task.toml carries the upstream keys and values (only comments differ), so
    // it resolves to the same bytes as the shipped upstream manifest.
    let c = compiled();
    assert_eq!(
        c.resolved_json,
        read("fixtures/upstream/derived/root_task_resolved.json")
    );
    assert_eq!(c.manifest_sha256, g::MANIFEST_SHA256);
    assert_eq!(c.ticket_table_sha256, g::TICKET_TABLE_SHA256);
    assert_eq!(c.policy_sha256, g::POLICY_SHA256);
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
