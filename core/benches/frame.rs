//! Frame codec benchmarks (spec §1): decode latency for 64-byte payloads and streaming
//! throughput for 256-byte payloads fed in 1460-byte (one TCP MSS) chunks.
//!
//! Run: `cargo bench -p cohesix-core --bench frame`.

// `criterion_group!` generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;

use cohesix_core::frame::{encode_frame, FrameDecoder};
use cohesix_core::reply::classify;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A stream of `count` frames whose payloads are `len` printable bytes.
fn stream(count: usize, len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
    let mut out = Vec::with_capacity(count * (len + 4));
    let mut frame = [0u8; 260];
    for _ in 0..count {
        let n = encode_frame(&payload, &mut frame).expect("encode");
        out.extend_from_slice(&frame[..n]);
    }
    out
}

/// Decodes every frame of `input` fed in `chunk`-byte pieces; returns payload bytes seen.
#[inline(always)]
fn drain<const N: usize>(dec: &mut FrameDecoder<N>, input: &[u8], chunk: usize) -> usize {
    let mut seen = 0usize;
    for mut piece in input.chunks(chunk) {
        while !piece.is_empty() {
            let n = dec.push(piece).unwrap_or(piece.len());
            piece = &piece[n..];
            if let Some(f) = dec.frame() {
                seen += f.len();
                dec.clear_frame();
            }
        }
    }
    seen
}

fn decode_64(c: &mut Criterion) {
    const FRAMES: usize = 1024;
    let input = stream(FRAMES, 64);
    let mut g = c.benchmark_group("frame_decode");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("64B_payload_per_frame", |b| {
        let mut dec = FrameDecoder::<256>::new();
        b.iter(|| {
            // One contiguous buffer: one push per frame.
            let mut rest = black_box(&input[..]);
            let mut seen = 0usize;
            while !rest.is_empty() {
                let n = dec.push(rest).unwrap_or(rest.len());
                rest = &rest[n..];
                if let Some(f) = dec.frame() {
                    seen += f.len();
                    dec.clear_frame();
                }
            }
            black_box(seen)
        })
    });
    g.bench_function("64B_payload_per_frame_zero_copy", |b| {
        let mut dec = FrameDecoder::<256>::new();
        b.iter(|| {
            let mut rest = black_box(&input[..]);
            let mut seen = 0usize;
            while !rest.is_empty() {
                let (n, frame) = dec.decode(rest).unwrap_or((rest.len(), None));
                if let Some(f) = frame {
                    seen += f.len();
                }
                rest = &rest[n..];
            }
            black_box(seen)
        })
    });
    g.finish();
}

fn stream_256(c: &mut Criterion) {
    const FRAMES: usize = 1024;
    let input = stream(FRAMES, 256);
    let mut g = c.benchmark_group("frame_stream");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("256B_payload_1460B_chunks", |b| {
        let mut dec = FrameDecoder::<256>::new();
        b.iter(|| black_box(drain(&mut dec, black_box(&input), 1460)))
    });
    g.finish();
}

fn encode_64(c: &mut Criterion) {
    let payload = [b'x'; 64];
    let mut out = [0u8; 260];
    let mut g = c.benchmark_group("frame_encode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("64B_payload", |b| {
        b.iter(|| encode_frame(black_box(&payload), black_box(&mut out)))
    });
    g.finish();
}

fn classify_ack(c: &mut Criterion) {
    let line = "ERR ATTACH reason=quota detail=rate-limited delay_ms=90000";
    c.bench_function("reply_classify_delay_ms", |b| {
        b.iter(|| match classify(black_box(line)) {
            cohesix_core::reply::Line::Ack(a) => a.delay_ms(),
            _ => None,
        })
    });
}

criterion_group!(benches, decode_64, stream_256, encode_64, classify_ack);
criterion_main!(benches);
