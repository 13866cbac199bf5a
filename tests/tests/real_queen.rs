//! Interop suite against a real upstream queen (opt-in).
//!
//! ```sh
//! COHESIX_REAL_QUEEN=127.0.0.1:31337 cargo test -p cohesix-integration --test real_queen -- --nocapture
//! ```
//!
//! Without `COHESIX_REAL_QUEEN` the test prints a skip line and returns. `COHSH_AUTH_TOKEN`
//! overrides the console token (default `changeme`, the 0.3.0-alpha2 placeholder). The
//! same suite runs against the simulator in `sim_client.rs` on every `cargo test`.

use std::time::Duration;

use cohesix_integration::{real_queen, scenarios};

#[tokio::test]
async fn real_queen_interop() {
    let Some(t) = real_queen() else {
        println!("skip real_queen_interop: set COHESIX_REAL_QUEEN=host:port to run it");
        return;
    };
    println!("interop against {}", t.addr);
    scenarios::interop_suite(&t, Duration::from_millis(300)).await;
    println!("real queen interop: all scenarios passed");
}
