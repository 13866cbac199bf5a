//! Backends over the shared console handle: [`TcpBackend`] (and, through
//! [`TcpBackend::over`], the in-process mock). Role and ticket normalisation of §5.4, the
//! 128-byte echo bound and the single-line rule are checked before anything is sent; the
//! connection opens on first use (a dry run that never calls the backend never connects).

use cohesix_core::request::Verb;
use std::collections::VecDeque;
use std::time::Duration;

use cohesix_core::role::Role;
use cohesix_core::ticket::normalize;
use cohesix_tokio::{
    ClientConfig, ClientError, Console, Credentials, Request, RetryPolicy, TcpConnector,
};

use super::line::{check_path, prepare_line};
use super::{Backend, BackendKind};
use crate::auth::{ticket_message, Secret};
use crate::error::Error;

/// Where and how to reach a queen's TCP console.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TcpOptions {
    /// Host name or address.
    pub host: String,
    /// Console port.
    pub port: u16,
    /// Console token.
    pub token: Secret,
    /// Role label (`queen`, `worker` = `worker-heartbeat`, `worker-gpu`, …).
    pub role: String,
    /// Attach ticket (required for worker roles).
    pub ticket: Option<Secret>,
    /// Per-operation timeout.
    pub timeout: Duration,
    /// Retries of connects and idempotent reads.
    pub max_retries: u32,
}

impl TcpOptions {
    /// Options for `host:port` with `token`, attaching as queen, 2 s timeout, 3 retries
    /// (upstream's defaults).
    #[must_use]
    pub fn new(host: impl Into<String>, port: u16, token: Secret) -> Self {
        Self {
            host: host.into(),
            port,
            token,
            role: "queen".into(),
            ticket: None,
            timeout: Duration::from_secs(2),
            max_retries: 3,
        }
    }

    /// Another role.
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = role.into();
        self
    }

    /// An attach ticket.
    #[must_use]
    pub fn ticket(mut self, ticket: Option<Secret>) -> Self {
        self.ticket = ticket;
        self
    }

    /// Another timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Another retry count.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The console configuration these options give.
    #[must_use]
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::new()
            .with_op_timeout(self.timeout.max(Duration::from_millis(1)))
            .with_retry(RetryPolicy::DEFAULT.with_max_retries(self.max_retries))
    }
}

/// Console credentials from a role label and ticket, with §5.4's rules and messages.
///
/// # Errors
/// [`Error::Role`] `"unknown role '<r>'"`; [`Error::Ticket`] `"ticket payload exceeds 224
/// bytes"`, `"ticket payload is required"`, `"ticket role <a> does not match requested role
/// <b>"`, `"ticket subject is required"`, `"invalid ticket: …"`.
pub fn credentials(token: &Secret, role: &str, ticket: Option<&str>) -> Result<Credentials, Error> {
    let role = Role::from_label(role.trim())
        .ok_or_else(|| Error::Role(format!("unknown role '{}'", role.trim())))?;
    let ticket = normalize(role, ticket).map_err(|e| Error::Ticket(ticket_message(&e)))?;
    Credentials::new(token.expose(), role, ticket)
        .map_err(|e| Error::Auth(format!("console credentials refused: {e}")))
}

/// A backend over one console session (TCP to a queen, or the in-process simulator).
#[derive(Clone, Debug)]
pub struct TcpBackend {
    console: Console,
    kind: BackendKind,
}

impl TcpBackend {
    /// A backend for the queen at `options.host:options.port`. Lazy: the console connects
    /// on first use. Must be called inside a tokio runtime (the connection driver is
    /// spawned on it).
    ///
    /// # Errors
    /// Role, ticket and token errors of the credentials (host-surface §5.4).
    pub fn connect(options: &TcpOptions) -> Result<Self, Error> {
        let creds = credentials(
            &options.token,
            &options.role,
            options.ticket.as_ref().map(Secret::expose),
        )?;
        let config = options.client_config();
        let connector = TcpConnector::new(format!("{}:{}", options.host, options.port))
            .with_timeout(config.op_timeout());
        let console = Console::with_connector(connector, creds, config).map_err(Error::from)?;
        Ok(Self::over(console, BackendKind::Tcp))
    }

    /// A backend over an existing console handle.
    #[must_use]
    pub fn over(console: Console, kind: BackendKind) -> Self {
        Self { console, kind }
    }

    /// The console handle underneath (share it with other tasks).
    #[must_use]
    pub fn console(&self) -> &Console {
        &self.console
    }
}

fn refused(verb: &'static str) -> impl Fn(ClientError) -> Error {
    move |e| match e {
        ClientError::Refused(ack) => Error::Refused { verb, ack },
        other => Error::from(other),
    }
}

fn request<'a>(
    r: Result<Request<'a>, cohesix_core::request::RequestError>,
) -> Result<Request<'a>, Error> {
    r.map_err(|e| Error::Payload(e.to_string()))
}

/// Lines joined as the backends return them: each followed by `\n`.
fn to_bytes<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

impl Backend for TcpBackend {
    fn kind(&self) -> BackendKind {
        self.kind
    }

    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        check_path(path)?;
        let reply = self
            .console
            .request(request(Request::ls(path))?)
            .await
            .map_err(refused(Verb::Ls.token()))?;
        let mut names = reply.lines.to_vec();
        names.sort();
        Ok(names)
    }

    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        check_path(path)?;
        // The reply budget counts 4 bytes per line on top of the text: a bound the data
        // itself can never exceed before `max_bytes` does.
        let budget = max_bytes.saturating_mul(5).saturating_add(64);
        let too_large = || Error::TooLarge {
            op: "read",
            path: path.to_owned(),
            max: max_bytes,
        };
        let reply = match self
            .console
            .request_limited(request(Request::cat(path))?, budget)
            .await
        {
            Err(ClientError::ResourceExhausted { .. }) => return Err(too_large()),
            other => other.map_err(refused(Verb::Cat.token()))?,
        };
        let body = reply.body();
        let bytes = to_bytes(body.iter().map(String::as_str));
        if bytes.len() > max_bytes {
            return Err(too_large());
        }
        Ok(bytes)
    }

    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        check_path(path)?;
        let mut stream = self
            .console
            .stream(request(Request::tail(path))?)
            .await
            .map_err(refused(Verb::Tail.token()))?;
        // Keep the newest whole lines that fit.
        let mut kept: VecDeque<String> = VecDeque::new();
        let mut size = 0usize;
        while let Some(line) = stream
            .next_line()
            .await
            .map_err(refused(Verb::Tail.token()))?
        {
            size += line.len() + 1;
            kept.push_back(line);
            while size > max_bytes {
                match kept.pop_front() {
                    Some(old) => size -= old.len() + 1,
                    None => break,
                }
            }
        }
        Ok(to_bytes(kept.iter().map(String::as_str)))
    }

    async fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        check_path(path)?;
        let line = prepare_line(path, line, true)?;
        self.console
            .request(request(Request::echo(path, line))?)
            .await
            .map_err(refused(Verb::Echo.token()))?;
        Ok(line.len() + 1)
    }

    async fn close(&self) -> Result<(), Error> {
        match self.console.quit().await {
            Ok(_) | Err(ClientError::Closed) => Ok(()),
            Err(e) => Err(Error::from(e)),
        }
    }
}
