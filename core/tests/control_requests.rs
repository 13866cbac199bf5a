//! Control payloads of the orchestrator (host-surface §2.4): exact JSON bytes, every
//! validation message, strict decoding.

use cohesix_core::control::{
    ApprovalRequest, ControlError, ControlLine, Decision, ExportOp, ExportRequest, JsonError,
    LeaseOp, LeaseRequest, ScheduleRequest,
};

fn enc<T: ControlLine>(p: &T) -> String {
    let mut buf = [0u8; 512];
    let n = p.encode(&mut buf).expect("encodes");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn err<T: ControlLine>(p: &T) -> String {
    let mut buf = [0u8; 512];
    p.encode(&mut buf).expect_err("refused").to_string()
}

// ---- schedule --------------------------------------------------------------------------

#[test]
fn schedule_golden_bytes() {
    let s = ScheduleRequest::new(" sched-edge-1 ", "worker-gpu")
        .priority(6)
        .ticks(6)
        .budget_ms(180);
    assert_eq!(
        enc(&s),
        r#"{"id":"sched-edge-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}"#
    );
    assert_eq!(
        <ScheduleRequest<'_> as ControlLine>::PATH,
        "/queen/schedule/ctl"
    );
    assert_eq!(<ScheduleRequest<'_> as ControlLine>::MAX_LINE_BYTES, 8192);
}

#[test]
fn schedule_validation_messages() {
    let ok = ScheduleRequest::new("s", "r")
        .priority(1)
        .ticks(1)
        .budget_ms(1);
    let x33 = "x".repeat(33);
    assert_eq!(ok.validate(), Ok(()));
    let cases: [(ScheduleRequest<'_>, &str); 8] = [
        (
            ScheduleRequest {
                request_id: "",
                ..ok
            },
            "request_id must not be empty",
        ),
        (
            ScheduleRequest {
                request_id: &x33,
                ..ok
            },
            "request_id exceeds 32 bytes",
        ),
        (
            ScheduleRequest {
                request_id: "a/b",
                ..ok
            },
            "request_id must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            ScheduleRequest::new("s", "  ")
                .priority(1)
                .ticks(1)
                .budget_ms(1),
            "role must not be empty",
        ),
        (
            ScheduleRequest {
                role: "wörker",
                ..ok
            },
            "role must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            ScheduleRequest::new("s", "r").ticks(1).budget_ms(1),
            "priority must be > 0",
        ),
        (
            ScheduleRequest::new("s", "r").priority(1).budget_ms(1),
            "ticks must be > 0",
        ),
        (
            ScheduleRequest::new("s", "r").priority(1).ticks(1),
            "budget_ms must be > 0",
        ),
    ];
    for (req, msg) in cases {
        assert_eq!(err(&req), msg);
    }
}

#[test]
fn schedule_decode_is_strict_and_round_trips() {
    let line = br#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#;
    let s = ScheduleRequest::decode(line).unwrap();
    assert_eq!(
        s,
        ScheduleRequest::new("job-1", "worker-gpu")
            .priority(5)
            .ticks(10)
            .budget_ms(200)
    );
    assert_eq!(enc(&s).as_bytes(), line);
    // Trailing newline and whitespace are fine.
    assert!(ScheduleRequest::decode(
        b" {\"id\":\"a\",\"role\":\"r\",\"priority\":1,\"ticks\":1,\"budget_ms\":1}\n"
    )
    .is_ok());
    let bad: [(&[u8], ControlError); 6] = [
        (
            br#"{"id":"j","role":"r","priority":1,"ticks":1,"budget_ms":1,"x":0}"#,
            ControlError::Json(JsonError::Fields),
        ),
        (
            br#"{"id":"j","role":"r","priority":1,"ticks":1}"#,
            ControlError::Json(JsonError::Fields),
        ),
        (
            br#"{"id":"j","role":"r","priority":"1","ticks":1,"budget_ms":1}"#,
            ControlError::Json(JsonError::WrongType),
        ),
        (
            br#"{"id":"j","role":"r","priority":0,"ticks":1,"budget_ms":1}"#,
            ControlError::NotPositive { field: "priority" },
        ),
        (
            br#"{"id":"j\u002d","role":"r","priority":1,"ticks":1,"budget_ms":1}"#,
            ControlError::Escaped {
                field: "request_id",
            },
        ),
        (
            br#"{"id":"j","role":"r","priority":1,"ticks":1,"budget_ms":1} x"#,
            ControlError::Json(JsonError::Trailing),
        ),
    ];
    for (line, e) in bad {
        assert_eq!(
            ScheduleRequest::decode(line),
            Err(e),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn schedule_max_len_is_exact() {
    let id = "i".repeat(32);
    let s = ScheduleRequest::new(&id, &id)
        .priority(u32::MAX)
        .ticks(u32::MAX)
        .budget_ms(u32::MAX);
    assert_eq!(enc(&s).len(), ScheduleRequest::MAX_LEN);
    let mut small = [0u8; ScheduleRequest::MAX_LEN - 1];
    assert_eq!(
        s.encode(&mut small),
        Err(ControlError::BufferTooSmall {
            available: ScheduleRequest::MAX_LEN - 1
        })
    );
}

// ---- lease -----------------------------------------------------------------------------

#[test]
fn lease_golden_bytes() {
    assert_eq!(
        enc(&LeaseRequest::grant("lease-edge-1", "queen", "gpu0", 300).priority(6)),
        r#"{"op":"grant","id":"lease-edge-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":6}"#
    );
    assert_eq!(
        enc(&LeaseRequest::grant("lease-1", "queen", "gpu0", 300)),
        r#"{"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300}"#
    );
    assert_eq!(
        enc(&LeaseRequest::renew("lease-1", 600).priority(2)),
        r#"{"op":"renew","id":"lease-1","ttl_s":600,"priority":2}"#
    );
    assert_eq!(
        enc(&LeaseRequest::preempt("lease-1", "maintenance")),
        r#"{"op":"preempt","id":"lease-1","reason":"maintenance"}"#
    );
    assert_eq!(
        enc(&LeaseRequest::quota("queen", "gpu0", 4, 8)),
        r#"{"op":"quota","subject":"queen","resource":"gpu0","max_active":4,"max_preemptions":8}"#
    );
    // Every field set: the listed key order.
    let all = LeaseRequest {
        lease_id: Some("l"),
        reason: Some("why"),
        max_active: Some(1),
        max_preemptions: Some(2),
        ..LeaseRequest::grant("l", "s", "r", 3).priority(4)
    };
    assert_eq!(
        enc(&all),
        r#"{"op":"grant","id":"l","subject":"s","resource":"r","ttl_s":3,"priority":4,"reason":"why","max_active":1,"max_preemptions":2}"#
    );
    assert_eq!(<LeaseRequest<'_> as ControlLine>::PATH, "/queen/lease/ctl");
}

#[test]
fn lease_validation_messages() {
    let none = LeaseRequest::new;
    let r33 = "r".repeat(33);
    let cases: Vec<(LeaseRequest<'_>, &str)> = vec![
        (none(LeaseOp::Grant), "lease_id is required for op=grant"),
        (none(LeaseOp::Renew), "lease_id is required for op=renew"),
        (
            none(LeaseOp::Preempt),
            "lease_id is required for op=preempt",
        ),
        (
            LeaseRequest {
                lease_id: Some("l"),
                subject: Some("s"),
                ..none(LeaseOp::Grant)
            },
            "grant requires subject, resource, and ttl_s",
        ),
        (
            LeaseRequest {
                lease_id: Some("l"),
                ..none(LeaseOp::Renew)
            },
            "renew requires ttl_s",
        ),
        (
            LeaseRequest {
                lease_id: Some("l"),
                ..none(LeaseOp::Preempt)
            },
            "preempt requires reason",
        ),
        (none(LeaseOp::Quota), "quota requires subject and resource"),
        (
            LeaseRequest {
                subject: Some("s"),
                resource: Some("r"),
                max_active: Some(1),
                ..none(LeaseOp::Quota)
            },
            "quota requires max_active and max_preemptions",
        ),
        (
            LeaseRequest::quota("s", "r", 0, 1),
            "max_active must be > 0",
        ),
        (
            LeaseRequest::quota("s", "r", 1, 0),
            "max_preemptions must be > 0",
        ),
        (LeaseRequest::grant("l", "s", "r", 0), "ttl_s must be > 0"),
        (
            LeaseRequest::grant("l", "s", "r", 1).priority(0),
            "priority must be > 0",
        ),
        (
            LeaseRequest::grant("", "s", "r", 1),
            "lease_id must not be empty",
        ),
        (
            LeaseRequest::grant("l", "a b", "r", 1),
            "subject must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            LeaseRequest::grant("l", "s", &r33, 1),
            "resource exceeds 32 bytes",
        ),
        (
            LeaseRequest::preempt("l", "no way"),
            "reason must use ASCII token characters [A-Za-z0-9._-]",
        ),
        // quota needs no lease id, but one that is set must be a token.
        (
            LeaseRequest {
                lease_id: Some("x y"),
                ..LeaseRequest::quota("s", "r", 1, 1)
            },
            "lease_id must use ASCII token characters [A-Za-z0-9._-]",
        ),
    ];
    for (req, msg) in cases {
        assert_eq!(err(&req), msg, "{req:?}");
    }
    // Quota needs no lease id.
    assert_eq!(LeaseRequest::quota("s", "r", 1, 1).validate(), Ok(()));
}

#[test]
fn lease_op_parsing_follows_upstream() {
    assert_eq!(LeaseOp::parse(" GRANT "), Ok(LeaseOp::Grant));
    assert_eq!(LeaseOp::parse("Quota"), Ok(LeaseOp::Quota));
    assert_eq!(
        LeaseOp::parse("revoke").unwrap_err().to_string(),
        "lease op must be one of grant|renew|preempt|quota"
    );
    assert_eq!(
        LeaseOp::parse("").unwrap_err().to_string(),
        "op must not be empty"
    );
    assert_eq!(
        LeaseOp::parse(&"g".repeat(17)).unwrap_err().to_string(),
        "op exceeds 16 bytes"
    );
    assert_eq!(
        LeaseOp::parse("gr ant").unwrap_err().to_string(),
        "op must use ASCII token characters [A-Za-z0-9._-]"
    );
}

#[test]
fn lease_decode() {
    let line = br#"{"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":5}"#;
    let l = LeaseRequest::decode(line).unwrap();
    assert_eq!(
        l,
        LeaseRequest::grant("lease-1", "queen", "gpu0", 300).priority(5)
    );
    assert_eq!(enc(&l).as_bytes(), line);
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"revoke","id":"x"}"#),
        Err(ControlError::LeaseOp)
    );
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"GRANT","id":"x"}"#),
        Err(ControlError::LeaseOp)
    );
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"grant","id":"l2"}"#),
        Err(ControlError::GrantRequires)
    );
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"renew","id":"l","ttl_s":1,"ttl_s":2}"#),
        Err(ControlError::Json(JsonError::Fields))
    );
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"preempt","id":"l","reason":"a\"b"}"#),
        Err(ControlError::Escaped { field: "reason" })
    );
    assert_eq!(
        LeaseRequest::decode(br#"{"op":"renew","id":"l","ttl_s":4294967296}"#),
        Err(ControlError::Json(JsonError::Number))
    );
}

#[test]
fn lease_max_len_is_exact() {
    let id = "i".repeat(32);
    let all = LeaseRequest {
        lease_id: Some(&id),
        subject: Some(&id),
        resource: Some(&id),
        ttl_s: Some(u32::MAX),
        priority: Some(u32::MAX),
        reason: Some(&id),
        max_active: Some(u32::MAX),
        max_preemptions: Some(u32::MAX),
        op: LeaseOp::Preempt,
    };
    assert_eq!(enc(&all).len(), LeaseRequest::MAX_LEN);
}

// ---- export ----------------------------------------------------------------------------

#[test]
fn export_golden_bytes_messages_and_decode() {
    assert_eq!(
        enc(&ExportRequest::open("exp-1", 60)),
        r#"{"op":"open","id":"exp-1","ttl_s":60}"#
    );
    assert_eq!(
        enc(&ExportRequest::close("exp-1", "done")),
        r#"{"op":"close","id":"exp-1","reason":"done"}"#
    );
    let open = ExportRequest::open("e", 1);
    assert_eq!(
        err(&ExportRequest {
            ttl_s: None,
            ..open
        }),
        "open export request requires ttl_s"
    );
    assert_eq!(
        err(&ExportRequest {
            op: ExportOp::Close,
            ..open
        }),
        "close export request requires reason"
    );
    assert_eq!(
        err(&ExportRequest::open("", 1)),
        "export_id must not be empty"
    );
    assert_eq!(err(&ExportRequest::open("e", 0)), "ttl_s must be > 0");
    assert_eq!(
        err(&ExportRequest::close("e", "not done")),
        "reason must use ASCII token characters [A-Za-z0-9._-]"
    );
    assert_eq!(
        ExportOp::parse("shut").unwrap_err().to_string(),
        "export op must be one of open|close"
    );
    assert_eq!(ExportOp::parse(" Close"), Ok(ExportOp::Close));
    let line = br#"{"op":"open","id":"exp-1","ttl_s":60}"#;
    assert_eq!(
        ExportRequest::decode(line),
        Ok(ExportRequest::open("exp-1", 60))
    );
    assert_eq!(
        ExportRequest::decode(br#"{"op":"close","id":"e"}"#),
        Err(ControlError::CloseRequiresReason)
    );
    assert_eq!(
        ExportRequest::decode(br#"{"op":"seal","id":"e"}"#),
        Err(ControlError::ExportOp)
    );
    let id = "i".repeat(32);
    let max = ExportRequest {
        ttl_s: Some(u32::MAX),
        ..ExportRequest::close(&id, &id)
    };
    assert_eq!(enc(&max).len(), ExportRequest::MAX_LEN);
    assert_eq!(
        <ExportRequest<'_> as ControlLine>::PATH,
        "/queen/export/ctl"
    );
    assert_eq!(<ExportRequest<'_> as ControlLine>::MAX_LINE_BYTES, 2048);
}

// ---- approval --------------------------------------------------------------------------

#[test]
fn approval_golden_bytes_messages_and_decode() {
    assert_eq!(
        enc(&ApprovalRequest::approve("approve-1", "/queen/ctl")),
        r#"{"id":"approve-1","target":"/queen/ctl","decision":"approve"}"#
    );
    assert_eq!(
        enc(&ApprovalRequest::deny("a-2", "/host/systemd/x/restart")),
        r#"{"id":"a-2","target":"/host/systemd/x/restart","decision":"deny"}"#
    );
    assert_eq!(
        err(&ApprovalRequest::approve("a", "queen/ctl")),
        "paths must be absolute"
    );
    assert_eq!(
        err(&ApprovalRequest::approve("a", "/queen/../ctl")),
        "path component '..' is not permitted"
    );
    assert_eq!(
        err(&ApprovalRequest::approve(
            "a",
            &format!("/{}", "q".repeat(96))
        )),
        "path exceeds max length 96"
    );
    assert_eq!(
        err(&ApprovalRequest::approve("", "/queen/ctl")),
        "approval_id must not be empty"
    );
    assert_eq!(Decision::parse("APPROVE"), Ok(Decision::Approve));
    assert_eq!(Decision::parse(" deny "), Ok(Decision::Deny));
    assert_eq!(
        Decision::parse("maybe").unwrap_err().to_string(),
        "decision must be approve or deny"
    );
    assert_eq!(
        Decision::parse(&"d".repeat(17)).unwrap_err().to_string(),
        "decision exceeds 16 bytes"
    );
    assert_eq!(Decision::default(), Decision::Approve);
    let line = br#"{"id":"approve-1","target":"/queen/ctl","decision":"approve"}"#;
    assert_eq!(
        ApprovalRequest::decode(line),
        Ok(ApprovalRequest::approve("approve-1", "/queen/ctl"))
    );
    assert_eq!(
        ApprovalRequest::decode(br#"{"id":"a","target":"/queen/ctl","decision":"Approve"}"#),
        Err(ControlError::Decision)
    );
    assert_eq!(
        ApprovalRequest::decode(br#"{"id":"a","target":"/queen/ctl"}"#),
        Err(ControlError::Json(JsonError::Fields))
    );
    let id = "i".repeat(32);
    let path = format!("/{}/{}", "p".repeat(63), "q".repeat(31));
    assert_eq!(path.len(), 96);
    assert_eq!(
        enc(&ApprovalRequest::approve(&id, &path)).len(),
        ApprovalRequest::MAX_LEN
    );
    assert_eq!(<ApprovalRequest<'_> as ControlLine>::PATH, "/actions/queue");
}

/// Every message of host-surface §1.2, §2.4 and §4, spelled out once.
#[test]
fn every_upstream_message() {
    use ControlError as E;
    let table: [(ControlError, &str); 21] = [
        (E::Empty { field: "role" }, "role must not be empty"),
        (
            E::TooLong {
                field: "action",
                max: 64,
            },
            "action exceeds 64 bytes",
        ),
        (
            E::NotToken { field: "node" },
            "node must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            E::NotPositive { field: "budget_ms" },
            "budget_ms must be > 0",
        ),
        (
            E::LeaseOp,
            "lease op must be one of grant|renew|preempt|quota",
        ),
        (
            E::LeaseIdRequired {
                op: LeaseOp::Preempt,
            },
            "lease_id is required for op=preempt",
        ),
        (
            E::GrantRequires,
            "grant requires subject, resource, and ttl_s",
        ),
        (E::RenewRequiresTtl, "renew requires ttl_s"),
        (E::PreemptRequiresReason, "preempt requires reason"),
        (
            E::QuotaRequiresSubjectResource,
            "quota requires subject and resource",
        ),
        (
            E::QuotaRequiresLimits,
            "quota requires max_active and max_preemptions",
        ),
        (E::ExportOp, "export op must be one of open|close"),
        (E::OpenRequiresTtl, "open export request requires ttl_s"),
        (
            E::CloseRequiresReason,
            "close export request requires reason",
        ),
        (E::Decision, "decision must be approve or deny"),
        (E::ArgsNotObject, "host ticket args must be a JSON object"),
        (
            E::ExpiresNotPositive,
            "expires_unix_ms must be > 0 when set",
        ),
        (E::K8sVerb, "verb must be one of cordon|drain|lease-sync"),
        (
            E::DotComponent {
                field: "target",
                component: ".",
            },
            "path component '.' is not permitted",
        ),
        (
            E::Escaped { field: "id" },
            "id must be a plain JSON string (no escapes)",
        ),
        (
            E::WrongSchema {
                expected: "host-ticket/v1",
            },
            "schema must be host-ticket/v1",
        ),
    ];
    for (e, msg) in table {
        assert_eq!(e.to_string(), msg);
    }
    // Core error taxonomy: caller-built payloads are caller errors, peer data peer errors.
    let e: cohesix_core::error::Error = E::GrantRequires.into();
    assert!(matches!(e, cohesix_core::error::Error::Caller(_)));
    assert_eq!(
        e.to_string(),
        "invalid argument: grant requires subject, resource, and ttl_s"
    );
    assert!(matches!(
        E::LeaseOp.from_peer(),
        cohesix_core::error::Error::Peer(_)
    ));
}
