//! Reply classifier and detail fields: spec §3.3, §8.4, §9.1 and the real-queen notes.

use cohesix_core::reply::{classify, fields, Ack, Line, ReasonClass, Status};
use cohesix_core::request::Verb;

fn ack(line: &str) -> Ack<'_> {
    match classify(line) {
        Line::Ack(a) => a,
        other => panic!("{line:?} is not an ACK: {other:?}"),
    }
}

#[test]
fn spec_8_4_vectors() {
    let cases: &[(&str, Status, &str, Option<&str>)] = &[
        ("OK AUTH", Status::Ok, "AUTH", None),
        (
            "ERR AUTH reason=invalid-token",
            Status::Err,
            "AUTH",
            Some("reason=invalid-token"),
        ),
        (
            "  OK CAT path=/x data=a|b  ",
            Status::Ok,
            "CAT",
            Some("path=/x data=a|b"),
        ),
        (
            "\tERR AUTH reason=expected-token\n",
            Status::Err,
            "AUTH",
            Some("reason=expected-token"),
        ),
        ("OK ECHO  path=/x", Status::Ok, "ECHO", Some("path=/x")),
        ("OK  ATTACH", Status::Ok, "", Some("ATTACH")),
        (
            "ERR FRAME reason=invalid-length",
            Status::Err,
            "FRAME",
            Some("reason=invalid-length"),
        ),
        (
            "ERR unsupported for NineDoor",
            Status::Err,
            "unsupported",
            Some("for NineDoor"),
        ),
        ("OK AUTH   ", Status::Ok, "AUTH", None),
    ];
    for &(line, status, label, detail) in cases {
        let a = ack(line);
        assert_eq!(
            (a.status, a.label, a.detail),
            (status, label, detail),
            "{line:?}"
        );
        assert_eq!(a.raw, line, "raw line kept");
    }
    for text in [
        "ok ATTACH",
        "OK",
        "OK ",
        "OKAY X",
        "OK\tPING",
        "PONG",
        "TRACE boot complete",
        "ERR: NineDoor unavailable",
        "[bi] build=7d203c27",
        "",
    ] {
        assert_eq!(classify(text), Line::Text(text), "{text:?}");
    }
    assert_eq!(classify("END"), Line::End);
    assert_eq!(classify(" END "), Line::End);
    assert_eq!(classify("END x"), Line::Text("END x"));
    assert_eq!(classify("end"), Line::Text("end"));
}

#[test]
fn spec_8_4_round_trip() {
    for line in [
        "OK ATTACH role=queen",
        "ERR ATTACH reason=unauthenticated",
        "ERR AUTH reason=expected-token",
        "OK TAIL path=/log/queen.log",
        "OK AUTH",
    ] {
        let a = ack(line);
        let rendered = a.to_string();
        assert_eq!(rendered, line);
        assert_eq!(ack(&rendered), a);
    }
}

#[test]
fn srv_and_harness_attach_forms_agree() {
    let srv = ack("ERR ATTACH reason=quota detail=throttled delay_ms=500");
    let harness = ack("ERR ATTACH reason=throttled delay_ms=500");
    assert_eq!(srv.cause(), Some("throttled"));
    assert_eq!(harness.cause(), Some("throttled"));
    assert_eq!(srv.delay_ms(), Some(500));
    assert_eq!(harness.delay_ms(), Some(500));
    assert_eq!(srv.reason(), Some("quota"));
    assert_eq!(srv.reason_class(), Some(ReasonClass::Quota));
    assert_eq!(harness.reason_class(), Some(ReasonClass::Other));
    assert_eq!(srv.detail(), Some("throttled"));
    assert_eq!(harness.detail(), None);

    let rl = ack("ERR ATTACH reason=quota detail=rate-limited delay_ms=90000");
    assert_eq!(rl.detail(), Some("rate-limited"));
    assert_eq!(rl.delay_ms(), Some(90000));

    let denied_srv = ack("ERR ATTACH reason=policy detail=denied");
    let denied_h = ack("ERR ATTACH reason=denied");
    assert_eq!(denied_srv.cause(), denied_h.cause());
    assert_eq!(denied_srv.reason_class(), Some(ReasonClass::Policy));
    assert!(denied_srv.is_for(Verb::Attach));
    assert!(!denied_srv.is_ok());

    let lc = ack("ERR ATTACH reason=policy detail=lifecycle-denied state=DRAINING");
    assert_eq!(lc.detail(), Some("lifecycle-denied"));
    assert_eq!(lc.field("state"), Some("DRAINING"));
}

#[test]
fn rest_of_line_keys() {
    let parse = ack("ERR PARSE reason=policy detail=missing required argument: path");
    assert_eq!(parse.detail(), Some("missing required argument: path"));
    assert!(parse.is_terminal_error());
    // detail= on PARSE runs to end even if the text held a key=value-looking word.
    let parse2 = ack("ERR PARSE reason=quota detail=rate-limited delay_ms=7");
    assert_eq!(parse2.detail(), Some("rate-limited delay_ms=7"));

    let cat = ack("OK CAT path=/proc/lifecycle/state data=state=ONLINE|x y=z");
    assert_eq!(cat.path(), Some("/proc/lifecycle/state"));
    assert_eq!(cat.data(), Some("state=ONLINE|x y=z"));

    let inv = ack("ERR CAT reason=policy detail=invalid-path path=/x error=invalid path");
    assert_eq!(inv.detail(), Some("invalid-path"));
    assert_eq!(inv.path(), Some("/x"));
    assert_eq!(inv.error_text(), Some("invalid path"));

    let uns =
        ack("ERR ECHO reason=policy detail=unsupported path=/a error=unsupported command: x=1 y");
    assert_eq!(uns.error_text(), Some("unsupported command: x=1 y"));

    let spawn = ack("OK SPAWN payload=heartbeat ticks=3");
    assert_eq!(spawn.field("payload"), Some("heartbeat ticks=3"));
    assert_eq!(spawn.field("ticks"), None);

    let ls = ack("OK LS path=/ entries=10");
    assert_eq!(ls.entries(), Some(10));
    assert_eq!(ack("OK ECHO path=/queen/ctl bytes=53").bytes(), Some(53));
    assert!(ack("OK BOOTINFO").is_for(Verb::Bi));
    assert_eq!(Verb::from_ack_label("BOOTINFO"), Some(Verb::Bi));
    assert_eq!(Verb::from_ack_label("BI"), None);
}

#[test]
fn fields_iterator_rules() {
    let got: Vec<_> = fields("reason=policy detail=denied path=/queen/ctl error=EPERM").collect();
    assert_eq!(
        got,
        vec![
            ("reason", "policy"),
            ("detail", "denied"),
            ("path", "/queen/ctl"),
            ("error", "EPERM")
        ]
    );
    // Free words before the first key are skipped; values keep inner spaces.
    let got: Vec<_> = fields("ATTACH x=a b  c y=2").collect();
    assert_eq!(got, vec![("x", "a b  c"), ("y", "2")]);
    // Uppercase words with '=' are not keys.
    let got: Vec<_> = fields("k=A B=C").collect();
    assert_eq!(got, vec![("k", "A B=C")]);
    assert_eq!(fields("").count(), 0);
    assert_eq!(fields("   ").count(), 0);
    // Empty value.
    let got: Vec<_> = fields("a= b=1").collect();
    assert_eq!(got, vec![("a", ""), ("b", "1")]);
    // A bare detail has no fields.
    assert_eq!(ack("OK  ATTACH").fields().count(), 0);
    assert_eq!(ack("OK AUTH").fields().count(), 0);
}

#[test]
fn spec_3_3_refusal_shapes() {
    // (line, reason, detail, path, error)
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let rows: &[Row<'_>] = &[
        (
            "ERR CAT reason=policy path=/proc/x error=EPERM",
            Some("policy"),
            None,
            Some("/proc/x"),
            Some("EPERM"),
        ),
        (
            "ERR TAIL reason=quota path=/log/queen.log error=ELIMIT",
            Some("quota"),
            None,
            Some("/log/queen.log"),
            Some("ELIMIT"),
        ),
        (
            "ERR TAIL reason=policy detail=invalid-path path=/nope",
            Some("policy"),
            Some("invalid-path"),
            Some("/nope"),
            None,
        ),
        (
            "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM",
            Some("policy"),
            Some("denied"),
            Some("/queen/ctl"),
            Some("EPERM"),
        ),
        (
            "ERR LS reason=quota detail=buffer-full path=/shard error=buffer full",
            Some("quota"),
            Some("buffer-full"),
            Some("/shard"),
            Some("buffer full"),
        ),
        (
            "ERR SPAWN reason=policy detail=invalid-payload error=invalid payload",
            Some("policy"),
            Some("invalid-payload"),
            None,
            Some("invalid payload"),
        ),
        (
            "ERR ATTACH reason=busy detail=attach-timeout error=attach handshake timed out",
            Some("busy"),
            Some("attach-timeout"),
            None,
            Some("attach handshake timed out"),
        ),
        (
            "ERR CAT reason=policy detail=ninedoor-unavailable",
            Some("policy"),
            Some("ninedoor-unavailable"),
            None,
            None,
        ),
        (
            "ERR LS reason=cut detail=root-unreachable",
            Some("cut"),
            Some("root-unreachable"),
            None,
            None,
        ),
        (
            "ERR PARSE reason=policy detail=ack-truncated",
            Some("policy"),
            Some("ack-truncated"),
            None,
            None,
        ),
        (
            "ERR LS reason=policy detail=unauthenticated",
            Some("policy"),
            Some("unauthenticated"),
            None,
            None,
        ),
        (
            "ERR ATTACH reason=unauthenticated",
            Some("unauthenticated"),
            None,
            None,
            None,
        ),
        (
            "ERR CONSOLE reason=timeout",
            Some("timeout"),
            None,
            None,
            None,
        ),
        (
            "ERR AUTH reason=invalid-length",
            Some("invalid-length"),
            None,
            None,
            None,
        ),
        (
            "ERR TEST reason=policy detail=host-only",
            Some("policy"),
            Some("host-only"),
            None,
            None,
        ),
    ];
    for &(line, reason, detail, path, error) in rows {
        let a = ack(line);
        assert_eq!(a.status, Status::Err, "{line}");
        assert_eq!(
            (a.reason(), a.detail(), a.path(), a.error_text()),
            (reason, detail, path, error),
            "{line}"
        );
    }
    assert_eq!(
        ack("ERR LS reason=cut detail=root-unreachable").reason_class(),
        Some(ReasonClass::Cut)
    );
    assert_eq!(
        ack("ERR X reason=busy").reason_class(),
        Some(ReasonClass::Busy)
    );
    assert!(ack("ERR FRAME reason=invalid-length").is_terminal_error());
    assert!(!ack("ERR LS reason=cut").is_terminal_error());
    assert!(!ack("OK PARSE").is_terminal_error());
}
