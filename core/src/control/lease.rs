//! `/queen/lease/ctl` lines (host-surface §2.4): `LeaseRequest` with ops grant, renew,
//! preempt and quota (there is no `revoke`).
//!
//! Key order `op`, `id`, `subject`, `resource`, `ttl_s`, `priority`, `reason`, `max_active`,
//! `max_preemptions`; unset fields are omitted:
//!
//! ```text
//! {"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":5}
//! {"op":"quota","subject":"queen","resource":"gpu0","max_active":4,"max_preemptions":8}
//! ```
//!
//! Fields the op does not need are not refused (upstream serialises them and lets the target
//! decide); unlike upstream they are still checked against their type rules when set.

use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::token::{check_id_opt, check_positive_opt, parse_keyword, MAX_OP_LEN};
use super::{paths, ControlLine};

/// Lease operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "lowercase")]
pub enum LeaseOp {
    /// Grant a lease (needs `lease_id`, `subject`, `resource`, `ttl_s`).
    Grant,
    /// Renew a lease (needs `lease_id`, `ttl_s`).
    Renew,
    /// Preempt a lease (needs `lease_id`, `reason`).
    Preempt,
    /// Set a quota (needs `subject`, `resource`, `max_active`, `max_preemptions`).
    Quota,
}

impl LeaseOp {
    /// Every op, in upstream's listing order.
    pub const ALL: [LeaseOp; 4] = [
        LeaseOp::Grant,
        LeaseOp::Renew,
        LeaseOp::Preempt,
        LeaseOp::Quota,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            LeaseOp::Grant => "grant",
            LeaseOp::Renew => "renew",
            LeaseOp::Preempt => "preempt",
            LeaseOp::Quota => "quota",
        }
    }

    /// Parses an op as upstream does: trimmed, case-insensitive, token rules (limit 16), then
    /// `"lease op must be one of grant|renew|preempt|quota"`.
    pub fn parse(op: &str) -> Result<Self, ControlError> {
        let names = Self::ALL.map(LeaseOp::as_str);
        parse_keyword("op", op, MAX_OP_LEN, &names)?
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(ControlError::LeaseOp)
    }
}

/// One lease control line. Build it with [`grant`](Self::grant), [`renew`](Self::renew),
/// [`preempt`](Self::preempt) or [`quota`](Self::quota); setters add optional fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeaseRequest<'a> {
    /// The op.
    pub op: LeaseOp,
    /// Lease id (wire key `id`); required for grant, renew and preempt.
    #[serde(rename = "id", skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<&'a str>,
    /// Subject (grant, quota).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    /// Resource (grant, quota).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<&'a str>,
    /// Lifetime in seconds (grant, renew).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<u32>,
    /// Priority (optional for grant and renew).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Preemption reason (preempt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// Quota: most active leases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_active: Option<u32>,
    /// Quota: most preemptions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_preemptions: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    op: &'a str,
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    subject: Option<&'a str>,
    #[serde(borrow)]
    resource: Option<&'a str>,
    ttl_s: Option<u32>,
    priority: Option<u32>,
    #[serde(borrow)]
    reason: Option<&'a str>,
    max_active: Option<u32>,
    max_preemptions: Option<u32>,
}

impl<'a> LeaseRequest<'a> {
    /// Longest encoded line (every field set, 32-byte ids, `u32::MAX` integers).
    pub const MAX_LEN: usize = 285;

    /// A request with `op` and nothing else set.
    pub const fn new(op: LeaseOp) -> Self {
        Self {
            op,
            lease_id: None,
            subject: None,
            resource: None,
            ttl_s: None,
            priority: None,
            reason: None,
            max_active: None,
            max_preemptions: None,
        }
    }

    /// `{"op":"grant","id":..,"subject":..,"resource":..,"ttl_s":..}` (strings trimmed).
    pub fn grant(lease_id: &'a str, subject: &'a str, resource: &'a str, ttl_s: u32) -> Self {
        Self {
            lease_id: Some(lease_id.trim()),
            subject: Some(subject.trim()),
            resource: Some(resource.trim()),
            ttl_s: Some(ttl_s),
            ..Self::new(LeaseOp::Grant)
        }
    }

    /// `{"op":"renew","id":..,"ttl_s":..}`.
    pub fn renew(lease_id: &'a str, ttl_s: u32) -> Self {
        Self {
            lease_id: Some(lease_id.trim()),
            ttl_s: Some(ttl_s),
            ..Self::new(LeaseOp::Renew)
        }
    }

    /// `{"op":"preempt","id":..,"reason":..}`.
    pub fn preempt(lease_id: &'a str, reason: &'a str) -> Self {
        Self {
            lease_id: Some(lease_id.trim()),
            reason: Some(reason.trim()),
            ..Self::new(LeaseOp::Preempt)
        }
    }

    /// `{"op":"quota","subject":..,"resource":..,"max_active":..,"max_preemptions":..}`.
    pub fn quota(
        subject: &'a str,
        resource: &'a str,
        max_active: u32,
        max_preemptions: u32,
    ) -> Self {
        Self {
            subject: Some(subject.trim()),
            resource: Some(resource.trim()),
            max_active: Some(max_active),
            max_preemptions: Some(max_preemptions),
            ..Self::new(LeaseOp::Quota)
        }
    }

    /// Sets the priority.
    #[must_use]
    pub const fn priority(mut self, priority: u32) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Sets the lifetime.
    #[must_use]
    pub const fn ttl_s(mut self, ttl_s: u32) -> Self {
        self.ttl_s = Some(ttl_s);
        self
    }

    /// Sets the reason (trimmed).
    #[must_use]
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason.trim());
        self
    }

    /// Checks §2.4: the op's required fields (in upstream's order and words), then every set
    /// field against its type rule (tokens; integers `> 0`).
    pub fn validate(&self) -> Result<(), ControlError> {
        let op = self.op;
        if matches!(op, LeaseOp::Grant | LeaseOp::Renew | LeaseOp::Preempt)
            && self.lease_id.is_none()
        {
            return Err(ControlError::LeaseIdRequired { op });
        }
        match op {
            LeaseOp::Grant => {
                if self.subject.is_none() || self.resource.is_none() || self.ttl_s.is_none() {
                    return Err(ControlError::GrantRequires);
                }
            }
            LeaseOp::Renew => {
                if self.ttl_s.is_none() {
                    return Err(ControlError::RenewRequiresTtl);
                }
            }
            LeaseOp::Preempt => {
                if self.reason.is_none() {
                    return Err(ControlError::PreemptRequiresReason);
                }
            }
            LeaseOp::Quota => {
                if self.subject.is_none() || self.resource.is_none() {
                    return Err(ControlError::QuotaRequiresSubjectResource);
                }
                if self.max_active.is_none() || self.max_preemptions.is_none() {
                    return Err(ControlError::QuotaRequiresLimits);
                }
            }
        }
        check_id_opt("lease_id", self.lease_id)?;
        check_id_opt("subject", self.subject)?;
        check_id_opt("resource", self.resource)?;
        check_positive_opt("ttl_s", self.ttl_s)?;
        check_positive_opt("priority", self.priority)?;
        check_id_opt("reason", self.reason)?;
        check_positive_opt("max_active", self.max_active)?;
        check_positive_opt("max_preemptions", self.max_preemptions)
    }

    /// Validates, then writes the compact JSON line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(self, out)
    }

    /// Parses and validates one line. The op must be spelled exactly (lower case) on the
    /// wire; other spellings give the op message.
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: Wire<'a> = json::decode(line)?;
        let op = LeaseOp::ALL
            .into_iter()
            .find(|o| o.as_str() == w.op)
            .ok_or(ControlError::LeaseOp)?;
        json::plain_opt("lease_id", w.id)?;
        json::plain_opt("subject", w.subject)?;
        json::plain_opt("resource", w.resource)?;
        json::plain_opt("reason", w.reason)?;
        let req = Self {
            op,
            lease_id: w.id,
            subject: w.subject,
            resource: w.resource,
            ttl_s: w.ttl_s,
            priority: w.priority,
            reason: w.reason,
            max_active: w.max_active,
            max_preemptions: w.max_preemptions,
        };
        req.validate()?;
        Ok(req)
    }
}

impl ControlLine for LeaseRequest<'_> {
    const PATH: &'static str = paths::LEASE_CTL;
    const MAX_LINE_BYTES: usize = paths::LEASE_CTL_MAX_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        LeaseRequest::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        LeaseRequest::encode(self, out)
    }
}
