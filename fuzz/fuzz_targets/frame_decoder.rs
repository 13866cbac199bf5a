//! Frame decoder fed random bytes in random chunk sizes.
//!
//! Invariants: the chunked decoder yields exactly the frames (and the first error) of a
//! straight-line reference parser; every yielded frame re-encodes to the bytes it consumed;
//! `push` always makes progress; the zero-copy `decode` path agrees; in server mode
//! `skip_payload` resynchronises exactly `total_len - 4` bytes later.
#![no_main]

use cohesix_core::frame::{encode_frame_raw, FrameDecodeError, FrameDecoder, HEADER_LEN};
use cohesix_generated::console::{MAX_FRAME_LEN, MAX_LINE_LEN};
use libfuzzer_sys::fuzz_target;

/// Input layout: byte 0 bit 0 = server mode (recover from TooLong/Oversize with
/// `skip_payload`), byte 1 = chunk-size seed, the rest = the byte stream (so spec frame
/// vectors are meaningful seeds).
struct Input {
    server: bool,
    chunks: Vec<u16>,
    data: Vec<u8>,
}

impl Input {
    fn parse(raw: &[u8]) -> Self {
        let server = raw.first().is_some_and(|b| b & 1 == 1);
        let seed = raw.get(1).copied().unwrap_or(0);
        // xorshift chunk sizes from the seed: 0 means "whole stream at once".
        let mut x = u32::from(seed) | 0x9e37_0000;
        let chunks = if seed == 0 {
            vec![299]
        } else {
            (0..16)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x % u32::from(seed).max(1)) as u16
                })
                .collect()
        };
        Input {
            server,
            chunks,
            data: raw.get(2..).unwrap_or(&[]).to_vec(),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Frame { payload: Vec<u8>, end: usize },
    Error(FrameDecodeError),
}

const CAP: usize = MAX_LINE_LEN;

fn reference(data: &[u8], server: bool) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while data.len() - pos >= HEADER_LEN {
        let total = u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]);
        pos += HEADER_LEN;
        let t = total as usize;
        let err = if t < HEADER_LEN {
            Some(FrameDecodeError::TooShort { total_len: total })
        } else if t > MAX_FRAME_LEN {
            Some(FrameDecodeError::TooLong { total_len: total })
        } else if t - HEADER_LEN > CAP {
            Some(FrameDecodeError::Oversize {
                payload_len: t - HEADER_LEN,
            })
        } else {
            None
        };
        if let Some(e) = err {
            out.push(Ev::Error(e));
            match (server, e) {
                (true, FrameDecodeError::TooLong { .. } | FrameDecodeError::Oversize { .. }) => {
                    pos = pos.saturating_add(t - HEADER_LEN);
                    if pos > data.len() {
                        break;
                    }
                    continue;
                }
                _ => break,
            }
        }
        let plen = t - HEADER_LEN;
        if data.len() - pos < plen {
            break;
        }
        out.push(Ev::Frame {
            payload: data[pos..pos + plen].to_vec(),
            end: pos + plen,
        });
        pos += plen;
    }
    out
}

fn chunk_sizes(chunks: &[u16]) -> impl Iterator<Item = usize> + '_ {
    let mut i = 0usize;
    core::iter::from_fn(move || {
        let n = if chunks.is_empty() {
            7
        } else {
            usize::from(chunks[i % chunks.len()] % 300) + 1
        };
        i += 1;
        Some(n)
    })
}

fn run_push(data: &[u8], chunks: &[u16], server: bool) -> Vec<Ev> {
    let mut dec = FrameDecoder::<CAP>::new();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut sizes = chunk_sizes(chunks);
    'outer: while pos < data.len() {
        let n = sizes.next().unwrap_or(1).min(data.len() - pos);
        let chunk = &data[pos..pos + n];
        let mut off = 0usize;
        while off < chunk.len() {
            let (used, res) = dec.push_counted(&chunk[off..]);
            assert!(used <= chunk.len() - off, "consumed more than given");
            off += used;
            if let Err(e) = res {
                assert_eq!(dec.error(), Some(e), "error must be sticky");
                out.push(Ev::Error(e));
                if server && dec.skip_payload().is_some() {
                    continue;
                }
                break 'outer;
            }
            if let Some(f) = dec.frame() {
                assert!(f.len() <= CAP, "frame exceeds decoder capacity");
                out.push(Ev::Frame {
                    payload: f.to_vec(),
                    end: pos + off,
                });
                dec.clear_frame();
                assert!(dec.is_idle());
            } else {
                assert!(used > 0, "push made no progress on non-empty input");
            }
        }
        pos += n;
    }
    out
}

fn run_decode(data: &[u8], chunks: &[u16]) -> Vec<Ev> {
    let mut dec = FrameDecoder::<CAP>::new();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut sizes = chunk_sizes(chunks);
    'outer: while pos < data.len() {
        let n = sizes.next().unwrap_or(1).min(data.len() - pos);
        let chunk = &data[pos..pos + n];
        let mut off = 0usize;
        while off < chunk.len() {
            match dec.decode(&chunk[off..]) {
                Ok((used, frame)) => {
                    assert!(used <= chunk.len() - off);
                    off += used;
                    match frame {
                        Some(f) => out.push(Ev::Frame {
                            payload: f.to_vec(),
                            end: pos + off,
                        }),
                        None => assert!(used > 0, "decode made no progress"),
                    }
                }
                Err(e) => {
                    out.push(Ev::Error(e));
                    break 'outer;
                }
            }
        }
        pos += n;
    }
    out
}

fuzz_target!(|raw: &[u8]| {
    let input = Input::parse(raw);
    let data = &input.data[..];
    let expected = reference(data, input.server);
    let got = run_push(data, &input.chunks, input.server);
    assert_eq!(got, expected, "chunked push disagrees with the reference");

    // Round trip: every frame re-encodes to exactly the bytes it was decoded from.
    let mut buf = vec![0u8; HEADER_LEN + CAP];
    for ev in &got {
        if let Ev::Frame { payload, end } = ev {
            let n = encode_frame_raw(payload, &mut buf).expect("re-encode");
            assert_eq!(&buf[..n], &data[end - n..*end], "re-encoding differs");
        }
    }

    if !input.server {
        assert_eq!(
            run_decode(data, &input.chunks),
            expected,
            "decode() disagrees"
        );
    }
});
