//! Ticket benchmarks (spec §4): server-side verification throughput of a default
//! worker-heartbeat ticket (178 characters, 49-byte claims), plus decode-only, client
//! normalisation and minting.
//!
//! Run: `cargo bench -p cohesix-core --bench ticket`.

// `criterion_group!` generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;

use cohesix_core::role::Role;
use cohesix_core::ticket::{
    decode, mint, normalize, verify_for_role, Claims, TicketKey, MAX_PAYLOAD_LEN, MAX_TICKET_LEN,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ISSUED: u64 = 1_700_000_000_000;

fn ticket(c: &mut Criterion) {
    let key = TicketKey::from_secret(b"worker");
    let claims = Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), ISSUED).expect("claims");
    let mut out = [0u8; MAX_TICKET_LEN];
    let token = mint(&claims, &key, &mut out).expect("mint").to_owned();

    let mut g = c.benchmark_group("ticket");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify_for_role_178B", |b| {
        b.iter(|| {
            let mut buf = [0u8; MAX_PAYLOAD_LEN];
            let claims = verify_for_role(black_box(&token), Role::WorkerHeartbeat, &key, &mut buf)
                .map(|c| c.issued_at_ms);
            black_box(claims)
        })
    });
    g.bench_function("decode_unverified_178B", |b| {
        b.iter(|| {
            let mut buf = [0u8; MAX_PAYLOAD_LEN];
            let claims = decode(black_box(&token), &mut buf).map(|t| t.into_claims().issued_at_ms);
            black_box(claims)
        })
    });
    g.bench_function("normalize_worker_178B", |b| {
        b.iter(|| black_box(normalize(Role::WorkerHeartbeat, Some(black_box(&token)))).is_ok())
    });
    g.bench_function("mint_178B", |b| {
        b.iter(|| {
            let mut out = [0u8; MAX_TICKET_LEN];
            black_box(mint(black_box(&claims), &key, &mut out).map(str::len))
        })
    });
    g.finish();
}

criterion_group!(benches, ticket);
criterion_main!(benches);
