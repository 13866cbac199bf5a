//! Flow control and time: pipelining bounds, deadlines from `handle_timeout`, heartbeats,
//! outcomes of requests cut off by a close.

mod support;

use cohesix_core::request::Request;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig};
use cohesix_core::session::{
    Config, Outcome, RequestId, SessionError, MAX_QUEUED, TRANSMIT_BUF_LEN,
};
use support::{advance, attached, drive, events, queen};

fn pipelined(max: u8) -> Pair {
    let mut p = Pair::new(
        queen(Config::new().with_max_in_flight(max)),
        Server::new(ServerConfig::new()),
    );
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen"
        ]
    );
    p
}

/// Writes everything the client may send now, without delivering replies. Returns frames.
fn flush(p: &mut Pair) -> usize {
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let mut n = 0;
    while let Some(len) = p.client.poll_transmit(p.now, &mut tx) {
        p.server.handle_input(p.now, &tx[..len]);
        n += 1;
    }
    n
}

#[test]
fn pipelining_of_eight_ninth_waits() {
    let mut p = pipelined(8);
    let ids: Vec<RequestId> = (0..9)
        .map(|i| {
            let path = if i % 2 == 0 { "/" } else { "/log" };
            p.client.send(&Request::ls(path).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(flush(&mut p), 8);
    assert_eq!(p.client.in_flight(), 8);
    assert_eq!(p.client.queued(), 1);
    assert_eq!(p.server.frames_received(), 2 + 8);
    let log = drive(&mut p);
    assert_eq!(p.server.frames_received(), 2 + 9);
    let done: Vec<String> = log.into_iter().filter(|l| l.starts_with("done")).collect();
    let want: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("done {id} LS ok lines={}", if i % 2 == 0 { 3 } else { 1 }))
        .collect();
    assert_eq!(done, want);
}

#[test]
fn default_is_one_request_in_flight() {
    let mut p = attached(ServerConfig::new());
    p.client.send(&Request::Ping).unwrap();
    p.client.send(&Request::Ping).unwrap();
    assert_eq!(flush(&mut p), 1);
    assert_eq!(p.client.in_flight(), 1);
    assert_eq!(p.client.queued(), 1);
    let log = drive(&mut p);
    assert_eq!(log.iter().filter(|l| l.starts_with("done")).count(), 2);
}

#[test]
fn fences_count_against_the_window() {
    let mut p = pipelined(3);
    p.client.send(&Request::Help).unwrap();
    p.client.send(&Request::Help).unwrap();
    // HELP + fence = 2 frames; the second HELP needs 2 more and waits.
    assert_eq!(flush(&mut p), 2);
    assert_eq!(p.client.in_flight(), 2);
    assert_eq!(p.client.queued(), 1);
    let log = drive(&mut p);
    assert!(
        log.contains(&"done #0 HELP ok lines=4".to_string()),
        "{log:?}"
    );
    assert!(
        log.contains(&"done #1 HELP ok lines=4".to_string()),
        "{log:?}"
    );
}

#[test]
fn requests_before_attach_are_held() {
    let mut p = Pair::new(queen(Config::new()), Server::new(ServerConfig::new()));
    p.client.send(&Request::ls("/log").unwrap()).unwrap();
    assert_eq!(flush(&mut p), 1); // AUTH only
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen",
            "ack #0 LS: OK LS path=/log entries=1",
            "data #0: queen.log",
            "done #0 LS ok lines=1",
        ]
    );
}

#[test]
fn queue_full_and_reserved_verbs() {
    let mut p = attached(ServerConfig::new());
    for _ in 0..MAX_QUEUED {
        p.client.send(&Request::Ping).unwrap();
    }
    assert_eq!(
        p.client.send(&Request::Ping).unwrap_err(),
        SessionError::QueueFull
    );
    for r in [
        Request::Quit,
        Request::auth("changeme").unwrap(),
        Request::attach(cohesix_core::role::Role::Queen, None).unwrap(),
    ] {
        assert_eq!(p.client.send(&r).unwrap_err(), SessionError::ReservedVerb);
    }
    assert!(matches!(
        p.client
            .send(&Request::Ls { path: "relative" })
            .unwrap_err(),
        SessionError::Request(_)
    ));
    assert_eq!(
        drive(&mut p)
            .iter()
            .filter(|l| l.ends_with("PING ok lines=0"))
            .count(),
        MAX_QUEUED
    );
}

#[test]
fn op_timeout_fires_from_handle_timeout_and_kills_the_connection() {
    let mut p = pipelined(4);
    p.server.config_mut().mute = true;
    p.now = 1000;
    p.client.send(&Request::ls("/").unwrap()).unwrap();
    p.client
        .send(&Request::echo("/log/queen.log", "x").unwrap())
        .unwrap();
    p.client
        .send(&Request::cat("/proc/lifecycle/state").unwrap())
        .unwrap();
    assert!(drive(&mut p).is_empty());
    assert_eq!(p.client.poll_timeout(), Some(1000 + 5000));
    assert!(advance(&mut p, 4999).is_empty());
    assert_eq!(
        advance(&mut p, 1),
        [
            "done #0 LS timed-out lines=0",
            "done #1 ECHO unknown lines=0",
            "done #2 CAT interrupted(sent=true) lines=0",
            "closed Some(TimedOut)",
        ]
    );
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn progress_pushes_the_deadline() {
    let mut s = queen(Config::new().with_op_timeout_ms(100));
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    assert!(s.poll_transmit(0, &mut tx).is_some());
    assert_eq!(s.poll_timeout(), Some(100));
    s.handle_timeout(99);
    assert!(events(&mut s).is_empty());
    let mut f = [0u8; 32];
    let n = cohesix_core::frame::encode_frame(b"OK AUTH", &mut f).unwrap();
    assert_eq!(s.handle_input(50, &f[..n]), n);
    assert_eq!(events(&mut s), ["authenticated"]);
    assert!(s.poll_transmit(60, &mut tx).is_some());
    assert_eq!(s.poll_timeout(), Some(160));
    s.handle_timeout(159);
    assert!(events(&mut s).is_empty());
    s.handle_timeout(160);
    assert_eq!(events(&mut s), ["closed Some(TimedOut)"]);
}

#[test]
fn close_reports_writes_as_unknown_and_unsent_as_retryable() {
    let mut p = pipelined(2);
    p.server.config_mut().mute = true;
    let echo = p
        .client
        .send(&Request::echo("/queen/ctl", "{}").unwrap())
        .unwrap();
    let ls = p.client.send(&Request::ls("/").unwrap()).unwrap();
    let tail = p
        .client
        .send(&Request::tail("/log/queen.log").unwrap())
        .unwrap();
    assert_eq!(flush(&mut p), 2);
    p.client.handle_close();
    let mut outcomes = Vec::new();
    while let Some(e) = p.client.poll_event() {
        match e {
            cohesix_core::session::Event::Completed(c) => {
                outcomes.push((c.id, c.outcome.is_retry_safe(), format!("{:?}", c.outcome)))
            }
            cohesix_core::session::Event::Closed { error } => {
                assert_eq!(error, Some(SessionError::PeerClosed))
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        outcomes,
        [
            (echo, false, "Unknown".to_string()),
            (ls, true, "Interrupted { sent: true }".to_string()),
            (tail, true, "Interrupted { sent: false }".to_string()),
        ]
    );
    assert!(!Outcome::Unknown.is_retry_safe());
}

#[test]
fn spawn_acked_before_close_is_ok() {
    let mut s = queen(Config::new());
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let feed = |s: &mut cohesix_core::session::Session, l: &str| {
        let mut f = [0u8; 64];
        let n = cohesix_core::frame::encode_frame(l.as_bytes(), &mut f).unwrap();
        assert_eq!(s.handle_input(1, &f[..n]), n);
        events(s)
    };
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK AUTH");
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK ATTACH role=queen");
    let id = s.send(&Request::spawn("x").unwrap()).unwrap();
    while s.poll_transmit(1, &mut tx).is_some() {}
    assert_eq!(s.in_flight(), 2); // SPAWN + fence
    assert_eq!(
        feed(&mut s, "OK SPAWN payload=x"),
        [format!("ack {id} SPAWN: OK SPAWN payload=x")]
    );
    s.handle_close();
    assert_eq!(
        events(&mut s),
        [
            format!("done {id} SPAWN ok lines=0"),
            "closed Some(PeerClosed)".to_string()
        ]
    );
}

#[test]
fn heartbeat_ping_after_idle_interval() {
    let mut p = attached(ServerConfig::new());
    let frames = p.server.frames_received();
    assert_eq!(p.client.poll_timeout(), Some(15_000));
    assert!(advance(&mut p, 14_999).is_empty());
    assert_eq!(p.server.frames_received(), frames);
    // The heartbeat goes out and its answer is consumed silently.
    assert!(advance(&mut p, 1).is_empty());
    assert_eq!(p.server.frames_received(), frames + 1);
    assert_eq!(p.client.in_flight(), 0);
    assert_eq!(p.client.poll_timeout(), Some(30_000));
    // Traffic resets the idle clock.
    p.now = 20_000;
    p.client.send(&Request::Ping).unwrap();
    drive(&mut p);
    assert_eq!(p.client.poll_timeout(), Some(35_000));
}

#[test]
fn heartbeat_detects_a_dead_peer() {
    let mut p = attached(ServerConfig::new());
    p.server.config_mut().mute = true;
    assert!(advance(&mut p, 15_000).is_empty());
    assert_eq!(p.client.in_flight(), 1);
    assert_eq!(p.client.poll_timeout(), Some(20_000));
    assert_eq!(advance(&mut p, 5_000), ["closed Some(TimedOut)"]);
}

#[test]
fn heartbeat_can_be_disabled() {
    let mut p = Pair::new(
        queen(Config::new().with_heartbeat_ms(0)),
        Server::new(ServerConfig::new()),
    );
    drive(&mut p);
    assert_eq!(p.client.poll_timeout(), None);
    let frames = p.server.frames_received();
    assert!(advance(&mut p, 1_000_000).is_empty());
    assert_eq!(p.server.frames_received(), frames);
}

#[test]
fn replies_the_queen_dropped_complete_as_no_reply() {
    // The real queen keeps 8 inbound lines and drops the oldest beyond that without a word.
    // An OK for a later frame proves the earlier ones were never executed.
    let mut s = queen(Config::new().with_max_in_flight(8));
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let feed = |s: &mut cohesix_core::session::Session, l: &str| {
        let mut f = [0u8; 64];
        let n = cohesix_core::frame::encode_frame(l.as_bytes(), &mut f).unwrap();
        assert_eq!(s.handle_input(1, &f[..n]), n);
        events(s)
    };
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK AUTH");
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK ATTACH role=queen");
    let lss: Vec<RequestId> = (0..7)
        .map(|_| s.send(&Request::ls("/").unwrap()).unwrap())
        .collect();
    let echo = s.send(&Request::echo("/x", "y").unwrap()).unwrap();
    while s.poll_transmit(1, &mut tx).is_some() {}
    assert_eq!(s.in_flight(), 8);
    let mut want: Vec<String> = lss
        .iter()
        .map(|id| format!("done {id} LS no-reply lines=0"))
        .collect();
    want.push(format!("ack {echo} ECHO: OK ECHO path=/x bytes=1"));
    want.push(format!("done {echo} ECHO ok lines=0"));
    assert_eq!(feed(&mut s, "OK ECHO path=/x bytes=1"), want);
    assert_eq!(s.in_flight(), 0);
    // NoReply is retry-safe: nothing was executed.
    assert!(Outcome::NoReply.is_retry_safe());
}

#[test]
fn attach_timeout_fails_queued_requests_as_unsent() {
    let mut s = queen(Config::new().with_op_timeout_ms(1000));
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let id = s.send(&Request::ls("/").unwrap()).unwrap();
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    let mut f = [0u8; 16];
    let n = cohesix_core::frame::encode_frame(b"OK AUTH", &mut f).unwrap();
    assert_eq!(s.handle_input(10, &f[..n]), n);
    assert_eq!(events(&mut s), ["authenticated"]);
    let _ = s.poll_transmit(20, &mut tx).unwrap(); // ATTACH
    assert_eq!(s.poll_transmit(20, &mut tx), None); // LS held until attached
    assert_eq!(s.poll_timeout(), Some(1020));
    s.handle_timeout(1020);
    assert_eq!(
        events(&mut s),
        [
            format!("done {id} LS interrupted(sent=false) lines=0"),
            "closed Some(TimedOut)".to_string(),
        ]
    );
}

#[test]
fn err_frame_terminates_the_command_in_flight() {
    let mut s = queen(Config::new());
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let feed = |s: &mut cohesix_core::session::Session, l: &str| {
        let mut f = [0u8; 64];
        let n = cohesix_core::frame::encode_frame(l.as_bytes(), &mut f).unwrap();
        assert_eq!(s.handle_input(1, &f[..n]), n);
        events(s)
    };
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK AUTH");
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    feed(&mut s, "OK ATTACH role=queen");
    let id = s
        .send(&Request::echo("/log/queen.log", "x").unwrap())
        .unwrap();
    let _ = s.poll_transmit(1, &mut tx).unwrap();
    assert_eq!(
        feed(&mut s, "ERR FRAME reason=invalid-length"),
        [format!(
            "done {id} ECHO refused[ERR FRAME reason=invalid-length] lines=0"
        )]
    );
    assert_eq!(s.in_flight(), 0);
    assert_eq!(s.poll_timeout(), Some(1 + 15_000));
}
