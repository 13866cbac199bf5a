//! Shared helpers of the gateway's integration tests: gateways over the mock and over a
//! loopback simulator, a small HTTP client, a fault-injecting TCP proxy, and namespace
//! inspection.

#![allow(dead_code)]

pub mod proxy;

use std::net::SocketAddr;
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix_gateway::{GatewayConfig, Running};
use cohesix_sim::{AuthToken, SimConfig, SimHandle, Simulator};
use cohesix_tokio::Role;
use serde_json::Value;

/// The request token of every test gateway.
pub const TOKEN: &str = "req-token-7f3a9c";
/// The console token of every test simulator.
pub const CONSOLE_TOKEN: &str = "console-token-51be02";

/// A gateway over the in-process mock with [`TOKEN`].
pub async fn mock_gateway(tweak: impl FnOnce(GatewayConfig) -> GatewayConfig) -> Running {
    let config = GatewayConfig::mock()
        .expect("bounds")
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .request_token(Some(Secret::new(TOKEN)));
    cohesix_gateway::start(tweak(config))
        .await
        .expect("start gateway")
}

/// A loopback simulator (every 0.9 surface) with [`CONSOLE_TOKEN`].
pub async fn simulator(bind: SocketAddr) -> SimHandle {
    let mut config = SimConfig::loopback();
    config.bind = bind;
    config.token = AuthToken::new(CONSOLE_TOKEN);
    Simulator::spawn(config).await.expect("spawn simulator")
}

/// A gateway over the TCP console at `target` with [`TOKEN`].
pub async fn tcp_gateway(
    target: SocketAddr,
    tweak: impl FnOnce(GatewayConfig) -> GatewayConfig,
) -> Running {
    let config = GatewayConfig::tcp(
        target.to_string(),
        Secret::new(CONSOLE_TOKEN),
        Role::Queen,
        None,
    )
    .expect("bounds")
    .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
    .request_token(Some(Secret::new(TOKEN)));
    cohesix_gateway::start(tweak(config))
        .await
        .expect("start gateway")
}

/// An answer: status, headers, body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The `error` field.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// How a request authenticates.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// No token.
    None,
    /// `Authorization: <scheme> <token>`.
    Bearer(&'a str, &'a str),
    /// `x-cohesix-auth: <token>`.
    Header(&'a str),
}

/// A plain HTTP client (a fresh pool per test).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn with_auth(mut rb: reqwest::RequestBuilder, auth: Auth<'_>) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => {}
        Auth::Bearer(scheme, t) => rb = rb.header("authorization", format!("{scheme} {t}")),
        Auth::Header(t) => rb = rb.header("x-cohesix-auth", t),
    }
    rb
}

/// `GET url` with `auth`.
pub async fn get(c: &reqwest::Client, url: &str, auth: Auth<'_>) -> Answer {
    let resp = with_auth(c.get(url), auth).send().await.expect("GET");
    answer(resp).await
}

/// `POST url` with a raw body and content type.
pub async fn post_raw(
    c: &reqwest::Client,
    url: &str,
    auth: Auth<'_>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut rb = with_auth(c.post(url), auth).body(body);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    answer(rb.send().await.expect("POST")).await
}

/// `POST url` with a JSON body.
pub async fn post(c: &reqwest::Client, url: &str, auth: Auth<'_>, body: &Value) -> Answer {
    post_raw(
        c,
        url,
        auth,
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

/// The bearer auth of [`TOKEN`].
pub const OK: Auth<'static> = Auth::Bearer("Bearer", TOKEN);

/// Lines of `path` in a simulator's namespace.
pub fn sim_read(sim: &cohesix_sim::SimCore, path: &str) -> Vec<String> {
    let console = sim.console();
    let guard = console
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.namespace().read(path, 0).unwrap_or_default()
}

/// Polls `f` every 10 ms until it is true (at most `limit`).
pub async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}
