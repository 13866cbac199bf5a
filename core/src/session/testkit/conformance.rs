//! The shared conformance scenario: requests and the exact replies the queen model gives,
//! so the core and each adapter check the same behaviour.

use crate::request::Request;

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
