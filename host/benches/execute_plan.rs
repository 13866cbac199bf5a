//! Cost of one `execute_plan` of a nine-line plan (1 approval, 3 schedule entries, 3 lease
//! ops, 2 export ops), against the in-process mock and against the queen simulator over
//! loopback TCP (the code `coh-queen` serves), plus the dry run.
//!
//! Every timed iteration gets a fresh target (the control logs are bounded, and ids must
//! not repeat), with its session already attached: only the nine appends are timed.
//!
//! ```text
//! cargo bench -p cohesix --bench execute_plan
//! ```
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use cohesix::auth::Secret;
use cohesix::backend::{MockBackend, MockOptions, TcpBackend, TcpOptions};
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::Orchestrator;
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/orchestrator_support/plan.rs"]
mod plan;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let plan = plan::nine_line_plan();
    assert_eq!(plan.len(), 9);
    let mut g = c.benchmark_group("execute_plan_nine_lines");
    g.sample_size(30).measurement_time(Duration::from_secs(8));

    g.bench_function("mock", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mock = MockBackend::new(&MockOptions::new().root(None)).expect("mock");
                    mock.console().ready().await.expect("attach");
                    let orch = Orchestrator::new(mock);
                    let t = Instant::now();
                    let done = orch.execute_plan(&plan, false).await.expect("plan");
                    total += t.elapsed();
                    assert_eq!(done.writes().len(), 9);
                }
                total
            })
        });
    });

    g.bench_function("tcp_simulator", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut config = SimConfig::loopback();
                    config.token = AuthToken::new("bench-token");
                    let sim = Simulator::spawn(config).await.expect("simulator");
                    let addr = sim.local_addr();
                    let options = TcpOptions::new(
                        addr.ip().to_string(),
                        addr.port(),
                        Secret::new("bench-token"),
                    );
                    let backend = TcpBackend::connect(&options).expect("backend");
                    backend.console().ready().await.expect("attach");
                    let orch = Orchestrator::new(backend);
                    let t = Instant::now();
                    let done = orch.execute_plan(&plan, false).await.expect("plan");
                    total += t.elapsed();
                    assert_eq!(done.writes().len(), 9);
                    orch.close().await.expect("close");
                    sim.shutdown().await;
                }
                total
            })
        });
    });

    g.bench_function("dry_run", |b| {
        let mock =
            rt.block_on(async { MockBackend::new(&MockOptions::new().root(None)).expect("mock") });
        let orch = Orchestrator::new(mock);
        b.iter(|| {
            rt.block_on(orch.execute_plan(&plan, true))
                .expect("dry run")
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
