//! Request builders: a built line always parses back (server parser) to the same command and
//! respects every bound; a refused build never renders.
#![no_main]

use arbitrary::Arbitrary;
use cohesix_core::command::{check_auth, parse_command};
use cohesix_core::frame::{check_payload, encode_frame, FrameDecoder, HEADER_LEN};
use cohesix_core::path::validate_path;
use cohesix_core::request::Request;
use cohesix_core::role::ALL_ROLES;
use cohesix_generated::console::{
    MAX_ECHO_LEN, MAX_ID_LEN, MAX_JSON_LEN, MAX_LINE_LEN, MAX_TICKET_LEN,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    kind: u8,
    role: u8,
    count: Option<u16>,
    with_ticket: bool,
    a: &'a str,
    b: &'a str,
}

fn build<'a>(
    i: &Input<'a>,
) -> (
    Request<'a>,
    Result<Request<'a>, cohesix_core::request::RequestError>,
) {
    let role = ALL_ROLES[usize::from(i.role) % ALL_ROLES.len()];
    let ticket = i.with_ticket.then_some(i.b);
    let raw = match i.kind % 19 {
        0 => Request::Auth { token: i.a },
        1 => Request::Attach { role, ticket },
        2 => Request::Tail { path: i.a },
        3 => Request::Cat { path: i.a },
        4 => Request::Ls { path: i.a },
        5 => Request::Echo {
            path: i.a,
            payload: i.b,
        },
        6 => Request::Spawn { payload: i.a },
        7 => Request::Kill { worker: i.a },
        8 => Request::CacheLog { count: i.count },
        9 => Request::Ping,
        10 => Request::Help,
        11 => Request::Bi,
        12 => Request::Caps,
        13 => Request::Mem,
        14 => Request::Test,
        15 => Request::NetTest,
        16 => Request::NetStats,
        17 => Request::Log,
        _ => Request::Quit,
    };
    let built = match raw {
        Request::Auth { token } => Request::auth(token),
        Request::Attach { role, ticket } => Request::attach(role, ticket),
        Request::Tail { path } => Request::tail(path),
        Request::Cat { path } => Request::cat(path),
        Request::Ls { path } => Request::ls(path),
        Request::Echo { path, payload } => Request::echo(path, payload),
        Request::Spawn { payload } => Request::spawn(payload),
        Request::Kill { worker } => Request::kill(worker),
        other => other.validate().map(|()| other),
    };
    (raw, built)
}

fn check_bounds(req: &Request<'_>) {
    match *req {
        Request::Tail { path } | Request::Cat { path } | Request::Ls { path } => {
            assert!(validate_path(path).is_ok())
        }
        Request::Echo { path, payload } => {
            assert!(validate_path(path).is_ok());
            assert!((1..=MAX_ECHO_LEN).contains(&payload.len()));
        }
        Request::Spawn { payload } => assert!((1..=MAX_JSON_LEN).contains(&payload.len())),
        Request::Kill { worker } => assert!((1..=MAX_ID_LEN).contains(&worker.len())),
        Request::Attach {
            ticket: Some(t), ..
        } => assert!((1..=MAX_TICKET_LEN).contains(&t.len())),
        _ => {}
    }
}

fuzz_target!(|input: Input<'_>| {
    let (raw, built) = build(&input);
    let mut line = [0u8; MAX_LINE_LEN];
    let req = match built {
        Ok(r) => r,
        Err(e) => {
            let _ = format!("{e} {e:?}");
            assert!(raw.validate().is_err());
            assert!(
                raw.write_line(&mut line).is_err(),
                "a refused request rendered"
            );
            return;
        }
    };
    assert_eq!(req, raw);
    check_bounds(&req);
    let n = req.write_line(&mut line).expect("a built request renders");
    assert_eq!(n, req.line_len());
    assert!(n <= MAX_LINE_LEN);
    let wire = &line[..n];
    check_payload(wire).expect("a built line is a legal client payload");

    // Debug never shows secrets.
    // Debug never shows secrets: it does not depend on the token or ticket at all.
    let dbg = format!("{req:?}");
    match req {
        Request::Auth { .. } => assert_eq!(dbg, format!("{:?}", Request::Auth { token: "x" })),
        Request::Attach {
            role,
            ticket: Some(_),
        } => assert_eq!(
            dbg,
            format!(
                "{:?}",
                Request::Attach {
                    role,
                    ticket: Some("x")
                }
            )
        ),
        _ => {}
    }

    // Frame it and decode it again.
    let mut frame = [0u8; HEADER_LEN + MAX_LINE_LEN];
    let f = encode_frame(wire, &mut frame).expect("frame");
    let mut dec = FrameDecoder::<MAX_LINE_LEN>::new();
    assert_eq!(dec.push(&frame[..f]), Ok(f));
    assert_eq!(dec.frame(), Some(wire));

    // The server parser yields the same command.
    match req.to_command() {
        None => {
            let Request::Auth { token } = req else {
                panic!("only AUTH has no command")
            };
            assert_eq!(check_auth(wire, token), Ok(()));
        }
        Some(expected) => {
            let mut buf = [0u8; MAX_LINE_LEN];
            let parsed = parse_command(wire, &mut buf);
            assert_eq!(
                parsed,
                Ok(expected),
                "line {:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
});
