//! `/host/tickets/spec` lines (host-surface §4.1): `host-ticket/v1`.
//!
//! Key order `schema`, `id`, `idempotency_key`, `action`, `target`?, `args`? (omitted when
//! empty), `expires_unix_ms`?:
//!
//! ```text
//! {"schema":"host-ticket/v1","id":"t-1","idempotency_key":"k-1","action":"systemd.restart","target":"/host/systemd/cohesix-agent.service/restart"}
//! ```
//!
//! `args` is a flat object of string, unsigned-integer or boolean values (at most
//! [`MAX_ARGS`] entries, keys are identifier tokens, no key twice). The 0.9 client has no
//! action allowlist; [`ACTION_ALLOWLIST`] is the manifest's list, for callers that want one.

use cohesix_generated::ecosystem::host::tickets;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json::{self, Members};
use super::token::{check_id, check_path, check_positive, check_token, MAX_ACTION_LEN};
use super::{paths, ControlLine};

/// Schema tag of ticket requests (`ecosystem.host.tickets.request_schema`).
pub const HOST_TICKET_SCHEMA: &str = tickets::REQUEST_SCHEMA;
/// Most `args` entries a ticket carries.
pub const MAX_ARGS: usize = 8;
/// The manifest's `ecosystem.host.tickets.action_allowlist`.
pub const ACTION_ALLOWLIST: &[&str] = tickets::ACTION_ALLOWLIST;

/// One `args` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ArgValue<'a> {
    /// A string (plain: decoders refuse escapes).
    Str(&'a str),
    /// An unsigned integer.
    U64(u64),
    /// A boolean.
    Bool(bool),
}

impl Serialize for ArgValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ArgValue::Str(v) => s.serialize_str(v),
            ArgValue::U64(v) => s.serialize_u64(*v),
            ArgValue::Bool(v) => s.serialize_bool(*v),
        }
    }
}

impl<'a> From<&'a str> for ArgValue<'a> {
    fn from(v: &'a str) -> Self {
        ArgValue::Str(v)
    }
}

impl From<u64> for ArgValue<'_> {
    fn from(v: u64) -> Self {
        ArgValue::U64(v)
    }
}

impl From<u32> for ArgValue<'_> {
    fn from(v: u32) -> Self {
        ArgValue::U64(u64::from(v))
    }
}

impl From<bool> for ArgValue<'_> {
    fn from(v: bool) -> Self {
        ArgValue::Bool(v)
    }
}

/// The `args` object: up to [`MAX_ARGS`] `(key, value)` pairs in insertion order.
///
/// [`push`](Self::push) past the capacity records the overflow, and `validate` reports it
/// (`"host ticket args exceed 8 entries"`); nothing is dropped silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args<'a> {
    entries: heapless::Vec<(&'a str, ArgValue<'a>), MAX_ARGS>,
    overflow: bool,
}

impl<'a> Args<'a> {
    /// No entries.
    pub const fn new() -> Self {
        Self {
            entries: heapless::Vec::new(),
            overflow: false,
        }
    }

    /// Appends `key: value` (key trimmed).
    pub fn push(&mut self, key: &'a str, value: impl Into<ArgValue<'a>>) {
        if self.entries.push((key.trim(), value.into())).is_err() {
            self.overflow = true;
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, ArgValue<'a>)> + '_ {
        self.entries.iter().copied()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<ArgValue<'a>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys are tokens (`"args key ..."` messages), no key twice, at most [`MAX_ARGS`].
    pub fn validate(&self) -> Result<(), ControlError> {
        if self.overflow {
            return Err(ControlError::TooManyArgs { max: MAX_ARGS });
        }
        for (i, (key, _)) in self.entries.iter().enumerate() {
            check_token("args key", key, super::token::MAX_ID_LEN)?;
            if self.entries.iter().skip(i + 1).any(|(k, _)| k == key) {
                return Err(ControlError::DuplicateArg);
            }
        }
        Ok(())
    }

    /// Parses a raw JSON object (its values strings without escapes, unsigned integers or
    /// booleans).
    fn decode(raw: &'a str) -> Result<Self, ControlError> {
        let members = Members::new(raw).ok_or(ControlError::ArgsNotObject)?;
        let mut args = Args::new();
        for m in members {
            let (key, value) = m.map_err(|()| ControlError::Json(super::JsonError::Syntax))?;
            json::plain("args key", key)?;
            let value = if let Ok(s) = json::decode::<&str>(value.as_bytes()) {
                json::plain("args value", s)?;
                ArgValue::Str(s)
            } else if let Ok(n) = json::decode::<u64>(value.as_bytes()) {
                ArgValue::U64(n)
            } else if let Ok(b) = json::decode::<bool>(value.as_bytes()) {
                ArgValue::Bool(b)
            } else {
                return Err(ControlError::ArgValue);
            };
            args.push(key, value);
        }
        Ok(args)
    }
}

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One `host-ticket/v1` request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostTicket<'a> {
    /// Ticket id (upstream `ticket_id`; wire key `id`).
    pub ticket_id: &'a str,
    /// Idempotency key: the agent runs `(id, idempotency_key)` at most once.
    pub idempotency_key: &'a str,
    /// Action (token, at most [`MAX_ACTION_LEN`] bytes), e.g. `systemd.restart`.
    pub action: &'a str,
    /// Optional namespace path the action is about.
    pub target: Option<&'a str>,
    /// Arguments (omitted on the wire when empty).
    pub args: Args<'a>,
    /// Optional expiry (Unix epoch ms, `> 0`).
    pub expires_unix_ms: Option<u64>,
}

#[derive(Serialize)]
struct WireOut<'b, 'a> {
    schema: &'static str,
    id: &'a str,
    idempotency_key: &'a str,
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "no_args")]
    args: &'b Args<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_unix_ms: Option<u64>,
}

fn no_args(args: &&Args<'_>) -> bool {
    args.entries.is_empty()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn<'a> {
    schema: &'a str,
    id: &'a str,
    idempotency_key: &'a str,
    action: &'a str,
    #[serde(borrow)]
    target: Option<&'a str>,
    #[allow(dead_code)]
    args: Option<serde::de::IgnoredAny>,
    expires_unix_ms: Option<u64>,
}

impl<'a> HostTicket<'a> {
    /// A ticket without target, args or expiry (strings trimmed).
    pub fn new(ticket_id: &'a str, idempotency_key: &'a str, action: &'a str) -> Self {
        Self {
            ticket_id: ticket_id.trim(),
            idempotency_key: idempotency_key.trim(),
            action: action.trim(),
            target: None,
            args: Args::new(),
            expires_unix_ms: None,
        }
    }

    /// Sets the target path (trimmed).
    #[must_use]
    pub fn target(mut self, target: &'a str) -> Self {
        self.target = Some(target.trim());
        self
    }

    /// Appends one argument.
    #[must_use]
    pub fn arg(mut self, key: &'a str, value: impl Into<ArgValue<'a>>) -> Self {
        self.args.push(key, value);
        self
    }

    /// Sets the expiry.
    #[must_use]
    pub const fn expires_unix_ms(mut self, ms: u64) -> Self {
        self.expires_unix_ms = Some(ms);
        self
    }

    /// Whether `action` is on the manifest's allowlist ([`ACTION_ALLOWLIST`]).
    pub fn action_allowed(&self) -> bool {
        ACTION_ALLOWLIST.contains(&self.action)
    }

    /// Checks §4.1: `ticket_id`, `idempotency_key` tokens; `action` token (≤ 64); `target`
    /// path rules; `args`; `expires_unix_ms` `> 0` when set.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("ticket_id", self.ticket_id)?;
        check_id("idempotency_key", self.idempotency_key)?;
        check_token("action", self.action, MAX_ACTION_LEN)?;
        if let Some(target) = self.target {
            check_path("target", target)?;
        }
        self.args.validate()?;
        match self.expires_unix_ms {
            Some(ms) => {
                check_positive("expires_unix_ms", ms).map_err(|_| ControlError::ExpiresNotPositive)
            }
            None => Ok(()),
        }
    }

    /// Validates, then writes the compact JSON line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(
            &WireOut {
                schema: HOST_TICKET_SCHEMA,
                id: self.ticket_id,
                idempotency_key: self.idempotency_key,
                action: self.action,
                target: self.target,
                args: &self.args,
                expires_unix_ms: self.expires_unix_ms,
            },
            out,
        )
    }

    /// Parses and validates one line (strict; `schema` must be `host-ticket/v1`).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: WireIn<'a> = json::decode(line)?;
        if w.schema != HOST_TICKET_SCHEMA {
            return Err(ControlError::WrongSchema {
                expected: HOST_TICKET_SCHEMA,
            });
        }
        json::plain("ticket_id", w.id)?;
        json::plain("idempotency_key", w.idempotency_key)?;
        json::plain("action", w.action)?;
        json::plain_opt("target", w.target)?;
        let text =
            core::str::from_utf8(line).map_err(|_| ControlError::Json(super::JsonError::Utf8))?;
        let args = match json::member(text, "args")? {
            Some(raw) => Args::decode(raw)?,
            None => Args::new(),
        };
        let ticket = Self {
            ticket_id: w.id,
            idempotency_key: w.idempotency_key,
            action: w.action,
            target: w.target,
            args,
            expires_unix_ms: w.expires_unix_ms,
        };
        ticket.validate()?;
        Ok(ticket)
    }
}

impl ControlLine for HostTicket<'_> {
    const PATH: &'static str = paths::HOST_TICKETS_SPEC;
    const MAX_LINE_BYTES: usize = paths::HOST_TICKETS_MAX_LINE_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        HostTicket::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        HostTicket::encode(self, out)
    }
}
