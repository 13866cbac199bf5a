//! Regression tests kept from the fuzz campaign (`fuzz/`, docs/robustness.md).
//!
//! No core target has crashed so far. These pin behaviours the fuzz invariants had to be
//! taught, so a change to them is a deliberate decision and not an accident.

use cohesix_core::frame::{FrameDecodeError, FrameDecoder};
use cohesix_core::role::Role;
use cohesix_core::ticket::{codec, Claims};
use cohesix_generated::console::MAX_LINE_LEN;

/// `ticket` target: the claims codec accepts a section flag with an empty list (here
/// `FLAG_SCOPES` with 0 scopes) and re-encoding drops the flag. Two byte strings therefore
/// decode to the same claims; the MAC covers the bytes, so this is not a forgery path, but
/// claims equality must never be used in place of MAC verification.
#[test]
fn empty_scope_section_decodes_and_reencodes_shorter() {
    let mut payload = vec![1u8, 0, codec::FLAG_SCOPES];
    payload.extend_from_slice(&0u64.to_le_bytes()); // issued_at_ms
    payload.extend_from_slice(&[0, 0, 0, 0]); // mounts: service "", at ""
    payload.push(0); // scope count 0
    let claims = codec::decode_claims(&payload).expect("decodes");
    assert_eq!(claims, Claims::new(Role::Queen, 0));
    let mut out = [0u8; 64];
    let n = codec::encode_claims(&claims, &mut out).unwrap();
    assert_eq!(
        n,
        payload.len() - 1,
        "the canonical form has no empty section"
    );
    assert_ne!(&out[..n], &payload[..]);
    assert_eq!(codec::decode_claims(&out[..n]).unwrap(), claims);
}

/// `frame_decoder` target: a `0xFFFFFFFF` length delivered one byte at a time is reported
/// as `TooLong` exactly when the fourth header byte arrives, and stays sticky.
#[test]
fn ffffffff_header_split_byte_by_byte() {
    let mut d = FrameDecoder::<MAX_LINE_LEN>::new();
    for _ in 0..3 {
        assert_eq!(d.push(&[0xff]), Ok(1));
        assert!(d.frame().is_none());
    }
    let e = FrameDecodeError::TooLong {
        total_len: u32::MAX,
    };
    assert_eq!(d.push(&[0xff, b'x']), Err(e));
    assert_eq!(d.push(b"more"), Err(e));
    assert_eq!(d.error(), Some(e));
}
