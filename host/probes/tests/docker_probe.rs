//! The containers probe: Engine API on a fake unix-socket server, CLI on fake executables.

mod common;

use std::time::Duration;

use cohesix_probes::docker::{normalise_state, probe_docker};
use cohesix_probes::{ProbeStatus, SnapshotOptions, SourceChoice};
use common::{unix_server, Canned, FakeBin};
use serde_json::{json, Value};

const API_BODY: &str = r#"[
 {"Id":"4f66ad9a0b2e8f1c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e","Names":["/web"],"Image":"nginx:1.27","State":"running","Status":"Up 2 hours"},
 {"Id":"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789","Names":["/job"],"Image":"","State":"exited","Status":"Exited (0) 3 days ago"}
]"#;

const CLI_LINES: &str = concat!(
    r#"{"Command":"\"/docker-entrypoint.…\"","ID":"4f66ad9a0b2e","Image":"nginx:1.27","Names":"web","State":"running","Status":"Up 2 hours"}"#,
    "\n",
    r#"{"ID":"abcdef012345","Image":"","Names":"job","Status":"Exited (0) 3 days ago"}"#,
    "\n"
);

fn expected_containers() -> Value {
    json!([
        {"id": "4f66ad9a0b2e", "name": "web", "image": "nginx:1.27", "status": "running", "status_text": "Up 2 hours"},
        {"id": "abcdef012345", "name": "job", "image": "<none>", "status": "exited", "status_text": "Exited (0) 3 days ago"}
    ])
}

fn docker_opts(bin: &FakeBin) -> SnapshotOptions {
    let mut opts = bin.options();
    opts.include_docker = true;
    opts
}

#[cfg(feature = "docker-api")]
#[tokio::test]
async fn api_answers_over_the_unix_socket() {
    let bin = FakeBin::new();
    bin.printing("docker", CLI_LINES, 0);
    let socket = bin.path().join("docker.sock");
    let (seen, server) = unix_server(
        &socket,
        Canned {
            status: 200,
            body: API_BODY.into(),
        },
    );
    let mut opts = docker_opts(&bin);
    opts.docker_socket = Some(socket);
    let r = probe_docker(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "api");
    assert_eq!(r.data["containers"], expected_containers());
    assert!(bin.argv("docker").is_empty(), "CLI not used");
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1);
    let line = requests[0].lines().next().unwrap_or_default().to_owned();
    assert!(line.starts_with("GET /"), "{line}");
    assert!(line.contains("/containers/json?"), "{line}");
    assert!(line.contains("all=true"), "{line}");
    assert!(line.contains("limit=257"), "{line}");
}

#[cfg(feature = "docker-api")]
#[tokio::test]
async fn cli_fallback_has_the_same_shape() {
    let bin = FakeBin::new();
    bin.printing("docker", CLI_LINES, 0);
    let socket = bin.path().join("docker.sock");
    let (_seen, server) = unix_server(
        &socket,
        Canned {
            status: 500,
            body: r#"{"message":"daemon exploded"}"#.into(),
        },
    );
    let mut opts = docker_opts(&bin);
    opts.docker_socket = Some(socket);
    let r = probe_docker(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "cli");
    assert_eq!(r.data["containers"], expected_containers());
    assert!(r.data["api_error"]
        .as_str()
        .is_some_and(|e| e.contains("daemon exploded")));
    assert_eq!(
        bin.argv("docker"),
        vec!["ps", "--all", "--format", "{{json .}}"]
    );
}

/// Without the `docker-api` feature a live Engine socket is never contacted: the CLI answers
/// and `api_error` says the client is not compiled in.
#[cfg(not(feature = "docker-api"))]
#[tokio::test]
async fn without_the_api_client_the_cli_answers_and_says_so() {
    let bin = FakeBin::new();
    bin.printing("docker", CLI_LINES, 0);
    let socket = bin.path().join("docker.sock");
    let (seen, server) = unix_server(
        &socket,
        Canned {
            status: 200,
            body: API_BODY.into(),
        },
    );
    let mut opts = docker_opts(&bin);
    opts.docker_socket = Some(socket);
    let r = probe_docker(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "cli");
    assert_eq!(r.data["containers"], expected_containers());
    assert_eq!(
        r.data["api_error"],
        cohesix_probes::docker::API_NOT_COMPILED
    );
    opts.docker_source = SourceChoice::Api;
    let r = probe_docker(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(
        r.error.as_deref(),
        Some("docker API unavailable: docker Engine API client not compiled in (cargo feature `docker-api`)")
    );
    assert!(
        seen.lock().expect("lock").is_empty(),
        "socket not contacted"
    );
}

#[tokio::test]
async fn bad_cli_lines_degrade() {
    let bin = FakeBin::new();
    let text = format!("{CLI_LINES}not json\n[1,2]\n\n");
    bin.printing("docker", &text, 0);
    let r = probe_docker(&docker_opts(&bin)).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("some container records could not be parsed")
    );
    assert_eq!(r.data["containers"], expected_containers());
}

#[tokio::test]
async fn failing_cli_degrades_with_stderr() {
    let bin = FakeBin::new();
    bin.failing(
        "docker",
        "permission denied while trying to connect to the Docker daemon socket\n",
        1,
    );
    let r = probe_docker(&docker_opts(&bin)).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("permission denied while trying to connect to the Docker daemon socket")
    );
    assert_eq!(r.data["containers"], json!([]));
}

#[tokio::test]
async fn nothing_available_is_skipped() {
    let bin = FakeBin::new();
    let r = probe_docker(&docker_opts(&bin)).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    let e = r.error.expect("error");
    assert!(
        e.starts_with("docker SDK and CLI unavailable: api: "),
        "{e}"
    );
    assert!(e.ends_with("cli: command not found: docker"), "{e}");
}

#[tokio::test]
async fn hanging_cli_and_forced_api() {
    let bin = FakeBin::new();
    bin.hanging("docker");
    let mut opts = docker_opts(&bin);
    opts.exec.timeout = Duration::from_millis(300);
    let r = probe_docker(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert!(r
        .error
        .expect("error")
        .ends_with("cli: command timed out: docker ps --all --format {{json .}}"));

    opts.docker_source = SourceChoice::Api;
    let r = probe_docker(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert!(r
        .error
        .expect("error")
        .starts_with("docker API unavailable: "));
}

#[tokio::test]
async fn container_cap_truncates() {
    let bin = FakeBin::new();
    bin.printing("docker", CLI_LINES, 0);
    let mut opts = docker_opts(&bin);
    opts.docker_source = SourceChoice::Cli;
    opts.max_containers = 1;
    let r = probe_docker(&opts).await;
    assert_eq!(r.data["containers"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.data["truncated"], true);
    assert_eq!(r.data.get("api_error"), None);
}

#[test]
fn states_are_normalised() {
    assert_eq!(normalise_state("", "Up 5 minutes (Paused)"), "paused");
    assert_eq!(normalise_state("", "Up 5 minutes"), "running");
    assert_eq!(normalise_state("", "Exited (137) 2 hours ago"), "exited");
    assert_eq!(normalise_state("", "Created"), "created");
    assert_eq!(
        normalise_state("", "Restarting (1) 3 seconds ago"),
        "restarting"
    );
    assert_eq!(normalise_state("", "Removal In Progress"), "removing");
    assert_eq!(normalise_state("", "Dead"), "dead");
    assert_eq!(normalise_state("RUNNING", "whatever"), "running");
    assert_eq!(normalise_state("bogus", "???"), "unknown");
}
