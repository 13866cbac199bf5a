//! Manifest-derived constants for the Cohesix client stack.
//!
//! PLACEHOLDER: hand-written until the manifest compiler (`coh-rtc compile`) generates this
//! file from `configs/root_task.toml`. Names are the contract; values follow the shipped
//! upstream manifest.
#![no_std]

/// SHA-256 of the resolved manifest JSON these constants were derived from.
pub const MANIFEST_SHA256: &str =
    "3a20adc55c8f975e20e8ef031422f8a09b4a7b8e524dd052bf69296ddf7ff1af";

/// Console grammar limits (constants of the console grammar, not manifest keys).
pub mod console {
    /// Longest console line in bytes.
    pub const MAX_LINE_LEN: usize = 256;
    /// Longest path argument in bytes.
    pub const MAX_PATH_LEN: usize = 96;
    /// Longest ECHO payload in bytes.
    pub const MAX_ECHO_LEN: usize = 128;
    /// Longest SPAWN JSON payload in bytes.
    pub const MAX_JSON_LEN: usize = 192;
    /// Longest worker id in bytes.
    pub const MAX_ID_LEN: usize = 32;
    /// Longest role label in bytes.
    pub const MAX_ROLE_LEN: usize = 16;
    /// Longest ticket in bytes.
    pub const MAX_TICKET_LEN: usize = 224;
    /// Smallest legal frame `total_len` (the length prefix alone).
    pub const MIN_FRAME_LEN: usize = 4;
    /// Largest frame `total_len` a client accepts (Secure9P msize).
    pub const MAX_FRAME_LEN: usize = 8192;
    /// Commands the server buffers between executor polls (pipelining bound).
    pub const MAX_IN_FLIGHT: usize = 8;
    /// TCP console port.
    pub const TCP_PORT: u16 = 31337;
}

/// `[secure9p]`.
pub mod secure9p {
    /// Negotiated message size ceiling.
    pub const MSIZE: u32 = 8192;
    /// Maximum path components per walk.
    pub const WALK_DEPTH: usize = 8;
    /// Tags per session.
    pub const TAGS_PER_SESSION: u32 = 16;
    /// Frames per batch.
    pub const BATCH_FRAMES: u32 = 1;
}

/// `[client_policies.retry]`.
pub mod retry {
    /// Retries after the first failure.
    pub const MAX_ATTEMPTS: u32 = 3;
    /// First back-off delay.
    pub const BACKOFF_MS: u64 = 200;
    /// Back-off ceiling.
    pub const CEILING_MS: u64 = 2000;
    /// Per-operation timeout.
    pub const TIMEOUT_MS: u64 = 5000;
}

/// `[client_policies.heartbeat]`.
pub mod heartbeat {
    /// Idle PING cadence.
    pub const INTERVAL_MS: u64 = 15000;
}

/// `[client_policies.cohsh.tail]`.
pub mod tail {
    /// Default poll interval.
    pub const POLL_MS_DEFAULT: u64 = 1000;
    /// Smallest poll interval.
    pub const POLL_MS_MIN: u64 = 250;
    /// Largest poll interval.
    pub const POLL_MS_MAX: u64 = 10000;
}

/// `[ticket_limits]` (0 means unlimited).
pub mod ticket_limits {
    /// Maximum scopes per ticket.
    pub const MAX_SCOPES: usize = 8;
    /// Maximum scope path length.
    pub const MAX_SCOPE_PATH_LEN: usize = 128;
    /// Maximum scope rate.
    pub const MAX_SCOPE_RATE_PER_S: u32 = 64;
    /// Session bandwidth budget.
    pub const BANDWIDTH_BYTES: u64 = 131072;
    /// Cursor resumes.
    pub const CURSOR_RESUMES: u32 = 16;
    /// Cursor advances.
    pub const CURSOR_ADVANCES: u32 = 256;
}

/// `[client_paths]`.
pub mod paths {
    /// Queen control file.
    pub const QUEEN_CTL: &str = "/queen/ctl";
    /// Queen lifecycle control file.
    pub const QUEEN_LIFECYCLE_CTL: &str = "/queen/lifecycle/ctl";
    /// Queen log.
    pub const LOG: &str = "/log/queen.log";
}

/// `[telemetry_ingest]`.
pub mod telemetry_ingest {
    /// Segments kept per device.
    pub const MAX_SEGMENTS_PER_DEVICE: u32 = 4;
    /// Bytes per segment.
    pub const MAX_BYTES_PER_SEGMENT: u32 = 32768;
    /// Bytes per device.
    pub const MAX_TOTAL_BYTES_PER_DEVICE: u32 = 131072;
    /// Eviction policy.
    pub const EVICTION_POLICY: &str = "evict-oldest";
}
