//! Request authentication on every route: missing, wrong, `Bearer` in any case,
//! `x-cohesix-auth`; `--public-reads`; the token is checked before the body is read.

mod common;

use std::time::Duration;

use common::{client, get, mock_gateway, post, post_raw, Answer, Auth, OK, TOKEN};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GETS: [&str; 8] = [
    "/v1/meta/bounds",
    "/v1/meta/status",
    "/v1/fs/ls?path=/",
    "/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64",
    "/v1/fs/tail?path=/log/queen.log&max_bytes=65536",
    "/v1/openapi.yaml",
    "/docs",
    "/metrics",
];

const MISSING: &str =
    "missing request auth token; provide Authorization: Bearer <token> or x-cohesix-auth";

async fn echo(c: &reqwest::Client, base: &str, auth: Auth<'_>) -> Answer {
    post(
        c,
        &format!("{base}/v1/fs/echo"),
        auth,
        &json!({"path": "/log/queen.log", "line": "auth-probe"}),
    )
    .await
}

fn assert_401(a: &Answer, msg: &str, what: &str) {
    assert_eq!(a.status, 401, "{what}: {}", a.text);
    assert_eq!(a.error(), msg, "{what}");
    assert_eq!(a.json()["status"], "ERR");
    assert!(
        a.header("www-authenticate").unwrap().starts_with("Bearer"),
        "{what}"
    );
}

#[tokio::test]
async fn every_route_needs_the_token() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    for path in GETS {
        let url = format!("{u}{path}");
        assert_401(&get(&c, &url, Auth::None).await, MISSING, path);
        assert_401(
            &get(&c, &url, Auth::Bearer("Bearer", "wrong")).await,
            "invalid request auth token",
            path,
        );
        assert_401(
            &get(&c, &url, Auth::Header("wrong")).await,
            "invalid request auth token",
            path,
        );
        // An empty bearer falls back to the header; neither present is "missing".
        assert_401(
            &get(&c, &url, Auth::Bearer("Bearer", "")).await,
            MISSING,
            path,
        );
        for auth in [
            Auth::Bearer("Bearer", TOKEN),
            Auth::Bearer("bearer", TOKEN),
            Auth::Bearer("BEARER", TOKEN),
            Auth::Header(TOKEN),
        ] {
            let a = get(&c, &url, auth).await;
            assert_eq!(a.status, 200, "{path} {auth:?}: {}", a.text);
        }
    }
    assert_401(&echo(&c, &u, Auth::None).await, MISSING, "echo");
    assert_401(
        &echo(&c, &u, Auth::Bearer("Bearer", "nope")).await,
        "invalid request auth token",
        "echo",
    );
    assert_eq!(echo(&c, &u, Auth::Header(TOKEN)).await.status, 200);
    assert_eq!(
        echo(&c, &u, Auth::Bearer("bEaReR", TOKEN)).await.status,
        200
    );
    // A Basic header is not a bearer token; the x-cohesix-auth header still counts.
    let a = get(
        &c,
        &format!("{u}/v1/meta/status"),
        Auth::Bearer("Basic", TOKEN),
    )
    .await;
    assert_401(&a, MISSING, "basic");
}

#[tokio::test]
async fn public_reads_open_the_reads_only() {
    let gw = mock_gateway(|c| c.public_reads(true)).await;
    let c = client();
    let u = gw.url();
    for path in GETS {
        let a = get(&c, &format!("{u}{path}"), Auth::None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
    }
    assert_401(&echo(&c, &u, Auth::None).await, MISSING, "echo");
    assert_eq!(echo(&c, &u, OK).await.status, 200);
}

#[tokio::test]
async fn the_token_is_checked_before_the_body() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let url = format!("{}/v1/fs/echo", gw.url());
    // Malformed, oversize, wrong type: without a token every one is a 401, not a parse error.
    for (ct, body) in [
        (Some("application/json"), b"{not json".to_vec()),
        (Some("application/json"), vec![b'x'; 1 << 20]),
        (Some("text/plain"), b"{}".to_vec()),
        (None, Vec::new()),
    ] {
        let a = post_raw(&c, &url, Auth::None, ct, body.clone()).await;
        assert_eq!(a.status, 401, "{ct:?}: {}", a.text);
        let a = post_raw(&c, &url, Auth::Bearer("Bearer", "bad"), ct, body).await;
        assert_eq!(a.status, 401, "{ct:?}: {}", a.text);
    }
    // With the token the same bodies reach the parser.
    let a = post_raw(
        &c,
        &url,
        OK,
        Some("application/json"),
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    let a = post_raw(&c, &url, OK, Some("application/json"), vec![b'x'; 1 << 20]).await;
    assert_eq!(a.status, 413);
}

/// A request that announces a megabyte and sends a few bytes: if the gateway read the body
/// before checking the token it would wait for the rest; it answers 401 at once.
#[tokio::test]
async fn an_unauthenticated_body_is_never_read() {
    let gw = mock_gateway(|c| c).await;
    let mut s = tokio::net::TcpStream::connect(gw.local_addr())
        .await
        .unwrap();
    let head = format!(
        "POST /v1/fs/echo HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: 1048576\r\nx-cohesix-auth: wrong\r\n\r\n{{\"path\":",
        gw.local_addr()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.contains("invalid request auth token"), "{text}");
}
