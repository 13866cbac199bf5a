//! Ticketed-session enforcement after ATTACH (spec §4.6): path scopes with per-scope rates,
//! and the session bandwidth budget.

use cohesix_core::ticket::{Claims, Quotas};

/// Scope rate window.
pub const RATE_WINDOW_MS: u64 = 1000;

#[derive(Debug, Clone)]
struct OwnedScope {
    path: String,
    read: bool,
    write: bool,
    rate_per_s: u32,
    window_start: u64,
    used: u32,
}

/// Why a ticketed request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Outside every scope or wrong access: `reason=policy path=<p> error=EPERM`.
    Scope,
    /// Rate or bandwidth exhausted: `reason=quota path=<p> error=ELIMIT`.
    Limit,
}

impl Refusal {
    /// Console line for verb label `label` on `path`.
    pub fn render(self, label: &str, path: &str) -> String {
        match self {
            Refusal::Scope => format!("ERR {label} reason=policy path={path} error=EPERM"),
            Refusal::Limit => format!("ERR {label} reason=quota path={path} error=ELIMIT"),
        }
    }
}

/// Usage tracking of one ticketed session.
#[derive(Debug, Clone)]
pub struct Grant {
    scopes: Vec<OwnedScope>,
    bandwidth_left: Option<u64>,
}

fn covers(scope: &str, path: &str) -> bool {
    let s = scope.trim_end_matches('/');
    s.is_empty() || path == s || path.strip_prefix(s).is_some_and(|r| r.starts_with('/'))
}

impl Grant {
    /// Tracking for verified `claims` with effective `quotas` (0 = unlimited).
    pub fn new(claims: &Claims<'_>, quotas: &Quotas) -> Self {
        Self {
            scopes: claims
                .scopes
                .iter()
                .map(|s| OwnedScope {
                    path: s.path.to_string(),
                    read: s.verb.allows_read(),
                    write: s.verb.allows_write(),
                    rate_per_s: s.rate_per_s,
                    window_start: 0,
                    used: 0,
                })
                .collect(),
            bandwidth_left: (quotas.bandwidth_bytes != 0).then_some(quotas.bandwidth_bytes),
        }
    }

    /// Scope and rate check for one request on `path`.
    pub fn check(&mut self, path: &str, write: bool, now_ms: u64) -> Result<(), Refusal> {
        if self.scopes.is_empty() || !path.starts_with('/') || path.split('/').any(|c| c == "..") {
            return Ok(());
        }
        let scope = self
            .scopes
            .iter_mut()
            .filter(|s| covers(&s.path, path))
            .max_by_key(|s| s.path.len())
            .ok_or(Refusal::Scope)?;
        if (write && !scope.write) || (!write && !scope.read) {
            return Err(Refusal::Scope);
        }
        if scope.rate_per_s == 0 {
            return Ok(());
        }
        if now_ms >= scope.window_start.saturating_add(RATE_WINDOW_MS) || scope.used == 0 {
            scope.window_start = now_ms;
            scope.used = 0;
        }
        if scope.used >= scope.rate_per_s {
            return Err(Refusal::Limit);
        }
        scope.used += 1;
        Ok(())
    }

    /// Charges `bytes` against the bandwidth budget.
    pub fn charge(&mut self, bytes: usize) -> Result<(), Refusal> {
        let Some(left) = self.bandwidth_left.as_mut() else {
            return Ok(());
        };
        let n = bytes as u64;
        if n > *left {
            return Err(Refusal::Limit);
        }
        *left -= n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohesix_core::role::Role;
    use cohesix_core::ticket::{Scope, ScopeVerb};

    #[test]
    fn scopes_prefix_access_and_rate() {
        let mut claims = Claims::new(Role::Queen, 0);
        for (path, verb, rate) in [
            ("/log", ScopeVerb::Read, 1),
            ("/queen", ScopeVerb::Write, 0),
        ] {
            claims
                .scopes
                .push(Scope {
                    path,
                    verb,
                    rate_per_s: rate,
                })
                .unwrap();
        }
        let mut g = Grant::new(
            &claims,
            &Quotas {
                bandwidth_bytes: 10,
                ..Quotas::default()
            },
        );
        assert_eq!(g.check("/log/queen.log", true, 0), Err(Refusal::Scope));
        assert_eq!(g.check("/log/queen.log", false, 0), Ok(()));
        assert_eq!(g.check("/log/queen.log", false, 10), Err(Refusal::Limit));
        assert_eq!(g.check("/log/queen.log", false, 1000), Ok(()));
        assert_eq!(g.check("/queen/ctl", true, 0), Ok(()));
        assert_eq!(g.check("/queenx", true, 0), Err(Refusal::Scope));
        assert_eq!(g.check("/proc/x", false, 0), Err(Refusal::Scope));
        assert_eq!(g.charge(8), Ok(()));
        assert_eq!(g.charge(3), Err(Refusal::Limit));
        assert_eq!(
            Refusal::Scope.render("ECHO", "/log/queen.log"),
            "ERR ECHO reason=policy path=/log/queen.log error=EPERM"
        );
    }
}
