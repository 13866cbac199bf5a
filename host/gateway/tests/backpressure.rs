//! 429 under a saturated queue: immediate when the queue is full, after the wait budget
//! otherwise, always with an integer `Retry-After`, and never sent to the queen.

mod common;

use std::time::Duration;

use cohesix_gateway::fair::QueueConfig;
use common::proxy::Proxy;
use common::{client, eventually, get, post, sim_read, simulator, tcp_gateway, OK};
use serde_json::json;

#[tokio::test]
async fn a_saturated_queue_answers_429_and_sends_nothing() {
    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let proxy = Proxy::spawn(sim.local_addr()).await;
    let gw = tcp_gateway(proxy.addr(), |c| {
        c.queue(QueueConfig {
            depth: 1,
            per_principal: 4,
            total: 3,
        })
        .waits(Duration::from_millis(1500), Duration::from_millis(1500))
        .cache(Duration::from_millis(250), 0)
    })
    .await;
    let c = client();
    let u = gw.url();
    let cat = format!("{u}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64");
    assert_eq!(get(&c, &cat, OK).await.status, 200);

    // One request holds the only slot: sent, its reply held back by the proxy.
    proxy.hold(true);
    let held = {
        let (c, cat) = (c.clone(), cat.clone());
        tokio::spawn(async move { get(&c, &cat, OK).await })
    };
    let status = || gw.gateway().status();
    assert!(eventually(Duration::from_secs(5), || status().broker.dispatched == 1).await);
    // Three writes wait for it (the whole queue).
    let mut waiting = Vec::new();
    for i in 0..3 {
        let (c, url) = (c.clone(), format!("{u}/v1/fs/echo"));
        waiting.push(tokio::spawn(async move {
            post(
                &c,
                &url,
                OK,
                &json!({"path": "/log/queen.log", "line": format!("waited-{i}")}),
            )
            .await
        }));
    }
    assert!(
        eventually(Duration::from_secs(5), || status().broker.control_waiters
            == 3)
        .await
    );
    // Queue full: 429 at once.
    let full = post(
        &c,
        &format!("{u}/v1/fs/echo"),
        OK,
        &json!({"path": "/log/queen.log", "line": "refused-at-the-door"}),
    )
    .await;
    assert_eq!(full.status, 429, "{}", full.text);
    let ra: u64 = full.header("retry-after").unwrap().parse().unwrap();
    assert!(ra >= 1);
    assert!(
        full.error().contains("gateway backpressure"),
        "{}",
        full.text
    );
    assert_eq!(full.json()["outcome"], "not_sent");
    // The waiters' budget passes: 429 each, also with Retry-After.
    for w in waiting {
        let a = w.await.unwrap();
        assert_eq!(a.status, 429, "{}", a.text);
        assert!(a.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        assert!(a.error().contains("gateway backpressure"));
    }
    proxy.hold(false);
    assert_eq!(held.await.unwrap().status, 200);
    // Everything drained; none of the refused writes reached the queen.
    assert_eq!(get(&c, &cat, OK).await.status, 200);
    let log = sim_read(sim.core(), "/log/queen.log");
    assert!(
        !log.iter()
            .any(|l| l.contains("waited-") || l.contains("refused-at-the-door")),
        "{log:?}"
    );
    let b = status().broker;
    assert_eq!((b.pool_exhausted, b.timeout_rejections), (1, 3), "{b:?}");
    assert_eq!((b.queue_depth, b.dispatched), (0, 0));
    let m = get(&c, &format!("{u}/metrics"), OK).await.text;
    assert!(
        m.contains(r#"hive_gateway_rejected_total{reason="queue_full"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"hive_gateway_rejected_total{reason="wait_budget"} 3"#),
        "{m}"
    );
    assert!(
        m.contains(r#"hive_gateway_echo_total{outcome="not_sent"} 4"#),
        "{m}"
    );
}
