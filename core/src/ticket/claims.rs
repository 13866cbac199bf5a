//! Ticket claims (spec §4.2) and the minting defaults of spec §4.3.
//!
//! Claims borrow their strings from the buffer they were decoded from, so decoding never
//! copies or allocates.

use heapless::Vec;

use super::error::TicketError;
use crate::role::Role;

/// Most scopes the claims codec carries (spec §4.2, `ScopeTooMany` beyond).
pub const MAX_SCOPES: usize = 16;

/// Longest string field (subject, mount, scope path) in bytes (`MountTooLarge` beyond).
pub const MAX_FIELD_LEN: usize = 255;

/// Usage budget carried by the claims; `None` means the field is absent on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Budget {
    /// Tick budget (flag `0x01`).
    pub ticks: Option<u64>,
    /// Operation budget (flag `0x02`).
    pub ops: Option<u64>,
    /// Time to live in seconds from `issued_at_ms` (flag `0x04`).
    pub ttl_s: Option<u64>,
}

impl Budget {
    /// No budget at all (the queen default).
    pub const NONE: Budget = Budget {
        ticks: None,
        ops: None,
        ttl_s: None,
    };

    /// Default budget a minting host gives each role (spec §4.3): none for the queen; ticks
    /// 1000, ops 10000, ttl 300 s for heartbeat, bus and lora; ops 64, ttl 120 s for gpu.
    pub const fn default_for(role: Role) -> Budget {
        match role {
            Role::Queen => Budget::NONE,
            Role::WorkerGpu => Budget {
                ticks: None,
                ops: Some(64),
                ttl_s: Some(120),
            },
            Role::WorkerHeartbeat | Role::WorkerBus | Role::WorkerLora => Budget {
                ticks: Some(1000),
                ops: Some(10_000),
                ttl_s: Some(300),
            },
        }
    }
}

/// Mount fields of the claims; both may be empty (minted tickets have empty mounts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mounts<'a> {
    /// Service name.
    pub service: &'a str,
    /// Mount point.
    pub at: &'a str,
}

/// Access a scope grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ScopeVerb {
    /// Read access (TAIL, CAT, LS, LOG).
    Read,
    /// Write access (ECHO; SPAWN and KILL on `/queen/ctl`).
    Write,
    /// Both.
    ReadWrite,
}

impl ScopeVerb {
    /// Wire byte.
    pub const fn code(self) -> u8 {
        match self {
            ScopeVerb::Read => 0,
            ScopeVerb::Write => 1,
            ScopeVerb::ReadWrite => 2,
        }
    }

    /// Verb from its wire byte.
    pub const fn from_code(code: u8) -> Result<ScopeVerb, TicketError> {
        match code {
            0 => Ok(ScopeVerb::Read),
            1 => Ok(ScopeVerb::Write),
            2 => Ok(ScopeVerb::ReadWrite),
            other => Err(TicketError::InvalidScopeVerb(other)),
        }
    }

    /// Whether this verb grants read access.
    pub const fn allows_read(self) -> bool {
        matches!(self, ScopeVerb::Read | ScopeVerb::ReadWrite)
    }

    /// Whether this verb grants write access.
    pub const fn allows_write(self) -> bool {
        matches!(self, ScopeVerb::Write | ScopeVerb::ReadWrite)
    }
}

/// One path scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Scope<'a> {
    /// Path prefix the scope covers.
    pub path: &'a str,
    /// Access granted.
    pub verb: ScopeVerb,
    /// Requests per second allowed under this scope.
    pub rate_per_s: u32,
}

/// Session quotas; `0` means "not set" (the server then applies the manifest maximum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Quotas {
    /// Session bandwidth budget in bytes.
    pub bandwidth_bytes: u64,
    /// Cursor resumes on `/telemetry` paths.
    pub cursor_resumes: u32,
    /// Cursor advances on `/telemetry` paths.
    pub cursor_advances: u32,
}

impl Quotas {
    /// Whether any quota is set (the encoder writes quotas only then).
    pub const fn is_set(&self) -> bool {
        self.bandwidth_bytes != 0 || self.cursor_resumes != 0 || self.cursor_advances != 0
    }
}

/// Decoded or to-be-minted ticket claims (version 1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Claims<'a> {
    /// Role the ticket was minted for.
    pub role: Role,
    /// Optional usage budget.
    pub budget: Budget,
    /// Subject (worker identity); workers must have one on the client side.
    pub subject: Option<&'a str>,
    /// Issue time; minting hosts use Unix epoch milliseconds.
    pub issued_at_ms: u64,
    /// Mount fields.
    pub mounts: Mounts<'a>,
    /// Path scopes (at most [`MAX_SCOPES`]).
    pub scopes: Vec<Scope<'a>, MAX_SCOPES>,
    /// Session quotas.
    pub quotas: Quotas,
}

impl<'a> Claims<'a> {
    /// Bare claims: no budget, subject, mounts, scopes or quotas.
    pub const fn new(role: Role, issued_at_ms: u64) -> Claims<'a> {
        Claims {
            role,
            budget: Budget::NONE,
            subject: None,
            issued_at_ms,
            mounts: Mounts {
                service: "",
                at: "",
            },
            scopes: Vec::new(),
            quotas: Quotas {
                bandwidth_bytes: 0,
                cursor_resumes: 0,
                cursor_advances: 0,
            },
        }
    }

    /// Claims as a minting host builds them (spec §4.3): the role's default budget, empty
    /// mounts, the given subject. Worker roles need a non-empty subject, else
    /// [`TicketError::MissingSubject`]; the queen may have one. An empty subject counts as
    /// none.
    pub fn for_role(
        role: Role,
        subject: Option<&'a str>,
        issued_at_ms: u64,
    ) -> Result<Claims<'a>, TicketError> {
        let subject = subject.filter(|s| !s.is_empty());
        if role.is_worker() && subject.is_none() {
            return Err(TicketError::MissingSubject);
        }
        let mut claims = Claims::new(role, issued_at_ms);
        claims.budget = Budget::default_for(role);
        claims.subject = subject;
        Ok(claims)
    }

    /// When the ticket expires (`issued_at_ms + ttl_s * 1000`, saturating), if it has a TTL.
    pub fn expires_at_ms(&self) -> Option<u64> {
        self.budget
            .ttl_s
            .map(|ttl| self.issued_at_ms.saturating_add(ttl.saturating_mul(1000)))
    }

    /// Whether the server would answer `detail=expired` at `now_ms` (spec §2.3 step 7:
    /// `now_ms ≥ issued_at_ms + ttl_s*1000`). Tickets without a TTL never expire.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_at_ms().is_some_and(|at| now_ms >= at)
    }
}
