//! Node lifecycle state machine behind `/queen/lifecycle/ctl` and `/proc/lifecycle/*`.

use super::error::{NsError, NsResult};

/// Lifecycle states, as printed in `state=<STATE>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifeState {
    /// Starting up.
    Booting,
    /// Up with reduced capacity.
    Degraded,
    /// Serving.
    Online,
    /// Cordoned: no new work.
    Draining,
    /// Drained.
    Quiesced,
    /// Off.
    Offline,
}

impl LifeState {
    /// Upper-case label.
    pub fn label(self) -> &'static str {
        match self {
            LifeState::Booting => "BOOTING",
            LifeState::Degraded => "DEGRADED",
            LifeState::Online => "ONLINE",
            LifeState::Draining => "DRAINING",
            LifeState::Quiesced => "QUIESCED",
            LifeState::Offline => "OFFLINE",
        }
    }

    /// Whether new worker sessions and spawns are admitted.
    pub fn admits_work(self) -> bool {
        matches!(self, LifeState::Online | LifeState::Degraded)
    }
}

/// Current lifecycle state with its reason and entry time.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// Current state.
    pub state: LifeState,
    /// Why the state was entered.
    pub reason: String,
    /// When the state was entered (server ms).
    pub since_ms: u64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            state: LifeState::Online,
            reason: "boot-complete".into(),
            since_ms: 0,
        }
    }
}

impl Lifecycle {
    /// Applies a control word (`cordon`, `drain`, `resume`, `quiesce`, `reset`).
    pub fn apply(&mut self, word: &str, now_ms: u64) -> NsResult<LifeState> {
        use LifeState::*;
        let action = word.trim();
        let next = match (action, self.state) {
            ("cordon", Online | Degraded) => Draining,
            ("drain", Draining) => Quiesced,
            ("quiesce", Online | Degraded | Draining) => Quiesced,
            ("resume", Booting | Degraded | Draining | Quiesced | Offline) => Online,
            ("reset", _) => Booting,
            ("cordon" | "drain" | "quiesce" | "resume", _) => {
                return Err(NsError::InvalidTransition {
                    from: self.state.label(),
                    action: action.to_string(),
                })
            }
            _ => return Err(NsError::InvalidPayload),
        };
        self.state = next;
        self.reason = action.to_string();
        self.since_ms = now_ms;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_transitions() {
        let mut l = Lifecycle::default();
        assert!(matches!(
            l.apply("drain", 1),
            Err(NsError::InvalidTransition { from: "ONLINE", .. })
        ));
        assert_eq!(l.apply("quiesce", 2), Ok(LifeState::Quiesced));
        assert_eq!(l.apply("resume", 3), Ok(LifeState::Online));
        assert_eq!(l.apply("cordon", 4), Ok(LifeState::Draining));
        assert_eq!(l.apply("drain", 5), Ok(LifeState::Quiesced));
        assert_eq!(l.apply("reset", 6), Ok(LifeState::Booting));
        assert_eq!(l.apply("resume", 7), Ok(LifeState::Online));
        assert_eq!(l.reason, "resume");
        assert_eq!(l.since_ms, 7);
        assert_eq!(l.apply("explode", 8), Err(NsError::InvalidPayload));
    }
}
