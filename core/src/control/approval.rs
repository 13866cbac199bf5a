//! `/actions/queue` lines (host-surface §2.4): `ApprovalRequest`.
//!
//! ```text
//! {"id":"approve-1","target":"/queen/ctl","decision":"approve"}
//! ```
//!
//! Approvals are single-use on the target; the `target` path is checked with the core path
//! rules (§1.3 messages).

use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::token::{check_id, check_path, parse_keyword, MAX_DECISION_LEN};
use super::{paths, ControlLine};

/// Approval decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Allow one gated write (upstream's default).
    #[default]
    Approve,
    /// Refuse it.
    Deny,
}

impl Decision {
    /// Both decisions.
    pub const ALL: [Decision; 2] = [Decision::Approve, Decision::Deny];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        }
    }

    /// Parses a decision (trimmed, case-insensitive, token rules with limit 16), else
    /// `"decision must be approve or deny"`.
    pub fn parse(decision: &str) -> Result<Self, ControlError> {
        let names = Self::ALL.map(Decision::as_str);
        parse_keyword("decision", decision, MAX_DECISION_LEN, &names)?
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(ControlError::Decision)
    }
}

/// One approval line. Key order `id`, `target`, `decision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ApprovalRequest<'a> {
    /// Approval id (upstream `approval_id`; wire key `id`).
    #[serde(rename = "id")]
    pub approval_id: &'a str,
    /// The gated path (upstream `target_path`; wire key `target`).
    #[serde(rename = "target")]
    pub target_path: &'a str,
    /// The decision.
    pub decision: Decision,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    id: &'a str,
    target: &'a str,
    decision: &'a str,
}

impl<'a> ApprovalRequest<'a> {
    /// Longest encoded line (32-byte id, 96-byte path, `approve`).
    pub const MAX_LEN: usize = 170;

    /// An approval with `decision` (strings trimmed).
    pub fn new(approval_id: &'a str, target_path: &'a str, decision: Decision) -> Self {
        Self {
            approval_id: approval_id.trim(),
            target_path: target_path.trim(),
            decision,
        }
    }

    /// `decision: approve`.
    pub fn approve(approval_id: &'a str, target_path: &'a str) -> Self {
        Self::new(approval_id, target_path, Decision::Approve)
    }

    /// `decision: deny`.
    pub fn deny(approval_id: &'a str, target_path: &'a str) -> Self {
        Self::new(approval_id, target_path, Decision::Deny)
    }

    /// Checks `approval_id` (token) and `target_path` (core path rules, §1.3 messages).
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("approval_id", self.approval_id)?;
        check_path("target_path", self.target_path)
    }

    /// Validates, then writes the compact JSON line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(self, out)
    }

    /// Parses and validates one line (decision spelled exactly on the wire).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: Wire<'a> = json::decode(line)?;
        json::plain("approval_id", w.id)?;
        json::plain("target_path", w.target)?;
        let decision = Decision::ALL
            .into_iter()
            .find(|d| d.as_str() == w.decision)
            .ok_or(ControlError::Decision)?;
        let req = Self {
            approval_id: w.id,
            target_path: w.target,
            decision,
        };
        req.validate()?;
        Ok(req)
    }
}

impl ControlLine for ApprovalRequest<'_> {
    const PATH: &'static str = paths::ACTIONS_QUEUE;
    const MAX_LINE_BYTES: usize = paths::ACTIONS_QUEUE_MAX_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        ApprovalRequest::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        ApprovalRequest::encode(self, out)
    }
}
