//! Console executor: one parsed console line in, reply lines out. Transport-independent; the
//! TCP server feeds it frame payloads after AUTH.
//!
//! ```text
//!  payload ─► cohesix_core::command::parse_command ─► verb dispatch
//!                 │ ERR PARSE                            │ session gate (unauthenticated)
//!                 ▼                                      │ ticket scopes / bandwidth
//!             reply lines ◄── namespace (list/read/tail/append) ◄┘
//! ```
//!
//! Ordering follows the real queen: the ack line first, then text lines (and `END` for streams).

mod attach;
pub mod scope;
pub mod text;

use std::sync::Arc;

use cohesix_core::attach_guard::AttachGuard;
use cohesix_core::command::{parse_command, Command, ParseError};
use cohesix_core::control::QueenCtl;
use cohesix_core::reply::END;
use cohesix_core::request::Argument;
use cohesix_core::role::Role;
use cohesix_core::verb::{Access, Verb};
use cohesix_generated::console::{MAX_LINE_LEN, MAX_PATH_LEN};

use crate::clock::Clock;
use crate::config::SecretTable;
use crate::namespace::{Caller, Cursors, Namespace, NsError};
use crate::preview::cat_preview;
use scope::Grant;

/// Stream data lines a bridge-served file may have before `buffer-full`.
pub const STREAM_MAX_LINES: usize = 64;

/// Reply to one console line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Lines to send, in order (each becomes one frame).
    pub lines: Vec<String>,
    /// Close the connection after sending (QUIT).
    pub close: bool,
}

impl Reply {
    fn one(line: impl Into<String>) -> Self {
        Self {
            lines: vec![line.into()],
            close: false,
        }
    }
}

/// Per-connection console state.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Attached role (`None` before ATTACH).
    pub role: Option<Role>,
    /// TAIL cursors.
    pub cursors: Cursors,
    /// Ticket usage tracking (ticketed sessions only).
    pub grant: Option<Grant>,
    /// The ticket the session attached with (recorded in the audit journal).
    pub ticket: Option<AttachTicket>,
}

/// An attach ticket as sent in `ATTACH <role> <ticket>`; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachTicket(String);

impl AttachTicket {
    /// Wraps a ticket.
    pub fn new(ticket: impl Into<String>) -> Self {
        Self(ticket.into())
    }

    /// The ticket text (audit records only; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AttachTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttachTicket(<redacted>)")
    }
}

/// Server-wide console state: namespace, ATTACH guard, secrets, clock.
#[derive(Debug)]
pub struct Console {
    ns: Namespace,
    guard: AttachGuard,
    secrets: SecretTable,
    clock: Arc<dyn Clock>,
    frames_in: u64,
}

fn unauthenticated(label: &str) -> Reply {
    Reply::one(format!("ERR {label} reason=policy detail=unauthenticated"))
}

/// Whether `session` may send `verb` (the verb table's access column).
fn may_send(session: &Session, verb: Verb) -> bool {
    match verb.access() {
        Access::Attached => session.role.is_some(),
        Access::Queen => session.role == Some(Role::Queen),
        _ => true,
    }
}

/// SRV's answer to a line its parser refuses.
fn parse_error(e: ParseError) -> Reply {
    Reply::one(format!(
        "ERR PARSE reason={} detail={}",
        e.reason(),
        e.detail()
    ))
}

/// Lines the server may put on the wire: not blank, at most `MAX_LINE_LEN` bytes.
fn sendable(line: &str) -> bool {
    !line.trim().is_empty() && line.len() <= MAX_LINE_LEN
}

impl Console {
    /// A console over `ns`.
    pub fn new(ns: Namespace, secrets: SecretTable, clock: Arc<dyn Clock>) -> Self {
        Self {
            ns,
            guard: AttachGuard::new(),
            secrets,
            clock,
            frames_in: 0,
        }
    }

    /// The namespace (read access for tests and tools).
    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }

    /// The namespace, mutably.
    pub fn namespace_mut(&mut self) -> &mut Namespace {
        &mut self.ns
    }

    /// Executes one authenticated frame payload.
    ///
    /// The verb table decides who may send a verb (an unattached or non-queen session gets
    /// `ERR <LABEL> reason=policy detail=unauthenticated`), the ack labels, whether a ticket
    /// scope is checked for read or write, and which replies end with `END`.
    pub fn execute(&mut self, session: &mut Session, payload: &[u8]) -> Reply {
        self.frames_in += 1;
        let mut buf = [0u8; MAX_LINE_LEN];
        let cmd = match parse_command(payload, &mut buf) {
            Ok(c) => c,
            Err(e) => return parse_error(e),
        };
        let verb = cmd.verb();
        let label = verb.ack_label();
        if !may_send(session, verb) {
            return unauthenticated(label);
        }
        let now = self.clock.now_ms();
        match cmd {
            Command::Help => with_body(
                label,
                text::HELP_LINES.iter().map(|s| s.to_string()).collect(),
            ),
            Command::Bi => with_body(label, text::bootinfo()),
            Command::Caps => with_body(label, text::caps()),
            Command::Mem => with_body(label, text::mem()),
            Command::NetStats => {
                with_body(label, text::netstats(self.frames_in, self.frames_in * 2))
            }
            Command::CacheLog { count } => with_body(label, text::cachelog(count)),
            Command::NetTest => with_body(label, text::nettest()),
            Command::Test => Reply::one(format!("ERR {label} reason=policy detail=host-only")),
            Command::Ping => Reply {
                lines: vec![format!("OK {label} reply=pong"), "PONG".into()],
                close: false,
            },
            Command::Quit => Reply {
                lines: vec![format!("OK {label}")],
                close: true,
            },
            Command::Attach { role, ticket } => Reply::one(self.attach(session, role, ticket)),
            Command::Log => {
                let path = cohesix_generated::paths::LOG;
                if let Err(r) = self.gate(session, verb, path, now) {
                    return Reply::one(r.render(label, path));
                }
                self.stream(
                    session,
                    verb,
                    format!("OK {label}"),
                    self.ns.log_snapshot(),
                    path,
                )
            }
            Command::Ls { path } => self.ls(session, path, now),
            Command::Cat { path } => self.cat(session, path, now),
            Command::Tail { path } => self.tail(session, path, now),
            Command::Echo { path, payload } => self.echo(session, path, payload, now),
            Command::Spawn { payload } => {
                let ack = format!("OK {label} payload={payload}");
                self.spawn_kill(session, verb, ack, Ok(payload.to_string()), now)
            }
            Command::Kill { worker } => {
                let ack = format!("OK {label} id={worker}");
                self.spawn_kill(session, verb, ack, encode_kill(worker), now)
            }
            // The parser never yields AUTH (not a console command): answer as it would.
            Command::Auth { .. } => parse_error(ParseError::InvalidVerb),
        }
    }

    /// Ticket scope and rate check of `verb` on `path` (write access for the table's writes).
    fn gate(
        &self,
        session: &mut Session,
        verb: Verb,
        path: &str,
        now: u64,
    ) -> Result<(), scope::Refusal> {
        match session.grant.as_mut() {
            Some(g) => g.check(path, verb.is_write(), now),
            None => Ok(()),
        }
    }

    /// A stream reply of `verb` (the table says it ends with `END`): the ack, the sendable
    /// lines, `END`; charged against the ticket's bandwidth (`CAT /log/queen.log` is free).
    fn stream(
        &self,
        session: &mut Session,
        verb: Verb,
        ack: String,
        lines: Vec<String>,
        path: &str,
    ) -> Reply {
        let label = verb.ack_label();
        let body: Vec<String> = lines.into_iter().filter(|l| sendable(l)).collect();
        if let Some(g) = session.grant.as_mut() {
            let bytes = if path == cohesix_generated::paths::LOG && verb == Verb::Cat {
                0
            } else {
                body.iter().map(String::len).sum()
            };
            if let Err(r) = g.charge(bytes) {
                return Reply::one(r.render(label, path));
            }
        }
        let mut out = Vec::with_capacity(body.len() + 2);
        out.push(ack);
        out.extend(body);
        if verb.is_stream() {
            out.push(END.into());
        }
        Reply {
            lines: out,
            close: false,
        }
    }

    fn ls(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        let verb = Verb::Ls;
        let label = verb.ack_label();
        if let Err(r) = self.gate(session, verb, path, now) {
            return Reply::one(r.render(label, path));
        }
        match self.ns.list(path) {
            Ok(entries) => {
                let ack = format!("OK {label} path={path} entries={}", entries.len());
                self.stream(session, verb, ack, entries, path)
            }
            Err(e) => Reply::one(e.render(label, path)),
        }
    }

    fn cat(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        let verb = Verb::Cat;
        let label = verb.ack_label();
        if let Err(r) = self.gate(session, verb, path, now) {
            return Reply::one(r.render(label, path));
        }
        let lines = match self.ns.read(path, now) {
            Ok(l) => l,
            Err(e) => return Reply::one(e.render(label, path)),
        };
        let ack = format!("OK {label} path={path} data={}", cat_preview(path, &lines));
        if path == cohesix_generated::paths::LOG {
            return self.stream(session, verb, ack, Vec::new(), path);
        }
        if lines.len() > STREAM_MAX_LINES {
            return Reply::one(NsError::BufferFull.render(label, path));
        }
        self.stream(session, verb, ack, lines, path)
    }

    fn tail(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        let verb = Verb::Tail;
        let label = verb.ack_label();
        if let Err(r) = self.gate(session, verb, path, now) {
            return Reply::one(r.render(label, path));
        }
        match self.ns.tail(path, &mut session.cursors, now) {
            Ok(lines) => {
                let ack = format!("OK {label} path={path}");
                self.stream(session, verb, ack, lines, path)
            }
            Err(e) => Reply::one(e.render(label, path)),
        }
    }

    fn echo(&mut self, session: &mut Session, path: &str, payload: &str, now: u64) -> Reply {
        let verb = Verb::Echo;
        let label = verb.ack_label();
        let Some(role) = session.role else {
            return unauthenticated(label);
        };
        if role.is_worker() && !(path.starts_with("/bus/") || path.starts_with("/lora/")) {
            return Reply::one(format!("ERR {label} reason=policy detail=denied"));
        }
        if path.len() > MAX_PATH_LEN {
            return parse_error(ParseError::ValueTooLong(Argument::Path));
        }
        let payload = payload.trim();
        if let Err(r) = self.gate(session, verb, path, now) {
            return Reply::one(r.render(label, path));
        }
        if let Some(Err(r)) = session.grant.as_mut().map(|g| g.charge(payload.len())) {
            return Reply::one(r.render(label, path));
        }
        let ticket = session.ticket.as_ref().map(AttachTicket::expose);
        match self
            .ns
            .append_ticketed(path, payload, &Caller { role, now_ms: now }, ticket)
        {
            Ok(n) => Reply::one(format!("OK {label} path={path} bytes={n}")),
            Err(e) => Reply::one(e.render(label, path)),
        }
    }

    /// `SPAWN <json>` and `KILL <id>` (the latter as the core's `{"kill":..}` line): the
    /// `OK` first, then an `ERR` when the `/queen/ctl` write is refused (a KILL id the core
    /// cannot encode is an invalid payload).
    fn spawn_kill(
        &mut self,
        session: &mut Session,
        verb: Verb,
        ack: String,
        json: Result<String, NsError>,
        now: u64,
    ) -> Reply {
        let label = verb.ack_label();
        let ctl = cohesix_generated::paths::QUEEN_CTL;
        if let Err(r) = self.gate(session, verb, ctl, now) {
            return Reply::one(r.render(label, ctl));
        }
        let charged = json.as_ref().map_or(0, String::len);
        if let Some(Err(r)) = session.grant.as_mut().map(|g| g.charge(charged)) {
            return Reply::one(r.render(label, ctl));
        }
        let mut lines = vec![ack];
        let ticket = session.ticket.as_ref().map(AttachTicket::expose);
        let written = json.and_then(|json| {
            self.ns
                .append_ticketed(ctl, &json, &Caller::queen(now), ticket)
        });
        if let Err(e) = written {
            lines.push(format!(
                "ERR {label} reason={} detail={} error={}",
                e.reason(),
                e.detail(),
                e.error_text()
            ));
        }
        Reply {
            lines,
            close: false,
        }
    }
}

/// The `/queen/ctl` line of a `KILL <id>` verb.
fn encode_kill(worker: &str) -> Result<String, NsError> {
    let mut buf = [0u8; cohesix_core::control::paths::QUEEN_CTL_MAX_BYTES];
    let n = QueenCtl::kill(worker).encode(&mut buf)?;
    String::from_utf8(buf.get(..n).unwrap_or_default().to_vec())
        .map_err(|_| NsError::InvalidPayload)
}

/// `OK <LABEL>`, then the sendable text lines (no `END`: the table's unterminated replies).
fn with_body(label: &str, body: Vec<String>) -> Reply {
    let mut lines = vec![format!("OK {label}")];
    lines.extend(body.into_iter().filter(|l| sendable(l)));
    Reply {
        lines,
        close: false,
    }
}
