//! Many independent simulated queens in one process (`coh-queen --queens N`): fleet runs
//! and their benchmarks on one machine. Each queen is its own [`SimCore`] — own namespace,
//! ATTACH guard and console slot — behind its own TCP listener; all share the token, ticket
//! secrets, profile, seed, clock and deadlines of one [`SimConfig`].
//!
//! Ports: `bind` port `P` ≠ 0 gives the consecutive ports `P, P+1, …, P+N-1`; port 0 gives
//! each queen an ephemeral port of its own ([`Fleet::addrs`] lists them in order).
//!
//! Each queen costs two file descriptors while a client is attached (listener + connection)
//! and one otherwise: thousands of queens need a raised open-file limit (`ulimit -n`); a bind
//! that fails with `EMFILE` says so.

use std::io;
use std::net::SocketAddr;

use crate::config::SimConfig;
use crate::serve::SimCore;
use crate::server::{SimHandle, Simulator};

/// Most queens one process serves.
pub const MAX_QUEENS: usize = 4096;

/// Why a fleet could not start. Queens already started are stopped again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// `count` outside `1..=MAX_QUEENS`.
    #[error("the number of queens must be between 1 and {MAX_QUEENS}, got {0}")]
    Count(usize),
    /// The consecutive port range passes 65535.
    #[error("{count} consecutive ports from {base} pass port 65535")]
    PortRange {
        /// First port.
        base: u16,
        /// Number of queens.
        count: usize,
    },
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}{hint}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
        /// An operator hint (raise the open-file limit), or empty.
        hint: &'static str,
    },
}

/// A running fleet. Dropping it stops every queen (as [`SimHandle`] does).
#[derive(Debug)]
pub struct Fleet {
    queens: Vec<SimHandle>,
}

impl Fleet {
    /// Starts `count` queens built from `config` (see the module docs for ports). Must run
    /// inside a tokio runtime. Cancel safety: dropping the future stops the queens started
    /// so far.
    pub async fn spawn(config: SimConfig, count: usize) -> Result<Fleet, FleetError> {
        if count == 0 || count > MAX_QUEENS {
            return Err(FleetError::Count(count));
        }
        let base = config.bind.port();
        if base != 0 && usize::from(base) + count - 1 > usize::from(u16::MAX) {
            return Err(FleetError::PortRange { base, count });
        }
        let mut queens = Vec::with_capacity(count);
        for i in 0..count {
            let mut addr = config.bind;
            if base != 0 {
                // In range: checked above.
                addr.set_port(base + u16::try_from(i).unwrap_or(0));
            }
            let core = SimCore::new(config.clone());
            match Simulator::spawn_with(core, addr).await {
                Ok(h) => queens.push(h),
                Err(source) => {
                    let hint = if source.raw_os_error() == Some(24) {
                        " (raise the open-file limit, e.g. `ulimit -n`)"
                    } else {
                        ""
                    };
                    return Err(FleetError::Bind { addr, source, hint });
                }
            }
        }
        Ok(Fleet { queens })
    }

    /// The queens, in port order.
    pub fn queens(&self) -> &[SimHandle] {
        &self.queens
    }

    /// Their addresses, in order.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.queens.iter().map(SimHandle::local_addr).collect()
    }

    /// Number of queens.
    pub fn len(&self) -> usize {
        self.queens.len()
    }

    /// Whether the fleet is empty (never, once spawned).
    pub fn is_empty(&self) -> bool {
        self.queens.is_empty()
    }

    /// Stops every queen and waits for all of them (concurrently, so about one
    /// [`crate::server::SHUTDOWN_GRACE`] at most). Cancel safety: every stop signal is sent
    /// before the first await.
    pub async fn shutdown(self) {
        let mut set = tokio::task::JoinSet::new();
        for q in self.queens {
            set.spawn(q.shutdown());
        }
        while set.join_next().await.is_some() {}
    }
}
