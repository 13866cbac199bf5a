//! Graceful shutdown: after the signal no new connection is accepted, and the requests in
//! flight finish with their real answers.

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::{client, eventually, get, simulator, tcp_gateway, OK};

#[tokio::test]
async fn in_flight_requests_finish_after_the_signal() {
    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let proxy = Proxy::spawn(sim.local_addr()).await;
    let gw = tcp_gateway(proxy.addr(), |c| c.cache(Duration::from_millis(250), 0)).await;
    let addr = gw.local_addr();
    let c = client();
    let cat = format!(
        "{}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64",
        gw.url()
    );
    assert_eq!(get(&c, &cat, OK).await.status, 200);

    proxy.hold(true);
    let in_flight = {
        let (c, cat) = (c.clone(), cat.clone());
        tokio::spawn(async move { get(&c, &cat, OK).await })
    };
    let g = gw.gateway().clone();
    assert!(eventually(Duration::from_secs(5), || g.status().broker.dispatched == 1).await);
    let stopping = tokio::spawn(gw.shutdown());
    // The listener closes: new connections are refused.
    let refused = eventually(Duration::from_secs(5), || {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err()
    })
    .await;
    assert!(refused, "still accepting after the shutdown signal");
    assert!(
        !stopping.is_finished(),
        "stopped before the request in flight finished"
    );
    proxy.hold(false);
    let a = in_flight.await.unwrap();
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["lines"][0], "state=ONLINE");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("drained")
        .unwrap()
        .unwrap();
}
