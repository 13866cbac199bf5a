//! Response bodies and how failures become HTTP answers.
//!
//! | outcome | status | body |
//! |---|---|---|
//! | console `OK` | 200 | `status:"OK"`, `lines`, `bytes` |
//! | console `ERR` (target refusal) | 200 | `status:"ERR"`, `error` = the `ERR …` line (upstream-compatible) |
//! | invalid request (§5.9 messages) | 400 | `error` |
//! | missing / wrong request token | 401 | `error`, `WWW-Authenticate: Bearer` |
//! | body over the limit | 413 | `error` |
//! | queue full / wait budget spent | 429 | `error` contains `gateway backpressure`, `Retry-After` (integer seconds): **never sent** |
//! | write sent, connection dropped before its ack | 502 | `outcome:"unknown"` |
//! | console unavailable (not sent) | 503 | `error` |
//! | deadline passed (a write: after sending) | 504 | `outcome:"unknown"` for writes |

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `OK` or `ERR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub enum Status {
    /// Success.
    #[serde(rename = "OK")]
    Ok,
    /// Failure (see `error`).
    #[serde(rename = "ERR")]
    Err,
}

/// What became of an ECHO (added by this gateway; upstream has no such field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EchoOutcome {
    /// The queen acknowledged the write with `OK`.
    Committed,
    /// The queen refused the write with `ERR`: not applied.
    Refused,
    /// The write was sent and no acknowledgement came: it may or may not have been applied.
    /// The gateway never re-sends it.
    Unknown,
    /// The write never left the gateway (validation, back-pressure, console unavailable):
    /// safe to send again.
    NotSent,
}

/// The response of every `/v1/fs/*` route (host-surface §5.9 field order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct GatewayResponse {
    /// `OK` or `ERR`.
    pub status: Status,
    /// `LS`, `CAT`, `TAIL` or `ECHO`.
    pub verb: String,
    /// The namespace path as requested.
    pub path: String,
    /// Always `true` (the reply is complete).
    pub end: bool,
    /// Data lines (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// CAT/TAIL: bytes of the lines joined by `\n`; ECHO: length of the `line` field as
    /// received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
    /// What failed (a target refusal is the `ERR …` line as the queen sent it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// ECHO only: committed, refused, unknown or not_sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<EchoOutcome>,
}

impl GatewayResponse {
    /// A success with `lines`.
    #[must_use]
    pub fn ok(verb: &str, path: &str, lines: Vec<String>, bytes: Option<usize>) -> Self {
        Self {
            status: Status::Ok,
            verb: verb.to_owned(),
            path: path.to_owned(),
            end: true,
            lines,
            bytes,
            error: None,
            outcome: None,
        }
    }

    /// A failure saying `error`.
    #[must_use]
    pub fn err(verb: &str, path: &str, error: impl Into<String>) -> Self {
        Self {
            status: Status::Err,
            verb: verb.to_owned(),
            path: path.to_owned(),
            end: true,
            lines: Vec::new(),
            bytes: None,
            error: Some(error.into()),
            outcome: None,
        }
    }

    /// With an ECHO outcome.
    #[must_use]
    pub fn with_outcome(mut self, outcome: EchoOutcome) -> Self {
        self.outcome = Some(outcome);
        self
    }
}

/// The body of a failure outside `/v1/fs/*` or before the request was read (auth, limits,
/// unknown routes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `ERR`.
    pub status: Status,
    /// What failed.
    pub error: String,
}

/// The ECHO request body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct EchoBody {
    /// Control or data file to append to.
    #[serde(default)]
    pub path: Option<String>,
    /// One line (trailing `\n`s are removed).
    #[serde(default)]
    pub line: Option<String>,
}

/// Query of `GET /v1/fs/ls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LsQuery {
    /// Absolute namespace path.
    #[serde(default)]
    pub path: Option<String>,
}

/// Query of `GET /v1/fs/cat` and `GET /v1/fs/tail`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// Absolute namespace path.
    #[serde(default)]
    pub path: Option<String>,
    /// Largest reply accepted (bytes of the lines joined by `\n`); required, > 0.
    #[serde(default)]
    #[param(value_type = Option<u64>)]
    pub max_bytes: Option<String>,
}

/// A failed request: its status, body and (for 429) `Retry-After`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Box<Body>,
    retry_after_s: Option<u64>,
}

#[derive(Debug)]
enum Body {
    Fs(GatewayResponse),
    Plain(ErrorBody),
}

impl ApiError {
    /// A `/v1/fs/*` failure.
    #[must_use]
    pub fn fs(status: StatusCode, body: GatewayResponse) -> Self {
        Self {
            status,
            body: Box::new(Body::Fs(body)),
            retry_after_s: None,
        }
    }

    /// Any other failure.
    #[must_use]
    pub fn plain(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(Body::Plain(ErrorBody {
                status: Status::Err,
                error: error.into(),
            })),
            retry_after_s: None,
        }
    }

    /// With a `Retry-After` in seconds.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds.max(1));
        self
    }

    /// Sets the ECHO outcome of a `/v1/fs/*` failure.
    pub fn set_outcome(&mut self, outcome: EchoOutcome) {
        if let Body::Fs(b) = self.body.as_mut() {
            b.outcome = Some(outcome);
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = match *self.body {
            Body::Fs(b) => (self.status, Json(b)).into_response(),
            Body::Plain(b) => (self.status, Json(b)).into_response(),
        };
        if let Some(s) = self.retry_after_s {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hive-gateway\""),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_order_and_omissions_follow_the_spec() {
        let ok = GatewayResponse::ok("CAT", "/p", vec!["a".into(), "b".into()], Some(3));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"status":"OK","verb":"CAT","path":"/p","end":true,"lines":["a","b"],"bytes":3}"#
        );
        let err = GatewayResponse::err("ECHO", "/q", "ERR ECHO reason=x")
            .with_outcome(EchoOutcome::Refused);
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"status":"ERR","verb":"ECHO","path":"/q","end":true,"error":"ERR ECHO reason=x","outcome":"refused"}"#
        );
        let n = GatewayResponse::ok("LS", "/", vec![], None).with_outcome(EchoOutcome::NotSent);
        assert!(serde_json::to_string(&n)
            .unwrap()
            .ends_with(r#""end":true,"outcome":"not_sent"}"#));
    }
}
