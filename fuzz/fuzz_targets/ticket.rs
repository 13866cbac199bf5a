//! Ticket decode/verify.
//!
//! Mode A (structured claims): mint under a key, then decode(mint(c)) == c, the token verifies
//! under its key and not under another, a flipped bit in the claims bytes or the MAC never
//! verifies, and a flipped bit in the token text verifies only when it is a hex case change
//! (same bytes: hex is case-insensitive).
//! Mode B (arbitrary text): decode never panics; a decoded payload re-encodes to the same
//! bytes (canonical codec); normalize / verify_for_role never panic.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use cohesix_core::role::{Role, ALL_ROLES};
use cohesix_core::ticket::{
    self, codec, Budget, Claims, Mounts, Quotas, Scope, ScopeVerb, TicketKey, MAX_PAYLOAD_LEN,
    MAX_TICKET_LEN,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct ScopeIn<'a> {
    path: &'a str,
    verb: u8,
    rate: u32,
}

#[derive(Arbitrary, Debug)]
struct ClaimsIn<'a> {
    role: u8,
    ticks: Option<u64>,
    ops: Option<u64>,
    ttl: Option<u64>,
    subject: Option<&'a str>,
    issued: u64,
    service: &'a str,
    at: &'a str,
    scopes: Vec<ScopeIn<'a>>,
    quotas: (u64, u32, u32),
    secret: &'a [u8],
    flip_at: u16,
    flip_bit: u8,
}

fn role(b: u8) -> Role {
    ALL_ROLES[usize::from(b) % ALL_ROLES.len()]
}

fn structured(c: &ClaimsIn<'_>) {
    let mut claims = Claims::new(role(c.role), c.issued);
    claims.budget = Budget {
        ticks: c.ticks,
        ops: c.ops,
        ttl_s: c.ttl,
    };
    claims.subject = c.subject;
    claims.mounts = Mounts {
        service: c.service,
        at: c.at,
    };
    for s in &c.scopes {
        let verb = match s.verb % 3 {
            0 => ScopeVerb::Read,
            1 => ScopeVerb::Write,
            _ => ScopeVerb::ReadWrite,
        };
        if claims
            .scopes
            .push(Scope {
                path: s.path,
                verb,
                rate_per_s: s.rate,
            })
            .is_err()
        {
            break;
        }
    }
    claims.quotas = Quotas {
        bandwidth_bytes: c.quotas.0,
        cursor_resumes: c.quotas.1,
        cursor_advances: c.quotas.2,
    };
    let key = TicketKey::from_secret(c.secret);
    let mut out = [0u8; MAX_TICKET_LEN];
    let token = match ticket::mint(&claims, &key, &mut out) {
        Ok(t) => t.to_owned(),
        Err(e) => {
            let _ = format!("{e} {e:?}");
            return;
        }
    };
    assert!(token.len() <= MAX_TICKET_LEN);
    assert!(token.bytes().all(|b| (0x21..=0x7e).contains(&b)));

    // decode(mint(c)) == c, and it verifies under its key only.
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let decoded = ticket::decode(&token, &mut buf).expect("minted token decodes");
    assert_eq!(
        decoded.claims(),
        &claims,
        "decode of encode is not identity"
    );
    assert_eq!(ticket::token_len(decoded.payload().len()), token.len());
    let payload = decoded.payload().to_vec();
    decoded.verify(&key).expect("minted token verifies");
    let mut other_secret = c.secret.to_vec();
    other_secret.push(0x5a);
    let other = TicketKey::from_secret(&other_secret);
    let mut buf2 = [0u8; MAX_PAYLOAD_LEN];
    assert!(ticket::decode_verified(&token, &other, &mut buf2).is_err());
    let mut buf3 = [0u8; MAX_PAYLOAD_LEN];
    let v = ticket::verify_for_role(&token, claims.role, &key, &mut buf3).expect("verify_for_role");
    assert_eq!(v, claims);

    // A flipped bit in the claims bytes or the MAC never verifies.
    let mac = key.mac(&payload);
    let bit = 1u8 << (c.flip_bit % 8);
    if !payload.is_empty() {
        let mut p = payload.clone();
        let i = usize::from(c.flip_at) % p.len();
        p[i] ^= bit;
        assert!(key.verify(&p, &mac).is_err(), "flipped claims bit verified");
    }
    let mut m = mac;
    m[usize::from(c.flip_at) % m.len()] ^= bit;
    assert!(
        key.verify(&payload, &m).is_err(),
        "flipped MAC bit verified"
    );

    // A flipped bit in the token text verifies only as a hex case change.
    let mut t = token.clone().into_bytes();
    let i = usize::from(c.flip_at) % t.len();
    t[i] ^= bit;
    if let Ok(flipped) = core::str::from_utf8(&t) {
        let mut b = [0u8; MAX_PAYLOAD_LEN];
        if ticket::decode_verified(flipped, &key, &mut b).is_ok() {
            assert_eq!(
                flipped.to_ascii_lowercase(),
                token,
                "a flipped bit verified with different bytes"
            );
        }
    }
}

fn text(token: &str, r: u8, secret: &[u8]) {
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    match ticket::decode(token, &mut buf) {
        Ok(t) => {
            let _ = format!("{t:?}");
            // Re-encoding gives claims that decode to the same value. (Not byte-identical:
            // the codec accepts a section flag with an empty list, e.g. FLAG_SCOPES with 0
            // scopes, and re-encoding drops the flag. Harmless: the MAC covers the bytes.)
            let mut again = [0u8; MAX_PAYLOAD_LEN];
            let n = codec::encode_claims(t.claims(), &mut again).expect("re-encode");
            let back = codec::decode_claims(&again[..n]).expect("re-encoded claims decode");
            assert_eq!(&back, t.claims(), "claims codec round trip");
            assert!(n <= t.payload().len());
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
    let role = role(r);
    if let Err(e) = ticket::normalize(role, Some(token)) {
        let _ = format!("{e} {e:?}");
    }
    let key = TicketKey::from_secret(secret);
    let mut b = [0u8; MAX_PAYLOAD_LEN];
    let _ = ticket::verify_for_role(token, role, &key, &mut b);
}

// Input layout: byte 0 even = mode B, the rest is the token text (role from byte 0, secret
// `bootstrap` or `worker`), so spec ticket vectors are meaningful seeds; byte 0 odd = mode A,
// the rest is `arbitrary` claims.
fuzz_target!(|raw: &[u8]| {
    let Some((&mode, rest)) = raw.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(token) = core::str::from_utf8(rest) {
            let secret: &[u8] = if mode & 2 == 0 {
                b"bootstrap"
            } else {
                b"worker"
            };
            text(token, mode >> 2, secret);
        }
    } else if let Ok(c) = ClaimsIn::arbitrary(&mut Unstructured::new(rest)) {
        structured(&c);
    }
});
