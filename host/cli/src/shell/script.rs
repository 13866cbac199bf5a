//! The `.coh` script language (spec §3.6).
//!
//! ```text
//! script    = *( line LF )                 ; at most 256 statements
//! line      = [ statement ] [ "#" comment ] ; everything after the first '#' is a comment
//! statement = "EXPECT OK" | "EXPECT ERR" | "EXPECT SUBSTR " text | "EXPECT NOT " text
//!           | "WAIT " ms                    ; ms <= 2000
//!           | command                       ; a cohsh shell command (see `command.rs`)
//! ```
//!
//! `EXPECT` checks the first ACK line of the previous command (for streams, the opening
//! ack), never data lines.

use core::fmt;

/// Most statements a script may hold.
pub const MAX_STATEMENTS: usize = 256;
/// Longest `WAIT` in milliseconds.
pub const MAX_WAIT_MS: u64 = 2000;

/// An expectation on the previous command's reply: its first ACK line and, for `SUBSTR` and
/// `NOT`, its data lines too (the queen's `data=` preview of a `CAT` is cut short, so the
/// text a script looks for may only be in the body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The ack status is `OK`.
    Ok,
    /// The ack status is `ERR`.
    Err,
    /// The ack line contains the text (case-sensitive).
    Substr(String),
    /// The ack line does not contain the text (case-sensitive).
    Not(String),
}

impl Expect {
    /// Checks the expectation against the previous command's first ACK line (`None` when
    /// the command produced no ack) and its data lines. A missing ack satisfies only `NOT`.
    #[must_use]
    pub fn check(&self, ack_line: Option<&str>, body: &[String]) -> bool {
        let anywhere =
            |t: &str| ack_line.is_some_and(|l| l.contains(t)) || body.iter().any(|l| l.contains(t));
        match (self, ack_line) {
            (Self::Ok, Some(line)) => line.starts_with("OK"),
            (Self::Err, Some(line)) => line.starts_with("ERR"),
            (Self::Substr(text), Some(_)) => anywhere(text),
            (Self::Not(text), _) => !anywhere(text),
            (_, None) => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("EXPECT OK"),
            Self::Err => f.write_str("EXPECT ERR"),
            Self::Substr(t) => write!(f, "EXPECT SUBSTR {t}"),
            Self::Not(t) => write!(f, "EXPECT NOT {t}"),
        }
    }
}

/// One statement of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// A shell command line (comment removed, trimmed).
    Command(String),
    /// An expectation on the previous command.
    Expect(Expect),
    /// A local sleep in milliseconds.
    Wait(u64),
}

/// A statement with its 1-based source line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// 1-based line number in the script file.
    pub line: usize,
    /// The statement.
    pub statement: Statement,
}

/// A parsed script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// Statements in order.
    pub statements: Vec<Located>,
}

/// Why a script does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptError {
    /// More than [`MAX_STATEMENTS`] statements.
    TooManyStatements,
    /// An `EXPECT` with an unknown kind or a missing text.
    BadExpect {
        /// 1-based line number.
        line: usize,
    },
    /// A `WAIT` whose argument is not a number of milliseconds ≤ [`MAX_WAIT_MS`].
    BadWait {
        /// 1-based line number.
        line: usize,
    },
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyStatements => {
                write!(f, "script has more than {MAX_STATEMENTS} statements")
            }
            Self::BadExpect { line } => write!(
                f,
                "line {line}: EXPECT needs OK, ERR, SUBSTR <text> or NOT <text>"
            ),
            Self::BadWait { line } => {
                write!(f, "line {line}: WAIT needs milliseconds 0..={MAX_WAIT_MS}")
            }
        }
    }
}

impl std::error::Error for ScriptError {}

impl Script {
    /// Parses script text.
    ///
    /// # Errors
    /// [`ScriptError`] for a malformed `EXPECT`/`WAIT` or too many statements.
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        let mut statements = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let statement = parse_statement(content, line)?;
            if statements.len() >= MAX_STATEMENTS {
                return Err(ScriptError::TooManyStatements);
            }
            statements.push(Located { line, statement });
        }
        Ok(Self { statements })
    }
}

fn parse_statement(content: &str, line: usize) -> Result<Statement, ScriptError> {
    let (head, rest) = match content.split_once(char::is_whitespace) {
        Some((head, rest)) => (head, rest.trim()),
        None => (content, ""),
    };
    match head {
        "EXPECT" => {
            let (kind, text) = match rest.split_once(char::is_whitespace) {
                Some((kind, text)) => (kind, text.trim()),
                None => (rest, ""),
            };
            let expect = match (kind, text.is_empty()) {
                ("OK", true) => Expect::Ok,
                ("ERR", true) => Expect::Err,
                ("SUBSTR", false) => Expect::Substr(text.to_owned()),
                ("NOT", false) => Expect::Not(text.to_owned()),
                _ => return Err(ScriptError::BadExpect { line }),
            };
            Ok(Statement::Expect(expect))
        }
        "WAIT" => match rest.parse::<u64>() {
            Ok(ms) if ms <= MAX_WAIT_MS => Ok(Statement::Wait(ms)),
            _ => Err(ScriptError::BadWait { line }),
        },
        _ => Ok(Statement::Command(content.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statements_comments_and_blank_lines() {
        let s = Script::parse(
            "# header\nattach queen\nEXPECT OK\n\necho a > /log/queen.log # trailing\nEXPECT SUBSTR path=/x y\nEXPECT NOT EPERM\nWAIT 250\n",
        )
        .unwrap();
        let st: Vec<_> = s.statements.iter().map(|l| l.statement.clone()).collect();
        assert_eq!(
            st,
            vec![
                Statement::Command("attach queen".into()),
                Statement::Expect(Expect::Ok),
                Statement::Command("echo a > /log/queen.log".into()),
                Statement::Expect(Expect::Substr("path=/x y".into())),
                Statement::Expect(Expect::Not("EPERM".into())),
                Statement::Wait(250),
            ]
        );
        assert_eq!(s.statements[2].line, 5);
    }

    #[test]
    fn rejects_bad_expect_and_wait() {
        assert_eq!(
            Script::parse("EXPECT MAYBE"),
            Err(ScriptError::BadExpect { line: 1 })
        );
        assert_eq!(
            Script::parse("x\nEXPECT SUBSTR"),
            Err(ScriptError::BadExpect { line: 2 })
        );
        assert_eq!(
            Script::parse("EXPECT OK extra"),
            Err(ScriptError::BadExpect { line: 1 })
        );
        assert_eq!(
            Script::parse("WAIT 2001"),
            Err(ScriptError::BadWait { line: 1 })
        );
        assert_eq!(
            Script::parse("WAIT soon"),
            Err(ScriptError::BadWait { line: 1 })
        );
        assert!(Script::parse("WAIT 2000").is_ok());
    }

    #[test]
    fn caps_statement_count() {
        let ok = "ping\n".repeat(MAX_STATEMENTS);
        assert_eq!(Script::parse(&ok).unwrap().statements.len(), MAX_STATEMENTS);
        let too_many = "ping\n".repeat(MAX_STATEMENTS + 1);
        assert_eq!(
            Script::parse(&too_many),
            Err(ScriptError::TooManyStatements)
        );
    }

    #[test]
    fn expectations_check_the_ack_line_and_body() {
        let none: &[String] = &[];
        assert!(Expect::Ok.check(Some("OK ATTACH role=queen"), none));
        assert!(!Expect::Ok.check(Some("ERR ATTACH reason=policy"), none));
        assert!(Expect::Err.check(Some("ERR FRAME reason=invalid-length"), none));
        assert!(!Expect::Err.check(None, none));
        assert!(Expect::Substr("role=queen".into()).check(Some("OK ATTACH role=queen"), none));
        assert!(!Expect::Substr("Role".into()).check(Some("OK ATTACH role=queen"), none));
        assert!(Expect::Not("EPERM".into()).check(Some("OK ECHO"), none));
        assert!(Expect::Not("EPERM".into()).check(None, none));
        assert!(!Expect::Not("OK".into()).check(Some("OK ECHO"), none));
        // A CAT's preview is cut short: the body counts for SUBSTR and NOT.
        let body = vec!["{\"sequence_fnv1a\":\"6df2\"}".to_owned()];
        let ack = Some("OK CAT path=/replay/status data={\"state\":\"ok\"");
        assert!(Expect::Substr("6df2".into()).check(ack, &body));
        assert!(!Expect::Not("6df2".into()).check(ack, &body));
        assert!(!Expect::Substr("6df2".into()).check(None, &body));
    }

    #[test]
    fn every_upstream_script_parses() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream/scripts/cohsh"
        );
        let mut count = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) == Some("coh") {
                let text = std::fs::read_to_string(&path).unwrap();
                let script = Script::parse(&text);
                assert!(script.is_ok(), "{}: {script:?}", path.display());
                count += 1;
            }
        }
        assert_eq!(count, 23);
    }
}
