//! An owned copy of a checked core [`Request`], so it can wait in the console's queue and
//! be re-submitted after a reconnect. It stores only the request's text arguments; the
//! request itself is rebuilt with the core's own constructors.

use cohesix_core::request::{Call, Request, Verb};
use cohesix_core::role::Role;
use cohesix_core::session::SessionError;
use cohesix_generated::console::MAX_LINE_LEN;

use crate::error::ClientError;

/// A validated request the console owns: the core's request type holding `String`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OwnedRequest {
    call: Call<String, Role>,
}

fn local(e: impl Into<cohesix_core::error::Error>) -> ClientError {
    ClientError::Core(e.into())
}

impl OwnedRequest {
    /// Validates and copies `request`. The verbs the session drives itself (`AUTH`,
    /// `ATTACH`, `QUIT`) are refused here.
    pub(crate) fn new(request: &Request<'_>) -> Result<Self, ClientError> {
        request.validate().map_err(local)?;
        if request.verb().is_session_verb() {
            return Err(local(SessionError::ReservedVerb));
        }
        Ok(Self {
            call: request.map(|s| (*s).to_owned(), |role| *role),
        })
    }

    /// The core request borrowing this copy.
    pub(crate) fn as_request(&self) -> Request<'_> {
        self.call.map(String::as_str, |role| *role)
    }

    /// The verb.
    pub(crate) fn verb(&self) -> Verb {
        self.call.verb()
    }

    /// The request line as sent (never a secret: AUTH and ATTACH cannot be owned).
    pub(crate) fn describe(&self) -> String {
        let mut buf = [0u8; MAX_LINE_LEN];
        match self.as_request().write_line(&mut buf) {
            Ok(n) => String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned(),
            Err(_) => self.verb().token().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_argument_shape() {
        let cases = [
            Request::Ping,
            Request::CacheLog { count: Some(3) },
            Request::ls("/proc").unwrap(),
            Request::cat("/proc/boot").unwrap(),
            Request::tail("/log/queen.log").unwrap(),
            Request::echo("/log/queen.log", "hi there").unwrap(),
            Request::spawn("{\"spawn\":\"heartbeat\",\"ticks\":3}").unwrap(),
            Request::kill("worker-1").unwrap(),
        ];
        for r in cases {
            let o = OwnedRequest::new(&r).unwrap();
            assert_eq!(o.as_request(), r);
        }
        let o = OwnedRequest::new(&Request::echo("/x", "a b").unwrap()).unwrap();
        assert_eq!(o.describe(), "ECHO /x a b");
    }

    #[test]
    fn session_verbs_are_refused() {
        assert!(OwnedRequest::new(&Request::Quit).is_err());
        assert!(OwnedRequest::new(&Request::auth("tok").unwrap()).is_err());
        assert!(OwnedRequest::new(&Request::attach(Role::Queen, None).unwrap()).is_err());
    }
}
