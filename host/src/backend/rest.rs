//! [`RestBackend`]: the backend contract over the hive-gateway's REST API (host-surface
//! §5.5), with reqwest and rustls. Feature `rest`.
//!
//! ```text
//!  RestBackend ── GET  /v1/fs/ls?path=            ┐
//!              ── GET  /v1/fs/cat?path=&max_bytes=│ retried: 429, 500, 502, 503, 504, transport
//!              ── GET  /v1/fs/tail?path=&max_bytes┘ errors; back-off 200 ms doubling to 2 s
//!              ── GET  /v1/meta/bounds, /v1/meta/status
//!              ── POST /v1/fs/echo {"path","line"}   sent once, never retried
//! ```
//!
//! * **Headers** on every request: `Accept: application/json` and, when a token is set,
//!   both `Authorization: Bearer <token>` and `x-cohesix-auth: <token>` (marked sensitive:
//!   never logged). Token precedence is [`crate::auth::resolve_rest_token`]'s.
//! * **Answers** must be JSON objects; `status == "OK"` is success, else the `error` field
//!   (a target refusal is the queen's `ERR …` line, returned as [`Error::Refused`]); `lines`
//!   must be a list when present (`"invalid REST response: lines missing"`). Without a JSON
//!   `error`, a failed request says `"REST <METHOD> <path> failed with status <code>"`; a
//!   network failure `"REST connection failed: <cause>"`.
//! * **Retries** (reads only): at most `max_attempts` tries in all (default 3); before retry
//!   `a` (0-based) the delay is `min(backoff·2^a, ceiling)`, raised to an integer
//!   `Retry-After` but never past the ceiling (upstream let `Retry-After` exceed it).
//! * **Appends are never retried** (upstream retried them): a request that may have reached
//!   the gateway and got no answer, or an answer saying the outcome is unknown (502/504), is
//!   [`Error::OutcomeUnknown`]; a refused connection, 429 (the gateway guarantees it was not
//!   sent) and 503 are [`Error::Rest`] — not sent, safe to send again.
//! * `bytes_written` is the line's length plus one, like every backend; [`Backend::bounds`] is
//!   the gateway's bounds document ([`RestBackend::bounds_text`] keeps its bytes and field
//!   order).
//!
//! Cancel safety: every method is cancel-safe in the sense of [`Backend`]: dropping a call
//! stops it (no retry follows); a dropped append may still be applied.

use std::sync::Arc;
use std::time::Duration;

use cohesix_core::request::Verb;
use cohesix_tokio::Ack;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::line::{check_path, prepare_line};
use super::{Backend, BackendKind};
use crate::auth::Secret;
use crate::error::Error;

pub use crate::rest_api::{
    AUTH_HEADER, BOUNDS_PATH, CAT_PATH, ECHO_PATH, LS_PATH, STATUS_PATH, TAIL_PATH,
};
/// Largest answer body read (bytes).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// `max_bytes` a [`Backend::tail`] asks the gateway for (its read cap); the newest lines
/// that fit the caller's bound are kept.
pub const TAIL_FETCH_BYTES: usize = 1024 * 1024;

/// Retry policy of idempotent reads (the generated defaults: 3 tries, 200 ms doubling to
/// 2000 ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestRetry {
    /// Tries in all (at least 1).
    pub max_attempts: u32,
    /// First back-off.
    pub backoff: Duration,
    /// Back-off ceiling (also caps `Retry-After`).
    pub ceiling: Duration,
}

impl RestRetry {
    /// The generated defaults.
    pub const DEFAULT: Self = Self {
        max_attempts: cohesix_generated::retry::MAX_ATTEMPTS,
        backoff: Duration::from_millis(cohesix_generated::retry::BACKOFF_MS),
        ceiling: Duration::from_millis(cohesix_generated::retry::CEILING_MS),
    };

    /// Delay before retry `attempt` (0-based): `min(backoff·2^attempt, ceiling)`, raised to
    /// `retry_after`, capped at the ceiling (never below the backoff).
    #[must_use]
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling.max(self.backoff);
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        let d = self
            .backoff
            .checked_mul(factor)
            .unwrap_or(ceiling)
            .min(ceiling);
        retry_after.map_or(d, |ra| d.max(ra).min(ceiling))
    }
}

impl Default for RestRetry {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which read: the gateway's read routes ([`crate::rest_api::ReadRoute`]).
pub use crate::rest_api::ReadRoute as RestVerb;

/// A gateway answer with HTTP 200 (`status` `OK` or `ERR`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestReply {
    /// `status == "OK"`.
    pub ok: bool,
    /// The data lines.
    pub lines: Vec<String>,
    /// The `bytes` field.
    pub bytes: Option<u64>,
    /// The `error` field (a target refusal: the `ERR …` line).
    pub error: Option<String>,
}

impl RestReply {
    /// The refusal line as an [`Ack`], when `error` is one.
    #[must_use]
    pub fn refusal(&self) -> Option<Ack> {
        self.error
            .as_deref()
            .and_then(Ack::parse)
            .filter(|a| !a.is_ok())
    }
}

/// Options of a [`RestBackend`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RestOptions {
    /// Base URL (a trailing `/` is removed).
    pub url: String,
    /// Whole-request timeout (upstream's default 2 s).
    pub timeout: Duration,
    /// The request token.
    pub token: Option<Secret>,
    /// Retry policy of reads.
    pub retry: RestRetry,
}

impl RestOptions {
    /// Options for `url` with upstream's defaults (2 s, no token, the generated retry).
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(2),
            token: None,
            retry: RestRetry::DEFAULT,
        }
    }

    /// Another timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request token.
    #[must_use]
    pub fn token(mut self, token: Option<Secret>) -> Self {
        self.token = token;
        self
    }

    /// Another retry policy.
    #[must_use]
    pub fn retry(mut self, retry: RestRetry) -> Self {
        self.retry = retry;
        self
    }
}

/// The backend over a hive-gateway. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct RestBackend {
    http: reqwest::Client,
    base: Arc<str>,
    headers: HeaderMap,
    retry: RestRetry,
}

impl std::fmt::Debug for RestBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestBackend")
            .field("base", &self.base)
            .field("token", &self.headers.contains_key(AUTH_HEADER))
            .field("retry", &self.retry)
            .finish()
    }
}

/// What one HTTP exchange returned.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Result<Value, String>,
}

impl Answer {
    fn field(&self, key: &str) -> Option<&str> {
        self.body.as_ref().ok()?.get(key)?.as_str()
    }
}

/// The cause chain of an error, joined by `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

fn connection_failed(e: &reqwest::Error) -> Error {
    Error::Rest(format!("REST connection failed: {}", chain(e)))
}

/// The answer's body, at most [`MAX_RESPONSE_BYTES`] (`Err` text when it is longer).
async fn body_of(resp: &mut reqwest::Response) -> Result<Result<Vec<u8>, String>, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Ok(Err(format!("answer exceeds {MAX_RESPONSE_BYTES} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Ok(bytes))
}

/// `bytes` as a JSON object.
fn json_object(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<Value>(bytes)
        .map_err(|e| e.to_string())
        .and_then(|v| {
            if v.is_object() {
                Ok(v)
            } else {
                Err("not a JSON object".into())
            }
        })
}

fn retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl RestBackend {
    /// A backend for the gateway at `url` with `timeout` and `token` (the generated retry
    /// policy). Nothing connects until the first call.
    ///
    /// # Errors
    /// [`Error::Usage`] for a URL that is not `http(s)://…`, or when the HTTP client cannot
    /// be built.
    pub fn new(url: &str, timeout: Duration, token: Option<Secret>) -> Result<Self, Error> {
        Self::with_options(&RestOptions::new(url).timeout(timeout).token(token))
    }

    /// A backend from options.
    ///
    /// # Errors
    /// As [`RestBackend::new`], and [`Error::Auth`] for a token that cannot be a header.
    pub fn with_options(options: &RestOptions) -> Result<Self, Error> {
        let base = options.url.trim().trim_end_matches('/');
        let parsed = reqwest::Url::parse(base)
            .map_err(|e| Error::Usage(format!("invalid REST URL '{base}': {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Usage(format!(
                "invalid REST URL '{base}': scheme must be http or https"
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(t) = options.token.as_ref().map(|t| t.expose().trim()) {
            if !t.is_empty() {
                let bad = || Error::Auth("REST auth token is not a valid header value".into());
                let mut bearer =
                    HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| bad())?;
                bearer.set_sensitive(true);
                let mut plain = HeaderValue::from_str(t).map_err(|_| bad())?;
                plain.set_sensitive(true);
                headers.insert(AUTHORIZATION, bearer);
                headers.insert(AUTH_HEADER, plain);
            }
        }
        let timeout = options.timeout.max(Duration::from_millis(1));
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("cohesix-rest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Usage(format!("REST client: {}", chain(&e))))?;
        Ok(Self {
            http,
            base: Arc::from(base),
            headers,
            retry: RestRetry {
                max_attempts: options.retry.max_attempts.max(1),
                ..options.retry
            },
        })
    }

    /// The base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// One exchange, no retry. Cancel-safe.
    async fn exchange(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self
            .http
            .request(method, format!("{}{route}", self.base))
            .headers(self.headers.clone());
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(b);
        }
        let mut resp = req.send().await?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = body_of(&mut resp).await?.and_then(|b| json_object(&b));
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// A GET with the retry policy. Cancel-safe.
    async fn get(&self, route: &str, query: &[(&str, String)]) -> Result<Answer, Error> {
        let mut attempt = 0u32;
        loop {
            let last = attempt + 1 >= self.retry.max_attempts;
            match self.exchange(Method::GET, route, query, None).await {
                Ok(a) if !last && retryable_status(a.status) => {
                    tracing::debug!(route, status = a.status.as_u16(), attempt, "REST retry");
                    tokio::time::sleep(self.retry.delay(attempt, a.retry_after)).await;
                }
                Ok(a) => return Ok(a),
                Err(e) if !last && !e.is_builder() => {
                    tracing::debug!(route, error = %chain(&e), attempt, "REST retry");
                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                }
                Err(e) => return Err(connection_failed(&e)),
            }
            attempt += 1;
        }
    }

    fn http_error(method: &str, route: &str, a: &Answer) -> Error {
        let msg = a.field("error").map_or_else(
            || {
                format!(
                    "REST {method} {route} failed with status {}",
                    a.status.as_u16()
                )
            },
            str::to_owned,
        );
        match a.status.as_u16() {
            400 | 413 | 415 | 422 => Error::Payload(msg),
            401 | 403 => Error::Auth(msg),
            _ => Error::Rest(msg),
        }
    }

    fn reply(method: &str, route: &str, a: &Answer) -> Result<RestReply, Error> {
        let body = a
            .body
            .as_ref()
            .map_err(|e| Error::Rest(format!("invalid REST response: {e}")))?;
        let lines = match body.get("lines") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(_) => return Err(Error::Rest("invalid REST response: lines missing".into())),
        };
        let ok = body.get("status").and_then(Value::as_str) == Some("OK");
        let error = body
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| (!ok).then(|| format!("{method} {route} failed")));
        Ok(RestReply {
            ok,
            lines,
            bytes: body.get("bytes").and_then(Value::as_u64),
            error,
        })
    }

    /// One read (`LS`, `CAT`, `TAIL`) with the retry policy, as the gateway answered it
    /// (HTTP 200, `status` `OK` or `ERR`). For tools that show the target's lines.
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`Error::Rest`] for transport failures and 429/5xx after the retries,
    /// [`Error::Payload`] for 400 (`"read exceeded max_bytes <n>"` is [`Error::TooLarge`]),
    /// [`Error::Auth`] for 401.
    pub async fn fs(
        &self,
        verb: RestVerb,
        path: &str,
        max_bytes: Option<usize>,
    ) -> Result<RestReply, Error> {
        let mut query = vec![("path", path.to_owned())];
        if let Some(m) = max_bytes {
            query.push(("max_bytes", m.max(1).to_string()));
        }
        let a = self.get(verb.path(), &query).await?;
        if a.status != StatusCode::OK {
            let e = Self::http_error("GET", verb.path(), &a);
            return Err(match (&e, max_bytes) {
                (Error::Payload(m), Some(max)) if m.contains(" exceeded max_bytes ") => {
                    Error::TooLarge {
                        op: if verb == RestVerb::Tail {
                            "tail"
                        } else {
                            "read"
                        },
                        path: path.to_owned(),
                        max,
                    }
                }
                _ => e,
            });
        }
        Self::reply("GET", verb.path(), &a)
    }

    /// One append, sent once (never retried), as the gateway answered it.
    ///
    /// Cancel-safe in the sense that nothing is re-sent; a dropped call may still be
    /// applied.
    ///
    /// # Errors
    /// [`Error::OutcomeUnknown`] when the request may have been applied and no answer says
    /// so; [`Error::Rest`] when it was not sent (connection refused, 429, 503);
    /// [`Error::Payload`]/[`Error::Auth`] for 400/401.
    pub async fn echo(&self, path: &str, line: &str) -> Result<RestReply, Error> {
        let body = serde_json::json!({ "path": path, "line": line }).to_string();
        let unknown = || Error::OutcomeUnknown {
            line: format!("ECHO {path} {line}"),
        };
        let a = match self
            .exchange(Method::POST, ECHO_PATH, &[], Some(body.into_bytes()))
            .await
        {
            Ok(a) => a,
            // Refused before a byte was sent.
            Err(e) if e.is_connect() || e.is_builder() => return Err(connection_failed(&e)),
            Err(e) => {
                tracing::warn!(path, error = %chain(&e), "REST append outcome unknown");
                return Err(unknown());
            }
        };
        if a.status == StatusCode::OK {
            return Self::reply("POST", ECHO_PATH, &a);
        }
        match (a.field("outcome"), a.status.as_u16()) {
            (Some("unknown"), _) => Err(unknown()),
            (Some("not_sent"), _) | (None, 429 | 503) => {
                Err(Self::http_error("POST", ECHO_PATH, &a))
            }
            (_, 400..=499) => Err(Self::http_error("POST", ECHO_PATH, &a)),
            // Any other failure past the gateway's front door may follow the write.
            _ => Err(unknown()),
        }
    }

    /// The bounds document as the gateway sent it (bytes and field order kept; at most
    /// [`MAX_RESPONSE_BYTES`]). Cancel-safe.
    ///
    /// # Errors
    /// As [`RestBackend::fs`]: a failed answer is its JSON `error` (a wrong token is
    /// [`Error::Auth`] with the gateway's message), else `"REST GET /v1/meta/bounds failed
    /// with status <code>"`.
    pub async fn bounds_text(&self) -> Result<String, Error> {
        let mut attempt = 0u32;
        loop {
            let last = attempt + 1 >= self.retry.max_attempts;
            let resp = self
                .http
                .get(format!("{}{BOUNDS_PATH}", self.base))
                .headers(self.headers.clone())
                .send()
                .await;
            match resp {
                Ok(r) if !last && retryable_status(r.status()) => {
                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                }
                Ok(mut r) => {
                    let status = r.status();
                    let body = body_of(&mut r).await.map_err(|e| connection_failed(&e))?;
                    if status.is_success() {
                        let invalid =
                            |e: String| Error::Rest(format!("invalid REST response: {e}"));
                        return body.map_err(invalid).and_then(|b| {
                            String::from_utf8(b).map_err(|e| invalid(e.to_string()))
                        });
                    }
                    let a = Answer {
                        status,
                        retry_after: None,
                        body: body.and_then(|b| json_object(&b)),
                    };
                    return Err(Self::http_error("GET", BOUNDS_PATH, &a));
                }
                Err(e) if !last => {
                    tracing::debug!(error = %chain(&e), "REST retry");
                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                }
                Err(e) => return Err(connection_failed(&e)),
            }
            attempt += 1;
        }
    }

    /// The gateway's status document. Cancel-safe.
    ///
    /// # Errors
    /// As [`RestBackend::fs`].
    pub async fn status(&self) -> Result<Value, Error> {
        let a = self.get(STATUS_PATH, &[]).await?;
        if a.status != StatusCode::OK {
            return Err(Self::http_error("GET", STATUS_PATH, &a));
        }
        a.body
            .map_err(|e| Error::Rest(format!("invalid REST response: {e}")))
    }

    fn refused(verb: &'static str, reply: RestReply) -> Error {
        match reply.refusal() {
            Some(ack) => Error::Refused { verb, ack },
            None => Error::Rest(reply.error.unwrap_or_else(|| format!("{verb} failed"))),
        }
    }
}

fn to_bytes(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

impl Backend for RestBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Rest
    }

    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        check_path(path)?;
        let r = self.fs(RestVerb::Ls, path, None).await?;
        if !r.ok {
            return Err(Self::refused(Verb::Ls.token(), r));
        }
        let mut names = r.lines;
        names.sort();
        Ok(names)
    }

    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        check_path(path)?;
        let r = self.fs(RestVerb::Cat, path, Some(max_bytes)).await?;
        if !r.ok {
            return Err(Self::refused(Verb::Cat.token(), r));
        }
        let bytes = to_bytes(&r.lines);
        if bytes.len() > max_bytes {
            return Err(Error::TooLarge {
                op: "read",
                path: path.to_owned(),
                max: max_bytes,
            });
        }
        Ok(bytes)
    }

    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        check_path(path)?;
        let r = match self.fs(RestVerb::Tail, path, Some(TAIL_FETCH_BYTES)).await {
            Err(Error::TooLarge { .. }) => {
                return Err(Error::TooLarge {
                    op: "tail",
                    path: path.to_owned(),
                    max: TAIL_FETCH_BYTES,
                })
            }
            other => other?,
        };
        if !r.ok {
            return Err(Self::refused(Verb::Tail.token(), r));
        }
        // The newest whole lines that fit.
        let mut size = 0usize;
        let mut start = r.lines.len();
        for (i, l) in r.lines.iter().enumerate().rev() {
            if size + l.len() + 1 > max_bytes {
                break;
            }
            size += l.len() + 1;
            start = i;
        }
        Ok(to_bytes(r.lines.get(start..).unwrap_or_default()))
    }

    async fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        check_path(path)?;
        let line = prepare_line(path, line, true)?;
        let r = self.echo(path, line).await?;
        if !r.ok {
            return Err(Self::refused(Verb::Echo.token(), r));
        }
        Ok(line.len() + 1)
    }

    async fn bounds(&self) -> Result<Option<Value>, Error> {
        let text = self.bounds_text().await?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Rest(format!("invalid REST response: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_retry_after_is_capped() {
        let r = RestRetry::DEFAULT;
        let ms = |d: Duration| d.as_millis();
        assert_eq!(
            (0..6).map(|a| ms(r.delay(a, None))).collect::<Vec<_>>(),
            [200, 400, 800, 1600, 2000, 2000]
        );
        assert_eq!(ms(r.delay(0, Some(Duration::from_secs(1)))), 1000);
        assert_eq!(ms(r.delay(0, Some(Duration::from_secs(30)))), 2000);
        assert_eq!(ms(r.delay(3, Some(Duration::from_secs(1)))), 1600);
        assert_eq!(ms(r.delay(u32::MAX, None)), 2000);
    }

    #[test]
    fn urls_are_checked_and_tokens_never_shown() {
        assert!(matches!(
            RestBackend::new("ftp://x", Duration::from_secs(1), None),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            RestBackend::new("not a url", Duration::from_secs(1), None),
            Err(Error::Usage(_))
        ));
        let b = RestBackend::new(
            "http://127.0.0.1:8080/",
            Duration::from_secs(1),
            Some(Secret::new("sekrit")),
        )
        .unwrap();
        assert_eq!(b.base_url(), "http://127.0.0.1:8080");
        assert!(!format!("{b:?}").contains("sekrit"));
        assert_eq!(b.kind(), BackendKind::Rest);
    }

    #[test]
    fn refusals_parse_as_acks() {
        let r = RestReply {
            ok: false,
            lines: vec![],
            bytes: None,
            error: Some("ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM".into()),
        };
        let ack = r.refusal().unwrap();
        assert_eq!(ack.field("detail"), Some("denied"));
        let e = RestBackend::refused(Verb::Echo.token(), r);
        assert!(e.to_string().starts_with("ECHO failed: ERR ECHO"), "{e}");
    }
}
