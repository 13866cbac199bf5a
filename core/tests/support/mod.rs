//! Shared helpers for the session tests: build a pair, record events as strings.
#![allow(dead_code)]

use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig, TOKEN};
use cohesix_core::session::{Completion, Config, Credentials, Event, Outcome, Session};

/// A queen session with `config`.
pub fn queen(config: Config) -> Session {
    Session::new(config, Credentials::new(TOKEN, Role::Queen, None).unwrap()).unwrap()
}

/// A pair of a default queen session and a model with `server`.
pub fn pair(server: ServerConfig) -> Pair {
    Pair::new(queen(Config::new()), Server::new(server))
}

/// One event as a stable string.
pub fn rec(ev: Event<'_>) -> String {
    match ev {
        Event::Authenticated => "authenticated".into(),
        Event::Attached { role } => format!("attached {}", role.label()),
        Event::SessionAck { verb, ack } => format!("session {verb}: {}", ack.raw),
        Event::Ack { id, verb, ack } => format!("ack {id} {verb}: {}", ack.raw),
        Event::Data { id, line, .. } => format!("data {id}: {line}"),
        Event::Completed(Completion {
            id,
            verb,
            outcome,
            lines,
        }) => {
            let o = match outcome {
                Outcome::Ok => "ok".to_string(),
                Outcome::Refused(ack) => format!("refused[{}]", ack.raw),
                Outcome::TimedOut => "timed-out".into(),
                Outcome::Interrupted { sent } => format!("interrupted(sent={sent})"),
                Outcome::Unknown => "unknown".into(),
                Outcome::NoReply => "no-reply".into(),
                other => format!("{other:?}"),
            };
            format!("done {id} {verb} {o} lines={lines}")
        }
        Event::Stray { line } => format!("stray: {line}"),
        Event::Closed { error } => format!("closed {error:?}"),
        other => format!("{other:?}"),
    }
}

/// Drives `p` until quiet; returns the events.
pub fn drive(p: &mut Pair) -> Vec<String> {
    let mut log = Vec::new();
    p.drive(&mut |e| log.push(rec(e)));
    log
}

/// Advances `p` by `ms`; returns the events.
pub fn advance(p: &mut Pair, ms: u64) -> Vec<String> {
    let mut log = Vec::new();
    p.advance(ms, &mut |e| log.push(rec(e)));
    log
}

/// Drives a fresh queen pair through AUTH and ATTACH and checks the two events.
pub fn attached(server: ServerConfig) -> Pair {
    let mut p = pair(server);
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen"
        ]
    );
    p
}

/// Drains events without driving I/O.
pub fn events(s: &mut Session) -> Vec<String> {
    let mut log = Vec::new();
    while let Some(e) = s.poll_event() {
        log.push(rec(e));
    }
    log
}
