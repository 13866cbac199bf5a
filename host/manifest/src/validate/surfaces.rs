//! Rules for the namespace surfaces, telemetry, lifecycle, observability, UI and CAS sections.

use super::paths::{check_client_path, check_mount_point, check_name};
use super::{check_bytes, ensure, k, Check, MAX_LINE_LEN, MAX_WALK_DEPTH};
use crate::locate::KeyPath;
use crate::model::{BusLink, BusSidecar, HostTicketState, LifecycleState, Manifest};
use std::collections::BTreeSet;

/// Event-pump budget for all telemetry rings.
const TELEMETRY_BUDGET_BYTES: u32 = 32 * 1024;
/// Workers the telemetry budget is sized for.
const TELEMETRY_WORKERS: u32 = 8;
/// Event-pump budget for CAS chunks.
const CAS_BUDGET_BYTES: u32 = 32 * 1024;
/// Chunks the CAS budget is sized for.
const CAS_CHUNKS: u32 = 8;
/// Event-pump budget for sidecar spools and tamper logs.
const SIDECAR_BUDGET_BYTES: u32 = 16 * 1024;
/// Bytes per LoRa tamper log entry.
const LORA_TAMPER_ENTRY_BYTES: u32 = 128;
/// Largest policy approval queue (raised from 64 to 256 before 0.9).
const MAX_POLICY_QUEUE_ENTRIES: u16 = 256;
/// Largest host ticket action allowlist.
const MAX_HOST_TICKET_ACTIONS: usize = 32;
/// Longest host ticket schema tag.
const MAX_SCHEMA_LEN: usize = 64;
/// Largest `telemetry_ingest.max_reference_entries_per_segment`.
const MAX_REFERENCE_ENTRIES: u32 = 16_384;

pub(super) fn check_namespaces(m: &Manifest) -> Check {
    let depth = usize::from(MAX_WALK_DEPTH);
    for (i, mount) in m.namespaces.mounts.iter().enumerate() {
        let key = k(&["namespaces", "mounts"]).idx(i).key("target");
        ensure(mount.target.len() <= depth, key.clone(), || {
            format!("target depth exceeds {depth}")
        })?;
        ensure(
            mount.target.iter().all(|c| !c.is_empty() && c != ".."),
            key.clone(),
            || "target components must be non-empty and not '..'".into(),
        )?;
        let legacy = mount.target.first().is_some_and(|c| c == "worker");
        ensure(
            !(m.sharding.enabled && !m.sharding.legacy_worker_alias && legacy),
            key,
            || "references /worker while sharding.legacy_worker_alias is false".into(),
        )?;
    }
    Ok(())
}

pub(super) fn check_ecosystem(m: &Manifest) -> Check {
    let msize = m.secure9p.msize;
    let p = &m.ecosystem.policy;
    let pk = |f| k(&["ecosystem", "policy", f]);
    ensure(
        (1..=MAX_POLICY_QUEUE_ENTRIES).contains(&p.queue_max_entries),
        pk("queue_max_entries"),
        || format!("must be within 1..={MAX_POLICY_QUEUE_ENTRIES}"),
    )?;
    check_bytes(pk("queue_max_bytes"), p.queue_max_bytes, msize)?;
    check_bytes(pk("ctl_max_bytes"), p.ctl_max_bytes, msize)?;
    check_bytes(pk("status_max_bytes"), p.status_max_bytes, msize)?;
    for (i, rule) in p.rules.iter().enumerate() {
        let key = k(&["ecosystem", "policy", "rules"]).idx(i);
        let id = rule.id.trim();
        ensure(
            !id.is_empty() && id.len() <= 64,
            key.clone().key("id"),
            || "must be 1..=64 bytes".into(),
        )?;
        let tkey = key.key("target");
        check_mount_point(tkey.clone(), &rule.target, usize::from(MAX_WALK_DEPTH))?;
        ensure(
            rule.target.split('/').all(|c| !c.contains('*') || c == "*"),
            tkey.clone(),
            || "a wildcard must be a whole '*' component".into(),
        )?;
        let legacy = rule.target.split('/').find(|c| !c.is_empty()) == Some("worker");
        ensure(
            !(m.sharding.enabled && !m.sharding.legacy_worker_alias && legacy),
            tkey,
            || "references /worker while sharding.legacy_worker_alias is false".into(),
        )?;
    }
    let a = &m.ecosystem.audit;
    let ak = |f| k(&["ecosystem", "audit", f]);
    check_bytes(ak("journal_max_bytes"), a.journal_max_bytes, msize)?;
    check_bytes(ak("decisions_max_bytes"), a.decisions_max_bytes, msize)?;
    check_bytes(ak("replay_ctl_max_bytes"), a.replay_ctl_max_bytes, msize)?;
    check_bytes(
        ak("replay_status_max_bytes"),
        a.replay_status_max_bytes,
        msize,
    )?;
    ensure(
        (1..=256).contains(&a.replay_max_entries),
        ak("replay_max_entries"),
        || "must be within 1..=256".into(),
    )?;
    ensure(a.enable || !a.replay_enable, ak("replay_enable"), || {
        "needs ecosystem.audit.enable = true".into()
    })?;
    let h = &m.ecosystem.host;
    if h.enable {
        check_mount_point(
            k(&["ecosystem", "host", "mount_at"]),
            &h.mount_at,
            usize::from(MAX_WALK_DEPTH),
        )?;
        ensure(
            m.namespaces.role_isolation,
            k(&["namespaces", "role_isolation"]),
            || "must be true when ecosystem.host.enable = true".into(),
        )?;
    }
    check_host_tickets(m)
}

fn check_host_tickets(m: &Manifest) -> Check {
    let t = m.ecosystem.host.tickets_or_default();
    if !t.enable {
        return Ok(());
    }
    let key = |f| k(&["ecosystem", "host", "tickets", f]);
    for (name, value) in [
        ("request_schema", &t.request_schema),
        ("result_schema", &t.result_schema),
    ] {
        let v = value.trim();
        ensure(
            !v.is_empty() && v.len() <= MAX_SCHEMA_LEN,
            key(name),
            || format!("must be 1..={MAX_SCHEMA_LEN} bytes"),
        )?;
    }
    check_bytes(key("max_line_bytes"), t.max_line_bytes, m.secure9p.msize)?;
    ensure(
        (1..=MAX_HOST_TICKET_ACTIONS).contains(&t.action_allowlist.len()),
        key("action_allowlist"),
        || format!("must hold 1..={MAX_HOST_TICKET_ACTIONS} entries"),
    )?;
    let mut seen = BTreeSet::new();
    for (i, a) in t.action_allowlist.iter().enumerate() {
        ensure(seen.insert(*a), key("action_allowlist").idx(i), || {
            format!("action '{}' is listed twice", a.label())
        })?;
    }
    let mut states = BTreeSet::new();
    for (i, s) in t.lifecycle.iter().enumerate() {
        ensure(states.insert(*s), key("lifecycle").idx(i), || {
            format!("state '{}' is listed twice", s.label())
        })?;
    }
    let missing = HostTicketState::ALL
        .iter()
        .find(|s| !states.contains(*s))
        .map(|s| s.label());
    ensure(missing.is_none(), key("lifecycle"), || {
        format!("must list state '{}'", missing.unwrap_or_default())
    })
}

fn check_bus(m: &Manifest, name: &'static str, bus: &BusSidecar) -> Check {
    if !bus.enable {
        return Ok(());
    }
    let base = k(&["sidecars", name]);
    check_sidecar_mount(m, base.clone().key("mount_at"), &bus.mount_at)?;
    ensure(
        !bus.adapters.is_empty(),
        base.clone().key("adapters"),
        || "at least one adapter is required when enabled".into(),
    )?;
    for (i, a) in bus.adapters.iter().enumerate() {
        let key = base.clone().key("adapters").idx(i);
        check_name(key.clone().key("id"), &a.id)?;
        check_name(key.clone().key("mount"), &a.mount)?;
        check_name(key.clone().key("scope"), &a.scope)?;
        ensure(
            a.link != BusLink::Serial || a.baud >= 1,
            key.clone().key("baud"),
            || "must be >= 1 for serial links".into(),
        )?;
        let spool = key.key("spool");
        ensure(
            (1..=256).contains(&a.spool.max_entries),
            spool.clone().key("max_entries"),
            || "must be within 1..=256".into(),
        )?;
        check_bytes(spool.key("max_bytes"), a.spool.max_bytes, m.secure9p.msize)?;
    }
    Ok(())
}

fn check_sidecar_mount(m: &Manifest, key: KeyPath, mount_at: &str) -> Check {
    let depth = usize::from(m.secure9p.walk_depth);
    check_mount_point(key.clone(), mount_at, depth)?;
    let comps = mount_at.split('/').filter(|c| !c.is_empty()).count();
    ensure(comps < depth, key, || {
        format!("needs secure9p.walk_depth >= {}", comps + 1)
    })
}

pub(super) fn check_sidecars(m: &Manifest) -> Check {
    let sc = &m.sidecars;
    check_bus(m, "modbus", &sc.modbus)?;
    check_bus(m, "dnp3", &sc.dnp3)?;
    if sc.lora.enable {
        let base = k(&["sidecars", "lora"]);
        check_sidecar_mount(m, base.clone().key("mount_at"), &sc.lora.mount_at)?;
        ensure(
            !sc.lora.adapters.is_empty(),
            base.clone().key("adapters"),
            || "at least one adapter is required when enabled".into(),
        )?;
        for (i, a) in sc.lora.adapters.iter().enumerate() {
            let key = base.clone().key("adapters").idx(i);
            check_name(key.clone().key("id"), &a.id)?;
            check_name(key.clone().key("mount"), &a.mount)?;
            check_name(key.clone().key("scope"), &a.scope)?;
            ensure(
                !a.region.trim().is_empty(),
                key.clone().key("region"),
                || "must not be empty".into(),
            )?;
            ensure(
                (1..=100).contains(&a.duty_cycle_percent),
                key.clone().key("duty_cycle_percent"),
                || "must be within 1..=100".into(),
            )?;
            ensure(a.window_ms >= 1, key.clone().key("window_ms"), || {
                "must be >= 1".into()
            })?;
            check_bytes(
                key.clone().key("max_payload_bytes"),
                a.max_payload_bytes,
                m.secure9p.msize,
            )?;
            ensure(
                a.tamper_log_max_entries >= 1,
                key.key("tamper_log_max_entries"),
                || "must be >= 1".into(),
            )?;
        }
    }
    // Scopes are unique across every enabled sidecar; the spool and tamper logs share one
    // event-pump budget.
    let mut scopes = BTreeSet::new();
    let mut bytes = 0u32;
    for (name, bus) in [("modbus", &sc.modbus), ("dnp3", &sc.dnp3)] {
        if !bus.enable {
            continue;
        }
        for (i, a) in bus.adapters.iter().enumerate() {
            let key = k(&["sidecars", name, "adapters"]).idx(i).key("scope");
            ensure(scopes.insert(a.scope.as_str()), key, || {
                format!("sidecar scope '{}' is used twice", a.scope)
            })?;
            bytes = bytes.saturating_add(a.spool.max_bytes);
        }
    }
    if sc.lora.enable {
        for (i, a) in sc.lora.adapters.iter().enumerate() {
            let key = k(&["sidecars", "lora", "adapters"]).idx(i).key("scope");
            ensure(scopes.insert(a.scope.as_str()), key, || {
                format!("sidecar scope '{}' is used twice", a.scope)
            })?;
            let log = u32::from(a.tamper_log_max_entries).saturating_mul(LORA_TAMPER_ENTRY_BYTES);
            bytes = bytes.saturating_add(log);
        }
    }
    ensure(bytes <= SIDECAR_BUDGET_BYTES, k(&["sidecars"]), || {
        format!("sidecar buffers total {bytes} bytes, over the {SIDECAR_BUDGET_BYTES}-byte budget")
    })
}

pub(super) fn check_telemetry(m: &Manifest) -> Check {
    let ring = m.telemetry.ring_bytes_per_worker;
    let key = k(&["telemetry", "ring_bytes_per_worker"]);
    ensure(ring >= 1, key.clone(), || "must be >= 1".into())?;
    ensure(
        ring.saturating_mul(TELEMETRY_WORKERS) <= TELEMETRY_BUDGET_BYTES,
        key,
        || format!("{TELEMETRY_WORKERS} rings must fit the {TELEMETRY_BUDGET_BYTES}-byte budget"),
    )?;
    let ing = &m.telemetry_ingest;
    let zeros = [
        ing.max_segments_per_device,
        ing.max_bytes_per_segment,
        ing.max_total_bytes_per_device,
    ]
    .iter()
    .filter(|v| **v == 0)
    .count();
    ensure(zeros == 0 || zeros == 3, k(&["telemetry_ingest"]), || {
        "segment limits must be all zero (ingest off) or all non-zero".into()
    })?;
    ensure(
        ing.max_total_bytes_per_device >= ing.max_bytes_per_segment,
        k(&["telemetry_ingest", "max_total_bytes_per_device"]),
        || "must be >= max_bytes_per_segment".into(),
    )?;
    // The 0.9 reference-mode sizes: zero exactly when ingest is off.
    let rk = |f| k(&["telemetry_ingest", f]);
    let entries = ing.max_reference_entries_or_default();
    let manifest_bytes = ing.max_reference_manifest_bytes_or_default();
    let reference_bytes = ing.max_reference_bytes_or_default();
    if ing.is_disabled() {
        for (name, zero) in [
            ("max_reference_entries_per_segment", entries == 0),
            (
                "max_reference_manifest_bytes_per_segment",
                manifest_bytes == 0,
            ),
            ("max_reference_bytes_per_segment", reference_bytes == 0),
        ] {
            ensure(zero, rk(name), || {
                "must be 0 when the segment limits are 0 (ingest off)".into()
            })?;
        }
        return Ok(());
    }
    ensure(
        (1..=MAX_REFERENCE_ENTRIES).contains(&entries),
        rk("max_reference_entries_per_segment"),
        || format!("must be within 1..={MAX_REFERENCE_ENTRIES}"),
    )?;
    ensure(
        (1..=ing.max_bytes_per_segment).contains(&manifest_bytes),
        rk("max_reference_manifest_bytes_per_segment"),
        || "must be within 1..=max_bytes_per_segment".into(),
    )?;
    ensure(
        reference_bytes >= u64::from(ing.max_bytes_per_segment),
        rk("max_reference_bytes_per_segment"),
        || "must be >= max_bytes_per_segment".into(),
    )
}

pub(super) fn check_lifecycle(m: &Manifest) -> Check {
    let list = &m.lifecycle.auto_transitions;
    ensure(
        list.len() <= 8,
        k(&["lifecycle", "auto_transitions"]),
        || "at most 8 entries".into(),
    )?;
    let mut seen = BTreeSet::new();
    for (i, t) in list.iter().enumerate() {
        let key = k(&["lifecycle", "auto_transitions"]).idx(i);
        let allowed = t.from == LifecycleState::Booting
            && matches!(t.to, LifecycleState::Online | LifecycleState::Degraded);
        ensure(allowed, key.clone(), || {
            format!(
                "{} -> {} is not supported (only BOOTING -> ONLINE or DEGRADED)",
                t.from.label(),
                t.to.label()
            )
        })?;
        ensure(seen.insert((t.from, t.to)), key, || {
            format!("{} -> {} is listed twice", t.from.label(), t.to.label())
        })?;
    }
    Ok(())
}

pub(super) fn check_ui_providers(m: &Manifest) -> Check {
    let ui = &m.ui_providers;
    let o = &m.observability;
    let needs = [
        (
            "proc_9p",
            "sessions",
            ui.proc_9p.sessions,
            o.proc_9p.sessions,
        ),
        (
            "proc_9p",
            "outstanding",
            ui.proc_9p.outstanding,
            o.proc_9p.outstanding,
        ),
        (
            "proc_9p",
            "short_writes",
            ui.proc_9p.short_writes,
            o.proc_9p.short_writes,
        ),
        (
            "proc_ingest",
            "p50_ms",
            ui.proc_ingest.p50_ms,
            o.proc_ingest.p50_ms,
        ),
        (
            "proc_ingest",
            "p95_ms",
            ui.proc_ingest.p95_ms,
            o.proc_ingest.p95_ms,
        ),
        (
            "proc_ingest",
            "backpressure",
            ui.proc_ingest.backpressure,
            o.proc_ingest.backpressure,
        ),
    ];
    for (section, field, wanted, served) in needs {
        ensure(
            !wanted || served,
            k(&["ui_providers", section, field]),
            || format!("needs observability.{section}.{field} = true"),
        )?;
    }
    let pre = &ui.policy_preflight;
    ensure(
        !(pre.req || pre.diff) || m.ecosystem.policy.enable,
        k(&["ui_providers", "policy_preflight"]),
        || "needs ecosystem.policy.enable = true".into(),
    )?;
    let up = &ui.updates;
    ensure(
        !(up.manifest || up.status) || m.cas.enable,
        k(&["ui_providers", "updates"]),
        || "needs cas.enable = true".into(),
    )?;
    ensure(
        !m.cas.enable || up.manifest,
        k(&["ui_providers", "updates", "manifest"]),
        || "must be true when cas.enable = true".into(),
    )
}

pub(super) fn check_swarmui(m: &Manifest) -> Check {
    let s = &m.swarmui;
    let hk = |f| k(&["swarmui", "hive", f]);
    ensure(
        s.cache.max_bytes >= 1,
        k(&["swarmui", "cache", "max_bytes"]),
        || "must be >= 1".into(),
    )?;
    ensure(
        s.cache.ttl_s >= 1,
        k(&["swarmui", "cache", "ttl_s"]),
        || "must be >= 1".into(),
    )?;
    let h = &s.hive;
    ensure(
        (30..=60).contains(&h.frame_cap_fps),
        hk("frame_cap_fps"),
        || "must be within 30..=60".into(),
    )?;
    ensure(h.step_ms >= 1, hk("step_ms"), || "must be >= 1".into())?;
    ensure(
        h.lod_zoom_out > 0.0 && h.lod_zoom_out < 1.0,
        hk("lod_zoom_out"),
        || "must be within (0.0, 1.0)".into(),
    )?;
    ensure(h.lod_zoom_in > h.lod_zoom_out, hk("lod_zoom_in"), || {
        "must be > lod_zoom_out".into()
    })?;
    ensure(h.lod_event_budget >= 1, hk("lod_event_budget"), || {
        "must be >= 1".into()
    })?;
    ensure(
        h.snapshot_max_events >= 1,
        hk("snapshot_max_events"),
        || "must be >= 1".into(),
    )?;
    ensure(h.overlay_lines >= 1, hk("overlay_lines"), || {
        "must be >= 1".into()
    })?;
    ensure(
        h.detail_lines >= h.overlay_lines.max(1),
        hk("detail_lines"),
        || "must be >= overlay_lines".into(),
    )?;
    check_bytes(hk("line_cap_bytes"), h.line_cap_bytes, MAX_LINE_LEN)?;
    ensure(
        h.per_worker_bytes >= h.line_cap_bytes,
        hk("per_worker_bytes"),
        || "must be >= line_cap_bytes".into(),
    )?;
    for (name, value) in [
        (
            "pending_lines_per_worker",
            h.pending_lines_per_worker.map(u32::from),
        ),
        (
            "poll_workers_per_tick",
            h.poll_workers_per_tick.map(u32::from),
        ),
        ("status_poll_ms", h.status_poll_ms),
    ] {
        ensure(value != Some(0), hk(name), || "must be >= 1".into())?;
    }
    if let Some(cap) = h.pending_event_cap {
        ensure(
            cap >= h.lod_event_budget.max(1),
            hk("pending_event_cap"),
            || "must be >= lod_event_budget".into(),
        )?;
    }
    if let Some(p) = h.degrade_pressure {
        ensure(p > 0.0, hk("degrade_pressure"), || "must be > 0".into())?;
    }
    let depth = m.secure9p.walk_depth;
    let pk = |f| k(&["swarmui", "paths", f]);
    check_client_path(pk("telemetry_root"), &s.paths.telemetry_root, depth)?;
    check_client_path(pk("proc_ingest_root"), &s.paths.proc_ingest_root, depth)?;
    check_client_path(pk("worker_root"), &s.paths.worker_root, depth)?;
    ensure(
        !s.paths.namespace_roots.is_empty(),
        pk("namespace_roots"),
        || "must not be empty".into(),
    )?;
    for (i, p) in s.paths.namespace_roots.iter().enumerate() {
        check_client_path(pk("namespace_roots").idx(i), p, depth)?;
    }
    Ok(())
}

pub(super) fn check_cas(m: &Manifest) -> Check {
    let c = &m.cas;
    ensure(
        !m.ecosystem.models.enable || c.enable,
        k(&["ecosystem", "models", "enable"]),
        || "needs cas.enable = true".into(),
    )?;
    if !c.enable {
        return Ok(());
    }
    let key = k(&["cas", "store", "chunk_bytes"]);
    check_bytes(key.clone(), c.store.chunk_bytes, m.secure9p.msize)?;
    ensure(
        c.store.chunk_bytes.saturating_mul(CAS_CHUNKS) <= CAS_BUDGET_BYTES,
        key,
        || format!("{CAS_CHUNKS} chunks must fit the {CAS_BUDGET_BYTES}-byte budget"),
    )?;
    let Some(signing) = &c.signing else {
        return Err(super::Violation {
            key: k(&["cas"]),
            rule: "[cas.signing] is required when cas.enable = true".into(),
        });
    };
    let has_key = signing
        .key_path
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty());
    ensure(
        !signing.required || has_key,
        k(&["cas", "signing", "key_path"]),
        || "is required when cas.signing.required = true".into(),
    )
}
