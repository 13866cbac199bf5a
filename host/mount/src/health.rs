//! [`Health`]: whether the backend still answers. Every backend call reports its outcome;
//! refusals and caller errors prove the backend alive; transport failures, unknown outcomes
//! and refused credentials (a revoked token, or a queen that still holds the previous
//! session) start or continue an outage, which becomes final after the grace period. The
//! mount's watchdog asks [`Health::verdict`] and unmounts when the backend is lost for good.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cohesix::{Error, ErrorKind};

#[derive(Debug, Default)]
struct State {
    last_ok: Option<Instant>,
    failing_since: Option<Instant>,
    last_error: Option<String>,
}

/// Outcome tracker shared by the filesystem and the watchdog.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<State>,
}

/// What the watchdog should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The backend answers (or the outage is shorter than the grace period).
    Alive,
    /// No answer since the given instant: probe it.
    Failing(Instant),
    /// Lost for good (failing for the whole grace period), with the reason.
    Lost(String),
}

impl Health {
    /// Records one backend call's outcome.
    pub fn record<T>(&self, result: &Result<T, Error>) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(_) => {
                s.last_ok = Some(Instant::now());
                s.failing_since = None;
            }
            Err(e) => match e.kind() {
                ErrorKind::Transport | ErrorKind::Unknown | ErrorKind::Config => {
                    s.failing_since.get_or_insert_with(Instant::now);
                    s.last_error = Some(e.to_string());
                }
                // The target answered: it is alive.
                _ => {
                    s.last_ok = Some(Instant::now());
                    s.failing_since = None;
                }
            },
        }
    }

    /// The verdict after an outage of `grace`.
    #[must_use]
    pub fn verdict(&self, grace: Duration) -> Verdict {
        let s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match s.failing_since {
            Some(since) if since.elapsed() >= grace => Verdict::Lost(format!(
                "no answer for {} s ({})",
                since.elapsed().as_secs(),
                s.last_error.as_deref().unwrap_or("unreachable")
            )),
            Some(since) => Verdict::Failing(since),
            None => Verdict::Alive,
        }
    }

    /// When a call last succeeded.
    #[must_use]
    pub fn last_ok(&self) -> Option<Instant> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .last_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport() -> Error {
        Error::Io {
            what: "x".into(),
            source: std::io::Error::other("down"),
        }
    }

    #[test]
    fn outages_become_lost_after_the_grace_period_and_heal() {
        let h = Health::default();
        h.record::<()>(&Err(transport()));
        assert!(matches!(
            h.verdict(Duration::from_secs(60)),
            Verdict::Failing(_)
        ));
        assert!(matches!(h.verdict(Duration::ZERO), Verdict::Lost(m) if m.contains("down")));
        // A refusal proves the target alive.
        h.record::<()>(&Err(Error::NotAFile("/x".into())));
        assert_eq!(h.verdict(Duration::ZERO), Verdict::Alive);
        h.record(&Ok(()));
        assert!(h.last_ok().is_some());
        // Refused credentials are an outage too (final only after the grace period).
        h.record::<()>(&Err(Error::Auth("token refused".into())));
        assert!(matches!(
            h.verdict(Duration::from_secs(60)),
            Verdict::Failing(_)
        ));
        assert!(
            matches!(h.verdict(Duration::ZERO), Verdict::Lost(m) if m.contains("token refused"))
        );
    }
}
