//! Shared conformance scenario: the same requests against the same queen model must give the
//! same event transcript whether the core session is driven by the core's own in-memory
//! `Pair` harness (the reference), by the async embassy client, or by the blocking client.
//!
//! The scenario is [`SCENARIO`]; the reference transcript is computed, not hand-written, so
//! any adapter (the tokio one included: run the same steps over `tokio::io::duplex` wired to
//! `testkit::Server`) can be checked against `reference_transcript()`.

mod support;

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, Session};
use cohesix_embassy::{BlockingClient, Buffers, Client};
use embassy_futures::block_on;
use embassy_time::{Duration, Instant};
use support::{MemIo, MemIoBlocking};

/// One scenario step: a request (or QUIT when `None`).
type Step = Option<Request<'static>>;

fn scenario() -> Vec<Step> {
    vec![
        Some(Request::ls("/").unwrap()),
        Some(Request::cat("/proc/lifecycle/state").unwrap()),
        Some(Request::echo("/log/queen.log", "conformance-1").unwrap()),
        Some(Request::tail("/log/queen.log").unwrap()),
        Some(Request::Ping),
        Some(Request::cat("/gpu/GPU-0/info").unwrap()),
        Some(Request::cat("/does/not/exist").unwrap()),
        None,
    ]
}

/// The scenario, as the constant its name promises (for documentation links).
pub const SCENARIO: &str =
    "ls / ; cat /proc/lifecycle/state ; echo conformance-1 > /log/queen.log ; \
tail /log/queen.log ; ping ; cat /gpu/GPU-0/info ; cat /does/not/exist ; quit";

fn session() -> Session {
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    Session::new(Config::new(), creds).unwrap()
}

fn record(out: &mut Vec<String>, ev: &Event<'_>) {
    out.push(format!("{ev:?}"));
}

fn reference_transcript() -> Vec<String> {
    let mut pair = Pair::new(session(), Server::new(ServerConfig::new()));
    let mut out = Vec::new();
    pair.drive(&mut |ev| record(&mut out, &ev));
    for step in scenario() {
        match step {
            Some(req) => {
                pair.client.send(&req).unwrap();
            }
            None => pair.client.quit().unwrap(),
        }
        pair.drive(&mut |ev| record(&mut out, &ev));
    }
    out
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

fn async_transcript(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let mut client = Client::new(MemIo::new(server, chunk), session(), &mut buffers);
    let mut out = Vec::new();
    block_on(async {
        let attached = client
            .drive(deadline(), |ev| {
                record(&mut out, &ev);
                match ev {
                    Event::Attached { .. } => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            })
            .await;
        assert_eq!(attached, Ok(()));
        for step in scenario() {
            let target = match step {
                Some(req) => Some(client.send(&req).unwrap()),
                None => {
                    client.queue_quit().unwrap();
                    None
                }
            };
            let done = client
                .drive(deadline(), |ev| {
                    record(&mut out, &ev);
                    match (&ev, target) {
                        (Event::Completed(c), Some(id)) if c.id == id => ControlFlow::Break(()),
                        (Event::Closed { .. }, None) => ControlFlow::Break(()),
                        _ => ControlFlow::Continue(()),
                    }
                })
                .await;
            assert_eq!(done, Ok(()));
        }
    });
    out
}

fn blocking_transcript(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let io = MemIoBlocking(MemIo::new(server, chunk));
    let clock = || Instant::now().as_millis();
    let mut client = BlockingClient::new(io, clock, session(), &mut buffers);
    let mut out = Vec::new();
    let end = || Instant::now().as_millis() + 5_000;
    let attached = client.run_until(end(), |ev| {
        record(&mut out, &ev);
        match ev {
            Event::Attached { .. } => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    assert_eq!(attached, Ok(()));
    for step in scenario() {
        let target = match step {
            Some(req) => Some(client.send(&req).unwrap()),
            None => {
                client.queue_quit().unwrap();
                None
            }
        };
        let done = client.run_until(end(), |ev| {
            record(&mut out, &ev);
            match (&ev, target) {
                (Event::Completed(c), Some(id)) if c.id == id => ControlFlow::Break(()),
                (Event::Closed { .. }, None) => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        });
        assert_eq!(done, Ok(()));
    }
    out
}

#[test]
fn reference_transcript_is_complete() {
    let t = reference_transcript();
    assert_eq!(t.first().map(String::as_str), Some("Authenticated"));
    assert!(
        t.last().unwrap().starts_with("Closed { error: None"),
        "{t:#?}"
    );
    assert!(t.iter().any(|l| l.contains("invalid-path")), "{t:#?}");
    assert!(t.iter().any(|l| l.contains("conformance-1")), "{t:#?}");
}

#[test]
fn async_client_matches_reference() {
    let reference = reference_transcript();
    for chunk in [1, 3, 7, 64, 4096] {
        assert_eq!(async_transcript(chunk), reference, "read chunk {chunk}");
    }
}

#[test]
fn blocking_client_matches_reference() {
    let reference = reference_transcript();
    for chunk in [1, 5, 4096] {
        assert_eq!(blocking_transcript(chunk), reference, "read chunk {chunk}");
    }
}
