//! K8s RBAC intents and their translation to `host-ticket/v1` (host-surface §4.4).
//!
//! # The compact ticket form (why and what)
//!
//! Upstream 0.9 translates an intent into a ticket with a target path
//! `/host/k8s/node/<node>/<verb>`, an idempotency key `<intent_id>.<verb>` and five `args`:
//! the cordon ticket of upstream's own test intent is **231 bytes**, over the 128-byte console
//! ECHO bound (TCP and REST refuse it) and, for long node names, over the 96-byte path limit.
//!
//! This translation emits exactly one form, and never truncates:
//!
//! ```text
//! {"schema":"host-ticket/v1","id":"<intent_id>","idempotency_key":"k8s<h8>","action":"k8s.<cordon|drain|lease.sync>","args":{"node":"<node>"}}
//! ```
//!
//! * `id` = `intent_id` (the operator's correlation handle in `/host/tickets/status`);
//! * `idempotency_key` = `k8s` + the first 8 lower-case hex digits of SHA-256 of
//!   `<intent_id>.<verb>.<node>` (`verb` as in the intent: `cordon|drain|lease-sync`). This is
//!   upstream's post-0.9 key, byte for byte, so Python and Rust clients submitting the same
//!   intent are deduplicated by the agent; replaying an intent is a no-op, and an intent id
//!   reused for another node or verb gets a different key;
//! * no `target`: the agent takes the node from `args.node`, so the 96-byte path limit never
//!   applies;
//! * `args` = `{"node":..}` only. Upstream post-0.9 also sends `reason` and `ttl_s`; the
//!   agent's k8s executor reads neither (nor `subject`/`namespace`: RBAC scoping is nominal),
//!   and with them a realistic ticket no longer fits (`,"reason":"maint"` alone is 17 bytes).
//!   They are still validated, and belong in the caller's audit record. Without `reason`
//!   and `ttl_s` the line is byte-identical to upstream post-0.9.
//!
//! The fixed part is 98 bytes, so `intent_id` + action + `node` may use 30 bytes: upstream's
//! test intent (`intent-1`, `node-1`, cordon) is 122 bytes. A ticket over
//! [`MAX_ECHO_LEN`] fails with [`ControlError::K8sTicketTooLong`] before anything is written.

use cohesix_generated::console::MAX_ECHO_LEN;
use sha2::{Digest, Sha256};

use super::error::ControlError;
use super::host_ticket::HostTicket;
use super::token::{check_id, check_id_opt, check_positive_opt, parse_keyword, MAX_VERB_LEN};

/// Intent verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum K8sVerb {
    /// `cordon` → `k8s.cordon`.
    Cordon,
    /// `drain` → `k8s.drain`.
    Drain,
    /// `lease-sync` → `k8s.lease.sync`.
    LeaseSync,
}

impl K8sVerb {
    /// Every verb.
    pub const ALL: [K8sVerb; 3] = [K8sVerb::Cordon, K8sVerb::Drain, K8sVerb::LeaseSync];

    /// The intent spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            K8sVerb::Cordon => "cordon",
            K8sVerb::Drain => "drain",
            K8sVerb::LeaseSync => "lease-sync",
        }
    }

    /// The host-ticket action.
    pub const fn action(self) -> &'static str {
        match self {
            K8sVerb::Cordon => "k8s.cordon",
            K8sVerb::Drain => "k8s.drain",
            K8sVerb::LeaseSync => "k8s.lease.sync",
        }
    }

    /// Parses a verb (trimmed, case-insensitive, token rules with limit 32), else
    /// `"verb must be one of cordon|drain|lease-sync"`.
    pub fn parse(verb: &str) -> Result<Self, ControlError> {
        let names = Self::ALL.map(K8sVerb::as_str);
        parse_keyword("verb", verb, MAX_VERB_LEN, &names)?
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(ControlError::K8sVerb)
    }
}

/// A K8s RBAC intent (upstream `K8sRbacIntent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct K8sRbacIntent<'a> {
    /// Intent id (becomes the ticket id).
    pub intent_id: &'a str,
    /// Requesting subject (validated; not sent: the agent ignores it).
    pub subject: &'a str,
    /// Namespace (validated; not sent).
    pub namespace: &'a str,
    /// Node the verb applies to.
    pub node: &'a str,
    /// The verb.
    pub verb: K8sVerb,
    /// Optional reason (validated; not sent).
    pub reason: Option<&'a str>,
    /// Optional lifetime (validated `> 0`; not sent).
    pub ttl_s: Option<u32>,
}

impl<'a> K8sRbacIntent<'a> {
    /// An intent (strings trimmed).
    pub fn new(
        intent_id: &'a str,
        subject: &'a str,
        namespace: &'a str,
        node: &'a str,
        verb: K8sVerb,
    ) -> Self {
        Self {
            intent_id: intent_id.trim(),
            subject: subject.trim(),
            namespace: namespace.trim(),
            node: node.trim(),
            verb,
            reason: None,
            ttl_s: None,
        }
    }

    /// Sets the reason (trimmed).
    #[must_use]
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason.trim());
        self
    }

    /// Sets the lifetime.
    #[must_use]
    pub const fn ttl_s(mut self, ttl_s: u32) -> Self {
        self.ttl_s = Some(ttl_s);
        self
    }

    /// Checks §4.4: `intent_id`, `subject`, `namespace`, `node` tokens; `reason` token and
    /// `ttl_s > 0` when set.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("intent_id", self.intent_id)?;
        check_id("subject", self.subject)?;
        check_id("namespace", self.namespace)?;
        check_id("node", self.node)?;
        check_id_opt("reason", self.reason)?;
        check_positive_opt("ttl_s", self.ttl_s)
    }

    /// Translates to the compact ticket (module docs); fails, never truncates, when the line
    /// would exceed the console ECHO bound.
    pub fn ticket(&self) -> Result<K8sTicket<'a>, ControlError> {
        self.validate()?;
        let mut key = [0u8; KEY_LEN];
        idempotency_key(self, &mut key);
        let mut t = K8sTicket {
            intent: *self,
            key,
            len: 0,
        };
        let mut buf = [0u8; SCRATCH];
        let len = t.host_ticket().encode(&mut buf)?;
        if len > MAX_ECHO_LEN {
            return Err(ControlError::K8sTicketTooLong {
                len,
                max: MAX_ECHO_LEN,
            });
        }
        t.len = len;
        Ok(t)
    }
}

/// `k8s` + 8 hex digits.
const KEY_LEN: usize = 11;
/// Longest possible ticket line (32-byte ids, `k8s.lease.sync`) fits with room to spare.
const SCRATCH: usize = 192;

fn idempotency_key(intent: &K8sRbacIntent<'_>, out: &mut [u8; KEY_LEN]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = Sha256::new();
    h.update(intent.intent_id.as_bytes());
    h.update(b".");
    h.update(intent.verb.as_str().as_bytes());
    h.update(b".");
    h.update(intent.node.as_bytes());
    let digest = h.finalize();
    crate::frame::copy_prefix(out, b"k8s");
    let hex = out.get_mut(3..).unwrap_or(&mut []);
    for (pair, byte) in hex.chunks_exact_mut(2).zip(digest.iter()) {
        for (slot, nib) in pair.iter_mut().zip([byte >> 4, byte & 0xf]) {
            *slot = HEX.get(usize::from(nib)).copied().unwrap_or(b'0');
        }
    }
}

/// A translated intent: the ticket fits one console ECHO payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct K8sTicket<'a> {
    intent: K8sRbacIntent<'a>,
    key: [u8; KEY_LEN],
    len: usize,
}

impl<'a> K8sTicket<'a> {
    /// The intent this ticket was made from.
    pub const fn intent(&self) -> &K8sRbacIntent<'a> {
        &self.intent
    }

    /// The idempotency key (`k8s` + 8 hex digits).
    pub fn idempotency_key(&self) -> &str {
        core::str::from_utf8(&self.key).unwrap_or("")
    }

    /// Encoded length in bytes (without newline); at most `MAX_ECHO_LEN`.
    pub const fn encoded_len(&self) -> usize {
        self.len
    }

    /// The ticket as a [`HostTicket`].
    pub fn host_ticket(&self) -> HostTicket<'_> {
        HostTicket::new(
            self.intent.intent_id,
            self.idempotency_key(),
            self.intent.verb.action(),
        )
        .arg("node", self.intent.node)
    }

    /// Writes the ticket line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.host_ticket().encode(out)
    }
}
