//! Receipts (`cohesix-receipt-v1`, host-surface §8.5): a JSON record of a GPU lease or a
//! leased run, written even when the operation fails.
//!
//! * Keys sorted, 2-space indent, a trailing newline; written atomically (a `.partial` file
//!   renamed into place). Top-level unset fields are omitted; the `proc_lease` values are
//!   `null` when their node could not be read. Error texts are cut to 256 bytes.
//! * `manifest_sha256` is the client's compiled manifest hash
//!   ([`cohesix_generated::MANIFEST_SHA256`]); `target_manifest_sha256` (added here) is the
//!   target's own where it offers one: the bounds document's `manifest_sha256` (REST), else a
//!   `manifest.sha256=<hex>` field of `/proc/boot`. Compare the two before claiming both
//!   sides share a manifest ([`Receipt::manifest_matches`]).
//! * No receipt holds a token or ticket: only ids, sizes, acknowledgement lines and `/proc`
//!   lines.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The receipt schema tag.
pub const RECEIPT_SCHEMA: &str = "cohesix-receipt-v1";
/// Longest error text in a receipt.
pub const RECEIPT_ERROR_MAX_BYTES: usize = 256;

/// What a GPU lease asks for (the §8.5 `args`): a `{"spawn":"gpu",…}` line on `/queen/ctl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuLeaseRequest {
    /// GPU (`GPU-0`, `MIG-0`).
    pub gpu_id: String,
    /// Memory in MiB.
    pub mem_mb: u32,
    /// Streams.
    pub streams: u32,
    /// Lifetime in seconds.
    pub ttl_s: u32,
    /// Priority (unset: the target's default; the receipt shows 0).
    pub priority: Option<u32>,
    /// Worker budget lifetime.
    pub budget_ttl_s: Option<u32>,
    /// Worker budget operations.
    pub budget_ops: Option<u32>,
    /// Queue this approval for `/queen/ctl` first (targets whose policy gates `/queen/ctl`,
    /// as the 0.9 manifest does).
    pub approval_id: Option<String>,
}

impl GpuLeaseRequest {
    /// A lease of `gpu_id` with `lease_run`'s defaults: 4096 MiB, 1 stream, 120 s.
    #[must_use]
    pub fn new(gpu_id: impl Into<String>) -> Self {
        Self {
            gpu_id: gpu_id.into().trim().to_owned(),
            mem_mb: 4096,
            streams: 1,
            ttl_s: 120,
            priority: None,
            budget_ttl_s: None,
            budget_ops: None,
            approval_id: None,
        }
    }

    /// Sets memory.
    #[must_use]
    pub fn mem_mb(mut self, v: u32) -> Self {
        self.mem_mb = v;
        self
    }

    /// Sets streams.
    #[must_use]
    pub fn streams(mut self, v: u32) -> Self {
        self.streams = v;
        self
    }

    /// Sets the lifetime.
    #[must_use]
    pub fn ttl_s(mut self, v: u32) -> Self {
        self.ttl_s = v;
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn priority(mut self, v: u32) -> Self {
        self.priority = Some(v);
        self
    }

    /// Sets the worker budget.
    #[must_use]
    pub fn budget(mut self, ttl_s: Option<u32>, ops: Option<u32>) -> Self {
        self.budget_ttl_s = ttl_s;
        self.budget_ops = ops;
        self
    }

    /// Queues approval `id` for `/queen/ctl` before the spawn.
    #[must_use]
    pub fn approval(mut self, id: impl Into<String>) -> Self {
        self.approval_id = Some(id.into().trim().to_owned());
        self
    }

    /// The receipt's `request` object.
    #[must_use]
    pub fn record(&self) -> LeaseRequestRecord {
        LeaseRequestRecord {
            gpu_id: self.gpu_id.clone(),
            mem_mb: self.mem_mb,
            streams: self.streams,
            ttl_s: self.ttl_s,
            priority: self.priority.unwrap_or(0),
            budget_ttl_s: self.budget_ttl_s,
            budget_ops: self.budget_ops,
            approval_id: self.approval_id.clone(),
        }
    }
}

/// The `request` object of a `gpu-lease` receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRequestRecord {
    /// GPU.
    pub gpu_id: String,
    /// Memory in MiB.
    pub mem_mb: u32,
    /// Streams.
    pub streams: u32,
    /// Lifetime.
    pub ttl_s: u32,
    /// Priority (0 when unset).
    pub priority: u32,
    /// Budget lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ttl_s: Option<u32>,
    /// Budget operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ops: Option<u32>,
    /// The approval queued first (not in upstream's receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
}

/// One `active_entries` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEntryRecord {
    /// Lease id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Resource.
    pub resource: String,
    /// State.
    pub state: String,
    /// Sequence number.
    pub seq: u64,
}

/// The `proc_lease` object: the `/proc/lease/*` nodes after the operation (`null` where a
/// node could not be read).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcLeaseRecord {
    /// First line of `/proc/lease/summary`.
    pub summary: Option<String>,
    /// Lines of `/proc/lease/active`.
    pub active: Option<Vec<String>>,
    /// Lines of `/proc/lease/preemptions`.
    pub preemptions: Option<Vec<String>>,
    /// `/proc/lease/active` parsed (gpu-lease receipts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_entries: Option<Vec<ActiveEntryRecord>>,
}

/// A `cohesix-receipt-v1` document (both kinds: `gpu-lease` and `run`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// `cohesix-receipt-v1`.
    pub schema: String,
    /// `gpu-lease` or `run`.
    pub kind: String,
    /// The client's compiled manifest hash.
    pub manifest_sha256: String,
    /// The target's manifest hash, where it offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_manifest_sha256: Option<String>,
    /// The lease asked for (`gpu-lease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<LeaseRequestRecord>,
    /// The GPU (`run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_id: Option<String>,
    /// The command (`run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// `ok` or `err`.
    pub status: String,
    /// What failed (at most 256 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The last `OK ECHO`/`ERR ECHO` audit line (`gpu-lease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
    /// Every `OK`/`ERR` audit line of the run (`run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acks: Option<Vec<String>>,
    /// The `/proc/lease/*` nodes afterwards.
    pub proc_lease: ProcLeaseRecord,
}

impl Receipt {
    /// A receipt of `kind` with the compiled manifest hash and nothing else.
    #[must_use]
    pub fn new(kind: &str) -> Self {
        Self {
            schema: RECEIPT_SCHEMA.to_owned(),
            kind: kind.to_owned(),
            manifest_sha256: cohesix_generated::MANIFEST_SHA256.to_owned(),
            target_manifest_sha256: None,
            request: None,
            gpu_id: None,
            command: None,
            status: "ok".to_owned(),
            error: None,
            ack: None,
            acks: None,
            proc_lease: ProcLeaseRecord::default(),
        }
    }

    /// Marks the receipt failed with `e` (cut to [`RECEIPT_ERROR_MAX_BYTES`]).
    pub fn fail(&mut self, e: &Error) {
        self.status = "err".to_owned();
        self.error = Some(cut(e.to_string(), RECEIPT_ERROR_MAX_BYTES));
    }

    /// Whether the target's manifest hash is known and equals the client's.
    #[must_use]
    pub fn manifest_matches(&self) -> Option<bool> {
        self.target_manifest_sha256
            .as_deref()
            .map(|t| t == self.manifest_sha256)
    }

    /// The document: sorted keys, 2-space indent, trailing newline.
    ///
    /// # Errors
    /// [`Error::Payload`] if serialisation fails (it does not for these types).
    pub fn to_json(&self) -> Result<String, Error> {
        let v = serde_json::to_value(self).map_err(|e| Error::Payload(e.to_string()))?;
        let mut s =
            serde_json::to_string_pretty(&sorted(v)).map_err(|e| Error::Payload(e.to_string()))?;
        s.push('\n');
        Ok(s)
    }

    /// Parses a document.
    ///
    /// # Errors
    /// [`Error::Payload`] for malformed JSON or another schema.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let r: Self =
            serde_json::from_str(text).map_err(|e| Error::Payload(format!("receipt: {e}")))?;
        if r.schema != RECEIPT_SCHEMA {
            return Err(Error::Payload(format!(
                "receipt schema must be {RECEIPT_SCHEMA}"
            )));
        }
        Ok(r)
    }

    /// Writes the document atomically to `path` (parent directories created).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_atomic(path, self.to_json()?.as_bytes())
    }

    /// Reads a document from `path`.
    ///
    /// # Errors
    /// [`Error::Io`], or as [`Receipt::from_json`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        Self::from_json(&text)
    }
}

/// Writes `bytes` to `path` through a `.partial` sibling and a rename.
///
/// # Errors
/// [`Error::Io`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("create {}", parent.display()), e))?;
    }
    let mut tmp: PathBuf = path.to_owned();
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    tmp.set_file_name(name);
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(format!("write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("rename {}", path.display()), e))
}

/// `v` with every object's keys sorted: [`crate::json::sorted`].
pub use crate::json::sorted;

/// `s` cut to at most `max` bytes on a character boundary.
#[must_use]
pub fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A 64-digit lower-case hex SHA-256.
#[must_use]
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The first `manifest.sha256=<hex>` value in `text` (the `/proc/boot` convention).
#[must_use]
pub fn manifest_hash_in(text: &str) -> Option<String> {
    text.split_ascii_whitespace()
        .filter_map(|w| w.strip_prefix("manifest.sha256="))
        .map(|h| h.to_ascii_lowercase())
        .find(|h| is_sha256_hex(h))
}
