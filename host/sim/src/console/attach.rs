//! ATTACH decision sequence (spec §2.3): throttle, role, lifecycle gate, ticket, rate
//! limiter, denial, claim checks, success.

use cohesix_core::attach_guard::GuardVerdict;
use cohesix_core::role::Role;
use cohesix_core::ticket::{check_attach, AttachRefusal, TicketLimits, MAX_PAYLOAD_LEN};

use super::scope::Grant;
use super::{AttachTicket, Console, Session};

impl Console {
    /// Runs one ATTACH; returns the single reply line.
    pub(super) fn attach(
        &mut self,
        session: &mut Session,
        role: &str,
        ticket: Option<&str>,
    ) -> String {
        let now = self.clock.now_ms();
        if let Some(ms) = self.guard.throttled(now) {
            return format!("ERR ATTACH reason=quota detail=throttled delay_ms={ms}");
        }
        let Some(role) = Role::from_label(role) else {
            return "ERR ATTACH reason=policy detail=invalid-role".to_string();
        };
        let state = self.ns.lifecycle().state;
        if role.is_worker() && !state.admits_work() {
            return format!(
                "ERR ATTACH reason=policy detail=lifecycle-denied state={}",
                state.label()
            );
        }
        let mut buf = [0u8; MAX_PAYLOAD_LEN];
        let outcome = match self.secrets.key(role) {
            Some(key) => check_attach(role, ticket, key, &TicketLimits::MANIFEST, now, &mut buf)
                .map(|grant| grant.map(|g| Grant::new(&g.claims, &g.quotas))),
            None if !role.is_worker() && ticket.is_none_or(|t| t.trim().is_empty()) => Ok(None),
            None => Err(AttachRefusal::Denied(None)),
        };
        let validated = !matches!(outcome, Err(ref r) if r.is_failed_validation());
        match self.guard.judge(validated, now) {
            GuardVerdict::RateLimited(ms) => {
                return format!("ERR ATTACH reason=quota detail=rate-limited delay_ms={ms}")
            }
            GuardVerdict::Denied => return "ERR ATTACH reason=policy detail=denied".to_string(),
            GuardVerdict::Accepted => {}
        }
        match outcome {
            Err(refusal) => format!(
                "ERR ATTACH reason={} detail={}",
                refusal.reason(),
                refusal.detail()
            ),
            Ok(grant) => {
                self.guard.success();
                session.role = Some(role);
                session.grant = grant;
                session.ticket = ticket
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(AttachTicket::new);
                self.ns.log_line(format!(
                    "[INFO  console] session attach role={}",
                    role.label()
                ));
                format!("OK ATTACH role={}", role.label())
            }
        }
    }
}
