//! The routes and their OpenAPI description, generated from the same definitions
//! (`utoipa-axum`): the document served at `/v1/openapi.yaml` cannot drift from the router,
//! and the checked-in copy (`host/gateway/openapi.yaml`) is compared with it by a test.
//!
//! | method | path | access |
//! |---|---|---|
//! | GET | `/v1/meta/bounds` | read |
//! | GET | `/v1/meta/status` | read |
//! | GET | `/v1/fs/ls?path=` | read |
//! | GET | `/v1/fs/cat?path=&max_bytes=` | read |
//! | GET | `/v1/fs/tail?path=&max_bytes=` | read |
//! | POST | `/v1/fs/echo` `{"path","line"}` | write (token always) |
//! | GET | `/v1/openapi.yaml` | read |
//! | GET | `/docs` (a plain page, no scripts) | read |
//! | GET | `/metrics` (Prometheus text) | read |
//!
//! "read" needs the request token unless `--public-reads`.

use std::fmt::Write as _;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::access;
use crate::auth::{Authorized, ReadAccess};
use crate::ops::ReadVerb;
use crate::response::{
    ApiError, EchoBody, EchoOutcome, ErrorBody, GatewayResponse, LsQuery, ReadQuery, Status,
};
use crate::state::{BrokerStatus, Gateway, StatusDoc};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "x_cohesix_auth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-cohesix-auth"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hive-gateway",
        description = "REST gateway of a Cohesix queen console. One console session is shared \
by every client, fairly; 429 means the request was not sent. Every route needs the request \
token (Authorization: Bearer, or x-cohesix-auth) unless the gateway runs with --public-reads, \
which opens the reads."
    ),
    modifiers(&Security),
    components(schemas(GatewayResponse, ErrorBody, EchoBody, EchoOutcome, Status, StatusDoc, BrokerStatus)),
    tags(
        (name = "meta", description = "Bounds, status, documents"),
        (name = "fs", description = "The queen's namespace")
    )
)]
struct ApiDoc;

fn query_error(verb: &str, e: &QueryRejection) -> ApiError {
    ApiError::fs(
        StatusCode::BAD_REQUEST,
        GatewayResponse::err(verb, "", e.body_text()),
    )
}

/// The compiled bounds document.
///
/// Field order of host-surface 5.9; `target_manifest_sha256` is appended when the target's
/// own manifest hash could be read from its boot log.
#[utoipa::path(get, path = "/v1/meta/bounds", tag = "meta",
    responses(
        (status = 200, description = "Bounds document", body = serde_json::Value, content_type = "application/json"),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn meta_bounds(State(gw): State<Gateway>, _auth: ReadAccess) -> Response {
    let sha = gw.target_manifest_sha().await;
    (
        [(header::CONTENT_TYPE, "application/json")],
        gw.bounds().document(sha.as_deref()),
    )
        .into_response()
}

/// Console connection and broker counters.
#[utoipa::path(get, path = "/v1/meta/status", tag = "meta",
    responses(
        (status = 200, description = "Status document", body = StatusDoc),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn meta_status(State(gw): State<Gateway>, _auth: ReadAccess) -> Json<StatusDoc> {
    Json(gw.status())
}

/// List a directory (`LS`).
#[utoipa::path(get, path = "/v1/fs/ls", tag = "fs", params(LsQuery),
    responses(
        (status = 200, description = "Names (status OK), or the queen's refusal (status ERR)", body = GatewayResponse),
        (status = 400, description = "Invalid path", body = GatewayResponse),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
        (status = 429, description = "Back-pressure: not sent; see Retry-After", body = GatewayResponse),
        (status = 502, description = "Console protocol failure", body = GatewayResponse),
        (status = 503, description = "Console unavailable", body = GatewayResponse),
        (status = 504, description = "Console deadline passed", body = GatewayResponse),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn fs_ls(
    State(gw): State<Gateway>,
    ReadAccess(who): ReadAccess,
    q: Result<Query<LsQuery>, QueryRejection>,
) -> Result<Json<GatewayResponse>, ApiError> {
    let Query(q) = q.map_err(|e| query_error("LS", &e))?;
    gw.read_op(&who, ReadVerb::Ls, q.path.as_deref(), None)
        .await
        .map(Json)
}

/// Read a file (`CAT`); `/proc/` reads are cached 250 ms.
#[utoipa::path(get, path = "/v1/fs/cat", tag = "fs", params(ReadQuery),
    responses(
        (status = 200, description = "Lines and bytes (status OK), or the queen's refusal (status ERR)", body = GatewayResponse),
        (status = 400, description = "Invalid path or max_bytes, or the reply exceeded max_bytes", body = GatewayResponse),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
        (status = 429, description = "Back-pressure: not sent; see Retry-After", body = GatewayResponse),
        (status = 502, description = "Console protocol failure", body = GatewayResponse),
        (status = 503, description = "Console unavailable", body = GatewayResponse),
        (status = 504, description = "Console deadline passed", body = GatewayResponse),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn fs_cat(
    State(gw): State<Gateway>,
    ReadAccess(who): ReadAccess,
    q: Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Json<GatewayResponse>, ApiError> {
    let Query(q) = q.map_err(|e| query_error("CAT", &e))?;
    gw.read_op(
        &who,
        ReadVerb::Cat,
        q.path.as_deref(),
        q.max_bytes.as_deref(),
    )
    .await
    .map(Json)
}

/// Tail a file (`TAIL`: the console session's cursor advances, and it is shared by every
/// client of this gateway).
#[utoipa::path(get, path = "/v1/fs/tail", tag = "fs", params(ReadQuery),
    responses(
        (status = 200, description = "Lines and bytes (status OK), or the queen's refusal (status ERR)", body = GatewayResponse),
        (status = 400, description = "Invalid path or max_bytes, or the reply exceeded max_bytes", body = GatewayResponse),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
        (status = 429, description = "Back-pressure: not sent; see Retry-After", body = GatewayResponse),
        (status = 502, description = "Connection dropped after sending (cursor may have moved)", body = GatewayResponse),
        (status = 503, description = "Console unavailable", body = GatewayResponse),
        (status = 504, description = "Console deadline passed", body = GatewayResponse),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn fs_tail(
    State(gw): State<Gateway>,
    ReadAccess(who): ReadAccess,
    q: Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Json<GatewayResponse>, ApiError> {
    let Query(q) = q.map_err(|e| query_error("TAIL", &e))?;
    gw.read_op(
        &who,
        ReadVerb::Tail,
        q.path.as_deref(),
        q.max_bytes.as_deref(),
    )
    .await
    .map(Json)
}

/// Append one line (`ECHO`). Sent at most once; `outcome` says what became of it.
#[utoipa::path(post, path = "/v1/fs/echo", tag = "fs", request_body = EchoBody,
    responses(
        (status = 200, description = "Committed (status OK) or refused by the queen (status ERR)", body = GatewayResponse),
        (status = 400, description = "Invalid path or line: not sent", body = GatewayResponse),
        (status = 401, description = "Missing or wrong request token (checked before the body is read)", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Body is not an ECHO object", body = ErrorBody),
        (status = 429, description = "Back-pressure: not sent, safe to retry; see Retry-After", body = GatewayResponse),
        (status = 502, description = "Sent, connection dropped before the ack: outcome unknown, not re-sent", body = GatewayResponse),
        (status = 503, description = "Console unavailable: not sent", body = GatewayResponse),
        (status = 504, description = "Deadline passed (outcome says whether it was sent)", body = GatewayResponse),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = [])))]
async fn fs_echo(
    State(gw): State<Gateway>,
    Authorized(who): Authorized,
    body: Result<Json<EchoBody>, JsonRejection>,
) -> Result<Json<GatewayResponse>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::plain(e.status(), e.body_text()))?;
    gw.echo_op(&who, body).await.map(Json)
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.yaml", tag = "meta",
    responses(
        (status = 200, description = "OpenAPI document", body = String, content_type = "application/yaml"),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn openapi_doc(State(gw): State<Gateway>, _auth: ReadAccess) -> Response {
    (
        [(header::CONTENT_TYPE, "application/yaml")],
        gw.openapi_yaml().to_owned(),
    )
        .into_response()
}

/// A plain page listing the routes (no scripts, nothing loaded from elsewhere).
#[utoipa::path(get, path = "/docs", tag = "meta",
    responses(
        (status = 200, description = "HTML page", body = String, content_type = "text/html"),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn docs(_auth: ReadAccess) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        docs_page(),
    )
        .into_response()
}

/// Prometheus metrics (text format).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses(
        (status = 200, description = "Prometheus text", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "Missing or wrong request token", body = ErrorBody),
    ),
    security(("bearer" = []), ("x_cohesix_auth" = []), ()))]
async fn metrics(State(gw): State<Gateway>, _auth: ReadAccess) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        gw.metrics_text(),
    )
        .into_response()
}

async fn not_found(State(gw): State<Gateway>, method: Method, uri: Uri) -> ApiError {
    gw.inner
        .metrics
        .request("unmatched", method.as_str(), 404, std::time::Duration::ZERO);
    tracing::info!(target: "hive_gateway::access", method = %method, route = "unmatched", status = 404u16);
    ApiError::plain(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}

fn api() -> (Router<Gateway>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta_bounds))
        .routes(routes!(meta_status))
        .routes(routes!(fs_ls))
        .routes(routes!(fs_cat))
        .routes(routes!(fs_tail))
        .routes(routes!(fs_echo))
        .routes(routes!(openapi_doc))
        .routes(routes!(docs))
        .routes(routes!(metrics))
        .split_for_parts()
}

/// The OpenAPI document of the routes.
#[must_use]
pub fn openapi() -> OpenApiDoc {
    api().1
}

/// The OpenAPI document as YAML (what `/v1/openapi.yaml` serves and `openapi.yaml` holds).
#[must_use]
pub fn openapi_yaml() -> String {
    openapi().to_yaml().unwrap_or_default()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `/docs` page: the routes of the OpenAPI document, as a table.
#[must_use]
pub fn docs_page() -> String {
    let doc = openapi();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [("GET", item.get.as_ref()), ("POST", item.post.as_ref())];
        for (method, op) in ops {
            if let Some(op) = op {
                let summary = op.summary.as_deref().unwrap_or("");
                let _ = write!(
                    rows,
                    "<tr><td>{method}</td><td><code>{}</code></td><td>{}</td></tr>",
                    escape(path),
                    escape(summary)
                );
            }
        }
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>hive-gateway</title></head>\
         <body><h1>hive-gateway</h1><p>{}</p><p>OpenAPI document: \
         <a href=\"/v1/openapi.yaml\">/v1/openapi.yaml</a></p>\
         <table><tr><th>method</th><th>path</th><th>summary</th></tr>{rows}</table></body></html>",
        escape(doc.info.description.as_deref().unwrap_or(""))
    )
}

/// The router over `gw`.
pub(crate) fn router(gw: Gateway) -> Router {
    let limit = gw.config().body_limit;
    let (routes, _) = api();
    routes
        .route_layer(middleware::from_fn_with_state(gw.clone(), access))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(gw)
}
