//! Semantic validation of a deserialised manifest (spec §6).
//!
//! Rules run in a fixed order and the first broken rule is reported, naming the key it is
//! about so the caller can point at the source position. Rule texts never include ticket
//! secrets.

mod control_plane;
mod observability;
mod paths;
mod surfaces;

use crate::locate::KeyPath;
use crate::model::{Manifest, SCHEMA_VERSION};
use std::collections::BTreeSet;

pub use control_plane::{
    MAX_LEASE_ACTIVE_ENTRIES, MAX_LEASE_PREEMPTION_ENTRIES, MAX_SCHEDULE_QUEUE_ENTRIES,
};
pub use paths::{check_client_path, MAX_PATH_LEN};

/// Largest Secure9P message size.
pub const MAX_MSIZE: u32 = 8192;
/// Largest walk depth.
pub const MAX_WALK_DEPTH: u8 = 8;
/// Largest ticket secret, in bytes (the console ticket budget).
pub const MAX_TICKET_SECRET_LEN: usize = 224;
/// Largest `ticket_limits.max_scopes`.
pub const MAX_TICKET_SCOPES: u16 = 16;
/// Largest `ticket_limits.max_scope_path_len`.
pub const MAX_SCOPE_PATH_LEN: u16 = 255;
/// Console line limit, bounding `swarmui.hive.line_cap_bytes`.
pub const MAX_LINE_LEN: u32 = 256;

/// A broken rule and the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Key the rule is about.
    pub key: KeyPath,
    /// Rule text.
    pub rule: String,
}

/// Result of one check.
pub type Check = Result<(), Violation>;

/// Fails with `rule` on `key` unless `ok`.
pub(crate) fn ensure(ok: bool, key: KeyPath, rule: impl FnOnce() -> String) -> Check {
    if ok {
        Ok(())
    } else {
        Err(Violation { key, rule: rule() })
    }
}

/// Shorthand for a key path made of table keys.
pub(crate) fn k(keys: &[&'static str]) -> KeyPath {
    KeyPath::of(keys)
}

/// Checks every rule, returning the first violation.
pub fn validate(m: &Manifest) -> Check {
    check_core(m)?;
    check_tickets(m)?;
    surfaces::check_namespaces(m)?;
    surfaces::check_ecosystem(m)?;
    surfaces::check_sidecars(m)?;
    surfaces::check_telemetry(m)?;
    surfaces::check_lifecycle(m)?;
    control_plane::check_control_plane(m)?;
    observability::check_observability(m)?;
    surfaces::check_ui_providers(m)?;
    check_client_policies(m)?;
    check_coh(m)?;
    check_client_paths(m)?;
    surfaces::check_swarmui(m)?;
    surfaces::check_cas(m)?;
    Ok(())
}

fn check_core(m: &Manifest) -> Check {
    ensure(
        m.root_task.schema == SCHEMA_VERSION,
        k(&["root_task", "schema"]),
        || format!("schema must be \"{SCHEMA_VERSION}\""),
    )?;
    check_affinity(m)?;
    let s9p = &m.secure9p;
    ensure(s9p.msize <= MAX_MSIZE, k(&["secure9p", "msize"]), || {
        format!("must be <= {MAX_MSIZE}")
    })?;
    ensure(
        s9p.walk_depth <= MAX_WALK_DEPTH,
        k(&["secure9p", "walk_depth"]),
        || format!("must be <= {MAX_WALK_DEPTH}"),
    )?;
    ensure(
        s9p.tags_per_session >= 1,
        k(&["secure9p", "tags_per_session"]),
        || "must be >= 1".into(),
    )?;
    ensure(
        s9p.batch_frames >= 1,
        k(&["secure9p", "batch_frames"]),
        || "must be >= 1".into(),
    )?;
    if m.profile.kernel {
        ensure(
            !m.features.std_console,
            k(&["features", "std_console"]),
            || "needs profile.kernel = false".into(),
        )?;
        ensure(
            !m.features.std_host_tools,
            k(&["features", "std_host_tools"]),
            || "needs profile.kernel = false".into(),
        )?;
    }
    let c = &m.cache;
    ensure(
        c.kernel_ops || !(c.dma_clean || c.dma_invalidate || c.unify_instructions),
        k(&["cache", "kernel_ops"]),
        || "must be true when any cache maintenance is requested".into(),
    )?;
    let sh = &m.sharding;
    ensure(sh.shard_bits <= 8, k(&["sharding", "shard_bits"]), || {
        "must be <= 8".into()
    })?;
    if sh.enabled {
        ensure(s9p.walk_depth >= 5, k(&["secure9p", "walk_depth"]), || {
            "must be >= 5 when sharding.enabled (/shard/<xx>/worker/<id>/<file>)".into()
        })?;
    }
    Ok(())
}

/// Largest `root_task.affinity.max_cores`.
const MAX_AFFINITY_CORES: u8 = 64;

fn check_affinity(m: &Manifest) -> Check {
    let Some(a) = &m.root_task.affinity else {
        return Ok(());
    };
    let key = |f| k(&["root_task", "affinity", f]);
    ensure(
        (1..=MAX_AFFINITY_CORES).contains(&a.max_cores),
        key("max_cores"),
        || format!("must be within 1..={MAX_AFFINITY_CORES}"),
    )?;
    if let Some(core) = a.authority_core {
        ensure(core < a.max_cores, key("authority_core"), || {
            format!("core {core} must be < max_cores {}", a.max_cores)
        })?;
    }
    for (name, cores) in [
        ("ninedoor_cores", &a.ninedoor_cores),
        ("provider_cores", &a.provider_cores),
        ("worker_cores", &a.worker_cores),
    ] {
        for (i, core) in cores.iter().enumerate() {
            ensure(*core < a.max_cores, key(name).idx(i), || {
                format!("core {core} must be < max_cores {}", a.max_cores)
            })?;
        }
    }
    Ok(())
}

fn check_tickets(m: &Manifest) -> Check {
    let mut seen = BTreeSet::new();
    for (i, t) in m.tickets.iter().enumerate() {
        let key = KeyPath::of(&["tickets"]).idx(i);
        ensure(
            t.secret.len() <= MAX_TICKET_SECRET_LEN,
            key.clone().key("secret"),
            || format!("secret must be at most {MAX_TICKET_SECRET_LEN} bytes"),
        )?;
        ensure(seen.insert((t.role, t.secret.as_str())), key, || {
            format!(
                "duplicate ticket (same role and secret) for role {}",
                t.role.label()
            )
        })?;
    }
    let tl = &m.ticket_limits;
    ensure(
        tl.max_scopes <= MAX_TICKET_SCOPES,
        k(&["ticket_limits", "max_scopes"]),
        || format!("must be <= {MAX_TICKET_SCOPES}"),
    )?;
    ensure(
        (1..=MAX_SCOPE_PATH_LEN).contains(&tl.max_scope_path_len),
        k(&["ticket_limits", "max_scope_path_len"]),
        || format!("must be within 1..={MAX_SCOPE_PATH_LEN}"),
    )
}

fn at_least_one(value: u64, keys: &[&'static str]) -> Check {
    ensure(value >= 1, k(keys), || "must be >= 1".into())
}

fn check_client_policies(m: &Manifest) -> Check {
    let cp = &m.client_policies;
    let pool = &cp.cohsh.pool;
    at_least_one(
        pool.control_sessions.into(),
        &["client_policies", "cohsh", "pool", "control_sessions"],
    )?;
    at_least_one(
        pool.telemetry_sessions.into(),
        &["client_policies", "cohsh", "pool", "telemetry_sessions"],
    )?;
    let tail = &cp.cohsh.tail;
    let tail_key = |f| k(&["client_policies", "cohsh", "tail", f]);
    ensure(tail.poll_ms_min >= 1, tail_key("poll_ms_min"), || {
        "must be >= 1".into()
    })?;
    ensure(
        tail.poll_ms_max >= tail.poll_ms_min,
        tail_key("poll_ms_max"),
        || "must be >= poll_ms_min".into(),
    )?;
    ensure(
        (tail.poll_ms_min..=tail.poll_ms_max).contains(&tail.poll_ms_default),
        tail_key("poll_ms_default"),
        || "must be within poll_ms_min..=poll_ms_max".into(),
    )?;
    let ht = &cp.cohsh.host_telemetry;
    for (name, value) in [
        ("nvidia_poll_ms", ht.nvidia_poll_ms),
        ("systemd_poll_ms", ht.systemd_poll_ms),
        ("docker_poll_ms", ht.docker_poll_ms),
        ("k8s_poll_ms", ht.k8s_poll_ms),
    ] {
        at_least_one(value, &["client_policies", "cohsh", "host_telemetry", name])?;
    }
    let r = &cp.retry;
    let retry_key = |f| k(&["client_policies", "retry", f]);
    ensure(r.max_attempts >= 1, retry_key("max_attempts"), || {
        "must be >= 1".into()
    })?;
    ensure(r.backoff_ms >= 1, retry_key("backoff_ms"), || {
        "must be >= 1".into()
    })?;
    ensure(
        r.ceiling_ms >= r.backoff_ms,
        retry_key("ceiling_ms"),
        || "must be >= backoff_ms".into(),
    )?;
    ensure(r.timeout_ms >= 1, retry_key("timeout_ms"), || {
        "must be >= 1".into()
    })?;
    at_least_one(
        cp.heartbeat.interval_ms,
        &["client_policies", "heartbeat", "interval_ms"],
    )?;
    at_least_one(
        cp.trace.max_bytes.into(),
        &["client_policies", "trace", "max_bytes"],
    )
}

fn check_coh(m: &Manifest) -> Check {
    let coh = &m.client_policies.coh;
    let msize = m.secure9p.msize;
    let key = |f: &[&'static str]| {
        let mut p = k(&["client_policies", "coh"]);
        for s in f {
            p = p.key(s);
        }
        p
    };
    paths::check_coh_path(key(&["mount", "root"]), &coh.mount.root, true)?;
    let allow = &coh.mount.allowlist;
    ensure(
        (1..=16).contains(&allow.len()),
        key(&["mount", "allowlist"]),
        || "must hold 1..=16 entries".into(),
    )?;
    for (i, p) in allow.iter().enumerate() {
        paths::check_coh_path(key(&["mount", "allowlist"]).idx(i), p, false)?;
    }
    let t = &coh.telemetry;
    let ing = &m.telemetry_ingest;
    paths::check_coh_path(key(&["telemetry", "root"]), &t.root, false)?;
    ensure(
        (1..=256).contains(&t.max_devices),
        key(&["telemetry", "max_devices"]),
        || "must be within 1..=256".into(),
    )?;
    for (name, value, ceiling) in [
        (
            "max_segments_per_device",
            t.max_segments_per_device,
            ing.max_segments_per_device,
        ),
        (
            "max_bytes_per_segment",
            t.max_bytes_per_segment,
            ing.max_bytes_per_segment,
        ),
        (
            "max_total_bytes_per_device",
            t.max_total_bytes_per_device,
            ing.max_total_bytes_per_device,
        ),
    ] {
        ensure(
            (1..=ceiling).contains(&value),
            key(&["telemetry", name]),
            || format!("must be within 1..=telemetry_ingest.{name} ({ceiling})"),
        )?;
    }
    let lease = &coh.run.lease;
    check_label(key(&["run", "lease", "schema"]), &lease.schema, 64)?;
    check_label(
        key(&["run", "lease", "active_state"]),
        &lease.active_state,
        16,
    )?;
    check_bytes(key(&["run", "lease", "max_bytes"]), lease.max_bytes, msize)?;
    let bc = &coh.run.breadcrumb;
    check_label(key(&["run", "breadcrumb", "schema"]), &bc.schema, 64)?;
    check_bytes(
        key(&["run", "breadcrumb", "max_line_bytes"]),
        bc.max_line_bytes,
        msize,
    )?;
    check_bytes(
        key(&["run", "breadcrumb", "max_command_bytes"]),
        bc.max_command_bytes,
        bc.max_line_bytes,
    )?;
    let peft = &coh.peft;
    paths::check_coh_path(key(&["peft", "export", "root"]), &peft.export.root, false)?;
    check_bytes(
        key(&["peft", "export", "max_telemetry_bytes"]),
        peft.export.max_telemetry_bytes,
        ing.max_total_bytes_per_device,
    )?;
    for (name, value) in [
        ("max_policy_bytes", peft.export.max_policy_bytes),
        ("max_base_model_bytes", peft.export.max_base_model_bytes),
    ] {
        check_bytes(key(&["peft", "export", name]), value, u32::MAX)?;
    }
    paths::check_host_path(
        key(&["peft", "import", "registry_root"]),
        &peft.import.registry_root,
    )?;
    ensure(
        peft.import.max_adapter_bytes >= 1,
        key(&["peft", "import", "max_adapter_bytes"]),
        || "must be >= 1".into(),
    )?;
    for (name, value) in [
        ("max_lora_bytes", peft.import.max_lora_bytes),
        ("max_metrics_bytes", peft.import.max_metrics_bytes),
        ("max_manifest_bytes", peft.import.max_manifest_bytes),
    ] {
        check_bytes(key(&["peft", "import", name]), value, u32::MAX)?;
    }
    let id_cap = 256.min(msize.saturating_sub(1));
    check_bytes(
        key(&["peft", "activate", "max_model_id_bytes"]),
        peft.activate.max_model_id_bytes,
        id_cap,
    )?;
    check_bytes(
        key(&["peft", "activate", "max_state_bytes"]),
        peft.activate.max_state_bytes,
        u32::MAX,
    )
}

/// `value` must be within `1..=max`.
pub(crate) fn check_bytes(key: KeyPath, value: u32, max: u32) -> Check {
    ensure(value >= 1, key.clone(), || "must be >= 1".into())?;
    ensure(value <= max, key, || format!("must be <= {max}"))
}

fn check_label(key: KeyPath, value: &str, max: usize) -> Check {
    ensure(!value.trim().is_empty(), key.clone(), || {
        "must not be empty".into()
    })?;
    ensure(value.len() <= max, key, || {
        format!("must be at most {max} bytes")
    })
}

fn check_client_paths(m: &Manifest) -> Check {
    let depth = m.secure9p.walk_depth;
    let p = &m.client_paths;
    check_client_path(k(&["client_paths", "queen_ctl"]), &p.queen_ctl, depth)?;
    check_client_path(
        k(&["client_paths", "queen_lifecycle_ctl"]),
        &p.queen_lifecycle_ctl,
        depth,
    )?;
    check_client_path(
        k(&["client_paths", "queen_schedule_ctl"]),
        p.queen_schedule_ctl_or_default(),
        depth,
    )?;
    check_client_path(
        k(&["client_paths", "queen_lease_ctl"]),
        p.queen_lease_ctl_or_default(),
        depth,
    )?;
    check_client_path(
        k(&["client_paths", "queen_export_ctl"]),
        p.queen_export_ctl_or_default(),
        depth,
    )?;
    check_client_path(
        k(&["client_paths", "policy_ctl"]),
        p.policy_ctl_or_default(),
        depth,
    )?;
    check_client_path(k(&["client_paths", "log"]), &p.log, depth)
}
