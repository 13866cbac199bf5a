//! The shared conformance scenarios: requests and the exact replies the queen model gives,
//! so the core and each adapter check the same behaviour.
//!
//! * [`CONFORMANCE`]: a table of requests with their expected ack, data lines and refusal.
//! * [`SCENARIO`] + [`reference_transcript`]: the adapter scenario; every adapter runs the
//!   same steps against the same model and must give the events (or per-request results)
//!   the core's own `Pair` harness gives.

use crate::request::Request;
use crate::role::Role;
use crate::session::{Config, Credentials, Event, Session, SessionError};

use super::pair::Pair;
use super::server::{Server, ServerConfig, TOKEN};

/// One request of [`CONFORMANCE`] and its expected reply.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The request.
    pub request: Request<'static>,
    /// The `OK` ack line, or `None` when the request is refused.
    pub ack: Option<&'static str>,
    /// The data lines, in order.
    pub lines: &'static [&'static str],
    /// The `ERR` line that refuses the request, if any.
    pub refusal: Option<&'static str>,
}

const fn ok(request: Request<'static>, ack: &'static str, lines: &'static [&'static str]) -> Step {
    Step {
        request,
        ack: Some(ack),
        lines,
        refusal: None,
    }
}

const fn refused(request: Request<'static>, err: &'static str) -> Step {
    Step {
        request,
        ack: None,
        lines: &[],
        refusal: Some(err),
    }
}

/// Run the steps **in order** on one connection attached as queen to a fresh
/// `Server::new(ServerConfig::new())` (later steps read what earlier ones wrote), then `quit`.
/// Every step must complete with exactly the listed ack, data lines and refusal.
pub const CONFORMANCE: &[Step] = &[
    ok(
        Request::Ls { path: "/" },
        "OK LS path=/ entries=3",
        &["gpu", "log", "proc"],
    ),
    ok(
        Request::Cat {
            path: "/proc/lifecycle/state",
        },
        "OK CAT path=/proc/lifecycle/state data=state=ONLINE",
        &["state=ONLINE"],
    ),
    ok(Request::Ping, "OK PING reply=pong", &[]),
    ok(
        Request::Help,
        "OK HELP",
        &["Commands:", "  help", "  ping", "  quit"],
    ),
    ok(Request::Bi, "OK BOOTINFO", &["[bi] build=testkit"]),
    ok(
        Request::Echo {
            path: "/log/queen.log",
            payload: "conformance",
        },
        "OK ECHO path=/log/queen.log bytes=11",
        &[],
    ),
    ok(
        Request::Tail {
            path: "/log/queen.log",
        },
        "OK TAIL path=/log/queen.log",
        &["conformance"],
    ),
    // No body lines: the content is the `data=` preview (spec §3.4).
    ok(
        Request::Cat {
            path: "/log/queen.log",
        },
        "OK CAT path=/log/queen.log data=conformance",
        &[],
    ),
    ok(
        Request::Spawn {
            payload: "{\"spawn\":\"heartbeat\",\"ticks\":3}",
        },
        "OK SPAWN payload={\"spawn\":\"heartbeat\",\"ticks\":3}",
        &[],
    ),
    ok(
        Request::Kill { worker: "worker-1" },
        "OK KILL id=worker-1",
        &[],
    ),
    refused(
        Request::Ls { path: "/nope" },
        "ERR LS reason=policy detail=invalid-path path=/nope error=invalid path",
    ),
    refused(
        Request::Tail { path: "/nope" },
        "ERR TAIL reason=policy detail=invalid-path path=/nope",
    ),
    refused(
        Request::Echo {
            path: "/nope",
            payload: "x",
        },
        "ERR ECHO reason=policy detail=invalid-path path=/nope error=invalid path",
    ),
    refused(Request::Test, "ERR TEST reason=policy detail=host-only"),
];

/// One step of the shared adapter [`SCENARIO`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScenarioStep {
    /// Send this request and run until it completes.
    Send(Request<'static>),
    /// Queue `QUIT` and run until the session closes.
    Quit,
}

impl ScenarioStep {
    /// The request of a [`ScenarioStep::Send`]; `None` for [`ScenarioStep::Quit`].
    pub const fn request(&self) -> Option<Request<'static>> {
        match *self {
            ScenarioStep::Send(r) => Some(r),
            ScenarioStep::Quit => None,
        }
    }
}

/// The shared adapter conformance scenario: every adapter (the core `Pair`, the embassy
/// async and blocking clients, the tokio client) attaches as queen to a fresh
/// `Server::new(ServerConfig::new())`, then runs these steps **one at a time** (each runs
/// until its request completes, `Quit` until the session closes). The events the core
/// gives for it are [`reference_transcript`]; [`SCENARIO_TEXT`] is the same scenario as a
/// console script.
pub const SCENARIO: &[ScenarioStep] = &[
    ScenarioStep::Send(Request::Ls { path: "/" }),
    ScenarioStep::Send(Request::Cat {
        path: "/proc/lifecycle/state",
    }),
    ScenarioStep::Send(Request::Echo {
        path: "/log/queen.log",
        payload: "conformance-1",
    }),
    ScenarioStep::Send(Request::Tail {
        path: "/log/queen.log",
    }),
    ScenarioStep::Send(Request::Ping),
    ScenarioStep::Send(Request::Cat {
        path: "/gpu/GPU-0/info",
    }),
    ScenarioStep::Send(Request::Cat {
        path: "/does/not/exist",
    }),
    ScenarioStep::Quit,
];

/// [`SCENARIO`] as a console script (for documentation and logs).
pub const SCENARIO_TEXT: &str =
    "ls / ; cat /proc/lifecycle/state ; echo conformance-1 > /log/queen.log ; \
tail /log/queen.log ; ping ; cat /gpu/GPU-0/info ; cat /does/not/exist ; quit";

/// Runs [`SCENARIO`] through the core's own [`Pair`] harness (default [`Session`], queen
/// credentials with [`TOKEN`], a fresh default [`Server`]) and hands every event, in order,
/// to `on_event`: the reference transcript adapters compare their events (or their
/// per-request results) with. Allocation-free; the caller records what it needs.
///
/// Errors only if the scenario cannot be set up or a step is refused by the session
/// (a defect in the scenario, not in an adapter).
pub fn reference_transcript(on_event: &mut impl FnMut(Event<'_>)) -> Result<(), SessionError> {
    let creds = Credentials::new(TOKEN, Role::Queen, None)?;
    let session = Session::new(Config::new(), creds)?;
    let mut pair = Pair::new(session, Server::new(ServerConfig::new()));
    pair.drive(on_event);
    for step in SCENARIO {
        match step.request() {
            Some(request) => {
                pair.client.send(&request)?;
            }
            None => pair.client.quit()?,
        }
        pair.drive(on_event);
    }
    Ok(())
}
