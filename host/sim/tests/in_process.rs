//! In-process serving ([`SimCore::serve`] over `tokio::io::duplex`, no socket) behaves exactly
//! like the TCP server: the same bytes for the same input, the single-client rule across
//! both paths, and the shared state visible through `SimCore::console`.

use std::sync::Arc;
use std::time::Duration;

use cohesix_sim::{Features, Fleet, ManualClock, SessionEnd, SimConfig, SimCore, Simulator};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 4) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

fn config() -> SimConfig {
    let mut cfg = SimConfig::loopback();
    cfg.features = Features::full();
    cfg.clock = Arc::new(ManualClock::new(1_000));
    cfg
}

/// A scripted session: pipelined and single frames, a bad frame, every reply shape, QUIT.
fn script() -> Vec<Vec<u8>> {
    let mut oversize = 261u32.to_le_bytes().to_vec();
    oversize.extend_from_slice(&[b'y'; 257]);
    let lines: [&[u8]; 12] = [
        b"ATTACH queen",
        b"LS /",
        b"CAT /proc/lifecycle/state",
        b"ECHO /log/queen.log hello from the script",
        b"TAIL /log/queen.log",
        b"ECHO /queen/schedule/ctl {\"id\":\"j1\",\"role\":\"worker-gpu\",\"priority\":1,\"ticks\":2,\"budget_ms\":3}",
        b"CAT /proc/schedule/queue",
        b"CAT /nowhere",
        b"HELP",
        b"PING",
        b"BOGUS verb",
        b"CACHELOG 3",
    ];
    let mut steps = vec![frame(b"AUTH changeme")];
    steps.extend(lines.iter().map(|l| frame(l)));
    steps.push(oversize);
    steps.push(frame(b"PING"));
    steps.push(frame(b"QUIT"));
    steps
}

/// Runs the script step by step (each step waits for the server to answer something) and
/// returns every byte the server sent until it closed.
async fn transcript<S: AsyncRead + AsyncWrite + Unpin>(mut s: S) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    for step in script() {
        s.write_all(&step).await.unwrap();
        // Read until the stream goes quiet for a moment (the bytes compared do not depend on
        // how replies are split across reads, so a slow reply only moves where it is read).
        loop {
            match timeout(Duration::from_millis(50), s.read(&mut buf)).await {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => panic!("read: {e}"),
            }
        }
    }
    let rest = timeout(WAIT, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "server never closed after QUIT");
    seen
}

#[tokio::test]
async fn duplex_and_tcp_give_the_same_bytes() {
    let sim = Simulator::spawn(config()).await.unwrap();
    let tcp = TcpStream::connect(sim.local_addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let over_tcp = transcript(tcp).await;
    sim.shutdown().await;

    let core = SimCore::new(config());
    let (client, server) = tokio::io::duplex(64 * 1024);
    let serving = tokio::spawn({
        let core = core.clone();
        async move { core.serve(server).await }
    });
    let in_process = transcript(client).await;
    assert_eq!(serving.await.unwrap(), SessionEnd::Quit);

    assert!(over_tcp.len() > 1000, "{} bytes", over_tcp.len());
    assert_eq!(
        String::from_utf8_lossy(&in_process),
        String::from_utf8_lossy(&over_tcp)
    );
    assert_eq!(in_process, over_tcp);
    // The write went to the shared namespace.
    let console = core.console();
    let c = console.lock().unwrap();
    assert!(c
        .namespace()
        .read("/log/queen.log", 0)
        .unwrap()
        .iter()
        .any(|l| l == "hello from the script"));
}

#[tokio::test]
async fn one_core_one_client_across_tcp_and_in_process() {
    let core = SimCore::new(config());
    let sim = Simulator::spawn_with(core.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // An in-process session holds the slot ...
    let (mut client, server) = tokio::io::duplex(4096);
    let serving = tokio::spawn({
        let core = core.clone();
        async move { core.serve(server).await }
    });
    client.write_all(&frame(b"AUTH changeme")).await.unwrap();
    let mut ack = [0u8; 11];
    client.read_exact(&mut ack).await.unwrap();
    assert_eq!(&ack[4..], b"OK AUTH");
    // ... so a TCP client is reset without a reply ...
    let mut tcp = TcpStream::connect(sim.local_addr()).await.unwrap();
    let _ = tcp.write_all(&frame(b"AUTH changeme")).await;
    let mut b = [0u8; 16];
    let r = timeout(WAIT, tcp.read(&mut b))
        .await
        .expect("reset or close");
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    // ... and once it ends, TCP is served again.
    drop(client);
    assert_eq!(serving.await.unwrap(), SessionEnd::PeerClosed);
    let mut tcp = TcpStream::connect(sim.local_addr()).await.unwrap();
    tcp.write_all(&frame(b"AUTH changeme")).await.unwrap();
    timeout(WAIT, tcp.read_exact(&mut ack))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&ack[4..], b"OK AUTH");
    drop(tcp);
    // Shutting the TCP server down stops the core for in-process streams too.
    sim.shutdown().await;
    let (_c, server) = tokio::io::duplex(64);
    assert_eq!(core.serve(server).await, SessionEnd::Stopped);
}

#[test]
fn public_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let core = SimCore::new(config());
    let (_c, s) = tokio::io::duplex(1);
    send(&core.serve(s));
    send(&Simulator::spawn(config()));
    send(&Simulator::spawn_with(
        core.clone(),
        "127.0.0.1:0".parse().unwrap(),
    ));
    send(&Fleet::spawn(config(), 1));
}
