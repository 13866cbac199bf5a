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
use cohesix_core::command::{parse_command, Command};
use cohesix_core::control::QueenCtl;
use cohesix_core::role::Role;
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
    pub fn execute(&mut self, session: &mut Session, payload: &[u8]) -> Reply {
        self.frames_in += 1;
        let mut buf = [0u8; MAX_LINE_LEN];
        let cmd = match parse_command(payload, &mut buf) {
            Ok(c) => c,
            Err(e) => {
                return Reply::one(format!(
                    "ERR PARSE reason={} detail={}",
                    e.reason(),
                    e.detail()
                ))
            }
        };
        let label = cmd.verb().ack_label();
        let now = self.clock.now_ms();
        match cmd {
            Command::Help => with_body(
                "OK HELP",
                text::HELP_LINES.iter().map(|s| s.to_string()).collect(),
            ),
            Command::Bi => with_body("OK BOOTINFO", text::bootinfo()),
            Command::Caps => with_body("OK CAPS", text::caps()),
            Command::Mem => with_body("OK MEM", text::mem()),
            Command::NetStats => with_body(
                "OK NETSTATS",
                text::netstats(self.frames_in, self.frames_in * 2),
            ),
            Command::CacheLog { count } => with_body("OK CACHELOG", text::cachelog(count)),
            Command::NetTest => with_body("OK NETTEST", text::nettest()),
            Command::Test => Reply::one("ERR TEST reason=policy detail=host-only"),
            Command::Ping => Reply {
                lines: vec!["OK PING reply=pong".into(), "PONG".into()],
                close: false,
            },
            Command::Quit => Reply {
                lines: vec!["OK QUIT".into()],
                close: true,
            },
            Command::Attach { role, ticket } => Reply::one(self.attach(session, role, ticket)),
            Command::Log => {
                if session.role != Some(Role::Queen) {
                    return unauthenticated(label);
                }
                let path = cohesix_generated::paths::LOG;
                if let Err(r) = self.gate(session, path, false, now) {
                    return Reply::one(r.render(label, path));
                }
                self.stream(
                    session,
                    "OK LOG".into(),
                    self.ns.log_snapshot(),
                    label,
                    path,
                )
            }
            Command::Ls { path } => self.ls(session, path, now),
            Command::Cat { path } => self.cat(session, path, now),
            Command::Tail { path } => self.tail(session, path, now),
            Command::Echo { path, payload } => self.echo(session, path, payload, now),
            Command::Spawn { payload } => {
                let ack = format!("OK SPAWN payload={payload}");
                self.spawn_kill(session, label, ack, Ok(payload.to_string()), now)
            }
            Command::Kill { worker } => {
                let ack = format!("OK KILL id={worker}");
                self.spawn_kill(session, label, ack, encode_kill(worker), now)
            }
        }
    }

    fn gate(
        &self,
        session: &mut Session,
        path: &str,
        write: bool,
        now: u64,
    ) -> Result<(), scope::Refusal> {
        match session.grant.as_mut() {
            Some(g) => g.check(path, write, now),
            None => Ok(()),
        }
    }

    fn stream(
        &self,
        session: &mut Session,
        ack: String,
        lines: Vec<String>,
        label: &str,
        path: &str,
    ) -> Reply {
        let body: Vec<String> = lines.into_iter().filter(|l| sendable(l)).collect();
        if let Some(g) = session.grant.as_mut() {
            let bytes = if path == cohesix_generated::paths::LOG && label == "CAT" {
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
        out.push("END".into());
        Reply {
            lines: out,
            close: false,
        }
    }

    fn ls(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        if session.role.is_none() {
            return unauthenticated("LS");
        }
        if let Err(r) = self.gate(session, path, false, now) {
            return Reply::one(r.render("LS", path));
        }
        match self.ns.list(path) {
            Ok(entries) => {
                let ack = format!("OK LS path={path} entries={}", entries.len());
                self.stream(session, ack, entries, "LS", path)
            }
            Err(e) => Reply::one(e.render("LS", path)),
        }
    }

    fn cat(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        if session.role.is_none() {
            return unauthenticated("CAT");
        }
        if let Err(r) = self.gate(session, path, false, now) {
            return Reply::one(r.render("CAT", path));
        }
        let lines = match self.ns.read(path, now) {
            Ok(l) => l,
            Err(e) => return Reply::one(e.render("CAT", path)),
        };
        let ack = format!("OK CAT path={path} data={}", cat_preview(path, &lines));
        if path == cohesix_generated::paths::LOG {
            return self.stream(session, ack, Vec::new(), "CAT", path);
        }
        if lines.len() > STREAM_MAX_LINES {
            return Reply::one(NsError::BufferFull.render("CAT", path));
        }
        self.stream(session, ack, lines, "CAT", path)
    }

    fn tail(&mut self, session: &mut Session, path: &str, now: u64) -> Reply {
        if session.role.is_none() {
            return unauthenticated("TAIL");
        }
        if let Err(r) = self.gate(session, path, false, now) {
            return Reply::one(r.render("TAIL", path));
        }
        match self.ns.tail(path, &mut session.cursors, now) {
            Ok(lines) => self.stream(session, format!("OK TAIL path={path}"), lines, "TAIL", path),
            Err(e) => Reply::one(e.render("TAIL", path)),
        }
    }

    fn echo(&mut self, session: &mut Session, path: &str, payload: &str, now: u64) -> Reply {
        let Some(role) = session.role else {
            return unauthenticated("ECHO");
        };
        if role.is_worker() && !(path.starts_with("/bus/") || path.starts_with("/lora/")) {
            return Reply::one("ERR ECHO reason=policy detail=denied");
        }
        if path.len() > MAX_PATH_LEN {
            return Reply::one(
                "ERR PARSE reason=policy detail=argument path exceeds allowed length",
            );
        }
        let payload = payload.trim();
        if let Err(r) = self.gate(session, path, true, now) {
            return Reply::one(r.render("ECHO", path));
        }
        if let Some(Err(r)) = session.grant.as_mut().map(|g| g.charge(payload.len())) {
            return Reply::one(r.render("ECHO", path));
        }
        let ticket = session.ticket.as_ref().map(AttachTicket::expose);
        match self
            .ns
            .append_ticketed(path, payload, &Caller { role, now_ms: now }, ticket)
        {
            Ok(n) => Reply::one(format!("OK ECHO path={path} bytes={n}")),
            Err(e) => Reply::one(e.render("ECHO", path)),
        }
    }

    /// `SPAWN <json>` and `KILL <id>` (the latter as the core's `{"kill":..}` line): the
    /// `OK` first, then an `ERR` when the `/queen/ctl` write is refused (a KILL id the core
    /// cannot encode is an invalid payload).
    fn spawn_kill(
        &mut self,
        session: &mut Session,
        label: &str,
        ack: String,
        json: Result<String, NsError>,
        now: u64,
    ) -> Reply {
        if session.role != Some(Role::Queen) {
            return unauthenticated(label);
        }
        let ctl = cohesix_generated::paths::QUEEN_CTL;
        if let Err(r) = self.gate(session, ctl, true, now) {
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

fn with_body(ack: &str, body: Vec<String>) -> Reply {
    let mut lines = vec![ack.to_string()];
    lines.extend(body.into_iter().filter(|l| sendable(l)));
    Reply {
        lines,
        close: false,
    }
}
