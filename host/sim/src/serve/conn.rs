//! One console connection over any byte stream: framing, AUTH, the inbound queue of 8, the
//! console, and every deadline of the session.
//!
//! ```text
//!  read (deadline: AUTH deadline before AUTH, idle deadline after)
//!    └► FrameDecoder ─► pre-auth: check_auth (silent close on failure)
//!          │             post-auth: inbound queue (≤ 8 per pass, extras dropped)
//!          ▼
//!       Console (server-wide mutex, never held across an await)
//!          ▼
//!  write (deadline: min(now + write timeout, idle deadline))
//! ```
//!
//! The idle rule (spec §2.5): only a **complete** inbound frame or a **completed** send resets
//! the idle deadline; partial frames and a send that is still blocked do not. So a peer that
//! trickles bytes, or authenticates, pipelines commands and stops reading, loses the session
//! at the idle deadline at the latest, and a send the peer does not drain fails at its write
//! deadline.

use std::sync::PoisonError;

use cohesix_core::command::check_auth;
use cohesix_core::frame::{encode_frame_raw, FrameDecodeError, FrameDecoder, HEADER_LEN};
use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};

use super::{stopped, SessionEnd, SimCore};
use crate::console::Session;

/// Bytes read from the stream per poll (the whole read buffer of a connection).
pub const READ_CHUNK: usize = 4096;
/// Reply to an oversize frame after AUTH.
pub const ERR_FRAME: &str = "ERR FRAME reason=invalid-length";

/// One item of the inbound queue.
enum Inbound {
    /// A frame payload to execute.
    Line(Vec<u8>),
    /// A framing error answered without execution.
    FrameError,
}

/// Result of feeding one read chunk through the decoder.
struct Pass {
    /// Complete frames seen (executed, dropped or refused).
    frames: usize,
    /// Set when the connection must close after this pass.
    close: Option<SessionEnd>,
}

fn push_frame(out: &mut Vec<u8>, line: &str) {
    if line.len() > MAX_LINE_LEN || line.trim().is_empty() {
        return;
    }
    let start = out.len();
    out.resize(start + HEADER_LEN + line.len(), 0);
    let _ = encode_frame_raw(line.as_bytes(), &mut out[start..]);
}

fn read_end(e: &std::io::Error) -> SessionEnd {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => SessionEnd::PeerClosed,
        _ => SessionEnd::Io,
    }
}

/// Serves one connection until it ends; returns why. Cancel safety: dropping the future
/// loses this connection's session state only (the console mutex is never held across an
/// await).
pub(super) async fn run<S>(
    core: &SimCore,
    stream: &mut S,
    stop: &mut watch::Receiver<bool>,
) -> SessionEnd
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let limits = core.limits();
    let mut decoder: FrameDecoder<MAX_LINE_LEN> = FrameDecoder::new();
    let mut session = Session::default();
    let mut authed = false;
    // Before AUTH this is the AUTH deadline (from accept, never extended); after, the idle one.
    let mut deadline = Instant::now() + limits.auth_timeout;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut queue: Vec<Inbound> = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    // One stop watcher and one read timer for the whole connection: the deadline only ever
    // moves later, so the timer stays armed where it is, fires early at worst, and is then
    // re-armed at the current deadline (no timer-wheel work per request).
    let stop = stopped(stop);
    tokio::pin!(stop);
    let read_timer = sleep_until(deadline);
    tokio::pin!(read_timer);
    loop {
        let n = loop {
            tokio::select! {
                biased;
                () = &mut stop => return SessionEnd::Stopped,
                r = stream.read(&mut buf) => break match r {
                    Ok(0) => return SessionEnd::PeerClosed,
                    Err(e) => return read_end(&e),
                    Ok(n) => n,
                },
                () = &mut read_timer => {
                    if Instant::now() >= deadline {
                        return if authed {
                            SessionEnd::IdleTimeout
                        } else {
                            SessionEnd::AuthTimeout
                        };
                    }
                    read_timer.as_mut().reset(deadline);
                }
            }
        };
        // Reused across passes (emptied below), so a steady exchange allocates nothing here.
        queue.clear();
        out.clear();
        let pass = decode(
            core,
            &buf[..n],
            &mut decoder,
            &mut authed,
            &mut queue,
            &mut out,
        );
        if authed && pass.frames > 0 {
            deadline = Instant::now() + limits.idle_timeout;
        }
        let mut close = pass.close;
        for item in queue.drain(..) {
            match item {
                Inbound::FrameError => push_frame(&mut out, ERR_FRAME),
                Inbound::Line(payload) => {
                    let reply = {
                        let console = core.console_ref();
                        let mut c = console.lock().unwrap_or_else(PoisonError::into_inner);
                        c.execute(&mut session, &payload)
                    };
                    for line in &reply.lines {
                        push_frame(&mut out, line);
                    }
                    if reply.close {
                        close = Some(SessionEnd::Quit);
                        break;
                    }
                }
            }
        }
        if !out.is_empty() {
            let write_at = (Instant::now() + limits.write_timeout).min(deadline);
            // Biased: a write that completes at once never registers its timer.
            tokio::select! {
                biased;
                () = &mut stop => return SessionEnd::Stopped,
                r = stream.write_all(&out) => if let Err(e) = r {
                    return read_end(&e);
                },
                // Lazy: the timer is created only if the write has to wait.
                () = async { sleep_until(write_at).await } => return SessionEnd::WriteTimeout,
            }
            if authed {
                deadline = Instant::now() + limits.idle_timeout;
            }
        }
        if let Some(end) = close {
            return end;
        }
    }
}

/// Feeds one chunk through the decoder; fills the inbound queue (≤ `MAX_IN_FLIGHT`
/// commands per pass, extras dropped like the real queen) and pre-auth replies.
fn decode(
    core: &SimCore,
    mut input: &[u8],
    decoder: &mut FrameDecoder<MAX_LINE_LEN>,
    authed: &mut bool,
    queue: &mut Vec<Inbound>,
    out: &mut Vec<u8>,
) -> Pass {
    let mut pass = Pass {
        frames: 0,
        close: None,
    };
    let mut commands = 0usize;
    let refuse = |authed: bool| {
        Some(if authed {
            SessionEnd::Protocol
        } else {
            SessionEnd::AuthRejected
        })
    };
    while !input.is_empty() {
        let (used, res) = decoder.push_counted(input);
        input = &input[used..];
        if let Err(e) = res {
            if !*authed || matches!(e, FrameDecodeError::TooShort { .. }) {
                pass.close = refuse(*authed);
                return pass;
            }
            pass.frames += 1;
            queue.push(Inbound::FrameError);
            if decoder.skip_payload().is_none() {
                pass.close = refuse(*authed);
                return pass;
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
        pass.frames += 1;
        if std::str::from_utf8(&payload).is_err() {
            pass.close = refuse(*authed);
            return pass;
        }
        if !*authed {
            if check_auth(&payload, core.token().expose()).is_err() {
                pass.close = refuse(false);
                return pass;
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
    pass
}
