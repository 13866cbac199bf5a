//! The console session(s) the gateway owns: one by default (`--sessions N` for queens that
//! accept more than one client), each a [`cohesix_tokio::Console`] that pipelines, keeps
//! itself alive with heartbeats and reconnects with back-off. Requests go to the least
//! loaded attached session (any session when none is attached: it reconnects).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cohesix::backend::{MockBackend, MockOptions};
use cohesix_tokio::{ClientConfig, ClientError, Console, ConsoleStatus, Credentials};

use crate::config::ConsoleSpec;

/// Why the console(s) could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// Credentials or configuration the console refused (no secrets in the message).
    Console(ClientError),
    /// The in-process mock could not start.
    Mock(cohesix::Error),
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Console(e) => write!(f, "console: {e}"),
            Self::Mock(e) => write!(f, "mock console: {e}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// The sessions.
pub struct Sessions {
    consoles: Vec<Console>,
    load: Vec<AtomicUsize>,
    mock: Option<MockBackend>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.consoles.len())
            .field("mock", &self.mock.is_some())
            .finish()
    }
}

/// A session picked for one request; its load count drops when this does.
pub struct Lease {
    console: Option<Console>,
    sessions: Arc<Sessions>,
    index: usize,
}

impl Lease {
    /// The console (`None` only for a gateway without sessions, which cannot be built).
    #[must_use]
    pub fn console(&self) -> Option<&Console> {
        self.console.as_ref()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(l) = self.sessions.load.get(self.index) {
            l.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Sessions {
    /// Opens `n` sessions of `spec` (the mock always has one). Lazy for TCP: each connects
    /// on first use; [`Sessions::warm_up`] connects them now. Must run inside a tokio runtime.
    ///
    /// # Errors
    /// [`SessionError`].
    pub fn open(spec: &ConsoleSpec, n: usize, client: ClientConfig) -> Result<Self, SessionError> {
        let (consoles, mock) = match spec {
            ConsoleSpec::Mock { include_mig } => {
                if n > 1 {
                    tracing::warn!("the mock queen serves one session; --sessions ignored");
                }
                let opts = MockOptions::new().root(None).include_mig(*include_mig);
                let mock = MockBackend::new(&opts).map_err(SessionError::Mock)?;
                (vec![mock.console().clone()], Some(mock))
            }
            ConsoleSpec::Tcp {
                target,
                token,
                role,
                ticket,
            } => {
                let mut v = Vec::with_capacity(n.max(1));
                for _ in 0..n.max(1) {
                    let creds = Credentials::new(
                        token.expose(),
                        *role,
                        ticket.as_ref().map(cohesix::auth::Secret::expose),
                    )
                    .map_err(|e| SessionError::Console(ClientError::Core(e.into())))?;
                    v.push(
                        Console::connect(target.clone(), creds, client)
                            .map_err(SessionError::Console)?,
                    );
                }
                (v, None)
            }
        };
        let load = consoles.iter().map(|_| AtomicUsize::new(0)).collect();
        Ok(Self {
            consoles,
            load,
            mock,
        })
    }

    /// Connects every session in the background (errors are logged; requests reconnect).
    pub fn warm_up(&self) {
        for (i, c) in self.consoles.iter().enumerate() {
            let c = c.clone();
            tokio::spawn(async move {
                match c.ready().await {
                    Ok(()) => {
                        tracing::info!(session = i, transport = c.transport(), "console attached")
                    }
                    Err(e) => tracing::warn!(session = i, error = %e, "console not attached yet"),
                }
            });
        }
    }

    /// The least loaded session, preferring attached ones.
    #[must_use]
    pub fn pick(self: &Arc<Self>) -> Lease {
        let index = self
            .load
            .iter()
            .zip(&self.consoles)
            .enumerate()
            .min_by_key(|(_, (l, c))| (!c.is_connected(), l.load(Ordering::Relaxed)))
            .map_or(0, |(i, _)| i);
        if let Some(l) = self.load.get(index) {
            l.fetch_add(1, Ordering::Relaxed);
        }
        Lease {
            console: self.consoles.get(index).cloned(),
            sessions: self.clone(),
            index,
        }
    }

    /// The first console (bounds and target hash lookups).
    #[must_use]
    pub fn first(&self) -> Option<&Console> {
        self.consoles.first()
    }

    /// Every session's status.
    #[must_use]
    pub fn status(&self) -> Vec<ConsoleStatus> {
        self.consoles.iter().map(Console::status).collect()
    }

    /// The mock queen, in mock mode (tests inspect its namespace).
    #[must_use]
    pub fn mock(&self) -> Option<&MockBackend> {
        self.mock.as_ref()
    }

    /// Sends `QUIT` on every attached session (bounded by one second each).
    ///
    /// Cancel-safe: the quits go ahead in the drivers.
    pub async fn close(&self) {
        for c in &self.consoles {
            if c.is_connected() {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), c.quit()).await;
            }
        }
    }
}
