//! A raw framed socket for what the client deliberately cannot send (oversize frames).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Deadline of one raw read or write.
pub const RAW_STEP: Duration = Duration::from_secs(5);

/// A framed connection without any client logic.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
}

pub use crate::frame;

impl RawConn {
    /// Connects and writes `AUTH <token>` in the first write.
    ///
    /// # Errors
    /// Connect or write failures.
    pub async fn connect_auth(addr: SocketAddr, token: &str) -> std::io::Result<Self> {
        let mut stream = timeout(RAW_STEP, TcpStream::connect(addr)).await??;
        stream.set_nodelay(true)?;
        stream
            .write_all(&frame(format!("AUTH {token}").as_bytes()))
            .await?;
        Ok(Self { stream })
    }

    /// Writes raw bytes.
    ///
    /// # Errors
    /// Write failures.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        timeout(RAW_STEP, self.stream.write_all(bytes)).await?
    }

    /// Writes one line as a frame.
    ///
    /// # Errors
    /// Write failures.
    pub async fn send_line(&mut self, line: &str) -> std::io::Result<()> {
        self.send_bytes(&frame(line.as_bytes())).await
    }

    /// Reads one frame's text; `None` on EOF, reset or timeout.
    pub async fn read_line(&mut self) -> Option<String> {
        let mut len = [0u8; 4];
        timeout(RAW_STEP, self.stream.read_exact(&mut len))
            .await
            .ok()?
            .ok()?;
        let n = usize::try_from(u32::from_le_bytes(len))
            .ok()?
            .checked_sub(4)?;
        let mut buf = vec![0u8; n];
        timeout(RAW_STEP, self.stream.read_exact(&mut buf))
            .await
            .ok()?
            .ok()?;
        String::from_utf8(buf).ok()
    }

    /// Reads lines until one satisfies `f` (at most `max` lines).
    pub async fn read_until(&mut self, max: usize, f: impl Fn(&str) -> bool) -> Option<String> {
        for _ in 0..max {
            let line = self.read_line().await?;
            if f(&line) {
                return Some(line);
            }
        }
        None
    }
}
