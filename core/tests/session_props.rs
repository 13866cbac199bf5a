//! Property tests: whatever the queen sends, in whatever chunks, the session never panics,
//! every request completes exactly once, `Closed` comes exactly once, and input always makes
//! progress.

use std::collections::HashMap;

use cohesix_core::frame::encode_frame_raw;
use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, Session, State, TRANSMIT_BUF_LEN};
use proptest::prelude::*;

const LINES: &[&str] = &[
    "OK PING reply=pong",
    "PONG",
    "OK LS path=/ entries=2",
    "OK CAT path=/x data=a|b",
    "OK TAIL path=/log/queen.log",
    "OK ECHO path=/log/queen.log bytes=1",
    "OK HELP",
    "OK BOOTINFO",
    "OK SPAWN payload=x",
    "OK KILL id=w1",
    "ERR LS reason=policy detail=invalid-path path=/ error=invalid path",
    "ERR SPAWN reason=policy detail=invalid-payload error=invalid payload",
    "ERR ECHO reason=policy detail=denied",
    "ERR PARSE reason=policy detail=empty command",
    "ERR FRAME reason=invalid-length",
    "ERR unsupported for NineDoor",
    "ERR: NineDoor unavailable",
    "OK AUTH",
    "OK ATTACH role=queen",
    "OK QUIT",
    "END",
    "entry",
    "  indented",
    "",
    "OK",
];

fn requests() -> Vec<Request<'static>> {
    vec![
        Request::Ping,
        Request::Ls { path: "/" },
        Request::Cat { path: "/x" },
        Request::Tail {
            path: "/log/queen.log",
        },
        Request::Echo {
            path: "/log/queen.log",
            payload: "x",
        },
        Request::Help,
        Request::Bi,
        Request::Spawn { payload: "x" },
        Request::Kill { worker: "w1" },
        Request::Test,
    ]
}

fn attached(max: u8) -> Session {
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    let mut s = Session::new(Config::new().with_max_in_flight(max), creds).unwrap();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    for line in ["OK AUTH", "OK ATTACH role=queen"] {
        s.poll_transmit(0, &mut tx).unwrap();
        let mut f = [0u8; 64];
        let n = encode_frame_raw(line.as_bytes(), &mut f).unwrap();
        assert_eq!(s.handle_input(0, &f[..n]), n);
        while s.poll_event().is_some() {}
    }
    assert_eq!(s.state(), State::Ready);
    s
}

#[derive(Default)]
struct Seen {
    completed: HashMap<u32, u32>,
    closed: u32,
}

fn drain(s: &mut Session, seen: &mut Seen) {
    while let Some(e) = s.poll_event() {
        match e {
            Event::Completed(c) => *seen.completed.entry(c.id.0).or_default() += 1,
            Event::Closed { .. } => seen.closed += 1,
            Event::Data { line, .. } | Event::Stray { line } => {
                assert!(!line.ends_with('\n'));
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_reply_stream_completes_every_request_once(
        max in 1u8..=8,
        picks in prop::collection::vec(0usize..10, 0..16),
        lines in prop::collection::vec(0usize..LINES.len(), 0..40),
        chunk in 1usize..40,
        timeout_at_end in any::<bool>(),
    ) {
        let mut s = attached(max);
        let pool = requests();
        let mut ids = Vec::new();
        for i in picks {
            ids.push(s.send(&pool[i]).unwrap().0);
        }
        let mut bytes = Vec::new();
        for i in lines {
            let mut f = [0u8; 300];
            let n = encode_frame_raw(LINES[i].as_bytes(), &mut f).unwrap();
            bytes.extend_from_slice(&f[..n]);
        }
        let mut seen = Seen::default();
        let mut tx = [0u8; TRANSMIT_BUF_LEN];
        for (now, piece) in (1u64..).zip(bytes.chunks(chunk)) {
            while s.poll_transmit(now, &mut tx).is_some() {}
            let mut off = 0;
            while off < piece.len() {
                let used = s.handle_input(now, &piece[off..]);
                prop_assert!(used > 0 || s.has_pending_events());
                off += used;
                drain(&mut s, &mut seen);
            }
        }
        if timeout_at_end {
            if let Some(t) = s.poll_timeout() {
                s.handle_timeout(t);
            }
        }
        s.handle_close();
        drain(&mut s, &mut seen);
        prop_assert_eq!(seen.closed, 1);
        for id in &ids {
            prop_assert_eq!(seen.completed.get(id).copied(), Some(1), "request {}", id);
        }
        prop_assert_eq!(seen.completed.len(), ids.len());
        prop_assert_eq!(s.in_flight(), 0);
        prop_assert_eq!(s.queued(), 0);
        prop_assert!(s.reconnect().is_ok());
    }

    #[test]
    fn model_replies_are_split_invariant(
        max in 1u8..=8,
        chunk in 1usize..64,
        reorder in any::<bool>(),
    ) {
        let run = |chunk: usize| {
            let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
            let s = Session::new(Config::new().with_max_in_flight(max), creds).unwrap();
            let mut server = ServerConfig::new();
            server.real_queen_reorder = reorder;
            let mut p = Pair::new(s, Server::new(server));
            p.chunk = chunk;
            let mut log = Vec::new();
            p.drive(&mut |e| log.push(format!("{e:?}")));
            for r in requests() {
                p.client.send(&r).unwrap();
            }
            p.client.quit().unwrap();
            p.drive(&mut |e| log.push(format!("{e:?}")));
            log
        };
        let whole = run(512);
        prop_assert_eq!(run(chunk), whole);
    }
}
