//! [`pack`]: capture a bounded, redacted evidence pack from a target (host-surface §8.1).
//!
//! ```text
//!  meta.json  bounds.json                                   (written first)
//!  proc/boot                      CAT  64 KiB
//!  proc/schedule/{summary,queue}  CAT  bounds.observability.proc_schedule.*_bytes (disabled: missing, not read)
//!  proc/lease/{summary,active,preemptions}  CAT  bounds.observability.proc_lease.*_bytes
//!  <bounds.paths.log>             TAIL 128 KiB                 (log/queen.log)
//!  audit/export                   CAT  1 KiB
//!  audit/{journal,decisions}      CAT  next − base of the export (16 KiB when absent or ≤ 0), redacted JSONL
//!  host/tickets/{spec,status,deadletter}  CAT 128 KiB, redacted JSONL (fallback: the `.snapshot` view)
//!  replay/status                  CAT  1 KiB
//!  telemetry/<device>/seg/<seg>   with telemetry (coh.telemetry bounds)
//!  summary.json                   (written last, only when every capture was attempted)
//! ```
//!
//! What becomes of a read:
//! * **captured**: saved (atomically), text captures with raw ticket tokens hashed, JSONL
//!   captures redacted ([`super::redact`]); `bytes` is what was saved.
//! * **missing**: the node is absent — [`Error::is_missing`] (the real queen's
//!   `invalid-path`, a directory's not-found, the gateway's `404`/`disabled`) — or the
//!   bounds disable it. Any file an earlier pack left under that name is removed.
//! * **error**: refused otherwise, over its bound, or JSONL that does not parse (nothing
//!   written: unsanitised data never reaches the pack). The pack goes on.
//! * **abort**: the target is unreachable or dropped ([`ErrorKind::Transport`], a lost
//!   acknowledgement, rejected credentials): [`EvidenceError::Target`], and no
//!   `summary.json` (one left by an earlier pack in the directory is removed first), so
//!   nothing claims the pack is complete.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::files::{self, saved_as};
use super::redact::{redact_jsonl, redact_ticket_tokens};
use super::summary::{detail, Item, Meta, Summary, Verb};
use super::EvidenceError;
use crate::backend::Backend;
use crate::error::{Error, ErrorKind};
use crate::json::{self, Style};
use crate::orchestrator::{Audit, AuditStatus};

/// `/proc/boot` read bound.
pub const BOOT_MAX_BYTES: usize = 64 * 1024;
/// Log tail bound.
pub const LOG_MAX_BYTES: usize = 128 * 1024;
/// `/audit/export` read bound.
pub const AUDIT_EXPORT_MAX_BYTES: usize = 1024;
/// Journal/decisions bound when the export gives no usable window.
pub const AUDIT_FALLBACK_MAX_BYTES: usize = 16 * 1024;
/// Largest journal/decisions window read, whatever the export says.
pub const AUDIT_WINDOW_MAX_BYTES: usize = 1024 * 1024;
/// `/host/tickets/*` read bound.
pub const HOST_TICKETS_MAX_BYTES: usize = 128 * 1024;
/// `/replay/status` read bound.
pub const REPLAY_STATUS_MAX_BYTES: usize = 1024;
/// Largest `/proc` bound taken from a bounds document.
pub const PROC_MAX_BYTES: usize = 64 * 1024;

/// The host-ticket logs, in capture order.
pub const HOST_TICKET_LOGS: [&str; 3] = [
    cohesix_generated::paths::HOST_TICKETS_SPEC,
    cohesix_generated::paths::HOST_TICKETS_STATUS,
    cohesix_generated::paths::HOST_TICKETS_DEADLETTER,
];

/// What to pack, and where.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PackOptions {
    /// The pack directory (created if needed).
    pub out: PathBuf,
    /// Pull telemetry segments too.
    pub with_telemetry: bool,
}

impl PackOptions {
    /// A pack into `out`, without telemetry.
    #[must_use]
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            with_telemetry: false,
        }
    }

    /// With or without telemetry.
    #[must_use]
    pub fn with_telemetry(mut self, on: bool) -> Self {
        self.with_telemetry = on;
        self
    }
}

/// Where `bounds.json` came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BoundsSource {
    /// The backend's own bounds document (the gateway's `/v1/meta/bounds`).
    Target,
    /// This build's compiled bounds (`cohesix_generated::meta_bounds`).
    Local,
}

/// A finished pack.
#[derive(Clone, Debug)]
pub struct PackReport {
    /// The pack directory.
    pub dir: PathBuf,
    /// `meta.json`.
    pub meta: Meta,
    /// `summary.json`.
    pub summary: Summary,
    /// Where `bounds.json` came from.
    pub bounds_source: BoundsSource,
    /// What the telemetry pull saved (with telemetry, when its listing succeeded or not).
    pub telemetry: Option<super::telemetry::PullCounts>,
}

/// The limits a pack takes from its bounds document.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Limits {
    /// `(path, enabled, bound)` of the five `/proc` nodes, in capture order.
    proc: Vec<(&'static str, bool, usize)>,
    log: String,
}

fn limits(bounds: &Value, local: &Value) -> Limits {
    let pick = |ptr: &str| bounds.pointer(ptr).or_else(|| local.pointer(ptr)).cloned();
    let node = |path: &'static str, group: &str, key: &str| {
        let enabled = pick(&format!("/observability/{group}/{key}"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let bound = pick(&format!("/observability/{group}/{key}_bytes"))
            .and_then(|v| v.as_u64())
            .and_then(|b| usize::try_from(b).ok())
            .unwrap_or(0)
            .min(PROC_MAX_BYTES);
        (path, enabled, bound)
    };
    Limits {
        proc: vec![
            node("/proc/schedule/summary", "proc_schedule", "summary"),
            node("/proc/schedule/queue", "proc_schedule", "queue"),
            node("/proc/lease/summary", "proc_lease", "summary"),
            node("/proc/lease/active", "proc_lease", "active"),
            node("/proc/lease/preemptions", "proc_lease", "preemptions"),
        ],
        log: pick("/paths/log")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| cohesix_generated::paths::LOG.to_owned()),
    }
}

/// This build's bounds document (the gateway's `/v1/meta/bounds` body for this manifest).
#[must_use]
pub fn local_bounds() -> Value {
    serde_json::from_str(cohesix_generated::meta_bounds::JSON).unwrap_or(Value::Null)
}

/// Whether `e` means the node is absent (see the [module docs](self)).
#[must_use]
pub fn is_missing(e: &Error) -> bool {
    if e.is_missing() {
        return true;
    }
    match e {
        Error::Rest(_) | Error::Refused { .. } | Error::Payload(_) => {
            let m = e.to_string().to_ascii_lowercase();
            [
                "not found",
                "does not exist",
                "disabled",
                "404",
                "invalid-path",
            ]
            .iter()
            .any(|s| m.contains(s))
        }
        _ => false,
    }
}

/// Whether `e` ends the pack: the target cannot be reached (transport, lost
/// acknowledgement) or rejected the credentials.
#[must_use]
pub fn aborts(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Transport | ErrorKind::Unknown | ErrorKind::Config
    )
}

/// How a capture is sanitised before it is saved.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Content {
    /// Text: raw ticket tokens hashed, every other byte kept.
    Text,
    /// JSONL: every line parsed and redacted, or nothing saved.
    Jsonl,
}

pub(super) struct Packer<'a, B: ?Sized> {
    pub(super) backend: &'a B,
    pub(super) out: &'a Path,
    pub(super) audit: &'a Audit,
    pub(super) items: Vec<Item>,
}

impl<B: Backend + ?Sized> Packer<'_, B> {
    pub(super) fn captured_so_far(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.status == super::Status::Captured)
            .count()
    }

    pub(super) fn target_error(&self, path: &str, source: Error) -> EvidenceError {
        EvidenceError::Target {
            path: path.to_owned(),
            captured: self.captured_so_far(),
            source,
        }
    }

    pub(super) fn note_missing(&mut self, path: &str, saved: &str) -> Result<(), EvidenceError> {
        files::remove_stale(self.out, saved)?;
        self.items.push(Item::missing(path, saved));
        Ok(())
    }

    pub(super) fn note_error(
        &mut self,
        path: &str,
        saved: &str,
        verb: Verb,
        why: &str,
    ) -> Result<(), EvidenceError> {
        files::remove_stale(self.out, saved)?;
        self.audit.push_ack(
            AuditStatus::Err,
            verb.as_str(),
            Some(&format!("path={path}")),
        );
        self.items.push(Item::error(path, saved, verb, why));
        Ok(())
    }

    /// Reads `path` and files it under `saved`; returns the saved bytes when captured.
    pub(super) async fn capture_as(
        &mut self,
        path: &str,
        saved: &str,
        verb: Verb,
        max: usize,
        content: Content,
    ) -> Result<Option<Vec<u8>>, EvidenceError> {
        let read = match verb {
            Verb::Tail => self.backend.tail(path, max).await,
            _ => self.backend.read(path, max).await,
        };
        let raw = match read {
            Ok(raw) => raw,
            Err(e) if is_missing(&e) => {
                self.note_missing(path, saved)?;
                return Ok(None);
            }
            Err(e) if aborts(&e) => {
                self.audit.push_ack(
                    AuditStatus::Err,
                    verb.as_str(),
                    Some(&format!("path={path}")),
                );
                return Err(self.target_error(path, e));
            }
            Err(e) => {
                self.note_error(path, saved, verb, &e.to_string())?;
                return Ok(None);
            }
        };
        let clean = match content {
            Content::Text => redact_ticket_tokens(&raw),
            Content::Jsonl => match redact_jsonl(&raw) {
                Ok(c) => c,
                Err(why) => {
                    self.note_error(path, saved, verb, &format!("{saved} {why}"))?;
                    return Ok(None);
                }
            },
        };
        files::write(self.out, saved, &clean)?;
        self.audit.push_ack(
            AuditStatus::Ok,
            verb.as_str(),
            Some(&format!("path={path}")),
        );
        self.items
            .push(Item::captured(path, saved, verb, clean.len()));
        Ok(Some(clean))
    }

    async fn capture(
        &mut self,
        path: &str,
        verb: Verb,
        max: usize,
        content: Content,
    ) -> Result<Option<Vec<u8>>, EvidenceError> {
        self.capture_as(path, saved_as(path), verb, max, content)
            .await
    }

    async fn audit_logs(&mut self) -> Result<(), EvidenceError> {
        let Some(export) = self
            .capture(
                "/audit/export",
                Verb::Cat,
                AUDIT_EXPORT_MAX_BYTES,
                Content::Text,
            )
            .await?
        else {
            return Ok(());
        };
        let (journal, decisions) = audit_windows(&export);
        self.capture("/audit/journal", Verb::Cat, journal, Content::Jsonl)
            .await?;
        self.capture("/audit/decisions", Verb::Cat, decisions, Content::Jsonl)
            .await?;
        Ok(())
    }

    /// Each host-ticket log; where the append-only node itself cannot be read, its
    /// read-only `.snapshot` view (host-surface §4.3), filed under the node's name.
    async fn host_tickets(&mut self) -> Result<(), EvidenceError> {
        for path in HOST_TICKET_LOGS {
            let mark = self.items.len();
            let got = self
                .capture(path, Verb::Cat, HOST_TICKETS_MAX_BYTES, Content::Jsonl)
                .await?;
            let missing = got.is_none()
                && self
                    .items
                    .get(mark)
                    .is_some_and(|i| i.status == super::Status::Missing);
            if missing {
                self.items.truncate(mark);
                let snapshot = format!("{path}.snapshot");
                self.capture_as(
                    &snapshot,
                    saved_as(path),
                    Verb::Cat,
                    HOST_TICKETS_MAX_BYTES,
                    Content::Jsonl,
                )
                .await?;
                if let Some(last) = self.items.last_mut() {
                    if last.status == super::Status::Missing {
                        last.path = path.to_owned();
                    }
                }
            }
        }
        Ok(())
    }
}

/// Every file a pack may write at a fixed name (not the telemetry segments).
const FIXED_FILES: [&str; 17] = [
    "meta.json",
    "bounds.json",
    "proc/boot",
    "proc/schedule/summary",
    "proc/schedule/queue",
    "proc/lease/summary",
    "proc/lease/active",
    "proc/lease/preemptions",
    "log/queen.log",
    "audit/export",
    "audit/journal",
    "audit/decisions",
    "host/tickets/spec",
    "host/tickets/status",
    "host/tickets/deadletter",
    "replay/status",
    super::timeline::TIMELINE_NDJSON,
];

/// Removes what an earlier pack left in `out`: the files its `summary.json` lists, the
/// fixed capture names, the derived timeline, and `summary.json` itself — nothing in the
/// directory may claim completeness, or outlive this pack's items, until this pack is done.
fn clear_previous(out: &Path) -> Result<(), EvidenceError> {
    if let Ok(Some(text)) = files::read_text(out, "summary.json") {
        if let Ok(old) = Summary::parse(&text) {
            for item in old
                .items
                .iter()
                .filter(|i| i.status == super::Status::Captured)
            {
                files::remove_stale(out, &item.saved_as)?;
            }
        }
    }
    for rel in FIXED_FILES
        .iter()
        .chain(&[super::timeline::TIMELINE_MD, "summary.json"])
    {
        files::remove_stale(out, rel)?;
    }
    Ok(())
}

/// The journal and decisions read bounds from an `/audit/export` document: `next − base`
/// each, [`AUDIT_FALLBACK_MAX_BYTES`] when the document does not parse or a window is ≤ 0,
/// at most [`AUDIT_WINDOW_MAX_BYTES`].
#[must_use]
pub fn audit_windows(export: &[u8]) -> (usize, usize) {
    let v: Option<Value> = std::str::from_utf8(export)
        .ok()
        .and_then(|t| serde_json::from_str(t.trim()).ok());
    let window = |base: &str, next: &str| {
        let v = v.as_ref()?;
        let (b, n) = (v.get(base)?.as_u64()?, v.get(next)?.as_u64()?);
        let w = usize::try_from(n.checked_sub(b)?).ok()?;
        (w > 0).then_some(w.min(AUDIT_WINDOW_MAX_BYTES))
    };
    (
        window("journal_base", "journal_next").unwrap_or(AUDIT_FALLBACK_MAX_BYTES),
        window("decisions_base", "decisions_next").unwrap_or(AUDIT_FALLBACK_MAX_BYTES),
    )
}

/// Captures a pack from `backend` into `options.out` (see the [module docs](self)); the
/// audit lines (`OK CAT path=…` per capture, then `evidence pack saved=<dir> captured=<n>
/// missing=<n> errors=<n>`) go to `audit`.
///
/// Cancel-safe in the sense that every file written is whole; a dropped pack has no
/// `summary.json`.
///
/// # Errors
/// [`EvidenceError::Target`] when the target is unreachable (no `summary.json`),
/// [`EvidenceError::Io`] when the pack cannot be written.
pub async fn pack<B: Backend + ?Sized>(
    backend: &B,
    options: &PackOptions,
    audit: &Audit,
) -> Result<PackReport, EvidenceError> {
    let out = options.out.as_path();
    std::fs::create_dir_all(out)
        .map_err(|e| EvidenceError::io(format!("create {}", out.display()), e))?;
    clear_previous(out)?;

    let local = local_bounds();
    let (bounds, bounds_source) = match backend.bounds().await {
        Ok(Some(b)) if b.is_object() => (b, BoundsSource::Target),
        Ok(_) => (local.clone(), BoundsSource::Local),
        Err(e) if aborts(&e) => {
            return Err(EvidenceError::Target {
                path: "bounds".into(),
                captured: 0,
                source: e,
            })
        }
        Err(_) => (local.clone(), BoundsSource::Local),
    };
    let meta = Meta::this_build(options.with_telemetry);
    files::write(out, "meta.json", meta.to_json().as_bytes())?;
    let bounds_text = format!("{}\n", json::to_string(&bounds, Style::Report));
    files::write(out, "bounds.json", bounds_text.as_bytes())?;
    let limits = limits(&bounds, &local);

    let mut p = Packer {
        backend,
        out,
        audit,
        items: Vec::new(),
    };
    p.capture("/proc/boot", Verb::Cat, BOOT_MAX_BYTES, Content::Text)
        .await?;
    for (path, enabled, bound) in &limits.proc {
        if *enabled {
            p.capture(path, Verb::Cat, *bound, Content::Text).await?;
        } else {
            p.note_missing(path, saved_as(path))?;
        }
    }
    p.capture(&limits.log, Verb::Tail, LOG_MAX_BYTES, Content::Text)
        .await?;
    p.audit_logs().await?;
    p.host_tickets().await?;
    p.capture(
        "/replay/status",
        Verb::Cat,
        REPLAY_STATUS_MAX_BYTES,
        Content::Text,
    )
    .await?;
    let telemetry = if options.with_telemetry {
        Some(super::telemetry::pull(&mut p).await?)
    } else {
        None
    };

    let summary = Summary::new(p.items);
    files::write(out, "summary.json", summary.to_json().as_bytes())?;
    audit.push_line(format!(
        "evidence pack saved={} captured={} missing={} errors={}",
        out.display(),
        summary.captured(),
        summary.missing(),
        summary.errors()
    ));
    Ok(PackReport {
        dir: out.to_path_buf(),
        meta,
        summary,
        bounds_source,
        telemetry,
    })
}

/// The `detail` an error item would carry for `e` (cut on a character boundary).
#[must_use]
pub fn error_detail(e: &Error) -> String {
    detail(&e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: T) {}

    /// The public future is `Send` (created, never polled: no runtime needed).
    #[test]
    fn the_pack_future_is_send() {
        let dir = std::env::temp_dir();
        let b =
            crate::backend::AnyBackend::from(crate::backend::FilesystemBackend::new(&dir).unwrap());
        let audit = Audit::new();
        let options = PackOptions::new(dir.join("never"));
        send(pack(&b, &options, &audit));
    }

    #[test]
    fn windows_from_the_export() {
        let e = br#"{"journal_base":100,"journal_next":612,"decisions_base":0,"decisions_next":0,"replay_enabled":true,"replay_max_entries":64}"#;
        assert_eq!(audit_windows(e), (512, AUDIT_FALLBACK_MAX_BYTES));
        assert_eq!(
            audit_windows(b"nope"),
            (AUDIT_FALLBACK_MAX_BYTES, AUDIT_FALLBACK_MAX_BYTES)
        );
        let huge = br#"{"journal_base":0,"journal_next":99999999999,"decisions_base":5,"decisions_next":4}"#;
        assert_eq!(
            audit_windows(huge),
            (AUDIT_WINDOW_MAX_BYTES, AUDIT_FALLBACK_MAX_BYTES)
        );
    }

    #[test]
    fn limits_come_from_the_bounds_with_local_fallbacks() {
        let local = local_bounds();
        let l = limits(&local, &local);
        assert_eq!(l.log, "/log/queen.log");
        assert_eq!(l.proc[1], ("/proc/schedule/queue", true, 256));
        let custom = serde_json::json!({
            "paths": {"log": "/log/other.log"},
            "observability": {"proc_lease": {"active": false, "active_bytes": 9_000_000}}
        });
        let l = limits(&custom, &local);
        assert_eq!(l.log, "/log/other.log");
        assert_eq!(l.proc[3], ("/proc/lease/active", false, PROC_MAX_BYTES));
        assert_eq!(l.proc[0], ("/proc/schedule/summary", true, 128));
    }

    #[test]
    fn missing_and_abort_rules() {
        assert!(is_missing(&Error::Rest(
            "REST GET x failed with status 404".into()
        )));
        assert!(is_missing(&Error::Payload(
            "proc lease active is disabled".into()
        )));
        assert!(!is_missing(&Error::Payload("payload exceeds".into())));
        assert!(aborts(&Error::Rest(
            "REST connection failed: refused".into()
        )));
        assert!(!aborts(&Error::TooLarge {
            op: "read",
            path: "/proc/boot".into(),
            max: 1
        }));
        assert!(aborts(&Error::OutcomeUnknown { line: "x".into() }));
    }
}
