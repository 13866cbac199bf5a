//! Orderings measured against the real upstream queen (QEMU), replayed as peer byte streams:
//! `OK PING` overtaking open streams, dropped `PONG`s, `OK QUIT` overtaking a stream and the
//! close that follows, and fences whose `PONG` never comes. Each transcript is fed whole, in
//! 7-byte chunks and byte by byte; all must give the same events. The last tests run the
//! same orderings end to end against the queen model's `real_queen_reorder` mode.

mod support;

use cohesix_core::frame::encode_frame_raw;
use cohesix_core::request::Request;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig};
use cohesix_core::session::{Config, RequestId, Session, State, TRANSMIT_BUF_LEN};
use support::{drive, events, queen};

const LS_ROOT: [&str; 10] = [
    "gpu", "host", "log", "nine", "policy", "proc", "queen", "shard", "trace", "worker",
];
const LS_PROC: [&str; 7] = [
    "boot",
    "ingest",
    "lifecycle",
    "pressure",
    "root",
    "sched",
    "tests",
];

/// A session attached by hand with room for `max_in_flight` frames.
fn attached(max_in_flight: u8) -> Session {
    let mut s = queen(Config::new().with_max_in_flight(max_in_flight));
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    assert!(s.poll_transmit(0, &mut tx).is_some());
    assert_eq!(feed(&mut s, &["OK AUTH"], usize::MAX), ["authenticated"]);
    assert!(s.poll_transmit(0, &mut tx).is_some());
    assert_eq!(
        feed(&mut s, &["OK ATTACH role=queen"], usize::MAX),
        ["session ATTACH: OK ATTACH role=queen", "attached queen"]
    );
    s
}

/// Writes every frame the session wants to send; returns their lines.
fn transmit(s: &mut Session) -> Vec<String> {
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let mut out = Vec::new();
    while let Some(n) = s.poll_transmit(10, &mut tx) {
        out.push(String::from_utf8(tx[4..n].to_vec()).unwrap());
    }
    out
}

/// Feeds `lines` as one peer byte stream in `chunk`-byte reads; returns the events.
fn feed(s: &mut Session, lines: &[&str], chunk: usize) -> Vec<String> {
    let mut bytes = Vec::new();
    for l in lines {
        let mut f = [0u8; 300];
        let n = encode_frame_raw(l.as_bytes(), &mut f).unwrap();
        bytes.extend_from_slice(&f[..n]);
    }
    let mut log = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        let mut off = 0;
        while off < piece.len() {
            let used = s.handle_input(20, &piece[off..]);
            off += used;
            let evs = events(s);
            assert!(used > 0 || !evs.is_empty(), "input stalled");
            log.extend(evs);
        }
    }
    log
}

/// Runs `scenario` for each read size and checks that all give the same events.
fn each_chunking(scenario: impl Fn(usize) -> Vec<String>) -> Vec<String> {
    let whole = scenario(usize::MAX);
    assert_eq!(scenario(7), whole, "7-byte reads");
    assert_eq!(scenario(1), whole, "byte-at-a-time reads");
    whole
}

fn data(id: RequestId, lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| format!("data {id}: {l}")).collect()
}

#[test]
fn ping_ack_overtakes_open_streams_and_its_pong_is_dropped() {
    // ls /, ping, cat /proc/lifecycle/state, ls /proc, pipelined.
    let log = each_chunking(|chunk| {
        let mut s = attached(8);
        for r in [
            Request::ls("/").unwrap(),
            Request::Ping,
            Request::cat("/proc/lifecycle/state").unwrap(),
            Request::ls("/proc").unwrap(),
        ] {
            s.send(&r).unwrap();
        }
        assert_eq!(
            transmit(&mut s),
            ["LS /", "PING", "CAT /proc/lifecycle/state", "LS /proc"]
        );
        let mut peer = vec!["OK LS path=/ entries=10", "OK PING reply=pong"];
        peer.extend(LS_ROOT);
        peer.extend([
            "END",
            "OK CAT path=/proc/lifecycle/state data=state=ONLINE",
            "state=ONLINE",
            "END",
            "OK LS path=/proc entries=7",
        ]);
        peer.extend(LS_PROC);
        peer.push("END");
        let log = feed(&mut s, &peer, chunk);
        assert_eq!(s.in_flight(), 0);
        assert_eq!(s.state(), State::Ready);
        log
    });
    let (ls, ping, cat, proc) = (RequestId(0), RequestId(1), RequestId(2), RequestId(3));
    let mut want = vec![
        format!("ack {ls} LS: OK LS path=/ entries=10"),
        format!("ack {ping} PING: OK PING reply=pong"),
        format!("done {ping} PING ok lines=0"),
    ];
    want.extend(data(ls, &LS_ROOT));
    want.extend([
        format!("done {ls} LS ok lines=10"),
        format!("ack {cat} CAT: OK CAT path=/proc/lifecycle/state data=state=ONLINE"),
        format!("data {cat}: state=ONLINE"),
        format!("done {cat} CAT ok lines=1"),
        format!("ack {proc} LS: OK LS path=/proc entries=7"),
    ]);
    want.extend(data(proc, &LS_PROC));
    want.push(format!("done {proc} LS ok lines=7"));
    assert_eq!(log, want);
}

#[test]
fn a_late_pong_is_swallowed_until_later_data_proves_it_dropped() {
    let mut s = attached(8);
    s.send(&Request::ls("/").unwrap()).unwrap();
    s.send(&Request::Ping).unwrap();
    s.send(&Request::cat("/proc/lifecycle/state").unwrap())
        .unwrap();
    transmit(&mut s);
    let log = feed(
        &mut s,
        &[
            "OK LS path=/ entries=1",
            "OK PING reply=pong",
            "gpu",
            "END",
            // Owed by the PING: consumed, not LS data, not stray.
            "PONG",
            "OK CAT path=/proc/lifecycle/state data=PONG",
            // The credit is spent: a PONG line is CAT's data.
            "PONG",
            "END",
        ],
        usize::MAX,
    );
    assert_eq!(
        log,
        [
            "ack #0 LS: OK LS path=/ entries=1",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
            "data #0: gpu",
            "done #0 LS ok lines=1",
            "ack #2 CAT: OK CAT path=/proc/lifecycle/state data=PONG",
            "data #2: PONG",
            "done #2 CAT ok lines=1",
        ]
    );
}

#[test]
fn data_of_a_later_stream_expires_the_owed_pong() {
    let mut s = attached(8);
    s.send(&Request::tail("/log/queen.log").unwrap()).unwrap();
    s.send(&Request::Ping).unwrap();
    s.send(&Request::cat("/log/queen.log").unwrap()).unwrap();
    transmit(&mut s);
    let log = feed(
        &mut s,
        &[
            "OK TAIL path=/log/queen.log",
            "OK PING reply=pong",
            "boot",
            "END",
            "OK CAT path=/log/queen.log",
            "first",
            // The PONG would have come before CAT's data: this is CAT's line.
            "PONG",
            "END",
        ],
        usize::MAX,
    );
    assert_eq!(
        log[5..],
        [
            "ack #2 CAT: OK CAT path=/log/queen.log",
            "data #2: first",
            "data #2: PONG",
            "done #2 CAT ok lines=2",
        ]
    );
}

#[test]
fn tail_then_ping_never_gets_a_pong() {
    let lines: Vec<String> = (0..64).map(|i| format!("queen log line {i}")).collect();
    let log = each_chunking(|chunk| {
        let mut s = attached(8);
        s.send(&Request::tail("/log/queen.log").unwrap()).unwrap();
        s.send(&Request::Ping).unwrap();
        assert_eq!(transmit(&mut s), ["TAIL /log/queen.log", "PING"]);
        let mut peer = vec!["OK TAIL path=/log/queen.log", "OK PING reply=pong"];
        peer.extend(lines.iter().map(String::as_str));
        peer.push("END");
        let log = feed(&mut s, &peer, chunk);
        assert_eq!(s.in_flight(), 0);
        // Nothing is owed a reply any more: no deadline can fire.
        assert_eq!(s.poll_timeout(), Some(10 + s.config().heartbeat_ms));
        log
    });
    let mut want = vec![
        "ack #0 TAIL: OK TAIL path=/log/queen.log".to_string(),
        "ack #1 PING: OK PING reply=pong".into(),
        "done #1 PING ok lines=0".into(),
    ];
    want.extend(lines.iter().map(|l| format!("data #0: {l}")));
    want.push("done #0 TAIL ok lines=64".into());
    assert_eq!(log, want);
}

#[test]
fn quit_ack_overtakes_an_open_stream_then_the_close_interrupts_it() {
    let entries = &LS_ROOT[..8];
    let log = each_chunking(|chunk| {
        let mut s = attached(8);
        s.send(&Request::ls("/").unwrap()).unwrap();
        s.quit().unwrap();
        assert_eq!(transmit(&mut s), ["LS /", "QUIT"]);
        let mut peer = vec!["OK LS path=/ entries=10", "OK QUIT"];
        peer.extend(entries);
        let mut log = feed(&mut s, &peer, chunk);
        assert_eq!(s.state(), State::Ready, "the stream is still open");
        s.handle_close();
        log.extend(events(&mut s));
        assert_eq!(s.state(), State::Closed);
        log
    });
    let mut want = vec![
        "ack #0 LS: OK LS path=/ entries=10".to_string(),
        "session QUIT: OK QUIT".to_string(),
    ];
    want.extend(data(RequestId(0), entries));
    want.extend([
        "done #0 LS interrupted(sent=true) lines=8".into(),
        "closed None".to_string(),
    ]);
    assert_eq!(log, want);
}

#[test]
fn quit_ack_before_the_end_of_a_stream_closes_after_the_end() {
    let mut s = attached(8);
    s.send(&Request::ls("/log").unwrap()).unwrap();
    s.quit().unwrap();
    transmit(&mut s);
    let log = feed(
        &mut s,
        &["OK LS path=/log entries=1", "OK QUIT", "queen.log", "END"],
        usize::MAX,
    );
    assert_eq!(
        log,
        [
            "ack #0 LS: OK LS path=/log entries=1",
            "session QUIT: OK QUIT",
            "data #0: queen.log",
            "done #0 LS ok lines=1",
            "closed None",
        ]
    );
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn help_then_ping_in_real_queen_order() {
    let text = [
        "Commands:",
        "  help",
        "  ping",
        "  ls <path>",
        "  cat <path>",
        "  tail <path>",
        "  echo <path> <text>",
        "  quit",
    ];
    let log = each_chunking(|chunk| {
        let mut s = attached(8);
        s.send(&Request::Help).unwrap();
        s.send(&Request::Ping).unwrap();
        // HELP is fenced by a PING of its own; the user PING follows.
        assert_eq!(transmit(&mut s), ["HELP", "PING", "PING"]);
        let mut peer = vec!["OK HELP"];
        peer.extend(text);
        peer.extend(["OK PING reply=pong", "PONG"]);
        peer.extend(["OK PING reply=pong", "PONG"]);
        let log = feed(&mut s, &peer, chunk);
        assert_eq!(s.in_flight(), 0);
        log
    });
    let mut want = vec!["ack #0 HELP: OK HELP".to_string()];
    want.extend(data(RequestId(0), &text));
    want.extend([
        "done #0 HELP ok lines=8".into(),
        "ack #1 PING: OK PING reply=pong".into(),
        "done #1 PING ok lines=0".into(),
    ]);
    assert_eq!(log, want);
}

#[test]
fn a_fence_whose_pong_is_dropped_completes_on_the_next_line() {
    let mut s = attached(8);
    s.send(&Request::Help).unwrap();
    s.send(&Request::Ping).unwrap();
    transmit(&mut s);
    let log = feed(
        &mut s,
        &[
            "OK HELP",
            "Commands:",
            "OK PING reply=pong",
            // No PONG for the fence: the user PING's ack settles it.
            "OK PING reply=pong",
            "PONG",
            "PONG",
        ],
        usize::MAX,
    );
    assert_eq!(
        log,
        [
            "ack #0 HELP: OK HELP",
            "data #0: Commands:",
            "done #0 HELP ok lines=1",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
        ]
    );
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn a_fence_whose_pong_never_comes_completes_at_the_quiet_deadline() {
    let mut s = attached(8);
    s.send(&Request::Help).unwrap();
    transmit(&mut s);
    let log = feed(
        &mut s,
        &["OK HELP", "Commands:", "OK PING reply=pong"],
        usize::MAX,
    );
    assert_eq!(log, ["ack #0 HELP: OK HELP", "data #0: Commands:"]);
    let quiet = s.poll_timeout().unwrap();
    let op_deadline = 20 + s.config().op_timeout_ms;
    assert!(
        quiet < op_deadline,
        "{quiet} must come before {op_deadline}"
    );
    s.handle_timeout(quiet - 1);
    assert!(events(&mut s).is_empty());
    s.handle_timeout(quiet);
    assert_eq!(events(&mut s), ["done #0 HELP ok lines=1"]);
    assert_eq!(s.state(), State::Ready);
    assert_eq!(s.in_flight(), 0);
    // The connection goes on: the owed PONG is swallowed, the next request works.
    s.send(&Request::Ping).unwrap();
    assert_eq!(transmit(&mut s), ["PING"]);
    assert_eq!(
        feed(&mut s, &["PONG", "OK PING reply=pong", "PONG"], usize::MAX),
        ["ack #1 PING: OK PING reply=pong", "done #1 PING ok lines=0"]
    );
}

#[test]
fn spawn_grace_still_refuses_while_its_fence_waits_for_pong() {
    let mut s = attached(8);
    s.send(&Request::spawn(r#"{"spawn":"heartbeat","ticks":1}"#).unwrap())
        .unwrap();
    assert_eq!(transmit(&mut s).len(), 2);
    let log = feed(
        &mut s,
        &[
            "OK SPAWN payload=x",
            "OK PING reply=pong",
            "ERR SPAWN reason=policy detail=invalid-payload",
        ],
        usize::MAX,
    );
    assert_eq!(
        log,
        [
            "ack #0 SPAWN: OK SPAWN payload=x",
            "done #0 SPAWN refused[ERR SPAWN reason=policy detail=invalid-payload] lines=0",
        ]
    );
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn cat_ping_ping_strictly_in_order() {
    let log = each_chunking(|chunk| {
        let mut s = attached(8);
        s.send(&Request::cat("/proc/lifecycle/state").unwrap())
            .unwrap();
        s.send(&Request::Ping).unwrap();
        s.send(&Request::Ping).unwrap();
        assert_eq!(
            transmit(&mut s),
            ["CAT /proc/lifecycle/state", "PING", "PING"]
        );
        let log = feed(
            &mut s,
            &[
                "OK CAT path=/proc/lifecycle/state data=state=ONLINE",
                "state=ONLINE",
                "END",
                "OK PING reply=pong",
                "PONG",
                "OK PING reply=pong",
                "PONG",
            ],
            chunk,
        );
        assert_eq!(s.in_flight(), 0);
        log
    });
    assert_eq!(
        log,
        [
            "ack #0 CAT: OK CAT path=/proc/lifecycle/state data=state=ONLINE",
            "data #0: state=ONLINE",
            "done #0 CAT ok lines=1",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
            "ack #2 PING: OK PING reply=pong",
            "done #2 PING ok lines=0",
        ]
    );
}

#[test]
fn a_heartbeat_whose_pong_is_dropped_does_not_wedge() {
    let mut s = attached(1);
    let hb = s.poll_timeout().unwrap();
    s.handle_timeout(hb);
    assert_eq!(transmit(&mut s), ["PING"]);
    assert!(feed(&mut s, &["OK PING reply=pong"], usize::MAX).is_empty());
    assert_eq!(s.in_flight(), 0);
    s.send(&Request::ls("/log").unwrap()).unwrap();
    assert_eq!(transmit(&mut s), ["LS /log"]);
    // The heartbeat's PONG shows up late, before LS's data: swallowed.
    assert_eq!(
        feed(
            &mut s,
            &["OK LS path=/log entries=1", "PONG", "queen.log", "END"],
            usize::MAX
        ),
        [
            "ack #0 LS: OK LS path=/log entries=1",
            "data #0: queen.log",
            "done #0 LS ok lines=1",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// The same orderings produced by the queen model's `real_queen_reorder` mode, end to end.
// ---------------------------------------------------------------------------------------

fn reorder_pair() -> Pair {
    let mut server = ServerConfig::new();
    server.real_queen_reorder = true;
    let mut p = Pair::new(
        queen(Config::new().with_max_in_flight(8)),
        Server::new(server),
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

#[test]
fn model_reorders_like_the_real_queen() {
    let mut p = reorder_pair();
    for r in [
        Request::ls("/").unwrap(),
        Request::Ping,
        Request::cat("/proc/lifecycle/state").unwrap(),
        Request::ls("/log").unwrap(),
    ] {
        p.client.send(&r).unwrap();
    }
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 LS: OK LS path=/ entries=3",
            "ack #1 PING: OK PING reply=pong",
            "done #1 PING ok lines=0",
            "data #0: gpu",
            "data #0: log",
            "data #0: proc",
            "done #0 LS ok lines=3",
            "ack #2 CAT: OK CAT path=/proc/lifecycle/state data=state=ONLINE",
            "data #2: state=ONLINE",
            "done #2 CAT ok lines=1",
            "ack #3 LS: OK LS path=/log entries=1",
            "data #3: queen.log",
            "done #3 LS ok lines=1",
        ]
    );
    assert_eq!(p.client.in_flight(), 0);
    // Nothing is owed any more, so no deadline but the heartbeat.
    assert_eq!(
        p.client.poll_timeout(),
        Some(p.now + p.client.config().heartbeat_ms)
    );
}

#[test]
fn model_quit_overtakes_a_stream_and_closes_before_its_end() {
    let mut p = reorder_pair();
    p.client.send(&Request::ls("/").unwrap()).unwrap();
    p.client.quit().unwrap();
    assert_eq!(
        drive(&mut p),
        [
            "ack #0 LS: OK LS path=/ entries=3",
            "session QUIT: OK QUIT",
            "data #0: gpu",
            "data #0: log",
            "data #0: proc",
            "done #0 LS interrupted(sent=true) lines=3",
            "closed None",
        ]
    );
}
