//! Server-side console parser: every vector of spec §8.3, the §1.4 byte rules and the
//! exact `detail=` texts of §3.1.

use cohesix_core::command::{parse_command, parse_line, Command, ParseError};
use cohesix_core::request::{Argument, Verb};

fn parse(input: &[u8]) -> Result<Command<'static>, ParseError> {
    // Leak a buffer per call so results can be compared freely in tests.
    let buf: &'static mut [u8; 512] = Box::leak(Box::new([0u8; 512]));
    parse_command(input, buf)
}

fn s(n: usize, c: char) -> String {
    std::iter::repeat_n(c, n).collect()
}

use Argument::*;
use ParseError::*;

#[test]
fn simple_verbs_case_insensitive() {
    assert_eq!(parse(b"help"), Ok(Command::Help));
    assert_eq!(parse(b"HELP"), Ok(Command::Help));
    assert_eq!(parse(b"Ping"), Ok(Command::Ping));
    assert_eq!(parse(b"bi"), Ok(Command::Bi));
    assert_eq!(parse(b"CaPs"), Ok(Command::Caps));
    assert_eq!(parse(b"mem"), Ok(Command::Mem));
    assert_eq!(parse(b"nettest"), Ok(Command::NetTest));
    assert_eq!(parse(b"NETSTATS"), Ok(Command::NetStats));
    assert_eq!(parse(b"quit now"), Ok(Command::Quit));
    assert_eq!(parse(b"log extra"), Ok(Command::Log));
    assert_eq!(parse(b"  ping  "), Ok(Command::Ping));
    assert_eq!(parse(b"\0ping"), Ok(Command::Ping), "leading NUL dropped");
}

#[test]
fn empty_and_invalid() {
    assert_eq!(parse(b""), Err(EmptyLine));
    assert_eq!(parse(b"\r"), Err(EmptyLine));
    assert_eq!(parse(b"   "), Err(EmptyLine));
    assert_eq!(parse(b"bogus"), Err(InvalidVerb));
    assert_eq!(parse(b"bootinfo"), Err(InvalidVerb));
    assert_eq!(parse(b"AUTH changeme"), Err(InvalidVerb));
}

#[test]
fn attach_vectors() {
    assert_eq!(parse(b"attach"), Err(MissingArgument(Role)));
    let q = Command::Attach {
        role: "queen",
        ticket: None,
    };
    assert_eq!(parse(b"attach queen"), Ok(q));
    assert_eq!(parse(b"ATTACH queen "), Ok(q));
    assert_eq!(
        parse(b"attach worker-heartbeat  tok  extra"),
        Ok(Command::Attach {
            role: "worker-heartbeat",
            ticket: Some(" tok  extra")
        })
    );
    let role16 = format!("attach {}", "abcdefghijklmnop");
    assert!(matches!(
        parse(role16.as_bytes()),
        Ok(Command::Attach { role, ticket: None }) if role == "abcdefghijklmnop"
    ));
    assert_eq!(parse(b"attach abcdefghijklmnopq"), Err(ValueTooLong(Role)));
    let t224 = format!("attach queen {}", s(224, 'e'));
    match parse(t224.as_bytes()) {
        Ok(Command::Attach {
            role: "queen",
            ticket: Some(t),
        }) => assert_eq!(t.len(), 224),
        other => panic!("{other:?}"),
    }
    let t225 = format!("attach queen {}", s(225, 'e'));
    assert_eq!(parse(t225.as_bytes()), Err(ValueTooLong(Ticket)));
}

#[test]
fn path_verbs() {
    assert_eq!(parse(b"tail"), Err(MissingArgument(Path)));
    assert_eq!(parse(b"cat"), Err(MissingArgument(Path)));
    assert_eq!(parse(b"ls   "), Err(MissingArgument(Path)));
    assert_eq!(
        parse(b"tail /log/queen.log extra"),
        Ok(Command::Tail {
            path: "/log/queen.log"
        })
    );
    assert_eq!(parse(b"ls  /proc"), Ok(Command::Ls { path: "/proc" }));
    let p96 = format!("cat /{}", s(95, 'a'));
    match parse(p96.as_bytes()) {
        Ok(Command::Cat { path }) => assert_eq!(path.len(), 96),
        other => panic!("{other:?}"),
    }
    let p97 = format!("cat /{}", s(96, 'a'));
    assert_eq!(parse(p97.as_bytes()), Err(ValueTooLong(Path)));
}

#[test]
fn echo_vectors() {
    assert_eq!(
        parse(b"echo /log/queen.log hello world"),
        Ok(Command::Echo {
            path: "/log/queen.log",
            payload: "hello world"
        })
    );
    assert_eq!(
        parse(b"ECHO /x  a  b "),
        Ok(Command::Echo {
            path: "/x",
            payload: "a  b"
        })
    );
    assert_eq!(parse(b"echo"), Err(MissingArgument(Path)));
    assert_eq!(parse(b"echo /log/queen.log"), Err(MissingArgument(Payload)));
    assert_eq!(
        parse(b"echo /log/queen.log   "),
        Err(MissingArgument(Payload))
    );
    let ok = format!("echo /x {}", s(128, 'b'));
    assert!(
        matches!(parse(ok.as_bytes()), Ok(Command::Echo { payload, .. }) if payload.len() == 128)
    );
    let bad = format!("echo /x {}", s(129, 'b'));
    assert_eq!(parse(bad.as_bytes()), Err(ValueTooLong(Payload)));
    let line256 = format!("echo /x {}", s(248, 'f'));
    assert_eq!(line256.len(), 256);
    assert_eq!(parse(line256.as_bytes()), Err(ValueTooLong(Payload)));
}

#[test]
fn spawn_kill_cachelog_test() {
    assert_eq!(
        parse(br#"spawn {"spawn":"heartbeat"}"#),
        Ok(Command::Spawn {
            payload: r#"{"spawn":"heartbeat"}"#
        })
    );
    assert_eq!(parse(b"spawn"), Err(MissingArgument(Payload)));
    let ok = format!("spawn {}", s(192, 'c'));
    assert!(matches!(parse(ok.as_bytes()), Ok(Command::Spawn { payload }) if payload.len() == 192));
    let bad = format!("spawn {}", s(193, 'c'));
    assert_eq!(parse(bad.as_bytes()), Err(ValueTooLong(Payload)));

    assert_eq!(
        parse(b"kill worker-1 extra"),
        Ok(Command::Kill { worker: "worker-1" })
    );
    assert_eq!(parse(b"kill"), Err(MissingArgument(Worker)));
    let ok = format!("kill {}", s(32, 'd'));
    assert!(matches!(parse(ok.as_bytes()), Ok(Command::Kill { worker }) if worker.len() == 32));
    let bad = format!("kill {}", s(33, 'd'));
    assert_eq!(parse(bad.as_bytes()), Err(ValueTooLong(Worker)));

    assert_eq!(parse(b"cachelog"), Ok(Command::CacheLog { count: None }));
    assert_eq!(
        parse(b"cachelog 32"),
        Ok(Command::CacheLog { count: Some(32) })
    );
    assert_eq!(
        parse(b"cachelog 5 6"),
        Ok(Command::CacheLog { count: Some(5) })
    );
    assert_eq!(parse(b"cachelog nope"), Err(InvalidValue(Count)));
    assert_eq!(parse(b"cachelog 70000"), Err(InvalidValue(Count)));
    assert_eq!(parse(b"cachelog -1"), Err(InvalidValue(Count)));

    assert_eq!(parse(b"test"), Ok(Command::Test));
    assert_eq!(parse(b"test x"), Err(InvalidValue(Test)));
}

#[test]
fn byte_rules_section_1_4() {
    assert_eq!(parse(b"he\x08lp"), Err(InvalidVerb), "BS -> hlp");
    assert_eq!(parse(b"he\x7flp"), Err(InvalidVerb), "DEL -> hlp");
    assert_eq!(parse(b"helpx\x08"), Ok(Command::Help));
    assert_eq!(parse(b"\x08"), Err(EmptyLine));
    assert_eq!(parse(b"pi\x01ng"), Ok(Command::Ping));
    assert_eq!(parse(b"p\ti\tn\tg"), Ok(Command::Ping));
    assert_eq!(parse(b"ping\ttab"), Err(InvalidVerb));
    assert_eq!(parse(b"ls\t/tmp"), Err(InvalidVerb));
    assert_eq!(parse(b"pi\x85ng"), Ok(Command::Ping), "C1 control dropped");
    // UTF-8 é (C3 A9) becomes two Latin-1 chars: "Ã©".
    assert_eq!(
        parse("tail /é".as_bytes()),
        Ok(Command::Tail { path: "/Ã©" })
    );
    // BS deletes a whole 2-byte char.
    assert_eq!(parse(b"tail /\xe9\x08x"), Ok(Command::Tail { path: "/x" }));
    // LF: the command so far is dropped.
    assert_eq!(parse(b"ping\n"), Err(EmptyLine));
    assert_eq!(parse(b"ping\r\n"), Err(EmptyLine));
}

#[test]
fn line_length_limit() {
    let ok = format!("help{}", s(252, ' '));
    assert_eq!(ok.len(), 256);
    assert_eq!(parse(ok.as_bytes()), Ok(Command::Help));
    let bad = format!("help{}", s(253, ' '));
    assert_eq!(parse(bad.as_bytes()), Err(LineTooLong));
    // Latin-1 bytes count twice: 128 x 0xE9 fill 256 bytes, one more overflows.
    let mut v = vec![0xE9u8; 128];
    assert_eq!(parse(&v), Err(InvalidVerb));
    v.push(b'a');
    assert_eq!(parse(&v), Err(LineTooLong));
    // A deleted char frees room again.
    let mut v = vec![b'a'; 256];
    v.push(0x08);
    v.push(b'b');
    assert_eq!(parse(&v), Err(InvalidVerb));
    // Dropped control bytes do not count.
    let mut v = b"ping".to_vec();
    v.extend([0x01u8; 400]);
    assert_eq!(parse(&v), Ok(Command::Ping));
}

#[test]
fn small_buffer_caps_line() {
    let mut buf = [0u8; 4];
    assert_eq!(parse_command(b"ping", &mut buf), Ok(Command::Ping));
    assert_eq!(parse_command(b"pings", &mut buf), Err(LineTooLong));
}

#[test]
fn exact_detail_texts() {
    let table = [
        (EmptyLine, "empty command"),
        (InvalidVerb, "unsupported console command"),
        (MissingArgument(Path), "missing required argument: path"),
        (
            MissingArgument(Payload),
            "missing required argument: payload",
        ),
        (MissingArgument(Role), "missing required argument: role"),
        (MissingArgument(Worker), "missing required argument: worker"),
        (ValueTooLong(Path), "argument path exceeds allowed length"),
        (
            ValueTooLong(Payload),
            "argument payload exceeds allowed length",
        ),
        (ValueTooLong(Role), "argument role exceeds allowed length"),
        (
            ValueTooLong(Ticket),
            "argument ticket exceeds allowed length",
        ),
        (
            ValueTooLong(Worker),
            "argument worker exceeds allowed length",
        ),
        (InvalidValue(Count), "invalid value for argument count"),
        (InvalidValue(Test), "invalid value for argument test"),
        (LineTooLong, "console line exceeded maximum length"),
    ];
    for (e, text) in table {
        assert_eq!(e.detail(), text);
        assert_eq!(e.reason(), "policy");
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn command_verbs_and_parse_line() {
    assert_eq!(parse_line("ls /").map(|c| c.verb()), Ok(Verb::Ls));
    assert_eq!(parse(b"bi").map(|c| c.verb()), Ok(Verb::Bi));
    assert_eq!(Verb::Bi.ack_label(), "BOOTINFO");
}

#[test]
fn attach_ticket_is_redacted_in_debug() {
    let c = parse(b"attach worker-gpu SECRET-TICKET").unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains("SECRET"), "{d}");
    assert_eq!(
        d,
        r#"Attach { role: "worker-gpu", ticket: Some(<redacted>) }"#
    );
    assert_eq!(format!("{:?}", parse(b"ping").unwrap()), "Ping");
    assert_eq!(
        format!("{:?}", parse(b"cat /x").unwrap()),
        r#"Cat { path: "/x" }"#
    );
}
