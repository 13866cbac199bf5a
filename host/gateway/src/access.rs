//! Access log and request metrics: one structured `tracing` event per request (target
//! `hive_gateway::access`: request id, method, route, status, latency, peer) and the
//! request counter and latency histogram. Never a header, a query string or a body, so no
//! token can reach a log line.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

use crate::state::Gateway;

/// The response header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The middleware (a route layer, so the matched route is known).
pub(crate) async fn access(State(gw): State<Gateway>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = gw.inner.next_request.fetch_add(1, Ordering::Relaxed);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    gw.inner
        .metrics
        .request(&route, method.as_str(), status, elapsed);
    resp.headers_mut().insert(REQUEST_ID, HeaderValue::from(id));
    let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    match peer {
        Some(peer) => tracing::info!(
            target: "hive_gateway::access",
            request_id = id,
            method = %method,
            route = %route,
            status,
            latency_us,
            %peer,
        ),
        None => tracing::info!(
            target: "hive_gateway::access",
            request_id = id,
            method = %method,
            route = %route,
            status,
            latency_us,
        ),
    }
    resp
}
