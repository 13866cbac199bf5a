//! [`GatewayConfig`]: everything a gateway needs, with upstream's defaults where it had them.
//! Build one directly (tests, embedding) or from command-line values with
//! [`crate::startup::StartupOptions`], which applies §5.9's start-up rules.

use std::net::SocketAddr;
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix_tokio::{ClientConfig, RetryPolicy, Role};

use crate::bounds::Bounds;
use crate::fair::QueueConfig;

/// Default listen address (upstream's).
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default wait budget of a read in the fair queue (upstream's telemetry-pool checkout wait).
pub const DEFAULT_READ_WAIT: Duration = Duration::from_millis(800);
/// Default wait budget of a write in the fair queue (upstream's control-pool checkout wait).
pub const DEFAULT_WRITE_WAIT: Duration = Duration::from_millis(2000);
/// Largest request body (an ECHO body is a path and one ≤ 128-byte line).
pub const DEFAULT_BODY_LIMIT: usize = 4096;
/// Default whole-request deadline of a console request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time in-flight requests get to finish after a shutdown signal.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);
/// Most console sessions (`--sessions`).
pub const MAX_SESSIONS: usize = 32;

/// The console underneath.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConsoleSpec {
    /// The in-process mock queen (`cohesix::backend::MockBackend`, no socket, no mirror).
    Mock {
        /// Serve `/gpu/MIG-0` too.
        include_mig: bool,
    },
    /// A queen's TCP console.
    Tcp {
        /// `host:port`, resolved on every connect.
        target: String,
        /// Console token.
        token: Secret,
        /// Role to attach as.
        role: Role,
        /// Attach ticket (workers).
        ticket: Option<Secret>,
    },
}

/// Configuration of a gateway.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// The console.
    pub console: ConsoleSpec,
    /// Listen address.
    pub bind: SocketAddr,
    /// The request token every route needs (a random one nobody knows when `None`).
    pub request_token: Option<Secret>,
    /// Reads without a token.
    pub public_reads: bool,
    /// Console sessions (queens that accept more than one client).
    pub sessions: usize,
    /// Fair-queue sizes.
    pub queue: QueueConfig,
    /// Wait budget of a read.
    pub read_wait: Duration,
    /// Wait budget of a write.
    pub write_wait: Duration,
    /// `/proc` cache lifetime.
    pub cache_ttl: Duration,
    /// `/proc` cache entries (0 disables it).
    pub cache_entries: usize,
    /// Largest request body.
    pub body_limit: usize,
    /// Console configuration (timeouts, back-off 200 ms doubling to 2 s, heartbeat).
    pub client: ClientConfig,
    /// The bounds document and limits.
    pub bounds: Bounds,
    /// Drain time after a shutdown signal.
    pub drain_timeout: Duration,
}

/// The console configuration the gateway uses by default: the manifest's 5 s operation
/// timeout, 3 retries with back-off 200 ms doubling to 2 s, 15 s heartbeat, and a 10 s
/// whole-request deadline.
#[must_use]
pub fn default_client() -> ClientConfig {
    ClientConfig::new()
        .with_retry(RetryPolicy::DEFAULT)
        .with_request_timeout(DEFAULT_REQUEST_TIMEOUT)
}

impl GatewayConfig {
    fn with_console(console: ConsoleSpec, bounds: Bounds) -> Self {
        Self {
            console,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_token: None,
            public_reads: false,
            sessions: 1,
            queue: QueueConfig::for_sessions(1),
            read_wait: DEFAULT_READ_WAIT,
            write_wait: DEFAULT_WRITE_WAIT,
            cache_ttl: crate::cache::DEFAULT_TTL,
            cache_entries: crate::cache::DEFAULT_ENTRIES,
            body_limit: DEFAULT_BODY_LIMIT,
            client: default_client(),
            bounds,
            drain_timeout: DEFAULT_DRAIN,
        }
    }

    /// A gateway over the in-process mock queen, with the compiled bounds.
    ///
    /// # Errors
    /// As [`Bounds::generated`].
    pub fn mock() -> Result<Self, crate::bounds::BoundsError> {
        Ok(Self::with_console(
            ConsoleSpec::Mock { include_mig: false },
            Bounds::generated()?,
        ))
    }

    /// A gateway over the TCP console at `target`, attaching as `role`, with the compiled
    /// bounds.
    ///
    /// # Errors
    /// As [`Bounds::generated`].
    pub fn tcp(
        target: impl Into<String>,
        token: Secret,
        role: Role,
        ticket: Option<Secret>,
    ) -> Result<Self, crate::bounds::BoundsError> {
        Ok(Self::with_console(
            ConsoleSpec::Tcp {
                target: target.into(),
                token,
                role,
                ticket,
            },
            Bounds::generated()?,
        ))
    }

    /// Another listen address.
    #[must_use]
    pub fn bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
        self
    }

    /// The request token.
    #[must_use]
    pub fn request_token(mut self, token: Option<Secret>) -> Self {
        self.request_token = token;
        self
    }

    /// Reads without a token.
    #[must_use]
    pub fn public_reads(mut self, on: bool) -> Self {
        self.public_reads = on;
        self
    }

    /// `n` console sessions (1..=[`MAX_SESSIONS`]); the queue depth follows.
    #[must_use]
    pub fn sessions(mut self, n: usize) -> Self {
        self.sessions = n.clamp(1, MAX_SESSIONS);
        self.queue = QueueConfig {
            depth: QueueConfig::for_sessions(self.sessions).depth,
            ..self.queue
        };
        self
    }

    /// Other fair-queue sizes.
    #[must_use]
    pub fn queue(mut self, queue: QueueConfig) -> Self {
        self.queue = queue;
        self
    }

    /// Other wait budgets.
    #[must_use]
    pub fn waits(mut self, read: Duration, write: Duration) -> Self {
        self.read_wait = read;
        self.write_wait = write;
        self
    }

    /// Another console configuration.
    #[must_use]
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.client = client;
        self
    }

    /// Other bounds.
    #[must_use]
    pub fn bounds(mut self, bounds: Bounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// Another `/proc` cache (`entries` 0 disables it).
    #[must_use]
    pub fn cache(mut self, ttl: Duration, entries: usize) -> Self {
        self.cache_ttl = ttl;
        self.cache_entries = entries;
        self
    }

    /// Another body limit.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Another drain time.
    #[must_use]
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_backs_off_200_ms_doubling_to_2_s_and_keeps_alive() {
        let c = default_client();
        let ms: Vec<u128> = (0..6).map(|a| c.retry().delay(a).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(c.heartbeat(), Some(Duration::from_millis(15_000)));
        assert_eq!(c.request_timeout(), DEFAULT_REQUEST_TIMEOUT);
        let g = GatewayConfig::mock().unwrap().sessions(99);
        assert_eq!(g.sessions, MAX_SESSIONS);
        assert_eq!(g.queue.depth, 16 * MAX_SESSIONS);
        assert_eq!((g.body_limit, g.cache_entries), (4096, 64));
    }
}
