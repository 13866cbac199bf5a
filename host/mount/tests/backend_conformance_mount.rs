//! The host library's backend conformance suite (host/tests/backend_conformance.rs, included
//! unchanged) with two more backends: the library's `FilesystemBackend` over a real FUSE
//! mount of a TCP simulator (`mount-tcp`) and of the mock (`mount-mock`). Every operation
//! must give the same result and the same kind of error as on the mock, the directory and
//! TCP.

mod support;

#[path = "../../tests/backend_conformance.rs"]
mod suite;

use std::any::Any;

use cohesix::backend::{AnyBackend, FilesystemBackend, MockOptions};
use cohesix::blocking::Backend;
use cohesix::discovery::BackendSpec;
use cohesix_mount::{mount, MountOptions};
use cohesix_sim::{AuthToken, SimConfig, Simulator};

/// The mount-backed backends for the suite's rig (nothing where FUSE is absent outside CI,
/// after one loud line).
pub(crate) async fn mount_backends(
    tag: &str,
    keep: &mut Vec<Box<dyn Any + Send>>,
) -> Vec<(&'static str, AnyBackend)> {
    if !support::fuse_ok(&format!("backend conformance over a mount ({tag})")) {
        return Vec::new();
    }
    let mut config = SimConfig::mock(false);
    config.token = AuthToken::new("conformance-token");
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let tcp = cohesix::backend::TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        cohesix::auth::Secret::new("conformance-token"),
    );
    let mut out: Vec<(&'static str, AnyBackend)> = Vec::new();
    for (name, spec) in [
        ("mount-tcp", BackendSpec::Tcp(tcp)),
        ("mount-mock", BackendSpec::Mock(MockOptions::new())),
    ] {
        // The blocking facade refuses to run inside a runtime (blocking-pool threads count):
        // open it on a plain thread.
        let backend = std::thread::spawn(move || Backend::open(&spec))
            .join()
            .unwrap()
            .unwrap();
        let at = support::mount_point(&format!("conf-{tag}-{name}"));
        let mounted = mount(backend, MountOptions::new(&at)).unwrap();
        support::wait_mounted(&at);
        out.push((name, FilesystemBackend::new(&at).unwrap().into()));
        keep.push(Box::new(support::Guard(Some(mounted), at)));
    }
    keep.push(Box::new(sim));
    out
}
