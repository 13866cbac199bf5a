//! Reply line classification (spec §3.3, §8.4) and `key=value` detail parsing.
//!
//! ```text
//! line --trim--> "END"                       -> Line::End
//!            \-> "OK|ERR" SP label [SP detail] -> Line::Ack(Ack)   (split on the first two
//!             \-> anything else                -> Line::Text          single spaces)
//! ```
//!
//! Detail fields: space-separated `key=value` items where a value runs on (spaces included)
//! until the next word that looks like `key=` (`key` = lowercase ASCII, digits, `_`, `-`).
//! The keys `data=`, `error=`, `payload=` — and `detail=` on `ERR PARSE` — always run to the end
//! of the line. So `reason=quota detail=rate-limited delay_ms=90000` gives three fields, while
//! `reason=policy detail=missing required argument: path` gives `detail` =
//! `missing required argument: path`. The raw line is always kept in [`Ack::raw`].

use core::fmt;

/// ACK status token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// `OK`.
    Ok,
    /// `ERR`.
    Err,
}

impl Status {
    /// The wire token (`OK` / `ERR`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Err => "ERR",
        }
    }
}

/// The refusal class carried by `reason=` on SRV error lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReasonClass {
    /// `busy`: try again later.
    Busy,
    /// `quota`: a limit was hit (rate limit, throttle, buffer).
    Quota,
    /// `cut`: the root is unreachable.
    Cut,
    /// `policy`: not allowed.
    Policy,
    /// Any other reason (harness forms such as `denied`, `throttled`, transport reasons).
    Other,
}

/// A parsed ACK line. All slices borrow from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ack<'a> {
    /// `OK` or `ERR`.
    pub status: Status,
    /// The label (uppercase verb label, or `FRAME`/`PARSE`/`AUTH`/`CONSOLE`); may be empty.
    pub label: &'a str,
    /// Trimmed detail; `None` when absent or empty.
    pub detail: Option<&'a str>,
    /// The whole line as received (untrimmed).
    pub raw: &'a str,
}

impl<'a> Ack<'a> {
    /// `true` for `OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Iterator over the detail's `key=value` fields (empty without detail). On `ERR PARSE`,
    /// `detail=` runs to the end of the line.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            rest: self.detail.unwrap_or(""),
            detail_to_end: self.label == "PARSE",
        }
    }

    /// The value of the first field named `key`.
    pub fn field(&self, key: &str) -> Option<&'a str> {
        self.fields().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// `reason=` value (`policy`, `quota`, ... or harness forms like `denied`, `throttled`).
    pub fn reason(&self) -> Option<&'a str> {
        self.field("reason")
    }

    /// The `detail=` **field** (`denied`, `throttled`, `missing required argument: path`, ...),
    /// as opposed to the whole detail text in the [`detail`](Ack::detail) struct field.
    pub fn detail(&self) -> Option<&'a str> {
        self.field("detail")
    }

    /// The most specific cause: `detail=` if present, else `reason=`. Gives the same answer
    /// for the SRV form (`reason=quota detail=throttled delay_ms=N`) and the harness form
    /// (`reason=throttled delay_ms=N`), and for `reason=policy detail=denied` vs
    /// `reason=denied`.
    pub fn cause(&self) -> Option<&'a str> {
        self.detail().or_else(|| self.reason())
    }

    /// Class of `reason=`.
    pub fn reason_class(&self) -> Option<ReasonClass> {
        Some(match self.reason()? {
            "busy" => ReasonClass::Busy,
            "quota" => ReasonClass::Quota,
            "cut" => ReasonClass::Cut,
            "policy" => ReasonClass::Policy,
            _ => ReasonClass::Other,
        })
    }

    /// `delay_ms=` as a number (throttle / rate-limit back-off), in both SRV and harness form.
    pub fn delay_ms(&self) -> Option<u64> {
        self.field("delay_ms")?.parse().ok()
    }

    /// `path=` value.
    pub fn path(&self) -> Option<&'a str> {
        self.field("path")
    }

    /// `error=` value (runs to end of line, e.g. `invalid path`, `EPERM`).
    pub fn error_text(&self) -> Option<&'a str> {
        self.field("error")
    }

    /// `data=` value (CAT preview, runs to end of line).
    pub fn data(&self) -> Option<&'a str> {
        self.field("data")
    }

    /// `entries=` value of `OK LS`.
    pub fn entries(&self) -> Option<u32> {
        self.field("entries")?.parse().ok()
    }

    /// `bytes=` value of `OK ECHO`.
    pub fn bytes(&self) -> Option<u32> {
        self.field("bytes")?.parse().ok()
    }

    /// Whether this ACK answers `verb`'s label (`BI` matches `BOOTINFO`).
    pub fn is_for(&self, verb: crate::request::Verb) -> bool {
        self.label == verb.ack_label()
    }

    /// `ERR PARSE` or `ERR FRAME`: terminal for whatever command is in flight.
    pub fn is_terminal_error(&self) -> bool {
        self.status == Status::Err && (self.label == "PARSE" || self.label == "FRAME")
    }
}

impl fmt::Display for Ack<'_> {
    /// Renders `STATUS SP LABEL [SP detail]` (single spaces).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.as_str())?;
        f.write_str(" ")?;
        f.write_str(self.label)?;
        if let Some(d) = self.detail {
            f.write_str(" ")?;
            f.write_str(d)?;
        }
        Ok(())
    }
}

/// The end-of-stream marker: the line that closes a [`ReplyShape::Stream`] reply.
///
/// [`ReplyShape::Stream`]: crate::verb::ReplyShape::Stream
pub const END: &str = "END";

/// One received line, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Line<'a> {
    /// `OK|ERR <LABEL> [detail]`.
    Ack(Ack<'a>),
    /// End-of-stream marker `END`.
    End,
    /// Any other line (data, `PONG`, `[bi] ...`, `ERR: NineDoor unavailable`).
    Text(&'a str),
}

/// Classifies one received line (spec §3.3). Text keeps the untrimmed line.
pub fn classify(line: &str) -> Line<'_> {
    let t = line.trim();
    if t == END {
        return Line::End;
    }
    match parse_ack(t) {
        Some((status, label, detail)) => Line::Ack(Ack {
            status,
            label,
            detail,
            raw: line,
        }),
        None => Line::Text(line),
    }
}

/// Classifies a raw payload; non-UTF-8 payloads are text-less and yield `None`.
pub fn classify_bytes(payload: &[u8]) -> Option<Line<'_>> {
    core::str::from_utf8(payload).ok().map(classify)
}

/// Splits at the first space byte (no char-pattern searcher: it carries a panic path).
fn split_space(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == b' ')?;
    Some((s.get(..i)?, s.get(i.saturating_add(1)..)?))
}

fn parse_ack(t: &str) -> Option<(Status, &str, Option<&str>)> {
    let (status, rest) = split_space(t)?;
    let status = match status {
        "OK" => Status::Ok,
        "ERR" => Status::Err,
        _ => return None,
    };
    let (label, detail) = match split_space(rest) {
        Some((l, d)) => (l, d.trim()),
        None => (rest, ""),
    };
    Some((status, label, (!detail.is_empty()).then_some(detail)))
}

/// Keys whose value always runs to the end of the line.
const TO_END_KEYS: [&str; 3] = ["data", "error", "payload"];

/// Iterator over `key=value` fields of a detail string; see the module docs for the rules.
/// Words before the first `key=` item are skipped.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    rest: &'a str,
    detail_to_end: bool,
}

/// Fields of a detail string (`detail=` is not treated as rest-of-line here; use
/// [`Ack::fields`] for label-aware parsing).
pub fn fields(detail: &str) -> Fields<'_> {
    Fields {
        rest: detail,
        detail_to_end: false,
    }
}

/// If `b` starts with `key=` where key is `[a-z0-9_-]+`, returns the key length.
#[inline]
fn key_at(b: &[u8]) -> Option<usize> {
    let n = b
        .iter()
        .position(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-'))?;
    (n > 0 && b.get(n) == Some(&b'=')).then_some(n)
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let s = self.rest.trim_start_matches(' ');
            if s.is_empty() {
                self.rest = "";
                return None;
            }
            let Some(klen) = key_at(s.as_bytes()) else {
                // Not a key=value item: skip the word.
                let word_end = s.bytes().position(|c| c == b' ').unwrap_or(s.len());
                self.rest = s.get(word_end..).unwrap_or("");
                continue;
            };
            let key = s.get(..klen).unwrap_or("");
            let after = s.get(klen.saturating_add(1)..).unwrap_or("");
            let to_end = TO_END_KEYS.contains(&key) || (self.detail_to_end && key == "detail");
            let vlen = if to_end {
                after.len()
            } else {
                value_len(after.as_bytes())
            };
            let value = after.get(..vlen).unwrap_or("").trim_end();
            self.rest = after.get(vlen..).unwrap_or("");
            return Some((key, value));
        }
    }
}

/// Length of a value that runs until the next ` key=` word (or the end).
fn value_len(b: &[u8]) -> usize {
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        if c != b' ' {
            i = i.saturating_add(1);
            continue;
        }
        let mut j = i;
        while b.get(j) == Some(&b' ') {
            j = j.saturating_add(1);
        }
        if key_at(b.get(j..).unwrap_or(&[])).is_some() {
            return i;
        }
        i = j;
    }
    b.len()
}
