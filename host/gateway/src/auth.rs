//! Request authentication: extractors that run **before** the body is read.
//!
//! * The token comes from `Authorization` when it starts with `bearer ` (any case) and is
//!   non-empty after trimming, otherwise from `x-cohesix-auth` (trimmed) — upstream's rule.
//!   It is compared in constant time (SHA-256 digests) with the configured one.
//! * Missing → 401 `"missing request auth token; provide Authorization: Bearer <token> or
//!   x-cohesix-auth"`; wrong → 401 `"invalid request auth token"`.
//! * [`Authorized`] is required by every route; [`ReadAccess`] by the reads, which
//!   `--public-reads` opens. Both are `FromRequestParts` extractors placed before `Json`, so
//!   an unauthenticated request is answered before a byte of its body is parsed.
//! * Both also name the request's [`Principal`]: its connection (peer address and port), or
//!   `local` when the server was not given connect info (in-process tests).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use cohesix::auth::Secret;

use crate::fair::Principal;
use crate::response::ApiError;
use crate::state::Gateway;

/// The request-token header of upstream's contract.
pub use cohesix::rest_api::AUTH_HEADER;
/// The message of a request without a token.
pub const MISSING: &str =
    "missing request auth token; provide Authorization: Bearer <token> or x-cohesix-auth";
/// The message of a request with a wrong token.
pub const INVALID: &str = "invalid request auth token";

/// The configured token, kept only as its digest.
#[derive(Clone)]
pub struct TokenCheck {
    digest: [u8; 32],
}

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCheck(<redacted>)")
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl TokenCheck {
    /// A check against `token`.
    #[must_use]
    pub fn new(token: &Secret) -> Self {
        Self {
            digest: digest(token.expose()),
        }
    }

    /// Whether `candidate` is the token (constant time over the digests).
    #[must_use]
    pub fn matches(&self, candidate: &str) -> bool {
        let d = digest(candidate);
        self.digest
            .iter()
            .zip(d.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The token a request presents, by upstream's rule (see the module docs).
#[must_use]
pub fn presented(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let v = v.trim_start();
            let (scheme, rest) = v.split_at_checked(7)?;
            scheme
                .eq_ignore_ascii_case("bearer ")
                .then_some(rest.trim())
        })
        .filter(|t| !t.is_empty());
    bearer.or_else(|| {
        headers
            .get(AUTH_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    })
}

/// Checks `headers` against `check`.
///
/// # Errors
/// 401 with [`MISSING`] or [`INVALID`].
pub fn authenticate(check: &TokenCheck, headers: &HeaderMap) -> Result<(), ApiError> {
    match presented(headers) {
        None => Err(ApiError::plain(StatusCode::UNAUTHORIZED, MISSING)),
        Some(t) if check.matches(t) => Ok(()),
        Some(_) => Err(ApiError::plain(StatusCode::UNAUTHORIZED, INVALID)),
    }
}

fn principal(parts: &Parts) -> Principal {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || Principal::new("local"),
            |c| Principal::new(&c.0.to_string()),
        )
}

/// An authenticated request (every write, and every read unless `--public-reads`).
#[derive(Clone, Debug)]
pub struct Authorized(pub Principal);

impl FromRequestParts<Gateway> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gw: &Gateway) -> Result<Self, ApiError> {
        authenticate(gw.token_check(), &parts.headers)?;
        Ok(Self(principal(parts)))
    }
}

/// A request allowed to read: authenticated, or any request under `--public-reads`.
#[derive(Clone, Debug)]
pub struct ReadAccess(pub Principal);

impl FromRequestParts<Gateway> for ReadAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gw: &Gateway) -> Result<Self, ApiError> {
        if !gw.public_reads() {
            authenticate(gw.token_check(), &parts.headers)?;
        }
        Ok(Self(principal(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn bearer_any_case_then_the_header() {
        assert_eq!(
            presented(&headers(&[("authorization", "Bearer  t1 ")])),
            Some("t1")
        );
        assert_eq!(
            presented(&headers(&[("authorization", "bEaReR t2")])),
            Some("t2")
        );
        assert_eq!(
            presented(&headers(&[
                ("authorization", "Bearer "),
                ("x-cohesix-auth", " t3 ")
            ])),
            Some("t3")
        );
        assert_eq!(
            presented(&headers(&[
                ("authorization", "Basic abc"),
                ("x-cohesix-auth", "t4")
            ])),
            Some("t4")
        );
        assert_eq!(
            presented(&headers(&[
                ("authorization", "Bearer a"),
                ("x-cohesix-auth", "b")
            ])),
            Some("a")
        );
        assert_eq!(presented(&headers(&[("x-cohesix-auth", "  ")])), None);
        assert_eq!(presented(&headers(&[])), None);
    }

    #[test]
    fn tokens_compare_exactly() {
        let c = TokenCheck::new(&Secret::new("s3cret"));
        assert!(c.matches("s3cret"));
        assert!(!c.matches("s3cret "));
        assert!(!c.matches("S3CRET"));
        assert!(!format!("{c:?}").contains("s3cret"));
        let e = authenticate(&c, &headers(&[])).unwrap_err();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    }
}
