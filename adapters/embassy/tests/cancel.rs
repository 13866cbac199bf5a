//! Cancel safety and deadlines of the async client: dropping a call mid-frame loses nothing.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Server, ServerConfig, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, Outcome, Session, SessionError};
use cohesix_embassy::{Buffers, Client, Error, Reply};
use embassy_futures::block_on;
use embassy_futures::select::{select, Either};
use embassy_time::{Duration, Instant};
use support::MemIo;

fn session() -> Session {
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    Session::new(Config::new(), creds).unwrap()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// Completes after being polled `n` times.
fn after_polls(mut n: u32) -> impl Future<Output = ()> {
    std::future::poll_fn(move |cx| {
        if n == 0 {
            return Poll::Ready(());
        }
        n -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

#[test]
fn cancelled_requests_lose_nothing() {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    // One byte per read: every cancellation point is mid-frame.
    let mut io = MemIo::new(server.clone(), 1);
    io.yielding = true;
    let mut client = Client::new(io, session(), &mut buffers);
    block_on(async {
        assert_eq!(client.connect(deadline()).await, Ok(Role::Queen));
        let mut cancelled = 0;
        for polls in 1..200 {
            let outcome = {
                let req = Request::cat("/proc/lifecycle/state").unwrap();
                let call = pin!(client.request(&req, deadline(), |_| {}));
                match select(call, after_polls(polls)).await {
                    Either::First(r) => Some(r),
                    Either::Second(()) => None,
                }
            };
            match outcome {
                Some(r) => assert_eq!(r, Ok(Reply::Ok { lines: 1 })),
                None => {
                    cancelled += 1;
                    // The cancelled request still completes, intact, on the next drive.
                    let done = client
                        .drive(deadline(), |ev| match ev {
                            Event::Completed(c) => {
                                ControlFlow::Break((c.outcome == Outcome::Ok, c.lines))
                            }
                            _ => ControlFlow::Continue(()),
                        })
                        .await;
                    assert_eq!(done, Ok((true, 1)), "after cancelling at poll {polls}");
                }
            }
        }
        assert!(
            cancelled > 10,
            "the test must really cancel mid-flight ({cancelled})"
        );
        // The stream is still in sync.
        assert!(matches!(
            client.ping(deadline()).await,
            Ok(Reply::Ok { .. })
        ));
    });
}

#[test]
fn caller_deadline_leaves_the_session_usable() {
    let mut cfg = ServerConfig::new();
    let server = Rc::new(RefCell::new(Server::new(cfg)));
    let mut buffers: Buffers = Buffers::new();
    let mut client = Client::new(MemIo::new(server.clone(), 4096), session(), &mut buffers);
    block_on(async {
        client.connect(deadline()).await.unwrap();
        cfg.mute = true;
        *server.borrow_mut().config_mut() = cfg;
        let soon = Instant::now() + Duration::from_millis(30);
        assert_eq!(client.ping(soon).await, Err(Error::Deadline));
        // Still attached: the core has not given up (its own op timeout is longer).
        assert_eq!(
            client.session().state(),
            cohesix_core::session::State::Ready
        );
    });
}

#[test]
fn peer_close_is_reported_and_restart_reattaches() {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let mut client = Client::new(MemIo::new(server.clone(), 4096), session(), &mut buffers);
    block_on(async {
        client.connect(deadline()).await.unwrap();
        server.borrow_mut().disconnect();
        let r = client.ping(deadline()).await;
        assert_eq!(
            r,
            Ok(Reply::Interrupted { sent: true }),
            "PING is retry-safe"
        );
        let closed = client
            .drive(deadline(), |_| ControlFlow::<()>::Continue(()))
            .await;
        assert_eq!(closed, Err(Error::Closed(Some(SessionError::PeerClosed))));
        assert!(closed.unwrap_err().needs_reconnect());
        server.borrow_mut().reconnect();
        client.restart().unwrap();
        assert_eq!(client.connect(deadline()).await, Ok(Role::Queen));
        assert!(matches!(
            client.ping(deadline()).await,
            Ok(Reply::Ok { .. })
        ));
    });
}

#[test]
fn blocking_poll_is_non_blocking() {
    use cohesix_embassy::BlockingClient;
    use support::MemIoBlocking;

    let mut cfg = ServerConfig::new();
    let server = Rc::new(RefCell::new(Server::new(cfg)));
    let mut buffers: Buffers = Buffers::new();
    let io = MemIoBlocking(MemIo::new(server.clone(), 4096));
    let clock = || Instant::now().as_millis();
    let mut client = BlockingClient::new(io, clock, session(), &mut buffers);
    let end = Instant::now().as_millis() + 5_000;
    assert_eq!(client.connect(end), Ok(Role::Queen));
    cfg.mute = true;
    *server.borrow_mut().config_mut() = cfg;
    client.send(&Request::Ping).unwrap();
    let mut seen = 0;
    let mut f = |_: Event<'_>| -> ControlFlow<()> {
        seen += 1;
        ControlFlow::Continue(())
    };
    // Nothing arrives: every poll returns at once with WouldBlock.
    for _ in 0..100 {
        assert!(matches!(client.poll(&mut f), Err(nb::Error::WouldBlock)));
    }
    assert_eq!(seen, 0);
    assert_eq!(
        server.borrow().frames_received(),
        3,
        "AUTH, ATTACH, PING written once"
    );
}

#[test]
fn future_sizes_stay_small() {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let mut client = Client::new(MemIo::new(server, 4096), session(), &mut buffers);
    let req = Request::Ping;
    let fut = client.request(&req, deadline(), |_| {});
    // The buffers live outside the future; only cursors and timers are inside.
    let size = std::mem::size_of_val(&fut);
    eprintln!("request future: {size} bytes");
    assert!(size <= 512, "{size}");
}
