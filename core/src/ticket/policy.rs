//! Ticket policy: client-side normalisation (spec §4.5) and the server-side checks the queen
//! simulator needs at ATTACH (spec §2.3 steps 4 and 7, §4.6).

use core::fmt;

use super::claims::{Claims, Quotas};
use super::error::{NormalizeError, TicketError};
use super::mac::TicketKey;
use super::token::{decode, MAX_PAYLOAD_LEN, MAX_TICKET_LEN};
use crate::role::Role;

/// Normalises an optional ticket for an ATTACH as `role` (COHSH `TicketPolicy::tcp()`).
///
/// 1. Trim; empty or whitespace-only means absent.
/// 2. Present and over 224 bytes: `TooLong(224)`.
/// 3. Queen: absent is fine; present must decode (the MAC is not verified and the claims
///    role is not checked, so a worker ticket passes).
/// 4. Worker: absent is `Missing`; then `Invalid(e)`, `RoleMismatch`, `MissingSubject`.
///
/// Returns the trimmed ticket to send, or `None` to send none.
pub fn normalize(role: Role, ticket: Option<&str>) -> Result<Option<&str>, NormalizeError> {
    let ticket = ticket.map(str::trim).filter(|t| !t.is_empty());
    let Some(ticket) = ticket else {
        return if role.is_worker() {
            Err(NormalizeError::Missing)
        } else {
            Ok(None)
        };
    };
    if ticket.len() > MAX_TICKET_LEN {
        return Err(NormalizeError::TooLong(MAX_TICKET_LEN));
    }
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let decoded = decode(ticket, &mut buf).map_err(NormalizeError::Invalid)?;
    if role.is_worker() {
        let claims = decoded.claims();
        if claims.role != role {
            return Err(NormalizeError::RoleMismatch {
                expected: role,
                found: claims.role,
            });
        }
        if claims.subject.is_none() {
            return Err(NormalizeError::MissingSubject);
        }
    }
    Ok(Some(ticket))
}

/// Server-side ticket check (spec §2.3 step 4): trims `token`, decodes it into `buf`,
/// verifies the MAC under `key` (the requested role's secret) and requires the claims role
/// to equal `role`. A subject is not required (the server never asks for one).
pub fn verify_for_role<'b>(
    token: &str,
    role: Role,
    key: &TicketKey,
    buf: &'b mut [u8],
) -> Result<Claims<'b>, TicketError> {
    let claims = decode(token.trim(), buf)?.into_verified(key)?;
    if claims.role != role {
        return Err(TicketError::RoleMismatch {
            expected: role,
            found: claims.role,
        });
    }
    Ok(claims)
}

/// Manifest `[ticket_limits]` (spec §4.6); `0` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TicketLimits {
    /// Most scopes per ticket.
    pub max_scopes: usize,
    /// Longest scope path in bytes.
    pub max_scope_path_len: usize,
    /// Highest scope rate.
    pub max_scope_rate_per_s: u32,
    /// Session bandwidth budget ceiling (and default).
    pub bandwidth_bytes: u64,
    /// Cursor resume ceiling (and default).
    pub cursor_resumes: u32,
    /// Cursor advance ceiling (and default).
    pub cursor_advances: u32,
}

impl TicketLimits {
    /// The limits of the compiled manifest (`cohesix_generated::ticket_limits`).
    pub const MANIFEST: TicketLimits = TicketLimits {
        max_scopes: cohesix_generated::ticket_limits::MAX_SCOPES,
        max_scope_path_len: cohesix_generated::ticket_limits::MAX_SCOPE_PATH_LEN,
        max_scope_rate_per_s: cohesix_generated::ticket_limits::MAX_SCOPE_RATE_PER_S,
        bandwidth_bytes: cohesix_generated::ticket_limits::BANDWIDTH_BYTES,
        cursor_resumes: cohesix_generated::ticket_limits::CURSOR_RESUMES,
        cursor_advances: cohesix_generated::ticket_limits::CURSOR_ADVANCES,
    };

    /// No limits at all.
    pub const UNLIMITED: TicketLimits = TicketLimits {
        max_scopes: 0,
        max_scope_path_len: 0,
        max_scope_rate_per_s: 0,
        bandwidth_bytes: 0,
        cursor_resumes: 0,
        cursor_advances: 0,
    };
}

impl Default for TicketLimits {
    fn default() -> Self {
        TicketLimits::MANIFEST
    }
}

/// Which manifest limit a ticket's claims exceed. Every variant is answered
/// `ERR ATTACH reason=quota detail=invalid-claims` (see [`LimitViolation::DETAIL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LimitViolation {
    /// More scopes than `max_scopes`.
    TooManyScopes {
        /// Scopes in the ticket.
        count: usize,
        /// Manifest maximum.
        max: usize,
    },
    /// A scope path longer than `max_scope_path_len`.
    ScopePathTooLong {
        /// Index of the scope.
        index: usize,
        /// Path length.
        len: usize,
        /// Manifest maximum.
        max: usize,
    },
    /// A scope path that is not absolute.
    ScopePathNotAbsolute {
        /// Index of the scope.
        index: usize,
    },
    /// A scope path with a `..` component.
    ScopePathTraversal {
        /// Index of the scope.
        index: usize,
    },
    /// A scope rate above `max_scope_rate_per_s`.
    ScopeRateTooHigh {
        /// Index of the scope.
        index: usize,
        /// Rate in the ticket.
        rate: u32,
        /// Manifest maximum.
        max: u32,
    },
    /// A bandwidth quota above the manifest's.
    BandwidthTooHigh {
        /// Quota in the ticket.
        requested: u64,
        /// Manifest maximum.
        max: u64,
    },
    /// A cursor-resume quota above the manifest's.
    CursorResumesTooHigh {
        /// Quota in the ticket.
        requested: u32,
        /// Manifest maximum.
        max: u32,
    },
    /// A cursor-advance quota above the manifest's.
    CursorAdvancesTooHigh {
        /// Quota in the ticket.
        requested: u32,
        /// Manifest maximum.
        max: u32,
    },
}

impl LimitViolation {
    /// The ATTACH `reason=` the server answers with.
    pub const REASON: &'static str = "quota";
    /// The ATTACH `detail=` the server answers with.
    pub const DETAIL: &'static str = "invalid-claims";
}

impl fmt::Display for LimitViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitViolation::TooManyScopes { count, max } => {
                write!(f, "ticket has {count} scopes, limit {max}")
            }
            LimitViolation::ScopePathTooLong { index, len, max } => {
                write!(f, "scope {index} path is {len} bytes, limit {max}")
            }
            LimitViolation::ScopePathNotAbsolute { index } => {
                write!(f, "scope {index} path is not absolute")
            }
            LimitViolation::ScopePathTraversal { index } => {
                write!(f, "scope {index} path contains '..'")
            }
            LimitViolation::ScopeRateTooHigh { index, rate, max } => {
                write!(f, "scope {index} rate {rate}/s exceeds {max}/s")
            }
            LimitViolation::BandwidthTooHigh { requested, max } => {
                write!(f, "bandwidth quota {requested} exceeds {max}")
            }
            LimitViolation::CursorResumesTooHigh { requested, max } => {
                write!(f, "cursor resume quota {requested} exceeds {max}")
            }
            LimitViolation::CursorAdvancesTooHigh { requested, max } => {
                write!(f, "cursor advance quota {requested} exceeds {max}")
            }
        }
    }
}

/// `value` exceeds `limit`, where a zero limit means unlimited.
fn over<T: PartialOrd + Default>(value: T, limit: T) -> bool {
    limit != T::default() && value > limit
}

/// Checks claims against the manifest `[ticket_limits]` (spec §4.6).
///
/// On success returns the session's effective quotas: a quota missing from the ticket (0)
/// defaults to the manifest maximum, so any ticketed session is bandwidth-capped. In the
/// result `0` means unlimited. A scope path is rejected when it is not absolute or has a `..`
/// component.
pub fn check_limits(claims: &Claims<'_>, limits: &TicketLimits) -> Result<Quotas, LimitViolation> {
    let count = claims.scopes.len();
    if over(count, limits.max_scopes) {
        return Err(LimitViolation::TooManyScopes {
            count,
            max: limits.max_scopes,
        });
    }
    for (index, scope) in claims.scopes.iter().enumerate() {
        let len = scope.path.len();
        if over(len, limits.max_scope_path_len) {
            return Err(LimitViolation::ScopePathTooLong {
                index,
                len,
                max: limits.max_scope_path_len,
            });
        }
        if !scope.path.starts_with('/') {
            return Err(LimitViolation::ScopePathNotAbsolute { index });
        }
        if scope.path.split('/').any(|c| c == "..") {
            return Err(LimitViolation::ScopePathTraversal { index });
        }
        if over(scope.rate_per_s, limits.max_scope_rate_per_s) {
            return Err(LimitViolation::ScopeRateTooHigh {
                index,
                rate: scope.rate_per_s,
                max: limits.max_scope_rate_per_s,
            });
        }
    }
    let q = &claims.quotas;
    if over(q.bandwidth_bytes, limits.bandwidth_bytes) {
        return Err(LimitViolation::BandwidthTooHigh {
            requested: q.bandwidth_bytes,
            max: limits.bandwidth_bytes,
        });
    }
    if over(q.cursor_resumes, limits.cursor_resumes) {
        return Err(LimitViolation::CursorResumesTooHigh {
            requested: q.cursor_resumes,
            max: limits.cursor_resumes,
        });
    }
    if over(q.cursor_advances, limits.cursor_advances) {
        return Err(LimitViolation::CursorAdvancesTooHigh {
            requested: q.cursor_advances,
            max: limits.cursor_advances,
        });
    }
    Ok(Quotas {
        bandwidth_bytes: or_limit(q.bandwidth_bytes, limits.bandwidth_bytes),
        cursor_resumes: or_limit(q.cursor_resumes, limits.cursor_resumes),
        cursor_advances: or_limit(q.cursor_advances, limits.cursor_advances),
    })
}

/// A quota the ticket leaves unset (0) takes the manifest value.
fn or_limit<T: PartialEq + Default>(value: T, limit: T) -> T {
    if value == T::default() {
        limit
    } else {
        value
    }
}

/// Why the server refuses a ticket at ATTACH (spec §2.3 steps 4 and 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AttachRefusal {
    /// Validation failed (no worker ticket, bad ticket, wrong key or role):
    /// `reason=policy detail=denied`. Counts as a failed login.
    Denied(Option<TicketError>),
    /// `now_ms ≥ issued_at_ms + ttl_s*1000`: `reason=quota detail=expired`.
    Expired,
    /// Claims over the manifest limits: `reason=quota detail=invalid-claims`.
    InvalidClaims(LimitViolation),
}

impl AttachRefusal {
    /// The `reason=` value of the `ERR ATTACH` line.
    pub const fn reason(&self) -> &'static str {
        match self {
            AttachRefusal::Denied(_) => "policy",
            AttachRefusal::Expired | AttachRefusal::InvalidClaims(_) => "quota",
        }
    }

    /// The `detail=` value of the `ERR ATTACH` line.
    pub const fn detail(&self) -> &'static str {
        match self {
            AttachRefusal::Denied(_) => "denied",
            AttachRefusal::Expired => "expired",
            AttachRefusal::InvalidClaims(_) => LimitViolation::DETAIL,
        }
    }

    /// Whether this outcome is a failed validation (feeds the throttle and rate limiter).
    pub const fn is_failed_validation(&self) -> bool {
        matches!(self, AttachRefusal::Denied(_))
    }
}

/// A ticket the server accepted at ATTACH: the session is tracked against `quotas`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachGrant<'b> {
    /// The verified claims.
    pub claims: Claims<'b>,
    /// Effective quotas (manifest defaults applied, 0 = unlimited).
    pub quotas: Quotas,
}

/// The server's ticket steps of an ATTACH (spec §2.3 steps 4 and 7), without the throttle,
/// rate limiter and lifecycle gate (owned by the simulator):
/// a queen with no or a whitespace-only ticket gets `Ok(None)` (an untracked, unlimited
/// session); otherwise the ticket must verify under `key` with the requested role, must not
/// be expired at `now_ms` and must fit `limits`.
pub fn check_attach<'b>(
    role: Role,
    ticket: Option<&str>,
    key: &TicketKey,
    limits: &TicketLimits,
    now_ms: u64,
    buf: &'b mut [u8],
) -> Result<Option<AttachGrant<'b>>, AttachRefusal> {
    let ticket = ticket.map(str::trim).filter(|t| !t.is_empty());
    let Some(ticket) = ticket else {
        return if role.is_worker() {
            Err(AttachRefusal::Denied(None))
        } else {
            Ok(None)
        };
    };
    let claims =
        verify_for_role(ticket, role, key, buf).map_err(|e| AttachRefusal::Denied(Some(e)))?;
    if claims.is_expired(now_ms) {
        return Err(AttachRefusal::Expired);
    }
    let quotas = check_limits(&claims, limits).map_err(AttachRefusal::InvalidClaims)?;
    Ok(Some(AttachGrant { claims, quotas }))
}
