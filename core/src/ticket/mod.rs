//! Cohesix attach tickets (spec §4): claims codec, keyed BLAKE3 MAC, mint/verify and the
//! client normalisation and server checks built on them.
//!
//! ```text
//!  "cohesix-ticket-" <hex claims> "." <hex mac>         (token, ≤ 224 chars)
//!            │                        │
//!   token::decode ── hex ──► caller buf (claims bytes) ──► codec::decode_claims ─► Claims<'buf>
//!            │                                                   │
//!            └──────── mac::TicketKey::verify(buf, mac) ◄─────────┘  key = BLAKE3(secret)
//!                                                                    mac = keyed(key, bytes)
//!   token::mint: Claims ─► codec::encode_claims ─► MAC ─► lowercase hex into caller buf
//!
//!   policy::normalize      client side (§4.5): trim, cap, decode, role/subject rules
//!   policy::check_attach   server side (§2.3, §4.6): verify_for_role, expiry, check_limits
//! ```
//!
//! Everything is `no_std`, allocation-free and panic-free: decoded claims borrow their
//! strings from the caller's buffer ([`MAX_PAYLOAD_LEN`] bytes suffice for any token the
//! console accepts), and minting writes into a caller buffer ([`MAX_TICKET_LEN`] bytes).
//! Secrets, keys and MACs never appear in errors or `Debug` output.
//!
//! ```
//! use cohesix_core::role::Role;
//! use cohesix_core::ticket::{self, Claims, TicketKey, MAX_PAYLOAD_LEN, MAX_TICKET_LEN};
//!
//! let key = TicketKey::from_secret(b"worker");
//! let claims = Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), 1_700_000_000_000)?;
//! let mut out = [0u8; MAX_TICKET_LEN];
//! let token = ticket::mint(&claims, &key, &mut out)?;
//! assert_eq!(token.len(), 178);
//!
//! let mut buf = [0u8; MAX_PAYLOAD_LEN];
//! let verified = ticket::verify_for_role(token, Role::WorkerHeartbeat, &key, &mut buf)?;
//! assert_eq!(verified.subject, Some("worker-1"));
//! # Ok::<(), cohesix_core::ticket::TicketError>(())
//! ```

mod claims;
pub mod codec;
mod error;
mod mac;
mod policy;
mod token;

pub use claims::{Budget, Claims, Mounts, Quotas, Scope, ScopeVerb, MAX_FIELD_LEN, MAX_SCOPES};
pub use error::{NormalizeError, TicketActor, TicketError};
pub use mac::{TicketKey, TicketSecret, MAC_LEN, MAX_SECRET_LEN};
pub use policy::{
    check_attach, check_limits, normalize, verify_for_role, AttachGrant, AttachRefusal,
    LimitViolation, TicketLimits,
};
pub use token::{
    decode, decode_verified, mint, token_len, Ticket, TicketBuf, MAX_PAYLOAD_LEN, MAX_TICKET_LEN,
    TICKET_PREFIX, TOKEN_OVERHEAD,
};
