//! Loopback TCP console (tokio) with the real queen's observable behaviour.
//!
//! ```text
//!  accept ─► busy? ──yes──► SO_LINGER 0 + drop (client sees a reset)
//!    │no
//!    ▼
//!  connection task: read chunk ─► FrameDecoder ─► pre-auth: check_auth (silent close on failure)
//!                                     │             post-auth: inbound queue (≤ 8, extras dropped)
//!                                     ▼
//!                   execute queue (Console, server-wide mutex) ─► frames out
//! ```
//!
//! Differences from SRV kept on purpose (real-queen notes win over the spec): AUTH failures
//! and the AUTH deadline close silently (no `ERR AUTH` on the wire); the idle close sends
//! nothing.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cohesix_core::command::check_auth;
use cohesix_core::frame::{encode_frame_raw, FrameDecodeError, FrameDecoder, HEADER_LEN};
use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Instant};

use crate::config::{AuthToken, SimConfig};
use crate::console::{Console, Session};
use crate::namespace::Namespace;

/// Bytes read from the socket per poll.
pub const READ_CHUNK: usize = 4096;
/// Longest wait for a graceful FIN after the session ended.
pub const CLOSE_GRACE: Duration = Duration::from_millis(250);
/// Reply to an oversize frame after AUTH.
pub const ERR_FRAME: &str = "ERR FRAME reason=invalid-length";

/// Entry point of the simulator library.
#[derive(Debug)]
pub struct Simulator;

/// A running simulator. Dropping the handle also stops it (the stop channel closes).
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    console: Arc<Mutex<Console>>,
}

impl Simulator {
    /// Binds `config.bind` and serves until [`SimHandle::shutdown`]. Must run inside a tokio
    /// runtime. Cancel safety: dropping the future before it completes drops the listener;
    /// nothing is left running.
    pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
        let listener = TcpListener::bind(config.bind).await?;
        let local_addr = listener.local_addr()?;
        let ns = Namespace::new(config.features, config.seed);
        let console = Arc::new(Mutex::new(Console::new(
            ns,
            config.secrets.clone(),
            config.clock.clone(),
        )));
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, config, console.clone(), rx));
        Ok(SimHandle {
            local_addr,
            shutdown: tx,
            task,
            console,
        })
    }
}

impl SimHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Shared console state (namespace inspection in tests).
    pub fn console(&self) -> Arc<Mutex<Console>> {
        self.console.clone()
    }

    /// Stops accepting, closes the live connection and waits for the server task.
    /// Cancel safety: the stop signal is sent before the first await, so dropping the future
    /// early still stops the server (without waiting for it).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    config: SimConfig,
    console: Arc<Mutex<Console>>,
    mut stop: watch::Receiver<bool>,
) {
    let busy = Arc::new(AtomicBool::new(false));
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                if busy.swap(true, Ordering::SeqCst) {
                    tracing::debug!(%peer, "second client reset");
                    reset(stream);
                    continue;
                }
                tracing::debug!(%peer, "connection open");
                let _ = stream.set_nodelay(true);
                let conn = Connection {
                    stream,
                    token: config.token.clone(),
                    console: console.clone(),
                    auth_timeout: config.auth_timeout,
                    idle_timeout: config.idle_timeout,
                };
                let busy = busy.clone();
                let stop = stop.clone();
                conns.retain(|h| !h.is_finished());
                conns.push(tokio::spawn(async move {
                    let mut stream = conn.run(stop).await;
                    // Free the slot before the client can observe the close, so a client
                    // that reconnects after seeing EOF is never mistaken for a second one.
                    busy.store(false, Ordering::SeqCst);
                    let _ = tokio::time::timeout(CLOSE_GRACE, stream.shutdown()).await;
                }));
            }
        }
    }
    for c in conns {
        let _ = c.await;
    }
}

/// Accept-then-reset: SO_LINGER 0 makes the close send RST.
fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// One item of the inbound queue.
enum Inbound {
    /// A frame payload to execute.
    Line(Vec<u8>),
    /// A framing error answered without execution.
    FrameError,
}

/// What to do with the connection after a decode pass.
enum Verdict {
    Continue,
    Close,
}

struct Connection {
    stream: TcpStream,
    token: AuthToken,
    console: Arc<Mutex<Console>>,
    auth_timeout: Duration,
    idle_timeout: Duration,
}

fn push_frame(out: &mut Vec<u8>, line: &str) {
    if line.len() > MAX_LINE_LEN || line.trim().is_empty() {
        return;
    }
    let start = out.len();
    out.resize(start + HEADER_LEN + line.len(), 0);
    let _ = encode_frame_raw(line.as_bytes(), &mut out[start..]);
}

impl Connection {
    /// Serves one client until QUIT, EOF, a fatal frame, a deadline or shutdown, then hands
    /// the socket back for closing. Cancel safety: dropping the future drops the socket (the
    /// client sees a close) and loses nothing else.
    async fn run(mut self, stop: watch::Receiver<bool>) -> TcpStream {
        self.serve(stop).await;
        self.stream
    }

    async fn serve(&mut self, mut stop: watch::Receiver<bool>) {
        let mut decoder: FrameDecoder<MAX_LINE_LEN> = FrameDecoder::new();
        let mut session = Session::default();
        let mut authed = false;
        let mut deadline = Instant::now() + self.auth_timeout;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = tokio::select! {
                _ = stop.changed() => return,
                r = timeout_at(deadline, self.stream.read(&mut buf)) => match r {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                    Ok(Ok(n)) => n,
                },
            };
            if authed {
                deadline = Instant::now() + self.idle_timeout;
            }
            let mut queue: Vec<Inbound> = Vec::new();
            let mut out: Vec<u8> = Vec::new();
            let verdict = self.decode(&buf[..n], &mut decoder, &mut authed, &mut queue, &mut out);
            if authed {
                deadline = Instant::now() + self.idle_timeout;
            }
            let mut close = matches!(verdict, Verdict::Close);
            for item in queue {
                match item {
                    Inbound::FrameError => push_frame(&mut out, ERR_FRAME),
                    Inbound::Line(payload) => {
                        let reply = {
                            let mut c = self.console.lock().unwrap_or_else(PoisonError::into_inner);
                            c.execute(&mut session, &payload)
                        };
                        for line in &reply.lines {
                            push_frame(&mut out, line);
                        }
                        if reply.close {
                            close = true;
                            break;
                        }
                    }
                }
            }
            if !out.is_empty() && self.stream.write_all(&out).await.is_err() {
                return;
            }
            if close {
                return;
            }
        }
    }

    /// Feeds one chunk through the decoder; fills the inbound queue (≤ `MAX_IN_FLIGHT`
    /// commands, extras dropped) and pre-auth replies.
    fn decode(
        &self,
        mut input: &[u8],
        decoder: &mut FrameDecoder<MAX_LINE_LEN>,
        authed: &mut bool,
        queue: &mut Vec<Inbound>,
        out: &mut Vec<u8>,
    ) -> Verdict {
        let mut commands = queue
            .iter()
            .filter(|i| matches!(i, Inbound::Line(_)))
            .count();
        while !input.is_empty() {
            let (used, res) = decoder.push_counted(input);
            input = &input[used..];
            if let Err(e) = res {
                if !*authed || matches!(e, FrameDecodeError::TooShort { .. }) {
                    return Verdict::Close;
                }
                queue.push(Inbound::FrameError);
                if decoder.skip_payload().is_none() {
                    return Verdict::Close;
                }
                continue;
            }
            let Some(frame) = decoder.frame() else {
                if used == 0 {
                    break;
                }
                continue;
            };
            let payload = frame.to_vec();
            decoder.clear_frame();
            if std::str::from_utf8(&payload).is_err() {
                return Verdict::Close;
            }
            if !*authed {
                if check_auth(&payload, self.token.expose()).is_err() {
                    return Verdict::Close;
                }
                *authed = true;
                push_frame(out, "OK AUTH");
                continue;
            }
            if commands < MAX_IN_FLIGHT {
                queue.push(Inbound::Line(payload));
                commands += 1;
            } else {
                tracing::debug!("inbound queue full; command dropped");
            }
        }
        Verdict::Continue
    }
}
