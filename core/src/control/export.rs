//! `/queen/export/ctl` lines (host-surface §2.4): `ExportRequest` (open, close).
//!
//! ```text
//! {"op":"open","id":"exp-1","ttl_s":60}
//! {"op":"close","id":"exp-1","reason":"done"}
//! ```

use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::token::{check_id, check_id_opt, check_positive_opt, parse_keyword, MAX_OP_LEN};
use super::{paths, ControlLine};

/// Export operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "lowercase")]
pub enum ExportOp {
    /// Open an export window (needs `ttl_s`).
    Open,
    /// Close it (needs `reason`).
    Close,
}

impl ExportOp {
    /// Both ops.
    pub const ALL: [ExportOp; 2] = [ExportOp::Open, ExportOp::Close];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExportOp::Open => "open",
            ExportOp::Close => "close",
        }
    }

    /// Parses an op (trimmed, case-insensitive, token rules with limit 16), else
    /// `"export op must be one of open|close"`.
    pub fn parse(op: &str) -> Result<Self, ControlError> {
        let names = Self::ALL.map(ExportOp::as_str);
        parse_keyword("op", op, MAX_OP_LEN, &names)?
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(ControlError::ExportOp)
    }
}

/// One export control line. Key order `op`, `id`, `ttl_s`, `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExportRequest<'a> {
    /// The op.
    pub op: ExportOp,
    /// Export id (upstream `export_id`; wire key `id`).
    #[serde(rename = "id")]
    pub export_id: &'a str,
    /// Window lifetime in seconds (open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<u32>,
    /// Close reason (close).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    op: &'a str,
    id: &'a str,
    ttl_s: Option<u32>,
    #[serde(borrow)]
    reason: Option<&'a str>,
}

impl<'a> ExportRequest<'a> {
    /// Longest encoded line (both optional fields, 32-byte ids, `u32::MAX`).
    pub const MAX_LEN: usize = 117;

    /// `{"op":"open","id":..,"ttl_s":..}` (id trimmed).
    pub fn open(export_id: &'a str, ttl_s: u32) -> Self {
        Self {
            op: ExportOp::Open,
            export_id: export_id.trim(),
            ttl_s: Some(ttl_s),
            reason: None,
        }
    }

    /// `{"op":"close","id":..,"reason":..}` (strings trimmed).
    pub fn close(export_id: &'a str, reason: &'a str) -> Self {
        Self {
            op: ExportOp::Close,
            export_id: export_id.trim(),
            ttl_s: None,
            reason: Some(reason.trim()),
        }
    }

    /// Checks §2.4: `export_id` token; open needs `ttl_s`, close needs `reason`; set fields
    /// follow their type rules.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("export_id", self.export_id)?;
        match self.op {
            ExportOp::Open if self.ttl_s.is_none() => return Err(ControlError::OpenRequiresTtl),
            ExportOp::Close if self.reason.is_none() => {
                return Err(ControlError::CloseRequiresReason)
            }
            _ => {}
        }
        check_positive_opt("ttl_s", self.ttl_s)?;
        check_id_opt("reason", self.reason)
    }

    /// Validates, then writes the compact JSON line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(self, out)
    }

    /// Parses and validates one line (op spelled exactly on the wire).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: Wire<'a> = json::decode(line)?;
        let op = ExportOp::ALL
            .into_iter()
            .find(|o| o.as_str() == w.op)
            .ok_or(ControlError::ExportOp)?;
        json::plain("export_id", w.id)?;
        json::plain_opt("reason", w.reason)?;
        let req = Self {
            op,
            export_id: w.id,
            ttl_s: w.ttl_s,
            reason: w.reason,
        };
        req.validate()?;
        Ok(req)
    }
}

impl ControlLine for ExportRequest<'_> {
    const PATH: &'static str = paths::EXPORT_CTL;
    const MAX_LINE_BYTES: usize = paths::EXPORT_CTL_MAX_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        ExportRequest::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        ExportRequest::encode(self, out)
    }
}
