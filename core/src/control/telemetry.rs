//! Telemetry push (host-surface §7.3): the segment ctl line, inline records
//! (`cohsh-telemetry-push/v1`) and reference records (`coh-ref-c/v1`).
//!
//! ```text
//! /queen/telemetry/<dev>/ctl        {"new":"segment","mime":"text/plain"}
//! /queen/telemetry/<dev>/seg/<seg>  {"schema":"cohsh-telemetry-push/v1","seq":1,"mime":"text/plain","payload":"line one\n"}
//!                                   {"schema":"coh-ref-c/v1","seq":1,"off":0,"len":16777216,"sha256":"<43 base64url chars>"}
//! ```
//!
//! Inline payloads are escaped as the upstream client does (Python `json.dumps`): the record
//! is pure ASCII, so it can travel as one console ECHO, and the bytes equal upstream's.
//! [`InlineRecord::fit`] finds the longest prefix of a text that still fits a record bound
//! (128 bytes over the console), never splitting a character.

use cohesix_generated::telemetry_push::{MAX_RECORD_BYTES, SCHEMA as PUSH_SCHEMA};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json_core::str::EscapedStr;

use super::error::ControlError;
use super::json::{self, escaped_len, Writer};
use super::text::Text;
use super::token::check_positive;

/// Schema tag of inline records (manifest `telemetry_push.schema`).
pub const INLINE_SCHEMA: &str = PUSH_SCHEMA;
/// Schema tag of reference records.
pub const REFERENCE_SCHEMA: &str = "coh-ref-c/v1";
/// Bytes of source one reference record covers at most (16 MiB).
pub const REFERENCE_CHUNK_BYTES: u64 = 16 * 1024 * 1024;
/// Longest mime type.
pub const MAX_MIME_LEN: usize = 64;

/// Mime types are printable ASCII (space allowed) without `"` or `\`, at most 64 bytes.
fn check_mime(mime: &str) -> Result<(), ControlError> {
    if mime.is_empty() {
        return Err(ControlError::Empty { field: "mime" });
    }
    if mime.len() > MAX_MIME_LEN {
        return Err(ControlError::TooLong {
            field: "mime",
            max: MAX_MIME_LEN,
        });
    }
    if !mime
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    {
        return Err(ControlError::NotPlainText { field: "mime" });
    }
    Ok(())
}

/// `{"new":"segment","mime":<mime>}`: opens a new segment of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NewSegment<'a> {
    /// Mime type of the records that follow.
    pub mime: &'a str,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentWire<'a> {
    new: &'a str,
    mime: &'a str,
}

impl<'a> NewSegment<'a> {
    /// A segment of `mime` (trimmed).
    pub fn new(mime: &'a str) -> Self {
        Self { mime: mime.trim() }
    }

    /// The mime type is valid.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_mime(self.mime)
    }

    /// Validates, then writes the line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(
            &SegmentWire {
                new: "segment",
                mime: self.mime,
            },
            out,
        )
    }

    /// Parses and validates one line (`new` must be `segment`).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: SegmentWire<'a> = json::decode(line)?;
        if w.new != "segment" {
            return Err(ControlError::NotOneOf {
                field: "new",
                allowed: "segment",
            });
        }
        json::plain("mime", w.mime)?;
        let s = Self { mime: w.mime };
        s.validate()?;
        Ok(s)
    }
}

/// One inline record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InlineRecord<'a> {
    /// Record number in the segment, from 1.
    pub seq: u64,
    /// Mime type.
    pub mime: &'a str,
    /// The chunk of source text.
    pub payload: Text<'a>,
}

#[derive(Serialize)]
struct InlineOut<'a> {
    schema: &'static str,
    seq: u64,
    mime: &'a str,
    payload: EscapedStr<'static>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InlineIn<'a> {
    schema: &'a str,
    seq: u64,
    mime: &'a str,
    #[serde(borrow)]
    payload: Text<'a>,
}

impl<'a> InlineRecord<'a> {
    /// A record of plain text.
    pub fn new(seq: u64, mime: &'a str, payload: &'a str) -> Self {
        Self {
            seq,
            mime: mime.trim(),
            payload: Text::Plain(payload),
        }
    }

    /// `seq > 0`, mime valid, payload decodes.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_positive("seq", self.seq)?;
        check_mime(self.mime)?;
        self.payload.check("payload")
    }

    /// Bytes of the record with an empty payload (the envelope).
    fn envelope(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        json::encode(
            &InlineOut {
                schema: INLINE_SCHEMA,
                seq: self.seq,
                mime: self.mime,
                payload: EscapedStr(""),
            },
            out,
        )
    }

    /// Validates, then writes the record (no newline, pure ASCII) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        let available = out.len();
        // The payload is the last member: write the envelope, then put the escaped payload
        // between its empty quotes (`..."payload":""}`).
        let n = self.envelope(out)?;
        let body = n
            .checked_sub(2)
            .ok_or(ControlError::BufferTooSmall { available })?;
        let mut w = Writer { out, len: body };
        for c in self.payload.chars() {
            w.put_escaped(c.map_err(|()| ControlError::BadEscape { field: "payload" })?)?;
        }
        w.put(b"\"}")?;
        Ok(w.len)
    }

    /// Encoded length (no newline) of a record of `text` with this record's `seq`/`mime`.
    pub fn encoded_len(&self) -> Result<usize, ControlError> {
        let mut buf = [0u8; 128];
        Ok(self
            .envelope(&mut buf)?
            .saturating_add(self.payload.escaped_len()?))
    }

    /// Longest prefix of `text` (bytes, on a character boundary) such that the record
    /// `{seq, mime, prefix}` encodes to at most `max_len` bytes. `Ok(0)` only for empty
    /// `text`; a bound that cannot hold the envelope and one character is
    /// [`ControlError::LineTooLong`].
    pub fn fit(seq: u64, mime: &str, text: &str, max_len: usize) -> Result<usize, ControlError> {
        let probe = InlineRecord {
            seq,
            mime,
            payload: Text::Plain(""),
        };
        probe.validate()?;
        let mut buf = [0u8; 128];
        let mut used = probe.envelope(&mut buf)?;
        let mut end = 0usize;
        for (i, c) in text.char_indices() {
            used = used.saturating_add(escaped_len(c));
            if used > max_len {
                if end == 0 {
                    return Err(ControlError::LineTooLong {
                        what: "telemetry record",
                        len: used,
                        max: max_len,
                    });
                }
                break;
            }
            end = i.saturating_add(c.len_utf8());
        }
        Ok(end)
    }

    /// The record bound the upstream client uses: `min(max_record_bytes, max_echo_len)`.
    pub const fn max_record_len() -> usize {
        let echo = cohesix_generated::console::MAX_ECHO_LEN;
        if MAX_RECORD_BYTES < echo {
            MAX_RECORD_BYTES
        } else {
            echo
        }
    }

    /// Parses one record; the payload is borrowed escaped (see [`Text`]).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: InlineIn<'a> = json::decode(line)?;
        if w.schema != INLINE_SCHEMA {
            return Err(ControlError::WrongSchema {
                expected: INLINE_SCHEMA,
            });
        }
        json::plain("mime", w.mime)?;
        let r = Self {
            seq: w.seq,
            mime: w.mime,
            payload: w.payload,
        };
        r.validate()?;
        Ok(r)
    }
}

/// A SHA-256 digest, carried as 43 base64url characters without padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sha256Digest(pub [u8; 32]);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Base64url length of 32 bytes without padding.
const B64_LEN: usize = 43;

impl Sha256Digest {
    /// The base64url text (no padding) in a stack buffer.
    pub fn to_base64url(&self) -> [u8; B64_LEN] {
        let mut out = [b'A'; B64_LEN];
        let mut slots = out.iter_mut();
        for chunk in self.0.chunks(3) {
            let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
            let v = (b(0) << 16) | (b(1) << 8) | b(2);
            let chars = chunk.len().saturating_add(1);
            for k in 0..chars {
                let idx = (v >> (18 - 6 * k as u32)) & 0x3f;
                if let Some(slot) = slots.next() {
                    *slot = B64.get(idx as usize).copied().unwrap_or(b'A');
                }
            }
        }
        out
    }

    /// Parses 43 base64url characters (no padding; the unused low bits must be zero).
    pub fn from_base64url(text: &str) -> Result<Self, ControlError> {
        let bad = ControlError::NotOneOf {
            field: "sha256",
            allowed: "43 base64url characters",
        };
        if text.len() != B64_LEN {
            return Err(bad);
        }
        let mut out = [0u8; 32];
        let mut acc = 0u32;
        let mut bits = 0u32;
        let mut slots = out.iter_mut();
        for c in text.bytes() {
            let v = B64.iter().position(|&x| x == c).ok_or(bad)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                if let Some(slot) = slots.next() {
                    *slot = ((acc >> bits) & 0xff) as u8;
                }
                acc &= (1 << bits) - 1;
            }
        }
        if acc != 0 {
            return Err(bad);
        }
        Ok(Self(out))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.to_base64url();
        s.serialize_str(core::str::from_utf8(&text).unwrap_or(""))
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Sha256Digest;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("43 base64url characters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Sha256Digest, E> {
                Sha256Digest::from_base64url(v).map_err(|_| E::custom("sha256"))
            }
        }
        d.deserialize_str(V)
    }
}

/// One reference record: `len` bytes of the source at `off`, with their SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReferenceRecord {
    /// Record number, from 1.
    pub seq: u64,
    /// Offset of the chunk in the source.
    pub off: u64,
    /// Chunk length (1..=[`REFERENCE_CHUNK_BYTES`]).
    pub len: u64,
    /// SHA-256 of the chunk.
    pub sha256: Sha256Digest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceIn<'a> {
    schema: &'a str,
    seq: u64,
    off: u64,
    len: u64,
    sha256: &'a str,
}

impl ReferenceRecord {
    /// Longest encoded record.
    pub const MAX_LEN: usize = 149;

    /// `seq > 0`; `0 < len <= 16 MiB`.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_positive("seq", self.seq)?;
        check_positive("len", self.len)?;
        if self.len > REFERENCE_CHUNK_BYTES {
            return Err(ControlError::TooLong {
                field: "len",
                max: REFERENCE_CHUNK_BYTES as usize,
            });
        }
        Ok(())
    }

    /// Validates, then writes the record (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(
            &RefWire {
                schema: REFERENCE_SCHEMA,
                seq: self.seq,
                off: self.off,
                len: self.len,
                sha256: self.sha256,
            },
            out,
        )
    }

    /// Parses and validates one record.
    pub fn decode(line: &[u8]) -> Result<Self, ControlError> {
        let w: ReferenceIn<'_> = json::decode(line)?;
        if w.schema != REFERENCE_SCHEMA {
            return Err(ControlError::WrongSchema {
                expected: REFERENCE_SCHEMA,
            });
        }
        let r = Self {
            seq: w.seq,
            off: w.off,
            len: w.len,
            sha256: Sha256Digest::from_base64url(w.sha256)?,
        };
        r.validate()?;
        Ok(r)
    }
}

#[derive(Serialize)]
struct RefWire {
    schema: &'static str,
    seq: u64,
    off: u64,
    len: u64,
    sha256: Sha256Digest,
}
