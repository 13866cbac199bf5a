//! Kubernetes probe (provider `k8s`): the API through kube-rs (explicit kubeconfig, else
//! `KUBECONFIG`/`~/.kube/config`, else in-cluster) first, `kubectl get pods -n NS -o json
//! [-l SEL]` as fallback.
//!
//! Data: `{"namespace","pods":[{"name","phase"}],"phases":{phase:count},"source":"api"|"kubectl",
//! "truncated":bool}` (a missing name reads `unknown`, a missing phase `Unknown`), plus
//! `api_error` when kubectl answered after the API failed. Zero pods is still `ok`.
//!
//! Secrets: error texts pass through [`Redactor`], which removes every token, password, client
//! key and auth-provider value found in the kubeconfig (and the in-cluster service-account
//! token) as well as any `Bearer …` credential; a kubeconfig that cannot be parsed is reported
//! without the parser's message, which could quote file contents.
//!
//! The API client (kube-rs, k8s-openapi) is compiled only with the cargo feature `k8s-api`;
//! without it the API path fails at once with [`API_NOT_COMPILED`] (reported in `api_error`)
//! and kubectl answers. The redactor then finds kubeconfig secrets with a line scan of the
//! kubeconfig files (`token:`, `password:`, `client-key-data:`, … keys) instead of kube's
//! parser; with the feature it uses both.
//!
//! Limitation: a kubeconfig `exec` credential plugin is run by kube-rs itself; the overall
//! timeout bounds the API exchange at its await points but cannot interrupt a plugin that
//! blocks the runtime thread.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::model::ProbeResult;
use crate::options::SnapshotOptions;

/// Provider name.
pub const PROVIDER: &str = "k8s";
/// Upstream's error text when neither path is available (a detail follows after `: `).
pub const UNAVAILABLE: &str = "kubernetes SDK and kubectl unavailable";
/// Error text for kubectl output that is not a JSON object.
pub const INVALID_JSON: &str = "kubectl returned invalid JSON payload";
/// API failure text when the crate was built without the `k8s-api` feature.
pub const API_NOT_COMPILED: &str =
    "kubernetes API client not compiled in (cargo feature `k8s-api`)";
/// In-cluster service-account token (scrubbed from errors when readable).
const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// A pod's name and phase.
pub type PodPhase = (String, String);

/// Runs the k8s probe.
///
/// Cancel safety: dropping the future kills any child process it started; no state is kept
/// between calls, so a later call starts afresh.
pub async fn probe_kubernetes(opts: &SnapshotOptions) -> ProbeResult {
    let redactor = Redactor::load(opts.kubeconfig.as_deref());
    let ns = opts.k8s_namespace.as_str();
    let mut api_error = None;
    if opts.k8s_source.tries_api() {
        match list_via_api(opts).await {
            Ok(pods) => return answered(ns, "api", pods, opts.max_pods, None, None),
            Err(e) => api_error = Some(redactor.scrub(&e)),
        }
    }
    if !opts.k8s_source.tries_cli() {
        let reason = api_error.unwrap_or_default();
        return ProbeResult::skipped(PROVIDER, format!("kubernetes API unavailable: {reason}"));
    }
    let mut args = vec!["get", "pods", "-n", ns, "-o", "json"];
    if !opts.k8s_label_selector.is_empty() {
        args.extend(["-l", opts.k8s_label_selector.as_str()]);
    }
    let out = match opts.exec.run("kubectl", &args).await {
        Ok(out) => out,
        Err(e) => {
            let detail = crate::exec::fallback_detail(api_error.as_deref(), &e);
            return ProbeResult::skipped(PROVIDER, format!("{UNAVAILABLE}: {detail}"));
        }
    };
    if !out.success() {
        let data = answered_data(ns, "kubectl", &[], false, api_error);
        return ProbeResult::new(PROVIDER, data, Some(redactor.scrub(&out.error_text())));
    }
    match parse_kubectl_pods(&out.stdout) {
        Some(pods) => answered(ns, "kubectl", pods, opts.max_pods, None, api_error),
        None => {
            let data = answered_data(ns, "kubectl", &[], false, api_error);
            ProbeResult::new(PROVIDER, data, Some(INVALID_JSON.to_owned()))
        }
    }
}

fn answered(
    ns: &str,
    source: &str,
    mut pods: Vec<PodPhase>,
    max: usize,
    error: Option<String>,
    api_error: Option<String>,
) -> ProbeResult {
    let truncated = pods.len() > max;
    pods.truncate(max);
    let data = answered_data(ns, source, &pods, truncated, api_error);
    ProbeResult::new(PROVIDER, data, error)
}

fn answered_data(
    ns: &str,
    source: &str,
    pods: &[PodPhase],
    truncated: bool,
    api_error: Option<String>,
) -> Value {
    let mut phases = Map::new();
    for (_, phase) in pods {
        let count = phases.get(phase).and_then(Value::as_u64).unwrap_or(0);
        phases.insert(phase.clone(), (count + 1).into());
    }
    let pods: Vec<Value> = pods
        .iter()
        .map(|(name, phase)| json!({ "name": name, "phase": phase }))
        .collect();
    let mut data = Map::new();
    data.insert("namespace".into(), ns.into());
    data.insert("pods".into(), pods.into());
    data.insert("phases".into(), Value::Object(phases));
    data.insert("source".into(), source.into());
    data.insert("truncated".into(), truncated.into());
    if let Some(api) = api_error {
        data.insert("api_error".into(), api.into());
    }
    Value::Object(data)
}

/// Parses `kubectl get pods -o json`; `None` when the payload is not a JSON object.
#[must_use]
pub fn parse_kubectl_pods(text: &str) -> Option<Vec<PodPhase>> {
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let items = doc.get("items").and_then(Value::as_array);
    Some(
        items
            .into_iter()
            .flatten()
            .map(|item| {
                let name = item.pointer("/metadata/name").and_then(Value::as_str);
                let phase = item.pointer("/status/phase").and_then(Value::as_str);
                (
                    name.unwrap_or("unknown").to_owned(),
                    phase.unwrap_or("Unknown").to_owned(),
                )
            })
            .collect(),
    )
}

/// Lists pods through the API, the whole exchange (config, auth, request) bounded by the
/// exec timeout.
async fn list_via_api(opts: &SnapshotOptions) -> Result<Vec<PodPhase>, String> {
    let timeout = opts.exec.timeout;
    match tokio::time::timeout(timeout, list_via_api_inner(opts)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "kubernetes API timed out after {} ms",
            timeout.as_millis()
        )),
    }
}

#[cfg(not(feature = "k8s-api"))]
async fn list_via_api_inner(_opts: &SnapshotOptions) -> Result<Vec<PodPhase>, String> {
    Err(API_NOT_COMPILED.to_owned())
}

#[cfg(feature = "k8s-api")]
async fn list_via_api_inner(opts: &SnapshotOptions) -> Result<Vec<PodPhase>, String> {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, ListParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};
    use kube::{Client, Config};

    let mut config = match &opts.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|_| {
                format!("kubeconfig {} could not be read or parsed", path.display())
            })?;
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|e| e.to_string())?
        }
        None => Config::infer().await.map_err(|e| e.to_string())?,
    };
    let timeout = Some(opts.exec.timeout);
    config.connect_timeout = timeout;
    config.read_timeout = timeout;
    config.write_timeout = timeout;
    config.default_retry = false;
    let client = Client::try_from(config).map_err(|e| e.to_string())?;
    let pods: Api<Pod> = Api::namespaced(client, &opts.k8s_namespace);
    let limit = u32::try_from(opts.max_pods.saturating_add(1)).unwrap_or(u32::MAX);
    let mut params = ListParams::default().limit(limit);
    if !opts.k8s_label_selector.is_empty() {
        params = params.labels(&opts.k8s_label_selector);
    }
    let list = pods.list(&params).await.map_err(|e| e.to_string())?;
    Ok(list
        .items
        .into_iter()
        .map(|pod| {
            let name = pod.metadata.name.unwrap_or_else(|| "unknown".to_owned());
            let phase = pod.status.and_then(|s| s.phase);
            (name, phase.unwrap_or_else(|| "Unknown".to_owned()))
        })
        .collect())
}

/// Removes known credentials from error texts.
#[derive(Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Secrets shorter than this are not scrubbed (they would mangle ordinary words).
const MIN_SECRET_LEN: usize = 6;

impl Redactor {
    /// Collects secrets from `kubeconfig` (or the inferred kubeconfig files when `None`:
    /// `KUBECONFIG`, else `~/.kube/config`) and the in-cluster token. Unreadable sources are
    /// ignored.
    #[must_use]
    pub fn load(kubeconfig: Option<&Path>) -> Self {
        let mut redactor = Self::default();
        #[cfg(feature = "k8s-api")]
        redactor.add_parsed(kubeconfig);
        for path in kubeconfig_files(kubeconfig) {
            if let Some(text) = read_capped(&path, MAX_KUBECONFIG_BYTES) {
                for secret in scan_kubeconfig_secrets(&text) {
                    redactor.add(secret);
                }
            }
        }
        if let Ok(token) = std::fs::read_to_string(SERVICE_ACCOUNT_TOKEN) {
            redactor.add(token.trim());
        }
        redactor
    }

    /// Adds the secrets kube's kubeconfig parser finds.
    #[cfg(feature = "k8s-api")]
    fn add_parsed(&mut self, kubeconfig: Option<&Path>) {
        use kube::config::Kubeconfig;
        use secrecy::ExposeSecret;

        let parsed = match kubeconfig {
            Some(path) => Kubeconfig::read_from(path).ok(),
            None => Kubeconfig::read().ok(),
        };
        for named in parsed.iter().flat_map(|k| k.auth_infos.iter()) {
            let Some(auth) = &named.auth_info else {
                continue;
            };
            for secret in [&auth.token, &auth.password, &auth.client_key_data]
                .into_iter()
                .flatten()
            {
                self.add(secret.expose_secret());
            }
            for value in auth.auth_provider.iter().flat_map(|p| p.config.values()) {
                self.add(value);
            }
        }
    }

    /// Adds one secret value.
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN {
            self.secrets.push(secret.to_owned());
        }
    }

    /// Returns `text` with every known secret and every `Bearer <credential>` replaced by
    /// `<redacted>`.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "<redacted>");
        }
        scrub_bearer(&out)
    }
}

/// Largest kubeconfig file scanned for secrets.
const MAX_KUBECONFIG_BYTES: usize = 1024 * 1024;
/// Most kubeconfig files (from `KUBECONFIG`) scanned.
const MAX_KUBECONFIG_FILES: usize = 16;
/// Kubeconfig keys whose values are credentials.
const SECRET_KEYS: [&str; 8] = [
    "token",
    "password",
    "client-key-data",
    "id-token",
    "refresh-token",
    "access-token",
    "client-secret",
    "apiKey",
];

/// The kubeconfig files kubectl would read: the explicit one, else each `KUBECONFIG` entry,
/// else `~/.kube/config`.
fn kubeconfig_files(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    match std::env::var_os("KUBECONFIG") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .take(MAX_KUBECONFIG_FILES)
            .collect(),
        _ => std::env::var_os("HOME")
            .map(|home| vec![Path::new(&home).join(".kube").join("config")])
            .unwrap_or_default(),
    }
}

fn read_capped(path: &Path, max: usize) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX))
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Values of credential keys (`token: …`, `- password: "…"`) in block-style kubeconfig YAML;
/// quotes are removed, block scalars and empty values skipped.
#[must_use]
pub fn scan_kubeconfig_secrets(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ").trim_start();
            let (key, value) = line.split_once(':')?;
            let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
            if !SECRET_KEYS.contains(&key) {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            (!value.is_empty() && !value.starts_with(['|', '>', '#'])).then_some(value)
        })
        .collect()
}

fn scrub_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("Bearer ") {
        let (head, tail) = rest.split_at(pos + "Bearer ".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str("<redacted>");
        }
        rest = tail.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}
