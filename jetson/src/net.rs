//! [`Link`] over an embassy-net TCP socket (the firmware and the TAP host program use it).

use embassy_net::tcp::{ConnectError, Error as TcpError, TcpSocket};
use embassy_net::IpEndpoint;
use embassy_time::{with_timeout, Duration};
use embedded_io_async::{ErrorType, Read, Write};

use crate::agent::{Link, LinkError};

/// A reconnectable TCP connection to the queen on an embassy-net stack.
pub struct TcpLink<'a> {
    socket: TcpSocket<'a>,
    remote: IpEndpoint,
    timeout: Duration,
}

impl core::fmt::Debug for TcpLink<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpLink")
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl<'a> TcpLink<'a> {
    /// Wraps `socket` (buffers owned by the caller) for connections to `remote`. The socket
    /// gets `timeout` as its inactivity timeout, Nagle off (one small frame per request), and
    /// `connect` is bounded by the same timeout.
    pub fn new(mut socket: TcpSocket<'a>, remote: IpEndpoint, timeout: Duration) -> Self {
        socket.set_timeout(Some(timeout));
        socket.set_nagle_enabled(false);
        Self {
            socket,
            remote,
            timeout,
        }
    }

    /// The socket (state, endpoints).
    pub fn socket(&self) -> &TcpSocket<'a> {
        &self.socket
    }
}

impl ErrorType for TcpLink<'_> {
    type Error = TcpError;
}

impl Read for TcpLink<'_> {
    /// Cancel-safe: embassy-net dequeues bytes only when it returns them.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, TcpError> {
        self.socket.read(buf).await
    }
}

impl Write for TcpLink<'_> {
    /// Cancel-safe: bytes are either queued in the socket (and counted) or not at all.
    async fn write(&mut self, buf: &[u8]) -> Result<usize, TcpError> {
        self.socket.write(buf).await
    }

    /// Not cancel-safe in the sense that the flush may still be in progress; harmless, the
    /// bytes are queued in the socket either way.
    async fn flush(&mut self) -> Result<(), TcpError> {
        self.socket.flush().await
    }
}

impl Link for TcpLink<'_> {
    /// Aborts any previous connection and connects, bounded by the link timeout.
    /// Cancel-safe: a dropped connect leaves the socket to the next `abort`.
    async fn open(&mut self) -> Result<(), LinkError> {
        self.socket.abort();
        match with_timeout(self.timeout, self.socket.connect(self.remote)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(ConnectError::ConnectionReset)) => Err(LinkError::Refused),
            Ok(Err(ConnectError::TimedOut)) | Err(_) => {
                self.socket.abort();
                Err(LinkError::TimedOut)
            }
            Ok(Err(_)) => Err(LinkError::Local),
        }
    }

    fn abort(&mut self) {
        self.socket.abort();
    }
}
