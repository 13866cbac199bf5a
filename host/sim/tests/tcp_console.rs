//! TCP console behaviour against raw framed clients (spec §1–§3, §8; real-queen notes).

mod common;

use std::io;
use std::time::Duration;

use cohesix_sim::{Features, SimConfig, Simulator};
use common::{frame, start, Client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn happy_path_of_spec_8_7_is_byte_exact() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect(&sim).await;
    c.raw(&hex("11000000415554482063686 16e67656d65")).await;
    let mut b = [0u8; 11];
    c.stream.read_exact(&mut b).await.unwrap();
    assert_eq!(b.to_vec(), hex("0b0000004f4b2041555448"));
    c.raw(&hex("110000004154544143482071756565 6e20")).await;
    let mut b = [0u8; 24];
    c.stream.read_exact(&mut b).await.unwrap();
    assert_eq!(
        b.to_vec(),
        hex("180000004f4b204154544143482072 6f6c653d717565656e")
    );
    c.raw(&hex("170000005441494c202f6c6f672f717565656e2e6c6f67"))
        .await;
    let mut b = [0u8; 0x1f];
    c.stream.read_exact(&mut b).await.unwrap();
    assert_eq!(&b[..4], &[0x1f, 0, 0, 0]);
    assert_eq!(&b[4..], b"OK TAIL path=/log/queen.log");
    let mut lines = 0;
    loop {
        let l = c.recv().await;
        if l == "END" {
            break;
        }
        lines += 1;
        assert!(lines <= 64);
    }
    assert!(lines > 0);
    c.raw(&hex("0800000071756974")).await;
    let mut b = [0u8; 11];
    c.stream.read_exact(&mut b).await.unwrap();
    assert_eq!(b.to_vec(), hex("0b0000004f4b2051554954"));
    assert_eq!(c.try_recv().await.unwrap(), None, "FIN after OK QUIT");
    sim.shutdown().await;
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn auth_failures_close_silently() {
    let (sim, _) = start(Features::shipped()).await;
    let bad: [&[u8]; 8] = [
        b"AUTH changeme\n",
        b"AUTH changeme\r\n",
        b"AUTH wrongtok",
        b"auth changeme",
        b"AUTH  changeme",
        b"AUTH chang",
        b"PING",
        b"",
    ];
    for payload in bad {
        let mut c = Client::connect(&sim).await;
        c.raw(&frame(payload)).await;
        c.expect_silent_close().await;
    }
    for header in [[3u8, 0, 0, 0], [0x05, 0x01, 0, 0], [0x01, 0x20, 0, 0]] {
        let mut c = Client::connect(&sim).await;
        c.raw(&header).await;
        c.expect_silent_close().await;
    }
    let mut c = Client::connect(&sim).await;
    c.raw(&frame(&[0xff, 0xfe])).await;
    c.expect_silent_close().await;
    let mut ok = Client::connect_fresh(&sim).await;
    assert_eq!(
        ok.cmd("PING").await,
        "OK PING reply=pong",
        "no lockout after bad tokens"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_timeout_closes_without_bytes() {
    let mut cfg = SimConfig::loopback();
    cfg.auth_timeout = Duration::from_millis(50);
    let sim = Simulator::spawn(cfg).await.unwrap();
    let mut c = Client::connect(&sim).await;
    c.expect_silent_close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn oversize_frames_answer_err_frame_and_discard() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    // 257-byte payload (total 261): refused, skipped, session stays up.
    c.raw(&frame(&[b'a'; 257])).await;
    assert_eq!(c.recv().await, "ERR FRAME reason=invalid-length");
    // Declared 8193: the next 8189 bytes vanish, including a PING frame inside them.
    let mut blob = 8193u32.to_le_bytes().to_vec();
    let mut body = frame(b"PING");
    body.resize(8189, b'z');
    blob.extend_from_slice(&body);
    c.raw(&blob).await;
    assert_eq!(c.recv().await, "ERR FRAME reason=invalid-length");
    assert_eq!(c.cmd("PING").await, "OK PING reply=pong");
    assert_eq!(c.recv().await, "PONG");
    // Exactly 256 bytes is a frame; the parser then applies the line rules.
    let mut line = b"help".to_vec();
    line.resize(256, b' ');
    c.raw(&frame(&line)).await;
    assert_eq!(c.recv().await, "OK HELP");
    sim.shutdown().await;
}

#[tokio::test]
async fn short_length_after_auth_closes() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    c.raw(&[2, 0, 0, 0]).await;
    c.expect_silent_close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_utf8_after_auth_closes() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::queen(&sim).await;
    c.raw(&frame(&[0xff, 0xfe])).await;
    c.expect_silent_close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn second_client_is_reset_and_first_keeps_working() {
    let (sim, _) = start(Features::shipped()).await;
    let mut first = Client::queen(&sim).await;
    let mut second = Client::connect(&sim).await;
    let mut b = [0u8; 8];
    let r = tokio::time::timeout(common::WAIT, second.stream.read(&mut b))
        .await
        .unwrap();
    match r {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        Ok(n) => panic!("second client read {n} bytes instead of a reset"),
    }
    assert_eq!(first.cmd("PING").await, "OK PING reply=pong");
    assert_eq!(first.cmd("quit").await, "PONG");
    assert_eq!(first.recv().await, "OK QUIT");
    let mut third = Client::queen(&sim).await;
    assert_eq!(third.cmd("PING").await, "OK PING reply=pong");
    let _ = second.stream.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn ten_pipelined_pings_get_eight_answers() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let mut burst = Vec::new();
    for _ in 0..10 {
        burst.extend(frame(b"PING"));
    }
    c.raw(&burst).await;
    for _ in 0..8 {
        assert_eq!(c.recv().await, "OK PING reply=pong");
        assert_eq!(c.recv().await, "PONG");
    }
    // The two extra PINGs were dropped, not delayed: the next reply answers this command.
    assert_eq!(c.cmd("bi").await, "OK BOOTINFO");
    sim.shutdown().await;
}

#[tokio::test]
async fn pipelined_auth_attach_and_command_in_one_write() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect(&sim).await;
    let mut burst = frame(b"AUTH changeme");
    burst.extend(frame(b"ATTACH queen"));
    burst.extend(frame(b"ls /log"));
    c.raw(&burst).await;
    assert_eq!(c.recv().await, "OK AUTH");
    assert_eq!(c.recv().await, "OK ATTACH role=queen");
    assert_eq!(c.recv().await, "OK LS path=/log entries=1");
    assert_eq!(c.recv().await, "queen.log");
    assert_eq!(c.recv().await, "END");
    sim.shutdown().await;
}

#[tokio::test]
async fn quit_any_case_with_extra_words_and_half_close() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    assert_eq!(c.cmd("QuIt now please").await, "OK QUIT");
    assert_eq!(c.try_recv().await.unwrap(), None);
    let mut c = Client::connect_fresh(&sim).await;
    c.stream.shutdown().await.unwrap();
    assert_eq!(
        c.try_recv().await.unwrap(),
        None,
        "half-close closes at once"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_live_connection() {
    let cfg = SimConfig::loopback();
    let sim = Simulator::spawn(cfg).await.unwrap();
    let mut c = Client::queen(&sim).await;
    sim.shutdown().await;
    c.expect_silent_close().await;
}

#[tokio::test]
async fn idle_authenticated_connection_is_closed_silently() {
    let mut cfg = SimConfig::loopback();
    cfg.idle_timeout = Duration::from_millis(50);
    let sim = Simulator::spawn(cfg).await.unwrap();
    let mut c = Client::queen(&sim).await;
    c.expect_silent_close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn frames_split_across_segments_are_reassembled() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect(&sim).await;
    let mut bytes = frame(b"AUTH changeme");
    bytes.extend(frame(b"ping"));
    for b in bytes {
        c.raw(&[b]).await;
        c.stream.flush().await.unwrap();
    }
    assert_eq!(c.recv().await, "OK AUTH");
    assert_eq!(c.recv().await, "OK PING reply=pong");
    assert_eq!(c.recv().await, "PONG");
    sim.shutdown().await;
}

#[tokio::test]
async fn err_frame_keeps_its_place_among_pipelined_commands() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let mut burst = frame(b"bi");
    burst.extend(frame(&[b'x'; 300]));
    burst.extend(frame(b"nettest"));
    c.raw(&burst).await;
    assert_eq!(c.recv().await, "OK BOOTINFO");
    assert!(c.recv().await.starts_with("[bi] "));
    assert_eq!(c.recv().await, "ERR FRAME reason=invalid-length");
    assert_eq!(c.recv().await, "OK NETTEST");
    sim.shutdown().await;
}
