//! Property tests: claims round trip, token round trip, MAC tampering, the 224-byte cap.

use cohesix_core::role::{Role, ALL_ROLES};
use cohesix_core::ticket::codec::{decode_claims, encode_claims, encoded_len};
use cohesix_core::ticket::{
    decode, mint, Budget, Claims, Mounts, Quotas, Scope, ScopeVerb, TicketError, TicketKey,
    MAX_PAYLOAD_LEN, MAX_SCOPES, MAX_TICKET_LEN,
};
use proptest::prelude::*;

/// Owned material the borrowed `Claims` is built from.
#[derive(Clone, Debug)]
struct Owned {
    role: Role,
    budget: Budget,
    subject: Option<String>,
    issued_at_ms: u64,
    service: String,
    at: String,
    scopes: Vec<(String, ScopeVerb, u32)>,
    quotas: Quotas,
}

impl Owned {
    fn claims(&self) -> Claims<'_> {
        let mut c = Claims::new(self.role, self.issued_at_ms);
        c.budget = self.budget;
        c.subject = self.subject.as_deref();
        c.mounts = Mounts {
            service: &self.service,
            at: &self.at,
        };
        for (path, verb, rate_per_s) in &self.scopes {
            c.scopes
                .push(Scope {
                    path,
                    verb: *verb,
                    rate_per_s: *rate_per_s,
                })
                .expect("at most 16 scopes");
        }
        c.quotas = self.quotas;
        c
    }
}

fn text(max: usize) -> impl Strategy<Value = String> {
    // Mixed ASCII and multi-byte characters, kept within `max` bytes.
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(move |chars| {
        let mut s = String::new();
        for c in chars {
            if s.len() + c.len_utf8() > max {
                break;
            }
            s.push(c);
        }
        s
    })
}

fn owned(max_str: usize, max_scopes: usize) -> impl Strategy<Value = Owned> {
    let role = proptest::sample::select(ALL_ROLES.to_vec());
    let budget = (
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(ticks, ops, ttl_s)| Budget { ticks, ops, ttl_s });
    let verb = proptest::sample::select(vec![
        ScopeVerb::Read,
        ScopeVerb::Write,
        ScopeVerb::ReadWrite,
    ]);
    let scopes = proptest::collection::vec((text(max_str), verb, any::<u32>()), 0..=max_scopes);
    let quotas = (any::<u64>(), any::<u32>(), any::<u32>()).prop_map(|(b, r, a)| Quotas {
        bandwidth_bytes: b,
        cursor_resumes: r,
        cursor_advances: a,
    });
    (
        role,
        budget,
        proptest::option::of(text(max_str)),
        any::<u64>(),
        text(max_str),
        text(max_str),
        scopes,
        quotas,
    )
        .prop_map(
            |(role, budget, subject, issued_at_ms, service, at, scopes, quotas)| Owned {
                role,
                budget,
                subject,
                issued_at_ms,
                service,
                at,
                scopes,
                quotas,
            },
        )
}

proptest! {
    #[test]
    fn claims_round_trip(o in owned(255, MAX_SCOPES)) {
        let claims = o.claims();
        let len = encoded_len(&claims).expect("valid claims");
        let mut out = vec![0u8; len];
        prop_assert_eq!(encode_claims(&claims, &mut out), Ok(len));
        prop_assert_eq!(decode_claims(&out), Ok(claims.clone()));
        // Re-encoding the decoded claims is byte-identical.
        let back = decode_claims(&out).expect("decode");
        let mut again = vec![0u8; len];
        prop_assert_eq!(encode_claims(&back, &mut again), Ok(len));
        prop_assert_eq!(&again, &out);
        // One byte too few is a typed error, never a panic.
        let mut short = vec![0u8; len - 1];
        prop_assert_eq!(
            encode_claims(&claims, &mut short),
            Err(TicketError::BufferTooSmall {
                needed: len,
                available: len - 1
            })
        );
    }

    #[test]
    fn token_round_trip_and_mac_flip(
        o in owned(12, 2),
        secret in proptest::collection::vec(any::<u8>(), 0..64),
        flip_pos in any::<usize>(),
        flip_bit in 0u8..8,
    ) {
        let claims = o.claims();
        let key = TicketKey::from_secret(&secret);
        let mut out = [0u8; MAX_TICKET_LEN];
        let payload_len = encoded_len(&claims).expect("valid");
        match mint(&claims, &key, &mut out) {
            Ok(token) => {
                prop_assert!(payload_len <= MAX_PAYLOAD_LEN);
                prop_assert_eq!(token.len(), 80 + 2 * payload_len);
                let mut buf = [0u8; MAX_PAYLOAD_LEN];
                let t = decode(token, &mut buf).expect("decode minted");
                prop_assert_eq!(t.claims(), &claims);
                prop_assert!(t.verify(&key).is_ok());

                // Any single bit flip in the MAC never verifies.
                let mac_hex = token.split_once('.').expect("dot").1;
                let mut mac = [0u8; 32];
                cohesix_core::ticket::codec::hex_decode(mac_hex.as_bytes(), &mut mac).expect("hex");
                let pos = flip_pos % 32;
                if let Some(b) = mac.get_mut(pos) {
                    *b ^= 1 << flip_bit;
                }
                let mut hex = [0u8; 64];
                cohesix_core::ticket::codec::hex_encode(&mac, &mut hex).expect("hex");
                let tampered = format!(
                    "{}.{}",
                    token.split_once('.').expect("dot").0,
                    core::str::from_utf8(&hex).expect("ascii")
                );
                let mut buf = [0u8; MAX_PAYLOAD_LEN];
                let t = decode(&tampered, &mut buf).expect("still decodes");
                prop_assert_eq!(t.verify(&key), Err(TicketError::MacMismatch));
            }
            Err(e) => {
                prop_assert!(payload_len > MAX_PAYLOAD_LEN);
                prop_assert_eq!(e, TicketError::TooLong(MAX_TICKET_LEN));
            }
        }
    }

    #[test]
    fn decode_never_panics(s in "\\PC{0,240}") {
        let mut buf = [0u8; MAX_PAYLOAD_LEN];
        let _ = decode(&s, &mut buf);
    }

    #[test]
    fn decode_claims_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        if let Ok(c) = decode_claims(&bytes) {
            // Anything that decodes re-encodes to at most its input length.
            let len = encoded_len(&c).expect("decoded claims are encodable");
            prop_assert!(len <= bytes.len());
        }
    }
}

#[test]
fn tokens_at_the_224_limit() {
    // Worker-heartbeat default budget with an empty subject is 41 bytes; 72 - 41 = 31.
    let key = TicketKey::from_secret(b"worker");
    let subject = "s".repeat(31);
    let claims = Claims::for_role(Role::WorkerHeartbeat, Some(&subject), 7).expect("claims");
    assert_eq!(encoded_len(&claims), Ok(72));
    let mut out = [0u8; MAX_TICKET_LEN];
    let token = mint(&claims, &key, &mut out).expect("fits exactly");
    assert_eq!(token.len(), 224);
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let t = decode(token, &mut buf).expect("decodes at the cap");
    assert_eq!(t.claims(), &claims);
    t.verify(&key).expect("verifies");

    // One more subject byte is 226 characters: refused by mint and by decode.
    let subject = "s".repeat(32);
    let claims = Claims::for_role(Role::WorkerHeartbeat, Some(&subject), 7).expect("claims");
    let mut big = [0u8; 512];
    assert_eq!(
        mint(&claims, &key, &mut big),
        Err(TicketError::TooLong(224))
    );
    let over = format!("{token}0");
    assert_eq!(over.len(), 225);
    let mut buf2 = [0u8; MAX_PAYLOAD_LEN];
    assert_eq!(
        decode(&over, &mut buf2).err(),
        Some(TicketError::TooLong(224))
    );

    // An over-long field is reported as such, not as TooLong.
    let huge = "h".repeat(256);
    let mut claims = Claims::new(Role::Queen, 0);
    claims.mounts.service = &huge;
    assert_eq!(
        mint(&claims, &key, &mut big),
        Err(TicketError::MountTooLarge)
    );
}
