//! `cohsh --rest-url URL` (or `--transport rest`): the shell's read and echo verbs through
//! a hive-gateway, so an operator can work while the gateway holds the console.
//!
//! ```text
//!  Shell ── RestShell (this file) ── cohesix::backend::RestBackend ── HTTP ──► hive-gateway ─► queen
//! ```
//!
//! * `ls`, `cat`, `tail`, `log`, `echo` (and what is built on them: `spawn`, `kill`,
//!   `lifecycle`, `telemetry push`) go through the gateway. The acks are composed from its
//!   answers in the queen's shapes (`OK LS path=… entries=…`, `OK CAT path=… data=<preview>`
//!   with the simulator's preview rule, `OK TAIL path=…`, `OK ECHO path=… bytes=…`); a
//!   refusal is the queen's `ERR …` line as the gateway relayed it.
//! * `attach <role>` checks the role the gateway's session attached as (its status
//!   document); tickets stay with the gateway. `quit` only detaches locally.
//! * `ping` asks the gateway for its status; other console-only verbs (`bi`, `caps`, `mem`,
//!   …) answer `ERR <VERB> reason=rest detail=not-available-over-rest`.
//! * An echo whose outcome is unknown is reported as such and never re-sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{RestBackend, RestReply, RestVerb};
use cohesix_tokio::{Ack, AckStatus, ClientError, Lines, Reply};

use super::backend::{Backend, Op};
use super::runner::Shell;

/// `max_bytes` the shell asks the gateway for (its read cap).
pub const READ_BYTES: usize = 1024 * 1024;

/// The shell's backend over a hive-gateway.
#[derive(Debug)]
pub struct RestShell {
    rest: RestBackend,
    attached: Option<String>,
}

impl RestShell {
    /// A shell backend for the gateway at `url` (`token`: the request token).
    ///
    /// # Errors
    /// An unusable URL or token.
    pub fn new(url: &str, token: Option<Secret>, timeout: Duration) -> Result<Self, String> {
        RestBackend::new(url, timeout, token)
            .map(|rest| Self {
                rest,
                attached: None,
            })
            .map_err(|e| e.to_string())
    }
}

fn ack(status: AckStatus, label: &str, detail: &str) -> Ack {
    Ack::compose(status, label, Some(detail))
}

fn reply(ack: Ack, lines: &[String]) -> Reply {
    Reply {
        ack,
        lines: lines.iter().map(String::as_str).collect::<Lines>(),
    }
}

/// A library error as the shell's client error: refusals keep the queen's line, unknown
/// outcomes stay unknown, caller errors become a local `ERR` line, the rest are transport
/// failures.
fn client_error(label: &str, e: cohesix::Error) -> ClientError {
    use cohesix::ErrorKind;
    if let Some(a) = e.refusal() {
        return ClientError::Refused(a.clone());
    }
    match e {
        cohesix::Error::OutcomeUnknown { line } => ClientError::OutcomeUnknown { line },
        cohesix::Error::Console(c) => c,
        other if matches!(other.kind(), ErrorKind::Caller | ErrorKind::Resource) => {
            ClientError::Refused(ack(
                AckStatus::Err,
                label,
                &format!("reason=rest detail={other}"),
            ))
        }
        other => ClientError::Io(std::io::Error::other(other.to_string())),
    }
}

fn refused(label: &str, r: &RestReply) -> ClientError {
    ClientError::Refused(r.refusal().unwrap_or_else(|| {
        ack(
            AckStatus::Err,
            label,
            &format!(
                "reason=rest detail={}",
                r.error.as_deref().unwrap_or("failed")
            ),
        )
    }))
}

impl RestShell {
    async fn read(&self, verb: RestVerb, path: &str) -> Result<Reply, ClientError> {
        let label = verb.label();
        let max = (verb != RestVerb::Ls).then_some(READ_BYTES);
        let r = self
            .rest
            .fs(verb, path, max)
            .await
            .map_err(|e| client_error(label, e))?;
        if !r.ok {
            return Err(refused(label, &r));
        }
        let detail = match verb {
            RestVerb::Ls => format!("path={path} entries={}", r.lines.len()),
            RestVerb::Cat => format!(
                "path={path} data={}",
                cohesix_sim::preview::cat_preview(path, &r.lines)
            ),
            RestVerb::Tail => format!("path={path}"),
        };
        Ok(reply(ack(AckStatus::Ok, label, &detail), &r.lines))
    }

    async fn echo(&self, path: &str, payload: &str) -> Result<Reply, ClientError> {
        let r = self
            .rest
            .echo(path, payload)
            .await
            .map_err(|e| client_error("ECHO", e))?;
        if !r.ok {
            return Err(refused("ECHO", &r));
        }
        let bytes = r.bytes.unwrap_or(payload.len() as u64);
        Ok(reply(
            ack(AckStatus::Ok, "ECHO", &format!("path={path} bytes={bytes}")),
            &[],
        ))
    }

    /// The role label the gateway's session attached as.
    async fn gateway_role(&self) -> Result<Option<String>, ClientError> {
        let st = self
            .rest
            .status()
            .await
            .map_err(|e| client_error("ATTACH", e))?;
        Ok(st["role"].as_str().map(str::to_owned))
    }
}

/// All methods are cancel-safe: they only await the REST backend, which is.
impl Backend for RestShell {
    async fn attach(&mut self, role: &str, _ticket: Option<&str>) -> Result<Reply, ClientError> {
        let wanted = cohesix_tokio::Role::from_label(role)
            .map(|r| r.label().to_owned())
            .ok_or_else(|| {
                ClientError::Refused(ack(
                    AckStatus::Err,
                    "ATTACH",
                    "reason=rest detail=unknown-role",
                ))
            })?;
        match self.gateway_role().await? {
            Some(r) if r == wanted => {
                self.attached = Some(r.clone());
                Ok(Reply::ack_only(ack(
                    AckStatus::Ok,
                    "ATTACH",
                    &format!("role={r} transport=rest"),
                )))
            }
            Some(r) => Err(ClientError::Refused(ack(
                AckStatus::Err,
                "ATTACH",
                &format!("reason=rest detail=gateway-attached-as-{r}"),
            ))),
            None => Err(ClientError::Refused(ack(
                AckStatus::Err,
                "ATTACH",
                "reason=rest detail=gateway-not-attached",
            ))),
        }
    }

    async fn request(&mut self, op: &Op) -> Result<Reply, ClientError> {
        match op {
            Op::Ls(p) => self.read(RestVerb::Ls, p).await,
            Op::Cat(p) => self.read(RestVerb::Cat, p).await,
            Op::Tail(p) => self.read(RestVerb::Tail, p).await,
            Op::Echo { path, payload } => self.echo(path, payload).await,
            Op::Plain(cohesix_core::request::Verb::Ping) => {
                self.gateway_role().await?;
                Ok(reply(
                    ack(AckStatus::Ok, "PING", "reply=pong transport=rest"),
                    &["PONG".to_owned()],
                ))
            }
            other => Err(ClientError::Refused(ack(
                AckStatus::Err,
                other.label(),
                "reason=rest detail=not-available-over-rest",
            ))),
        }
    }

    async fn quit(&mut self) -> Result<Option<Reply>, ClientError> {
        Ok(self
            .attached
            .take()
            .map(|_| Reply::ack_only(ack(AckStatus::Ok, "QUIT", "transport=rest"))))
    }

    fn is_attached(&self) -> bool {
        self.attached.is_some()
    }
}

/// Runs `cohsh` over the gateway at `url`: the script at `script` (EXPECT checks), or
/// attaches as `role` (when given) and reads commands from standard input, one per line.
///
/// Cancel safety: dropping the future stops between or inside commands; an echo already
/// sent may still be applied (never re-sent).
///
/// # Errors
/// A message for the user (connection, script, expectation failures).
pub async fn run(
    url: &str,
    token: Option<Secret>,
    timeout: Duration,
    script: Option<&Path>,
    role: Option<&str>,
) -> Result<(), String> {
    let backend = RestShell::new(url, token, timeout)?;
    let cwd: PathBuf = std::env::current_dir().map_err(|e| e.to_string())?;
    let mut shell = Shell::new(backend, std::io::stdout(), cwd);
    if let Some(path) = script {
        return shell.run_script_file(path).await;
    }
    if let Some(r) = role {
        shell
            .execute_line(&format!("attach {r}"))
            .await
            .map_err(|e| e.to_string())?;
    }
    // Line mode: the gateway keeps the console alive, so nothing needs servicing between
    // lines.
    loop {
        let read = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|n| (n, line))
        })
        .await
        .map_err(|e| e.to_string())?;
        let line = match read {
            Ok((0, _)) => return Ok(()),
            Ok((_, line)) => line,
            Err(e) => return Err(e.to_string()),
        };
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match shell.execute_line(text).await {
            Ok(o) if matches!(o.flow, super::runner::Flow::Quit) => return Ok(()),
            Ok(_) => {}
            Err(e) => eprintln!("error: {e}"),
        }
    }
}
