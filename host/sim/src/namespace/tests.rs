//! Namespace model tests: one per node family.

use super::*;

fn full() -> Namespace {
    Namespace::new(Features::full(), 0)
}

fn q() -> Caller {
    Caller::queen(5)
}

fn worker() -> Caller {
    Caller {
        role: Role::WorkerHeartbeat,
        now_ms: 5,
    }
}

#[test]
fn root_listing_per_profile() {
    let shipped = Namespace::new(Features::shipped(), 0);
    assert_eq!(
        shipped.list("/").unwrap().join(" "),
        "gpu kmesg log proc queen trace updates shard worker host"
    );
    assert_eq!(
        shipped.list("/queen").unwrap().join(" "),
        "ctl lifecycle telemetry"
    );
    assert_eq!(shipped.list("/policy"), Err(NsError::InvalidPath));
    assert_eq!(
        shipped.list("/queen/export/lora_jobs"),
        Err(NsError::InvalidPath)
    );
    assert!(full().list("/").unwrap().ends_with(&[
        "policy".into(),
        "actions".into(),
        "audit".into(),
        "replay".into()
    ]));
}

#[test]
fn path_shapes_are_exact() {
    let ns = full();
    for bad in [
        "",
        "log",
        "/log/",
        "//log",
        "/log/../log",
        "/./log",
        "/kmesg",
        "/proc/boot",
        "/%2e",
    ] {
        assert!(ns.list(bad).is_err(), "{bad}");
    }
    assert_eq!(
        ns.read("/proc", 0),
        Err(NsError::InvalidPath),
        "CAT of a directory"
    );
    assert_eq!(
        ns.list("/log/queen.log"),
        Err(NsError::InvalidPath),
        "LS of a file"
    );
    assert_eq!(ns.list("/shard"), Err(NsError::BufferFull));
}

#[test]
fn log_append_tail_cursor_and_snapshot() {
    let mut ns = full();
    let mut cur = Cursors::default();
    let first = ns.tail("/log/queen.log", &mut cur, 0).unwrap();
    assert!(first.iter().all(|l| l.starts_with('[')));
    assert_eq!(ns.append("/log/queen.log", "batch-1", &q()), Ok(7));
    assert_eq!(
        ns.tail("/log/queen.log", &mut cur, 0).unwrap(),
        vec!["batch-1"]
    );
    assert!(ns.tail("/log/queen.log", &mut cur, 0).unwrap().is_empty());
    let mut other = Cursors::default();
    assert!(ns.tail("/log/queen.log", &mut other, 0).unwrap().len() > 1);
    assert!(ns.log_snapshot().contains(&"batch-1".to_string()));
}

#[test]
fn proc_nodes() {
    let ns = full();
    let one = |p: &str| ns.read(p, 42).unwrap().join("\n");
    assert_eq!(one("/proc/lifecycle/state"), "state=ONLINE");
    assert_eq!(one("/proc/lifecycle/reason"), "reason=boot-complete");
    assert_eq!(one("/proc/lifecycle/since"), "since_ms=0");
    assert_eq!(one("/proc/root/reachable"), "reachable=yes");
    assert_eq!(one("/proc/root/last_seen_ms"), "last_seen_ms=42");
    assert_eq!(one("/proc/root/cut_reason"), "cut_reason=none");
    assert_eq!(one("/proc/9p/session/active"), "active=1 draining=0");
    for n in ["busy", "quota", "cut", "policy"] {
        assert_eq!(one(&format!("/proc/pressure/{n}")), format!("{n}=0"));
    }
    for n in ["p50_ms", "p95_ms", "backpressure", "queued"] {
        assert!(one(&format!("/proc/ingest/{n}")).starts_with(&format!("{n}=")));
    }
    assert_eq!(ns.read("/proc/ingest/watch", 0), Err(NsError::InvalidPath));
    assert_eq!(
        ns.read("/proc/ingest/unsupported", 0),
        Err(NsError::InvalidPath)
    );
    assert_eq!(
        ns.list("/proc").unwrap().join(" "),
        "boot tests lifecycle 9p ingest root pressure schedule lease"
    );
    let mut ns = ns;
    let mut cur = Cursors::default();
    assert!(ns.tail("/proc/ingest/watch", &mut cur, 9).unwrap()[0].starts_with("watch ts_ms=9 "));
    assert_eq!(
        ns.append("/proc/pressure/busy", "1", &q()),
        Err(NsError::Denied)
    );
}

#[test]
fn lifecycle_ctl_drives_proc_and_spawn_gate() {
    let mut ns = full();
    ns.features.policy = false;
    let err = ns
        .append("/queen/lifecycle/ctl", "drain", &q())
        .unwrap_err();
    assert_eq!(err.detail(), "invalid-transition");
    ns.append("/queen/lifecycle/ctl", "cordon", &Caller::queen(77))
        .unwrap();
    assert_eq!(
        ns.read("/proc/lifecycle/state", 0).unwrap(),
        vec!["state=DRAINING"]
    );
    assert_eq!(
        ns.read("/proc/lifecycle/reason", 0).unwrap(),
        vec!["reason=cordon"]
    );
    assert_eq!(
        ns.read("/proc/lifecycle/since", 0).unwrap(),
        vec!["since_ms=77"]
    );
    assert_eq!(
        ns.read("/proc/9p/session/active", 0).unwrap(),
        vec!["active=1 draining=1"]
    );
    assert_eq!(
        ns.append("/queen/ctl", r#"{"spawn":"heartbeat","ticks":3}"#, &q()),
        Err(NsError::Denied)
    );
    ns.append("/queen/lifecycle/ctl", "resume", &q()).unwrap();
    assert!(ns
        .append("/queen/ctl", r#"{"spawn":"heartbeat","ticks":3}"#, &q())
        .is_ok());
    assert_eq!(
        ns.append("/queen/lifecycle/ctl", "fly", &q()),
        Err(NsError::InvalidPayload)
    );
}

#[test]
fn queen_ctl_workers_and_shard_alias() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    let spawn = r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#;
    assert_eq!(ns.append("/queen/ctl", spawn, &q()), Ok(53));
    ns.append("/queen/ctl", spawn, &q()).unwrap();
    assert_eq!(ns.list("/worker").unwrap(), vec!["worker-1", "worker-2"]);
    ns.append("/shard/13/worker/worker-1/telemetry", "shard-ok-1", &q())
        .unwrap();
    ns.append("/worker/worker-1/telemetry", "legacy-ok-1", &q())
        .unwrap();
    assert_eq!(
        ns.append("/shard/14/worker/worker-1/telemetry", "x", &q()),
        Err(NsError::InvalidPath)
    );
    let mut cur = Cursors::default();
    assert_eq!(
        ns.tail("/worker/worker-1/telemetry", &mut cur, 0).unwrap(),
        vec!["shard-ok-1", "legacy-ok-1"]
    );
    assert_eq!(
        ns.read("/worker/worker-1/telemetry", 0),
        Err(NsError::InvalidPath)
    );
    assert_eq!(ns.list("/worker/worker-1"), Err(NsError::InvalidPath));
    ns.append("/queen/ctl", r#"{"kill":"worker-2"}"#, &q())
        .unwrap();
    assert_eq!(ns.worker_ids(), vec!["worker-1"]);
    assert_eq!(
        ns.append("/queen/ctl", r#"{"kill":"worker-999"}"#, &q()),
        Err(NsError::InvalidPath)
    );
    ns.append(
        "/queen/ctl",
        r#"{"bind":{"from":"/queen","to":"/host/queen"}}"#,
        &q(),
    )
    .unwrap();
    ns.append(
        "/queen/ctl",
        r#"{"mount":{"service":"logs","at":"/logs"}}"#,
        &q(),
    )
    .unwrap();
    assert_eq!(ns.binds().len(), 1);
    assert_eq!(ns.mounts().len(), 1);
    // The core's QueenCtl rules: strict shapes, positive integers, tokens, valid paths.
    for bad in [
        r#"{"spawn":"heartbeat","ticks":3,"x":1}"#,
        r#"{"spawn":"heartbeat","ticks":0}"#,
        r#"{"spawn":"heartbeat","ticks":1,"budget":{"ops":0}}"#,
        r#"{"spawn":"heartbeat","ticks":4294967296}"#,
        r#"{"spawn":"rocket","ticks":1}"#,
        r#"{"kill":"worker 1"}"#,
        r#"{"bind":{"from":"queen","to":"/host/queen"}}"#,
        r#"{"bind":{"from":"/a/../b","to":"/c"}}"#,
        r#"{"mount":{"service":"logs","at":"/logs/"}}"#,
        r#"{"mount":{"service":"a/b","at":"/logs"}}"#,
        r#"{"kill":"w","bind":{"from":"/a","to":"/b"}}"#,
        "{}",
        "[1]",
    ] {
        assert_eq!(
            ns.append("/queen/ctl", bad, &q()),
            Err(NsError::InvalidPayload),
            "{bad}"
        );
    }
    assert_eq!(ns.binds().len(), 1, "refused writes change nothing");
    ns.append("/queen/ctl", spawn, &q()).unwrap();
    assert_eq!(
        ns.worker_ids(),
        vec!["worker-1", "worker-3"],
        "ids keep counting up"
    );
}

#[test]
fn worker_ring_wrap_is_logged() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    ns.append("/queen/ctl", r#"{"spawn":"heartbeat","ticks":40}"#, &q())
        .unwrap();
    let line = format!("wrap-{}", "0123456789".repeat(9));
    for _ in 0..12 {
        ns.append("/shard/13/worker/worker-1/telemetry", &line, &q())
            .unwrap();
    }
    assert!(ns
        .log_snapshot()
        .iter()
        .any(|l| l.contains("telemetry ring wrap")));
}

#[test]
fn gpu_nodes() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    assert_eq!(ns.list("/gpu").unwrap(), vec!["bridge", "GPU-0", "GPU-1"]);
    assert_eq!(
        ns.list("/gpu/GPU-0").unwrap(),
        vec!["info", "lease", "status"]
    );
    assert_eq!(ns.read("/gpu/bridge/info", 0), Err(NsError::InvalidPath));
    let info = ns.read("/gpu/GPU-0/info", 0).unwrap();
    assert_eq!(info.len(), 8);
    assert!(info.join("").contains("\"memory_mb\": 8192"));
    assert!(ns.read("/gpu/GPU-0/lease", 0).unwrap().is_empty());
    let lease = r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}"#;
    ns.append("/gpu/GPU-0/lease", lease, &q()).unwrap();
    assert!(ns.read("/gpu/GPU-0/lease", 0).unwrap()[0].contains("ACTIVE"));
    let start =
        r#"{"schema":"gpu-breadcrumb/v1","event":"START","command":"echo ok","status":"RUNNING"}"#;
    let exit = r#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"echo ok","status":"OK","exit_code":0}"#;
    ns.append("/gpu/GPU-0/status", start, &q()).unwrap();
    ns.append("/gpu/GPU-0/status", exit, &q()).unwrap();
    assert_eq!(ns.read("/gpu/GPU-0/status", 0).unwrap(), vec![start, exit]);
    // Lease and status writes are the core's gpu-lease/v1 and gpu-breadcrumb/v1 documents.
    for (node, bad) in [
        ("status", "not json"),
        ("status", r#"{"event":"START"}"#),
        (
            "status",
            r#"{"schema":"gpu-breadcrumb/v1","event":"STOP","command":"x","status":"OK"}"#,
        ),
        (
            "lease",
            r#"{"schema":"gpu-lease/v2","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"w"}"#,
        ),
        (
            "lease",
            r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0"}"#,
        ),
    ] {
        assert_eq!(
            ns.append(&format!("/gpu/GPU-0/{node}"), bad, &q()),
            Err(NsError::InvalidPayload),
            "{bad}"
        );
    }
    assert_eq!(
        ns.append("/gpu/GPU-0/info", "{}", &q()),
        Err(NsError::Denied)
    );
    let gpu = r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":2048,"streams":2,"ttl_s":60}}"#;
    ns.append("/queen/ctl", gpu, &q()).unwrap();
    // The lease a spawn writes is the core's gpu-lease/v1 encoding, and decodes back.
    let lease = ns.read("/gpu/GPU-1/lease", 0).unwrap();
    assert_eq!(
        lease,
        vec![
            r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-1","worker_id":"worker-1","mem_mb":2048,"streams":2,"ttl_s":60,"priority":1}"#
        ]
    );
    let doc = cohesix_core::control::GpuLease::decode(lease[0].as_bytes()).unwrap();
    assert_eq!(
        (doc.gpu_id, doc.worker_id, doc.mem_mb),
        ("GPU-1", "worker-1", 2048)
    );
    ns.append("/queen/ctl", r#"{"kill":"worker-1"}"#, &q())
        .unwrap();
    assert_eq!(
        ns.read("/gpu/GPU-1/lease", 0).unwrap(),
        vec![
            r#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-1","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":0,"priority":1}"#
        ]
    );
    // A spawn on an unknown GPU is refused and spawns nothing.
    let unknown = r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-9","mem_mb":1,"streams":1,"ttl_s":1}}"#;
    assert_eq!(
        ns.append("/queen/ctl", unknown, &q()),
        Err(NsError::InvalidPayload)
    );
    assert!(ns.worker_ids().is_empty());
}

#[test]
fn telemetry_ingest_nodes() {
    let mut ns = full();
    let new = r#"{"new":"segment","mime":"text/plain"}"#;
    ns.append("/queen/telemetry/dev-1/ctl", new, &q()).unwrap();
    assert_eq!(ns.list("/queen/telemetry").unwrap(), vec!["dev-1"]);
    assert_eq!(
        ns.list("/queen/telemetry/dev-1").unwrap(),
        vec!["ctl", "latest", "seg"]
    );
    assert_eq!(
        ns.read("/queen/telemetry/dev-1/latest", 0).unwrap(),
        vec!["seg-000001"]
    );
    ns.append("/queen/telemetry/dev-1/seg/seg-000001", "drain-prep", &q())
        .unwrap();
    assert_eq!(
        ns.read("/queen/telemetry/dev-1/seg/seg-000001", 0).unwrap(),
        vec!["drain-prep"]
    );
    assert_eq!(
        ns.append("/queen/telemetry/dev-1/latest", "x", &q()),
        Err(NsError::Denied)
    );
    ns.append("/queen/lifecycle/ctl", "cordon", &q()).unwrap();
    ns.append("/queen/telemetry/dev-1/ctl", new, &q()).unwrap();
    ns.append("/queen/telemetry/dev-1/seg/seg-000002", "drain-live", &q())
        .unwrap();
    for _ in 0..3 {
        ns.append("/queen/telemetry/dev-1/ctl", new, &q()).unwrap();
    }
    assert_eq!(
        ns.read("/queen/telemetry/dev-1/seg/seg-000001", 0),
        Err(NsError::InvalidPath)
    );
    assert_eq!(ns.list("/queen/telemetry/dev-1/seg").unwrap().len(), 4);
}

#[test]
fn control_plane_nodes_reflect_writes() {
    let mut ns = full();
    ns.append(
        "/queen/schedule/ctl",
        r#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#,
        &q(),
    )
    .unwrap();
    assert_eq!(
        ns.read("/proc/schedule/summary", 0).unwrap(),
        vec!["queue=1 dequeued=0 dropped=0 max_entries=256"]
    );
    assert_eq!(ns.read("/proc/schedule/queue", 0).unwrap().len(), 1);
    ns.append(
        "/queen/lease/ctl",
        r#"{"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300}"#,
        &q(),
    )
    .unwrap();
    assert!(ns.read("/proc/lease/active", 0).unwrap()[0].contains("state=ACTIVE"));
    assert!(ns.read("/proc/lease/summary", 0).unwrap()[0].starts_with("active=1 "));
    assert!(ns.read("/proc/lease/preemptions", 0).unwrap().is_empty());
    ns.append(
        "/queen/export/ctl",
        r#"{"op":"open","id":"exp-1","ttl_s":60}"#,
        &q(),
    )
    .unwrap();
    assert_eq!(ns.list("/queen/export").unwrap(), vec!["ctl", "lora_jobs"]);
    let shipped = Namespace::new(Features::shipped(), 0);
    assert_eq!(
        shipped.read("/proc/schedule/summary", 0),
        Err(NsError::InvalidPath)
    );
}

#[test]
fn peft_exports_and_models() {
    let mut ns = full();
    assert_eq!(
        ns.list("/queen/export/lora_jobs").unwrap(),
        vec!["job_8932"]
    );
    assert_eq!(
        ns.list("/queen/export/lora_jobs/job_8932").unwrap(),
        vec!["telemetry.cbor", "base_model.ref", "policy.toml"]
    );
    assert_eq!(
        ns.read("/queen/export/lora_jobs/job_8932/base_model.ref", 0)
            .unwrap(),
        vec!["vision-base-v1"]
    );
    assert!(ns
        .read("/gpu/models/available/llama3-edge-v7/manifest.toml", 0)
        .unwrap()
        .contains(&"id = \"llama3-edge-v7\"".to_string()));
    ns.append("/gpu/models/active", "llama3-edge-v7", &q())
        .unwrap();
    assert_eq!(
        ns.read("/gpu/models/active", 0).unwrap(),
        vec!["llama3-edge-v7"]
    );
}

#[test]
fn approvals_gate_queen_ctl_single_use() {
    let mut ns = full();
    let spawn = r#"{"spawn":"heartbeat","ticks":1}"#;
    assert_eq!(ns.append("/queen/ctl", spawn, &q()), Err(NsError::Denied));
    ns.append(
        "/actions/queue",
        r#"{"id":"model-spawn","target":"/queen/ctl","decision":"approve"}"#,
        &q(),
    )
    .unwrap();
    assert!(ns.read("/actions/model-spawn/status", 0).unwrap()[0].contains("queued"));
    assert_eq!(ns.list("/actions").unwrap(), vec!["queue", "model-spawn"]);
    ns.append("/queen/ctl", spawn, &q()).unwrap();
    assert!(ns.read("/actions/model-spawn/status", 0).unwrap()[0].contains("consumed"));
    assert_eq!(ns.append("/queen/ctl", spawn, &q()), Err(NsError::Denied));
    assert!(ns.read("/policy/rules", 0).unwrap().len() == 2);
    assert!(ns
        .log_snapshot()
        .iter()
        .any(|l| l.starts_with("policy-deny rule=queen-ctl")));
    assert_eq!(
        ns.read("/proc/pressure/policy", 0).unwrap(),
        vec!["policy=2"]
    );
}

#[test]
fn host_nodes_queen_only_and_gated() {
    let mut ns = full();
    let restart = "/host/systemd/cohesix-agent.service/restart";
    assert_eq!(
        ns.append(restart, "restart", &worker()),
        Err(NsError::Denied)
    );
    assert_eq!(ns.append(restart, "restart", &q()), Err(NsError::Denied));
    ns.append(
        "/actions/queue",
        &format!(r#"{{"id":"approval-1","target":"{restart}","decision":"approve"}}"#),
        &q(),
    )
    .unwrap();
    assert_eq!(ns.append(restart, "restart", &q()), Ok(7));
    assert_eq!(ns.append(restart, "restart", &q()), Err(NsError::Denied));
    assert_eq!(
        ns.append("/host/k8s/node/node-1/cordon", "cordon", &q()),
        Ok(6)
    );
    assert_eq!(ns.list("/host").unwrap().len(), 5);
    let shipped = Namespace::new(Features::shipped(), 0);
    assert_eq!(shipped.list("/host").unwrap().len(), 4);
    let mut shipped = shipped;
    assert_eq!(
        shipped.append(restart, "restart", &q()),
        Ok(7),
        "no policy surface"
    );
}

#[test]
fn workers_may_only_write_bus_and_lora() {
    let mut ns = full();
    assert_eq!(
        ns.append("/log/queen.log", "x", &worker()),
        Err(NsError::Denied)
    );
    assert_eq!(
        ns.append("/bus/none/ctl", "x", &worker()),
        Err(NsError::InvalidPath)
    );
}

#[test]
fn sidecars_spool_replay_and_cross_kind_denial() {
    let mut ns = full();
    let bus = Caller {
        role: Role::WorkerBus,
        now_ms: 0,
    };
    assert_eq!(ns.list("/bus").unwrap(), vec!["modbus-main"]);
    assert_eq!(ns.list("/bus/dnp3-main"), Err(NsError::InvalidPath));
    assert_eq!(
        ns.read("/bus/modbus-main/spool", 0).unwrap(),
        vec!["entries=0"]
    );
    ns.append("/bus/modbus-main/telemetry", "alpha", &bus)
        .unwrap();
    ns.append("/bus/modbus-main/telemetry", "beta", &bus)
        .unwrap();
    assert_eq!(
        ns.read("/bus/modbus-main/spool", 0).unwrap(),
        vec!["entries=2"]
    );
    ns.append("/bus/modbus-main/replay", "replay", &bus)
        .unwrap();
    assert_eq!(
        ns.read("/bus/modbus-main/replay", 0).unwrap(),
        vec!["entries=2"]
    );
    assert_eq!(
        ns.read("/bus/modbus-main/spool", 0).unwrap(),
        vec!["entries=0"]
    );
    assert_eq!(
        ns.append("/lora/lora-main/ctl", "denied", &bus),
        Err(NsError::Denied)
    );
    assert!(ns
        .log_snapshot()
        .iter()
        .any(|l| l.starts_with("sidecar-deny kind=lora")));
    assert_eq!(
        ns.append("/bus/modbus-main/spool", "x", &bus),
        Err(NsError::Denied)
    );
    assert_eq!(ns.append("/lora/lora-main/ctl", "ok", &q()), Ok(2));
    let shipped = Namespace::new(Features::shipped(), 0);
    assert_eq!(shipped.list("/bus"), Err(NsError::InvalidPath));
}

#[test]
fn shipped_lifecycle_refuses_drain_and_quiesce_like_the_real_queen() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    let path = "/queen/lifecycle/ctl";
    let err = ns.append(path, "quiesce", &q()).unwrap_err();
    assert_eq!(
        err.render("ECHO", path),
        "ERR ECHO reason=policy detail=denied path=/queen/lifecycle/ctl error=EPERM"
    );
    let err = ns.append(path, "drain", &q()).unwrap_err();
    assert_eq!(
        err.render("ECHO", path),
        "ERR ECHO reason=policy detail=invalid-payload path=/queen/lifecycle/ctl error=invalid payload"
    );
    ns.append(path, "cordon", &q()).unwrap();
    let err = ns.append(path, "drain", &q()).unwrap_err();
    assert_eq!(err, NsError::Denied);
    assert_eq!(
        ns.read("/proc/lifecycle/state", 0).unwrap(),
        vec!["state=DRAINING"]
    );
    ns.append(path, "resume", &q()).unwrap();
    assert_eq!(
        ns.read("/proc/lifecycle/state", 0).unwrap(),
        vec!["state=ONLINE"]
    );
}
