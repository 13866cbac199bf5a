//! Request builders, bounds, rendering, redaction and path validation (spec §3.2, §5.1).

use cohesix_core::command::{parse_command, Command};
use cohesix_core::path::{depth, validate_path, PathError};
use cohesix_core::request::{Argument, Request, RequestError, Verb, ALL_VERBS};
use cohesix_core::role::{Role, ALL_ROLES};

fn line(r: &Request<'_>) -> String {
    let mut out = [0u8; 256];
    let n = r.write_line(&mut out).expect("valid request");
    assert_eq!(n, r.line_len());
    String::from_utf8(out[..n].to_vec()).expect("ascii")
}

fn s(n: usize, c: char) -> String {
    std::iter::repeat_n(c, n).collect()
}

#[test]
fn rendering_matches_real_clients() {
    let cases: Vec<(Request<'_>, &str)> = vec![
        (Request::auth("changeme").unwrap(), "AUTH changeme"),
        (Request::attach(Role::Queen, None).unwrap(), "ATTACH queen "),
        (
            Request::attach(Role::WorkerGpu, Some("tkt.abc")).unwrap(),
            "ATTACH worker-gpu tkt.abc",
        ),
        (Request::Ping, "PING"),
        (Request::Help, "HELP"),
        (Request::Bi, "BI"),
        (Request::Caps, "CAPS"),
        (Request::Mem, "MEM"),
        (Request::Test, "TEST"),
        (Request::NetTest, "NETTEST"),
        (Request::NetStats, "NETSTATS"),
        (Request::Log, "LOG"),
        (Request::cachelog(None), "CACHELOG"),
        (Request::cachelog(Some(0)), "CACHELOG 0"),
        (Request::cachelog(Some(65535)), "CACHELOG 65535"),
        (Request::Quit, "QUIT"),
        (
            Request::tail("/log/queen.log").unwrap(),
            "TAIL /log/queen.log",
        ),
        (
            Request::cat("/proc/lifecycle/state").unwrap(),
            "CAT /proc/lifecycle/state",
        ),
        (Request::ls("/").unwrap(), "LS /"),
        (
            Request::echo(
                "/queen/ctl",
                r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#,
            )
            .unwrap(),
            r#"ECHO /queen/ctl {"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#,
        ),
        (
            Request::spawn(r#"{"spawn":"heartbeat","ticks":3}"#).unwrap(),
            r#"SPAWN {"spawn":"heartbeat","ticks":3}"#,
        ),
        (Request::kill("worker-4").unwrap(), "KILL worker-4"),
    ];
    for (req, want) in &cases {
        assert_eq!(line(req), *want);
    }
    // The spec §8.1 ECHO vector is 73 bytes total.
    assert_eq!(cases[19].0.line_len() + 4, 0x49);
}

#[test]
fn bounds_refused_before_sending() {
    use RequestError::*;
    let p96 = format!("/{}", s(63, 'a')) + &format!("/{}", s(31, 'b'));
    assert_eq!(p96.len(), 96);
    assert!(Request::cat(&p96).is_ok());
    let p97 = format!("{p96}c");
    assert_eq!(
        Request::cat(&p97),
        Err(Path(PathError::TooLong { len: 97 }))
    );

    assert!(Request::echo("/x", &s(128, 'b')).is_ok());
    assert_eq!(
        Request::echo("/x", &s(129, 'b')),
        Err(TooLong {
            arg: Argument::Payload,
            len: 129,
            max: 128
        })
    );
    assert_eq!(Request::echo("/x", ""), Err(Empty(Argument::Payload)));
    assert_eq!(
        Request::echo("/x", " lead"),
        Err(EdgeWhitespace(Argument::Payload))
    );
    assert_eq!(
        Request::echo("/x", "a\nb"),
        Err(InvalidByte {
            arg: Argument::Payload,
            byte: b'\n'
        })
    );
    assert_eq!(
        Request::echo("/x", "tab\there"),
        Err(InvalidByte {
            arg: Argument::Payload,
            byte: b'\t'
        })
    );
    assert_eq!(
        Request::echo("relative", "x"),
        Err(Path(PathError::NotAbsolute))
    );

    assert!(Request::spawn(&s(192, 'c')).is_ok());
    assert_eq!(
        Request::spawn(&s(193, 'c')),
        Err(TooLong {
            arg: Argument::Payload,
            len: 193,
            max: 192
        })
    );
    assert!(Request::kill(&s(32, 'd')).is_ok());
    assert_eq!(
        Request::kill(&s(33, 'd')),
        Err(TooLong {
            arg: Argument::Worker,
            len: 33,
            max: 32
        })
    );
    assert_eq!(
        Request::kill("worker 1"),
        Err(InvalidByte {
            arg: Argument::Worker,
            byte: b' '
        })
    );
    assert_eq!(Request::kill(""), Err(Empty(Argument::Worker)));

    assert!(Request::attach(Role::Queen, Some(&s(224, 'e'))).is_ok());
    assert_eq!(
        Request::attach(Role::Queen, Some(&s(225, 'e'))),
        Err(InvalidTicket)
    );
    assert_eq!(Request::attach(Role::Queen, Some("")), Err(InvalidTicket));
    assert_eq!(
        Request::attach(Role::Queen, Some("a b")),
        Err(InvalidTicket)
    );

    assert_eq!(Request::auth(""), Err(InvalidToken));
    assert_eq!(Request::auth(" tok"), Err(InvalidToken));
    assert_eq!(Request::auth("tok\r"), Err(InvalidToken));
    assert!(Request::auth(&s(251, 't')).is_ok());
    assert_eq!(Request::auth(&s(252, 't')), Err(InvalidToken));

    // Every path verb validates.
    for bad in ["", "x", "/a//b", "/a/", "/a/../b", "/./a", "/a b", "/a\0b"] {
        assert!(Request::tail(bad).is_err(), "{bad:?}");
        assert!(Request::ls(bad).is_err(), "{bad:?}");
        assert!(Request::cat(bad).is_err(), "{bad:?}");
        assert!(Request::echo(bad, "x").is_err(), "{bad:?}");
    }
    // Unchecked construction is re-validated by write_line.
    let mut out = [0u8; 256];
    assert_eq!(
        Request::Tail { path: "/a/" }.write_line(&mut out),
        Err(Path(PathError::EmptyComponent))
    );
}

#[test]
fn write_line_buffer_too_small() {
    let mut out = [0u8; 5];
    assert_eq!(
        Request::tail("/log/queen.log")
            .unwrap()
            .write_line(&mut out),
        Err(RequestError::BufferTooSmall {
            needed: 19,
            available: 5
        })
    );
    assert_eq!(Request::Ping.write_line(&mut out), Ok(4));
}

#[test]
fn secrets_are_redacted_in_debug() {
    let a = Request::auth("s3cr3t-token").unwrap();
    let d = format!("{a:?}");
    assert_eq!(d, "Auth { token: <redacted> }");
    let t = Request::attach(Role::WorkerGpu, Some("TICKETSECRET")).unwrap();
    let d = format!("{t:?}");
    assert!(!d.contains("TICKETSECRET"), "{d}");
    assert!(d.contains("<redacted>"), "{d}");
    assert!(d.contains("WorkerGpu"), "{d}");
    assert_eq!(
        format!("{:?}", Request::attach(Role::Queen, None).unwrap()),
        "Attach { role: Queen, ticket: None }"
    );
    assert_eq!(format!("{:?}", Request::Ping), "Ping");
}

#[test]
fn verb_tables() {
    for v in ALL_VERBS {
        assert_eq!(Verb::from_token(v.token()), Some(v));
        assert_eq!(Verb::from_token(&v.token().to_ascii_lowercase()), Some(v));
        assert_eq!(Verb::from_ack_label(v.ack_label()), Some(v));
        assert!(!(v.is_stream() && v.is_unterminated_multiline()));
    }
    assert_eq!(Verb::Bi.ack_label(), "BOOTINFO");
    let streams: Vec<_> = ALL_VERBS.iter().filter(|v| v.is_stream()).collect();
    assert_eq!(streams, [&Verb::Log, &Verb::Tail, &Verb::Cat, &Verb::Ls]);
    let multi: Vec<_> = ALL_VERBS
        .iter()
        .filter(|v| v.is_unterminated_multiline())
        .collect();
    assert_eq!(
        multi,
        [
            &Verb::Help,
            &Verb::Bi,
            &Verb::Caps,
            &Verb::Mem,
            &Verb::NetTest,
            &Verb::NetStats,
            &Verb::CacheLog
        ]
    );
    assert!(Verb::Cat.is_idempotent_read());
    assert!(!Verb::Tail.is_idempotent_read());
    assert!(!Verb::Echo.is_idempotent_read());
    assert!(!Verb::Attach.is_idempotent_read());
    assert_eq!(Request::kill("w").unwrap().verb(), Verb::Kill);
}

#[test]
fn every_request_parses_back() {
    let ticket = s(224, 'e');
    let mut reqs = vec![
        Request::Ping,
        Request::Help,
        Request::Bi,
        Request::Caps,
        Request::Mem,
        Request::Test,
        Request::NetTest,
        Request::NetStats,
        Request::Log,
        Request::Quit,
        Request::cachelog(None),
        Request::cachelog(Some(7)),
        Request::tail("/log/queen.log").unwrap(),
        Request::cat("/").unwrap(),
        Request::ls("/proc").unwrap(),
        Request::echo("/log/queen.log", "hello  world").unwrap(),
        Request::spawn("heartbeat ticks=3").unwrap(),
        Request::kill("worker-1").unwrap(),
        Request::attach(Role::Queen, Some(&ticket)).unwrap(),
    ];
    for r in ALL_ROLES {
        reqs.push(Request::attach(r, None).unwrap());
        reqs.push(Request::attach(r, Some("t.x")).unwrap());
    }
    for r in &reqs {
        let l = line(r);
        let mut buf = [0u8; 512];
        let got = parse_command(l.as_bytes(), &mut buf);
        assert_eq!(got, Ok(r.to_command().unwrap()), "{l}");
    }
    assert_eq!(Request::auth("x").unwrap().to_command(), None);
    let mut buf = [0u8; 512];
    assert!(matches!(
        parse_command(b"ATTACH queen ", &mut buf),
        Ok(Command::Attach {
            role: "queen",
            ticket: None
        })
    ));
}

#[test]
fn path_rules() {
    assert_eq!(validate_path("/"), Ok(()));
    assert_eq!(depth("/"), Some(0));
    assert_eq!(depth("/log/queen.log"), Some(2));
    assert_eq!(validate_path(""), Err(PathError::Empty));
    assert_eq!(validate_path("log"), Err(PathError::NotAbsolute));
    assert_eq!(validate_path("//"), Err(PathError::EmptyComponent));
    assert_eq!(validate_path("/a//b"), Err(PathError::EmptyComponent));
    assert_eq!(validate_path("/a/"), Err(PathError::EmptyComponent));
    assert_eq!(validate_path("/."), Err(PathError::DotComponent));
    assert_eq!(validate_path("/a/.."), Err(PathError::DotComponent));
    assert_eq!(validate_path("/a/..b/.c"), Ok(()));
    assert_eq!(validate_path("/%2e"), Ok(()), "no decoding client-side");
    assert_eq!(
        validate_path("/a b"),
        Err(PathError::InvalidByte {
            index: 2,
            byte: b' '
        })
    );
    assert_eq!(
        validate_path("/a\0"),
        Err(PathError::InvalidByte { index: 2, byte: 0 })
    );
    assert_eq!(
        validate_path("/é"),
        Err(PathError::InvalidByte {
            index: 1,
            byte: 0xc3
        })
    );
    assert_eq!(validate_path("/1/2/3/4/5/6/7/8"), Ok(()));
    assert_eq!(
        validate_path("/1/2/3/4/5/6/7/8/9"),
        Err(PathError::TooDeep { depth: 9 })
    );
    let c64 = format!("/{}", s(64, 'x'));
    assert_eq!(validate_path(&c64), Ok(()));
    let c65 = format!("/{}", s(65, 'x'));
    assert_eq!(
        validate_path(&c65),
        Err(PathError::ComponentTooLong { len: 65 })
    );
    let long = format!("/{}/{}", s(64, 'x'), s(32, 'y'));
    assert_eq!(long.len(), 98);
    assert_eq!(validate_path(&long), Err(PathError::TooLong { len: 98 }));
}
