//! What each `/v1/fs/*` route does: validate (400), take a fair-queue permit (429), run the
//! request on a console session, and map the outcome (see [`crate::response`] for the table).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use cohesix_tokio::{ClientError, Request};
use tokio::time::Instant;

use crate::cache::cacheable;
use crate::fair::{Kind, Principal, Rejection};
use crate::response::{ApiError, EchoBody, EchoOutcome, GatewayResponse};
use crate::state::Gateway;
use crate::validate;

/// Reply budget of one `LS` (bytes of names plus 4 per name).
pub const LS_BUDGET: usize = 256 * 1024;

/// A read route: the REST contract's [`cohesix::rest_api::ReadRoute`], shared with the
/// client (`cohesix::backend::RestBackend`).
pub use cohesix::rest_api::ReadRoute as ReadVerb;

/// How a read is named in a `max_bytes` error (`read` or `tail`).
const fn op_name(verb: ReadVerb) -> &'static str {
    match verb {
        ReadVerb::Tail => "tail",
        ReadVerb::Ls | ReadVerb::Cat => "read",
    }
}

fn joined_len(lines: &[String]) -> usize {
    lines.iter().map(String::len).sum::<usize>() + lines.len().saturating_sub(1)
}

const UNKNOWN_DROP: &str = "outcome unknown: the write was sent and the console connection \
    dropped before its acknowledgement; it may or may not have been applied and was not re-sent";
const UNKNOWN_DEADLINE: &str = "outcome unknown: the write was sent and no acknowledgement came \
    within the console deadline; it may or may not have been applied and was not re-sent";

impl Gateway {
    fn backpressure(&self, verb: &str, path: &str, r: Rejection, wait: Duration) -> ApiError {
        let (reason, msg) = match r {
            Rejection::QueueFull { .. } => (
                "queue_full",
                "gateway backpressure: the fair queue is full for this client; not sent".to_owned(),
            ),
            Rejection::WaitBudget { .. } => (
                "wait_budget",
                format!(
                    "gateway backpressure: no console slot within {} ms; not sent",
                    wait.as_millis()
                ),
            ),
        };
        self.inner.metrics.rejected(reason);
        let mut body = GatewayResponse::err(verb, path, msg);
        if verb == "ECHO" {
            body = body.with_outcome(EchoOutcome::NotSent);
        }
        ApiError::fs(StatusCode::TOO_MANY_REQUESTS, body).retry_after(r.retry_after_s())
    }

    /// A console failure other than a refusal, for a request that was not a write (or a
    /// write known not to have been sent).
    fn console_failure(verb: &str, path: &str, e: &ClientError) -> ApiError {
        let (status, msg) = match e {
            ClientError::Core(c) => (StatusCode::BAD_REQUEST, c.to_string()),
            ClientError::Timeout { op } => (
                StatusCode::GATEWAY_TIMEOUT,
                format!("console {op} timed out"),
            ),
            ClientError::OutcomeUnknown { .. } => (
                StatusCode::BAD_GATEWAY,
                "outcome unknown: the console connection dropped before the reply".to_owned(),
            ),
            ClientError::Protocol(_) => (StatusCode::BAD_GATEWAY, format!("console {e}")),
            _ => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("console unavailable: {e}"),
            ),
        };
        ApiError::fs(status, GatewayResponse::err(verb, path, msg))
    }

    /// `GET /v1/fs/ls|cat|tail`. Cancel-safe: a dropped call releases its permit; the
    /// console discards the reply of a request already sent.
    pub(crate) async fn read_op(
        &self,
        principal: &Principal,
        verb: ReadVerb,
        path: Option<&str>,
        max_bytes: Option<&str>,
    ) -> Result<GatewayResponse, ApiError> {
        let label = verb.label();
        let shown = path.unwrap_or("");
        let bad = |m: String| {
            ApiError::fs(
                StatusCode::BAD_REQUEST,
                GatewayResponse::err(label, shown, m),
            )
        };
        let limits = self.bounds().limits();
        let path = validate::path(path, limits).map_err(|e| bad(e.to_string()))?;
        let max = match verb {
            ReadVerb::Ls => None,
            _ => {
                Some(validate::max_bytes(max_bytes, path, limits).map_err(|e| bad(e.to_string()))?)
            }
        };
        let request = match verb {
            ReadVerb::Ls => Request::ls(path),
            ReadVerb::Cat => Request::cat(path),
            ReadVerb::Tail => Request::tail(path),
        }
        .map_err(|e| bad(e.to_string()))?;
        let exceeded = |m: usize| bad(format!("{} exceeded max_bytes {m}", op_name(verb)));
        let finish = |lines: Vec<String>| {
            let bytes = joined_len(&lines);
            match max {
                Some(m) if bytes > m => Err(exceeded(m)),
                _ => Ok(GatewayResponse::ok(label, path, lines, max.map(|_| bytes))),
            }
        };
        let cached = verb == ReadVerb::Cat && cacheable(path);
        let mut generation = 0;
        if cached {
            match self.inner.cache.get(path) {
                Ok(lines) => return finish(lines.as_ref().clone()),
                Err(g) => generation = g,
            }
        }
        let wait = self.config().read_wait;
        let permit = self
            .inner
            .queue
            .acquire(principal, Kind::Read, wait)
            .await
            .map_err(|r| self.backpressure(label, path, r, wait))?;
        let lease = self.inner.sessions.pick();
        let Some(console) = lease.console() else {
            return Err(ApiError::fs(
                StatusCode::INTERNAL_SERVER_ERROR,
                GatewayResponse::err(label, path, "no console session"),
            ));
        };
        let budget = max.map_or(LS_BUDGET, |m| m.saturating_mul(5).saturating_add(64));
        let result = console.request_limited(request, budget).await;
        drop(lease);
        drop(permit);
        match result {
            Ok(reply) => {
                let lines = match verb {
                    ReadVerb::Cat => reply.body(),
                    _ => reply.lines.to_vec(),
                };
                if cached {
                    self.inner
                        .cache
                        .insert(path, Arc::new(lines.clone()), generation);
                }
                finish(lines)
            }
            Err(ClientError::Refused(ack)) => Ok(GatewayResponse::err(label, path, ack.raw())),
            Err(ClientError::ResourceExhausted { .. }) => Err(exceeded(max.unwrap_or(LS_BUDGET))),
            Err(e) => Err(Self::console_failure(label, path, &e)),
        }
    }

    /// `POST /v1/fs/echo`. Cancel-safe: once a permit is taken the write runs in its own
    /// task, so a dropped call (client gone) still has its outcome recorded; nothing is
    /// re-sent.
    pub(crate) async fn echo_op(
        &self,
        principal: &Principal,
        body: EchoBody,
    ) -> Result<GatewayResponse, ApiError> {
        let shown = body.path.clone().unwrap_or_default();
        let raw_line = body.line.unwrap_or_default();
        let not_sent = |status: StatusCode, m: String| {
            self.inner.metrics.echo("not_sent");
            ApiError::fs(
                status,
                GatewayResponse::err("ECHO", &shown, m).with_outcome(EchoOutcome::NotSent),
            )
        };
        let limits = self.bounds().limits();
        let path = validate::path(body.path.as_deref(), limits)
            .map_err(|e| not_sent(StatusCode::BAD_REQUEST, e.to_string()))?
            .to_owned();
        let line = validate::echo(&path, &raw_line, limits)
            .map_err(|e| not_sent(StatusCode::BAD_REQUEST, e.to_string()))?
            .trim_matches(' ')
            .to_owned();
        if line.is_empty() {
            return Err(not_sent(
                StatusCode::BAD_REQUEST,
                validate::Invalid::LineRequired.to_string(),
            ));
        }
        Request::echo(&path, &line)
            .map_err(|e| not_sent(StatusCode::BAD_REQUEST, e.to_string()))?;
        let wait = self.config().write_wait;
        let permit = match self.inner.queue.acquire(principal, Kind::Write, wait).await {
            Ok(p) => p,
            Err(r) => {
                self.inner.metrics.echo("not_sent");
                return Err(self.backpressure("ECHO", &path, r, wait));
            }
        };
        // The write runs in its own task: its outcome is recorded and logged even if the
        // client goes away, and nothing ever re-sends it.
        let gw = self.clone();
        let task_path = path.clone();
        let bytes = line.len();
        let task = tokio::spawn(async move {
            let _permit = permit;
            let lease = gw.inner.sessions.pick();
            let console = lease.console()?.clone();
            let deadline = console.config().request_timeout();
            let started = Instant::now();
            let result = match Request::echo(&task_path, &line) {
                Ok(req) => console.request(req).await,
                Err(e) => Err(ClientError::Core(e.into())),
            };
            let elapsed = started.elapsed();
            let outcome = match &result {
                Ok(_) => "committed",
                Err(ClientError::Refused(_)) => "refused",
                Err(ClientError::OutcomeUnknown { .. }) => "unknown",
                Err(_) => "not_sent",
            };
            if outcome != "not_sent" {
                gw.inner.cache.invalidate();
            }
            gw.inner.metrics.echo(outcome);
            if outcome == "unknown" {
                tracing::warn!(path = %task_path, bytes, outcome, "echo outcome unknown; not re-sent");
            } else {
                tracing::debug!(path = %task_path, bytes, outcome, "echo");
            }
            Some((
                result,
                elapsed >= deadline.saturating_sub(Duration::from_millis(50)),
            ))
        });
        let (result, past_deadline) = match task.await {
            Ok(Some(r)) => r,
            _ => {
                return Err(ApiError::fs(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    GatewayResponse::err("ECHO", &path, "internal error: the write task failed")
                        .with_outcome(EchoOutcome::Unknown),
                ))
            }
        };
        match result {
            Ok(_) => Ok(
                GatewayResponse::ok("ECHO", &path, Vec::new(), Some(raw_line.len()))
                    .with_outcome(EchoOutcome::Committed),
            ),
            Err(ClientError::Refused(ack)) => {
                Ok(GatewayResponse::err("ECHO", &path, ack.raw())
                    .with_outcome(EchoOutcome::Refused))
            }
            Err(ClientError::OutcomeUnknown { .. }) => {
                let (status, msg) = if past_deadline {
                    (StatusCode::GATEWAY_TIMEOUT, UNKNOWN_DEADLINE)
                } else {
                    (StatusCode::BAD_GATEWAY, UNKNOWN_DROP)
                };
                Err(ApiError::fs(
                    status,
                    GatewayResponse::err("ECHO", &path, msg).with_outcome(EchoOutcome::Unknown),
                ))
            }
            Err(e) => {
                let mut err = Self::console_failure("ECHO", &path, &e);
                err.set_outcome(EchoOutcome::NotSent);
                Err(err)
            }
        }
    }
}
