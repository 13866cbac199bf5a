//! Static RAM budget of the minimal embedded client (issue: session + codec with 260-byte
//! buffers in at most 2 KiB). The authoritative number is the thumbv7em probe
//! (`core/probe`, `probe-client`: `.data + .bss`); this test holds the same budget on the host,
//! where `usize` is twice as wide, so it is the stricter of the two.

use core::mem::size_of;

use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Server, ServerConfig, CONFORMANCE, TOKEN};
use cohesix_core::session::{
    Config, Credentials, Event, MinimalSession, Outcome, Session, SessionError, TRANSMIT_BUF_LEN,
};

/// One socket read buffer and one transmit buffer, as the probe allocates them.
const IO_BUFFERS: usize = 260 + TRANSMIT_BUF_LEN;
/// Static RAM the issue allows for state plus buffers.
const BUDGET: usize = 2048;

#[test]
fn minimal_session_plus_io_buffers_fit_two_kib() {
    let state = size_of::<MinimalSession>();
    assert_eq!(TRANSMIT_BUF_LEN, 260);
    assert!(
        state + IO_BUFFERS <= BUDGET,
        "MinimalSession is {state} B; with {IO_BUFFERS} B of buffers that exceeds {BUDGET} B"
    );
}

#[test]
fn capacities_scale_the_footprint() {
    let minimal = size_of::<MinimalSession>();
    let one_queued = size_of::<Session<1>>();
    let default = size_of::<Session>();
    // Each queue slot holds a rendered line.
    assert!(
        default >= one_queued + 15 * 256,
        "{default} vs {one_queued}"
    );
    assert!(one_queued > minimal, "{one_queued} vs {minimal}");
}

fn creds() -> Credentials {
    Credentials::new(TOKEN, Role::Queen, None).unwrap()
}

#[test]
fn capacities_that_cannot_hold_the_config_are_refused() {
    let c = Config::new();
    assert!(matches!(
        Session::<1, 1, 5>::new_with_queue(c, creds()),
        Err(SessionError::InvalidConfig)
    ));
    assert!(matches!(
        Session::<1, 2, 5>::new_with_queue(c, creds()),
        Err(SessionError::InvalidConfig)
    ));
    assert!(matches!(
        MinimalSession::new_with_queue(c.with_max_in_flight(3), creds()),
        Err(SessionError::InvalidConfig)
    ));
    assert!(MinimalSession::new_with_queue(c, creds()).is_ok());
}

/// The minimal session runs the whole conformance table against the queen model, one
/// request at a time (the queue holds one).
#[test]
fn minimal_session_passes_the_conformance_table() {
    let mut s = MinimalSession::new_with_queue(Config::new(), creds()).unwrap();
    let mut server = Server::new(ServerConfig::new());
    let mut log: Vec<String> = Vec::new();
    let step = |s: &mut MinimalSession, server: &mut Server, log: &mut Vec<String>| {
        let mut tx = [0u8; TRANSMIT_BUF_LEN];
        while let Some(n) = s.poll_transmit(1, &mut tx) {
            server.handle_input(1, &tx[..n]);
        }
        let mut rx = [0u8; 64];
        loop {
            let n = server.poll_output(&mut rx);
            if n == 0 {
                break;
            }
            let mut off = 0;
            while off < n {
                off += s.handle_input(1, &rx[off..n]);
                while let Some(ev) = s.poll_event() {
                    log.push(match ev {
                        Event::Ack { ack, .. } => format!("ack {}", ack.raw),
                        Event::SessionAck { ack, .. } => format!("session {}", ack.raw),
                        Event::Data { line, .. } => format!("data {line}"),
                        Event::Completed(c) => match c.outcome {
                            Outcome::Ok => "ok".into(),
                            Outcome::Refused(a) => format!("refused {}", a.raw),
                            other => format!("{other:?}"),
                        },
                        other => format!("{other:?}"),
                    });
                }
            }
        }
        if server.is_closed() && server.pending_output() == 0 {
            s.handle_close();
            while let Some(ev) = s.poll_event() {
                log.push(format!("{ev:?}"));
            }
        }
    };
    step(&mut s, &mut server, &mut log);
    step(&mut s, &mut server, &mut log);
    assert_eq!(
        log,
        [
            "Authenticated",
            "session OK ATTACH role=queen",
            "Attached { role: Queen }"
        ]
    );
    let mut want = Vec::new();
    for c in CONFORMANCE {
        log.clear();
        s.send(&c.request).unwrap();
        for _ in 0..4 {
            step(&mut s, &mut server, &mut log);
        }
        want.clear();
        want.extend(c.ack.map(|a| format!("ack {a}")));
        want.extend(c.lines.iter().map(|l| format!("data {l}")));
        want.push(match c.refusal {
            Some(r) => format!("refused {r}"),
            None => "ok".into(),
        });
        // Text may come before the ack (BOOTINFO): compare acks, then the rest, in order.
        let (mut got_acks, got_rest): (Vec<_>, Vec<_>) =
            log.iter().cloned().partition(|l| l.starts_with("ack "));
        got_acks.extend(got_rest);
        assert_eq!(got_acks, want, "{:?}", c.request);
        assert_eq!(s.in_flight(), 0);
    }
    s.quit().unwrap();
    log.clear();
    step(&mut s, &mut server, &mut log);
    step(&mut s, &mut server, &mut log);
    assert_eq!(log, ["session OK QUIT", "Closed { error: None }"]);
}
