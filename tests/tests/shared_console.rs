//! The shared console handle against the simulator, over TCP and in process: many tasks on
//! one handle, every reply to its own caller; a queen killed mid-run.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohesix::backend::{MockBackend, MockOptions};
use cohesix_sim::{AuthToken, SimConfig, Simulator};
use cohesix_tokio::{ClientConfig, ClientError, Console, Credentials, RetryPolicy, Role};

const TASKS: usize = 64;
const REQUESTS: usize = 10_000;

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_secs(10))
        .with_request_timeout(Duration::from_secs(60))
        .with_heartbeat(None)
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(5)
                .with_backoff(Duration::from_millis(20))
                .with_ceiling(Duration::from_millis(200)),
        )
}

/// 64 tasks share one handle and send 10,000 requests: each task writes a unique line and
/// reads back a node whose answer it can check; every reply reaches its own caller, none
/// is lost or duplicated.
async fn many_callers(console: Console) {
    let per_task = REQUESTS / TASKS;
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let c = console.clone();
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                if i % 4 == 0 {
                    // A write whose ack echoes its own length: 'm<t>-<i>'.
                    let payload = format!("m{t}-{i}");
                    let r = c.echo("/log/queen.log", &payload).await.expect("echo");
                    assert_eq!(
                        r.ack.field("bytes"),
                        Some(payload.len().to_string().as_str())
                    );
                    assert!(seen.lock().unwrap().insert(payload), "duplicate ack");
                } else {
                    let path = if i % 2 == 0 {
                        "/proc/lifecycle/state"
                    } else {
                        "/gpu"
                    };
                    let r = c.cat_or_ls(path).await;
                    assert_eq!(r.ack.field("path"), Some(path));
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(seen.lock().unwrap().len(), TASKS * per_task.div_ceil(4));
}

trait CatOrLs {
    async fn cat_or_ls(&self, path: &str) -> cohesix_tokio::Reply;
}

impl CatOrLs for Console {
    async fn cat_or_ls(&self, path: &str) -> cohesix_tokio::Reply {
        if path == "/gpu" {
            let r = self.ls(path).await.expect("ls");
            assert!(r.lines.iter().any(|l| l == "GPU-0"));
            r
        } else {
            let r = self.cat(path).await.expect("cat");
            assert_eq!(r.lines, ["state=ONLINE"]);
            r
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_from_64_tasks_over_tcp() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new("shared-token");
    let sim = Simulator::spawn(cfg).await.unwrap();
    let console = Console::connect(
        sim.local_addr().to_string(),
        Credentials::new("shared-token", Role::Queen, None).unwrap(),
        config(),
    )
    .unwrap();
    many_callers(console.clone()).await;
    assert_eq!(console.status().connects, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_from_64_tasks_in_process() {
    let mock = MockBackend::new(&MockOptions::new().root(None)).unwrap();
    many_callers(mock.console().clone()).await;
    assert_eq!(mock.console().status().connects, 1);
}

/// The queen dies mid-run and comes back on the same port: reads complete after the
/// reconnect; every write is reported committed or unknown, and the simulator's log holds
/// exactly the committed ones plus at most the unknown ones — nothing re-sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queen_killed_mid_run_leaves_an_exact_account() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new("restart-token");
    let sim = Simulator::spawn(cfg.clone()).await.unwrap();
    let addr = sim.local_addr();
    let console = Console::connect(
        addr.to_string(),
        Credentials::new("restart-token", Role::Queen, None).unwrap(),
        config(),
    )
    .unwrap();
    console.ready().await.unwrap();
    let writer = {
        let c = console.clone();
        tokio::spawn(async move {
            let mut committed = Vec::new();
            let mut unknown = Vec::new();
            for i in 0..400 {
                let line = format!("w{i}");
                match c.echo("/log/queen.log", &line).await {
                    Ok(_) => committed.push(line),
                    Err(ClientError::OutcomeUnknown { .. }) => unknown.push(line),
                    Err(e) => panic!("write {i}: {e}"),
                }
            }
            (committed, unknown)
        })
    };
    let reader = {
        let c = console.clone();
        tokio::spawn(async move {
            for _ in 0..400 {
                let r = c.cat("/proc/lifecycle/state").await.expect("reads survive");
                assert_eq!(r.lines, ["state=ONLINE"]);
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    // Kill the queen; a new one (fresh namespace) takes the same port. Its state stays
    // readable after the kill.
    let first = sim.console();
    sim.shutdown().await;
    let first_log = first
        .lock()
        .unwrap()
        .namespace()
        .read("/log/queen.log", 0)
        .unwrap();
    cfg.bind = addr;
    let sim2 = loop {
        match Simulator::spawn(cfg.clone()).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    };
    reader.await.unwrap();
    let (committed, unknown) = writer.await.unwrap();
    assert!(console.status().reconnects >= 1);
    let second_log = {
        let c = sim2.console();
        let g = c.lock().unwrap();
        g.namespace().read("/log/queen.log", 0).unwrap()
    };
    let logged: Vec<&String> = first_log
        .iter()
        .chain(second_log.iter())
        .filter(|l| l.starts_with('w'))
        .collect();
    for line in &committed {
        assert_eq!(
            logged.iter().filter(|l| **l == line).count(),
            1,
            "committed {line} must be logged exactly once"
        );
    }
    for line in &unknown {
        assert!(
            logged.iter().filter(|l| **l == line).count() <= 1,
            "{line} re-sent"
        );
    }
    assert_eq!(committed.len() + unknown.len(), 400);
    sim2.shutdown().await;
}

/// Host names resolve on every connect (`Console::connect("localhost:PORT")`).
#[tokio::test]
async fn host_names_resolve() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new("name-token");
    let sim = Simulator::spawn(cfg).await.unwrap();
    let console = Console::connect(
        format!("localhost:{}", sim.local_addr().port()),
        Credentials::new("name-token", Role::Queen, None).unwrap(),
        config(),
    )
    .unwrap();
    assert_eq!(
        console.transport(),
        format!("tcp://localhost:{}", sim.local_addr().port())
    );
    console.ping().await.unwrap();
    sim.shutdown().await;
}
