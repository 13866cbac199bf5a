//! Cost of an evidence pack of `coh-queen` (the simulator over loopback TCP) after the nine
//! built-in playbooks, and of the offline tools on that pack (timeline, SIEM export, CI
//! summary).
//!
//! The queen is set up once: the nine playbooks run against it (distinct run ids, a fixed
//! host snapshot pushed as telemetry), so its journal, decision log, schedule and lease
//! state are what a busy queen holds. Each timed pack opens a fresh session (as `coh
//! evidence pack` does: its log TAIL starts at the beginning) and packs with telemetry into
//! the same directory (re-packing clears the previous files first).
//!
//! ```text
//! cargo bench -p cohesix --bench evidence
//! COHESIX_BENCH_DIR=/dev/shm cargo bench -p cohesix --bench evidence   # without disk fsyncs
//! ```
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cohesix::auth::Secret;
use cohesix::backend::{AnyBackend, TcpBackend, TcpOptions};
use cohesix::evidence::{self, ci, siem, timeline, PackOptions};
use cohesix::playbook::{built_in, run_playbook, HostInput, RunId, RunOptions, Silent};
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::{Audit, Orchestrator};
use cohesix_probes::{HostSnapshot, ProbeResult, ProbeStatus};
use criterion::{criterion_group, criterion_main, Criterion};

const TOKEN: &str = "bench-evidence-token";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = SimConfig::mock(false);
    config.token = AuthToken::new(TOKEN);
    let sim = rt.block_on(Simulator::spawn(config)).expect("simulator");
    let addr = sim.local_addr();
    let options = TcpOptions::new(addr.ip().to_string(), addr.port(), Secret::new(TOKEN));
    rt.block_on(async {
        let backend = AnyBackend::from(TcpBackend::connect(&options).expect("backend"));
        let orch = Orchestrator::new(backend);
        let mut snap = HostSnapshot::new("2026-02-14T00:00:00.000000+00:00");
        snap.results.insert(
            "systemd".into(),
            ProbeResult {
                provider: "systemd".into(),
                status: ProbeStatus::Ok,
                data: serde_json::json!({"services": {"cohesix-agent.service": {"active": "active"}}}),
                error: None,
            },
        );
        let snap = Arc::new(snap);
        for (i, entry) in built_in().expect("catalogue").into_iter().enumerate() {
            let mut o = RunOptions::new();
            o.run_id = Some(RunId::parse(&format!("b0b0b0b{i}")).expect("run id"));
            let r = run_playbook(
                Some(&orch),
                &entry.playbook,
                &o,
                HostInput::Given(snap.clone()),
                &Silent,
            )
            .await;
            assert!(
                r.failure.is_none(),
                "{}: {:?}",
                entry.playbook.id,
                r.failure
            );
        }
        orch.close().await.expect("close");
    });
    // Every pack file is fsynced (`cohesix::json::write_atomic`): set COHESIX_BENCH_DIR to a
    // tmpfs to see the cost without the disk.
    let base = std::env::var_os("COHESIX_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = base.join(format!("cohesix-bench-evidence-{}", std::process::id()));
    let pack_once = || {
        rt.block_on(async {
            let b = TcpBackend::connect(&options).expect("backend");
            let r = evidence::pack(
                &b,
                &PackOptions::new(&dir).with_telemetry(true),
                &Audit::new(),
            )
            .await
            .expect("pack");
            let _ = cohesix::Backend::close(&b).await;
            r
        })
    };
    let first = pack_once();
    eprintln!(
        "pack after the nine playbooks: captured={} missing={} errors={} telemetry={:?}",
        first.summary.captured(),
        first.summary.missing(),
        first.summary.errors(),
        first.telemetry
    );

    let mut g = c.benchmark_group("evidence_after_nine_playbooks");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    g.bench_function("pack_tcp_simulator", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let r = pack_once();
                total += t.elapsed();
                assert!(r.summary.captured() > 10);
            }
            total
        });
    });
    let t = timeline::build(&dir).expect("timeline");
    let s = siem::export(&dir).expect("siem");
    eprintln!(
        "timeline events={} siem events={}",
        t.events.len(),
        s.events.len()
    );
    g.bench_function("timeline_write", |b| {
        b.iter(|| timeline::write(&dir).expect("timeline"));
    });
    g.bench_function("siem_export_ndjson", |b| {
        b.iter(|| siem::export(&dir).expect("siem").to_ndjson());
    });
    g.bench_function("timeline_and_siem", |b| {
        b.iter(|| {
            timeline::write(&dir).expect("timeline");
            siem::export(&dir).expect("siem").to_ndjson()
        });
    });
    g.bench_function("ci_summary", |b| {
        b.iter(|| ci::check(&dir, "pack").to_json());
    });
    g.finish();
    rt.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
