//! Shared conformance scenario: the same requests against the same queen model must give the
//! same event transcript whether the core session is driven by the core's own in-memory
//! `Pair` harness (the reference), by the async embassy client, or by the blocking client.
//!
//! Both clients run the scenario twice: with the default `Session` and with the core's
//! `MinimalSession` (`Session<1, 2, 6>`, `max_in_flight == 1`, the MCU configuration); the
//! scenario keeps one request in flight, so both must produce the reference transcript.
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
use cohesix_core::session::testkit::{conformance, Server, ServerConfig, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, MinimalSession, Session};
use cohesix_embassy::{BlockingClient, Buffers, Client, MinimalBlockingClient, MinimalClient};
use embassy_futures::block_on;
use embassy_time::{Duration, Instant};
use support::{MemIo, MemIoBlocking};

/// One scenario step: a request (or QUIT when `None`).
type Step = Option<Request<'static>>;

fn scenario() -> Vec<Step> {
    // The shared scenario lives in the core test kit (the tokio adapter runs it too).
    conformance::SCENARIO
        .iter()
        .map(conformance::ScenarioStep::request)
        .collect()
}

/// The scenario, as the constant its name promises (for documentation links).
pub const SCENARIO: &str = conformance::SCENARIO_TEXT;

fn creds() -> Credentials {
    Credentials::new(TOKEN, Role::Queen, None).unwrap()
}

fn session() -> Session {
    Session::new(Config::new(), creds()).unwrap()
}

fn minimal_session() -> MinimalSession {
    MinimalSession::new_with_queue(Config::new().with_max_in_flight(1), creds()).unwrap()
}

fn record(out: &mut Vec<String>, ev: &Event<'_>) {
    out.push(format!("{ev:?}"));
}

fn reference_transcript() -> Vec<String> {
    let mut out = Vec::new();
    conformance::reference_transcript(&mut |ev| record(&mut out, &ev)).unwrap();
    out
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

fn async_transcript(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let client = Client::new(MemIo::new(server, chunk), session(), &mut buffers);
    run_async(client)
}

fn async_transcript_minimal(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    // The alias must name exactly the client a `MinimalSession` gives.
    let client: MinimalClient<'_, MemIo> =
        Client::new(MemIo::new(server, chunk), minimal_session(), &mut buffers);
    run_async(client)
}

fn run_async<const Q: usize, const W: usize, const E: usize>(
    mut client: Client<'_, MemIo, { cohesix_embassy::DEFAULT_RX_LEN }, Q, W, E>,
) -> Vec<String> {
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

fn clock() -> u64 {
    Instant::now().as_millis()
}

fn blocking_transcript(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let io = MemIoBlocking(MemIo::new(server, chunk));
    let client = BlockingClient::new(io, clock as fn() -> u64, session(), &mut buffers);
    run_blocking(client)
}

fn blocking_transcript_minimal(chunk: usize) -> Vec<String> {
    let server = Rc::new(RefCell::new(Server::new(ServerConfig::new())));
    let mut buffers: Buffers = Buffers::new();
    let io = MemIoBlocking(MemIo::new(server, chunk));
    let client: MinimalBlockingClient<'_, MemIoBlocking, fn() -> u64> =
        BlockingClient::new(io, clock as fn() -> u64, minimal_session(), &mut buffers);
    run_blocking(client)
}

fn run_blocking<const Q: usize, const W: usize, const E: usize>(
    mut client: BlockingClient<
        '_,
        MemIoBlocking,
        fn() -> u64,
        { cohesix_embassy::DEFAULT_RX_LEN },
        Q,
        W,
        E,
    >,
) -> Vec<String> {
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

#[test]
fn minimal_session_async_client_matches_reference() {
    let reference = reference_transcript();
    for chunk in [1, 3, 7, 64, 4096] {
        assert_eq!(
            async_transcript_minimal(chunk),
            reference,
            "MinimalSession, read chunk {chunk}"
        );
    }
}

#[test]
fn minimal_session_blocking_client_matches_reference() {
    let reference = reference_transcript();
    for chunk in [1, 5, 4096] {
        assert_eq!(
            blocking_transcript_minimal(chunk),
            reference,
            "MinimalSession, read chunk {chunk}"
        );
    }
}

#[test]
fn minimal_client_is_smaller() {
    // What the generic buys an MCU: the minimal client is a fraction of the default one.
    let default = core::mem::size_of::<Client<'static, MemIo>>();
    let minimal = core::mem::size_of::<MinimalClient<'static, MemIo>>();
    println!("size_of: minimal {minimal} B, default {default} B");
    assert!(
        minimal * 3 < default,
        "minimal {minimal} B vs default {default} B"
    );
}
