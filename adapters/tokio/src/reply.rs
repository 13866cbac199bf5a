//! Owned replies handed to async callers.
//!
//! The core session assembles replies in fixed buffers; on the host they are copied into
//! owned values that outlive the next call:
//!
//! * [`Ack`] keeps the acknowledgement line **exactly as received** and answers every
//!   question about it (status, label, `key=value` fields) through the core's one reply
//!   parser ([`cohesix_core::reply::classify`]); nothing here re-parses the line by itself.
//! * [`Lines`] stores the data lines of a reply compactly: one text buffer plus one offset
//!   per line (a 1-byte line costs 5 bytes, not a 24-byte `String` header plus its own heap
//!   block).

use core::fmt;

use cohesix_core::reply::{classify, Ack as CoreAck, Line, Status};
use cohesix_core::request::Verb;

/// Status of an acknowledgement line (`OK` or `ERR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckStatus {
    /// `OK …`
    Ok,
    /// `ERR …`
    Err,
}

impl AckStatus {
    /// The wire token (`OK` or `ERR`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Err => "ERR",
        }
    }
}

impl From<Status> for AckStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Ok => Self::Ok,
            Status::Err => Self::Err,
        }
    }
}

/// One acknowledgement line (`STATUS LABEL [detail]`), kept as received.
///
/// Every accessor asks the core's parser, so a value runs to the next `key=` word (values
/// may contain spaces), `data=`/`error=`/`payload=` (and `detail=` on `ERR PARSE`) run to
/// the end of the line, exactly as everywhere else in the stack.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Ack {
    raw: String,
}

impl Ack {
    /// Copies a core ack (borrowed from the session's receive buffer); keeps its raw line.
    #[must_use]
    pub fn from_core(ack: &CoreAck<'_>) -> Self {
        Self {
            raw: ack.raw.to_owned(),
        }
    }

    /// Parses `line` as an ack; `None` if it is not one (`END`, data text).
    #[must_use]
    pub fn parse(line: &str) -> Option<Self> {
        match classify(line) {
            Line::Ack(_) => Some(Self {
                raw: line.to_owned(),
            }),
            _ => None,
        }
    }

    /// An ack the client stands in for when the queen's own line is not available (only
    /// `OK <LABEL>` / `ERR <LABEL>`).
    #[must_use]
    pub fn synthetic(status: AckStatus, label: &str) -> Self {
        Self::compose(status, label, None)
    }

    /// An ack a tool renders for a step it performed locally (`STATUS LABEL [detail]`,
    /// single spaces), read back with the same parser as the queen's lines.
    #[must_use]
    pub fn compose(status: AckStatus, label: &str, detail: Option<&str>) -> Self {
        let mut raw = format!("{} {label}", status.as_str());
        if let Some(d) = detail.map(str::trim).filter(|d| !d.is_empty()) {
            raw.push(' ');
            raw.push_str(d);
        }
        Self { raw }
    }

    fn core(&self) -> Option<CoreAck<'_>> {
        match classify(&self.raw) {
            Line::Ack(a) => Some(a),
            _ => None,
        }
    }

    /// The line exactly as the queen sent it.
    #[must_use]
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// `OK` or `ERR`.
    #[must_use]
    pub fn status(&self) -> AckStatus {
        self.core().map_or(AckStatus::Err, |a| a.status.into())
    }

    /// Whether this is an `OK` ack.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status() == AckStatus::Ok
    }

    /// The label (`CAT`, `BOOTINFO`, `PARSE`, `FRAME`, …).
    #[must_use]
    pub fn label(&self) -> &str {
        self.core().map_or("", |a| a.label)
    }

    /// The detail text after the label (trimmed), if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.core().and_then(|a| a.detail)
    }

    /// The value of the first `key=value` field named `key` (core rule).
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        self.core().and_then(|a| a.field(key))
    }

    /// The parsed core view of the line, for the typed helpers of
    /// [`cohesix_core::reply::Ack`] (`reason()`, `delay_ms()`, `bytes()`, …).
    #[must_use]
    pub fn as_core(&self) -> Option<CoreAck<'_>> {
        self.core()
    }
}

impl fmt::Debug for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Ack").field(&self.raw).finish()
    }
}

impl fmt::Display for Ack {
    /// The line as received (outer whitespace trimmed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw.trim())
    }
}

/// Data lines of a reply, stored compactly: one text buffer and one end offset per line.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Lines {
    text: String,
    ends: Vec<u32>,
}

impl Lines {
    /// No lines.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
        }
    }

    /// Appends one line (the caller bounds the total; offsets saturate at `u32::MAX`).
    pub fn push(&mut self, line: &str) {
        self.text.push_str(line);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Number of lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no lines.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Total text bytes (without separators).
    #[must_use]
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Line `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = usize::try_from(*self.ends.get(i)?).ok()?;
        let start = match i.checked_sub(1) {
            Some(p) => usize::try_from(*self.ends.get(p)?).ok()?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The lines in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// The lines joined with `\n` (no trailing newline), as file-shaped backends return
    /// them.
    #[must_use]
    pub fn joined(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.len());
        for (i, l) in self.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(l);
        }
        out
    }

    /// Copies the lines into owned strings.
    #[must_use]
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Lines {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Lines {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Lines {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

impl<'a> FromIterator<&'a str> for Lines {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut l = Self::new();
        for s in iter {
            l.push(s);
        }
        l
    }
}

/// A complete reply: the verb's acknowledgement plus its data lines, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The acknowledgement of the request (for streams, the opening ack).
    pub ack: Ack,
    /// Data lines (stream body, `PONG`, `[bi] …`, …) without the `END` marker.
    pub lines: Lines,
}

impl Reply {
    /// A reply with no data lines.
    #[must_use]
    pub fn ack_only(ack: Ack) -> Self {
        Self {
            ack,
            lines: Lines::new(),
        }
    }

    /// The lines a user sees for a read: the data lines, or for a `CAT` without data lines
    /// the ack's `data=` preview as the single line (the real queen answers `CAT
    /// /log/queen.log` that way).
    #[must_use]
    pub fn body(&self) -> Vec<String> {
        if self.lines.is_empty() && self.ack.label() == Verb::Cat.ack_label() {
            if let Some(preview) = self.ack.field("data") {
                return vec![preview.to_owned()];
            }
        }
        self.lines.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(line: &str) -> Ack {
        Ack::parse(line).expect("ack")
    }

    #[test]
    fn fields_follow_the_core_rule() {
        let a = ack("OK CAT path=/log/queen.log data=a b|c=d");
        assert_eq!(a.field("path"), Some("/log/queen.log"));
        assert_eq!(a.field("data"), Some("a b|c=d"));
        assert_eq!(a.field("missing"), None);
        let p = ack("ERR PARSE reason=policy detail=missing required argument: path");
        assert_eq!(p.field("reason"), Some("policy"));
        assert_eq!(p.field("detail"), Some("missing required argument: path"));
        assert_eq!(ack("OK ECHO path=/x bytes=12").field("bytes"), Some("12"));
        assert_eq!(ack("OK X xpath=/a").field("path"), None);
    }

    /// Lines on which the old adapter-local parser (values end at the first space)
    /// disagreed with the core: values with spaces followed by further `key=value` words.
    #[test]
    fn values_with_spaces_end_at_the_next_key() {
        let a = ack("ERR ATTACH reason=quota detail=rate-limited delay_ms=90000");
        assert_eq!(a.field("detail"), Some("rate-limited"));
        assert_eq!(a.field("delay_ms"), Some("90000"));
        assert_eq!(a.as_core().and_then(|c| c.delay_ms()), Some(90000));
        let a = ack("ERR CAT reason=policy detail=invalid-path path=/proc/boot error=invalid path");
        assert_eq!(a.field("path"), Some("/proc/boot"));
        assert_eq!(a.field("error"), Some("invalid path"));
        let a = ack("ERR LS reason=quota detail=buffer-full path=/shard error=buffer full");
        assert_eq!(a.field("detail"), Some("buffer-full"));
        assert_eq!(a.field("error"), Some("buffer full"));
        let a = ack("ERR SPAWN reason=policy detail=invalid-payload error=invalid payload");
        assert_eq!(a.field("error"), Some("invalid payload"));
        // A value containing spaces but no further key runs on.
        let a = ack("ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM");
        assert_eq!(a.field("detail"), Some("denied"));
        assert_eq!(a.field("path"), Some("/queen/ctl"));
        let a = ack("OK X note=two words here next=1");
        assert_eq!(a.field("note"), Some("two words here"));
        assert_eq!(a.field("next"), Some("1"));
    }

    #[test]
    fn raw_line_is_kept_as_received() {
        let a = ack("OK  PING reply=pong ");
        assert_eq!(a.raw(), "OK  PING reply=pong ");
        assert_eq!(a.to_string(), "OK  PING reply=pong");
        assert_eq!(ack("OK QUIT").to_string(), "OK QUIT");
        assert_eq!(ack("OK QUIT").detail(), None);
        assert_eq!(Ack::synthetic(AckStatus::Ok, "PING").to_string(), "OK PING");
        assert!(Ack::parse("END").is_none());
        assert!(Ack::parse("PONG").is_none());
    }

    #[test]
    fn lines_are_compact_and_ordered() {
        let mut l = Lines::new();
        for s in ["a", "", "ccc"] {
            l.push(s);
        }
        assert_eq!(l.len(), 3);
        assert_eq!(l.get(1), Some(""));
        assert_eq!(l.get(3), None);
        assert_eq!(l, ["a", "", "ccc"]);
        assert_eq!(l.joined(), "a\n\nccc");
        assert_eq!(l.text_len(), 4);
    }

    #[test]
    fn cat_body_falls_back_to_the_preview() {
        let r = Reply::ack_only(ack("OK CAT path=/log/queen.log data=batch-1|batch-2"));
        assert_eq!(r.body(), vec!["batch-1|batch-2".to_owned()]);
        let mut r = Reply::ack_only(ack("OK CAT path=/x data=a"));
        r.lines.push("a");
        assert_eq!(r.body(), vec!["a".to_owned()]);
    }
}
