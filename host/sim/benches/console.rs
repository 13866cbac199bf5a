//! Console costs: pure executor (no I/O) and loopback TCP round trips against the simulator.
#![allow(missing_docs)]

use std::sync::Arc;

use cohesix_sim::console::{Console, Session};
use cohesix_sim::{Features, ManualClock, Namespace, SecretTable, SimConfig, Simulator};
use criterion::{criterion_group, criterion_main, Criterion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn frame(line: &str) -> Vec<u8> {
    let mut v = ((line.len() + 4) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(line.as_bytes());
    v
}

async fn read_line(s: &mut TcpStream) -> String {
    let mut hdr = [0u8; 4];
    s.read_exact(&mut hdr).await.unwrap();
    let mut body = vec![0u8; u32::from_le_bytes(hdr) as usize - 4];
    s.read_exact(&mut body).await.unwrap();
    String::from_utf8(body).unwrap()
}

fn executor(c: &mut Criterion) {
    let ns = Namespace::new(Features::full(), 0);
    let mut console = Console::new(ns, SecretTable::shipped(), Arc::new(ManualClock::new(0)));
    let mut session = Session::default();
    console.execute(&mut session, b"ATTACH queen");
    for (name, line) in [
        ("execute_ping", "PING"),
        ("execute_cat_lifecycle", "CAT /proc/lifecycle/state"),
        ("execute_ls_root", "LS /"),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| console.execute(&mut session, line.as_bytes()))
        });
    }
}

fn tcp(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (sim, mut stream) = rt.block_on(async {
        let sim = Simulator::spawn(SimConfig::loopback()).await.unwrap();
        let mut s = TcpStream::connect(sim.local_addr()).await.unwrap();
        s.set_nodelay(true).unwrap();
        s.write_all(&frame("AUTH changeme")).await.unwrap();
        s.write_all(&frame("ATTACH queen")).await.unwrap();
        assert_eq!(read_line(&mut s).await, "OK AUTH");
        assert_eq!(read_line(&mut s).await, "OK ATTACH role=queen");
        (sim, s)
    });
    let ping = frame("PING");
    c.bench_function("tcp_ping_pong", |b| {
        b.iter(|| {
            rt.block_on(async {
                stream.write_all(&ping).await.unwrap();
                read_line(&mut stream).await;
                read_line(&mut stream).await
            })
        })
    });
    let cat = frame("CAT /proc/lifecycle/state");
    c.bench_function("tcp_cat_lifecycle_to_end", |b| {
        b.iter(|| {
            rt.block_on(async {
                stream.write_all(&cat).await.unwrap();
                while read_line(&mut stream).await != "END" {}
            })
        })
    });
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, executor, tcp);
criterion_main!(benches);
