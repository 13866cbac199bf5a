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
    /// Applies a control word (`cordon`, `drain`, `resume`, `quiesce`, `reset`). A refused
    /// word leaves the state as it was.
    ///
    /// `drain_enabled` selects the upstream 0.9 rules (see `Features::lifecycle_drain`);
    /// without it the rules are those observed on the real 0.3.0-alpha2 queen: `drain` and
    /// `quiesce` are refused with [`NsError::Denied`] (`error=EPERM`) where they would apply,
    /// and a word not allowed from the current state with [`NsError::InvalidPayload`].
    pub fn apply(&mut self, word: &str, now_ms: u64, drain_enabled: bool) -> NsResult<LifeState> {
        use LifeState::*;
        let action = word.trim();
        let next = match (action, self.state) {
            ("drain" | "quiesce", Draining) | ("quiesce", Online | Degraded) if !drain_enabled => {
                return Err(NsError::Denied)
            }
            ("cordon", Online | Degraded) => Draining,
            ("drain", Draining) => Quiesced,
            ("quiesce", Online | Degraded | Draining) => Quiesced,
            ("resume", Booting | Degraded | Draining | Quiesced | Offline) => Online,
            ("reset", _) => Booting,
            ("cordon" | "drain" | "quiesce" | "resume", _) if drain_enabled => {
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
            l.apply("drain", 1, true),
            Err(NsError::InvalidTransition { from: "ONLINE", .. })
        ));
        assert_eq!(l.apply("quiesce", 2, true), Ok(LifeState::Quiesced));
        assert_eq!(l.apply("resume", 3, true), Ok(LifeState::Online));
        assert_eq!(l.apply("cordon", 4, true), Ok(LifeState::Draining));
        assert_eq!(l.apply("drain", 5, true), Ok(LifeState::Quiesced));
        assert_eq!(l.apply("reset", 6, true), Ok(LifeState::Booting));
        assert_eq!(l.apply("resume", 7, true), Ok(LifeState::Online));
        assert_eq!(l.reason, "resume");
        assert_eq!(l.since_ms, 7);
        assert_eq!(l.apply("explode", 8, true), Err(NsError::InvalidPayload));
    }

    /// What the real 0.3.0-alpha2 queen answered (probed over its console, state restored
    /// with `resume` afterwards).
    #[test]
    fn alpha2_transitions_match_the_real_queen() {
        let mut l = Lifecycle::default();
        // quiesce from ONLINE: ERR ECHO reason=policy detail=denied … error=EPERM.
        assert_eq!(l.apply("quiesce", 1, false), Err(NsError::Denied));
        // drain from ONLINE: detail=invalid-payload.
        assert_eq!(l.apply("drain", 2, false), Err(NsError::InvalidPayload));
        // resume from ONLINE: detail=invalid-payload.
        assert_eq!(l.apply("resume", 3, false), Err(NsError::InvalidPayload));
        assert_eq!(l.state, LifeState::Online);
        assert_eq!(l.since_ms, 0, "refusals leave the state untouched");
        assert_eq!(l.apply("cordon", 4, false), Ok(LifeState::Draining));
        // cordon again: invalid-payload; drain and quiesce after cordon: EPERM.
        assert_eq!(l.apply("cordon", 5, false), Err(NsError::InvalidPayload));
        assert_eq!(l.apply("drain", 6, false), Err(NsError::Denied));
        assert_eq!(l.apply("quiesce", 7, false), Err(NsError::Denied));
        assert_eq!(l.state, LifeState::Draining);
        assert_eq!(l.reason, "cordon");
        assert_eq!(l.apply("resume", 8, false), Ok(LifeState::Online));
        assert_eq!(l.apply("bogus", 9, false), Err(NsError::InvalidPayload));
    }
}
