//! `Fleet`: N independent queens in one process, on N ports.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use cohesix_sim::{Fleet, FleetError, SimConfig, MAX_QUEENS};
use common::frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn line(s: &mut TcpStream) -> String {
    let mut hdr = [0u8; 4];
    timeout(WAIT, s.read_exact(&mut hdr))
        .await
        .unwrap()
        .unwrap();
    let mut body = vec![0u8; u32::from_le_bytes(hdr) as usize - 4];
    timeout(WAIT, s.read_exact(&mut body))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(body).unwrap()
}

async fn cmd(s: &mut TcpStream, l: &str) -> String {
    s.write_all(&frame(l.as_bytes())).await.unwrap();
    line(s).await
}

async fn queen(addr: SocketAddr) -> TcpStream {
    let mut s = timeout(WAIT, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cmd(&mut s, "AUTH changeme").await, "OK AUTH");
    assert_eq!(cmd(&mut s, "ATTACH queen").await, "OK ATTACH role=queen");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_queens_answer_with_independent_state() {
    let fleet = Fleet::spawn(SimConfig::loopback(), 50).await.unwrap();
    let addrs = fleet.addrs();
    assert_eq!(addrs.len(), 50);
    let mut unique = addrs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50, "one port per queen");
    // All 50 are served at the same time (each has its own console slot), and each write
    // lands in its own namespace only.
    let mut conns = Vec::new();
    for (i, a) in addrs.iter().enumerate() {
        let mut s = queen(*a).await;
        let ack = cmd(&mut s, &format!("ECHO /log/queen.log queen-{i}")).await;
        assert!(ack.starts_with("OK ECHO"), "{ack}");
        conns.push(s);
    }
    let job = r#"{"id":"only-7","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}"#;
    assert!(
        cmd(&mut conns[7], &format!("ECHO /queen/schedule/ctl {job}"))
            .await
            .starts_with("OK")
    );
    for (i, q) in fleet.queens().iter().enumerate() {
        let console = q.console();
        let c = console.lock().unwrap();
        let ns = c.namespace();
        let mine: Vec<String> = ns
            .read("/log/queen.log", 0)
            .unwrap()
            .into_iter()
            .filter(|l| l.starts_with("queen-"))
            .collect();
        assert_eq!(mine, vec![format!("queen-{i}")]);
        let queued = ns.read("/proc/schedule/queue", 0).unwrap();
        assert_eq!(queued.len(), usize::from(i == 7), "queen {i}");
    }
    drop(conns);
    timeout(WAIT, fleet.shutdown())
        .await
        .expect("fleet shutdown");
}

#[tokio::test]
async fn consecutive_ports_from_the_bind_port() {
    // Find a base with 4 free ports (another process may take one between the probe and
    // the bind; retry a few bases).
    for _ in 0..20 {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = probe.local_addr().unwrap().port();
        drop(probe);
        if base > u16::MAX - 8 {
            continue;
        }
        let mut cfg = SimConfig::loopback();
        cfg.bind = SocketAddr::from(([127, 0, 0, 1], base));
        let Ok(fleet) = Fleet::spawn(cfg, 4).await else {
            continue;
        };
        let ports: Vec<u16> = fleet.addrs().iter().map(SocketAddr::port).collect();
        assert_eq!(ports, [base, base + 1, base + 2, base + 3]);
        for a in fleet.addrs() {
            drop(queen(a).await);
        }
        fleet.shutdown().await;
        return;
    }
    panic!("no free range of 4 ports found");
}

#[tokio::test]
async fn count_and_port_range_are_checked() {
    assert!(matches!(
        Fleet::spawn(SimConfig::loopback(), 0).await,
        Err(FleetError::Count(0))
    ));
    assert!(matches!(
        Fleet::spawn(SimConfig::loopback(), MAX_QUEENS + 1).await,
        Err(FleetError::Count(_))
    ));
    let mut cfg = SimConfig::loopback();
    cfg.bind = SocketAddr::from(([127, 0, 0, 1], 65_534));
    let e = Fleet::spawn(cfg, 3).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "3 consecutive ports from 65534 pass port 65535"
    );
    // A port already taken: the bind error names it and nothing is left running.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = SimConfig::loopback();
    cfg.bind = taken.local_addr().unwrap();
    let e = Fleet::spawn(cfg, 2).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("cannot listen on {}", taken.local_addr().unwrap())),
        "{e}"
    );
}
