//! The k8s probe: API via a kubeconfig pointing at a fake loopback server, kubectl on fake
//! executables, and no secret in the output.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cohesix_probes::k8s::{parse_kubectl_pods, probe_kubernetes, Redactor};
use cohesix_probes::{
    snapshot_to_ndjson, HostSnapshot, ProbeResult, ProbeStatus, SnapshotOptions, SourceChoice,
};
use common::{tcp_server, Canned, FakeBin};
use serde_json::json;

const TOKEN: &str = "s3cr3t-token-0123456789abcdef";

const POD_LIST: &str = r#"{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"7"},"items":[
 {"metadata":{"name":"trainer-0"},"status":{"phase":"Running"}},
 {"metadata":{"name":"trainer-1"},"status":{"phase":"Running"}},
 {"metadata":{"name":"setup"},"status":{"phase":"Succeeded"}},
 {"metadata":{"name":"pending-x"},"status":{}},
 {"metadata":{},"status":{"phase":"Failed"}}
]}"#;

fn write_kubeconfig(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake-user\n\
         current-context: fake\nusers:\n- name: fake-user\n  user:\n    token: {TOKEN}\n"
    );
    std::fs::write(&path, text).expect("kubeconfig");
    path
}

fn k8s_opts(bin: &FakeBin, kubeconfig: PathBuf) -> SnapshotOptions {
    let mut opts = bin.options();
    opts.include_k8s = true;
    opts.kubeconfig = Some(kubeconfig);
    opts.k8s_namespace = "ml".into();
    opts.k8s_label_selector = "app=trainer".into();
    opts
}

fn assert_no_secret(result: &ProbeResult) {
    let mut snapshot = HostSnapshot::new("2026-11-26T00:00:00.000000+00:00");
    snapshot.insert(result.clone());
    let text = snapshot_to_ndjson(&snapshot);
    assert!(!text.contains(TOKEN), "secret leaked: {text}");
    assert!(!format!("{result:?}").contains(TOKEN));
}

fn expected_pods() -> serde_json::Value {
    json!([
        {"name": "trainer-0", "phase": "Running"},
        {"name": "trainer-1", "phase": "Running"},
        {"name": "setup", "phase": "Succeeded"},
        {"name": "pending-x", "phase": "Unknown"},
        {"name": "unknown", "phase": "Failed"}
    ])
}

#[cfg(feature = "k8s-api")]
#[tokio::test]
async fn api_lists_pods_with_the_kubeconfig_token() {
    let bin = FakeBin::new();
    let (port, seen, server) = tcp_server(Canned {
        status: 200,
        body: POD_LIST.into(),
    })
    .await;
    let opts = k8s_opts(&bin, write_kubeconfig(bin.path(), port));
    let r = probe_kubernetes(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "api");
    assert_eq!(r.data["namespace"], "ml");
    assert_eq!(r.data["pods"], expected_pods());
    assert_eq!(
        r.data["phases"],
        json!({"Running": 2, "Succeeded": 1, "Unknown": 1, "Failed": 1})
    );
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1);
    let head = requests[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /api/v1/namespaces/ml/pods?"),
        "{head}"
    );
    assert!(head.contains("labelselector=app%3dtrainer"), "{head}");
    assert!(head.contains("limit=513"), "{head}");
    assert!(
        head.contains(&format!("authorization: bearer {TOKEN}")),
        "token sent"
    );
    assert_no_secret(&r);
}

#[cfg(feature = "k8s-api")]
#[tokio::test]
async fn api_failure_falls_back_to_kubectl_and_redacts() {
    let bin = FakeBin::new();
    let body = format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"token {TOKEN} rejected (Bearer {TOKEN})","reason":"Unauthorized","code":401}}"#
    );
    let (port, _seen, server) = tcp_server(Canned { status: 401, body }).await;
    bin.printing("kubectl", POD_LIST, 0);
    let opts = k8s_opts(&bin, write_kubeconfig(bin.path(), port));
    let r = probe_kubernetes(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "kubectl");
    assert_eq!(r.data["pods"], expected_pods());
    let api_error = r.data["api_error"].as_str().expect("api_error");
    assert!(api_error.contains("<redacted>"), "{api_error}");
    assert_eq!(
        bin.argv("kubectl"),
        vec!["get", "pods", "-n", "ml", "-o", "json", "-l", "app=trainer"]
    );
    assert_no_secret(&r);
}

/// Without the `k8s-api` feature the API server is never contacted: kubectl answers and
/// `api_error` says the client is not compiled in.
#[cfg(not(feature = "k8s-api"))]
#[tokio::test]
async fn without_the_api_client_kubectl_answers_and_says_so() {
    let bin = FakeBin::new();
    let (port, seen, server) = tcp_server(Canned {
        status: 200,
        body: POD_LIST.into(),
    })
    .await;
    bin.printing("kubectl", POD_LIST, 0);
    let mut opts = k8s_opts(&bin, write_kubeconfig(bin.path(), port));
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "kubectl");
    assert_eq!(r.data["pods"], expected_pods());
    assert_eq!(r.data["api_error"], cohesix_probes::k8s::API_NOT_COMPILED);
    opts.k8s_source = SourceChoice::Api;
    let r = probe_kubernetes(&opts).await;
    server.abort();
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(
        r.error.as_deref(),
        Some("kubernetes API unavailable: kubernetes API client not compiled in (cargo feature `k8s-api`)")
    );
    assert!(
        seen.lock().expect("lock").is_empty(),
        "API server not contacted"
    );
}

/// A kubectl failure that quotes the kubeconfig token is redacted, with or without kube's
/// kubeconfig parser (the line scan finds the token).
#[tokio::test]
async fn kubectl_errors_quoting_the_token_are_redacted() {
    let bin = FakeBin::new();
    // Nothing listens on port 9 of loopback: an API attempt fails at once.
    let kubeconfig = write_kubeconfig(bin.path(), 9);
    bin.failing(
        "kubectl",
        &format!("I1126 round_trippers.go: curl -H \"Authorization: {TOKEN}\" https://x\nerror: Unauthorized\n"),
        1,
    );
    let r = probe_kubernetes(&k8s_opts(&bin, kubeconfig)).await;
    assert_eq!(r.status, ProbeStatus::Degraded, "{r:?}");
    assert!(
        r.error.as_deref().is_some_and(|e| e.contains("<redacted>")),
        "{r:?}"
    );
    assert_no_secret(&r);
}

#[tokio::test]
async fn invalid_kubectl_json_degrades() {
    let bin = FakeBin::new();
    bin.printing("kubectl", "<html>proxy error</html>", 0);
    let mut opts = k8s_opts(&bin, bin.path().join("absent"));
    opts.k8s_label_selector.clear();
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("kubectl returned invalid JSON payload")
    );
    assert_eq!(r.data["pods"], json!([]));
    assert_eq!(
        bin.argv("kubectl"),
        vec!["get", "pods", "-n", "ml", "-o", "json"]
    );
}

#[tokio::test]
async fn failing_hanging_and_missing_kubectl() {
    let bin = FakeBin::new();
    bin.failing(
        "kubectl",
        "error: You must be logged in to the server (Unauthorized)\n",
        1,
    );
    let mut opts = k8s_opts(&bin, bin.path().join("absent"));
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("error: You must be logged in to the server (Unauthorized)")
    );

    bin.hanging("kubectl");
    opts.exec.timeout = Duration::from_millis(300);
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert!(r
        .error
        .expect("error")
        .contains("cli: command timed out: kubectl get pods"));

    let empty = FakeBin::new();
    let r = probe_kubernetes(&k8s_opts(&empty, empty.path().join("absent"))).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    let e = r.error.expect("error");
    assert!(
        e.starts_with("kubernetes SDK and kubectl unavailable: api: "),
        "{e}"
    );
    assert!(e.ends_with("cli: command not found: kubectl"), "{e}");
}

#[cfg(feature = "k8s-api")]
#[tokio::test]
async fn unparsable_kubeconfig_is_reported_without_its_contents() {
    let bin = FakeBin::new();
    let path = bin.path().join("broken");
    std::fs::write(&path, format!("users: [ {{ token: {TOKEN} ]] :::")).expect("write");
    let mut opts = k8s_opts(&bin, path);
    opts.k8s_source = SourceChoice::Api;
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    let e = r.error.clone().expect("error");
    assert!(e.contains("could not be read or parsed"), "{e}");
    assert_no_secret(&r);
}

#[tokio::test]
async fn zero_pods_is_ok_and_cap_truncates() {
    let bin = FakeBin::new();
    bin.printing("kubectl", r#"{"items":[]}"#, 0);
    let mut opts = k8s_opts(&bin, bin.path().join("absent"));
    opts.k8s_source = SourceChoice::Cli;
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok);
    assert_eq!(r.data["phases"], json!({}));
    assert_eq!(r.data.get("api_error"), None);

    bin.printing("kubectl", POD_LIST, 0);
    opts.max_pods = 2;
    let r = probe_kubernetes(&opts).await;
    assert_eq!(r.data["pods"].as_array().map(Vec::len), Some(2));
    assert_eq!(r.data["phases"], json!({"Running": 2}));
    assert_eq!(r.data["truncated"], true);
}

#[test]
fn kubeconfig_line_scan_finds_credentials() {
    let text = "users:\n- name: a\n  user:\n    token: tok-aaaaaaaa\n    password: \"pw-bbbbbbbb\"\n\
                - name: b\n  user:\n    client-key-data: 'LS0tkey'\n    auth-provider:\n      config:\n\
                \x20       id-token: idt-cccccc\n        refresh-token: |\n          block\n\
                \x20   username: admin\n    token:\n";
    assert_eq!(
        cohesix_probes::k8s::scan_kubeconfig_secrets(text),
        vec!["tok-aaaaaaaa", "pw-bbbbbbbb", "LS0tkey", "idt-cccccc"]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config");
    std::fs::write(&path, text).expect("write");
    let redactor = Redactor::load(Some(&path));
    assert_eq!(
        redactor.scrub("a tok-aaaaaaaa b pw-bbbbbbbb c idt-cccccc admin"),
        "a <redacted> b <redacted> c <redacted> admin"
    );
}

#[test]
fn kubectl_parser_and_redactor() {
    assert_eq!(parse_kubectl_pods("[]"), None);
    assert_eq!(parse_kubectl_pods("{}"), Some(vec![]));
    let mut redactor = Redactor::default();
    redactor.add("abc"); // too short to scrub safely
    redactor.add("hunter22-secret");
    assert_eq!(
        redactor.scrub("pw hunter22-secret; Authorization: Bearer xyz.abc 'Bearer q'"),
        "pw <redacted>; Authorization: Bearer <redacted> 'Bearer <redacted>'"
    );
    assert!(!format!("{redactor:?}").contains("hunter22"));
}
