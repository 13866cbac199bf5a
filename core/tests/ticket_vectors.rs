//! Spec §8.5 ticket vectors: byte-exact minting, decoding, key check, decode errors and
//! normalisation results.

use cohesix_core::role::Role;
use cohesix_core::ticket::{
    self, decode, mint, normalize, Budget, Claims, NormalizeError, Quotas, Scope, ScopeVerb,
    TicketError, TicketKey, MAX_PAYLOAD_LEN, MAX_TICKET_LEN,
};

const ISSUED: u64 = 1_700_000_000_000;

const V1: &str = "cohesix-ticket-0100000068e5cf8b01000000000000.f653b7d5f0da7e444cbba662bdb2a4ce6e675f20f9b26541be48e246c43ad1a1";
const V2: &str = "cohesix-ticket-01010fe80300000000000010270000000000002c010000000000000800776f726b65722d310068e5cf8b01000000000000.f134e615612664333a0639b469b5b820de88df0824e2a0a6a3ebf9a51a582e16";
const V3: &str = "cohesix-ticket-01020e4000000000000000780000000000000005006770752d310068e5cf8b01000000000000.a2acd977a41a3e47603b2cf86f07c656b2dd81cb70c47b134f5f43a0169037e5";
const V4: &str = "cohesix-ticket-010107e80300000000000010270000000000002c010000000000002a0000000000000000000000.96e10973e0f4e750318483e6264444fe8215972e83fe1c02b1488660999b16d3";
const V5: &str = "cohesix-ticket-010038020075690100000000000000000000000104002f6c6f67000500000000100000000000000000000003000000.58efc1b5d2352a50cf5631296c9caf3c09a0959231c58b3d4031bc55a801340f";

const M0: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn v1_claims() -> Claims<'static> {
    Claims::new(Role::Queen, ISSUED)
}

fn v2_claims() -> Claims<'static> {
    let mut c = Claims::new(Role::WorkerHeartbeat, ISSUED);
    c.budget = Budget {
        ticks: Some(1000),
        ops: Some(10_000),
        ttl_s: Some(300),
    };
    c.subject = Some("worker-1");
    c
}

fn v3_claims() -> Claims<'static> {
    let mut c = Claims::new(Role::WorkerGpu, ISSUED);
    c.budget = Budget {
        ticks: None,
        ops: Some(64),
        ttl_s: Some(120),
    };
    c.subject = Some("gpu-1");
    c
}

fn v4_claims() -> Claims<'static> {
    let mut c = Claims::new(Role::WorkerHeartbeat, 42);
    c.budget = Budget::default_for(Role::WorkerHeartbeat);
    c
}

fn v5_claims() -> Claims<'static> {
    let mut c = Claims::new(Role::Queen, 1);
    c.subject = Some("ui");
    c.scopes
        .push(Scope {
            path: "/log",
            verb: ScopeVerb::Read,
            rate_per_s: 5,
        })
        .expect("one scope fits");
    c.quotas = Quotas {
        bandwidth_bytes: 4096,
        cursor_resumes: 0,
        cursor_advances: 3,
    };
    c
}

fn vectors() -> [(Claims<'static>, &'static str, &'static str, usize); 5] {
    [
        (v1_claims(), "bootstrap", V1, 110),
        (v2_claims(), "worker", V2, 178),
        (v3_claims(), "worker-gpu", V3, 156),
        (v4_claims(), "worker", V4, V4.len()),
        (v5_claims(), "bootstrap", V5, V5.len()),
    ]
}

#[test]
fn mint_reproduces_all_five_vectors_byte_exact() {
    for (claims, secret, expected, len) in vectors() {
        let key = TicketKey::from_secret(secret.as_bytes());
        let mut out = [0u8; MAX_TICKET_LEN];
        let token = mint(&claims, &key, &mut out).expect("mint");
        assert_eq!(token, expected, "secret {secret}");
        assert_eq!(token.len(), len);
        assert_eq!(ticket::token_len(claims_len(&claims)), len);
    }
}

fn claims_len(claims: &Claims<'_>) -> usize {
    ticket::codec::encoded_len(claims).expect("encodable")
}

#[test]
fn decode_gives_listed_claims_and_verifies() {
    for (claims, secret, token, _) in vectors() {
        let key = TicketKey::from_secret(secret.as_bytes());
        let mut buf = [0u8; MAX_PAYLOAD_LEN];
        let decoded = decode(token, &mut buf).expect("decode");
        assert_eq!(decoded.claims(), &claims);
        decoded.verify(&key).expect("mac verifies");
        // Wrong secret never verifies.
        assert_eq!(
            decoded.verify(&TicketKey::from_secret(b"not-the-secret")),
            Err(TicketError::MacMismatch)
        );
    }
}

#[test]
fn vector_details_match_spec() {
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let t = decode(V5, &mut buf).expect("v5");
    assert_eq!(t.payload().get(2), Some(&0x38), "flags byte of vector 5");
    let c = t.claims();
    assert_eq!(c.role, Role::Queen);
    assert_eq!(c.subject, Some("ui"));
    assert_eq!(c.issued_at_ms, 1);
    assert_eq!(c.scopes.len(), 1);
    assert_eq!(c.quotas.bandwidth_bytes, 4096);
    assert_eq!(c.quotas.cursor_advances, 3);

    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let t = decode(V2, &mut buf).expect("v2");
    assert_eq!(t.payload().len(), 49);
    assert_eq!(t.claims().expires_at_ms(), Some(ISSUED + 300_000));

    // Minting defaults per role (spec §4.3) reproduce vectors 1-3.
    let key = TicketKey::from_secret(b"worker-gpu");
    let claims = Claims::for_role(Role::WorkerGpu, Some("gpu-1"), ISSUED).expect("gpu");
    let mut out = [0u8; MAX_TICKET_LEN];
    assert_eq!(mint(&claims, &key, &mut out), Ok(V3));
    let claims = Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), ISSUED).expect("hb");
    let key = TicketKey::from_secret(b"worker");
    assert_eq!(mint(&claims, &key, &mut out), Ok(V2));
    let claims = Claims::for_role(Role::Queen, None, ISSUED).expect("queen");
    let key = TicketKey::from_secret(b"bootstrap");
    assert_eq!(mint(&claims, &key, &mut out), Ok(V1));
}

#[test]
fn default_budgets_and_subject_rule() {
    assert_eq!(Budget::default_for(Role::Queen), Budget::NONE);
    for role in [Role::WorkerHeartbeat, Role::WorkerBus, Role::WorkerLora] {
        assert_eq!(
            Budget::default_for(role),
            Budget {
                ticks: Some(1000),
                ops: Some(10_000),
                ttl_s: Some(300)
            }
        );
        assert_eq!(
            Claims::for_role(role, None, 0),
            Err(TicketError::MissingSubject)
        );
        assert_eq!(
            Claims::for_role(role, Some(""), 0),
            Err(TicketError::MissingSubject)
        );
    }
    assert_eq!(
        Budget::default_for(Role::WorkerGpu),
        Budget {
            ticks: None,
            ops: Some(64),
            ttl_s: Some(120)
        }
    );
    assert_eq!(
        Claims::for_role(Role::WorkerGpu, None, 0),
        Err(TicketError::MissingSubject)
    );
    let q = Claims::for_role(Role::Queen, Some("ops"), 7).expect("queen with subject");
    assert_eq!(q.subject, Some("ops"));
    assert_eq!(q.budget, Budget::NONE);
}

#[test]
fn bootstrap_key_check() {
    let key = TicketKey::from_secret(b"bootstrap");
    let mut hex = [0u8; 64];
    let n = ticket::codec::hex_encode(key.expose_secret_bytes(), &mut hex).expect("hex");
    assert_eq!(
        core::str::from_utf8(hex.get(..n).expect("len")).expect("ascii"),
        "de0162bd1dabcd7cb1b6ed299b7eff5b7ac5cf2c4a3b087d046c7b6a81c16ac8"
    );
}

fn decode_err(token: &str) -> TicketError {
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let result = decode(token, &mut buf).map(|t| t.into_claims().role);
    match result {
        Ok(role) => panic!("expected an error, decoded a {role:?} ticket"),
        Err(e) => e,
    }
}

#[test]
fn decode_error_table() {
    let m0 = |payload: &str| format!("cohesix-ticket-{payload}.{M0}");
    let cases: Vec<(String, TicketError)> = vec![
        (String::new(), TicketError::MissingPrefix),
        ("nope".into(), TicketError::MissingPrefix),
        ("COHESIX-TICKET-01.00".into(), TicketError::MissingPrefix),
        ("cohesix-ticket-".into(), TicketError::MalformedToken),
        ("cohesix-ticket-zz.00".into(), TicketError::MalformedToken),
        (
            "cohesix-ticket-00.00".into(),
            TicketError::InvalidMacLength(1),
        ),
        (m0("0100"), TicketError::Truncated),
        (
            m0("0200000000000000000000000000000000"),
            TicketError::UnsupportedVersion(2),
        ),
        (
            m0("0105000000000000000000000000000000"),
            TicketError::UnsupportedRole(5),
        ),
        (
            m0("01000000000000000000000000000000"),
            TicketError::TrailingData,
        ),
        (
            m0("010000000000000000000000000000000000"),
            TicketError::TrailingData,
        ),
        (
            format!("{}FF", m0("010000000000000000000000000000")),
            TicketError::InvalidMacLength(33),
        ),
        ("x".repeat(225), TicketError::TooLong(224)),
        ("x".repeat(224), TicketError::MissingPrefix),
        (format!("{V1} "), TicketError::MalformedToken),
        ("cohesix-ticket-0.00".into(), TicketError::MalformedToken),
        (
            format!("cohesix-ticket-01000000000000000000000000000.{M0}"),
            TicketError::MalformedToken,
        ),
        (
            format!("cohesix-ticket-010000000000000000000000000000.{}", &M0[1..]),
            TicketError::MalformedToken,
        ),
    ];
    for (token, expected) in &cases {
        assert_eq!(decode_err(token), *expected, "token {token:?}");
    }
    // The 18-byte payload of the note is 18 bytes long.
    assert_eq!("010000000000000000000000000000000000".len() / 2, 18);
}

#[test]
fn minimal_payload_decodes_and_either_hex_case() {
    let token = format!("cohesix-ticket-010000000000000000000000000000.{M0}");
    assert_eq!(token.len(), 110);
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let t = decode(&token, &mut buf).expect("minimal payload");
    assert_eq!(t.claims(), &Claims::new(Role::Queen, 0));
    assert_eq!(t.payload().len(), 15);

    // Upper- and mixed-case hex decode to the same claims and still verify.
    let upper = format!(
        "cohesix-ticket-{}",
        V2["cohesix-ticket-".len()..].to_uppercase()
    );
    let mut buf_u = [0u8; MAX_PAYLOAD_LEN];
    let tu = decode(&upper, &mut buf_u).expect("uppercase");
    assert_eq!(tu.claims(), &v2_claims());
    tu.verify(&TicketKey::from_secret(b"worker")).expect("mac");
    let mixed: String = V2
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 3 == 0 && i > 15 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let mut buf_m = [0u8; MAX_PAYLOAD_LEN];
    assert_eq!(
        decode(&mixed, &mut buf_m).expect("mixed").claims(),
        &v2_claims()
    );
}

#[test]
fn codec_errors_from_claims_bytes() {
    use ticket::codec::decode_claims;
    // Scope verb 3 is invalid.
    let mut bytes = vec![1u8, 0, 0x10];
    bytes.extend_from_slice(&[0; 8]); // issued
    bytes.extend_from_slice(&[0, 0, 0, 0]); // mounts
    bytes.push(1); // one scope
    bytes.extend_from_slice(&[1, 0, b'/', 3, 5, 0, 0, 0]);
    assert_eq!(decode_claims(&bytes), Err(TicketError::InvalidScopeVerb(3)));
    // 17 scopes.
    let mut bytes = vec![1u8, 0, 0x10];
    bytes.extend_from_slice(&[0; 12]);
    bytes.push(17);
    assert_eq!(decode_claims(&bytes), Err(TicketError::ScopeTooMany));
    // A 256-byte subject.
    let mut bytes = vec![1u8, 1, 0x08, 0, 1];
    bytes.extend_from_slice(&[b'a'; 256]);
    assert_eq!(decode_claims(&bytes), Err(TicketError::MountTooLarge));
    // A 255-byte mount is fine (codec level).
    let mut bytes = vec![1u8, 0, 0];
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&[255, 0]);
    bytes.extend_from_slice(&[b's'; 255]);
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        decode_claims(&bytes).map(|c| c.mounts.service.len()),
        Ok(255)
    );
    // Invalid UTF-8 in the subject.
    let mut bytes = vec![1u8, 1, 0x08, 1, 0, 0xff];
    bytes.extend_from_slice(&[0; 12]);
    assert_eq!(decode_claims(&bytes), Err(TicketError::InvalidUtf8));
    // Flag bits 0x40 and 0x80 are ignored.
    let mut bytes = vec![1u8, 0, 0xc0];
    bytes.extend_from_slice(&[0; 12]);
    assert_eq!(decode_claims(&bytes), Ok(Claims::new(Role::Queen, 0)));
    // Truncated in every prefix of vector 5's payload.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let payload = decode(V5, &mut buf).expect("v5").payload();
    for cut in 0..payload.len() {
        assert_eq!(
            decode_claims(payload.get(..cut).expect("prefix")),
            Err(TicketError::Truncated),
            "cut {cut}"
        );
    }
}

#[test]
fn normalisation_results() {
    // Ticket 2 is accepted for worker-heartbeat and for queen.
    assert_eq!(normalize(Role::WorkerHeartbeat, Some(V2)), Ok(Some(V2)));
    assert_eq!(normalize(Role::Queen, Some(V2)), Ok(Some(V2)));
    // Trimmed before use.
    let padded = format!("  {V2}\t ");
    assert_eq!(
        normalize(Role::WorkerHeartbeat, Some(&padded)),
        Ok(Some(V2))
    );
    assert_eq!(
        normalize(Role::WorkerGpu, Some(V2)),
        Err(NormalizeError::RoleMismatch {
            expected: Role::WorkerGpu,
            found: Role::WorkerHeartbeat
        })
    );
    assert_eq!(
        normalize(Role::WorkerHeartbeat, Some(V1)),
        Err(NormalizeError::RoleMismatch {
            expected: Role::WorkerHeartbeat,
            found: Role::Queen
        })
    );
    assert_eq!(
        normalize(Role::WorkerHeartbeat, Some(V4)),
        Err(NormalizeError::MissingSubject)
    );
    for empty in [None, Some(""), Some("   ")] {
        assert_eq!(normalize(Role::Queen, empty), Ok(None));
        assert_eq!(
            normalize(Role::WorkerBus, empty),
            Err(NormalizeError::Missing)
        );
    }
    assert_eq!(
        normalize(Role::Queen, Some("nope")),
        Err(NormalizeError::Invalid(TicketError::MissingPrefix))
    );
    let long = "x".repeat(225);
    assert_eq!(
        normalize(Role::Queen, Some(&long)),
        Err(NormalizeError::TooLong(224))
    );
    let edge = "x".repeat(224);
    assert_eq!(
        normalize(Role::Queen, Some(&edge)),
        Err(NormalizeError::Invalid(TicketError::MissingPrefix))
    );
    // Normalisation does not verify the MAC: a flipped MAC still passes.
    let flipped = format!("{}0", &V2[..V2.len() - 1]);
    assert_ne!(flipped, V2);
    assert_eq!(
        normalize(Role::WorkerHeartbeat, Some(&flipped)),
        Ok(Some(flipped.as_str()))
    );
}
