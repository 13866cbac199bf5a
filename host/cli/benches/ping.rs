//! PING round trips through `cohesix-tokio` against the queen simulator, next to a raw
//! tokio echo baseline on loopback, in one run (same runtime, same machine).
//!
//! ```sh
//! cargo bench -p cohesix-cli --bench ping
//! ```
//!
//! `baseline/raw_echo_rtt`: an 8-byte frame written and the same 8 bytes read back over a
//! loopback `TcpStream` (`TCP_NODELAY`) to a tokio echo task: the floor for any request.
//! `client/ping_rtt`: `Client::ping` (frame encode, session bookkeeping, `OK PING` + `PONG`
//! reassembly) against the simulator. Target: client median ≤ 1.5 × baseline median.
//! The `_from_task` variants run the same loop in a spawned task (as a host tool's tasks do)
//! instead of `block_on` on the bench thread.
//! `client/ping_pipeline8_per_request` (one caller, 8 per `pipeline` call) against
//! `handle/8_callers_per_request` (8 tasks on one shared `Console`): target ≥ 0.9× the
//! single caller's throughput.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use cohesix_sim::{Features, SimConfig, Simulator};
use cohesix_tokio::{Client, ClientConfig, Credentials, Request, Role};
use criterion::{criterion_group, criterion_main, Criterion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PING_FRAME: [u8; 8] = [8, 0, 0, 0, b'P', b'I', b'N', b'G'];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn echo_server() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// `iters` PING frames written and read back from the echo server; the elapsed time.
async fn echo_rounds(raw: &mut TcpStream, iters: u64) -> Duration {
    let mut back = [0u8; PING_FRAME.len()];
    let start = Instant::now();
    for _ in 0..iters {
        raw.write_all(&PING_FRAME).await.expect("write");
        raw.read_exact(&mut back).await.expect("read");
    }
    start.elapsed()
}

fn bench_ping(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ping");
    group.measurement_time(Duration::from_secs(5));

    let mut raw = rt.block_on(async {
        let addr = echo_server().await;
        let s = TcpStream::connect(addr).await.expect("connect echo");
        s.set_nodelay(true).expect("nodelay");
        s
    });
    group.bench_function("baseline/raw_echo_rtt", |b| {
        b.iter_custom(|iters| rt.block_on(echo_rounds(&mut raw, iters)));
    });

    // The same round trip from a spawned task (a worker thread) instead of `block_on` on the
    // bench thread: a hand-off between tasks on one worker skips the cross-thread unpark.
    let raw = std::sync::Arc::new(tokio::sync::Mutex::new(raw));
    group.bench_function("baseline/raw_echo_rtt_from_task", |b| {
        b.iter_custom(|iters| {
            let raw = raw.clone();
            rt.block_on(async move {
                tokio::spawn(async move { echo_rounds(&mut *raw.lock().await, iters).await })
                    .await
                    .expect("task")
            })
        });
    });

    let (_sim, client) = rt.block_on(async {
        let mut config = SimConfig::loopback();
        config.features = Features::shipped();
        let sim = Simulator::spawn(config).await.expect("simulator");
        let creds = Credentials::new("changeme", Role::Queen, None).expect("creds");
        let client = Client::connect(
            sim.local_addr(),
            creds,
            ClientConfig::new().with_heartbeat(None),
        )
        .await
        .expect("connect");
        (sim, client)
    });
    group.bench_function("client/ping_rtt", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    client.ping().await.expect("ping");
                }
                start.elapsed()
            })
        });
    });
    let from_task = client.console().clone();
    group.bench_function("client/ping_rtt_from_task", |b| {
        b.iter_custom(|iters| {
            let c = from_task.clone();
            rt.block_on(async move {
                tokio::spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        c.ping().await.expect("ping");
                    }
                    start.elapsed()
                })
                .await
                .expect("task")
            })
        });
    });
    group.bench_function("client/ping_pipeline8_per_request", |b| {
        let reqs = [Request::Ping; 8];
        b.iter_custom(|iters| {
            rt.block_on(async {
                let rounds = iters.div_ceil(8);
                let start = Instant::now();
                for _ in 0..rounds {
                    for r in client.pipeline(&reqs).await.expect("pipeline") {
                        r.expect("ping");
                    }
                }
                start.elapsed().mul_f64(iters as f64 / (rounds * 8) as f64)
            })
        });
    });
    // The shared handle: 8 tasks on clones of one console, each sending its share of the
    // PINGs one at a time; the driver pipelines them (≤ 8 in flight). Same connection and
    // runtime as the single-caller pipeline above.
    let console = client.console().clone();
    group.bench_function("handle/8_callers_per_request", |b| {
        b.iter_custom(|iters| {
            let per = iters.div_ceil(8);
            rt.block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let c = console.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                c.ping().await.expect("ping");
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                start.elapsed().mul_f64(iters as f64 / (per * 8) as f64)
            })
        });
    });
    group.finish();
}

criterion_group!(benches, bench_ping);
criterion_main!(benches);
