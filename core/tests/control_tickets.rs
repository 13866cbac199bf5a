//! `host-ticket/v1` and K8s RBAC intents (host-surface §4): exact bytes, messages, the
//! compact K8s form and its bound.

use cohesix_core::control::host_ticket::{ACTION_ALLOWLIST, MAX_ARGS};
use cohesix_core::control::{
    ArgValue, Args, ControlError, ControlLine, HostTicket, JsonError, K8sRbacIntent, K8sVerb,
};
use cohesix_generated::console::MAX_ECHO_LEN;

fn enc(t: &HostTicket<'_>) -> String {
    let mut buf = [0u8; 1024];
    let n = t.encode(&mut buf).expect("encodes");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn err(t: &HostTicket<'_>) -> String {
    t.validate().expect_err("refused").to_string()
}

#[test]
fn host_ticket_golden_bytes() {
    assert_eq!(
        enc(&HostTicket::new("t-1", "k-1", "systemd.restart")),
        r#"{"schema":"host-ticket/v1","id":"t-1","idempotency_key":"k-1","action":"systemd.restart"}"#
    );
    let full = HostTicket::new(" t-2 ", "k-2", "gpu.lease.grant")
        .target("/gpu/GPU-0/lease")
        .arg("gpu_id", "GPU-0")
        .arg("mem_mb", 4096u32)
        .arg("dry_run", false)
        .expires_unix_ms(1_700_000_000_000);
    assert_eq!(
        enc(&full),
        r#"{"schema":"host-ticket/v1","id":"t-2","idempotency_key":"k-2","action":"gpu.lease.grant","target":"/gpu/GPU-0/lease","args":{"gpu_id":"GPU-0","mem_mb":4096,"dry_run":false},"expires_unix_ms":1700000000000}"#
    );
    assert!(full.action_allowed());
    assert!(!HostTicket::new("t", "k", "rm.rf").action_allowed());
    assert_eq!(ACTION_ALLOWLIST.len(), 16);
    assert_eq!(<HostTicket<'_> as ControlLine>::PATH, "/host/tickets/spec");
    assert_eq!(<HostTicket<'_> as ControlLine>::MAX_LINE_BYTES, 2048);
}

#[test]
fn host_ticket_validation_messages() {
    let t = HostTicket::new("t", "k", "a");
    let a65 = "a".repeat(65);
    let cases = [
        (HostTicket::new("", "k", "a"), "ticket_id must not be empty"),
        (
            HostTicket::new("t", "k:1", "a"),
            "idempotency_key must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (HostTicket::new("t", "k", &a65), "action exceeds 64 bytes"),
        (t.clone().target("host/x"), "paths must be absolute"),
        (
            t.clone().expires_unix_ms(0),
            "expires_unix_ms must be > 0 when set",
        ),
        (
            t.clone().arg("a", "1").arg("a", "2"),
            "host ticket args repeat a key",
        ),
        (
            t.clone().arg("bad key", "1"),
            "args key must use ASCII token characters [A-Za-z0-9._-]",
        ),
    ];
    for (ticket, msg) in cases {
        assert_eq!(err(&ticket), msg);
    }
    assert_eq!(
        HostTicket::new("t", "k", &"a".repeat(64)).validate(),
        Ok(())
    );
    // Capacity: the ninth arg is recorded as overflow, not dropped silently.
    let keys = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let mut args = Args::new();
    for k in &keys[..MAX_ARGS] {
        args.push(k, 1u32);
    }
    assert_eq!(args.validate(), Ok(()));
    args.push("i", 1u32);
    assert_eq!(args.validate(), Err(ControlError::TooManyArgs { max: 8 }));
    assert_eq!(
        HostTicket { args, ..t }.validate().unwrap_err().to_string(),
        "host ticket args exceed 8 entries"
    );
}

#[test]
fn host_ticket_decode() {
    let line = br#"{"schema":"host-ticket/v1","id":"t-2","idempotency_key":"k-2","action":"gpu.lease.grant","target":"/gpu/GPU-0/lease","args":{"gpu_id":"GPU-0","mem_mb":4096,"dry_run":false},"expires_unix_ms":1700000000000}"#;
    let t = HostTicket::decode(line).unwrap();
    assert_eq!(t.args.get("gpu_id"), Some(ArgValue::Str("GPU-0")));
    assert_eq!(t.args.get("mem_mb"), Some(ArgValue::U64(4096)));
    assert_eq!(t.args.get("dry_run"), Some(ArgValue::Bool(false)));
    assert_eq!(t.target, Some("/gpu/GPU-0/lease"));
    assert_eq!(enc(&t).as_bytes(), line);
    let minimal = HostTicket::decode(
        br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a"}"#,
    )
    .unwrap();
    assert!(minimal.args.is_empty());
    let bad: [(&[u8], ControlError); 7] = [
        (
            br#"{"schema":"host-ticket/v2","id":"t","idempotency_key":"k","action":"a"}"#,
            ControlError::WrongSchema { expected: "host-ticket/v1" },
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","args":[1]}"#,
            ControlError::ArgsNotObject,
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","args":"x"}"#,
            ControlError::ArgsNotObject,
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","args":{"n":{"x":1}}}"#,
            ControlError::ArgValue,
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","args":{"n":-1}}"#,
            ControlError::ArgValue,
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","args":{"n":"a\nb"}}"#,
            ControlError::Escaped { field: "args value" },
        ),
        (
            br#"{"schema":"host-ticket/v1","id":"t","idempotency_key":"k","action":"a","owner":"x"}"#,
            ControlError::Json(JsonError::Fields),
        ),
    ];
    for (line, e) in bad {
        assert_eq!(
            HostTicket::decode(line),
            Err(e),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

// ---- K8s -------------------------------------------------------------------------------

#[test]
fn k8s_verbs() {
    assert_eq!(K8sVerb::parse(" Lease-Sync "), Ok(K8sVerb::LeaseSync));
    assert_eq!(K8sVerb::LeaseSync.action(), "k8s.lease.sync");
    assert_eq!(K8sVerb::Cordon.action(), "k8s.cordon");
    assert_eq!(K8sVerb::Drain.action(), "k8s.drain");
    assert_eq!(
        K8sVerb::parse("uncordon").unwrap_err().to_string(),
        "verb must be one of cordon|drain|lease-sync"
    );
    assert_eq!(
        K8sVerb::parse(&"v".repeat(33)).unwrap_err().to_string(),
        "verb exceeds 32 bytes"
    );
}

#[test]
fn k8s_compact_ticket_matches_upstream_post_09_bytes() {
    // Upstream's own test intent. Reference bytes computed with Python's hashlib/json.
    let intent = K8sRbacIntent::new("intent-1", "ops-user", "edge-a", "node-1", K8sVerb::Cordon);
    let ticket = intent.ticket().unwrap();
    assert_eq!(ticket.idempotency_key(), "k8s1576de27");
    let mut buf = [0u8; 256];
    let n = ticket.encode(&mut buf).unwrap();
    assert_eq!(
        std::str::from_utf8(&buf[..n]).unwrap(),
        r#"{"schema":"host-ticket/v1","id":"intent-1","idempotency_key":"k8s1576de27","action":"k8s.cordon","args":{"node":"node-1"}}"#
    );
    assert_eq!(n, 122);
    assert_eq!(ticket.encoded_len(), n);
    assert_eq!(ticket.intent(), &intent);
    // The key covers intent id, verb and node only (upstream post-0.9).
    let k = |id, verb, node| {
        K8sRbacIntent::new(id, "s", "n", node, verb)
            .ticket()
            .unwrap()
            .idempotency_key()
            .to_owned()
    };
    assert_eq!(k("intent-2", K8sVerb::Drain, "node-7"), "k8sb6800cb3");
    assert_eq!(k("i3", K8sVerb::LeaseSync, "node-7"), "k8s27a7c283");
    // reason/ttl_s are validated but not sent, so they do not change the line.
    let with = intent.reason("maintenance").ttl_s(300).ticket().unwrap();
    let mut buf2 = [0u8; 256];
    let n2 = with.encode(&mut buf2).unwrap();
    assert_eq!(&buf2[..n2], &buf[..n]);
    // The ticket decodes as a host ticket.
    let back = HostTicket::decode(&buf[..n]).unwrap();
    assert_eq!(back.args.get("node"), Some(ArgValue::Str("node-1")));
    assert_eq!(back.target, None);
}

#[test]
fn k8s_upstream_09_form_was_231_bytes() {
    // The 0.9 translation, rebuilt with the generic ticket type, for the record.
    let old = HostTicket::new("intent-1", "intent-1.cordon", "k8s.cordon")
        .target("/host/k8s/node/node-1/cordon")
        .arg("node", "node-1")
        .arg("subject", "ops-user")
        .arg("namespace", "edge-a")
        .arg("intent_id", "intent-1");
    let mut buf = [0u8; 512];
    assert_eq!(old.encode(&mut buf).unwrap(), 231);
}

#[test]
fn k8s_ticket_over_the_echo_bound_is_a_typed_error() {
    // 98 fixed bytes + id + action + node.
    let len =
        |id: &str, verb: K8sVerb, node: &str| 98 + id.len() + verb.action().len() + node.len();
    let fits = K8sRbacIntent::new("i-1234", "s", "n", "node-1", K8sVerb::LeaseSync);
    assert_eq!(
        fits.ticket().unwrap().encoded_len(),
        len("i-1234", K8sVerb::LeaseSync, "node-1")
    );
    let id = "i".repeat(16);
    let node = "n".repeat(11);
    let over = K8sRbacIntent::new(&id, "s", "n", &node, K8sVerb::LeaseSync);
    let e = over.ticket().unwrap_err();
    assert_eq!(e, ControlError::K8sTicketTooLong { len: 139, max: 128 });
    assert_eq!(len(&id, K8sVerb::LeaseSync, &node), 139);
    assert_eq!(
        e.to_string(),
        "k8s intent ticket of 139 bytes exceeds the 128-byte console echo bound"
    );
    // Exactly at the bound, and one byte over.
    let edge = K8sRbacIntent::new("intent-0001", "s", "n", "edge-n-01", K8sVerb::Cordon);
    assert_eq!(edge.ticket().unwrap().encoded_len(), MAX_ECHO_LEN);
    let one_over = K8sRbacIntent::new("intent-0001", "s", "n", "edge-n-012", K8sVerb::Cordon);
    assert_eq!(
        one_over.ticket(),
        Err(ControlError::K8sTicketTooLong { len: 129, max: 128 })
    );
    // The longest identifiers can never fit; the error says so instead of truncating.
    let id = "i".repeat(32);
    assert!(K8sRbacIntent::new(&id, "s", "n", &id, K8sVerb::Drain)
        .ticket()
        .is_err());
}

#[test]
fn k8s_intent_validation_messages() {
    let ok = K8sRbacIntent::new("i", "s", "n", "node", K8sVerb::Drain);
    let cases = [
        (
            K8sRbacIntent {
                intent_id: "",
                ..ok
            },
            "intent_id must not be empty",
        ),
        (
            K8sRbacIntent {
                subject: "ops user",
                ..ok
            },
            "subject must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            K8sRbacIntent {
                namespace: "",
                ..ok
            },
            "namespace must not be empty",
        ),
        (
            K8sRbacIntent {
                node: "node/1",
                ..ok
            },
            "node must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (
            ok.reason("a b"),
            "reason must use ASCII token characters [A-Za-z0-9._-]",
        ),
        (ok.ttl_s(0), "ttl_s must be > 0"),
    ];
    for (intent, msg) in cases {
        assert_eq!(intent.ticket().unwrap_err().to_string(), msg);
    }
}
