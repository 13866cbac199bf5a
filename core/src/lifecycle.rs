//! The node lifecycle (`/proc/lifecycle/state`, `/queen/lifecycle/ctl`): states, control
//! words and the one transition table.
//!
//! Two users share it: the `cohsh` shell, which (as upstream's does) reads
//! `/proc/lifecycle/state` and refuses a transition the table does not allow before writing
//! anything, and the simulator's queen, which applies the table to its own state.
//!
//! | word | from | to |
//! |---|---|---|
//! | `cordon` | `ONLINE`, `DEGRADED` | `DRAINING` |
//! | `drain` | `DRAINING` | `QUIESCED` |
//! | `quiesce` | `ONLINE`, `DEGRADED`, `DRAINING` | `QUIESCED` |
//! | `resume` | every state but `ONLINE` | `ONLINE` |
//! | `reset` | every state but `BOOTING` | `BOOTING` |
//!
//! (Upstream 0.9 operator docs, "Invalid lifecycle transition".) What a particular queen build
//! does beyond the table (the shipped 0.3 queen refuses `drain` and `quiesce` with `EPERM`)
//! is that server's business, not the table's.

/// Lifecycle states, as `/proc/lifecycle/state` prints them (`state=<LABEL>`; with the
/// `serde` feature the same upper-case labels, as the manifest's `[lifecycle]` writes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum LifecycleState {
    /// Starting up (the manifest's `lifecycle.initial_state`).
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

impl LifecycleState {
    /// Every state.
    pub const ALL: [LifecycleState; 6] = [
        LifecycleState::Booting,
        LifecycleState::Degraded,
        LifecycleState::Online,
        LifecycleState::Draining,
        LifecycleState::Quiesced,
        LifecycleState::Offline,
    ];

    /// The upper-case label.
    pub const fn label(self) -> &'static str {
        match self {
            LifecycleState::Booting => "BOOTING",
            LifecycleState::Degraded => "DEGRADED",
            LifecycleState::Online => "ONLINE",
            LifecycleState::Draining => "DRAINING",
            LifecycleState::Quiesced => "QUIESCED",
            LifecycleState::Offline => "OFFLINE",
        }
    }

    /// The state of a label (exact, upper case).
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// Whether worker sessions and spawns are admitted.
    pub const fn admits_work(self) -> bool {
        matches!(self, LifecycleState::Online | LifecycleState::Degraded)
    }
}

/// Control words written to `/queen/lifecycle/ctl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LifecycleAction {
    /// `ONLINE`/`DEGRADED` → `DRAINING`.
    Cordon,
    /// `DRAINING` → `QUIESCED`.
    Drain,
    /// Back to `ONLINE` from any other state.
    Resume,
    /// `ONLINE`/`DEGRADED`/`DRAINING` → `QUIESCED`.
    Quiesce,
    /// Any state but `BOOTING` → `BOOTING`.
    Reset,
}

impl LifecycleAction {
    /// Every word.
    pub const ALL: [LifecycleAction; 5] = [
        LifecycleAction::Cordon,
        LifecycleAction::Drain,
        LifecycleAction::Resume,
        LifecycleAction::Quiesce,
        LifecycleAction::Reset,
    ];

    /// The word written to the control file.
    pub const fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Cordon => "cordon",
            LifecycleAction::Drain => "drain",
            LifecycleAction::Resume => "resume",
            LifecycleAction::Quiesce => "quiesce",
            LifecycleAction::Reset => "reset",
        }
    }

    /// The action of a word (exact, lower case).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == word)
    }

    /// The transition table: the state this action leads to from `from`, or `None` when it
    /// is not allowed there.
    pub const fn next(self, from: LifecycleState) -> Option<LifecycleState> {
        use LifecycleState as S;
        match (self, from) {
            (LifecycleAction::Cordon, S::Online | S::Degraded) => Some(S::Draining),
            (LifecycleAction::Drain, S::Draining) => Some(S::Quiesced),
            (LifecycleAction::Quiesce, S::Online | S::Degraded | S::Draining) => Some(S::Quiesced),
            (LifecycleAction::Resume, S::Online) | (LifecycleAction::Reset, S::Booting) => None,
            (LifecycleAction::Resume, _) => Some(S::Online),
            (LifecycleAction::Reset, _) => Some(S::Booting),
            _ => None,
        }
    }

    /// Whether the action is allowed from `from`.
    pub const fn allowed_from(self, from: LifecycleState) -> bool {
        self.next(from).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// The whole table, row by row: `(word, [(from, to)])`.
    #[test]
    fn transition_table() {
        use LifecycleState::*;
        let row = |a: LifecycleAction| -> Vec<(&str, &str)> {
            LifecycleState::ALL
                .into_iter()
                .filter_map(|s| a.next(s).map(|t| (s.label(), t.label())))
                .collect()
        };
        assert_eq!(
            row(LifecycleAction::Cordon),
            [("DEGRADED", "DRAINING"), ("ONLINE", "DRAINING")]
        );
        assert_eq!(row(LifecycleAction::Drain), [("DRAINING", "QUIESCED")]);
        assert_eq!(
            row(LifecycleAction::Quiesce),
            [
                ("DEGRADED", "QUIESCED"),
                ("ONLINE", "QUIESCED"),
                ("DRAINING", "QUIESCED")
            ]
        );
        let resume = row(LifecycleAction::Resume);
        assert_eq!(resume.len(), 5);
        assert!(resume.iter().all(|(f, t)| *f != "ONLINE" && *t == "ONLINE"));
        let reset = row(LifecycleAction::Reset);
        assert_eq!(reset.len(), 5);
        assert!(reset
            .iter()
            .all(|(f, t)| *f != "BOOTING" && *t == "BOOTING"));
        assert!(LifecycleAction::Resume.allowed_from(Quiesced));
        assert!(!LifecycleAction::Drain.allowed_from(Online));
    }

    #[test]
    fn labels_and_words_round_trip() {
        for s in LifecycleState::ALL {
            assert_eq!(LifecycleState::from_label(s.label()), Some(s));
        }
        for a in LifecycleAction::ALL {
            assert_eq!(LifecycleAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(LifecycleState::from_label("online"), None);
        assert_eq!(LifecycleAction::parse("Drain"), None);
        assert_eq!(LifecycleAction::parse("explode"), None);
        let admitting: String = LifecycleState::ALL
            .into_iter()
            .filter(|s| s.admits_work())
            .map(LifecycleState::label)
            .collect();
        assert_eq!(admitting, "DEGRADEDONLINE");
    }
}
