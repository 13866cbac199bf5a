//! Hostile peers at the sans-IO level: the core `Session` driven by a scripted, misbehaving
//! queen. Deterministic (an injected millisecond clock), no sockets.
//!
//! Each test checks the fault table of `docs/robustness.md`: a typed error or the correct
//! result, no panic, bounded buffers, a deadline for every wait, and an exact account of
//! every request (each completes exactly once, before `Closed`).

use std::collections::BTreeMap;

use cohesix_core::error::Error;
use cohesix_core::frame::{FrameDecoder, HEADER_LEN};
use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{
    Config, Credentials, Event, Outcome, Session, SessionError, State, MAX_QUEUED, TRANSMIT_BUF_LEN,
};
use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};

/// An owned copy of an [`Event`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Authenticated,
    Attached,
    /// The raw ack of ATTACH or QUIT.
    SessionAck(String),
    Ack(u32, String),
    Data(u32, String),
    Done(u32, String, u32),
    Stray(String),
    Closed(Option<String>),
}

fn frame(line: &[u8]) -> Vec<u8> {
    let mut f = u32::try_from(line.len() + HEADER_LEN)
        .unwrap()
        .to_le_bytes()
        .to_vec();
    f.extend_from_slice(line);
    f
}

/// A session plus a record of everything it sent and reported.
struct Rig {
    s: Session,
    now: u64,
    sent: Vec<String>,
    events: Vec<Ev>,
    outcomes: BTreeMap<u32, Vec<String>>,
}

impl Rig {
    fn new(max_in_flight: u8) -> Self {
        let config = Config::new()
            .with_max_in_flight(max_in_flight)
            .with_op_timeout_ms(500)
            .with_heartbeat_ms(0);
        let creds = Credentials::new("changeme", Role::Queen, None).unwrap();
        let mut rig = Self {
            s: Session::new(config, creds).unwrap(),
            now: 0,
            sent: Vec::new(),
            events: Vec::new(),
            outcomes: BTreeMap::new(),
        };
        rig.pump();
        rig
    }

    /// Attached session (AUTH, ATTACH answered).
    fn attached(max_in_flight: u8) -> Self {
        let mut rig = Self::new(max_in_flight);
        rig.peer(&["OK AUTH", "OK ATTACH role=queen"]);
        assert_eq!(rig.s.state(), State::Ready);
        rig.events.clear();
        rig.sent.clear();
        rig
    }

    fn pump(&mut self) {
        let mut buf = [0u8; TRANSMIT_BUF_LEN];
        while let Some(n) = self.s.poll_transmit(self.now, &mut buf) {
            let mut dec = FrameDecoder::<MAX_LINE_LEN>::new();
            assert_eq!(dec.push(&buf[..n]), Ok(n));
            self.sent
                .push(String::from_utf8(dec.frame().unwrap().to_vec()).unwrap());
        }
        while let Some(ev) = self.s.poll_event() {
            let ev = match ev {
                Event::Authenticated => Ev::Authenticated,
                Event::Attached { .. } => Ev::Attached,
                Event::SessionAck { ack, .. } => Ev::SessionAck(ack.raw.to_owned()),
                Event::Ack { id, ack, .. } => Ev::Ack(id.0, ack.raw.to_owned()),
                Event::Data { id, line, .. } => Ev::Data(id.0, line.to_owned()),
                Event::Completed(c) => {
                    let o = format!("{:?}", c.outcome);
                    self.outcomes.entry(c.id.0).or_default().push(o.clone());
                    Ev::Done(c.id.0, o, c.lines)
                }
                Event::Stray { line } => Ev::Stray(line.to_owned()),
                Event::Closed { error } => Ev::Closed(error.map(|e| format!("{e:?}"))),
                other => panic!("unexpected event {other:?}"),
            };
            self.events.push(ev);
        }
        // Bounded buffers, and a deadline for every wait.
        assert!(self.s.in_flight() <= MAX_IN_FLIGHT + 2);
        assert!(self.s.queued() <= MAX_QUEUED);
        if self.s.state() != State::Closed && (self.s.in_flight() > 0 || self.s.queued() > 0) {
            assert!(self.s.poll_timeout().is_some(), "a wait without a deadline");
        }
    }

    /// Feeds raw bytes in chunks of `chunk` (0 = all at once).
    fn bytes(&mut self, bytes: &[u8], chunk: usize) {
        let step = if chunk == 0 {
            bytes.len().max(1)
        } else {
            chunk
        };
        for piece in bytes.chunks(step) {
            let mut rest = piece;
            while !rest.is_empty() {
                let n = self.s.handle_input(self.now, rest);
                assert!(n > 0 || self.s.has_pending_events(), "input stalled");
                rest = &rest[n..];
                self.pump();
            }
        }
        self.pump();
    }

    fn peer(&mut self, lines: &[&str]) {
        let bytes: Vec<u8> = lines.iter().flat_map(|l| frame(l.as_bytes())).collect();
        self.bytes(&bytes, 0);
    }

    fn send(&mut self, r: Request<'_>) -> u32 {
        let id = self.s.send(&r).unwrap().0;
        self.pump();
        id
    }

    fn fire(&mut self) {
        let t = self.s.poll_timeout().expect("a deadline");
        self.now = self.now.max(t);
        self.s.handle_timeout(self.now);
        self.pump();
    }

    fn close(&mut self) {
        self.s.handle_close();
        self.pump();
    }

    fn outcome(&self, id: u32) -> &str {
        let v = self.outcomes.get(&id).expect("completed");
        assert_eq!(v.len(), 1, "request {id} completed {} times", v.len());
        &v[0]
    }

    fn closed_error(&self) -> Option<String> {
        let closed: Vec<&Ev> = self
            .events
            .iter()
            .filter(|e| matches!(e, Ev::Closed(_)))
            .collect();
        assert_eq!(
            closed.len(),
            1,
            "Closed must come exactly once: {:?}",
            self.events
        );
        match closed[0] {
            Ev::Closed(e) => e.clone(),
            _ => unreachable!(),
        }
    }

    /// Every id in `ids` completed exactly once and before `Closed`.
    fn all_accounted(&self, ids: &[u32]) {
        let closed_at = self.events.iter().position(|e| matches!(e, Ev::Closed(_)));
        for id in ids {
            self.outcome(*id);
            let at = self
                .events
                .iter()
                .position(|e| matches!(e, Ev::Done(i, _, _) if i == id))
                .unwrap();
            if let Some(c) = closed_at {
                assert!(at < c, "request {id} completed after Closed");
            }
        }
    }
}

const HAPPY: &[&str] = &[
    "OK AUTH",
    "OK ATTACH role=queen",
    "OK LS path=/ entries=2",
    "proc",
    "log",
    "END",
];

fn happy_events(chunk: usize) -> Vec<Ev> {
    let mut r = Rig::new(1);
    let _ = r.s.send(&Request::ls("/").unwrap()).unwrap();
    let bytes: Vec<u8> = HAPPY.iter().flat_map(|l| frame(l.as_bytes())).collect();
    r.bytes(&bytes, chunk);
    r.events
}

#[test]
fn byte_at_a_time_delivery_gives_the_same_events() {
    let whole = happy_events(0);
    assert!(whole.contains(&Ev::Done(0, "Ok".into(), 2)), "{whole:?}");
    for chunk in [1, 2, 3, 5, 7, 13] {
        assert_eq!(happy_events(chunk), whole, "chunk size {chunk}");
    }
}

#[test]
fn stall_mid_frame_times_out_and_accounts_for_the_request() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::echo("/log/queen.log", "hello").unwrap());
    // Half a frame, then nothing.
    let f = frame(b"OK ECHO path=/log/queen.log bytes=5");
    r.bytes(&f[..7], 0);
    r.fire();
    assert_eq!(r.outcome(id), "TimedOut");
    let e = r.closed_error().unwrap();
    assert!(e.contains("Timeout") || e.contains("TimedOut"), "{e}");
}

#[test]
fn length_ffffffff_is_a_typed_protocol_error() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::tail("/log/queen.log").unwrap());
    r.bytes(&[0xff, 0xff, 0xff, 0xff, b'x', b'y'], 0);
    assert_eq!(r.s.state(), State::Closed);
    assert_eq!(r.outcome(id), "Unknown");
    let e = r.closed_error().unwrap();
    assert!(e.contains("TooLong") && e.contains("4294967295"), "{e}");
}

#[test]
fn lengths_zero_to_three_are_typed_protocol_errors() {
    for len in 0u8..4 {
        let mut r = Rig::attached(1);
        let id = r.send(Request::ls("/").unwrap());
        r.bytes(&[len, 0, 0, 0, b'a', b'b', b'c'], 1);
        assert_eq!(r.s.state(), State::Closed);
        assert!(r.outcome(id).starts_with("Interrupted"), "len {len}");
        let e = r.closed_error().unwrap();
        assert!(e.contains("TooShort"), "len {len}: {e}");
    }
}

#[test]
fn invalid_utf8_is_a_typed_error() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::cat("/proc/x").unwrap());
    r.bytes(&frame(&[0xff, 0xfe, b'a']), 0);
    assert!(r.outcome(id).starts_with("Interrupted"));
    assert!(r.closed_error().unwrap().contains("InvalidUtf8"));
}

#[test]
fn ten_megabyte_flood_of_valid_frames_is_streamed_in_bounded_memory() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::tail("/log/queen.log").unwrap());
    r.peer(&["OK TAIL path=/log/queen.log"]);
    let line = [b'x'; 250];
    let one = frame(&line);
    let count = 10 * 1024 * 1024 / one.len() + 1;
    let mut data = 0usize;
    for _ in 0..count {
        let mut rest = &one[..];
        while !rest.is_empty() {
            let n = r.s.handle_input(r.now, rest);
            rest = &rest[n..];
            while let Some(ev) = r.s.poll_event() {
                if let Event::Data { line, .. } = ev {
                    assert_eq!(line.len(), 250);
                    data += 1;
                }
            }
        }
        // The core holds one frame at most: nothing accumulates.
        assert_eq!(r.s.queued(), 0);
        assert!(r.s.in_flight() <= 1);
    }
    assert!(count * one.len() >= 10 * 1024 * 1024);
    assert_eq!(data, count);
    r.peer(&["END"]);
    assert_eq!(r.outcome(id), "Ok");
    // The session is a fixed-size value: no heap behind it.
    assert!(std::mem::size_of::<Session>() < 16 * 1024);
}

#[test]
fn rst_mid_stream_completes_every_request_once() {
    let mut r = Rig::attached(8);
    let tail = r.send(Request::tail("/log/queen.log").unwrap());
    let ls = r.send(Request::ls("/").unwrap());
    r.peer(&["OK TAIL path=/log/queen.log", "line 1"]);
    r.close();
    assert_eq!(r.outcome(tail), "Unknown");
    assert!(
        r.outcome(ls).starts_with("Interrupted"),
        "{}",
        r.outcome(ls)
    );
    let _ = r.closed_error();
    r.all_accounted(&[tail, ls]);
    // The session can reconnect and re-queues AUTH first.
    r.s.reconnect().unwrap();
    r.sent.clear();
    r.pump();
    assert!(r.sent[0].starts_with("AUTH "));
}

#[test]
fn echo_acked_twice_completes_once() {
    let mut r = Rig::attached(1);
    let echo = r.send(Request::echo("/log/queen.log", "a").unwrap());
    r.peer(&[
        "OK ECHO path=/log/queen.log bytes=1",
        "OK ECHO path=/log/queen.log bytes=1",
    ]);
    assert_eq!(r.outcome(echo), "Ok");
    assert!(
        r.events
            .contains(&Ev::Stray("OK ECHO path=/log/queen.log bytes=1".into())),
        "{:?}",
        r.events
    );
    let ping = r.send(Request::Ping);
    r.peer(&["OK PING reply=pong", "PONG"]);
    assert_eq!(r.outcome(ping), "Ok");
    assert_eq!(r.outcome(echo), "Ok");
}

#[test]
fn echo_never_acked_times_out() {
    let mut r = Rig::attached(2);
    let a = r.send(Request::echo("/log/queen.log", "a").unwrap());
    let b = r.send(Request::echo("/log/queen.log", "b").unwrap());
    r.fire();
    assert_eq!(r.outcome(a), "TimedOut");
    // The second write was sent and never acked: unknown, not retried.
    assert_eq!(r.outcome(b), "Unknown");
    r.all_accounted(&[a, b]);
    assert!(r.closed_error().is_some());
}

#[test]
fn end_without_a_start_is_tolerated() {
    let mut r = Rig::attached(1);
    r.peer(&["END"]);
    assert_eq!(r.s.state(), State::Ready);
    let id = r.send(Request::ls("/").unwrap());
    r.peer(&["END", "OK LS path=/ entries=0", "END"]);
    assert_eq!(r.s.state(), State::Ready);
    assert!(r.outcomes.contains_key(&id));
    assert_eq!(r.outcome(id), "Ok");
}

#[test]
fn ack_for_a_different_verb_does_not_complete_the_request() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::ls("/").unwrap());
    r.peer(&["OK CAT path=/x data=nope"]);
    assert_eq!(r.events, vec![Ev::Stray("OK CAT path=/x data=nope".into())]);
    assert!(!r.outcomes.contains_key(&id), "an OK CAT completed an LS");
    assert_eq!(r.s.state(), State::Ready);
    r.peer(&["OK LS path=/ entries=0", "END"]);
    assert_eq!(r.outcome(id), "Ok");
}

#[test]
fn pong_before_ok_ping_completes_once() {
    let mut r = Rig::attached(1);
    let id = r.send(Request::Ping);
    r.peer(&["PONG", "OK PING reply=pong"]);
    assert_eq!(r.outcome(id), "Ok");
    let id2 = r.send(Request::Ping);
    r.peer(&["OK PING reply=pong", "PONG"]);
    assert_eq!(r.outcome(id2), "Ok");
}

#[test]
fn more_than_eight_pipelined_commands_stay_within_the_window() {
    let mut r = Rig::attached(8);
    let mut ids = Vec::new();
    for _ in 0..(MAX_QUEUED + 8 + 4) {
        match r.s.send(&Request::ls("/").unwrap()) {
            Ok(id) => ids.push(id.0),
            Err(e) => {
                assert_eq!(e, SessionError::QueueFull);
                assert!(matches!(Error::from(e), Error::Resource(_)));
                break;
            }
        }
        r.pump();
        assert!(r.s.in_flight() <= 8);
    }
    assert!(
        ids.len() > 8 && ids.len() <= MAX_QUEUED + 8,
        "{}",
        ids.len()
    );
    for _ in &ids {
        r.peer(&["OK LS path=/ entries=0", "END"]);
        assert!(r.s.in_flight() <= 8);
    }
    for id in &ids {
        assert_eq!(r.outcome(*id), "Ok");
    }
}

#[test]
fn queen_restart_between_echoes_gives_an_exact_account() {
    let mut r = Rig::attached(2);
    let a = r.send(Request::echo("/log/queen.log", "one").unwrap());
    let b = r.send(Request::echo("/log/queen.log", "two").unwrap());
    let c = r.send(Request::echo("/log/queen.log", "three").unwrap());
    let d = r.send(Request::echo("/log/queen.log", "four").unwrap());
    assert_eq!(r.s.in_flight(), 2);
    r.peer(&["OK ECHO path=/log/queen.log bytes=3"]);
    assert_eq!(r.s.in_flight(), 2, "the freed slot carries the third line");
    r.close(); // the queen restarts: connection reset
    assert_eq!(r.outcome(a), "Ok", "committed");
    assert_eq!(r.outcome(b), "Unknown", "sent, never acked");
    assert_eq!(r.outcome(c), "Unknown", "sent, never acked");
    assert_eq!(r.outcome(d), "Interrupted { sent: false }", "never sent");
    r.all_accounted(&[a, b, c, d]);
    let sent_echoes = r.sent.iter().filter(|l| l.starts_with("ECHO ")).count();
    assert_eq!(sent_echoes, 3, "{:?}", r.sent);
}

#[test]
fn user_requests_never_reach_an_unauthenticated_peer() {
    let mut r = Rig::new(8);
    let id = r.send(Request::ls("/").unwrap());
    assert_eq!(r.sent, vec!["AUTH changeme".to_owned()]);
    r.close(); // silent close after AUTH = wrong token
    assert_eq!(r.outcome(id), "Interrupted { sent: false }");
    assert!(r.closed_error().unwrap().contains("AuthRejected"));
    let _ = Outcome::Ok;
}

#[test]
fn ack_for_a_later_frame_completes_the_skipped_ones_as_no_reply() {
    // The queen keeps 8 inbound lines and drops the rest; an ack for a later frame means
    // the earlier ones were never executed. A peer that reorders acks therefore makes a
    // write look unexecuted: the core trusts FIFO replies (documented in robustness.md).
    let mut r = Rig::attached(8);
    let echo = r.send(Request::echo("/log/queen.log", "x").unwrap());
    let ls = r.send(Request::ls("/").unwrap());
    r.peer(&["OK LS path=/ entries=0", "END"]);
    assert_eq!(r.outcome(echo), "NoReply");
    assert_eq!(r.outcome(ls), "Ok");
    assert_eq!(r.s.state(), State::Ready);
    // A late ack for the skipped write is a stray, never a second completion.
    r.peer(&["OK ECHO path=/log/queen.log bytes=1"]);
    assert_eq!(r.outcome(echo), "NoReply");
    assert!(
        matches!(r.events.last(), Some(Ev::Stray(_))),
        "{:?}",
        r.events
    );
}
