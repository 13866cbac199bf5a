//! An owned copy of a checked core [`Request`], so it can wait in the console's queue and
//! be re-submitted after a reconnect. It stores only the request's text arguments; the
//! request itself is rebuilt with the core's own constructors.

use cohesix_core::request::{Request, Verb};
use cohesix_core::session::SessionError;
use cohesix_generated::console::MAX_LINE_LEN;

use crate::error::ClientError;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Args {
    /// A request with no text argument (`PING`, `CACHELOG n`, …).
    None(Request<'static>),
    /// `TAIL`/`CAT`/`LS <path>`, `SPAWN <payload>`, `KILL <worker>`.
    One(Verb, String),
    /// `ECHO <path> <payload>`.
    Echo(String, String),
}

/// A validated request the console owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OwnedRequest {
    args: Args,
}

fn local(e: impl Into<cohesix_core::error::Error>) -> ClientError {
    ClientError::Core(e.into())
}

impl OwnedRequest {
    /// Validates and copies `request`. `AUTH`, `ATTACH` and `QUIT` are driven by the
    /// console itself and refused here.
    pub(crate) fn new(request: &Request<'_>) -> Result<Self, ClientError> {
        request.validate().map_err(local)?;
        let args = match *request {
            Request::Auth { .. } | Request::Attach { .. } | Request::Quit => {
                return Err(local(SessionError::ReservedVerb));
            }
            Request::Ping => Args::None(Request::Ping),
            Request::Help => Args::None(Request::Help),
            Request::Bi => Args::None(Request::Bi),
            Request::Caps => Args::None(Request::Caps),
            Request::Mem => Args::None(Request::Mem),
            Request::Test => Args::None(Request::Test),
            Request::NetTest => Args::None(Request::NetTest),
            Request::NetStats => Args::None(Request::NetStats),
            Request::Log => Args::None(Request::Log),
            Request::CacheLog { count } => Args::None(Request::CacheLog { count }),
            Request::Tail { path } | Request::Cat { path } | Request::Ls { path } => {
                Args::One(request.verb(), path.to_owned())
            }
            Request::Spawn { payload } => Args::One(Verb::Spawn, payload.to_owned()),
            Request::Kill { worker } => Args::One(Verb::Kill, worker.to_owned()),
            Request::Echo { path, payload } => Args::Echo(path.to_owned(), payload.to_owned()),
        };
        Ok(Self { args })
    }

    /// The core request borrowing this copy.
    pub(crate) fn as_request(&self) -> Request<'_> {
        match &self.args {
            Args::None(r) => *r,
            Args::One(Verb::Tail, p) => Request::Tail { path: p },
            Args::One(Verb::Cat, p) => Request::Cat { path: p },
            Args::One(Verb::Spawn, p) => Request::Spawn { payload: p },
            Args::One(Verb::Kill, w) => Request::Kill { worker: w },
            Args::One(_, p) => Request::Ls { path: p },
            Args::Echo(path, payload) => Request::Echo { path, payload },
        }
    }

    /// The verb.
    pub(crate) fn verb(&self) -> Verb {
        self.as_request().verb()
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
    }
}
