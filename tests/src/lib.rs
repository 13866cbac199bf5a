//! Cross-crate end-to-end tests: `cohesix-tokio` and the `cohsh` shell against the queen
//! simulator (`cohesix-sim`), and the same scenarios against a real queen on demand.
//!
//! ```text
//!   tests/*.rs ──► scenarios (this crate) ──► cohesix_tokio::Client ──TCP──► target
//!                     │                                                     ├─ Simulator (always)
//!                     └─ proxy.rs (cut / pause the queen→client stream) ────┴─ real queen
//!                                                                  (COHESIX_REAL_QUEEN=host:port)
//! ```
//!
//! Scenario functions assert only what the real queen and the simulator both do (the
//! real-queen notes are the ground truth); simulator-only checks live in the test files.
//!
//! Interop against a real queen (e.g. one booted with `shared/tools/real-queen/boot.sh`),
//! one command; without the variable the test prints a skip line and passes:
//!
//! ```sh
//! COHESIX_REAL_QUEEN=127.0.0.1:31337 cargo test -p cohesix-integration --test real_queen -- --nocapture
//! ```

pub mod proxy;
pub use cohesix_testsupport::raw;
pub mod scenarios;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cohesix_cli::shell::{Script, ScriptReport, Shell, ShellError, TcpBackend, Token};
use cohesix_sim::{Features, SimConfig, SimHandle, Simulator};
use cohesix_tokio::{ClientConfig, Credentials, RetryPolicy, Role};

/// The console token of the simulator and of the 0.3.0-alpha2 queen.
pub const TOKEN: &str = "changeme";

/// Path of the upstream fixture folder.
#[must_use]
pub fn upstream_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/upstream"))
}

/// A queen to test against.
#[derive(Clone, Debug)]
pub struct Target {
    /// Console address.
    pub addr: SocketAddr,
    /// Console token.
    pub token: String,
}

impl Target {
    /// Queen credentials.
    ///
    /// # Panics
    /// If the token is unusable.
    #[must_use]
    pub fn queen(&self) -> Credentials {
        Credentials::new(&self.token, Role::Queen, None).expect("queen credentials")
    }
}

/// Client configuration for tests: manifest defaults with a shorter deadline and
/// back-off so failure paths finish quickly.
#[must_use]
pub fn test_config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_millis(5000))
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(3)
                .with_backoff(Duration::from_millis(20))
                .with_ceiling(Duration::from_millis(200)),
        )
        .with_heartbeat(None)
}

/// Starts a simulator with the given namespace surfaces.
///
/// # Panics
/// If loopback cannot be bound.
pub async fn sim(features: Features) -> (SimHandle, Target) {
    let mut config = SimConfig::loopback();
    config.features = features;
    sim_with(config).await
}

/// Starts a simulator whose server clock stands still (ATTACH throttle windows never
/// expire on their own), so throttle checks do not depend on wall time.
///
/// # Panics
/// If loopback cannot be bound.
pub async fn sim_frozen_clock(features: Features) -> (SimHandle, Target) {
    let mut config = SimConfig::loopback();
    config.features = features;
    config.clock = std::sync::Arc::new(cohesix_sim::ManualClock::new(1_000));
    sim_with(config).await
}

async fn sim_with(config: SimConfig) -> (SimHandle, Target) {
    let handle = Simulator::spawn(config).await.expect("spawn simulator");
    let target = Target {
        addr: handle.local_addr(),
        token: TOKEN.to_owned(),
    };
    (handle, target)
}

/// The real queen named by `COHESIX_REAL_QUEEN=host:port` (token from `COHSH_AUTH_TOKEN`,
/// default `changeme`), if set.
#[must_use]
pub fn real_queen() -> Option<Target> {
    let spec = std::env::var("COHESIX_REAL_QUEEN").ok()?;
    let addr = std::net::ToSocketAddrs::to_socket_addrs(spec.trim())
        .ok()?
        .next()?;
    let token = std::env::var("COHSH_AUTH_TOKEN").unwrap_or_else(|_| TOKEN.to_owned());
    Some(Target { addr, token })
}

/// Which simulator surfaces an upstream script needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surfaces {
    /// The shipped queen's namespace.
    Shipped,
    /// Every simulated surface (policy gate, PEFT exports, ...).
    Full,
}

impl Surfaces {
    /// The simulator features.
    #[must_use]
    pub fn features(self) -> Features {
        match self {
            Self::Shipped => Features::shipped(),
            Self::Full => Features::full(),
        }
    }
}

/// Upstream `.coh` scripts that only use what the simulator serves, with the surfaces
/// they need. `lifecycle_basic.coh` and `lifecycle_reboot_resume.coh` need the upstream
/// lifecycle of [`Surfaces::Full`]: the real 0.3.0-alpha2 queen (and the shipped profile)
/// refuses `quiesce` and `drain` with `error=EPERM`.
pub const SIM_SCRIPTS: &[(&str, Surfaces)] = &[
    ("9p_batch.coh", Surfaces::Shipped),
    ("boot_v0.coh", Surfaces::Shipped),
    ("busy_backpressure.coh", Surfaces::Shipped),
    ("host_absent.coh", Surfaces::Shipped),
    ("lifecycle_basic.coh", Surfaces::Full),
    ("lifecycle_drain_spool.coh", Surfaces::Shipped),
    ("lifecycle_reboot_resume.coh", Surfaces::Full),
    ("observe_watch.coh", Surfaces::Shipped),
    ("root_cut_basic.coh", Surfaces::Shipped),
    ("session_lifecycle.coh", Surfaces::Shipped),
    ("shard_1k.coh", Surfaces::Shipped),
    ("tcp_basic.coh", Surfaces::Shipped),
    ("telemetry_ring.coh", Surfaces::Shipped),
    ("peft_roundtrip.coh", Surfaces::Full),
    ("policy_gate.coh", Surfaces::Full),
    ("replay_journal.coh", Surfaces::Full),
    ("sidecar_integration.coh", Surfaces::Full),
];

/// Upstream scripts not run, and why.
pub const SKIPPED_SCRIPTS: &[(&str, &str)] = &[
    (
        "cas_roundtrip.coh",
        "CAS /updates is not served by the simulator",
    ),
    (
        "model_cas_bind.coh",
        "CAS /models is not served by the simulator",
    ),
    (
        "host_sidecar_mock.coh",
        "expects EPERM on a worker ECHO; the real queen answers detail=denied without EPERM",
    ),
    (
        "run_demo.coh",
        "its ECHO payloads exceed 128 bytes; the real queen refuses them too",
    ),
    (
        "session_pool.coh",
        "`pool bench` is an upstream-cohsh-only feature",
    ),
    (
        "telemetry_push_create.coh",
        "written for the 0.3 manifest's 32 KiB segments: under the 0.9 manifest a segment holds \
         128 KiB, so its 33000-byte 'oversize' push fits (upstream's later script expects OK)",
    ),
];

/// Output of a script run.
#[derive(Debug)]
pub struct ScriptRun {
    /// The report, or the first failure.
    pub result: Result<ScriptReport, ShellError>,
    /// ACK transcript (as in the upstream transcript fixtures).
    pub transcript: Vec<String>,
    /// Everything printed.
    pub output: String,
}

/// Runs script text against `target` with the shell (relative files resolve against the
/// upstream fixture folder).
///
/// # Panics
/// If the script does not parse.
pub async fn run_script(target: &Target, text: &str) -> ScriptRun {
    let script = Script::parse(text).expect("script parses");
    let backend = TcpBackend::new(target.addr, Token::new(target.token.clone()), test_config());
    let mut out = Vec::new();
    let mut shell = Shell::new(backend, &mut out, upstream_dir());
    let result = shell.run_script(&script).await;
    let transcript = shell.transcript().to_vec();
    drop(shell);
    ScriptRun {
        result,
        transcript,
        output: String::from_utf8_lossy(&out).into_owned(),
    }
}

/// Reads an upstream transcript fixture as lines.
///
/// # Panics
/// If the fixture is missing.
#[must_use]
pub fn transcript_fixture(scenario: &str, frontend: &str) -> Vec<String> {
    let path = upstream_dir()
        .join("tests/fixtures/transcripts")
        .join(scenario)
        .join(format!("{frontend}.txt"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}
