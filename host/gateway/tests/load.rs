//! Load (opt-in: `cargo test --release -p cohesix-gateway --test load -- --ignored
//! --nocapture`): 64 concurrent HTTP clients × 500 requests (80 % CAT, 20 % ECHO) against
//! the gateway over a loopback simulator. Asserts zero 5xx and that every echo is in the
//! simulator exactly once; prints p50/p99 latency and requests per second, the gateway's
//! overhead (p50 of `GET /v1/fs/cat` vs the same `CAT` on a console directly, same run) and
//! the throughput of 1 vs 64 clients. Bounded: fixed request counts, loopback only.
//! `COHESIX_LOAD_CLIENTS` / `COHESIX_LOAD_REQUESTS` / `COHESIX_LOAD_SINGLE` change the sizes,
//! `COHESIX_LOAD_DEPTH` the fair queue's dispatch depth.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cohesix_tokio::{ClientConfig, Console, Credentials, Role};
use common::{get, post, sim_read, simulator, tcp_gateway, OK};
use serde_json::json;

const CAT_PATH: &str = "/gpu/GPU-0/info";
const SEGMENT: &str = "seg-000001";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Default)]
struct Tally {
    cat: Vec<Duration>,
    echo: Vec<Duration>,
    status: HashMap<u16, usize>,
    retried_429: usize,
    committed: Vec<(usize, String)>,
}

fn device(client: usize) -> String {
    format!("load-{}", client / 2)
}

async fn one_client(url: String, id: usize, requests: usize, echo_every: usize) -> Tally {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let cat = format!("{url}/v1/fs/cat?path={CAT_PATH}&max_bytes=4096");
    let echo_url = format!("{url}/v1/fs/echo");
    let seg = format!("/queen/telemetry/{}/seg/{SEGMENT}", device(id));
    let mut t = Tally::default();
    for k in 0..requests {
        let is_echo = echo_every > 0 && k % echo_every == echo_every - 1;
        loop {
            let started = Instant::now();
            let (status, outcome) = if is_echo {
                let line = format!("c{id}-{k}");
                let a = post(&http, &echo_url, OK, &json!({"path": seg, "line": line})).await;
                let o = a.json()["outcome"].as_str().unwrap_or_default().to_owned();
                if a.status == 200 && o == "committed" {
                    t.committed.push((id, line));
                }
                (a.status, o)
            } else {
                (get(&http, &cat, OK).await.status, String::new())
            };
            let took = started.elapsed();
            *t.status.entry(status).or_default() += 1;
            if status == 429 {
                // Never sent: safe to send again, even a write.
                t.retried_429 += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            assert!(status < 500, "client {id} request {k}: {status} {outcome}");
            if is_echo {
                assert_eq!(outcome, "committed", "client {id} request {k}");
                t.echo.push(took);
            } else {
                t.cat.push(took);
            }
            break;
        }
    }
    t
}

async fn run_clients(
    url: &str,
    clients: usize,
    requests: usize,
    echo_every: usize,
) -> (Tally, Duration) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(one_client(url.to_owned(), id, requests, echo_every)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.unwrap();
        all.cat.extend(t.cat);
        all.echo.extend(t.echo);
        for (s, n) in t.status {
            *all.status.entry(s).or_default() += n;
        }
        all.retried_429 += t.retried_429;
        all.committed.extend(t.committed);
    }
    (all, started.elapsed())
}

fn report(name: &str, t: &Tally, wall: Duration) {
    let mut lat: Vec<Duration> = t.cat.iter().chain(&t.echo).copied().collect();
    lat.sort();
    let mut cat = t.cat.clone();
    cat.sort();
    let mut echo = t.echo.clone();
    echo.sort();
    println!(
        "{name}: {} requests in {:.2} s = {:.0} req/s; p50 {:.3} ms, p99 {:.3} ms \
         (cat p50 {:.3} / p99 {:.3}; echo p50 {:.3} / p99 {:.3}); statuses {:?}; 429 retried {}",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        ms(pct(&lat, 50.0)),
        ms(pct(&lat, 99.0)),
        ms(pct(&cat, 50.0)),
        ms(pct(&cat, 99.0)),
        ms(pct(&echo, 50.0)),
        ms(pct(&echo, 99.0)),
        t.status,
        t.retried_429,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: run with --ignored --nocapture (release recommended)"]
async fn sixty_four_clients_over_a_simulator() {
    let clients = env_usize("COHESIX_LOAD_CLIENTS", 64);
    let requests = env_usize("COHESIX_LOAD_REQUESTS", 500);
    let single = env_usize("COHESIX_LOAD_SINGLE", 2000);

    let depth = env_usize("COHESIX_LOAD_DEPTH", 0);
    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let gw = tcp_gateway(sim.local_addr(), |c| {
        if depth == 0 {
            c
        } else {
            let q = c.queue;
            c.queue(cohesix_gateway::fair::QueueConfig { depth, ..q })
        }
    })
    .await;
    let url = gw.url();
    let http = common::client();
    // One ingest segment per pair of clients (the queen keeps at most 32 devices).
    for d in 0..clients.div_ceil(2) {
        let a = post(
            &http,
            &format!("{url}/v1/fs/echo"),
            OK,
            &json!({"path": format!("/queen/telemetry/load-{d}/ctl"), "line": r#"{"new":"segment","mime":"text/plain"}"#}),
        )
        .await;
        assert_eq!(a.json()["outcome"], "committed", "{}", a.text);
    }
    // Warm-up.
    let _ = run_clients(&url, 4, 50, 0).await;

    // 1 client, CAT only: the gateway's latency and the 1-client throughput.
    let (one, one_wall) = run_clients(&url, 1, single, 0).await;
    report("gateway, 1 client, cat", &one, one_wall);

    // The same CAT on a console directly (its own simulator: one client per queen), same run.
    let direct_sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let creds = Credentials::new(common::CONSOLE_TOKEN, Role::Queen, None).unwrap();
    let console = Console::connect(
        direct_sim.local_addr().to_string(),
        creds,
        ClientConfig::new(),
    )
    .unwrap();
    console.ready().await.unwrap();
    for _ in 0..100 {
        console.cat(CAT_PATH).await.unwrap();
    }
    let mut direct = Vec::with_capacity(single);
    let started = Instant::now();
    for _ in 0..single {
        let t = Instant::now();
        console.cat(CAT_PATH).await.unwrap();
        direct.push(t.elapsed());
    }
    let direct_wall = started.elapsed();
    direct.sort();
    let mut gw_cat = one.cat.clone();
    gw_cat.sort();
    println!(
        "console directly, 1 caller, cat: {} in {:.2} s = {:.0} req/s; p50 {:.3} ms, p99 {:.3} ms",
        single,
        direct_wall.as_secs_f64(),
        single as f64 / direct_wall.as_secs_f64(),
        ms(pct(&direct, 50.0)),
        ms(pct(&direct, 99.0))
    );
    println!(
        "gateway overhead: p50 GET /v1/fs/cat / p50 console CAT = {:.2}",
        pct(&gw_cat, 50.0).as_secs_f64() / pct(&direct, 50.0).as_secs_f64()
    );

    // The console directly with as many concurrent callers (its pipelining ceiling here).
    let started = Instant::now();
    let per = requests / 2;
    let callers: Vec<_> = (0..clients)
        .map(|_| {
            let c = console.clone();
            tokio::spawn(async move {
                for _ in 0..per {
                    c.cat(CAT_PATH).await.unwrap();
                }
            })
        })
        .collect();
    for c in callers {
        c.await.unwrap();
    }
    let wall = started.elapsed();
    println!(
        "console directly, {clients} callers, cat: {} in {:.2} s = {:.0} req/s",
        clients * per,
        wall.as_secs_f64(),
        (clients * per) as f64 / wall.as_secs_f64()
    );

    // 64 clients, CAT only: throughput against the 1-client figure.
    let (many_cat, many_cat_wall) = run_clients(&url, clients, requests / 2, 0).await;
    report(
        &format!("gateway, {clients} clients, cat"),
        &many_cat,
        many_cat_wall,
    );
    println!(
        "throughput {clients} clients / 1 client (cat): {:.2}",
        (many_cat.cat.len() as f64 / many_cat_wall.as_secs_f64())
            / (one.cat.len() as f64 / one_wall.as_secs_f64())
    );

    // The same with 1 ms added to every queen reply (a network round trip, as between a
    // gateway and a remote queen): here pipelining, not CPU, decides the throughput.
    let rtt = std::time::Duration::from_millis(1);
    let far_sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let far = common::proxy::Proxy::spawn_delayed(far_sim.local_addr(), rtt).await;
    let far_gw = tcp_gateway(far.addr(), |c| c).await;
    let _ = run_clients(&far_gw.url(), 2, 20, 0).await;
    let (far_one, far_one_wall) = run_clients(&far_gw.url(), 1, single / 4, 0).await;
    report("gateway +1 ms RTT, 1 client, cat", &far_one, far_one_wall);
    let (far_many, far_many_wall) = run_clients(&far_gw.url(), clients, requests / 5, 0).await;
    report(
        &format!("gateway +1 ms RTT, {clients} clients, cat"),
        &far_many,
        far_many_wall,
    );
    println!(
        "throughput +1 ms RTT, {clients} clients / 1 client (cat): {:.2}",
        (far_many.cat.len() as f64 / far_many_wall.as_secs_f64())
            / (far_one.cat.len() as f64 / far_one_wall.as_secs_f64())
    );
    drop(far_gw);

    // The mix: 80 % CAT, 20 % ECHO.
    let (mix, mix_wall) = run_clients(&url, clients, requests, 5).await;
    report(
        &format!("gateway, {clients} clients x {requests}, 80/20 mix"),
        &mix,
        mix_wall,
    );
    assert!(
        mix.status.keys().all(|s| *s < 500),
        "5xx seen: {:?}",
        mix.status
    );
    assert_eq!(mix.cat.len() + mix.echo.len(), clients * requests);

    // Every committed echo is in the simulator exactly once, and nothing else is.
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for (id, line) in &mix.committed {
        expected.entry(device(*id)).or_default().push(line.clone());
    }
    let mut total = 0;
    for (dev, mut want) in expected {
        let mut got = sim_read(sim.core(), &format!("/queen/telemetry/{dev}/seg/{SEGMENT}"));
        got.sort();
        want.sort();
        assert_eq!(got, want, "device {dev}");
        total += got.len();
    }
    assert_eq!(total, clients * requests / 5);
    println!("echoes accounted for exactly once: {total}");
    let st = gw.gateway().status();
    println!("broker: {:?}", st.broker);
}
