//! Who polls the connection: a caller waiting on its reply drives it itself on the driver's
//! runtime, the driver task does everywhere else, and dropping the driver task still ends
//! the connection.

mod common;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use cohesix_testsupport::fake::{default_handler, FakeQueen, Handler};
use cohesix_tokio::{ClientConfig, ClientError, Console, FnConnector};
use common::queen;

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_secs(5))
        .with_heartbeat(None)
}

/// A connector to `fake` whose queen tasks run on `queen_rt`, not on the console's runtime.
fn connector_on(
    fake: &FakeQueen,
    queen_rt: tokio::runtime::Handle,
) -> FnConnector<impl Fn() -> std::future::Ready<io::Result<tokio::io::DuplexStream>>> {
    let f = fake.clone();
    FnConnector::new("fake queen", move || {
        let _on = queen_rt.enter();
        std::future::ready(Ok::<_, io::Error>(f.connect()))
    })
}

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_waiting_caller_drives_the_connection_while_the_driver_task_cannot_run() {
    let queen_rt = runtime(1);
    let fake = FakeQueen::new("changeme", default_handler());
    let rt = runtime(1);
    let c = rt.block_on(async {
        let c = Console::with_connector(
            connector_on(&fake, queen_rt.handle().clone()),
            queen(),
            config(),
        )
        .unwrap();
        c.ready().await.unwrap();
        c
    });
    // Occupy the runtime's only worker, where the driver task lives.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    rt.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx.recv().unwrap();
    // The request runs on another thread (inside the runtime, as `block_on` does): without
    // driving the connection itself it would wait for the blocked worker forever.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let rt = Arc::new(rt);
    let on = rt.clone();
    let caller = c.clone();
    std::thread::spawn(move || {
        let r = on.block_on(async { caller.cat("/inline").await });
        let _ = done_tx.send(r);
    });
    let r = done_rx.recv_timeout(Duration::from_secs(10));
    release_tx.send(()).unwrap();
    let reply = r.expect("the caller drove its own request").expect("cat");
    assert_eq!(reply.lines, ["/inline"]);
}

#[test]
fn callers_on_another_runtime_are_served_by_the_driver_task() {
    let queen_rt = runtime(1);
    let fake = FakeQueen::new("changeme", default_handler());
    let home = runtime(1);
    let c = home.block_on(async {
        Console::with_connector(
            connector_on(&fake, queen_rt.handle().clone()),
            queen(),
            config(),
        )
        .unwrap()
    });
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    other.block_on(async {
        for i in 0..50 {
            let path = format!("/other/{i}");
            let r = c.cat(&path).await.expect("cat");
            assert_eq!(r.lines, [path.as_str()]);
        }
    });
    // And with no runtime at all on the calling thread.
    let r = std::thread::spawn({
        let c = c.clone();
        move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async { c.ping().await })
        }
    })
    .join()
    .unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        fake.counters
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_future_held_without_polling_does_not_hold_up_other_callers() {
    let fake = FakeQueen::new("changeme", default_handler());
    let f = fake.clone();
    let connector = FnConnector::new("fake queen", move || {
        let s = f.connect();
        async move { Ok::<_, io::Error>(s) }
    });
    let c = Console::with_connector(connector, queen(), config()).unwrap();
    c.ready().await.unwrap();
    // Poll the held request once (it submits and takes the connection's wake-ups), then
    // keep it without polling it again.
    let mut held = Box::pin(c.cat("/held"));
    assert!(futures_poll_once(held.as_mut()).await.is_none());
    // Its reply arrives meanwhile; the wake-up goes to the held future, which nobody polls.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for i in 0..20 {
        let path = format!("/other/{i}");
        let r = tokio::time::timeout(Duration::from_secs(5), c.cat(&path))
            .await
            .expect("served while another request future is held")
            .expect("cat");
        assert_eq!(r.lines, [path.as_str()]);
    }
    // Polled again, the held request still has its own reply.
    let r = held.await.expect("cat");
    assert_eq!(r.lines, ["/held"]);
}

/// Polls `fut` once; its output if it was ready.
async fn futures_poll_once<F: std::future::Future + Unpin>(mut fut: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut fut).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_driver_task_fails_waiting_and_later_requests_as_closed() {
    // A queen that never answers `CAT /never`.
    let silent: Handler = Arc::new(|line: &str| {
        if line.starts_with("CAT /never") {
            Some(Vec::new())
        } else {
            default_handler()(line)
        }
    });
    let fake = FakeQueen::new("changeme", silent);
    let f = fake.clone();
    let connector = FnConnector::new("fake queen", move || {
        let s = f.connect();
        async move { Ok::<_, io::Error>(s) }
    });
    let (c, driver) = Console::new(connector, queen(), config()).unwrap();
    let task = tokio::spawn(driver.run());
    c.ready().await.unwrap();
    let waiting = {
        let c = c.clone();
        tokio::spawn(async move { c.cat("/never").await })
    };
    while c.status().in_flight == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    task.abort();
    let r = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting request ended")
        .unwrap();
    assert!(matches!(r, Err(ClientError::Closed)), "{r:?}");
    let later = tokio::time::timeout(Duration::from_secs(5), c.ping())
        .await
        .expect("a later request ends");
    assert!(matches!(later, Err(ClientError::Closed)), "{later:?}");
}
