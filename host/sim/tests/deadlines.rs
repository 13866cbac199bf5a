//! Every wait of a served connection has a deadline: AUTH, idle (reset only by a complete
//! inbound frame or a completed send), each write, and shutdown; and the single-client slot
//! frees when a session ends. Runs [`SimCore::serve`] over `tokio::io::duplex` with tokio's
//! paused clock, so each deadline is checked in virtual time, deterministically.

use std::time::Duration;

use cohesix_sim::{SessionEnd, SimConfig, SimCore};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, Instant};

const AUTH: Duration = Duration::from_millis(500);
const IDLE: Duration = Duration::from_millis(2_000);
const WRITE: Duration = Duration::from_millis(700);
/// Virtual-time slack for the checks below (the paused clock jumps to each timer exactly;
/// this only absorbs the few task hand-offs between timers).
const SLACK: Duration = Duration::from_millis(20);

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 4) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

fn core_with(auth: Duration, idle: Duration, write: Duration) -> SimCore {
    let mut cfg = SimConfig::loopback();
    cfg.auth_timeout = auth;
    cfg.idle_timeout = idle;
    cfg.write_timeout = write;
    SimCore::new(cfg)
}

fn core() -> SimCore {
    core_with(AUTH, IDLE, WRITE)
}

/// A served connection's end and the virtual time `serve` returned (a duplex shuts down at
/// once, so that is when the session ended).
type Served = JoinHandle<(SessionEnd, Instant)>;

/// Starts serving one duplex connection (`cap` bytes of buffer each way).
fn connect(core: &SimCore, cap: usize) -> (DuplexStream, Served) {
    let (client, server) = tokio::io::duplex(cap);
    let core = core.clone();
    let task = tokio::spawn(async move {
        let end = core.serve(server).await;
        (end, Instant::now())
    });
    (client, task)
}

async fn read_line(c: &mut DuplexStream) -> Option<String> {
    let mut hdr = [0u8; 4];
    c.read_exact(&mut hdr).await.ok()?;
    let n = u32::from_le_bytes(hdr) as usize;
    let mut body = vec![0u8; n.checked_sub(4)?];
    c.read_exact(&mut body).await.ok()?;
    String::from_utf8(body).ok()
}

async fn attach(c: &mut DuplexStream) {
    c.write_all(&frame(b"AUTH changeme")).await.unwrap();
    c.write_all(&frame(b"ATTACH queen")).await.unwrap();
    assert_eq!(read_line(c).await.as_deref(), Some("OK AUTH"));
    assert_eq!(read_line(c).await.as_deref(), Some("OK ATTACH role=queen"));
}

/// Awaits the session end; returns it and its virtual time after `t0`.
async fn ended(task: Served, t0: Instant) -> (SessionEnd, Duration) {
    let (end, at) = timeout(Duration::from_secs(3600), task)
        .await
        .expect("the session never ended")
        .unwrap();
    (end, at - t0)
}

fn near(got: Duration, want: Duration) -> bool {
    got >= want && got <= want + SLACK
}

#[tokio::test(start_paused = true)]
async fn silent_connection_is_cut_at_the_auth_deadline() {
    let core = core();
    let t0 = Instant::now();
    let (_client, task) = connect(&core, 4096);
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::AuthTimeout);
    assert!(near(at, AUTH), "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn slowloris_auth_does_not_extend_the_auth_deadline() {
    let core = core();
    let t0 = Instant::now();
    let (mut client, task) = connect(&core, 4096);
    let auth = frame(b"AUTH changeme");
    // One byte every 100 ms: each is a read, none completes the frame in time.
    for b in &auth[..auth.len() - 1] {
        if client.write_all(&[*b]).await.is_err() {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::AuthTimeout);
    assert!(near(at, AUTH), "{at:?}");
    assert_eq!(
        read_line(&mut client).await,
        None,
        "no reply before the close"
    );
}

#[tokio::test(start_paused = true)]
async fn silent_attached_session_is_cut_at_the_idle_deadline() {
    let core = core();
    let (mut client, task) = connect(&core, 4096);
    attach(&mut client).await;
    let t0 = Instant::now();
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::IdleTimeout);
    assert!(near(at, IDLE), "{at:?}");
    assert_eq!(
        read_line(&mut client).await,
        None,
        "the idle close sends nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn partial_frames_do_not_reset_the_idle_deadline() {
    let core = core();
    let (mut client, task) = connect(&core, 4096);
    attach(&mut client).await;
    let t0 = Instant::now();
    // A PING header trickled one byte per 600 ms: bytes arrive, no frame completes.
    let ping = frame(b"PING");
    for b in &ping[..ping.len() - 1] {
        if client.write_all(&[*b]).await.is_err() {
            break;
        }
        sleep(Duration::from_millis(600)).await;
    }
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::IdleTimeout);
    assert!(near(at, IDLE), "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn complete_frames_keep_the_session_alive() {
    let core = core();
    let (mut client, task) = connect(&core, 4096);
    attach(&mut client).await;
    // PING every 1.5 s (inside the 2 s idle window) for 12 s.
    for _ in 0..8 {
        sleep(Duration::from_millis(1_500)).await;
        client.write_all(&frame(b"PING")).await.unwrap();
        assert_eq!(
            read_line(&mut client).await.as_deref(),
            Some("OK PING reply=pong")
        );
        assert_eq!(read_line(&mut client).await.as_deref(), Some("PONG"));
    }
    assert!(!task.is_finished());
    let t0 = Instant::now();
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::IdleTimeout);
    assert!(near(at, IDLE), "{at:?}");
}

/// Authenticates, then pipelines CACHELOGs (8 answered per read, ~450 bytes of reply each)
/// and never reads: the replies overflow the 1 KiB pipe and the server's send blocks.
async fn stall_reader(client: &mut DuplexStream) {
    attach(client).await;
    let mut burst = Vec::new();
    for _ in 0..8 {
        burst.extend_from_slice(&frame(b"CACHELOG"));
    }
    for _ in 0..4 {
        if timeout(Duration::from_millis(50), client.write_all(&burst))
            .await
            .is_err()
        {
            break;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_reading_loses_the_session_at_the_write_deadline() {
    let core = core();
    let (mut stalled, task) = connect(&core, 1024);
    let t0 = Instant::now();
    stall_reader(&mut stalled).await;
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::WriteTimeout);
    assert!(
        at >= WRITE && at <= WRITE + Duration::from_millis(250),
        "{at:?}"
    );
    // The slot is free: the next client is served.
    let (mut next, task2) = connect(&core, 4096);
    attach(&mut next).await;
    next.write_all(&frame(b"QUIT")).await.unwrap();
    assert_eq!(read_line(&mut next).await.as_deref(), Some("OK QUIT"));
    assert_eq!(task2.await.unwrap().0, SessionEnd::Quit);
    drop(stalled);
}

#[tokio::test(start_paused = true)]
async fn a_blocked_send_is_also_capped_by_the_idle_deadline() {
    // Write deadline longer than the idle window: the idle deadline still ends the session
    // (a send in progress does not reset it).
    let core = core_with(AUTH, Duration::from_millis(400), Duration::from_secs(60));
    let (mut stalled, task) = connect(&core, 1024);
    let t0 = Instant::now();
    stall_reader(&mut stalled).await;
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::WriteTimeout);
    assert!(
        at <= Duration::from_millis(400) + Duration::from_millis(250),
        "{at:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_stream_is_closed_at_once_while_one_is_served() {
    let core = core();
    let (mut first, task) = connect(&core, 4096);
    attach(&mut first).await;
    assert!(core.is_busy());
    let (mut second, task2) = connect(&core, 4096);
    assert_eq!(task2.await.unwrap().0, SessionEnd::Busy);
    let mut b = [0u8; 1];
    assert_eq!(second.read(&mut b).await.unwrap(), 0, "closed, unread");
    // The first session is untouched.
    first.write_all(&frame(b"PING")).await.unwrap();
    assert_eq!(
        read_line(&mut first).await.as_deref(),
        Some("OK PING reply=pong")
    );
    first.shutdown().await.unwrap();
    assert_eq!(task.await.unwrap().0, SessionEnd::PeerClosed);
    assert!(!core.is_busy());
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_a_session_blocked_in_a_send() {
    let core = core_with(AUTH, Duration::from_secs(600), Duration::from_secs(600));
    let (mut stalled, task) = connect(&core, 1024);
    stall_reader(&mut stalled).await;
    sleep(Duration::from_secs(5)).await;
    assert!(!task.is_finished(), "blocked in its send");
    let t0 = Instant::now();
    core.shutdown();
    let (end, at) = ended(task, t0).await;
    assert_eq!(end, SessionEnd::Stopped);
    assert!(at <= SLACK, "{at:?}");
    // After shutdown every serve returns at once.
    let (_c, task2) = connect(&core, 64);
    assert_eq!(task2.await.unwrap().0, SessionEnd::Stopped);
}

#[tokio::test(start_paused = true)]
async fn protocol_and_auth_failures_end_the_session_with_their_reason() {
    let core = core();
    let (mut c, task) = connect(&core, 4096);
    c.write_all(&frame(b"AUTH wrong")).await.unwrap();
    assert_eq!(task.await.unwrap().0, SessionEnd::AuthRejected);
    let (mut c, task) = connect(&core, 4096);
    attach(&mut c).await;
    c.write_all(&frame(&[0xc3, 0x28])).await.unwrap();
    assert_eq!(task.await.unwrap().0, SessionEnd::Protocol);
    let (mut c, task) = connect(&core, 4096);
    attach(&mut c).await;
    c.write_all(&[2, 0, 0, 0]).await.unwrap();
    assert_eq!(task.await.unwrap().0, SessionEnd::Protocol);
}
