//! The node lifecycle behind `/queen/lifecycle/ctl` and `/proc/lifecycle/*`: the core's
//! states and transition table ([`cohesix_core::lifecycle`], shared with the `cohsh` shell's
//! local check), plus the queen's own state (reason, entry time) and the shipped 0.3 queen's
//! deviation from the table.

use cohesix_core::lifecycle::{LifecycleAction, LifecycleState};

use super::error::{NsError, NsResult};

/// Current lifecycle state with its reason and entry time.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// Current state.
    pub state: LifecycleState,
    /// Why the state was entered.
    pub reason: String,
    /// When the state was entered (server ms).
    pub since_ms: u64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            state: LifecycleState::Online,
            reason: "boot-complete".into(),
            since_ms: 0,
        }
    }
}

impl Lifecycle {
    /// Applies a control word (`cordon`, `drain`, `resume`, `quiesce`, `reset`, trimmed). A
    /// refused word leaves the state as it was.
    ///
    /// `drain_enabled` selects the upstream 0.9 queen (see `Features::lifecycle_drain`): the
    /// table as it is, a word it does not allow from the current state refused with
    /// [`NsError::InvalidTransition`]. Without it the rules are those observed on the real
    /// 0.3.0-alpha2 queen: `drain` and `quiesce` are refused with [`NsError::Denied`]
    /// (`error=EPERM`) where the table would apply them, and a word the table does not allow
    /// with [`NsError::InvalidPayload`]. An unknown word is [`NsError::InvalidPayload`].
    pub fn apply(
        &mut self,
        word: &str,
        now_ms: u64,
        drain_enabled: bool,
    ) -> NsResult<LifecycleState> {
        let word = word.trim();
        let action = LifecycleAction::parse(word).ok_or(NsError::InvalidPayload)?;
        let next = match action.next(self.state) {
            Some(_)
                if !drain_enabled
                    && matches!(action, LifecycleAction::Drain | LifecycleAction::Quiesce) =>
            {
                return Err(NsError::Denied)
            }
            Some(next) => next,
            None if drain_enabled => {
                return Err(NsError::InvalidTransition {
                    from: self.state.label(),
                    action: word.to_string(),
                })
            }
            None => return Err(NsError::InvalidPayload),
        };
        self.state = next;
        self.reason = word.to_string();
        self.since_ms = now_ms;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleState as S;

    #[test]
    fn scripted_transitions() {
        let mut l = Lifecycle::default();
        assert!(matches!(
            l.apply("drain", 1, true),
            Err(NsError::InvalidTransition { from: "ONLINE", .. })
        ));
        assert_eq!(l.apply("quiesce", 2, true), Ok(S::Quiesced));
        assert_eq!(l.apply("resume", 3, true), Ok(S::Online));
        assert_eq!(l.apply("cordon", 4, true), Ok(S::Draining));
        assert_eq!(l.apply("drain", 5, true), Ok(S::Quiesced));
        assert_eq!(l.apply("reset", 6, true), Ok(S::Booting));
        // The table: no reset from BOOTING.
        assert!(matches!(
            l.apply("reset", 7, true),
            Err(NsError::InvalidTransition {
                from: "BOOTING",
                ..
            })
        ));
        assert_eq!(l.apply(" resume ", 8, true), Ok(S::Online));
        assert_eq!(l.reason, "resume");
        assert_eq!(l.since_ms, 8);
        assert_eq!(l.apply("explode", 9, true), Err(NsError::InvalidPayload));
    }

    /// Every (state, word) pair: the 0.9 queen follows the core's table exactly.
    #[test]
    fn the_full_profile_is_the_core_table() {
        for from in S::ALL {
            for action in LifecycleAction::ALL {
                let mut l = Lifecycle {
                    state: from,
                    ..Lifecycle::default()
                };
                let got = l.apply(action.as_str(), 1, true).ok();
                assert_eq!(
                    got,
                    action.next(from),
                    "{} from {}",
                    action.as_str(),
                    from.label()
                );
                assert_eq!(l.state, got.unwrap_or(from));
            }
        }
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
        assert_eq!(l.state, S::Online);
        assert_eq!(l.since_ms, 0, "refusals leave the state untouched");
        assert_eq!(l.apply("cordon", 4, false), Ok(S::Draining));
        // cordon again: invalid-payload; drain and quiesce after cordon: EPERM.
        assert_eq!(l.apply("cordon", 5, false), Err(NsError::InvalidPayload));
        assert_eq!(l.apply("drain", 6, false), Err(NsError::Denied));
        assert_eq!(l.apply("quiesce", 7, false), Err(NsError::Denied));
        assert_eq!(l.state, S::Draining);
        assert_eq!(l.reason, "cordon");
        assert_eq!(l.apply("resume", 8, false), Ok(S::Online));
        assert_eq!(l.apply("bogus", 9, false), Err(NsError::InvalidPayload));
    }
}
