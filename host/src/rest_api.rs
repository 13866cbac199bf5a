//! The REST gateway's wire contract (host-surface §6): route paths, the request-token header
//! and which console verb each read route runs. One definition, read by the gateway
//! (`cohesix-gateway`, the server) and by `cohesix::backend::RestBackend` (the client); it
//! is compiled without the `rest` feature so the server does not link an HTTP client.
//!
//! ```text
//!  GET  /v1/fs/ls    ─┐
//!  GET  /v1/fs/cat   ─┼─ ReadRoute ──verb()──► cohesix_core::request::Verb::{Ls, Cat, Tail}
//!  GET  /v1/fs/tail  ─┘
//!  POST /v1/fs/echo        ECHO
//!  GET  /v1/meta/bounds, /v1/meta/status
//! ```

use cohesix_core::request::Verb;

/// `GET` directory listing.
pub const LS_PATH: &str = "/v1/fs/ls";
/// `GET` file read.
pub const CAT_PATH: &str = "/v1/fs/cat";
/// `GET` file tail.
pub const TAIL_PATH: &str = "/v1/fs/tail";
/// `POST` append.
pub const ECHO_PATH: &str = "/v1/fs/echo";
/// `GET` bounds document.
pub const BOUNDS_PATH: &str = "/v1/meta/bounds";
/// `GET` status document.
pub const STATUS_PATH: &str = "/v1/meta/status";
/// The request-token header besides `Authorization: Bearer`.
pub const AUTH_HEADER: &str = "x-cohesix-auth";

/// A read route of the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadRoute {
    /// `GET /v1/fs/ls`: `LS`.
    Ls,
    /// `GET /v1/fs/cat`: `CAT`.
    Cat,
    /// `GET /v1/fs/tail`: `TAIL`.
    Tail,
}

impl ReadRoute {
    /// The console verb the route runs.
    #[must_use]
    pub const fn verb(self) -> Verb {
        match self {
            Self::Ls => Verb::Ls,
            Self::Cat => Verb::Cat,
            Self::Tail => Verb::Tail,
        }
    }

    /// The console verb's token (`LS`, `CAT`, `TAIL`).
    #[must_use]
    pub const fn label(self) -> &'static str {
        self.verb().token()
    }

    /// The route's path.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::Ls => LS_PATH,
            Self::Cat => CAT_PATH,
            Self::Tail => TAIL_PATH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_verbs() {
        for (r, token, path) in [
            (ReadRoute::Ls, "LS", "/v1/fs/ls"),
            (ReadRoute::Cat, "CAT", "/v1/fs/cat"),
            (ReadRoute::Tail, "TAIL", "/v1/fs/tail"),
        ] {
            assert_eq!(r.label(), token);
            assert_eq!(r.path(), path);
        }
    }
}
