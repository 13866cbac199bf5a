//! Session receive-path benchmark: one `LS /` request with a 3-entry reply, end to end
//! through `send` + `poll_transmit` + `handle_input` (frame decode, line classification,
//! reply assembly) + `poll_event`, on an attached session. No allocation, no I/O.
#![allow(missing_docs)]

use std::hint::black_box;

use cohesix_core::frame::encode_frame_raw;
use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::testkit::TOKEN;
use cohesix_core::session::{Config, Credentials, Event, Session, TRANSMIT_BUF_LEN};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn frames(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let mut f = [0u8; 300];
        let n = encode_frame_raw(l.as_bytes(), &mut f).expect("frame");
        out.extend_from_slice(&f[..n]);
    }
    out
}

fn feed(s: &mut Session, bytes: &[u8]) -> u32 {
    let mut off = 0;
    let mut events = 0u32;
    while off < bytes.len() {
        off += s.handle_input(0, &bytes[off..]);
        while let Some(e) = s.poll_event() {
            if let Event::Data { line, .. } = e {
                black_box(line);
            }
            events += 1;
        }
    }
    events
}

fn attached() -> Session {
    let creds = Credentials::new(TOKEN, Role::Queen, None).expect("creds");
    let mut s = Session::new(Config::new(), creds).expect("session");
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    s.poll_transmit(0, &mut tx).expect("auth");
    feed(&mut s, &frames(&["OK AUTH"]));
    s.poll_transmit(0, &mut tx).expect("attach");
    feed(&mut s, &frames(&["OK ATTACH role=queen"]));
    s
}

fn bench_ls(c: &mut Criterion) {
    let reply = frames(&["OK LS path=/ entries=3", "gpu", "log", "proc", "END"]);
    let mut s = attached();
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Bytes(reply.len() as u64));
    g.bench_function("ls_3_lines_full_path", |b| {
        b.iter(|| {
            s.send(&Request::Ls { path: "/" }).expect("send");
            let n = s.poll_transmit(0, &mut tx).expect("tx");
            black_box(&tx[..n]);
            let events = feed(&mut s, black_box(&reply));
            debug_assert_eq!(events, 5);
            events
        })
    });
    g.bench_function("ls_3_lines_receive_only", |b| {
        // Same reply, request already on the wire: decode + classify + assemble only.
        b.iter_batched_ref(
            || {
                let mut s = attached();
                s.send(&Request::Ls { path: "/" }).expect("send");
                let mut tx = [0u8; TRANSMIT_BUF_LEN];
                s.poll_transmit(0, &mut tx).expect("tx");
                s
            },
            |s| feed(s, black_box(&reply)),
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_ls);
criterion_main!(benches);
