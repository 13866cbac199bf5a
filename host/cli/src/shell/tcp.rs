//! [`Backend`] over TCP with [`cohesix_tokio::Client`].
//!
//! `attach` opens a connection (AUTH in the first write, then ATTACH); `detach`/`quit`
//! send `quit` and close, so a later `attach` opens a new connection (the core session
//! attaches once per connection). The `OK ATTACH`, `ERR ATTACH` and `OK QUIT` lines the
//! shell prints are the ones the queen sent, as the core session delivered them.

use std::fmt;
use std::net::SocketAddr;

use cohesix_tokio::{Client, ClientConfig, ClientError, Credentials, Reply, Role};

use super::backend::{Backend, Op};

/// The console token, redacted in `Debug`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    #[must_use]
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The secret text (only for building credentials).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A TCP console backend.
#[derive(Debug)]
pub struct TcpBackend {
    addr: SocketAddr,
    token: Token,
    config: ClientConfig,
    client: Option<Client>,
}

impl TcpBackend {
    /// A backend that connects to `addr` on `attach`.
    #[must_use]
    pub fn new(addr: SocketAddr, token: Token, config: ClientConfig) -> Self {
        Self {
            addr,
            token,
            config,
            client: None,
        }
    }

    /// The connected client, if any.
    pub fn client_mut(&mut self) -> Option<&mut Client> {
        self.client.as_mut()
    }
}

fn core_err(e: impl Into<cohesix_core::error::Error>) -> ClientError {
    ClientError::Core(e.into())
}

/// All methods are cancel-safe: they only await [`Client`] methods, which are.
impl Backend for TcpBackend {
    async fn attach(&mut self, role: &str, ticket: Option<&str>) -> Result<Reply, ClientError> {
        let role = Role::from_label(role)
            .ok_or_else(|| core_err(cohesix_core::error::ConfigError::InvalidRole))?;
        let creds = Credentials::new(self.token.expose(), role, ticket).map_err(core_err)?;
        if let Some(mut old) = self.client.take() {
            let _ = old.quit().await;
        }
        // A refusal comes back as `ClientError::Refused` carrying the `ERR` line received.
        let client = Client::connect(self.addr, creds, self.config).await?;
        // The `OK ATTACH …` line exactly as the queen sent it.
        let ack = client
            .attach_ack()
            .ok_or_else(|| core_err(cohesix_core::error::CallerError::InvalidState))?;
        self.client = Some(client);
        Ok(Reply::ack_only(ack))
    }

    async fn request(&mut self, op: &Op) -> Result<Reply, ClientError> {
        let Some(c) = self.client.as_mut() else {
            return Err(core_err(cohesix_core::error::CallerError::InvalidState));
        };
        match op {
            Op::Ping => c.ping().await,
            Op::Bi => c.bi().await,
            Op::Caps => c.caps().await,
            Op::Mem => c.mem().await,
            Op::NetStats => c.netstats().await,
            Op::NetTest => c.nettest().await,
            Op::Test => c.test().await,
            Op::CacheLog(n) => c.cachelog(*n).await,
            Op::Ls(p) => c.ls(p).await,
            Op::Cat(p) => c.cat(p).await,
            Op::Tail(p) => c.tail(p).await,
            Op::Echo { path, payload } => c.echo(path, payload).await,
            Op::EchoOversize { path, len } => c.echo(path, &"A".repeat(*len)).await,
        }
    }

    async fn quit(&mut self) -> Result<Option<Reply>, ClientError> {
        match self.client.take() {
            Some(mut c) => match c.quit().await {
                Ok(reply) => Ok(Some(reply)),
                // Closed without an `OK QUIT`: nothing was received, nothing to print.
                Err(ClientError::Closed) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    fn is_attached(&self) -> bool {
        self.client.as_ref().is_some_and(|c| c.role().is_some())
    }
}
