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
//! Limitation: a kubeconfig `exec` credential plugin is run by kube-rs itself; the overall
//! timeout bounds the API exchange at its await points but cannot interrupt a plugin that
//! blocks the runtime thread.

use std::path::Path;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};

use crate::model::ProbeResult;
use crate::options::SnapshotOptions;

/// Provider name.
pub const PROVIDER: &str = "k8s";
/// Upstream's error text when neither path is available (a detail follows after `: `).
pub const UNAVAILABLE: &str = "kubernetes SDK and kubectl unavailable";
/// Error text for kubectl output that is not a JSON object.
pub const INVALID_JSON: &str = "kubectl returned invalid JSON payload";
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
            let detail = match &api_error {
                Some(api) => format!("api: {api}; cli: {e}"),
                None => format!("cli: {e}"),
            };
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

async fn list_via_api_inner(opts: &SnapshotOptions) -> Result<Vec<PodPhase>, String> {
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
    /// Collects secrets from `kubeconfig` (or the inferred kubeconfig when `None`) and the
    /// in-cluster token. Unreadable sources are ignored.
    #[must_use]
    pub fn load(kubeconfig: Option<&Path>) -> Self {
        let mut redactor = Self::default();
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
                redactor.add(secret.expose_secret());
            }
            for value in auth.auth_provider.iter().flat_map(|p| p.config.values()) {
                redactor.add(value);
            }
        }
        if let Ok(token) = std::fs::read_to_string(SERVICE_ACCOUNT_TOKEN) {
            redactor.add(token.trim());
        }
        redactor
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
