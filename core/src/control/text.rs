//! [`Text`]: a free-text JSON string field (telemetry payload, breadcrumb command) that is
//! either plain text to be escaped on encode, or the still-escaped body a decoder borrowed.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json_core::str::EscapedStr;

use super::error::ControlError;
use super::json::{self, Unescape};

/// A JSON string value.
///
/// * [`Text::Plain`] holds text; encoders escape it.
/// * [`Text::Escaped`] holds the body of a JSON string exactly as on the wire (between the
///   quotes, escapes not decoded), which is what decoders return: borrowed, no copy. Use
///   [`Text::unescape_into`] or [`Text::chars`] to read it.
///
/// Equality compares the decoded characters (`Plain("a\"b") == Escaped(r#"a\"b"#)`).
#[derive(Clone, Copy)]
pub enum Text<'a> {
    /// Unescaped text.
    Plain(&'a str),
    /// A JSON string body, escapes intact.
    Escaped(&'a str),
}

impl<'a> Text<'a> {
    /// Wraps an escaped JSON string body after checking its escapes.
    pub fn escaped(raw: &'a str, field: &'static str) -> Result<Self, ControlError> {
        let t = Text::Escaped(raw);
        t.check(field)?;
        Ok(t)
    }

    /// The text without decoding, when it needs none (plain, or escaped without a `\`).
    pub fn as_plain(&self) -> Option<&'a str> {
        match *self {
            Text::Plain(s) => Some(s),
            Text::Escaped(s) if !s.contains('\\') => Some(s),
            Text::Escaped(_) => None,
        }
    }

    /// The decoded characters; an `Err(())` item marks an invalid escape or raw control byte.
    pub fn chars(&self) -> TextChars<'a> {
        match *self {
            Text::Plain(s) => TextChars(Chars::Plain(s.chars())),
            Text::Escaped(s) => TextChars(Chars::Escaped(Unescape::new(s))),
        }
    }

    /// Checks that an escaped body decodes (valid escapes, no raw control bytes).
    pub fn check(&self, field: &'static str) -> Result<(), ControlError> {
        match self {
            Text::Plain(_) => Ok(()),
            Text::Escaped(_) => self
                .chars()
                .try_for_each(|c| c.map(drop).map_err(|()| ControlError::BadEscape { field })),
        }
    }

    /// Decoded length in bytes (UTF-8).
    pub fn len(&self) -> Result<usize, ControlError> {
        self.chars().try_fold(0usize, |n, c| {
            c.map(|c| n.saturating_add(c.len_utf8()))
                .map_err(|()| ControlError::BadEscape { field: "text" })
        })
    }

    /// Whether the decoded text is empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Text::Plain(s) | Text::Escaped(s) => s.is_empty(),
        }
    }

    /// Decodes into `out`; returns the text.
    pub fn unescape_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, ControlError> {
        let available = out.len();
        let mut used = 0usize;
        for c in self.chars() {
            let c = c.map_err(|()| ControlError::BadEscape { field: "text" })?;
            let mut tmp = [0u8; 4];
            let bytes = c.encode_utf8(&mut tmp).as_bytes();
            let end = used.saturating_add(bytes.len());
            let dst = out
                .get_mut(used..end)
                .ok_or(ControlError::BufferTooSmall { available })?;
            crate::frame::copy_prefix(dst, bytes);
            used = end;
        }
        let text = out
            .get(..used)
            .ok_or(ControlError::BufferTooSmall { available })?;
        core::str::from_utf8(text).map_err(|_| ControlError::BadEscape { field: "text" })
    }

    /// Whether the decoded text equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        let mut other = s.chars();
        self.chars().all(|c| c.ok() == other.next()) && other.next().is_none()
    }

    /// Escaped (Python-compatible, ASCII) JSON length of the decoded text, quotes excluded.
    pub fn escaped_len(&self) -> Result<usize, ControlError> {
        self.chars().try_fold(0usize, |n, c| {
            c.map(|c| n.saturating_add(json::escaped_len(c)))
                .map_err(|()| ControlError::BadEscape { field: "text" })
        })
    }
}

/// Iterator of [`Text::chars`].
pub struct TextChars<'a>(Chars<'a>);

enum Chars<'a> {
    Plain(core::str::Chars<'a>),
    Escaped(Unescape<'a>),
}

impl Iterator for TextChars<'_> {
    type Item = Result<char, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Chars::Plain(c) => c.next().map(Ok),
            Chars::Escaped(u) => u.next(),
        }
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        let mut b = other.chars();
        self.chars().all(|c| c.is_ok() && Some(c) == b.next()) && b.next().is_none()
    }
}

impl Eq for Text<'_> {}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Plain(s) => f.debug_tuple("Plain").field(s).finish(),
            Text::Escaped(s) => f.debug_tuple("Escaped").field(s).finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Text<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Text::Plain(s) => defmt::write!(f, "Plain({=str})", s),
            Text::Escaped(s) => defmt::write!(f, "Escaped({=str})", s),
        }
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text::Plain(s)
    }
}

/// Plain text is escaped by the serializer (`serde-json-core`: `\"`, `\\`, control bytes;
/// non-ASCII stays UTF-8); an escaped body is written as is.
impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Plain(t) => s.serialize_str(t),
            Text::Escaped(raw) => EscapedStr(raw).serialize(s),
        }
    }
}

/// Borrows the string body verbatim (`serde-json-core`'s escaped-string support).
impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EscapedStr::deserialize(d).map(|e| Text::Escaped(e.0))
    }
}
