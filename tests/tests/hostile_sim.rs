//! A hostile client against the queen simulator: slowloris (before and after AUTH),
//! half-open connections, a client that stops reading, a flood of valid writes, oversize and
//! malformed frames, AUTH and ATTACH brute force, path escapes, shutdown under a stalled
//! send.
//!
//! Every read has a deadline; the simulator runs with short AUTH, idle and write limits so
//! each fault resolves in well under a second (the 10 s bounds below are hang guards, not
//! timings). The same deadlines are checked in virtual time over in-process streams in
//! `host/sim/tests/deadlines.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use cohesix_integration::raw::{frame, RawConn};
use cohesix_integration::TOKEN;
use cohesix_sim::{Features, SimConfig, SimHandle, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

/// Hang guard for one whole fault.
const GUARD: Duration = Duration::from_secs(10);

async fn spawn_sim() -> SimHandle {
    spawn_sim_idle(Duration::from_millis(400)).await
}

async fn spawn_sim_idle(idle: Duration) -> SimHandle {
    spawn_sim_limits(idle, Duration::from_secs(10)).await
}

async fn spawn_sim_limits(idle: Duration, write: Duration) -> SimHandle {
    let mut config = SimConfig::loopback();
    config.features = Features::shipped();
    config.auth_timeout = Duration::from_millis(200);
    config.idle_timeout = idle;
    config.write_timeout = write;
    Simulator::spawn(config).await.expect("simulator")
}

/// Reads until EOF or reset; returns the bytes seen. Panics if the peer keeps it open.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let r = timeout(GUARD, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    assert!(seen.len() < 1 << 20, "unbounded output");
                }
            }
        }
    })
    .await;
    assert!(r.is_ok(), "the simulator never closed the connection");
    seen
}

fn lines(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if n < 4 || rest.len() < n {
            break;
        }
        out.push(String::from_utf8_lossy(&rest[4..n]).into_owned());
        rest = &rest[n..];
    }
    out
}

async fn authed(addr: SocketAddr) -> RawConn {
    let mut c = RawConn::connect_auth(addr, TOKEN).await.expect("connect");
    assert_eq!(c.read_line().await.as_deref(), Some("OK AUTH"));
    c
}

async fn attached(addr: SocketAddr) -> RawConn {
    let mut c = authed(addr).await;
    c.send_line("ATTACH queen ").await.unwrap();
    assert_eq!(c.read_line().await.as_deref(), Some("OK ATTACH role=queen"));
    c
}

/// Waits until a new client is served (the single-client slot is free again).
async fn wait_free(addr: SocketAddr) -> RawConn {
    timeout(GUARD, async {
        loop {
            if let Ok(mut c) = RawConn::connect_auth(addr, TOKEN).await {
                if c.read_line().await.as_deref() == Some("OK AUTH") {
                    return c;
                }
            }
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the simulator never freed its client slot")
}

#[tokio::test]
async fn slowloris_auth_is_cut_at_the_auth_deadline() {
    let sim = spawn_sim().await;
    let mut s = TcpStream::connect(sim.local_addr()).await.unwrap();
    let auth = frame(format!("AUTH {TOKEN}").as_bytes());
    // One byte every 50 ms: the whole frame would take 850 ms, the deadline is 200 ms.
    let mut written = 0;
    for b in &auth[..auth.len() - 1] {
        if s.write_all(&[*b]).await.is_err() {
            break;
        }
        written += 1;
        sleep(Duration::from_millis(50)).await;
    }
    let seen = read_to_close(&mut s).await;
    assert!(
        lines(&seen).is_empty(),
        "slowloris got a reply: {:?}",
        lines(&seen)
    );
    assert!(written > 0);
    // The slot is free again for a well-behaved client.
    drop(wait_free(sim.local_addr()).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn half_open_connection_does_not_hold_the_slot_forever() {
    // 2 s idle limit: long enough that the ghost is surely still open when the second client
    // knocks, even on a loaded machine.
    let sim = spawn_sim_idle(Duration::from_secs(2)).await;
    let addr = sim.local_addr();
    // Authenticated, then silent (a half-open peer that vanished).
    let mut ghost = attached(addr).await;
    // While it is open a second client is reset or closed without a reply.
    let mut second = TcpStream::connect(addr).await.unwrap();
    let _ = second
        .write_all(&frame(format!("AUTH {TOKEN}").as_bytes()))
        .await;
    let seen = read_to_close(&mut second).await;
    assert!(
        !lines(&seen).contains(&"OK AUTH".to_owned()),
        "two clients served at once"
    );
    // The idle limit ends the ghost without a line; the slot frees.
    assert_eq!(ghost.read_line().await, None);
    drop(wait_free(addr).await);
    // A client half-close (SHUT_WR) ends the session at once.
    sleep(Duration::from_millis(10)).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&frame(format!("AUTH {TOKEN}").as_bytes()))
        .await
        .unwrap();
    s.shutdown().await.unwrap();
    let seen = read_to_close(&mut s).await;
    assert!(lines(&seen).len() <= 1, "{:?}", lines(&seen));
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_before_auth_close_silently() {
    let sim = spawn_sim().await;
    let addr = sim.local_addr();
    let cases: Vec<Vec<u8>> = vec![
        vec![0, 0, 0, 0],
        vec![3, 0, 0, 0],
        vec![0xff, 0xff, 0xff, 0xff],
        frame(&[0xff, 0xfe]),
        frame(b"auth changeme"),
        frame(b"AUTH changeme\n"),
        frame(b"PING"),
        frame(&[b'A'; 257]),
    ];
    for bytes in cases {
        let mut s = wait_connect(addr).await;
        let _ = s.write_all(&bytes).await;
        let seen = read_to_close(&mut s).await;
        assert!(
            lines(&seen).is_empty(),
            "{bytes:02x?} drew {:?}",
            lines(&seen)
        );
    }
    sim.shutdown().await;
}

async fn wait_connect(addr: SocketAddr) -> TcpStream {
    // The previous connection may still hold the slot for a moment.
    let c = wait_free(addr).await;
    drop(c);
    sleep(Duration::from_millis(20)).await;
    TcpStream::connect(addr).await.unwrap()
}

#[tokio::test]
async fn oversize_and_malformed_frames_after_auth() {
    let sim = spawn_sim().await;
    let addr = sim.local_addr();
    // 261-byte frame: ERR FRAME, discard, the session goes on.
    let mut c = attached(addr).await;
    let mut bytes = 261u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[b'y'; 257]);
    bytes.extend_from_slice(&frame(b"PING"));
    c.send_bytes(&bytes).await.unwrap();
    assert_eq!(
        c.read_line().await.as_deref(),
        Some("ERR FRAME reason=invalid-length")
    );
    let rest = [c.read_line().await, c.read_line().await];
    assert!(rest.contains(&Some("PONG".to_owned())), "{rest:?}");
    // Over 8192: ERR FRAME, then the declared bytes are discarded (a PING inside vanishes).
    let mut bytes = 9000u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&frame(b"PING"));
    bytes.resize(4 + 8996, b'z');
    bytes.extend_from_slice(&frame(b"PING"));
    c.send_bytes(&bytes).await.unwrap();
    assert_eq!(
        c.read_line().await.as_deref(),
        Some("ERR FRAME reason=invalid-length")
    );
    let after = c.read_until(4, |l| l == "PONG").await;
    assert_eq!(after.as_deref(), Some("PONG"));
    // Invalid UTF-8 after auth: silent close.
    c.send_bytes(&frame(&[0xc3, 0x28])).await.unwrap();
    assert_eq!(c.read_line().await, None);
    // Length 0..3 after auth: silent close.
    for len in 0u8..4 {
        let mut c = attached_retry(addr).await;
        c.send_bytes(&[len, 0, 0, 0]).await.unwrap();
        assert_eq!(c.read_line().await, None, "length {len}");
    }
    // Empty frame after auth: ERR PARSE, session stays.
    let mut c = attached_retry(addr).await;
    c.send_bytes(&[4, 0, 0, 0]).await.unwrap();
    let l = c.read_line().await.unwrap();
    assert!(l.starts_with("ERR PARSE"), "{l}");
    sim.shutdown().await;
}

async fn attached_retry(addr: SocketAddr) -> RawConn {
    let mut c = wait_free(addr).await;
    c.send_line("ATTACH queen ").await.unwrap();
    assert_eq!(c.read_line().await.as_deref(), Some("OK ATTACH role=queen"));
    c
}

#[tokio::test]
async fn auth_brute_force_never_authenticates_and_does_not_lock_out() {
    let sim = spawn_sim().await;
    let addr = sim.local_addr();
    for i in 0..12 {
        let guess = format!("guess-{i:04}");
        let mut s = wait_connect(addr).await;
        s.write_all(&frame(format!("AUTH {guess}").as_bytes()))
            .await
            .unwrap();
        s.write_all(&frame(b"ATTACH queen ")).await.ok();
        let seen = read_to_close(&mut s).await;
        assert!(
            lines(&seen).is_empty(),
            "a wrong token drew {:?}",
            lines(&seen)
        );
    }
    // The right token still works (the real queen has no AUTH lockout either).
    drop(attached_retry(addr).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn attach_brute_force_hits_the_rate_limit_and_queen_attach_still_works() {
    let sim = spawn_sim_idle(Duration::from_secs(30)).await;
    let addr = sim.local_addr();
    let mut c = authed(addr).await;
    // A patient brute-forcer: it honours the back-off throttle (throttled attempts are not
    // validated) and still hits the failed-login rate limiter.
    let mut replies = Vec::new();
    let mut tries = 0;
    while replies.len() < 5 {
        tries += 1;
        assert!(tries < 40, "{replies:?}");
        let bogus = format!("cohesix-ticket-0101{tries:02x}.{}", "0".repeat(64));
        c.send_line(&format!("ATTACH worker-heartbeat {bogus}"))
            .await
            .unwrap();
        let l = c.read_line().await.expect("a refusal line");
        if l.contains("throttled") {
            let delay: u64 = l
                .rsplit("delay_ms=")
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or(100);
            assert!(delay <= 5_000, "{l}");
            sleep(Duration::from_millis(delay + 20)).await;
            continue;
        }
        replies.push(l);
    }
    assert!(
        replies.iter().all(|l| l.starts_with("ERR ATTACH")),
        "{replies:?}"
    );
    assert!(
        replies.iter().any(|l| l.contains("rate-limited")),
        "the failed-login limiter never engaged: {replies:?}"
    );
    // A valid queen attach is accepted even while rate-limited (real-queen notes), once the
    // short back-off throttle it may be under has passed.
    let mut last = String::new();
    for _ in 0..10 {
        c.send_line("ATTACH queen ").await.unwrap();
        last = c.read_line().await.expect("a reply");
        if last == "OK ATTACH role=queen" {
            break;
        }
        assert!(last.contains("throttled"), "queen attach refused: {last}");
        let delay: u64 = last
            .rsplit("delay_ms=")
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or(100);
        assert!(delay <= 5_000, "{last}");
        sleep(Duration::from_millis(delay + 20)).await;
    }
    assert_eq!(last, "OK ATTACH role=queen");
    sim.shutdown().await;
}

#[tokio::test]
async fn path_escapes_are_refused() {
    let sim = spawn_sim().await;
    let addr = sim.local_addr();
    let mut c = attached(addr).await;
    let deep = "/a/b/c/d/e/f/g/h/i";
    let long = format!("/{}", "p".repeat(96));
    let comp = format!("/log/{}", "q".repeat(65));
    let hostile = [
        "/..",
        "/../queen/ctl",
        "/log/../queen/ctl",
        "/log/./queen.log",
        "..",
        "log/queen.log",
        "//log",
        "/log/",
        deep,
        &long,
        &comp,
    ];
    for verb in ["LS", "CAT", "TAIL"] {
        for p in hostile {
            c.send_line(&format!("{verb} {p}")).await.unwrap();
            let l = c.read_line().await.expect("a reply");
            assert!(l.starts_with("ERR "), "{verb} {p:?} -> {l}");
            assert!(!l.contains("entries="), "{verb} {p:?} -> {l}");
        }
    }
    for p in ["/../log/queen.log", "/log/../../queen/ctl", deep] {
        c.send_line(&format!("ECHO {p} escaped")).await.unwrap();
        let l = c.read_line().await.expect("a reply");
        assert!(l.starts_with("ERR "), "ECHO {p:?} -> {l}");
    }
    // NUL and other control bytes are dropped by the console parser (as on SRV), so a NUL
    // cannot smuggle a second path: `/lo\0g` is `/log`, never an escape.
    let mut payload = b"LS /lo".to_vec();
    payload.push(0);
    payload.extend_from_slice(b"g/../..");
    c.send_bytes(&frame(&payload)).await.unwrap();
    let l = c.read_line().await.expect("a reply");
    assert!(l.starts_with("ERR "), "NUL path -> {l}");
    // The session is still healthy.
    c.send_line("PING").await.unwrap();
    assert!(c.read_until(3, |l| l == "PONG").await.is_some());
    sim.shutdown().await;
}

/// Attaches over a socket with a small receive buffer, pipelines CACHELOGs (about 450 bytes
/// of reply each) and never reads, until the simulator's send blocks and our writes stall.
async fn stalled_reader(addr: SocketAddr) -> TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    s.write_all(&frame(format!("AUTH {TOKEN}").as_bytes()))
        .await
        .unwrap();
    s.write_all(&frame(b"ATTACH queen ")).await.unwrap();
    let mut burst = Vec::new();
    for _ in 0..8 {
        burst.extend_from_slice(&frame(b"CACHELOG"));
    }
    let mut sent = 0usize;
    // Bounded: 64 MB of requests at most; in practice a few hundred KB stall the server.
    while sent < 64 << 20 {
        match timeout(Duration::from_millis(300), s.write_all(&burst)).await {
            Ok(Ok(())) => sent += burst.len(),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    s
}

#[tokio::test]
async fn a_client_that_stops_reading_loses_the_slot_at_the_write_deadline() {
    // Idle limit 30 s: only the 300 ms write deadline can free the slot within the guard.
    let sim = spawn_sim_limits(Duration::from_secs(30), Duration::from_millis(300)).await;
    let addr = sim.local_addr();
    let stalled = stalled_reader(addr).await;
    // The next client is served (the wait is bounded by the 10 s guard).
    let mut next = wait_free(addr).await;
    next.send_line("ATTACH queen ").await.unwrap();
    assert_eq!(
        next.read_line().await.as_deref(),
        Some("OK ATTACH role=queen")
    );
    drop(stalled);
    sim.shutdown().await;
}

#[tokio::test]
async fn trickled_bytes_after_auth_do_not_reset_the_idle_deadline() {
    let sim = spawn_sim_idle(Duration::from_millis(400)).await;
    let addr = sim.local_addr();
    let mut c = attached(addr).await;
    // One byte of a PING frame every 100 ms: bytes keep arriving, no frame completes.
    let ping = frame(b"PING");
    let r = timeout(GUARD, async {
        for b in ping[..ping.len() - 1].iter().cycle() {
            if c.send_bytes(&[*b]).await.is_err() {
                return;
            }
            sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        r.is_ok(),
        "a trickling client kept the session past the idle limit"
    );
    drop(wait_free(addr).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_completes_while_a_send_is_blocked() {
    let sim = spawn_sim_limits(Duration::from_secs(60), Duration::from_secs(60)).await;
    let stalled = stalled_reader(sim.local_addr()).await;
    assert!(sim.core().is_busy(), "the stalled session holds the slot");
    assert!(
        timeout(GUARD, sim.shutdown()).await.is_ok(),
        "shutdown hung on a blocked send"
    );
    drop(stalled);
}

#[tokio::test]
async fn a_flood_of_valid_writes_keeps_every_collection_bounded() {
    let sim = spawn_sim_idle(Duration::from_secs(30)).await;
    let mut c = attached(sim.local_addr()).await;
    let text = "f".repeat(120);
    let spawn = r#"ECHO /queen/ctl {"spawn":"heartbeat","ticks":1}"#;
    let bind =
        |i: usize| format!(r#"ECHO /queen/ctl {{"bind":{{"from":"/queen","to":"/b/{i}"}}}}"#);
    let rounds = 250;
    for r in 0..rounds {
        // Pipelined 8 at a time (the queen's queue depth), every ack read.
        let mut batch = Vec::new();
        for i in 0..6 {
            batch.extend_from_slice(&frame(
                format!("ECHO /trace/ctl {r:04}{i}{text}").as_bytes(),
            ));
        }
        batch.extend_from_slice(&frame(spawn.as_bytes()));
        batch.extend_from_slice(&frame(bind(r).as_bytes()));
        c.send_bytes(&batch).await.unwrap();
        for _ in 0..8 {
            let l = c.read_line().await.expect("an ack");
            assert!(l.starts_with("OK ECHO") || l.contains("buffer-full"), "{l}");
        }
    }
    c.send_line("CAT /trace/events").await.unwrap();
    let ack = c.read_line().await.unwrap();
    assert!(ack.starts_with("OK CAT"), "{ack}");
    let body = c.read_until(100, |l| l == "END").await;
    assert!(body.is_some());
    let drops = {
        let console = sim.console();
        let c = console.lock().unwrap();
        let ns = c.namespace();
        assert_eq!(
            ns.worker_ids().len(),
            cohesix_sim::namespace::bounds::MAX_WORKERS
        );
        assert_eq!(ns.binds().len(), cohesix_sim::namespace::bounds::MAX_BINDS);
        assert_eq!(
            ns.read("/trace/events", 0).unwrap().len(),
            cohesix_sim::namespace::bounds::TRACE_EVENTS_MAX_LINES
        );
        ns.drops()
    };
    assert_eq!(drops.trace_events, (rounds * 6 - 64) as u64);
    assert_eq!(drops.refused, (2 * rounds - 16) as u64);
    sim.shutdown().await;
}
