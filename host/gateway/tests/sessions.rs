//! `--sessions N`: requests go to attached sessions; a queen that accepts one client still
//! serves every request through the session it accepted.

mod common;

use std::time::Duration;

use common::{client, eventually, get, simulator, tcp_gateway, OK};

#[tokio::test]
async fn extra_sessions_are_optional() {
    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let gw = tcp_gateway(sim.local_addr(), |c| c.sessions(2)).await;
    let g = gw.gateway().clone();
    assert!(eventually(Duration::from_secs(5), || g.status().connects >= 1).await);
    let c = client();
    let cat = format!(
        "{}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64",
        gw.url()
    );
    for _ in 0..20 {
        let a = get(&c, &cat, OK).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let st = g.status();
    assert_eq!(st.sessions, 2);
    // The simulator turns the second client away: not every session is attached.
    assert!(!st.connected);
    assert_eq!(st.connects, 1, "{st:?}");
}
