//! Server-side ticket checks (spec §2.3 steps 4 and 7, §4.6), secret redaction and error
//! classification.

use cohesix_core::role::{Role, ALL_ROLES};
use cohesix_core::ticket::{
    check_attach, check_limits, decode, mint, verify_for_role, AttachGrant, AttachRefusal, Claims,
    LimitViolation, Quotas, Scope, ScopeVerb, TicketActor, TicketBuf, TicketError, TicketKey,
    TicketLimits, TicketSecret, MAX_PAYLOAD_LEN, MAX_SECRET_LEN, MAX_TICKET_LEN,
};

const V2: &str = "cohesix-ticket-01010fe80300000000000010270000000000002c010000000000000800776f726b65722d310068e5cf8b01000000000000.f134e615612664333a0639b469b5b820de88df0824e2a0a6a3ebf9a51a582e16";
const V4: &str = "cohesix-ticket-010107e80300000000000010270000000000002c010000000000002a0000000000000000000000.96e10973e0f4e750318483e6264444fe8215972e83fe1c02b1488660999b16d3";

fn scope(path: &str, rate_per_s: u32) -> Scope<'_> {
    Scope {
        path,
        verb: ScopeVerb::ReadWrite,
        rate_per_s,
    }
}

#[test]
fn verify_for_role_checks_mac_then_role() {
    let worker = TicketKey::from_secret(b"worker");
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let claims = verify_for_role(V2, Role::WorkerHeartbeat, &worker, &mut buf).expect("valid");
    assert_eq!(claims.subject, Some("worker-1"));
    // Surrounding whitespace is trimmed by the server.
    let padded = format!(" {V2}  ");
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    assert!(verify_for_role(&padded, Role::WorkerHeartbeat, &worker, &mut buf).is_ok());
    // Right key, wrong role.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    assert_eq!(
        verify_for_role(V2, Role::WorkerBus, &worker, &mut buf),
        Err(TicketError::RoleMismatch {
            expected: Role::WorkerBus,
            found: Role::WorkerHeartbeat
        })
    );
    // Wrong key: the MAC fails before the role is looked at.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    assert_eq!(
        verify_for_role(
            V2,
            Role::WorkerBus,
            &TicketKey::from_secret(b"worker-bus"),
            &mut buf
        ),
        Err(TicketError::MacMismatch)
    );
    // The server does not require a subject (vector 4).
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let claims = verify_for_role(V4, Role::WorkerHeartbeat, &worker, &mut buf).expect("no subject");
    assert_eq!(claims.subject, None);
}

#[test]
fn every_single_bit_flip_of_the_mac_or_claims_fails() {
    let key = TicketKey::from_secret(b"worker");
    let dot = V2.find('.').expect("dot");
    for i in "cohesix-ticket-".len()..V2.len() {
        if i == dot {
            continue;
        }
        let mut bytes = V2.as_bytes().to_vec();
        let Some(c) = bytes.get_mut(i) else { continue };
        // Replace the hex digit by another valid one (xor 1 keeps it in 0-9 / a-f).
        *c = match *c {
            b'f' => b'e',
            b'9' => b'8',
            other => other ^ 1,
        };
        let token = String::from_utf8(bytes).expect("ascii");
        let mut buf = [0u8; MAX_PAYLOAD_LEN];
        let r = verify_for_role(&token, Role::WorkerHeartbeat, &key, &mut buf);
        assert!(r.is_err(), "flip at {i} verified");
    }
}

#[test]
fn limits_from_manifest() {
    let l = TicketLimits::MANIFEST;
    assert_eq!(
        (l.max_scopes, l.max_scope_path_len, l.max_scope_rate_per_s),
        (8, 128, 64)
    );
    assert_eq!(
        (l.bandwidth_bytes, l.cursor_resumes, l.cursor_advances),
        (131_072, 16, 256)
    );
    assert_eq!(TicketLimits::default(), l);
}

#[test]
fn missing_quotas_default_to_manifest_maximum() {
    let claims = Claims::new(Role::Queen, 0);
    let q = check_limits(&claims, &TicketLimits::MANIFEST).expect("fits");
    assert_eq!(
        q,
        Quotas {
            bandwidth_bytes: 131_072,
            cursor_resumes: 16,
            cursor_advances: 256
        }
    );
    let mut claims = Claims::new(Role::Queen, 0);
    claims.quotas.bandwidth_bytes = 4096;
    claims.quotas.cursor_advances = 3;
    let q = check_limits(&claims, &TicketLimits::MANIFEST).expect("fits");
    assert_eq!(
        q,
        Quotas {
            bandwidth_bytes: 4096,
            cursor_resumes: 16,
            cursor_advances: 3
        }
    );
    // With no manifest limits, unset stays 0 (= unlimited).
    assert_eq!(
        check_limits(&Claims::new(Role::Queen, 0), &TicketLimits::UNLIMITED),
        Ok(Quotas::default())
    );
}

#[test]
fn each_limit_violation() {
    let limits = TicketLimits::MANIFEST;
    let long_path = format!("/{}", "a".repeat(128));
    let ok_path = format!("/{}", "a".repeat(127));

    let mut c = Claims::new(Role::Queen, 0);
    for _ in 0..9 {
        c.scopes.push(scope("/log", 1)).expect("room");
    }
    assert_eq!(
        check_limits(&c, &limits),
        Err(LimitViolation::TooManyScopes { count: 9, max: 8 })
    );
    c.scopes.truncate(8);
    assert!(check_limits(&c, &limits).is_ok());

    let cases: [(Scope<'_>, Option<LimitViolation>); 8] = [
        (
            scope(&long_path, 1),
            Some(LimitViolation::ScopePathTooLong {
                index: 0,
                len: 129,
                max: 128,
            }),
        ),
        (scope(&ok_path, 1), None),
        (
            scope("log", 1),
            Some(LimitViolation::ScopePathNotAbsolute { index: 0 }),
        ),
        (
            scope("/log/../queen", 1),
            Some(LimitViolation::ScopePathTraversal { index: 0 }),
        ),
        (scope("/log/a..b", 1), None),
        (
            scope("/log", 65),
            Some(LimitViolation::ScopeRateTooHigh {
                index: 0,
                rate: 65,
                max: 64,
            }),
        ),
        (scope("/log", 64), None),
        (scope("/", 0), None),
    ];
    for (s, expected) in cases {
        let mut c = Claims::new(Role::WorkerBus, 0);
        c.scopes.push(s).expect("room");
        assert_eq!(check_limits(&c, &limits).err(), expected, "scope {s:?}");
    }

    let quota_cases = [
        (
            Quotas {
                bandwidth_bytes: 131_073,
                ..Quotas::default()
            },
            Some(LimitViolation::BandwidthTooHigh {
                requested: 131_073,
                max: 131_072,
            }),
        ),
        (
            Quotas {
                cursor_resumes: 17,
                ..Quotas::default()
            },
            Some(LimitViolation::CursorResumesTooHigh {
                requested: 17,
                max: 16,
            }),
        ),
        (
            Quotas {
                cursor_advances: 257,
                ..Quotas::default()
            },
            Some(LimitViolation::CursorAdvancesTooHigh {
                requested: 257,
                max: 256,
            }),
        ),
        (
            Quotas {
                bandwidth_bytes: 131_072,
                cursor_resumes: 16,
                cursor_advances: 256,
            },
            None,
        ),
    ];
    for (q, expected) in quota_cases {
        let mut c = Claims::new(Role::Queen, 0);
        c.quotas = q;
        assert_eq!(check_limits(&c, &limits).err(), expected, "quotas {q:?}");
    }
    // Unlimited manifest accepts everything.
    let mut c = Claims::new(Role::Queen, 0);
    c.quotas.bandwidth_bytes = u64::MAX;
    c.scopes.push(scope("/x", u32::MAX)).expect("room");
    assert!(check_limits(&c, &TicketLimits::UNLIMITED).is_ok());
}

#[test]
fn check_attach_outcomes() {
    let limits = TicketLimits::MANIFEST;
    let queen = TicketKey::from_secret(b"bootstrap");
    let worker = TicketKey::from_secret(b"worker");
    let now = 5_000;

    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    for t in [None, Some(""), Some("  ")] {
        assert_eq!(
            check_attach(Role::Queen, t, &queen, &limits, now, &mut buf),
            Ok(None)
        );
        let r = check_attach(Role::WorkerHeartbeat, t, &worker, &limits, now, &mut buf);
        assert_eq!(r, Err(AttachRefusal::Denied(None)));
    }

    // A valid worker ticket, issued at 42 with ttl 300 s (vector 4).
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    match check_attach(
        Role::WorkerHeartbeat,
        Some(V4),
        &worker,
        &limits,
        now,
        &mut buf,
    ) {
        Ok(Some(AttachGrant { claims, quotas })) => {
            assert_eq!(claims.issued_at_ms, 42);
            assert_eq!(quotas.bandwidth_bytes, 131_072);
        }
        other => panic!("unexpected {other:?}"),
    }
    // Expiry fires at exactly issued + ttl*1000.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let r = check_attach(
        Role::WorkerHeartbeat,
        Some(V4),
        &worker,
        &limits,
        300_042,
        &mut buf,
    );
    assert_eq!(r, Err(AttachRefusal::Expired));
    assert_eq!(
        (
            AttachRefusal::Expired.reason(),
            AttachRefusal::Expired.detail()
        ),
        ("quota", "expired")
    );
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    assert!(check_attach(
        Role::WorkerHeartbeat,
        Some(V4),
        &worker,
        &limits,
        300_041,
        &mut buf
    )
    .is_ok());

    // Wrong key is denied, and counts as a failed validation.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let r = check_attach(
        Role::WorkerHeartbeat,
        Some(V4),
        &queen,
        &limits,
        now,
        &mut buf,
    );
    let refusal = r.expect_err("denied");
    assert_eq!(
        refusal,
        AttachRefusal::Denied(Some(TicketError::MacMismatch))
    );
    assert_eq!((refusal.reason(), refusal.detail()), ("policy", "denied"));
    assert!(refusal.is_failed_validation());

    // Claims over the limits: quota / invalid-claims, not a failed validation.
    let mut claims = Claims::new(Role::Queen, 0);
    claims.quotas.cursor_resumes = 17;
    let token = TicketBuf::mint(&claims, &queen).expect("mint");
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let refusal = check_attach(
        Role::Queen,
        Some(token.as_str()),
        &queen,
        &limits,
        now,
        &mut buf,
    )
    .expect_err("invalid claims");
    assert_eq!(
        refusal,
        AttachRefusal::InvalidClaims(LimitViolation::CursorResumesTooHigh {
            requested: 17,
            max: 16
        })
    );
    assert_eq!(
        (refusal.reason(), refusal.detail()),
        ("quota", "invalid-claims")
    );
    assert!(!refusal.is_failed_validation());
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let secret = "super-secret-value";
    let key = TicketKey::from_secret(secret.as_bytes());
    let key_dbg = format!("{key:?}");
    assert_eq!(key_dbg, "TicketKey(<redacted>)");
    let wrapped = TicketSecret::from_text(secret);
    assert_eq!(format!("{wrapped:?}"), "TicketSecret(<redacted>)");
    assert_eq!(wrapped.len(), secret.len());
    assert_eq!(
        wrapped.key().expose_secret_bytes(),
        key.expose_secret_bytes()
    );

    let claims = Claims::for_role(Role::WorkerLora, Some("lora-7"), 9).expect("claims");
    let token = TicketBuf::mint(&claims, &key).expect("mint");
    let token_dbg = format!("{token:?}");
    assert!(!token_dbg.contains("cohesix-ticket-"), "{token_dbg}");
    let mac_hex = token.as_str().split_once('.').expect("dot").1;

    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let decoded = decode(token.as_str(), &mut buf).expect("decode");
    let ticket_dbg = format!("{decoded:?}");
    assert!(!ticket_dbg.contains(mac_hex), "{ticket_dbg}");
    assert!(ticket_dbg.contains("redacted"));
    assert!(
        ticket_dbg.contains("lora-7"),
        "claims are not secret: {ticket_dbg}"
    );

    let err = decoded
        .verify(&TicketKey::from_secret(b"other"))
        .expect_err("mismatch");
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(secret) && !text.contains(mac_hex), "{text}");
    }
}

#[test]
fn secret_length_rule_and_error_classes() {
    let long = vec![b's'; MAX_SECRET_LEN + 1];
    assert!(matches!(
        TicketKey::from_registered_secret(&long),
        Err(TicketError::SecretTooLong)
    ));
    assert!(TicketKey::from_registered_secret(&long[..MAX_SECRET_LEN]).is_ok());

    assert_eq!(TicketError::MalformedToken.actor(), TicketActor::Config);
    assert_eq!(
        TicketError::MalformedToken.actor_server_side(),
        TicketActor::Peer
    );
    assert_eq!(TicketError::MacMismatch.actor(), TicketActor::Config);
    assert_eq!(
        TicketError::MacMismatch.actor_server_side(),
        TicketActor::Peer
    );
    assert_eq!(
        cohesix_core::ticket::NormalizeError::Missing.actor(),
        TicketActor::Config
    );
    assert_eq!(
        TicketError::BufferTooSmall {
            needed: 3,
            available: 2
        }
        .actor(),
        TicketActor::Resource
    );
    assert!(TicketError::Truncated.is_codec());
    assert!(!TicketError::MacMismatch.is_codec());
    for e in [
        TicketError::MissingPrefix,
        TicketError::InvalidMacLength(33),
        TicketError::RoleMismatch {
            expected: Role::Queen,
            found: Role::WorkerGpu,
        },
        TicketError::TooLong(224),
    ] {
        assert!(!format!("{e}").is_empty());
    }
    assert_eq!(
        format!("{}", TicketError::InvalidMacLength(33)),
        "ticket MAC is 33 bytes, expected 32"
    );
}

#[test]
fn mint_respects_buffers_and_all_roles_round_trip() {
    for role in ALL_ROLES {
        let key = TicketKey::from_secret(role.label().as_bytes());
        let claims = Claims::for_role(role, Some("node-1"), 1).expect("claims");
        let mut out = [0u8; MAX_TICKET_LEN];
        let token = mint(&claims, &key, &mut out).expect("mint");
        let len = token.len();
        assert!(token.bytes().all(|b| !b.is_ascii_uppercase()));
        let mut small = vec![0u8; len - 1];
        assert_eq!(
            mint(&claims, &key, &mut small),
            Err(TicketError::BufferTooSmall {
                needed: len,
                available: len - 1
            })
        );
        assert!(small.iter().all(|&b| b == 0), "out untouched on error");
        let mut buf = [0u8; MAX_PAYLOAD_LEN];
        let back = verify_for_role(token, role, &key, &mut buf).expect("verify");
        assert_eq!(back, claims);
        // Decoding into a too-small buffer is a typed error.
        let payload_len = (len - 80) / 2;
        let mut tiny = vec![0u8; payload_len - 1];
        assert_eq!(
            decode(token, &mut tiny).err(),
            Some(TicketError::BufferTooSmall {
                needed: payload_len,
                available: payload_len - 1
            })
        );
    }
}
