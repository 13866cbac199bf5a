//! Namespace errors and their console refusal shape (spec §3.3).

use std::fmt;

use cohesix_core::request::Verb;

/// Why a namespace operation was refused. Each maps to one console refusal shape.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsError {
    /// Path not served (or wrong kind: LS of a file, CAT of a directory).
    InvalidPath,
    /// Permission or policy denial (`error=EPERM`).
    Denied,
    /// Payload rejected by the node's schema.
    InvalidPayload,
    /// Node too large to stream / bounded store full.
    BufferFull,
    /// Lifecycle transition not allowed from the current state.
    InvalidTransition {
        /// Current state label.
        from: &'static str,
        /// Requested action.
        action: String,
    },
    /// A configured bound was hit (`error=ELIMIT`); `detail` names the bound.
    Limit {
        /// Bound name, e.g. `max_bytes_per_segment`.
        detail: &'static str,
    },
}

impl NsError {
    /// The `reason=` value.
    pub fn reason(&self) -> &'static str {
        match self {
            NsError::BufferFull | NsError::Limit { .. } => "quota",
            _ => "policy",
        }
    }

    /// The `detail=` tag.
    pub fn detail(&self) -> &'static str {
        match self {
            NsError::InvalidPath => "invalid-path",
            NsError::Denied => "denied",
            NsError::InvalidPayload => "invalid-payload",
            NsError::BufferFull => "buffer-full",
            NsError::InvalidTransition { .. } => "invalid-transition",
            NsError::Limit { detail } => detail,
        }
    }

    /// The `error=` text.
    pub fn error_text(&self) -> String {
        match self {
            NsError::InvalidPath => "invalid path".into(),
            NsError::Denied => "EPERM".into(),
            NsError::InvalidPayload => "invalid payload".into(),
            NsError::BufferFull => "buffer full".into(),
            NsError::InvalidTransition { from, action } => {
                format!("invalid transition {action} from {from}")
            }
            NsError::Limit { .. } => "ELIMIT".into(),
        }
    }

    /// Full console refusal line for verb label `label` on `path`.
    /// TAIL omits `error=` for invalid paths, like the real queen.
    pub fn render(&self, label: &str, path: &str) -> String {
        let mut line = format!(
            "ERR {label} reason={} detail={} path={path}",
            self.reason(),
            self.detail()
        );
        if !(label == Verb::Tail.ack_label() && *self == NsError::InvalidPath) {
            line.push_str(" error=");
            line.push_str(&self.error_text());
        }
        line
    }
}

impl fmt::Display for NsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.detail(), self.error_text())
    }
}

impl std::error::Error for NsError {}

/// A payload the core's decoder refused (`cohesix_core::control`): the queen's
/// `detail=invalid-payload` refusal, whatever the rule (the reply shape carries no message).
impl From<cohesix_core::control::ControlError> for NsError {
    fn from(_: cohesix_core::control::ControlError) -> Self {
        NsError::InvalidPayload
    }
}

/// Result alias for namespace operations.
pub type NsResult<T> = Result<T, NsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_shapes() {
        assert_eq!(
            NsError::InvalidPath.render("CAT", "/x"),
            "ERR CAT reason=policy detail=invalid-path path=/x error=invalid path"
        );
        assert_eq!(
            NsError::InvalidPath.render("TAIL", "/x"),
            "ERR TAIL reason=policy detail=invalid-path path=/x"
        );
        assert_eq!(
            NsError::Denied.render("ECHO", "/queen/ctl"),
            "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"
        );
        assert_eq!(
            NsError::BufferFull.render("LS", "/shard"),
            "ERR LS reason=quota detail=buffer-full path=/shard error=buffer full"
        );
    }
}
