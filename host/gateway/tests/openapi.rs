//! The checked-in OpenAPI document is exactly what the route definitions generate
//! (`UPDATE_OPENAPI=1 cargo test -p cohesix-gateway --test openapi` rewrites it).

use std::path::PathBuf;

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.yaml")
}

#[test]
fn the_checked_in_document_matches_the_routes() {
    let generated = cohesix_gateway::routes::openapi_yaml();
    assert!(generated.contains("/v1/fs/echo"), "{generated}");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(checked_in(), &generated).expect("write openapi.yaml");
    }
    let on_disk = std::fs::read_to_string(checked_in()).expect("read host/gateway/openapi.yaml");
    assert!(
        on_disk == generated,
        "host/gateway/openapi.yaml is stale: run UPDATE_OPENAPI=1 cargo test -p cohesix-gateway --test openapi"
    );
}

#[test]
fn every_route_is_documented_with_its_security() {
    let doc = cohesix_gateway::routes::openapi();
    let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
    for p in [
        "/v1/meta/bounds",
        "/v1/meta/status",
        "/v1/fs/ls",
        "/v1/fs/cat",
        "/v1/fs/tail",
        "/v1/fs/echo",
        "/v1/openapi.yaml",
        "/docs",
        "/metrics",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    let echo = doc.paths.paths["/v1/fs/echo"].post.as_ref().unwrap();
    let codes: Vec<&str> = echo
        .responses
        .responses
        .keys()
        .map(String::as_str)
        .collect();
    for c in ["200", "400", "401", "413", "429", "502", "503", "504"] {
        assert!(codes.contains(&c), "echo lacks {c}: {codes:?}");
    }
    let yaml = cohesix_gateway::routes::openapi_yaml();
    assert!(yaml.contains("x-cohesix-auth") && yaml.contains("bearer"));
}

#[test]
fn the_docs_page_loads_nothing_from_elsewhere() {
    let page = cohesix_gateway::routes::docs_page();
    assert!(page.contains("/v1/openapi.yaml"));
    assert!(!page.contains("<script"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
}
