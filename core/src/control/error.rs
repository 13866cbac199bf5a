//! [`ControlError`]: why a control payload was refused, with the upstream client's messages.
//!
//! `Display` renders the exact messages of host-surface §1.2 (identifiers, positive integers),
//! §1.3 (paths) and §2.4/§4 (per-payload rules); variants added by this implementation (JSON
//! decoding, `/proc` lines, bounds) have messages in the same style. Field names are the
//! upstream client's argument names (`request_id`, `lease_id`, `ttl_s`, ...), carried as
//! `&'static str` so the error stays `Copy` and allocation-free.

use core::fmt;

use cohesix_generated::secure9p::WALK_DEPTH;

use crate::path::PathError;

use super::lease::LeaseOp;

/// Why a control payload could not be built, encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ControlError {
    // ---- §1.2 identifier tokens and integers -------------------------------------------
    /// `"<field> must not be empty"`.
    Empty {
        /// Field name.
        field: &'static str,
    },
    /// `"<field> exceeds <max> bytes"`.
    TooLong {
        /// Field name.
        field: &'static str,
        /// The bound in bytes.
        max: usize,
    },
    /// `"<field> must use ASCII token characters [A-Za-z0-9._-]"`.
    NotToken {
        /// Field name.
        field: &'static str,
    },
    /// `"<field> must be > 0"`.
    NotPositive {
        /// Field name.
        field: &'static str,
    },

    // ---- §2.4 per-payload rules --------------------------------------------------------
    /// `"lease op must be one of grant|renew|preempt|quota"`.
    LeaseOp,
    /// `"lease_id is required for op=<op>"`.
    LeaseIdRequired {
        /// The op that needs a lease id.
        op: LeaseOp,
    },
    /// `"grant requires subject, resource, and ttl_s"`.
    GrantRequires,
    /// `"renew requires ttl_s"`.
    RenewRequiresTtl,
    /// `"preempt requires reason"`.
    PreemptRequiresReason,
    /// `"quota requires subject and resource"`.
    QuotaRequiresSubjectResource,
    /// `"quota requires max_active and max_preemptions"`.
    QuotaRequiresLimits,
    /// `"export op must be one of open|close"`.
    ExportOp,
    /// `"open export request requires ttl_s"`.
    OpenRequiresTtl,
    /// `"close export request requires reason"`.
    CloseRequiresReason,
    /// `"decision must be approve or deny"`.
    Decision,

    // ---- §4 host tickets and K8s intents -----------------------------------------------
    /// `"host ticket args must be a JSON object"`.
    ArgsNotObject,
    /// `"expires_unix_ms must be > 0 when set"`.
    ExpiresNotPositive,
    /// `"verb must be one of cordon|drain|lease-sync"`.
    K8sVerb,
    /// More `args` entries than a ticket can hold: `"host ticket args exceed <max> entries"`.
    TooManyArgs {
        /// The bound.
        max: usize,
    },
    /// The same `args` key twice: `"host ticket args repeat a key"`.
    DuplicateArg,
    /// An `args` value that is not a string, unsigned integer or boolean.
    ArgValue,
    /// A translated K8s intent ticket does not fit one console ECHO payload (never truncated):
    /// `"k8s intent ticket of <len> bytes exceeds the <max>-byte console echo bound"`.
    K8sTicketTooLong {
        /// Encoded length in bytes (without newline).
        len: usize,
        /// The bound (`MAX_ECHO_LEN`).
        max: usize,
    },

    // ---- §1.3 paths --------------------------------------------------------------------
    /// A path failed the core path rules ([`crate::path`]); `Display` uses the §1.3 wording
    /// where upstream has one (`"paths must be absolute"`, `"path exceeds max length 96"`,
    /// `"path component contains NUL byte"`, `"path exceeds maximum depth of 8 components"`).
    Path {
        /// Field name.
        field: &'static str,
        /// The core path error.
        error: PathError,
    },
    /// `"path component '<component>' is not permitted"` (`.` or `..`).
    DotComponent {
        /// Field name.
        field: &'static str,
        /// `"."` or `".."`.
        component: &'static str,
    },

    // ---- free text, enumerations, bounds -----------------------------------------------
    /// `"<field> must be printable ASCII without quotes or backslashes"` (mime types).
    NotPlainText {
        /// Field name.
        field: &'static str,
    },
    /// `"<field> holds an invalid JSON escape"`.
    BadEscape {
        /// Field name.
        field: &'static str,
    },
    /// A value outside its enumeration: `"<field> must be one of <allowed>"`.
    NotOneOf {
        /// Field name.
        field: &'static str,
        /// The allowed values, `|`-separated.
        allowed: &'static str,
    },
    /// `"worker_id is required for state=ACTIVE"` (`gpu-lease/v1`).
    ActiveWithoutWorker,
    /// `"<field> is required"`.
    Missing {
        /// Field name.
        field: &'static str,
    },
    /// `"<field> is not allowed here"` (a `/queen/ctl` key that does not belong to the command).
    Unexpected {
        /// Field name.
        field: &'static str,
    },
    /// The encoded line exceeds its bound: `"<what> of <len> bytes exceeds <max> bytes"`.
    LineTooLong {
        /// What was encoded (`"breadcrumb"`, `"telemetry record"`).
        what: &'static str,
        /// Encoded length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The output buffer is too small: `"output buffer of <available> bytes is too small"`.
    BufferTooSmall {
        /// Buffer size.
        available: usize,
    },

    // ---- decoding ----------------------------------------------------------------------
    /// The bytes are not JSON of the expected shape.
    Json(JsonError),
    /// `"schema must be <expected>"`.
    WrongSchema {
        /// The schema tag this decoder accepts.
        expected: &'static str,
    },
    /// A string field holds a JSON escape or a raw control byte; this decoder only accepts
    /// plain strings there: `"<field> must be a plain JSON string (no escapes)"`.
    Escaped {
        /// Field name.
        field: &'static str,
    },

    // ---- /proc lines (§3) --------------------------------------------------------------
    /// `"/proc line lacks <key>="`.
    ProcMissing {
        /// The key.
        key: &'static str,
    },
    /// `"/proc line repeats <key>="`.
    ProcDuplicate {
        /// The key.
        key: &'static str,
    },
    /// `"/proc value of <key>= is invalid"` (not a decimal number in range, or empty).
    ProcValue {
        /// The key.
        key: &'static str,
    },
    /// `"/proc line has a field without '='"`.
    ProcField,
}

/// How JSON decoding failed (mapped from `serde-json-core`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum JsonError {
    /// The input ended inside a value.
    Truncated,
    /// A value has the wrong JSON type (string for number, ...).
    WrongType,
    /// An unknown, duplicate or missing field (strict schemas reject unknown fields).
    Fields,
    /// Bytes after the value.
    Trailing,
    /// A number is malformed or out of range for its field.
    Number,
    /// Invalid UTF-8 inside a string.
    Utf8,
    /// Any other syntax error.
    Syntax,
}

impl JsonError {
    pub(crate) fn from_de(e: serde_json_core::de::Error) -> Self {
        use serde_json_core::de::Error as E;
        match e {
            E::EofWhileParsingList
            | E::EofWhileParsingObject
            | E::EofWhileParsingString
            | E::EofWhileParsingNumber
            | E::EofWhileParsingValue => JsonError::Truncated,
            E::InvalidType => JsonError::WrongType,
            E::CustomError => JsonError::Fields,
            E::TrailingCharacters => JsonError::Trailing,
            E::InvalidNumber => JsonError::Number,
            E::InvalidUnicodeCodePoint => JsonError::Utf8,
            _ => JsonError::Syntax,
        }
    }

    const fn as_str(self) -> &'static str {
        match self {
            JsonError::Truncated => "input ends inside a value",
            JsonError::WrongType => "a value has the wrong type",
            JsonError::Fields => "unknown, duplicate or missing field",
            JsonError::Trailing => "trailing bytes after the object",
            JsonError::Number => "invalid number",
            JsonError::Utf8 => "invalid UTF-8",
            JsonError::Syntax => "syntax error",
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<JsonError> for ControlError {
    fn from(e: JsonError) -> Self {
        ControlError::Json(e)
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ControlError as E;
        match self {
            E::Empty { field } => write!(f, "{field} must not be empty"),
            E::TooLong { field, max } => write!(f, "{field} exceeds {max} bytes"),
            E::NotToken { field } => {
                write!(f, "{field} must use ASCII token characters [A-Za-z0-9._-]")
            }
            E::NotPositive { field } => write!(f, "{field} must be > 0"),
            E::LeaseOp => f.write_str("lease op must be one of grant|renew|preempt|quota"),
            E::LeaseIdRequired { op } => write!(f, "lease_id is required for op={}", op.as_str()),
            E::GrantRequires => f.write_str("grant requires subject, resource, and ttl_s"),
            E::RenewRequiresTtl => f.write_str("renew requires ttl_s"),
            E::PreemptRequiresReason => f.write_str("preempt requires reason"),
            E::QuotaRequiresSubjectResource => f.write_str("quota requires subject and resource"),
            E::QuotaRequiresLimits => f.write_str("quota requires max_active and max_preemptions"),
            E::ExportOp => f.write_str("export op must be one of open|close"),
            E::OpenRequiresTtl => f.write_str("open export request requires ttl_s"),
            E::CloseRequiresReason => f.write_str("close export request requires reason"),
            E::Decision => f.write_str("decision must be approve or deny"),
            E::ArgsNotObject => f.write_str("host ticket args must be a JSON object"),
            E::ExpiresNotPositive => f.write_str("expires_unix_ms must be > 0 when set"),
            E::K8sVerb => f.write_str("verb must be one of cordon|drain|lease-sync"),
            E::TooManyArgs { max } => write!(f, "host ticket args exceed {max} entries"),
            E::DuplicateArg => f.write_str("host ticket args repeat a key"),
            E::ArgValue => f.write_str(
                "host ticket args values must be strings, unsigned integers or booleans",
            ),
            E::K8sTicketTooLong { len, max } => write!(
                f,
                "k8s intent ticket of {len} bytes exceeds the {max}-byte console echo bound"
            ),
            E::Path { error, .. } => path_message(f, error),
            E::DotComponent { component, .. } => {
                write!(f, "path component '{component}' is not permitted")
            }
            E::NotPlainText { field } => {
                write!(
                    f,
                    "{field} must be printable ASCII without quotes or backslashes"
                )
            }
            E::BadEscape { field } => write!(f, "{field} holds an invalid JSON escape"),
            E::NotOneOf { field, allowed } => write!(f, "{field} must be one of {allowed}"),
            E::ActiveWithoutWorker => f.write_str("worker_id is required for state=ACTIVE"),
            E::Missing { field } => write!(f, "{field} is required"),
            E::Unexpected { field } => write!(f, "{field} is not allowed here"),
            E::LineTooLong { what, len, max } => {
                write!(f, "{what} of {len} bytes exceeds {max} bytes")
            }
            E::BufferTooSmall { available } => {
                write!(f, "output buffer of {available} bytes is too small")
            }
            E::Json(e) => write!(f, "malformed JSON: {e}"),
            E::WrongSchema { expected } => write!(f, "schema must be {expected}"),
            E::Escaped { field } => write!(f, "{field} must be a plain JSON string (no escapes)"),
            E::ProcMissing { key } => write!(f, "/proc line lacks {key}="),
            E::ProcDuplicate { key } => write!(f, "/proc line repeats {key}="),
            E::ProcValue { key } => write!(f, "/proc value of {key}= is invalid"),
            E::ProcField => f.write_str("/proc line has a field without '='"),
        }
    }
}

/// §1.3 wording for the path rules upstream has; the core's own wording for its stricter ones.
fn path_message(f: &mut fmt::Formatter<'_>, error: &PathError) -> fmt::Result {
    match error {
        PathError::Empty | PathError::NotAbsolute => f.write_str("paths must be absolute"),
        PathError::TooLong { .. } => write!(
            f,
            "path exceeds max length {}",
            cohesix_generated::console::MAX_PATH_LEN
        ),
        PathError::TooDeep { .. } => {
            write!(f, "path exceeds maximum depth of {WALK_DEPTH} components")
        }
        PathError::InvalidByte { byte: 0, .. } => f.write_str("path component contains NUL byte"),
        other => write!(f, "{other}"),
    }
}
