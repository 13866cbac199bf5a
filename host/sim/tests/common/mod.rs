//! Raw frame client for simulator tests: speaks the console framing by hand.
#![allow(dead_code)]

use std::io;
use std::sync::Arc;
use std::time::Duration;

use cohesix_sim::{Features, ManualClock, SimConfig, SimHandle, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Upper bound of every wait in these tests (a hang fails instead of blocking CI).
pub const WAIT: Duration = Duration::from_secs(10);
/// Console token used by the tests.
pub const TOKEN: &str = "changeme";

/// Frame bytes of `payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 4) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

/// Starts a simulator with `features` and a manual clock at 0.
pub async fn start(features: Features) -> (SimHandle, ManualClock) {
    let clock = ManualClock::new(0);
    let mut cfg = SimConfig::loopback();
    cfg.features = features;
    cfg.clock = Arc::new(clock.clone());
    (Simulator::spawn(cfg).await.expect("bind"), clock)
}

/// A raw console client.
pub struct Client {
    pub stream: TcpStream,
}

impl Client {
    /// Connects to the simulator.
    pub async fn connect(sim: &SimHandle) -> Client {
        let stream = timeout(WAIT, TcpStream::connect(sim.local_addr()))
            .await
            .expect("connect timeout")
            .expect("connect");
        stream.set_nodelay(true).unwrap();
        Client { stream }
    }

    /// Connects, retrying while the previous session is still being torn down.
    pub async fn connect_fresh(sim: &SimHandle) -> Client {
        for _ in 0..100 {
            let mut c = Client::connect(sim).await;
            c.send("AUTH changeme").await;
            if let Ok(Some(line)) = c.try_recv().await {
                assert_eq!(line, "OK AUTH");
                return c;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("simulator never accepted a fresh connection");
    }

    /// Connects, authenticates and attaches as queen.
    pub async fn queen(sim: &SimHandle) -> Client {
        let mut c = Client::connect_fresh(sim).await;
        assert_eq!(c.cmd("ATTACH queen ").await, "OK ATTACH role=queen");
        c
    }

    /// Writes raw bytes.
    pub async fn raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Writes one frame.
    pub async fn send(&mut self, line: &str) {
        self.raw(&frame(line.as_bytes())).await;
    }

    /// Reads one frame; `Ok(None)` on clean EOF before any byte.
    pub async fn try_recv(&mut self) -> io::Result<Option<String>> {
        let mut hdr = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = timeout(WAIT, self.stream.read(&mut hdr[got..]))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "recv timeout"))??;
            if n == 0 {
                return if got == 0 {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
            got += n;
        }
        let total = u32::from_le_bytes(hdr) as usize;
        assert!((4..=260).contains(&total), "server frame length {total}");
        let mut body = vec![0u8; total - 4];
        timeout(WAIT, self.stream.read_exact(&mut body))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "recv timeout"))??;
        Ok(Some(String::from_utf8(body).expect("server sent UTF-8")))
    }

    /// Reads one frame, which must exist.
    pub async fn recv(&mut self) -> String {
        self.try_recv()
            .await
            .expect("recv")
            .expect("unexpected EOF")
    }

    /// Sends a line and returns the first reply line.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.recv().await
    }

    /// Sends a stream command; returns the ack and the lines before `END` (or the ERR alone).
    pub async fn stream_cmd(&mut self, line: &str) -> (String, Vec<String>) {
        let ack = self.cmd(line).await;
        if !ack.starts_with("OK ") {
            return (ack, Vec::new());
        }
        let mut lines = Vec::new();
        loop {
            let l = self.recv().await;
            if l == "END" {
                return (ack, lines);
            }
            lines.push(l);
        }
    }

    /// Sends a line, then a PING, and returns every line before the PING's `PONG`
    /// (excluding the PING ack): how a client delimits replies without `END`.
    pub async fn until_pong(&mut self, line: &str) -> Vec<String> {
        self.send(line).await;
        self.send("PING").await;
        let mut out = Vec::new();
        loop {
            let l = self.recv().await;
            match l.as_str() {
                "PONG" => return out,
                "OK PING reply=pong" => {}
                _ => out.push(l),
            }
        }
    }

    /// Asserts the server closes without sending a byte (FIN or RST).
    pub async fn expect_silent_close(&mut self) {
        let mut buf = [0u8; 64];
        match timeout(WAIT, self.stream.read(&mut buf)).await {
            Ok(Ok(0)) => {}
            Ok(Err(e)) => assert!(
                matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ),
                "unexpected error {e}"
            ),
            Ok(Ok(n)) => panic!("server sent {n} bytes: {:?}", &buf[..n]),
            Err(_) => panic!("server did not close"),
        }
    }
}
