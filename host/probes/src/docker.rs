//! Containers probe (provider `docker`): the Docker Engine API over its unix socket first, the
//! `docker ps --all --format '{{json .}}'` CLI as fallback.
//!
//! Both paths yield the same shape:
//! `{"containers":[{"id","name","image","status","status_text"}],"source":"api"|"cli","truncated":bool}`
//! where `id` is the first 12 characters, `name` the first name without a leading `/`, `image`
//! the image reference (`<none>` when empty), `status` the normalised state word (`running`,
//! `exited`, `paused`, `created`, `restarting`, `removing`, `dead`, `stopping` or `unknown`) and
//! `status_text` the engine's human text (`Up 5 minutes`). When the CLI answered after the API
//! failed, `api_error` carries the API failure.
//!
//! The API client (bollard) is compiled only with the cargo feature `docker-api`; without it
//! the API path fails at once with [`API_NOT_COMPILED`] (reported in `api_error`) and the CLI
//! answers.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::model::ProbeResult;
use crate::options::SnapshotOptions;

/// Provider name.
pub const PROVIDER: &str = "docker";
/// Default Docker Engine socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Upstream's error text when neither path is available (a detail follows after `: `).
pub const UNAVAILABLE: &str = "docker SDK and CLI unavailable";
/// Error text when some CLI lines were not JSON objects.
pub const PARSE_ERROR: &str = "some container records could not be parsed";
/// API failure text when the crate was built without the `docker-api` feature.
pub const API_NOT_COMPILED: &str =
    "docker Engine API client not compiled in (cargo feature `docker-api`)";

/// One container in normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// First 12 characters of the container id.
    pub id: String,
    /// Primary name, without a leading `/`.
    pub name: String,
    /// Image reference, `<none>` when empty.
    pub image: String,
    /// Normalised state word.
    pub status: String,
    /// Engine status text (`Up 2 hours`).
    pub status_text: String,
}

impl Container {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "image": self.image,
            "status": self.status,
            "status_text": self.status_text,
        })
    }
}

/// Runs the containers probe.
///
/// Cancel safety: dropping the future kills any child process it started; no state is kept
/// between calls, so a later call starts afresh.
pub async fn probe_docker(opts: &SnapshotOptions) -> ProbeResult {
    let max = opts.max_containers;
    let mut api_error = None;
    if opts.docker_source.tries_api() {
        match list_via_api(opts).await {
            Ok(containers) => return answered("api", containers, max, None, None),
            Err(e) => api_error = Some(e),
        }
    }
    if !opts.docker_source.tries_cli() {
        let reason = api_error.unwrap_or_default();
        return ProbeResult::skipped(PROVIDER, format!("docker API unavailable: {reason}"));
    }
    let args = ["ps", "--all", "--format", "{{json .}}"];
    let out = match opts.exec.run("docker", &args).await {
        Ok(out) => out,
        Err(e) => {
            let detail = crate::exec::fallback_detail(api_error.as_deref(), &e);
            return ProbeResult::skipped(PROVIDER, format!("{UNAVAILABLE}: {detail}"));
        }
    };
    if !out.success() {
        return answered("cli", Vec::new(), max, Some(out.error_text()), api_error);
    }
    let (containers, bad) = parse_cli_lines(&out.stdout);
    let error = (bad > 0).then(|| PARSE_ERROR.to_owned());
    answered("cli", containers, max, error, api_error)
}

fn answered(
    source: &str,
    mut containers: Vec<Container>,
    max: usize,
    error: Option<String>,
    api_error: Option<String>,
) -> ProbeResult {
    let truncated = containers.len() > max;
    containers.truncate(max);
    let mut data = Map::new();
    data.insert(
        "containers".into(),
        containers.iter().map(Container::to_json).collect(),
    );
    data.insert("source".into(), source.into());
    data.insert("truncated".into(), truncated.into());
    if let Some(api) = api_error {
        data.insert("api_error".into(), api.into());
    }
    ProbeResult::new(PROVIDER, Value::Object(data), error)
}

/// The socket the API path connects to.
///
/// # Errors
/// `DOCKER_HOST` names something other than a unix socket.
pub fn socket_path(opts: &SnapshotOptions) -> Result<PathBuf, String> {
    if let Some(path) = &opts.docker_socket {
        return Ok(path.clone());
    }
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => host
            .strip_prefix("unix://")
            .map(PathBuf::from)
            .ok_or_else(|| "DOCKER_HOST is not a unix:// socket".to_owned()),
        _ => Ok(PathBuf::from(DEFAULT_SOCKET)),
    }
}

#[cfg(feature = "docker-api")]
async fn list_via_api(opts: &SnapshotOptions) -> Result<Vec<Container>, String> {
    let socket = socket_path(opts)?;
    list_containers_api(&socket, opts.exec.timeout, opts.max_containers).await
}

#[cfg(not(feature = "docker-api"))]
async fn list_via_api(_opts: &SnapshotOptions) -> Result<Vec<Container>, String> {
    Err(API_NOT_COMPILED.to_owned())
}

/// Lists containers (all states, at most `max` plus one) through the Engine API on `socket`.
/// Only with the `docker-api` feature.
///
/// # Errors
/// Connection, HTTP, decoding or timeout failure, as text.
///
/// Cancel safety: dropping the future abandons the request; nothing is kept.
#[cfg(feature = "docker-api")]
pub async fn list_containers_api(
    socket: &std::path::Path,
    timeout: std::time::Duration,
    max: usize,
) -> Result<Vec<Container>, String> {
    use bollard::query_parameters::ListContainersOptions;
    use bollard::Docker;

    let path = socket
        .to_str()
        .ok_or_else(|| "docker socket path is not UTF-8".to_owned())?;
    let secs = timeout.as_secs().max(1);
    let docker = Docker::connect_with_unix(path, secs, bollard::API_DEFAULT_VERSION)
        .map_err(|e| e.to_string())?;
    let limit = i32::try_from(max.saturating_add(1)).unwrap_or(i32::MAX);
    let options = ListContainersOptions {
        all: true,
        limit: Some(limit),
        ..Default::default()
    };
    let summaries = tokio::time::timeout(timeout, docker.list_containers(Some(options)))
        .await
        .map_err(|_| format!("docker API timed out after {} ms", timeout.as_millis()))?
        .map_err(|e| e.to_string())?;
    Ok(summaries
        .into_iter()
        .map(|s| {
            let status_text = s.status.unwrap_or_default();
            let state = s.state.map(|st| st.to_string()).unwrap_or_default();
            Container {
                id: short_id(s.id.as_deref().unwrap_or_default()),
                name: first_name(s.names.unwrap_or_default().first().map(String::as_str)),
                image: image_or_none(s.image.as_deref()),
                status: normalise_state(&state, &status_text),
                status_text,
            }
        })
        .collect())
}

/// Parses `docker ps --format '{{json .}}'` output; returns the containers and the count of
/// non-empty lines that were not JSON objects.
#[must_use]
pub fn parse_cli_lines(text: &str) -> (Vec<Container>, usize) {
    let mut containers = Vec::new();
    let mut bad = 0usize;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Ok(Value::Object(rec)) = serde_json::from_str::<Value>(line) else {
            bad += 1;
            continue;
        };
        let field = |key: &str| rec.get(key).and_then(Value::as_str).unwrap_or_default();
        let status_text = field("Status").to_owned();
        containers.push(Container {
            id: short_id(field("ID")),
            name: first_name(field("Names").split(',').next()),
            image: image_or_none(Some(field("Image"))),
            status: normalise_state(field("State"), &status_text),
            status_text,
        });
    }
    (containers, bad)
}

fn short_id(id: &str) -> String {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.chars().take(12).collect()
}

fn first_name(name: Option<&str>) -> String {
    let name = name.unwrap_or_default().trim();
    name.strip_prefix('/').unwrap_or(name).to_owned()
}

fn image_or_none(image: Option<&str>) -> String {
    match image.map(str::trim) {
        Some(i) if !i.is_empty() => i.to_owned(),
        _ => "<none>".to_owned(),
    }
}

/// Normalises a container state: the engine's state word when known, else derived from the
/// status text (`Up …` → running, `Up … (Paused)` → paused, `Exited …` → exited, …).
#[must_use]
pub fn normalise_state(state: &str, status_text: &str) -> String {
    const KNOWN: [&str; 8] = [
        "created",
        "running",
        "paused",
        "restarting",
        "exited",
        "removing",
        "dead",
        "stopping",
    ];
    let state = state.trim().to_ascii_lowercase();
    if KNOWN.contains(&state.as_str()) {
        return state;
    }
    let text = status_text.trim().to_ascii_lowercase();
    let derived = if text.starts_with("up") {
        if text.contains("(paused)") {
            "paused"
        } else {
            "running"
        }
    } else if text.starts_with("exited") {
        "exited"
    } else if text.starts_with("created") {
        "created"
    } else if text.starts_with("restarting") {
        "restarting"
    } else if text.starts_with("removal") {
        "removing"
    } else if text.starts_with("dead") {
        "dead"
    } else {
        "unknown"
    };
    derived.to_owned()
}
