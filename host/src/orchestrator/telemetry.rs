//! Telemetry push (host-surface §7.3): one new segment per push, filled with inline records
//! (`cohsh-telemetry-push/v1`) or, for large or binary sources, reference records
//! (`coh-ref-c/v1`). The records come from the core's [`InlineRecord`] (`fit` chunks the
//! text so each record plus its newline fits the 128-byte record bound, never splitting a
//! character) and [`ReferenceRecord`].
//!
//! Order of work (all checks before the first write, unlike upstream, which opened the
//! segment first):
//!
//! 1. ingest limits (`"telemetry ingest is disabled in policy"` when any is zero), device id
//!    (an identifier token), mime type;
//! 2. the records: inline when the source is UTF-8 text of at most `max_bytes_per_segment`
//!    bytes and its records fit that bound, else reference records per 16 MiB chunk
//!    (`"telemetry payload exceeds max_bytes_per_segment 131072"` when even those do not);
//! 3. the device's existing segments (a listing error counts as none): with the manifest's
//!    `evict-oldest` policy the target drops the oldest segments beyond
//!    `max_segments_per_device`, so they are not counted (upstream refused the fifth push of
//!    a device: `"telemetry segments <n> exceeds max_segments_per_device 4"`, kept here for
//!    other policies); the kept bytes plus the new ones must fit
//!    (`"telemetry bytes <n> exceeds max_total_bytes_per_device 524288"`);
//! 4. `{"new":"segment","mime":..}` to `/queen/telemetry/<dev>/ctl`, the new segment id from
//!    `latest` (`"telemetry push could not resolve latest segment id"`), then the records
//!    to `/queen/telemetry/<dev>/seg/<seg>`, one append each with batch accounting.

use cohesix_core::control::token::check_id;
use cohesix_core::control::{InlineRecord, NewSegment, ReferenceRecord, Sha256Digest};
use cohesix_generated::telemetry_ingest as ingest;
use sha2::{Digest, Sha256};

use super::audit::Audit;
use super::batch::{write_lines, LineOutcome, PreparedLine};
use super::lines::check_control_line;
use crate::backend::{lines_of, Backend};
use crate::error::Error;

/// Telemetry root (`coh.telemetry.root`).
pub const TELEMETRY_ROOT: &str = cohesix_generated::coh::telemetry::ROOT;
/// Bound of the `latest` read.
const LATEST_MAX_BYTES: usize = 64 * 1024;

/// Which record kind a push used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TelemetryMode {
    /// `cohsh-telemetry-push/v1` records carrying the text.
    Inline,
    /// `coh-ref-c/v1` records carrying offsets, lengths and SHA-256 digests.
    Reference,
}

impl TelemetryMode {
    /// `inline` or `reference`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inline => "inline",
            Self::Reference => "reference",
        }
    }
}

/// The result of a push (upstream's `{device_id, seg_id, records, bytes, source_bytes,
/// mode}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryPush {
    /// Device.
    pub device_id: String,
    /// The segment the records went to.
    pub seg_id: String,
    /// Records appended.
    pub records: usize,
    /// Bytes appended (records plus newlines).
    pub bytes: usize,
    /// Bytes of the source.
    pub source_bytes: usize,
    /// Record kind.
    pub mode: TelemetryMode,
}

/// Ingest limits (manifest `telemetry_ingest`, record bound `min(max_record_bytes,
/// max_echo_len)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TelemetryLimits {
    /// Segments a device keeps.
    pub max_segments_per_device: usize,
    /// Bytes one segment holds.
    pub max_bytes_per_segment: usize,
    /// Bytes a device holds over all its segments.
    pub max_total_bytes_per_device: usize,
    /// Reference records one segment holds.
    pub max_reference_entries_per_segment: usize,
    /// Reference-record bytes one segment holds.
    pub max_reference_manifest_bytes_per_segment: usize,
    /// Source bytes reference records may cover.
    pub max_reference_bytes_per_segment: u64,
    /// Whether the target evicts the oldest segment when a device is full.
    pub evict_oldest: bool,
    /// Longest record **including** its newline.
    pub record_bytes: usize,
}

impl Default for TelemetryLimits {
    fn default() -> Self {
        Self {
            max_segments_per_device: ingest::MAX_SEGMENTS_PER_DEVICE as usize,
            max_bytes_per_segment: ingest::MAX_BYTES_PER_SEGMENT as usize,
            max_total_bytes_per_device: ingest::MAX_TOTAL_BYTES_PER_DEVICE as usize,
            max_reference_entries_per_segment: ingest::MAX_REFERENCE_ENTRIES_PER_SEGMENT as usize,
            max_reference_manifest_bytes_per_segment:
                ingest::MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT as usize,
            max_reference_bytes_per_segment: ingest::MAX_REFERENCE_BYTES_PER_SEGMENT,
            evict_oldest: ingest::EVICTION_POLICY == "evict-oldest",
            record_bytes: InlineRecord::max_record_len(),
        }
    }
}

impl TelemetryLimits {
    /// Another segment count (tests, other manifests).
    #[must_use]
    pub fn max_segments_per_device(mut self, n: usize) -> Self {
        self.max_segments_per_device = n;
        self
    }

    /// Another eviction rule.
    #[must_use]
    pub fn evict_oldest(mut self, on: bool) -> Self {
        self.evict_oldest = on;
        self
    }

    /// Another segment byte bound.
    #[must_use]
    pub fn max_bytes_per_segment(mut self, n: usize) -> Self {
        self.max_bytes_per_segment = n;
        self
    }

    /// Another device byte bound.
    #[must_use]
    pub fn max_total_bytes_per_device(mut self, n: usize) -> Self {
        self.max_total_bytes_per_device = n;
        self
    }
}

fn payload_err(m: String) -> Error {
    Error::Payload(m)
}

/// The records of a push (lines without newline) and their mode.
///
/// # Errors
/// Mime, bound and size errors of the module docs.
pub fn build_records(
    mime: &str,
    source: &[u8],
    limits: &TelemetryLimits,
) -> Result<(TelemetryMode, Vec<String>), Error> {
    let mime = mime.trim();
    NewSegment::new(mime).validate()?;
    if source.is_empty() {
        return Err(payload_err("telemetry payload must not be empty".into()));
    }
    let seg_max = limits.max_bytes_per_segment;
    if let Ok(text) = std::str::from_utf8(source) {
        if text.len() <= seg_max {
            let records = inline_records(mime, text, limits.record_bytes.saturating_sub(1))?;
            let bytes: usize = records.iter().map(|r| r.len() + 1).sum();
            if bytes <= seg_max {
                return Ok((TelemetryMode::Inline, records));
            }
        }
    }
    let records = reference_records(source, limits)?;
    Ok((TelemetryMode::Reference, records))
}

fn inline_records(mime: &str, text: &str, max_len: usize) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut seq = 1u64;
    let mut buf = [0u8; 256];
    while !rest.is_empty() {
        let n = InlineRecord::fit(seq, mime, rest, max_len)?;
        let (chunk, tail) = rest.split_at(n);
        let len = InlineRecord::new(seq, mime, chunk).encode(&mut buf)?;
        out.push(String::from_utf8_lossy(buf.get(..len).unwrap_or_default()).into_owned());
        rest = tail;
        seq += 1;
    }
    Ok(out)
}

fn reference_records(source: &[u8], limits: &TelemetryLimits) -> Result<Vec<String>, Error> {
    let total = source.len() as u64;
    if total > limits.max_reference_bytes_per_segment {
        return Err(payload_err(format!(
            "telemetry payload exceeds max_reference_bytes_per_segment {}",
            limits.max_reference_bytes_per_segment
        )));
    }
    let chunk = usize::try_from(cohesix_core::control::telemetry::REFERENCE_CHUNK_BYTES)
        .unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    for (i, part) in source.chunks(chunk).enumerate() {
        if out.len() >= limits.max_reference_entries_per_segment {
            return Err(payload_err(format!(
                "telemetry payload exceeds max_reference_entries_per_segment {}",
                limits.max_reference_entries_per_segment
            )));
        }
        let digest: [u8; 32] = Sha256::digest(part).into();
        let rec = ReferenceRecord {
            seq: i as u64 + 1,
            off: (i * chunk) as u64,
            len: part.len() as u64,
            sha256: Sha256Digest(digest),
        };
        let n = rec.encode(&mut buf)?;
        out.push(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned());
    }
    let bytes: usize = out.iter().map(|r| r.len() + 1).sum();
    if bytes > limits.max_reference_manifest_bytes_per_segment {
        return Err(payload_err(format!(
            "telemetry payload exceeds max_reference_manifest_bytes_per_segment {}",
            limits.max_reference_manifest_bytes_per_segment
        )));
    }
    if bytes > limits.max_bytes_per_segment {
        return Err(payload_err(format!(
            "telemetry payload exceeds max_bytes_per_segment {}",
            limits.max_bytes_per_segment
        )));
    }
    Ok(out)
}

/// Bytes of the device's segments the target keeps after opening one more.
async fn kept_bytes<B: Backend + ?Sized>(
    backend: &B,
    device: &str,
    limits: &TelemetryLimits,
) -> Result<usize, Error> {
    let seg_dir = format!("{TELEMETRY_ROOT}/{device}/seg");
    let mut segs = backend.list(&seg_dir).await.unwrap_or_default();
    // Oldest first: segment ids are zero-padded counters.
    segs.sort();
    let n = segs.len();
    let max = limits.max_segments_per_device;
    let skip = if n >= max {
        if !limits.evict_oldest {
            return Err(payload_err(format!(
                "telemetry segments {n} exceeds max_segments_per_device {max}"
            )));
        }
        n + 1 - max
    } else {
        0
    };
    let mut total = 0usize;
    for seg in segs.iter().skip(skip) {
        let bytes = backend
            .read(&format!("{seg_dir}/{seg}"), limits.max_bytes_per_segment)
            .await?;
        total += bytes.len();
    }
    Ok(total)
}

/// One push; see the module docs.
pub(crate) async fn push<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    limits: &TelemetryLimits,
    device_id: &str,
    source: &[u8],
    mime: &str,
) -> Result<TelemetryPush, Error> {
    if limits.max_segments_per_device == 0
        || limits.max_bytes_per_segment == 0
        || limits.max_total_bytes_per_device == 0
    {
        return Err(payload_err("telemetry ingest is disabled in policy".into()));
    }
    let device = device_id.trim();
    check_id("device_id", device)?;
    let mime = mime.trim();
    let (mode, records) = build_records(mime, source, limits)?;
    let ctl_path = format!("{TELEMETRY_ROOT}/{device}/ctl");
    let mut buf = [0u8; 128];
    let n = NewSegment::new(mime).encode(&mut buf)?;
    let ctl_line = check_control_line(
        &ctl_path,
        &String::from_utf8_lossy(buf.get(..n).unwrap_or_default()),
        0,
    )?;
    let new_bytes: usize = records.iter().map(|r| r.len() + 1).sum();
    let kept = kept_bytes(backend, device, limits).await?;
    if kept + new_bytes > limits.max_total_bytes_per_device {
        return Err(payload_err(format!(
            "telemetry bytes {} exceeds max_total_bytes_per_device {}",
            kept + new_bytes,
            limits.max_total_bytes_per_device
        )));
    }
    let opened = write_lines(
        backend,
        audit,
        vec![PreparedLine::new(ctl_path.clone(), ctl_line)],
    )
    .await?;
    let latest = backend
        .read(
            &format!("{TELEMETRY_ROOT}/{device}/latest"),
            LATEST_MAX_BYTES,
        )
        .await?;
    let seg_id = lines_of(&latest).pop().ok_or_else(|| {
        Error::Precondition("telemetry push could not resolve latest segment id".into())
    })?;
    let seg_path = format!("{TELEMETRY_ROOT}/{device}/seg/{seg_id}");
    let lines = records
        .iter()
        .map(|r| check_control_line(&seg_path, r, 0).map(|l| PreparedLine::new(&seg_path, l)))
        .collect::<Result<Vec<_>, _>>()?;
    let report = match write_lines(backend, audit, lines).await {
        Ok(r) => r,
        // The segment was opened: the report covers the ctl line too.
        Err(Error::Batch(b)) => return Err(Error::Batch(Box::new(b.prepend(opened.lines)))),
        Err(e) => return Err(e),
    };
    let bytes = report
        .lines
        .iter()
        .map(|l| match l.outcome {
            LineOutcome::Committed { bytes_written } => bytes_written,
            _ => 0,
        })
        .sum();
    Ok(TelemetryPush {
        device_id: device.to_owned(),
        seg_id,
        records: report.lines.len(),
        bytes,
        source_bytes: source.len(),
        mode,
    })
}
