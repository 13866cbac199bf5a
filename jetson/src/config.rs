//! Agent configuration: which GPU it serves, who it is, what it runs.

use crate::schema::{Command, Id, MAX_COMMAND_LEN};

use cohesix_core::role::Role;
use cohesix_core::ticket::TicketSecret;

/// The ticket secret of `role` from the manifest's `[[tickets]]` table
/// ([`cohesix_generated::TICKETS`], first entry for the role, as the queen uses it).
pub fn manifest_ticket_secret(role: Role) -> Option<TicketSecret<'static>> {
    cohesix_generated::TICKETS
        .iter()
        .find(|(label, _)| *label == role.label())
        .map(|(_, secret)| TicketSecret::from_text(secret))
}

/// Default GPU id (`[examples] gpu_id` of the shipped manifest).
pub const DEFAULT_GPU_ID: &str = "GPU-0";

/// A configuration value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// GPU id or agent id empty, too long, or not `[A-Za-z0-9._-]`.
    BadId,
    /// Command too long for a breadcrumb, or it contains `"`, `\` or non-printable bytes
    /// (which JSON would have to escape past the ECHO payload bound).
    BadCommand,
}

/// What the agent needs to know besides its transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    /// GPU served (`/gpu/<gpu_id>/...`).
    pub gpu_id: Id,
    /// Agent id: the ticket subject.
    pub agent_id: Id,
    /// Command reported in breadcrumbs.
    pub command: Command,
    /// Lease poll period in milliseconds (clamped to the manifest's tail poll bounds).
    pub poll_ms: u64,
    /// Role to attach as (default `worker-gpu`, see [`AttachAs`]).
    pub attach_as: AttachAs,
    /// Keep the console connection between cycles (default). When `false` the agent QUITs
    /// after each cycle: the queen serves one console client at a time, so an agent that
    /// shares the queen with an operator shell must let go of it.
    pub hold_connection: bool,
}

/// The role the agent attaches as.
///
/// The queen lets a `worker-gpu` session read (`CAT /gpu/<id>/lease`) but refuses worker
/// `ECHO` outside `/bus/` and `/lora/` (`ERR ECHO reason=policy detail=denied`, real-queen
/// notes §5), so on current queens breadcrumbs are only accepted from a queen session.
/// `WorkerGpu` is the default (least privilege; refused breadcrumbs are counted and dropped);
/// `Queen` is what the upstream `coh run` tool uses to append breadcrumbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AttachAs {
    /// `worker-gpu` with a minted ticket (subject = agent id).
    WorkerGpu,
    /// `queen` without a ticket.
    Queen,
}

impl AgentConfig {
    /// Validates and builds a configuration.
    pub fn new(gpu_id: &str, agent_id: &str, command: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            gpu_id: id(gpu_id)?,
            agent_id: id(agent_id)?,
            command: command_text(command)?,
            poll_ms: cohesix_generated::tail::POLL_MS_DEFAULT,
            attach_as: AttachAs::WorkerGpu,
            hold_connection: true,
        })
    }

    /// Sets the attach role.
    pub fn with_attach_as(mut self, attach_as: AttachAs) -> Self {
        self.attach_as = attach_as;
        self
    }

    /// Sets whether the connection is kept between cycles.
    pub fn with_hold_connection(mut self, hold: bool) -> Self {
        self.hold_connection = hold;
        self
    }

    /// Sets the lease poll period, clamped into the manifest's tail poll range.
    pub fn with_poll_ms(mut self, poll_ms: u64) -> Self {
        self.poll_ms = poll_ms.clamp(
            cohesix_generated::tail::POLL_MS_MIN,
            cohesix_generated::tail::POLL_MS_MAX,
        );
        self
    }
}

fn id(s: &str) -> Result<Id, ConfigError> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(ConfigError::BadId);
    }
    let mut out = Id::new();
    out.push_str(s).map_err(|_| ConfigError::BadId)?;
    Ok(out)
}

fn command_text(s: &str) -> Result<Command, ConfigError> {
    let ok = s.len() <= MAX_COMMAND_LEN
        && s.bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if !ok {
        return Err(ConfigError::BadCommand);
    }
    let mut out = Command::new();
    out.push_str(s).map_err(|_| ConfigError::BadCommand)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_ids_and_commands() {
        let c = AgentConfig::new("GPU-0", "jetson-1", "echo ok").unwrap();
        assert_eq!(c.gpu_id.as_str(), "GPU-0");
        assert_eq!(AgentConfig::new("", "a", "x"), Err(ConfigError::BadId));
        assert_eq!(AgentConfig::new("GPU/0", "a", "x"), Err(ConfigError::BadId));
        assert_eq!(
            AgentConfig::new("GPU-0", &"a".repeat(33), "x"),
            Err(ConfigError::BadId)
        );
        assert_eq!(
            AgentConfig::new("GPU-0", "a", "say \"hi\""),
            Err(ConfigError::BadCommand)
        );
        assert_eq!(
            AgentConfig::new("GPU-0", "a", &"x".repeat(MAX_COMMAND_LEN + 1)),
            Err(ConfigError::BadCommand)
        );
        assert!(AgentConfig::new("GPU-0", "a", &"x".repeat(MAX_COMMAND_LEN)).is_ok());
    }

    #[test]
    fn worker_gpu_secret_comes_from_the_manifest_table() {
        let mine = manifest_ticket_secret(Role::WorkerGpu).unwrap().key();
        let expected = TicketSecret::from_text("worker-gpu").key();
        assert_eq!(mine.mac(b"x"), expected.mac(b"x"));
        let queen = manifest_ticket_secret(Role::Queen).unwrap().key();
        assert_ne!(queen.mac(b"x"), expected.mac(b"x"));
    }

    #[test]
    fn poll_period_is_clamped_to_manifest_bounds() {
        let c = AgentConfig::new("GPU-0", "a", "x").unwrap();
        assert_eq!(
            c.clone().with_poll_ms(1).poll_ms,
            cohesix_generated::tail::POLL_MS_MIN
        );
        assert_eq!(
            c.with_poll_ms(u64::MAX).poll_ms,
            cohesix_generated::tail::POLL_MS_MAX
        );
    }
}
