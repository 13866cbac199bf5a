//! Reply assembly per verb against the in-memory queen: streams, PING, fenced multi-line
//! replies, SPAWN/KILL grace, refusals, byte-at-a-time input.

mod support;

use cohesix_core::request::Request;
use cohesix_core::session::testkit::{Pair, ServerConfig};
use cohesix_core::session::{Config, Event, Outcome, RequestId, Session, TRANSMIT_BUF_LEN};
use support::{attached, drive, events, queen};

fn send(p: &mut Pair, r: Request<'_>) -> RequestId {
    p.client.send(&r).unwrap()
}

#[test]
fn ls_stream_ends_at_end() {
    let mut p = attached(ServerConfig::new());
    let id = send(&mut p, Request::ls("/").unwrap());
    assert_eq!(id, RequestId(0));
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 LS: OK LS path=/ entries=3",
            "data #0: gpu",
            "data #0: log",
            "data #0: proc",
            "done #0 LS ok lines=3",
        ]
    );
    assert_eq!(p.client.in_flight(), 0);
}

#[test]
fn cat_and_tail_streams() {
    let mut p = attached(ServerConfig::new());
    send(&mut p, Request::cat("/proc/lifecycle/state").unwrap());
    send(&mut p, Request::echo("/log/queen.log", "batch-1").unwrap());
    send(&mut p, Request::echo("/log/queen.log", "batch-2").unwrap());
    send(&mut p, Request::tail("/log/queen.log").unwrap());
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 CAT: OK CAT path=/proc/lifecycle/state data=state=ONLINE",
            "data #0: state=ONLINE",
            "done #0 CAT ok lines=1",
            "ack #1 ECHO: OK ECHO path=/log/queen.log bytes=7",
            "done #1 ECHO ok lines=0",
            "ack #2 ECHO: OK ECHO path=/log/queen.log bytes=7",
            "done #2 ECHO ok lines=0",
            "ack #3 TAIL: OK TAIL path=/log/queen.log",
            "data #3: batch-1",
            "data #3: batch-2",
            "done #3 TAIL ok lines=2",
        ]
    );
}

#[test]
fn cat_without_data_lines_exposes_the_preview() {
    let mut p = attached(ServerConfig::new());
    for b in ["batch-1", "batch-2", "batch-3"] {
        send(&mut p, Request::echo("/log/queen.log", b).unwrap());
    }
    drive(&mut p);
    let id = send(&mut p, Request::cat("/log/queen.log").unwrap());
    let mut preview = None;
    let mut done = None;
    p.drive(&mut |e| match e {
        Event::Ack { id: i, ack, .. } if i == id => preview = ack.data().map(str::to_owned),
        Event::Completed(c) if c.id == id => done = Some((c.outcome.is_ok(), c.lines)),
        Event::Data { .. } => panic!("no data lines expected"),
        _ => {}
    });
    assert_eq!(done, Some((true, 0)));
    assert_eq!(preview.as_deref(), Some("batch-1|batch-2|batch-3"));
}

#[test]
fn err_replies_have_no_end_and_carry_reason() {
    let mut p = attached(ServerConfig::new());
    let id = send(&mut p, Request::ls("/nope").unwrap());
    send(&mut p, Request::Ping);
    let mut detail = None;
    let mut log = Vec::new();
    p.drive(&mut |e| {
        if let Event::Completed(c) = &e {
            if c.id == id {
                detail = Some((
                    c.outcome.reason().map(str::to_owned),
                    c.outcome.detail().map(str::to_owned),
                ));
            }
        }
        log.push(support::rec(e));
    });
    assert_eq!(
        log,
        [
            "done #0 LS refused[ERR LS reason=policy detail=invalid-path path=/nope error=invalid path] lines=0",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
        ]
    );
    assert_eq!(
        detail,
        Some((Some("policy".into()), Some("invalid-path".into())))
    );
}

#[test]
fn err_parse_terminates_the_command_in_flight() {
    let mut p = attached(ServerConfig::new());
    // TEST is refused by the queen; an unknown verb draws ERR PARSE. Use TEST then a stream.
    send(&mut p, Request::Test);
    send(&mut p, Request::ls("/log").unwrap());
    assert_eq!(
        drive(&mut p),
        [
            "done #0 TEST refused[ERR TEST reason=policy detail=host-only] lines=0",
            "ack #1 LS: OK LS path=/log entries=1",
            "data #1: queen.log",
            "done #1 LS ok lines=1",
        ]
    );
    // ERR PARSE for a stream: delivered straight to the session.
    let mut s = attached_session();
    let id = s.send(&Request::cat("/x").unwrap()).unwrap();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    assert!(s.poll_transmit(10, &mut tx).is_some());
    feed(
        &mut s,
        "ERR PARSE reason=policy detail=argument path exceeds allowed length",
    );
    assert_eq!(
        events(&mut s),
        [format!(
            "done {id} CAT refused[ERR PARSE reason=policy detail=argument path exceeds allowed length] lines=0"
        )]
    );
    assert_eq!(s.in_flight(), 0);
}

/// A session attached by hand (frames fed directly).
fn attached_session() -> Session {
    let mut s = queen(Config::new().with_max_in_flight(8));
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    assert!(s.poll_transmit(0, &mut tx).is_some());
    feed(&mut s, "OK AUTH");
    assert_eq!(events(&mut s), ["authenticated"]);
    assert!(s.poll_transmit(0, &mut tx).is_some());
    feed(&mut s, "OK ATTACH role=queen");
    assert_eq!(
        events(&mut s),
        ["session ATTACH: OK ATTACH role=queen", "attached queen"]
    );
    s
}

/// Feeds one line as a frame, draining nothing.
fn feed(s: &mut Session, line: &str) {
    let mut f = [0u8; 300];
    let n = cohesix_core::frame::encode_frame_raw(line.as_bytes(), &mut f).unwrap();
    assert_eq!(s.handle_input(5, &f[..n]), n);
}

#[test]
fn ping_in_either_order() {
    for pong_first in [false, true] {
        let mut server = ServerConfig::new();
        server.pong_first = pong_first;
        let mut p = attached(server);
        send(&mut p, Request::Ping);
        let log = drive(&mut p);
        assert_eq!(
            log,
            ["ack #0 PING: OK PING reply=pong", "done #0 PING ok lines=0"],
            "pong_first={pong_first}"
        );
    }
}

#[test]
fn pong_is_matched_to_the_ping_even_after_a_later_ack() {
    // Priority queue reordering: OK PING, OK LS overtake PONG (spec §2.5). The PING completes
    // on its ack; the late PONG is consumed silently, never counted as LS data.
    let mut s = attached_session();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let ping = s.send(&Request::Ping).unwrap();
    let ls = s.send(&Request::ls("/log").unwrap()).unwrap();
    while s.poll_transmit(10, &mut tx).is_some() {}
    let mut log = Vec::new();
    for l in [
        "OK PING reply=pong",
        "OK LS path=/log entries=1",
        "PONG",
        "queen.log",
        "END",
    ] {
        feed(&mut s, l);
        log.extend(events(&mut s));
    }
    assert_eq!(
        log,
        [
            format!("ack {ping} PING: OK PING reply=pong"),
            format!("done {ping} PING ok lines=0"),
            format!("ack {ls} LS: OK LS path=/log entries=1"),
            format!("data {ls}: queen.log"),
            format!("done {ls} LS ok lines=1"),
        ]
    );
}

#[test]
fn help_is_fenced_by_ping_in_both_orders() {
    for text_first in [false, true] {
        let mut server = ServerConfig::new();
        server.help_text_first = text_first;
        let mut p = attached(server);
        let before = p.server.frames_received();
        send(&mut p, Request::Help);
        let log = drive(&mut p);
        // HELP + fence PING on the wire.
        assert_eq!(p.server.frames_received(), before + 2);
        let data: Vec<&str> = log
            .iter()
            .filter(|l| l.starts_with("data #0"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            data,
            [
                "data #0: Commands:",
                "data #0:   help",
                "data #0:   ping",
                "data #0:   quit"
            ]
        );
        assert!(log.contains(&"ack #0 HELP: OK HELP".to_string()), "{log:?}");
        assert_eq!(log.last().unwrap(), "done #0 HELP ok lines=4");
        assert!(
            !log.iter().any(|l| l.contains("PING")),
            "fence is silent: {log:?}"
        );
    }
}

#[test]
fn bootinfo_acks_as_bootinfo() {
    let mut p = attached(ServerConfig::new());
    send(&mut p, Request::Bi);
    assert_eq!(
        drive(&mut p),
        [
            "data #0: [bi] build=testkit",
            "ack #0 BI: OK BOOTINFO",
            "done #0 BI ok lines=1",
        ]
    );
}

#[test]
fn spawn_ok_then_err_is_refused_within_the_fence() {
    let mut server = ServerConfig::new();
    server.bridge_errors = true;
    let mut p = attached(server);
    send(&mut p, Request::spawn("heartbeat ticks=3").unwrap());
    send(&mut p, Request::kill("worker-999").unwrap());
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 SPAWN: OK SPAWN payload=heartbeat ticks=3",
            "done #0 SPAWN refused[ERR SPAWN reason=policy detail=invalid-payload error=invalid payload] lines=0",
            "ack #1 KILL: OK KILL id=worker-999",
            "done #1 KILL refused[ERR KILL reason=policy detail=invalid-path error=invalid path] lines=0",
        ]
    );
    assert_eq!(p.client.in_flight(), 0);
}

#[test]
fn spawn_ok_completes_when_the_fence_answers() {
    let mut p = attached(ServerConfig::new());
    send(
        &mut p,
        Request::spawn("{\"spawn\":\"heartbeat\",\"ticks\":3}").unwrap(),
    );
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 SPAWN: OK SPAWN payload={\"spawn\":\"heartbeat\",\"ticks\":3}",
            "done #0 SPAWN ok lines=0",
        ]
    );
}

#[test]
fn late_err_after_the_fence_is_stray() {
    let mut s = attached_session();
    let id = s.send(&Request::kill("w1").unwrap()).unwrap();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    while s.poll_transmit(10, &mut tx).is_some() {}
    let mut log = Vec::new();
    for l in [
        "OK KILL id=w1",
        "OK PING reply=pong",
        "PONG",
        "ERR KILL reason=busy",
    ] {
        feed(&mut s, l);
        log.extend(events(&mut s));
    }
    assert_eq!(
        log,
        [
            format!("ack {id} KILL: OK KILL id=w1"),
            format!("done {id} KILL ok lines=0"),
            "stray: ERR KILL reason=busy".to_string(),
        ]
    );
}

#[test]
fn unknown_acks_and_nine_door_text_are_stray() {
    let mut s = attached_session();
    let id = s.send(&Request::ls("/").unwrap()).unwrap();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    while s.poll_transmit(10, &mut tx).is_some() {}
    let mut log = Vec::new();
    for l in [
        "ERR: NineDoor unavailable",
        "ERR unsupported for NineDoor",
        "ERR LS reason=policy detail=ninedoor-unavailable",
    ] {
        feed(&mut s, l);
        log.extend(events(&mut s));
    }
    assert_eq!(
        log,
        [
            "stray: ERR: NineDoor unavailable".to_string(),
            "stray: ERR unsupported for NineDoor".to_string(),
            format!(
                "done {id} LS refused[ERR LS reason=policy detail=ninedoor-unavailable] lines=0"
            ),
        ]
    );
}

fn scenario(chunk: usize) -> Vec<String> {
    let mut p = Pair::new(
        queen(Config::new().with_max_in_flight(8)),
        cohesix_core::session::testkit::Server::new(ServerConfig::new()),
    );
    p.chunk = chunk;
    let mut log = drive(&mut p);
    send(&mut p, Request::ls("/").unwrap());
    send(&mut p, Request::Ping);
    send(&mut p, Request::Help);
    send(
        &mut p,
        Request::echo("/log/queen.log", "hello world").unwrap(),
    );
    send(&mut p, Request::cat("/log/queen.log").unwrap());
    log.extend(drive(&mut p));
    p.client.quit().unwrap();
    log.extend(drive(&mut p));
    log
}

#[test]
fn byte_at_a_time_input_gives_the_same_events() {
    let whole = scenario(512);
    // 20 request events + the raw `OK ATTACH` and `OK QUIT` session acks.
    assert_eq!(whole.len(), 22, "{whole:?}");
    assert_eq!(whole.last().unwrap(), "closed None");
    for chunk in [1, 2, 3, 5, 7] {
        assert_eq!(scenario(chunk), whole, "chunk={chunk}");
    }
}

#[test]
fn handle_input_stops_at_frames_with_events() {
    let mut s = attached_session();
    s.send(&Request::ls("/").unwrap()).unwrap();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    while s.poll_transmit(10, &mut tx).is_some() {}
    let mut bytes = Vec::new();
    for l in ["OK LS path=/ entries=1", "gpu", "END"] {
        let mut f = [0u8; 64];
        let n = cohesix_core::frame::encode_frame_raw(l.as_bytes(), &mut f).unwrap();
        bytes.extend_from_slice(&f[..n]);
    }
    let first = s.handle_input(1, &bytes);
    assert_eq!(first, 4 + "OK LS path=/ entries=1".len());
    // Pending events block further input (borrowed lines stay valid).
    assert_eq!(s.handle_input(1, &bytes[first..]), 0);
    assert!(s.has_pending_events());
    match s.poll_event() {
        Some(Event::Ack { ack, .. }) => assert_eq!(ack.entries(), Some(1)),
        other => panic!("{other:?}"),
    }
    assert!(s.poll_event().is_none());
    let second = s.handle_input(1, &bytes[first..]);
    match s.poll_event() {
        Some(Event::Data { line, .. }) => assert_eq!(line, "gpu"),
        other => panic!("{other:?}"),
    }
    let third = s.handle_input(1, &bytes[first + second..]);
    assert_eq!(first + second + third, bytes.len());
    assert!(matches!(
        s.poll_event(),
        Some(Event::Completed(c)) if c.outcome == Outcome::Ok && c.lines == 1
    ));
}

#[test]
fn bad_frames_are_fatal_protocol_errors() {
    let mut s = attached_session();
    assert_eq!(s.handle_input(1, &[2, 0, 0, 0]), 4);
    assert_eq!(
        events(&mut s),
        ["closed Some(Protocol(TooShort { total_len: 2 }))"]
    );
    let mut s = attached_session();
    assert_eq!(s.handle_input(1, &[6, 0, 0, 0, 0xff, 0xfe]), 6);
    assert_eq!(events(&mut s), ["closed Some(InvalidUtf8)"]);
    // After the close, input is discarded.
    assert_eq!(s.handle_input(1, &[1, 2, 3]), 3);
}

#[test]
fn refused_fenced_request_orphans_its_fence() {
    // A worker may not SPAWN: the immediate ERR completes it; the fence answer is swallowed.
    let creds = cohesix_core::session::Credentials::new(
        cohesix_core::session::testkit::TOKEN,
        cohesix_core::role::Role::WorkerHeartbeat,
        Some(WORKER_TICKET),
    )
    .unwrap();
    let mut p = Pair::new(
        Session::new(Config::new(), creds).unwrap(),
        cohesix_core::session::testkit::Server::new(ServerConfig::new()),
    );
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-heartbeat",
            "attached worker-heartbeat"
        ]
    );
    send(&mut p, Request::spawn("x").unwrap());
    send(&mut p, Request::Ping);
    assert_eq!(
        drive(&mut p),
        [
            "done #0 SPAWN refused[ERR SPAWN reason=policy detail=unauthenticated] lines=0",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
        ]
    );
    assert_eq!(p.client.in_flight(), 0);
}

/// Spec §8.5 vector 2: worker-heartbeat, subject `worker-1`, secret `worker`.
const WORKER_TICKET: &str = "cohesix-ticket-01010fe80300000000000010270000000000002c010000000000000800776f726b65722d310068e5cf8b01000000000000.f134e615612664333a0639b469b5b820de88df0824e2a0a6a3ebf9a51a582e16";

#[test]
fn fenced_errors_and_skipped_replies() {
    let mut s = attached_session();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let bi = s.send(&Request::Bi).unwrap();
    let help = s.send(&Request::Help).unwrap();
    while s.poll_transmit(10, &mut tx).is_some() {}
    assert_eq!(s.in_flight(), 4);
    let mut log = Vec::new();
    for l in [
        // BI refused: its fence is orphaned and answered silently.
        "ERR BOOTINFO reason=policy detail=unavailable",
        "OK PING reply=pong",
        "PONG",
        // HELP never answered (dropped by the queen) but its fence is: no reply.
        "OK PING reply=pong",
        "PONG",
    ] {
        feed(&mut s, l);
        log.extend(events(&mut s));
    }
    assert_eq!(
        log,
        [
            format!("done {bi} BI refused[ERR BOOTINFO reason=policy detail=unavailable] lines=0"),
            format!("done {help} HELP no-reply lines=0"),
        ]
    );
    assert_eq!(s.in_flight(), 0);
}
