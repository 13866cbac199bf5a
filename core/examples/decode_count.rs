//! Instruction-count probe for `core/benches/callgrind.sh`.
//!
//! Builds a fixed stream of `TOTAL` frames with 64-byte payloads, then decodes the first
//! `N` of them (`N` = first argument, default 0). Running it under callgrind with `N = 0`
//! and `N = TOTAL` and dividing the difference by `TOTAL` gives instructions per frame on
//! the decode path, with setup cost cancelled out.
//!
//! Second argument selects the API: `copy` (default: `push` + `frame` + `clear_frame`, payload
//! copied into the decoder) or `zero-copy` (`decode`, payload borrowed from the input).

use std::hint::black_box;

use cohesix_core::frame::{encode_frame, FrameDecoder};

const TOTAL: usize = 10_000;
const PAYLOAD: usize = 64;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
        .min(TOTAL);
    let payload = [b'p'; PAYLOAD];
    let mut frame = [0u8; PAYLOAD + 4];
    let mut input = Vec::with_capacity(TOTAL * (PAYLOAD + 4));
    for _ in 0..TOTAL {
        let len = encode_frame(&payload, &mut frame).unwrap_or(0);
        input.extend_from_slice(&frame[..len]);
    }
    let input = black_box(input);
    let zero_copy = std::env::args().nth(2).as_deref() == Some("zero-copy");
    let mut dec = FrameDecoder::<256>::new();
    let mut rest = &input[..n * (PAYLOAD + 4)];
    let mut seen = 0usize;
    if zero_copy {
        while !rest.is_empty() {
            let (used, frame) = dec.decode(rest).unwrap_or((rest.len(), None));
            if let Some(f) = frame {
                seen += f.len();
            }
            rest = &rest[used..];
        }
    } else {
        while !rest.is_empty() {
            let used = dec.push(rest).unwrap_or(rest.len());
            rest = &rest[used..];
            if let Some(f) = dec.frame() {
                seen += f.len();
                dec.clear_frame();
            }
        }
    }
    println!("decoded {} payload bytes", black_box(seen));
}
