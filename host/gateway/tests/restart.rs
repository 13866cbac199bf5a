//! The gateway survives a queen restart: an ECHO in flight when the connection drops is
//! reported unknown (502) and never re-sent; reads succeed once the console reconnected.

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::{client, eventually, get, post, sim_read, simulator, tcp_gateway, OK};
use serde_json::json;

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.as_str() == needle).count()
}

#[tokio::test]
async fn restart_mid_write() {
    let first = simulator("127.0.0.1:0".parse().unwrap()).await;
    let addr = first.local_addr();
    let core_a = first.core().clone();
    let proxy = Proxy::spawn(addr).await;
    let gw = tcp_gateway(proxy.addr(), |c| c).await;
    let c = client();
    let u = gw.url();
    let cat = format!("{u}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64");
    assert_eq!(get(&c, &cat, OK).await.status, 200);

    // The write reaches the queen; its ack never comes back.
    proxy.hold(true);
    let write = {
        let (c, url) = (c.clone(), format!("{u}/v1/fs/echo"));
        tokio::spawn(async move {
            post(
                &c,
                &url,
                OK,
                &json!({"path": "/log/queen.log", "line": "in-flight-1"}),
            )
            .await
        })
    };
    assert!(
        eventually(Duration::from_secs(5), || {
            count(&sim_read(&core_a, "/log/queen.log"), "in-flight-1") == 1
        })
        .await,
        "the write never reached the queen"
    );
    // The queen restarts: every connection drops, a fresh queen listens on the same port.
    proxy.cut();
    first.shutdown().await;
    let second = simulator(addr).await;
    proxy.hold(false);

    let a = write.await.unwrap();
    assert_eq!(a.status, 502, "{}", a.text);
    assert_eq!(a.json()["outcome"], "unknown");
    assert!(a.error().starts_with("outcome unknown"), "{}", a.text);

    // Reads work again after the reconnect.
    let mut ok = false;
    for _ in 0..50 {
        if get(&c, &cat, OK).await.status == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "reads never recovered");
    let st = get(&c, &format!("{u}/v1/meta/status"), OK).await.json();
    assert_eq!(st["connected"], true);
    assert!(st["reconnects"].as_u64().unwrap() >= 1, "{st}");
    // Nothing duplicated: applied once by the first queen, never re-sent to the second.
    assert_eq!(
        count(&sim_read(&core_a, "/log/queen.log"), "in-flight-1"),
        1
    );
    assert_eq!(
        count(&sim_read(second.core(), "/log/queen.log"), "in-flight-1"),
        0
    );
    // Writes work too.
    let a = post(
        &c,
        &format!("{u}/v1/fs/echo"),
        OK,
        &json!({"path": "/log/queen.log", "line": "after-restart"}),
    )
    .await;
    assert_eq!(a.json()["outcome"], "committed", "{}", a.text);
    assert_eq!(
        count(&sim_read(second.core(), "/log/queen.log"), "after-restart"),
        1
    );
    let m = get(&c, &format!("{u}/metrics"), OK).await.text;
    assert!(
        m.contains(r#"hive_gateway_echo_total{outcome="unknown"} 1"#),
        "{m}"
    );
    assert!(
        !m.contains("hive_gateway_console_reconnects_total 0"),
        "{m}"
    );
}

/// A queen down for longer than the console's retries: 503 meanwhile (not sent), and the
/// next request after it is back reconnects.
#[tokio::test]
async fn a_long_outage_is_503_then_recovers() {
    let first = simulator("127.0.0.1:0".parse().unwrap()).await;
    let addr = first.local_addr();
    let gw = tcp_gateway(addr, |c| c).await;
    let c = client();
    // Not under /proc: the cache must not answer for the queen.
    let cat = format!("{}/v1/fs/cat?path=/gpu/GPU-0/info&max_bytes=4096", gw.url());
    assert_eq!(get(&c, &cat, OK).await.status, 200);
    first.shutdown().await;
    let a = get(&c, &cat, OK).await;
    assert_eq!(a.status, 503, "{}", a.text);
    assert!(a.error().starts_with("console unavailable: "), "{}", a.text);
    let a = post(
        &c,
        &format!("{}/v1/fs/echo", gw.url()),
        OK,
        &json!({"path": "/log/queen.log", "line": "while-down"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["outcome"].as_str()),
        (503, Some("not_sent")),
        "{}",
        a.text
    );
    let second = simulator(addr).await;
    let a = get(&c, &cat, OK).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        count(&sim_read(second.core(), "/log/queen.log"), "while-down"),
        0
    );
    assert!(gw.gateway().status().reconnects >= 1);
}
