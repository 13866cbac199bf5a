//! A small in-memory queen for client tests: AUTH and ATTACH as the real queen does them,
//! then one handler call per console line. It answers in batches (everything it has read,
//! after a short pause) so a pipelining client shows how many frames it kept unanswered.
//!
//! ```text
//!  client ──duplex──► serve(): AUTH <token> → OK AUTH (else silent close)
//!                              ATTACH <role> → OK ATTACH role=<role>
//!                              other lines   → handler(line) → reply lines
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use crate::{frame, take_frames};

/// What a [`FakeQueen`] observed.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections served.
    pub connections: AtomicUsize,
    /// Most frames read and not yet answered at one time.
    pub max_unanswered: AtomicUsize,
    /// Console lines handled (after ATTACH).
    pub lines: AtomicUsize,
    /// `PING`s seen.
    pub pings: AtomicUsize,
    /// `QUIT`s seen.
    pub quits: AtomicUsize,
}

/// A handler: one console line in, reply lines out (`None`: close the connection).
pub type Handler = Arc<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

/// An in-memory queen.
#[derive(Clone)]
pub struct FakeQueen {
    token: String,
    handler: Handler,
    batch_pause: Duration,
    /// What it observed.
    pub counters: Arc<Counters>,
}

impl std::fmt::Debug for FakeQueen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeQueen").finish_non_exhaustive()
    }
}

/// The default handler: `PING` → `OK PING reply=pong` + `PONG`; `CAT p` → `OK CAT path=p`,
/// `p`, `END`; `LS p` → `OK LS path=p entries=1`, `entry`, `END`; `ECHO p x` →
/// `OK ECHO path=p bytes=<len x>`; `QUIT` → `OK QUIT` and close.
#[must_use]
pub fn default_handler() -> Handler {
    Arc::new(|line: &str| {
        let mut words = line.splitn(3, ' ');
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let path = words.next().unwrap_or("");
        let rest = words.next().unwrap_or("");
        Some(match verb.as_str() {
            "PING" => vec!["OK PING reply=pong".into(), "PONG".into()],
            "CAT" => vec![format!("OK CAT path={path}"), path.to_owned(), "END".into()],
            "LS" => vec![
                format!("OK LS path={path} entries=1"),
                "entry".into(),
                "END".into(),
            ],
            "ECHO" => vec![format!("OK ECHO path={path} bytes={}", rest.len())],
            "QUIT" => return None,
            _ => vec!["ERR PARSE reason=policy detail=unsupported console command".into()],
        })
    })
}

impl FakeQueen {
    /// A queen accepting `token`, answering with `handler`.
    #[must_use]
    pub fn new(token: &str, handler: Handler) -> Self {
        Self {
            token: token.to_owned(),
            handler,
            batch_pause: Duration::from_millis(1),
            counters: Arc::new(Counters::default()),
        }
    }

    /// Another pause before answering what was read (default 1 ms).
    #[must_use]
    pub fn with_batch_pause(mut self, pause: Duration) -> Self {
        self.batch_pause = pause;
        self
    }

    /// A fresh in-memory connection served by this queen on a spawned task; returns the
    /// client end.
    #[must_use]
    pub fn connect(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let me = self.clone();
        tokio::spawn(async move { me.serve(server).await });
        client
    }

    /// Serves one connection until the client leaves, `QUIT`, or the handler closes.
    pub async fn serve(&self, mut s: DuplexStream) {
        self.counters.connections.fetch_add(1, Ordering::SeqCst);
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        let mut authed = false;
        let mut attached = false;
        loop {
            let Ok(n) = s.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            // Let a pipelining client put everything it wants on the wire first.
            tokio::time::sleep(self.batch_pause).await;
            while let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(0), s.read(&mut chunk)).await
            {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let pending = take_frames(&mut buf);
            if attached {
                self.counters
                    .max_unanswered
                    .fetch_max(pending.len(), Ordering::SeqCst);
            }
            let mut out = Vec::new();
            for payload in pending {
                let line = String::from_utf8_lossy(&payload).into_owned();
                if !authed {
                    if line != format!("AUTH {}", self.token) {
                        return;
                    }
                    authed = true;
                    out.extend(frame(b"OK AUTH"));
                    continue;
                }
                if !attached {
                    let role = line.split(' ').nth(1).unwrap_or("queen").to_owned();
                    attached = true;
                    out.extend(frame(format!("OK ATTACH role={role}").as_bytes()));
                    continue;
                }
                self.counters.lines.fetch_add(1, Ordering::SeqCst);
                if line.eq_ignore_ascii_case("PING") {
                    self.counters.pings.fetch_add(1, Ordering::SeqCst);
                }
                if line.eq_ignore_ascii_case("QUIT") {
                    self.counters.quits.fetch_add(1, Ordering::SeqCst);
                    out.extend(frame(b"OK QUIT"));
                    let _ = s.write_all(&out).await;
                    return;
                }
                match (self.handler)(&line) {
                    Some(lines) => {
                        for l in lines {
                            out.extend(frame(l.as_bytes()));
                        }
                    }
                    None => {
                        let _ = s.write_all(&out).await;
                        return;
                    }
                }
            }
            if s.write_all(&out).await.is_err() {
                return;
            }
        }
    }
}
