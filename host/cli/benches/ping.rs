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
//! instead of `block_on` on the bench thread. `baseline/raw_sim_ping_from_task` writes PING
//! frames to the simulator on a raw socket: the simulator's own share of a round trip.
//! Before the criterion groups, a p50 report times every single round trip of the raw echo
//! and of `Console::ping` (the variants interleaved in rounds, so drift in the machine's load
//! hits them alike) and prints p50, p99, p99.9, the mean and the console/raw ratios. The
//! criterion groups measure one variant after the other; on a busy machine their ratios
//! move with the load between them.
//! `client/ping_pipeline8_per_request` (one caller, 8 per `pipeline` call) against
//! `handle/8_callers_per_request` (8 tasks on one shared `Console`): target ≥ 0.9× the
//! single caller's throughput.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use cohesix_sim::{Features, SimConfig, Simulator};
use cohesix_tokio::{Client, ClientConfig, Credentials, Request, Role};
use criterion::{criterion_group, Criterion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PING_FRAME: [u8; 8] = [8, 0, 0, 0, b'P', b'I', b'N', b'G'];
const AUTH_FRAME: [u8; 17] = [
    17, 0, 0, 0, b'A', b'U', b'T', b'H', b' ', b'c', b'h', b'a', b'n', b'g', b'e', b'm', b'e',
];

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

/// A simulator and a client attached to it.
async fn sim_client() -> (cohesix_sim::SimHandle, Client) {
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
}

/// A loopback connection to a fresh echo server.
async fn echo_client() -> TcpStream {
    let addr = echo_server().await;
    let s = TcpStream::connect(addr).await.expect("connect echo");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// One PING frame written and read back from the echo server.
async fn echo_once(raw: &mut TcpStream, back: &mut [u8; PING_FRAME.len()]) {
    raw.write_all(&PING_FRAME).await.expect("write");
    raw.read_exact(back).await.expect("read");
}

/// `iters` PING frames written and read back from the echo server; the elapsed time.
async fn echo_rounds(raw: &mut TcpStream, iters: u64) -> Duration {
    let mut back = [0u8; PING_FRAME.len()];
    let start = Instant::now();
    for _ in 0..iters {
        echo_once(raw, &mut back).await;
    }
    start.elapsed()
}

fn bench_ping(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ping");
    group.measurement_time(Duration::from_secs(5));

    let mut raw = rt.block_on(echo_client());
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

    // PING frames written straight to a simulator on a raw socket (after AUTH): what the
    // simulator itself costs per round trip, without any client code.
    let (_raw_sim, sim_raw) = rt.block_on(async {
        let mut config = SimConfig::loopback();
        config.features = Features::shipped();
        let sim = Simulator::spawn(config).await.expect("simulator");
        let mut s = TcpStream::connect(sim.local_addr())
            .await
            .expect("connect sim");
        s.set_nodelay(true).expect("nodelay");
        s.write_all(&AUTH_FRAME).await.expect("auth");
        let mut len = [0u8; 4];
        s.read_exact(&mut len).await.expect("auth ack length");
        let mut ack = vec![0u8; (u32::from_le_bytes(len) as usize).saturating_sub(4)];
        s.read_exact(&mut ack).await.expect("auth ack");
        (sim, std::sync::Arc::new(tokio::sync::Mutex::new(s)))
    });
    group.bench_function("baseline/raw_sim_ping_from_task", |b| {
        b.iter_custom(|iters| {
            let s = sim_raw.clone();
            rt.block_on(async move {
                tokio::spawn(async move {
                    let mut s = s.lock().await;
                    // `PONG` and `OK PING reply=pong`, in either order: 8 + 22 bytes.
                    let mut back = [0u8; 30];
                    let start = Instant::now();
                    for _ in 0..iters {
                        s.write_all(&PING_FRAME).await.expect("write");
                        s.read_exact(&mut back).await.expect("read");
                    }
                    start.elapsed()
                })
                .await
                .expect("task")
            })
        });
    });

    let (_sim, client) = rt.block_on(sim_client());
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

/// Round trips per variant and round of the p50 report.
const P50_BATCH: usize = 2_000;
/// Rounds of the p50 report; the variants take turns in every round, so drift in the
/// machine's load affects them alike.
const P50_ROUNDS: usize = 10;

/// Latency of each of `n` round trips of `raw` (`None`: PINGs through `console`).
async fn timed_round_trips(
    n: usize,
    raw: Option<&mut TcpStream>,
    console: &cohesix_tokio::Console,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    let mut back = [0u8; PING_FRAME.len()];
    match raw {
        Some(raw) => {
            for _ in 0..n {
                let t = Instant::now();
                echo_once(raw, &mut back).await;
                out.push(t.elapsed());
            }
        }
        None => {
            for _ in 0..n {
                let t = Instant::now();
                console.ping().await.expect("ping");
                out.push(t.elapsed());
            }
        }
    }
    out
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

/// Prints the p50 and p99 of single PING round trips (each timed on its own) through the
/// console handle and over the raw echo, from `block_on` and from a spawned task, and the
/// client/raw ratios of the p50s.
fn p50_report() {
    let rt = runtime();
    let (_sim, client) = rt.block_on(sim_client());
    let console = client.console().clone();
    let raw = std::sync::Arc::new(tokio::sync::Mutex::new(rt.block_on(echo_client())));
    let mut lat: [Vec<Duration>; 4] = Default::default();
    for _ in 0..P50_ROUNDS {
        rt.block_on(async {
            let mut r = raw.lock().await;
            lat[0].extend(timed_round_trips(P50_BATCH, Some(&mut r), &console).await);
            lat[1].extend(timed_round_trips(P50_BATCH, None, &console).await);
        });
        let (r, c) = (raw.clone(), console.clone());
        let (a, b) = rt.block_on(async move {
            tokio::spawn(async move {
                let mut r = r.lock().await;
                let a = timed_round_trips(P50_BATCH, Some(&mut r), &c).await;
                let b = timed_round_trips(P50_BATCH, None, &c).await;
                (a, b)
            })
            .await
            .expect("task")
        });
        lat[2].extend(a);
        lat[3].extend(b);
    }
    let names = [
        "raw echo, block_on",
        "console, block_on",
        "raw echo, from task",
        "console, from task",
    ];
    println!(
        "ping p50 report: {P50_ROUNDS} rounds x {P50_BATCH} round trips per variant, interleaved"
    );
    let mut p50 = [0.0; 4];
    let mut means = [0.0; 4];
    for (i, l) in lat.iter_mut().enumerate() {
        l.sort_unstable();
        p50[i] = quantile(l, 0.5);
        let mean = l.iter().sum::<Duration>().as_secs_f64() * 1e6 / l.len().max(1) as f64;
        means[i] = mean;
        println!(
            "  {:<22} p50 {:>7.2} us  p99 {:>7.2} us  p99.9 {:>8.2} us  mean {:>7.2} us",
            names[i],
            p50[i],
            quantile(l, 0.99),
            quantile(l, 0.999),
            mean
        );
    }
    println!(
        "  ratio console/raw p50: block_on {:.2}x, from task {:.2}x (target <= 1.5x); \
         mean: {:.2}x, {:.2}x",
        p50[1] / p50[0],
        p50[3] / p50[2],
        means[1] / means[0],
        means[3] / means[2]
    );
}

/// Round trips of the single variant `PING_CALLGRIND` selects.
const CALLGRIND_ROUND_TRIPS: usize = 5_000;

/// `CALLGRIND_ROUND_TRIPS` round trips of one variant from a spawned task (`raw`: the echo;
/// anything else: `Console::ping`), for instruction counts under callgrind:
/// `PING_CALLGRIND=raw valgrind --tool=callgrind target/release/deps/ping-… --bench` and the
/// same with `PING_CALLGRIND=console`; both runs set up the same simulator and echo server, so
/// the difference of the totals over the round trips is the console's extra cost per PING.
fn callgrind_variant(which: &str) {
    let rt = runtime();
    let (_sim, client) = rt.block_on(sim_client());
    let console = client.console().clone();
    let mut raw = rt.block_on(echo_client());
    let raw_wanted = which == "raw";
    let done = rt.block_on(async move {
        tokio::spawn(async move {
            let r = raw_wanted.then_some(&mut raw);
            timed_round_trips(CALLGRIND_ROUND_TRIPS, r, &console)
                .await
                .len()
        })
        .await
        .expect("task")
    });
    println!("{which}: {done} round trips");
}

criterion_group!(benches, bench_ping);

fn main() {
    if let Ok(which) = std::env::var("PING_CALLGRIND") {
        callgrind_variant(&which);
        return;
    }
    p50_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
