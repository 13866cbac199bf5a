//! Every route, status code and validation message of host-surface §5.9, against a gateway
//! over the in-process mock queen (real HTTP on loopback).

mod common;

use common::{client, get, mock_gateway, post, post_raw, Auth, OK};
use serde_json::json;

#[tokio::test]
async fn reads_and_writes_have_the_spec_shapes() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();

    let a = get(&c, &format!("{u}/v1/fs/ls?path=/"), OK).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.text
            .starts_with(r#"{"status":"OK","verb":"LS","path":"/","end":true,"lines":["#),
        "{}",
        a.text
    );
    let names = a.json()["lines"].as_array().unwrap().clone();
    assert!(names.iter().any(|n| n == "proc"), "{names:?}");
    assert!(a.json().get("bytes").is_none() && a.json().get("error").is_none());

    let a = get(
        &c,
        &format!("{u}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64"),
        OK,
    )
    .await;
    assert_eq!(
        a.text,
        r#"{"status":"OK","verb":"CAT","path":"/proc/lifecycle/state","end":true,"lines":["state=ONLINE"],"bytes":12}"#
    );

    // The echo's `bytes` is the raw line's length as received (trailing newline included).
    let a = post(
        &c,
        &format!("{u}/v1/fs/echo"),
        OK,
        &json!({"path": "/log/queen.log", "line": "hello-gateway\n"}),
    )
    .await;
    assert_eq!(
        a.text,
        r#"{"status":"OK","verb":"ECHO","path":"/log/queen.log","end":true,"bytes":14,"outcome":"committed"}"#
    );
    let a = get(
        &c,
        &format!("{u}/v1/fs/tail?path=/log/queen.log&max_bytes=65536"),
        OK,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let lines = a.json()["lines"].as_array().unwrap().clone();
    assert!(lines.iter().any(|l| l == "hello-gateway"), "{lines:?}");
    let joined: usize = lines
        .iter()
        .map(|l| l.as_str().unwrap().len())
        .sum::<usize>()
        + lines.len()
        - 1;
    assert_eq!(a.json()["bytes"].as_u64(), Some(joined as u64));
    assert!(a.header(cohesix_gateway::REQUEST_ID).is_some());
}

#[tokio::test]
async fn target_refusals_are_200_with_the_err_line() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    let a = get(&c, &format!("{u}/v1/fs/cat?path=/no/such&max_bytes=10"), OK).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "ERR");
    assert!(a.error().starts_with("ERR CAT "), "{}", a.text);
    assert!(a.json().get("lines").is_none());
    // An ECHO the queen refuses: status ERR, outcome refused.
    let a = post(
        &c,
        &format!("{u}/v1/fs/echo"),
        OK,
        &json!({"path": "/proc/lifecycle/state", "line": "x"}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "ERR");
    assert_eq!(a.json()["outcome"], "refused");
    assert!(a.error().starts_with("ERR ECHO "), "{}", a.text);
}

async fn expect_400(c: &reqwest::Client, url: &str, msg: &str) {
    let a = get(c, url, OK).await;
    assert_eq!(a.status, 400, "{url}: {}", a.text);
    assert_eq!(a.json()["status"], "ERR");
    assert_eq!(a.error(), msg, "{url}");
}

#[tokio::test]
async fn read_validation_messages() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    let long = format!("/{}", "a".repeat(96));
    for (q, msg) in [
        ("path=", "path is required"),
        ("", "path is required"),
        ("path=proc", "path must be absolute"),
        (&*format!("path={long}"), "path exceeds max length 96"),
        ("path=/a%00b", "path contains NUL byte"),
        (
            "path=/proc/../x",
            "path segments '.' and '..' are not permitted",
        ),
        ("path=/1/2/3/4/5/6/7/8/9", "path exceeds max depth 8"),
    ] {
        expect_400(&c, &format!("{u}/v1/fs/ls?{q}"), msg).await;
        expect_400(&c, &format!("{u}/v1/fs/cat?{q}&max_bytes=8"), msg).await;
    }
    for (q, msg) in [
        ("path=/proc/lifecycle/state", "max_bytes is required"),
        (
            "path=/proc/lifecycle/state&max_bytes=0",
            "max_bytes is required",
        ),
        (
            "path=/proc/lifecycle/state&max_bytes=x",
            "max_bytes must be an integer",
        ),
        (
            "path=/proc/lease/summary&max_bytes=161",
            "max_bytes 161 exceeds bound 160",
        ),
        (
            "path=/proc/schedule/queue&max_bytes=257",
            "max_bytes 257 exceeds bound 256",
        ),
        (
            "path=/proc/lifecycle/state&max_bytes=5",
            "read exceeded max_bytes 5",
        ),
    ] {
        expect_400(&c, &format!("{u}/v1/fs/cat?{q}"), msg).await;
    }
    expect_400(
        &c,
        &format!("{u}/v1/fs/tail?path=/log/queen.log&max_bytes=3"),
        "tail exceeded max_bytes 3",
    )
    .await;
    // The bound of a /proc node is inclusive.
    let a = get(
        &c,
        &format!("{u}/v1/fs/cat?path=/proc/lease/summary&max_bytes=160"),
        OK,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn echo_validation_messages_and_outcome_not_sent() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let url = format!("{}/v1/fs/echo", gw.url());
    for (body, msg) in [
        (json!({"line": "x"}), "path is required"),
        (
            json!({"path": "queen/ctl", "line": "x"}),
            "path must be absolute",
        ),
        (
            json!({"path": "/queen/ctl", "line": "a\nb"}),
            "payload must be a single line",
        ),
        (
            json!({"path": "/queen/ctl", "line": "a\rb"}),
            "payload must be a single line",
        ),
        (
            json!({"path": "/queen/ctl", "line": "x".repeat(129)}),
            "payload exceeds max_echo_len 128",
        ),
        (json!({"path": "/queen/ctl"}), "line is required"),
        (
            json!({"path": "/queen/ctl", "line": "\n"}),
            "line is required",
        ),
    ] {
        let a = post(&c, &url, OK, &body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_eq!(a.error(), msg, "{body}");
        assert_eq!(a.json()["outcome"], "not_sent");
        assert_eq!(a.json()["verb"], "ECHO");
    }
    // Not JSON, not an object, wrong type: the framework's status, our JSON body.
    let a = post_raw(&c, &url, OK, Some("application/json"), b"{nope".to_vec()).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.json()["status"], "ERR");
    let a = post_raw(&c, &url, OK, Some("application/json"), b"[1]".to_vec()).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let a = post_raw(&c, &url, OK, Some("text/plain"), b"{}".to_vec()).await;
    assert_eq!(a.status, 415, "{}", a.text);
    // Over the body limit: 413.
    let big = json!({"path": "/queen/ctl", "line": "x".repeat(5000)});
    let a = post(&c, &url, OK, &big).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert_eq!(a.json()["status"], "ERR");
}

#[tokio::test]
async fn disabled_surfaces_use_their_messages() {
    let json = cohesix_generated::meta_bounds::JSON
        .replace(
            r#""schedule":{"enable":true"#,
            r#""schedule":{"enable":false"#,
        )
        .replace(
            r#""proc_schedule":{"summary":true"#,
            r#""proc_schedule":{"summary":false"#,
        );
    let bounds = cohesix_gateway::Bounds::from_json(&json).unwrap();
    let gw = mock_gateway(|c| c.bounds(bounds)).await;
    let c = client();
    let a = post(
        &c,
        &format!("{}/v1/fs/echo", gw.url()),
        OK,
        &json!({"path": "/queen/schedule/ctl", "line": "{}"}),
    )
    .await;
    assert_eq!(
        (a.status, a.error().as_str()),
        (400, "schedule control is disabled")
    );
    let a = get(
        &c,
        &format!(
            "{}/v1/fs/cat?path=/proc/schedule/summary&max_bytes=8",
            gw.url()
        ),
        OK,
    )
    .await;
    assert_eq!(
        (a.status, a.error().as_str()),
        (400, "proc schedule summary is disabled")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let a = get(&c, &format!("{}/v1/nope", gw.url()), OK).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.error(), "no route for GET /v1/nope");
    let a = get(&c, &format!("{}/v1/fs/echo", gw.url()), OK).await;
    assert_eq!(a.status, 405, "{}", a.text);
}

#[tokio::test]
async fn status_documents_connection_and_broker_counters_in_order() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    for _ in 0..2 {
        let a = get(
            &c,
            &format!("{u}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64"),
            OK,
        )
        .await;
        assert_eq!(a.status, 200);
    }
    let a = get(&c, &format!("{u}/v1/meta/status"), OK).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let keys_in_order = [
        "\"connected\":true",
        "\"reconnects\":",
        "\"connects\":",
        "\"broker\":{\"control_waiters\":",
        "\"telemetry_waiters\":",
        "\"control_checkouts\":",
        "\"telemetry_checkouts\":",
        "\"pool_exhausted\":",
        "\"checkout_retries\":",
        "\"timeout_rejections\":",
        "\"telemetry_yields\":",
        "\"proc_cache_hits\":",
        "\"proc_cache_misses\":",
        "\"proc_cache_evictions\":",
        "\"queue_depth\":",
        "\"dispatched\":",
        "\"principals\":",
        "\"sessions\":1",
    ];
    let mut at = 0;
    for k in keys_in_order {
        let pos = a.text[at..]
            .find(k)
            .unwrap_or_else(|| panic!("{k} missing or out of order in {}", a.text));
        at += pos + k.len();
    }
    let v = a.json();
    assert_eq!(v["broker"]["proc_cache_hits"], 1, "{}", a.text);
    assert_eq!(v["broker"]["proc_cache_misses"], 1, "{}", a.text);
    assert!(v["connects"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn writes_invalidate_the_proc_cache() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    let cat = format!("{u}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64");
    assert_eq!(get(&c, &cat, OK).await.json()["lines"][0], "state=ONLINE");
    let a = post(
        &c,
        &format!("{u}/v1/fs/echo"),
        OK,
        &json!({"path": "/queen/lifecycle/ctl", "line": "cordon"}),
    )
    .await;
    assert_eq!(a.json()["outcome"], "committed", "{}", a.text);
    // Within the 250 ms lifetime, yet fresh: the write dropped the entry.
    assert_eq!(get(&c, &cat, OK).await.json()["lines"][0], "state=DRAINING");
}

#[tokio::test]
async fn documents_and_metrics_are_served() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    let a = get(&c, &format!("{u}/v1/openapi.yaml"), OK).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/yaml")
    );
    assert_eq!(a.text, cohesix_gateway::routes::openapi_yaml());
    let a = get(&c, &format!("{u}/docs"), OK).await;
    assert_eq!(a.status, 200);
    assert!(!a.text.contains("<script"));
    let _ = get(&c, &format!("{u}/v1/fs/ls?path=/"), OK).await;
    let _ = get(&c, &format!("{u}/v1/fs/ls?path=rel"), OK).await;
    let _ = get(&c, &format!("{u}/v1/fs/ls?path=/"), Auth::None).await;
    let a = get(&c, &format!("{u}/metrics"), OK).await;
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    for needle in [
        r#"hive_gateway_requests_total{route="/v1/fs/ls",method="GET",status="200"} 1"#,
        r#"hive_gateway_requests_total{route="/v1/fs/ls",method="GET",status="400"} 1"#,
        r#"hive_gateway_requests_total{route="/v1/fs/ls",method="GET",status="401"} 1"#,
        "hive_gateway_request_duration_seconds_bucket{route=\"/v1/fs/ls\",le=",
        "hive_gateway_console_reconnects_total 0",
        "hive_gateway_queue_depth 0",
        "hive_gateway_console_connected 1",
    ] {
        assert!(a.text.contains(needle), "{needle} missing:\n{}", a.text);
    }
}
