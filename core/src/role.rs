//! Console roles: wire labels, ticket role codes and session classes (spec §2.3, §4.2).

/// A role a client attaches as (ordered by ticket role code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Role {
    /// The queen (operator) role; a ticket is optional.
    Queen,
    /// `worker-heartbeat` (alias `worker`).
    WorkerHeartbeat,
    /// `worker-gpu`.
    WorkerGpu,
    /// `worker-bus`.
    WorkerBus,
    /// `worker-lora`.
    WorkerLora,
}

/// Every role, in ticket-code order.
pub const ALL_ROLES: [Role; 5] = [
    Role::Queen,
    Role::WorkerHeartbeat,
    Role::WorkerGpu,
    Role::WorkerBus,
    Role::WorkerLora,
];

impl Role {
    /// Every role, in ticket-code order (same as [`ALL_ROLES`]).
    pub const ALL: [Role; 5] = ALL_ROLES;

    /// Canonical wire label (`queen`, `worker-heartbeat`, ...).
    pub const fn label(self) -> &'static str {
        match self {
            Role::Queen => "queen",
            Role::WorkerHeartbeat => "worker-heartbeat",
            Role::WorkerGpu => "worker-gpu",
            Role::WorkerBus => "worker-bus",
            Role::WorkerLora => "worker-lora",
        }
    }

    /// Parses a wire label, ASCII case-insensitively; `worker` is an alias of
    /// `worker-heartbeat`. Surrounding whitespace is not accepted.
    pub fn from_label(label: &str) -> Option<Role> {
        if label.eq_ignore_ascii_case("worker") {
            return Some(Role::WorkerHeartbeat);
        }
        ALL_ROLES
            .iter()
            .copied()
            .find(|r| r.label().eq_ignore_ascii_case(label))
    }

    /// Role byte inside ticket claims.
    pub const fn code(self) -> u8 {
        match self {
            Role::Queen => 0,
            Role::WorkerHeartbeat => 1,
            Role::WorkerGpu => 2,
            Role::WorkerBus => 3,
            Role::WorkerLora => 4,
        }
    }

    /// Role from a ticket role byte.
    pub const fn from_code(code: u8) -> Option<Role> {
        match code {
            0 => Some(Role::Queen),
            1 => Some(Role::WorkerHeartbeat),
            2 => Some(Role::WorkerGpu),
            3 => Some(Role::WorkerBus),
            4 => Some(Role::WorkerLora),
            _ => None,
        }
    }

    /// Whether this is a worker role (a ticket is required on the console).
    pub const fn is_worker(self) -> bool {
        !matches!(self, Role::Queen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_alias() {
        for r in ALL_ROLES {
            assert_eq!(Role::from_label(r.label()), Some(r));
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_label("WORKER"), Some(Role::WorkerHeartbeat));
        assert_eq!(Role::from_label("Queen"), Some(Role::Queen));
        assert_eq!(Role::from_label(" queen"), None);
        assert_eq!(Role::from_label("worker-x"), None);
        assert_eq!(Role::from_code(5), None);
    }
}
