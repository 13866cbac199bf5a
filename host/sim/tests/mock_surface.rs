//! The host library's Mock backend surface (host-surface §5.3 plus what upstream's mock
//! lacks), served in process over `tokio::io::duplex` exactly as the backend will drive it.

use cohesix_sim::{Features, SessionEnd, SimConfig, SimCore};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;

struct Mock {
    c: DuplexStream,
    task: JoinHandle<SessionEnd>,
}

impl Mock {
    async fn start(include_mig: bool) -> Mock {
        let core = SimCore::new(SimConfig::mock(include_mig));
        let (c, server) = tokio::io::duplex(1 << 16);
        let task = tokio::spawn(async move { core.serve(server).await });
        let mut m = Mock { c, task };
        assert_eq!(m.cmd("AUTH changeme").await, "OK AUTH");
        assert_eq!(m.cmd("ATTACH queen").await, "OK ATTACH role=queen");
        m
    }

    async fn line(&mut self) -> String {
        let mut hdr = [0u8; 4];
        self.c.read_exact(&mut hdr).await.unwrap();
        let mut body = vec![0u8; u32::from_le_bytes(hdr) as usize - 4];
        self.c.read_exact(&mut body).await.unwrap();
        String::from_utf8(body).unwrap()
    }

    async fn cmd(&mut self, line: &str) -> String {
        let mut f = ((line.len() + 4) as u32).to_le_bytes().to_vec();
        f.extend_from_slice(line.as_bytes());
        self.c.write_all(&f).await.unwrap();
        self.line().await
    }

    /// CAT body lines (panics on a refusal).
    async fn cat(&mut self, path: &str) -> Vec<String> {
        let ack = self.cmd(&format!("CAT {path}")).await;
        assert!(ack.starts_with("OK CAT"), "{path}: {ack}");
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            if l == "END" {
                return out;
            }
            out.push(l);
        }
    }

    async fn ls(&mut self, path: &str) -> Vec<String> {
        let ack = self.cmd(&format!("LS {path}")).await;
        assert!(ack.starts_with("OK LS"), "{path}: {ack}");
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            if l == "END" {
                return out;
            }
            out.push(l);
        }
    }

    async fn json(&mut self, path: &str) -> Value {
        serde_json::from_str(&self.cat(path).await.join("\n")).unwrap()
    }

    async fn echo(&mut self, path: &str, text: &str) -> String {
        self.cmd(&format!("ECHO {path} {text}")).await
    }

    async fn quit(mut self) {
        assert_eq!(self.cmd("QUIT").await, "OK QUIT");
        assert_eq!(self.task.await.unwrap(), SessionEnd::Quit);
    }
}

fn gpu_info(id: &str, name: &str, memory_mb: u32, sm_count: u32) -> Value {
    json!({"id": id, "name": name, "memory_mb": memory_mb, "sm_count": sm_count,
           "driver_version": "mock", "runtime_version": "mock"})
}

#[tokio::test]
async fn seeded_tree_of_section_5_3() {
    let mut m = Mock::start(false).await;
    assert_eq!(m.ls("/gpu").await, ["bridge", "GPU-0", "GPU-1", "models"]);
    for id in ["GPU-0", "GPU-1"] {
        assert_eq!(
            m.json(&format!("/gpu/{id}/info")).await,
            gpu_info(id, "MockGPU", 8192, 80)
        );
        assert_eq!(
            m.ls(&format!("/gpu/{id}")).await,
            ["info", "lease", "status"]
        );
        assert!(m.cat(&format!("/gpu/{id}/status")).await.is_empty());
        assert!(m.cat(&format!("/gpu/{id}/lease")).await.is_empty());
    }
    let job = "/queen/export/lora_jobs/job_8932";
    assert_eq!(
        m.cat(&format!("{job}/telemetry.cbor")).await,
        ["telemetry-v1"]
    );
    assert_eq!(
        m.cat(&format!("{job}/base_model.ref")).await,
        ["vision-base-v1"]
    );
    assert_eq!(
        m.cat(&format!("{job}/policy.toml")).await,
        ["[policy]", "name = \"default\""]
    );
    assert_eq!(
        m.cat("/gpu/models/available/llama3-edge-v7/manifest.toml")
            .await,
        ["[model]", "id = \"llama3-edge-v7\""]
    );
    assert_eq!(m.ls("/queen/telemetry").await, ["device-1"]);
    assert_eq!(
        m.cat("/queen/telemetry/device-1/seg/seg-000001").await,
        [r#"{"seq":1}"#]
    );
    assert_eq!(
        m.cat("/queen/telemetry/device-1/latest").await,
        ["seg-000001"]
    );
    // The seeded counter is 1: the next segment is seg-000002.
    let new_seg = r#"{"new":"segment","mime":"application/x-ndjson"}"#;
    assert!(m
        .echo("/queen/telemetry/device-1/ctl", new_seg)
        .await
        .starts_with("OK ECHO"));
    assert_eq!(
        m.cat("/queen/telemetry/device-1/latest").await,
        ["seg-000002"]
    );
    assert!(m
        .echo("/queen/telemetry/device-1/seg/seg-000002", r#"{"rec":1}"#)
        .await
        .starts_with("OK ECHO"));
    assert_eq!(
        m.ls("/queen/telemetry/device-1/seg").await,
        ["seg-000001", "seg-000002"]
    );
    assert!(m.cmd("LS /gpu/MIG-0").await.starts_with("ERR LS"));
    m.quit().await;
}

#[tokio::test]
async fn include_mig_adds_mig_0() {
    let mut m = Mock::start(true).await;
    assert_eq!(
        m.ls("/gpu").await,
        ["bridge", "GPU-0", "GPU-1", "MIG-0", "models"]
    );
    assert_eq!(
        m.json("/gpu/MIG-0/info").await,
        gpu_info("MIG-0", "MockMIG", 1024, 14)
    );
    assert_eq!(m.ls("/gpu/MIG-0").await, ["info", "lease", "status"]);
    m.quit().await;
}

#[tokio::test]
async fn proc_views_reflect_schedule_and_lease_writes() {
    let mut m = Mock::start(false).await;
    assert_eq!(
        m.cat("/proc/schedule/summary").await,
        ["queue=0 dequeued=0 dropped=0 max_entries=256"]
    );
    let job = r#"{"id":"mix-wave","role":"worker-gpu","priority":6,"ticks":9,"budget_ms":210}"#;
    assert_eq!(
        m.echo("/queen/schedule/ctl", job).await,
        format!("OK ECHO path=/queen/schedule/ctl bytes={}", job.len())
    );
    assert_eq!(
        m.cat("/proc/schedule/queue").await,
        ["id=mix-wave role=worker-gpu priority=6 ticks=9 budget_ms=210 seq=1"]
    );
    let grant = r#"{"op":"grant","id":"mix-lease","subject":"mix-wave","resource":"GPU-0","ttl_s":540,"priority":6}"#;
    assert!(m
        .echo("/queen/lease/ctl", grant)
        .await
        .starts_with("OK ECHO"));
    assert!(m.cat("/proc/lease/summary").await[0].starts_with("active=1 preemptions=0"));
    assert!(m.cat("/proc/lease/active").await[0].starts_with("id=mix-lease subject=mix-wave"));
    let preempt = r#"{"op":"preempt","id":"mix-lease","reason":"maintenance"}"#;
    assert!(m
        .echo("/queen/lease/ctl", preempt)
        .await
        .starts_with("OK ECHO"));
    assert!(m.cat("/proc/lease/active").await.is_empty());
    assert_eq!(m.cat("/proc/lease/preemptions").await.len(), 1);
    m.quit().await;
}

/// Payloads the core's decoders refuse get the real queen's refusal line; whatever the
/// rule, nothing of the payload or the core's message leaks into the reply.
#[tokio::test]
async fn core_refusals_keep_the_queen_reply_shape() {
    let mut m = Mock::start(false).await;
    for (path, bad) in [
        (
            "/queen/schedule/ctl",
            r#"{"id":"j","role":"r","priority":0,"ticks":1,"budget_ms":1}"#,
        ),
        ("/queen/lease/ctl", r#"{"op":"revoke","id":"x"}"#),
        ("/queen/export/ctl", r#"{"op":"open","id":"e"}"#),
        (
            "/actions/queue",
            r#"{"id":"a","target":"rel","decision":"approve"}"#,
        ),
        (
            "/queen/telemetry/device-1/ctl",
            r#"{"new":"segment","mime":""}"#,
        ),
    ] {
        assert_eq!(
            m.echo(path, bad).await,
            format!(
                "ERR ECHO reason=policy detail=invalid-payload path={path} error=invalid payload"
            ),
            "{bad}"
        );
    }
    m.quit().await;
}

/// Over the wire, every `/proc/schedule/*` and `/proc/lease/*` line parses with the core's
/// line types and carries what was written.
#[tokio::test]
async fn proc_lines_parse_with_the_core_types() {
    use cohesix_core::control::proc::{
        LeaseEntry, LeaseSummary, PreemptionEntry, ProcLine, ScheduleEntry, ScheduleSummary,
    };
    let mut m = Mock::start(false).await;
    for (path, line) in [
        (
            "/queen/schedule/ctl",
            r#"{"id":"s-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}"#,
        ),
        (
            "/queen/lease/ctl",
            r#"{"op":"grant","id":"l-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":6}"#,
        ),
        (
            "/queen/lease/ctl",
            r#"{"op":"grant","id":"l-2","subject":"queen","resource":"gpu1","ttl_s":60}"#,
        ),
        (
            "/queen/lease/ctl",
            r#"{"op":"preempt","id":"l-2","reason":"drain"}"#,
        ),
        (
            "/queen/lease/ctl",
            r#"{"op":"quota","subject":"queen","resource":"gpu0","max_active":2,"max_preemptions":2}"#,
        ),
    ] {
        assert!(m.echo(path, line).await.starts_with("OK ECHO"), "{line}");
    }
    let s = m.cat("/proc/schedule/summary").await;
    assert_eq!(ScheduleSummary::parse(&s[0]).unwrap().queue, 1);
    let q = m.cat("/proc/schedule/queue").await;
    let e = ScheduleEntry::parse(&q[0]).unwrap();
    assert_eq!((e.id, e.budget_ms, e.seq), ("s-1", 180, 1));
    let ls = m.cat("/proc/lease/summary").await;
    let sum = LeaseSummary::parse(&ls[0]).unwrap();
    assert_eq!((sum.active, sum.preemptions, sum.quotas), (1, 1, 1));
    let a = m.cat("/proc/lease/active").await;
    let l = LeaseEntry::parse(&a[0]).unwrap();
    assert_eq!((l.id, l.priority, l.state), ("l-1", 6, "ACTIVE"));
    let p = m.cat("/proc/lease/preemptions").await;
    let pre = PreemptionEntry::parse(&p[0]).unwrap();
    assert_eq!((pre.id, pre.resource, pre.reason), ("l-2", "gpu1", "drain"));
    m.quit().await;
}

#[tokio::test]
async fn approvals_gate_queen_ctl_and_are_consumed_once() {
    let mut m = Mock::start(false).await;
    let spawn =
        r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":2048,"streams":2,"ttl_s":60}}"#;
    let denied = m.echo("/queen/ctl", spawn).await;
    assert_eq!(
        denied,
        "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"
    );
    let approval = r#"{"id":"approve-1","target":"/queen/ctl","decision":"approve"}"#;
    assert!(m
        .echo("/actions/queue", approval)
        .await
        .starts_with("OK ECHO"));
    assert_eq!(
        m.cat("/actions/approve-1/status").await[0]
            .split(' ')
            .next(),
        Some("state=queued")
    );
    assert!(m.echo("/queen/ctl", spawn).await.starts_with("OK ECHO"));
    let lease = m.json("/gpu/GPU-0/lease").await;
    assert_eq!(lease["schema"], "gpu-lease/v1");
    assert_eq!(lease["state"], "ACTIVE");
    assert_eq!(lease["worker_id"], "worker-1");
    assert_eq!(lease["mem_mb"], 2048);
    assert!(m.cat("/actions/approve-1/status").await[0].starts_with("state=consumed"));
    // Consumed once: the same write is refused again.
    assert_eq!(m.echo("/queen/ctl", spawn).await, denied);
    m.quit().await;
}

#[tokio::test]
async fn echo_bound_is_128_bytes() {
    let mut m = Mock::start(false).await;
    let ok = "a".repeat(128);
    assert_eq!(
        m.echo("/log/queen.log", &ok).await,
        "OK ECHO path=/log/queen.log bytes=128"
    );
    assert_eq!(
        m.echo("/log/queen.log", &"a".repeat(129)).await,
        "ERR PARSE reason=policy detail=argument payload exceeds allowed length"
    );
    m.quit().await;
}

#[test]
fn shipped_and_full_profiles_are_unchanged() {
    let shipped = Features::shipped();
    assert!(!shipped.mock_seed && !shipped.mig && !shipped.policy && !shipped.control_plane);
    let full = Features::full();
    assert!(!full.mock_seed && !full.mig);
    let mock = Features::mock(true);
    assert_eq!(
        Features {
            mock_seed: false,
            mig: false,
            ..mock
        },
        full,
        "mock = full + seed"
    );
    let ns = cohesix_sim::Namespace::new(shipped, 0);
    assert_eq!(ns.list("/gpu").unwrap(), ["bridge", "GPU-0", "GPU-1"]);
    assert!(ns.list("/queen/telemetry").unwrap().is_empty());
}
