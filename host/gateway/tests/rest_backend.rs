//! The host library's backend contract through the REST backend: the same transcript as the
//! direct backend, over the mock and over a loopback simulator (TCP), plus discovery step 3
//! and the REST-only operations.

mod common;

use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{
    Backend, MockBackend, MockOptions, RestBackend, RestOptions, RestRetry, TcpBackend, TcpOptions,
};
use cohesix::discovery::{resolve, BackendSpec, MapEnv, Source};
use cohesix::{BackendKind, ErrorKind};
use common::{mock_gateway, simulator, tcp_gateway, CONSOLE_TOKEN, TOKEN};

fn show<T: std::fmt::Debug>(r: &Result<T, cohesix::Error>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {:?} {e}", e.kind()),
    }
}

/// Every operation of the contract, as text.
async fn transcript(b: &impl Backend) -> Vec<String> {
    let text = |r: Result<Vec<u8>, cohesix::Error>| {
        show(&r.map(|v| String::from_utf8_lossy(&v).into_owned()))
    };
    let mut t = vec![
        show(&b.list("/").await),
        show(&b.list("/proc/lifecycle").await),
        text(b.read("/proc/lifecycle/state", 64).await),
        text(b.read("/proc/lifecycle/state", 5).await),
        text(b.read("/gpu/GPU-0/info", 4096).await),
        text(b.read("/no/such/node", 64).await),
        show(&b.read("relative", 64).await),
        show(&b.append("/log/queen.log", "from-contract\n").await),
        show(&b.append("/log/queen.log", "two\nlines").await),
        show(&b.append("/log/queen.log", &"x".repeat(129)).await),
        show(&b.append("/proc/lifecycle/state", "nope").await),
        show(&b.append("/queen/lifecycle/ctl", "cordon").await),
        text(b.read("/proc/lifecycle/state", 64).await),
    ];
    let tail = b.tail("/log/queen.log", 4096).await;
    t.push(show(
        &tail
            .as_ref()
            .map(|v| {
                String::from_utf8_lossy(v)
                    .lines()
                    .any(|l| l == "from-contract")
            })
            .map_err(|e| cohesix::Error::Rest(e.to_string())),
    ));
    t.push(text(b.tail("/log/queen.log", 0).await));
    let missing = b.read("/no/such/node", 64).await.unwrap_err();
    t.push(format!(
        "missing={} refusal={}",
        missing.is_missing(),
        missing.refusal().is_some()
    ));
    t
}

fn rest(url: &str) -> RestBackend {
    RestBackend::new(url, Duration::from_secs(5), Some(Secret::new(TOKEN))).unwrap()
}

#[tokio::test]
async fn over_the_mock_the_transcript_matches_the_direct_backend() {
    let direct = MockBackend::new(&MockOptions::new().root(None)).unwrap();
    let want = transcript(&direct).await;
    let gw = mock_gateway(|c| c).await;
    let got = transcript(&rest(&gw.url())).await;
    assert_eq!(got, want);
    assert!(want[2].contains("state=ONLINE\\n"), "{want:?}");
    assert!(
        want[3].contains("read /proc/lifecycle/state exceeds max bytes 5"),
        "{want:?}"
    );
    assert!(want[7].contains("ok 14"), "{want:?}");
}

#[tokio::test]
async fn over_a_simulator_the_transcript_matches_the_direct_backend() {
    let sim_direct = simulator("127.0.0.1:0".parse().unwrap()).await;
    let addr = sim_direct.local_addr();
    let direct = TcpBackend::connect(&TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        Secret::new(CONSOLE_TOKEN),
    ))
    .unwrap();
    let want = transcript(&direct).await;
    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let gw = tcp_gateway(sim.local_addr(), |c| c).await;
    let got = transcript(&rest(&gw.url())).await;
    assert_eq!(got, want);
    assert!(
        want[4].contains("MockGPU") || want[4].contains("\"id\""),
        "{want:?}"
    );
}

#[tokio::test]
async fn bounds_status_and_token_errors() {
    let gw = mock_gateway(|c| c).await;
    let b = rest(&format!("{}/", gw.url()));
    assert_eq!(b.kind(), BackendKind::Rest);
    let _ = b.list("/").await.unwrap();
    let text = b.bounds_text().await.unwrap();
    assert!(text.starts_with(r#"{"manifest_sha256":""#), "{text}");
    let v = b.bounds().await.unwrap().unwrap();
    assert_eq!(v["console"]["max_echo_len"], 128);
    let st = b.status().await.unwrap();
    assert_eq!(st["connected"], true);
    // A wrong token is the operator's to fix, with the gateway's message.
    let wrong =
        RestBackend::new(&gw.url(), Duration::from_secs(5), Some(Secret::new("nope"))).unwrap();
    let e = wrong.list("/").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (ErrorKind::Config, "invalid request auth token")
    );
    // The bounds document too: the gateway's message, not just its status code.
    let e = wrong.bounds().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (ErrorKind::Config, "invalid request auth token")
    );
    let none = RestBackend::new(&gw.url(), Duration::from_secs(5), None).unwrap();
    let e = none.append("/log/queen.log", "x").await.unwrap_err();
    assert!(
        e.to_string().starts_with("missing request auth token"),
        "{e}"
    );
}

#[tokio::test]
async fn a_gateway_that_is_not_there_is_a_connection_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let fast = RestRetry {
        max_attempts: 2,
        backoff: Duration::from_millis(10),
        ceiling: Duration::from_millis(20),
    };
    let b = RestBackend::with_options(
        &RestOptions::new(format!("http://{addr}"))
            .timeout(Duration::from_secs(1))
            .retry(fast),
    )
    .unwrap();
    let e = b.list("/").await.unwrap_err();
    assert!(e.to_string().starts_with("REST connection failed: "), "{e}");
    assert_eq!(e.kind(), ErrorKind::Transport);
    // An append refused at connect was not sent: a transport error, not an unknown outcome.
    let e = b.append("/log/queen.log", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
}

#[tokio::test]
async fn discovery_step_3_selects_the_gateway() {
    let gw = mock_gateway(|c| c).await;
    let url = format!("{}/", gw.url());
    let env = MapEnv::new(&[
        ("HIVE_GATEWAY_URL", url.as_str()),
        ("COH_REST_AUTH_TOKEN", TOKEN),
    ]);
    let (spec, source) = resolve(&env, &[], false).unwrap();
    assert_eq!(source, Source::Rest("HIVE_GATEWAY_URL"));
    assert!(matches!(&spec, BackendSpec::Rest { url, .. } if !url.ends_with('/')));
    let backend = spec.open().unwrap();
    assert_eq!(backend.kind(), BackendKind::Rest);
    assert_eq!(
        backend.read("/proc/lifecycle/state", 64).await.unwrap(),
        b"state=ONLINE\n"
    );
    assert_eq!(
        backend
            .append("/log/queen.log", "via-discovery")
            .await
            .unwrap(),
        14
    );
}
