//! `--with-telemetry`: the queen's telemetry segments, pulled within the client policy's
//! `coh.telemetry` bounds (host-surface §8.1).
//!
//! ```text
//!  LS /queen/telemetry                 ≤ max_devices (32) devices, sorted
//!  LS /queen/telemetry/<dev>/seg       the newest ≤ max_segments_per_device (4)
//!  CAT …/seg/<seg>                     ≤ max_bytes_per_segment (128 KiB), ≤ max_total_bytes_per_device (512 KiB) a device
//!    → telemetry/<dev>/seg/<seg>       one captured item each
//! ```
//!
//! A listing that fails (other than the target going away) ends the pull with one error
//! item (`/queen/telemetry`, saved as `telemetry/`, verb `PULL`), as upstream records it;
//! segments saved before stay. Device and segment names that are not identifier tokens
//! are never used as file names.

use cohesix_generated::coh::telemetry::{
    MAX_BYTES_PER_SEGMENT, MAX_DEVICES, MAX_SEGMENTS_PER_DEVICE, MAX_TOTAL_BYTES_PER_DEVICE, ROOT,
};

use super::pack::{aborts, Content, Packer};
use super::summary::Verb;
use super::EvidenceError;
use crate::backend::Backend;
use crate::error::Error;

/// What a pull saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PullCounts {
    /// Devices with at least one segment listed.
    pub devices: usize,
    /// Segments saved.
    pub segments: usize,
    /// Bytes saved.
    pub bytes: usize,
}

fn token(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn list<B: Backend + ?Sized>(
    p: &mut Packer<'_, B>,
    path: &str,
) -> Result<Result<Vec<String>, Error>, EvidenceError> {
    match p.backend.list(path).await {
        Err(e) if aborts(&e) => Err(p.target_error(path, e)),
        other => Ok(other),
    }
}

pub(super) async fn pull<B: Backend + ?Sized>(
    p: &mut Packer<'_, B>,
) -> Result<PullCounts, EvidenceError> {
    let mut counts = PullCounts::default();
    let fail =
        |p: &mut Packer<'_, B>, why: String| p.note_error(ROOT, "telemetry/", Verb::Pull, &why);
    let devices = match list(p, ROOT).await? {
        Ok(d) => d,
        Err(e) => {
            fail(p, e.to_string())?;
            return Ok(counts);
        }
    };
    for dev in devices.iter().take(MAX_DEVICES) {
        if !token(dev) {
            fail(p, format!("device name {dev:?} is not an identifier token"))?;
            continue;
        }
        let seg_dir = format!("{ROOT}/{dev}/seg");
        let mut segs = match list(p, &seg_dir).await? {
            Ok(s) => s,
            Err(e) => {
                fail(p, e.to_string())?;
                return Ok(counts);
            }
        };
        segs.retain(|s| token(s));
        let newest = segs.len().saturating_sub(MAX_SEGMENTS_PER_DEVICE);
        let mut left = MAX_TOTAL_BYTES_PER_DEVICE;
        if !segs.is_empty() {
            counts.devices += 1;
        }
        for seg in segs.get(newest..).unwrap_or_default() {
            if left == 0 {
                break;
            }
            let path = format!("{seg_dir}/{seg}");
            let saved = format!("telemetry/{dev}/seg/{seg}");
            let max = MAX_BYTES_PER_SEGMENT.min(left);
            if let Some(bytes) = p
                .capture_as(&path, &saved, Verb::Cat, max, Content::Text)
                .await?
            {
                counts.segments += 1;
                counts.bytes += bytes.len();
                left = left.saturating_sub(bytes.len());
            }
        }
    }
    p.audit.push_line(format!(
        "evidence telemetry devices={} segments={} bytes={} saved=telemetry/",
        counts.devices, counts.segments, counts.bytes
    ));
    Ok(counts)
}
