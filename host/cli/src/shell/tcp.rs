//! [`Backend`] over a [`Console`]: TCP to a queen, or the in-process mock.
//!
//! `attach` opens a connection (AUTH in the first write, then ATTACH) through a
//! [`Console`] — over TCP, or over the host library's in-process mock (`--transport mock`,
//! no socket); `detach`/`quit` send `quit` and close, so a later `attach` opens a new
//! connection (the core session attaches once per connection). The `OK ATTACH`, `ERR ATTACH` and `OK QUIT` lines the
//! shell prints are the ones the queen sent, as the core session delivered them.

use std::fmt;
use std::net::SocketAddr;

use cohesix::backend::MockBackend;
use cohesix_core::request::Request;
use cohesix_tokio::{ClientConfig, ClientError, Console, Credentials, Reply, Role};

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

/// Where the shell's console connects.
#[derive(Debug)]
enum Target {
    /// A queen's TCP console.
    Tcp(SocketAddr),
    /// The in-process simulator of the host library (no socket).
    Mock(Box<MockBackend>),
}

/// The shell's console backend: TCP to a queen, or the in-process mock.
#[derive(Debug)]
pub struct TcpBackend {
    target: Target,
    token: Token,
    config: ClientConfig,
    console: Option<Console>,
}

impl TcpBackend {
    /// A backend that connects to `addr` on `attach`.
    #[must_use]
    pub fn new(addr: SocketAddr, token: Token, config: ClientConfig) -> Self {
        Self {
            target: Target::Tcp(addr),
            token,
            config,
            console: None,
        }
    }

    /// A backend over the host library's in-process mock queen: the same console code
    /// over an in-memory transport, no listening socket.
    #[must_use]
    pub fn mock(mock: MockBackend, config: ClientConfig) -> Self {
        Self {
            target: Target::Mock(Box::new(mock)),
            token: Token::new(String::new()),
            config,
            console: None,
        }
    }

    /// The attached console, if any (share it for benchmarks).
    #[must_use]
    pub fn console(&self) -> Option<&Console> {
        self.console.as_ref()
    }
}

fn core_err(e: impl Into<cohesix_core::error::Error>) -> ClientError {
    ClientError::Core(e.into())
}

/// All methods are cancel-safe: they only await [`Console`] methods, which are.
impl Backend for TcpBackend {
    async fn attach(&mut self, role: &str, ticket: Option<&str>) -> Result<Reply, ClientError> {
        let role = Role::from_label(role)
            .ok_or_else(|| core_err(cohesix_core::error::ConfigError::InvalidRole))?;
        if let Some(old) = self.console.take() {
            let _ = old.quit().await;
        }
        let console = match &self.target {
            Target::Tcp(addr) => {
                let creds =
                    Credentials::new(self.token.expose(), role, ticket).map_err(core_err)?;
                Console::connect(addr.to_string(), creds, self.config)?
            }
            Target::Mock(mock) => mock
                .attach_console(role, ticket, self.config)
                .map_err(|e| match e {
                    cohesix::Error::Console(c) => c,
                    _ => core_err(cohesix_core::error::ConfigError::InvalidTicket),
                })?,
        };
        // A refusal comes back as `ClientError::Refused` carrying the `ERR` line received.
        console.ready().await?;
        // The `OK ATTACH …` line exactly as the queen sent it.
        let ack = console
            .attach_ack()
            .ok_or_else(|| core_err(cohesix_core::error::CallerError::InvalidState))?;
        self.console = Some(console);
        Ok(Reply::ack_only(ack))
    }

    async fn request(&mut self, op: &Op) -> Result<Reply, ClientError> {
        let Some(c) = self.console.as_ref() else {
            return Err(core_err(cohesix_core::error::CallerError::InvalidState));
        };
        match op {
            Op::Plain(verb) => match Request::without_args(*verb) {
                Some(request) => c.request(request).await,
                // A verb that needs arguments has its own `Op`.
                None => Err(core_err(cohesix_core::error::CallerError::InvalidState)),
            },
            Op::CacheLog(n) => c.cachelog(*n).await,
            Op::Ls(p) => c.ls(p).await,
            Op::Cat(p) => c.cat(p).await,
            Op::Tail(p) => c.tail(p).await,
            Op::Echo { path, payload } => c.echo(path, payload).await,
            Op::EchoOversize { path, len } => c.echo(path, &"A".repeat(*len)).await,
        }
    }

    async fn quit(&mut self) -> Result<Option<Reply>, ClientError> {
        match self.console.take() {
            Some(c) => match c.quit().await {
                Ok(reply) => Ok(Some(reply)),
                // Closed without an `OK QUIT`: nothing was received, nothing to print.
                Err(ClientError::Closed) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    fn is_attached(&self) -> bool {
        self.console
            .as_ref()
            .is_some_and(|c| c.is_connected() && c.role().is_some())
    }
}
