//! Owned replies handed to async callers.
//!
//! The core session assembles replies in fixed buffers; on the host we copy them into owned
//! `String`s so they outlive the next call.

use core::fmt;

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

/// One acknowledgement line, `STATUS LABEL [detail]`, as received.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ack {
    /// `OK` or `ERR`.
    pub status: AckStatus,
    /// The label, e.g. `CAT`, `BOOTINFO`, `PARSE`, `FRAME`.
    pub label: String,
    /// The detail text after the label (trimmed), if any.
    pub detail: Option<String>,
}

impl Ack {
    /// Builds an ack from its parts.
    #[must_use]
    pub fn new(status: AckStatus, label: impl Into<String>, detail: Option<String>) -> Self {
        Self {
            status,
            label: label.into(),
            detail: detail.filter(|d| !d.is_empty()),
        }
    }

    /// Whether this is an `OK` ack.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == AckStatus::Ok
    }

    /// The value of a `key=value` item of the detail. Keys that run to the end of the line
    /// (`data=`, `error=`, `payload=`, and `detail=` on `ERR PARSE`) return the rest of the
    /// line; other values end at the next space.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        let detail = self.detail.as_deref()?;
        let mut search = 0;
        while let Some(rel) = detail.get(search..)?.find(key) {
            let start = search + rel;
            let at_boundary = start == 0 || detail.as_bytes().get(start - 1) == Some(&b' ');
            let after = start + key.len();
            if at_boundary && detail.as_bytes().get(after) == Some(&b'=') {
                let value = detail.get(after + 1..)?;
                let rest_of_line = matches!(key, "data" | "error" | "payload")
                    || (key == "detail" && self.label == "PARSE");
                return Some(if rest_of_line {
                    value
                } else {
                    value.split(' ').next().unwrap_or(value)
                });
            }
            search = after;
        }
        None
    }
}

impl fmt::Display for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_str(), self.label)?;
        if let Some(detail) = &self.detail {
            write!(f, " {detail}")?;
        }
        Ok(())
    }
}

/// A complete reply: the verb's acknowledgement plus its data lines, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The acknowledgement of the request (for streams, the opening ack).
    pub ack: Ack,
    /// Data lines (stream body, `PONG`, `[bi] …`, …) without the `END` marker.
    pub lines: Vec<String>,
}

impl Reply {
    /// The lines a user sees for a read: the data lines, or for a `CAT` without data lines
    /// the ack's `data=` preview as the single line.
    #[must_use]
    pub fn body(&self) -> Vec<String> {
        if self.lines.is_empty() && self.ack.label == "CAT" {
            if let Some(preview) = self.ack.field("data") {
                return vec![preview.to_owned()];
            }
        }
        self.lines.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(label: &str, detail: &str) -> Ack {
        Ack::new(AckStatus::Ok, label, Some(detail.to_owned()))
    }

    #[test]
    fn fields_respect_rest_of_line_keys() {
        let a = ack("CAT", "path=/log/queen.log data=a b|c=d");
        assert_eq!(a.field("path"), Some("/log/queen.log"));
        assert_eq!(a.field("data"), Some("a b|c=d"));
        assert_eq!(a.field("missing"), None);
        let p = Ack::new(
            AckStatus::Err,
            "PARSE",
            Some("reason=policy detail=missing required argument: path".into()),
        );
        assert_eq!(p.field("reason"), Some("policy"));
        assert_eq!(p.field("detail"), Some("missing required argument: path"));
        let e = ack("ECHO", "path=/x bytes=12");
        assert_eq!(e.field("bytes"), Some("12"));
        // A key that only appears inside another key's name does not match.
        assert_eq!(ack("X", "xpath=/a").field("path"), None);
    }

    #[test]
    fn display_round_trips_the_wire_form() {
        assert_eq!(ack("PING", "reply=pong").to_string(), "OK PING reply=pong");
        assert_eq!(Ack::new(AckStatus::Ok, "QUIT", None).to_string(), "OK QUIT");
        assert_eq!(
            Ack::new(AckStatus::Ok, "QUIT", Some(String::new())).detail,
            None
        );
    }

    #[test]
    fn cat_body_falls_back_to_the_preview() {
        let r = Reply {
            ack: ack("CAT", "path=/log/queen.log data=batch-1|batch-2"),
            lines: vec![],
        };
        assert_eq!(r.body(), vec!["batch-1|batch-2".to_owned()]);
        let r = Reply {
            ack: ack("CAT", "path=/x data=a"),
            lines: vec!["a".into()],
        };
        assert_eq!(r.body(), vec!["a".to_owned()]);
    }
}
