//! Session state machine, structure-aware: `arbitrary` sequences of peer frames (templated
//! and raw), raw bytes, clock advances, deadline firings, closes, reconnects and user
//! requests, delivered in arbitrary chunk sizes.
//!
//! Invariants checked after every step:
//! * no panic; `handle_input` always makes progress unless events are pending;
//! * bounded buffers: `in_flight() <= WIRE_CAP`, `queued() <= MAX_QUEUED`, every transmitted
//!   frame is a legal client frame (<= 4 + 256 bytes);
//! * nothing but AUTH/ATTACH is written before `Event::Attached` on a connection;
//! * every wait has a deadline: while the connection is open and anything is outstanding
//!   (on the wire or queued) `poll_timeout()` is `Some`, and firing it moves it forward;
//! * no event lost: every id returned by `send` completes exactly once, all of them before
//!   `Event::Closed`, and data/acks only name live requests.
#![no_main]

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use cohesix_core::frame::{encode_frame_raw, FrameDecoder, HEADER_LEN};
use cohesix_core::request::{Request, ALL_VERBS};
use cohesix_core::role::Role;
use cohesix_core::session::{
    Config, Credentials, Event, RequestId, Session, State, MAX_QUEUED, TRANSMIT_BUF_LEN,
};
use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op<'a> {
    Send(u8),
    Quit,
    Line(u8, u8),
    RawLine(&'a [u8]),
    Bytes(&'a [u8]),
    Advance(u16),
    FireTimeout,
    Close,
    Reconnect,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    max_in_flight: u8,
    op_timeout: u16,
    heartbeat: u16,
    chunk: u8,
    ops: Vec<Op<'a>>,
}

const TEMPLATES: &[&str] = &[
    "OK AUTH",
    "OK ATTACH role=queen",
    "OK {V}",
    "OK {V} path=/ entries=2",
    "ERR {V} reason=policy detail=denied",
    "END",
    "PONG",
    "OK PING reply=pong",
    "ERR PARSE reason=policy detail=empty command",
    "ERR FRAME reason=invalid-length",
    "OK QUIT",
    "data line",
    "",
    "ERR AUTH reason=invalid-token",
    "ERR ATTACH reason=quota detail=rate-limited delay_ms=90000",
    "ERR ATTACH reason=policy detail=denied",
    "OK ECHO path=/log/queen.log bytes=2",
    "OK CAT path=/proc/x data=a|b",
    "ERR: NineDoor unavailable",
    "ERR CONSOLE reason=timeout",
    "OK ATTACH role=worker-gpu",
    "OK AUTH detail=mock",
    "  END  ",
    "PONG\r",
];

fn request(k: u8) -> Request<'static> {
    let r = match k % 20 {
        0 => Request::ls("/"),
        1 => Request::cat("/proc/lifecycle/state"),
        2 => Request::tail("/log/queen.log"),
        3 => Request::echo("/log/queen.log", "hi"),
        4 => Request::spawn("{\"spawn\":\"heartbeat\"}"),
        5 => Request::kill("worker-1"),
        6 => Ok(Request::cachelog(Some(3))),
        7 => Ok(Request::Help),
        8 => Ok(Request::Bi),
        9 => Ok(Request::Caps),
        10 => Ok(Request::Mem),
        11 => Ok(Request::Test),
        12 => Ok(Request::NetTest),
        13 => Ok(Request::NetStats),
        14 => Ok(Request::Log),
        15 => Ok(Request::Quit),
        16 => Ok(Request::Auth { token: "changeme" }),
        17 => Ok(Request::Attach {
            role: Role::Queen,
            ticket: None,
        }),
        18 => Ok(Request::Ls { path: "bad" }),
        _ => Ok(Request::Ping),
    };
    r.unwrap_or(Request::Ping)
}

struct World {
    s: Session,
    now: u64,
    chunk: usize,
    max_in_flight: usize,
    sent: BTreeSet<u32>,
    done: BTreeSet<u32>,
    attached: bool,
    closed_seen: bool,
}

impl World {
    fn events(&mut self) {
        while let Some(ev) = self.s.poll_event() {
            match ev {
                Event::Attached { .. } => self.attached = true,
                Event::Ack { id, .. } | Event::Data { id, .. } => {
                    assert!(self.sent.contains(&id.0), "event for unknown {id}");
                    assert!(!self.done.contains(&id.0), "event for completed {id}");
                }
                Event::Completed(c) => {
                    let _ = format!("{c:?} {:?}", c.outcome.reason());
                    assert!(
                        self.sent.contains(&c.id.0),
                        "completion of unknown {}",
                        c.id
                    );
                    assert!(self.done.insert(c.id.0), "{} completed twice", c.id);
                }
                Event::Closed { error } => {
                    let _ = format!("{error:?}");
                    if let Some(e) = error {
                        let _ = format!("{e}");
                    }
                    let missing: Vec<&u32> = self.sent.difference(&self.done).collect();
                    assert!(
                        missing.is_empty(),
                        "closed with requests outstanding: {missing:?}"
                    );
                    assert!(!self.closed_seen, "Closed delivered twice");
                    self.closed_seen = true;
                    self.attached = false;
                }
                Event::Authenticated | Event::Stray { .. } => {}
                _ => {}
            }
        }
    }

    fn transmit(&mut self) {
        let mut buf = [0u8; TRANSMIT_BUF_LEN];
        let mut guard = 0;
        while let Some(n) = self.s.poll_transmit(self.now, &mut buf) {
            guard += 1;
            assert!(guard < 64, "poll_transmit never runs dry");
            assert!(n <= TRANSMIT_BUF_LEN);
            let mut dec = FrameDecoder::<MAX_LINE_LEN>::new();
            assert_eq!(dec.push(&buf[..n]), Ok(n), "transmitted a malformed frame");
            let payload = dec.frame().expect("one whole frame");
            if !self.attached {
                assert!(
                    payload.starts_with(b"AUTH ") || payload.starts_with(b"ATTACH "),
                    "sent {:?} before attach",
                    String::from_utf8_lossy(payload)
                );
            }
        }
    }

    fn check(&mut self) {
        // Events first: `Attached` must be seen before the frames it releases.
        self.events();
        self.transmit();
        self.events();
        assert!(
            self.s.in_flight() <= MAX_IN_FLIGHT + 2,
            "wire FIFO over its bound"
        );
        assert!(
            self.s.in_flight() <= self.max_in_flight + 1,
            "window exceeded"
        );
        assert!(self.s.queued() <= MAX_QUEUED);
        if self.s.state() != State::Closed && (self.s.in_flight() > 0 || self.s.queued() > 0) {
            assert!(
                self.s.poll_timeout().is_some(),
                "outstanding work without a deadline ({:?}, in_flight {}, queued {})",
                self.s.state(),
                self.s.in_flight(),
                self.s.queued()
            );
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let mut off = 0usize;
        while off < bytes.len() {
            let end = if self.chunk == 0 {
                bytes.len()
            } else {
                (off + self.chunk).min(bytes.len())
            };
            let mut piece = &bytes[off..end];
            while !piece.is_empty() {
                let n = self.s.handle_input(self.now, piece);
                assert!(n <= piece.len());
                let pending = self.s.has_pending_events();
                assert!(n > 0 || pending, "handle_input stalled without events");
                piece = &piece[n..];
                self.check();
            }
            off = end;
        }
    }

    fn frame(&mut self, payload: &[u8]) {
        let mut buf = vec![0u8; payload.len() + HEADER_LEN];
        let n = encode_frame_raw(payload, &mut buf).expect("encode");
        self.feed(&buf[..n]);
    }
}

fuzz_target!(|input: Input<'_>| {
    let max_in_flight = usize::from(input.max_in_flight) % MAX_IN_FLIGHT + 1;
    let config = Config::new()
        .with_max_in_flight(max_in_flight as u8)
        .with_op_timeout_ms(u64::from(input.op_timeout) + 1)
        .with_heartbeat_ms(u64::from(input.heartbeat));
    let creds = Credentials::new("changeme", Role::Queen, None).expect("credentials");
    let mut w = World {
        s: Session::new(config, creds).expect("session"),
        now: 1_000,
        chunk: usize::from(input.chunk % 20),
        max_in_flight,
        sent: BTreeSet::new(),
        done: BTreeSet::new(),
        attached: false,
        closed_seen: false,
    };
    w.check();
    for op in input.ops.iter().take(256) {
        match op {
            Op::Send(k) => {
                if let Ok(RequestId(id)) = w.s.send(&request(*k)) {
                    assert!(w.sent.insert(id), "id {id} reused");
                }
            }
            Op::Quit => {
                let _ = w.s.quit();
            }
            Op::Line(t, v) => {
                let verb = ALL_VERBS[usize::from(*v) % ALL_VERBS.len()];
                let line =
                    TEMPLATES[usize::from(*t) % TEMPLATES.len()].replace("{V}", verb.ack_label());
                w.frame(line.as_bytes());
            }
            Op::RawLine(p) => {
                let p = &p[..p.len().min(300)];
                w.frame(p);
            }
            Op::Bytes(b) => w.feed(b),
            Op::Advance(ms) => w.now += u64::from(*ms),
            Op::FireTimeout => {
                if let Some(t) = w.s.poll_timeout() {
                    w.now = w.now.max(t);
                    w.s.handle_timeout(w.now);
                    w.check();
                    if let Some(t2) = w.s.poll_timeout() {
                        assert!(t2 > w.now, "deadline {t2} did not move past {}", w.now);
                    }
                }
            }
            Op::Close => w.s.handle_close(),
            Op::Reconnect => {
                if w.s.reconnect().is_ok() {
                    w.closed_seen = false;
                    w.attached = false;
                }
            }
        }
        w.check();
    }
    // The transport goes away: everything must complete, then Closed.
    w.s.handle_close();
    w.check();
    assert_eq!(w.s.state(), State::Closed);
    let missing: Vec<&u32> = w.sent.difference(&w.done).collect();
    assert!(missing.is_empty(), "requests never completed: {missing:?}");
});
