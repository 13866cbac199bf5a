//! JSON plumbing shared by the payload families: `serde-json-core` into caller buffers, the
//! plain-string check decoders apply, a span scanner for the members of one object (host
//! ticket `args`), and Python-compatible string escaping/unescaping for free text.
//!
//! Escaping follows the upstream client (Python `json.dumps`, `ensure_ascii=True`): `\"`,
//! `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, every other byte below 0x20 and DEL as `\u00xx`, and
//! every non-ASCII character as `\uxxxx` (lower-case hex, UTF-16 surrogate pairs above the
//! BMP). The result is pure ASCII, which is what the console carries.

use serde::Serialize;

use super::error::{ControlError, JsonError};

/// Serialises `value` into `out` (compact: `,` and `:` without spaces, struct field order).
pub(crate) fn encode<T: Serialize + ?Sized>(
    value: &T,
    out: &mut [u8],
) -> Result<usize, ControlError> {
    serde_json_core::to_slice(value, out).map_err(|_| ControlError::BufferTooSmall {
        available: out.len(),
    })
}

/// Deserialises one JSON value from `line` (surrounding ASCII whitespace, a trailing `\n`
/// included, is allowed). Strings are borrowed verbatim: escapes are **not** decoded, so
/// every decoder runs [`plain`] over its string fields.
pub(crate) fn decode<'a, T: serde::Deserialize<'a>>(line: &'a [u8]) -> Result<T, ControlError> {
    serde_json_core::from_slice::<T>(line)
        .map(|(value, _)| value)
        .map_err(|e| ControlError::Json(JsonError::from_de(e)))
}

/// Refuses a decoded string that held a JSON escape (kept verbatim by the decoder) or a raw
/// control byte (invalid JSON that `serde-json-core` lets through).
pub(crate) fn plain(field: &'static str, value: &str) -> Result<(), ControlError> {
    if value.bytes().any(|b| b == b'\\' || b < 0x20) {
        Err(ControlError::Escaped { field })
    } else {
        Ok(())
    }
}

/// [`plain`] for an optional field.
pub(crate) fn plain_opt(field: &'static str, value: Option<&str>) -> Result<(), ControlError> {
    value.map_or(Ok(()), |v| plain(field, v))
}

// ---- escaping ------------------------------------------------------------------------------

/// Bytes `c` takes inside a JSON string after Python-compatible ASCII escaping.
pub(crate) const fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        '\u{0}'..='\u{1f}' | '\u{7f}' => 6,
        ' '..='~' => 1,
        c if (c as u32) < 0x1_0000 => 6,
        _ => 12,
    }
}

/// Escapes `text` (without surrounding quotes) into `out`; returns the bytes written.
#[cfg(test)]
pub(crate) fn escape_ascii(text: &str, out: &mut [u8]) -> Result<usize, ControlError> {
    let mut w = Writer { out, len: 0 };
    for c in text.chars() {
        w.put_escaped(c)?;
    }
    Ok(w.len)
}

fn unit_escape(unit: u16) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let nib = |shift: u16| {
        HEX.get(usize::from((unit >> shift) & 0xf))
            .copied()
            .unwrap_or(b'0')
    };
    [b'\\', b'u', nib(12), nib(8), nib(4), nib(0)]
}

/// A bounded cursor over a caller buffer.
pub(crate) struct Writer<'b> {
    pub(crate) out: &'b mut [u8],
    pub(crate) len: usize,
}

impl Writer<'_> {
    /// Appends `c` escaped as in [`escape_ascii`].
    pub(crate) fn put_escaped(&mut self, c: char) -> Result<(), ControlError> {
        match c {
            '"' => self.put(b"\\\""),
            '\\' => self.put(b"\\\\"),
            '\n' => self.put(b"\\n"),
            '\r' => self.put(b"\\r"),
            '\t' => self.put(b"\\t"),
            '\u{8}' => self.put(b"\\b"),
            '\u{c}' => self.put(b"\\f"),
            ' '..='~' => self.put(&[c as u8]),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units).iter() {
                    self.put(&unit_escape(*unit))?;
                }
                Ok(())
            }
        }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), ControlError> {
        let available = self.out.len();
        let end = self
            .len
            .checked_add(bytes.len())
            .ok_or(ControlError::BufferTooSmall { available })?;
        let dst = self
            .out
            .get_mut(self.len..end)
            .ok_or(ControlError::BufferTooSmall { available })?;
        crate::frame::copy_prefix(dst, bytes);
        self.len = end;
        Ok(())
    }
}

impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.put(s.as_bytes()).map_err(|_| core::fmt::Error)
    }
}

// ---- unescaping ----------------------------------------------------------------------------

/// Characters of the JSON string body `raw` (escapes decoded, surrogate pairs joined).
/// Yields `Err(())` once, at the first invalid escape or raw control byte, then stops.
pub(crate) struct Unescape<'a> {
    rest: core::str::Chars<'a>,
    failed: bool,
}

impl<'a> Unescape<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        Self {
            rest: raw.chars(),
            failed: false,
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            v = v
                .checked_mul(16)?
                .checked_add(self.rest.next()?.to_digit(16)?)?;
        }
        Some(v)
    }

    fn escape(&mut self) -> Option<char> {
        match self.rest.next()? {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if self.rest.next()? != '\\' || self.rest.next()? != 'u' {
                        return None;
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    let c = 0x1_0000u32
                        .checked_add((hi - 0xD800) << 10)?
                        .checked_add(lo - 0xDC00)?;
                    char::from_u32(c)
                } else {
                    char::from_u32(hi)
                }
            }
            _ => None,
        }
    }
}

impl Iterator for Unescape<'_> {
    type Item = Result<char, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let c = self.rest.next()?;
        let out = match c {
            '\\' => self.escape().ok_or(()),
            '"' => Err(()),
            c if (c as u32) < 0x20 => Err(()),
            c => Ok(c),
        };
        self.failed = out.is_err();
        Some(out)
    }
}

// ---- object member scanner -----------------------------------------------------------------

/// The raw members (`key`, value text) of the JSON object `text`, for the few places where a
/// value's JSON type is not known in advance (`serde-json-core` has no `deserialize_any`).
/// Keys must be plain strings; values are returned as raw JSON text for a typed re-parse.
pub(crate) struct Members<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Members<'a> {
    /// `None` unless `text` (whitespace-trimmed) starts with `{`.
    pub(crate) fn new(text: &'a str) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut m = Self {
            bytes,
            text,
            pos: 0,
            done: false,
        };
        m.skip_ws();
        if m.peek() != Some(b'{') {
            return None;
        }
        m.bump(1);
        m.skip_ws();
        if m.peek() == Some(b'}') {
            m.bump(1);
            m.done = true;
        }
        Some(m)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump(1);
        }
    }

    /// Skips a string starting at `pos` (on its opening quote); returns the body span.
    fn string(&mut self) -> Option<(usize, usize)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.bump(1);
        let start = self.pos;
        loop {
            match self.peek()? {
                b'"' => {
                    let end = self.pos;
                    self.bump(1);
                    return Some((start, end));
                }
                b'\\' => self.bump(2),
                _ => self.bump(1),
            }
        }
    }

    /// Skips one value (any type, nesting included); returns its span.
    fn value(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth = depth.saturating_add(1),
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                self.bump(1);
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.bump(1);
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.bump(1);
                }
            }
        }
        (self.pos > start).then_some((start, self.pos))
    }

    fn member(&mut self) -> Option<(&'a str, &'a str)> {
        self.skip_ws();
        let (ks, ke) = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return None;
        }
        self.bump(1);
        self.skip_ws();
        let (vs, ve) = self.value()?;
        self.skip_ws();
        match self.peek()? {
            b',' => self.bump(1),
            b'}' => {
                self.bump(1);
                self.done = true;
            }
            _ => return None,
        }
        Some((self.text.get(ks..ke)?, self.text.get(vs..ve)?))
    }
}

impl<'a> Iterator for Members<'a> {
    /// `Err(())` at the first syntax error (and then the iterator ends).
    type Item = Result<(&'a str, &'a str), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.member().ok_or(());
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

/// The raw value of top-level member `key` of the object `text`, if present.
pub(crate) fn member<'a>(text: &'a str, key: &str) -> Result<Option<&'a str>, ControlError> {
    let members = Members::new(text).ok_or(ControlError::Json(JsonError::WrongType))?;
    for m in members {
        let (k, v) = m.map_err(|()| ControlError::Json(JsonError::Syntax))?;
        if k == key {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn esc(s: &str) -> String {
        let mut buf = [0u8; 128];
        let n = escape_ascii(s, &mut buf).unwrap();
        String::from(core::str::from_utf8(&buf[..n]).unwrap())
    }

    fn unesc(raw: &str) -> Result<String, ()> {
        Unescape::new(raw).collect()
    }

    #[test]
    fn escaping_matches_python_json_dumps() {
        // json.dumps('a"b\\c\n\t\x01\x7f\u00e9\U0001F600')[1:-1]
        assert_eq!(
            esc("a\"b\\c\n\t\u{1}\u{7f}é😀"),
            r#"a\"b\\c\n\t\u0001\u007f\u00e9\ud83d\ude00"#
        );
        for c in ['a', '"', '\u{1}', '\u{7f}', 'é', '😀', '\u{8}'] {
            let mut b = [0u8; 4];
            assert_eq!(esc(c.encode_utf8(&mut b)).len(), escaped_len(c), "{c:?}");
        }
        let mut small = [0u8; 3];
        assert_eq!(
            escape_ascii("abcd", &mut small),
            Err(ControlError::BufferTooSmall { available: 3 })
        );
    }

    #[test]
    fn unescape_round_trips_and_refuses_bad_escapes() {
        let text = "a\"b\\c\n\t\u{1}\u{7f}é😀/";
        assert_eq!(unesc(&esc(text)).unwrap(), text);
        assert_eq!(unesc(r"\/\u0041").unwrap(), "/A");
        for bad in [
            r"\x",
            r"\u12",
            r"\ud83d",
            r"\ud83dx",
            r"\ud83d\u0041",
            "a\u{1}",
            "\"",
            "\\",
        ] {
            assert!(unesc(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn members_scan_nested_values_and_escaped_strings() {
        let text = r#" {"a":"x\"}","b":{"c":[1,{"d":"]"}]},"e":12 , "f":true} "#;
        let got: Vec<(&str, &str)> = Members::new(text).unwrap().map(|m| m.unwrap()).collect();
        assert_eq!(
            got.as_slice(),
            &[
                ("a", r#""x\"}""#),
                ("b", r#"{"c":[1,{"d":"]"}]}"#),
                ("e", "12"),
                ("f", "true")
            ]
        );
        assert_eq!(Members::new("{}").unwrap().count(), 0);
        assert!(Members::new("[1]").is_none());
        for bad in [
            r#"{"a""#,
            r#"{"a":}"#,
            r#"{"a":1"#,
            r#"{"a":{"b":1}"#,
            r#"{a:1}"#,
        ] {
            assert!(
                Members::new(bad).unwrap().any(|m| m.is_err()),
                "{bad:?} scanned"
            );
        }
        assert_eq!(member(text, "e"), Ok(Some("12")));
        assert_eq!(member(text, "z"), Ok(None));
    }
}
