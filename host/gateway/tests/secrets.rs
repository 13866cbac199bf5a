//! No secret in gateway logs (every event at TRACE), responses (bodies and headers), status
//! documents or `Debug` output: request tokens (right and wrong), console tokens (right and
//! wrong).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use cohesix::auth::Secret;
use cohesix_gateway::GatewayConfig;
use cohesix_tokio::Role;
use common::{client, get, post, simulator, tcp_gateway, Answer, Auth, CONSOLE_TOKEN, OK, TOKEN};
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const WRONG_REQUEST: &str = "wrong-request-secret-93af";
const WRONG_CONSOLE: &str = "wrong-console-secret-c01d";

fn transcript(a: &Answer) -> String {
    format!("{} {:?} {}", a.status, a.headers, a.text)
}

#[tokio::test]
async fn secrets_stay_out_of_logs_and_answers() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = simulator("127.0.0.1:0".parse().unwrap()).await;
    let gw = tcp_gateway(sim.local_addr(), |c| c).await;
    let c = client();
    let u = gw.url();
    let mut answers = Vec::new();
    for auth in [
        OK,
        Auth::Header(TOKEN),
        Auth::Bearer("Bearer", WRONG_REQUEST),
        Auth::Header(WRONG_REQUEST),
        Auth::None,
    ] {
        for path in [
            "/v1/fs/ls?path=/",
            "/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64",
            "/v1/fs/tail?path=/log/queen.log&max_bytes=65536",
            "/v1/meta/status",
            "/v1/meta/bounds",
            "/metrics",
            "/nope",
        ] {
            answers.push(transcript(&get(&c, &format!("{u}{path}"), auth).await));
        }
        let a = post(
            &c,
            &format!("{u}/v1/fs/echo"),
            auth,
            &json!({"path": "/log/queen.log", "line": "secret-test-line"}),
        )
        .await;
        answers.push(transcript(&a));
    }
    answers.push(format!(
        "{gw:?} {:?} {:?}",
        gw.gateway(),
        gw.gateway().config()
    ));

    // A gateway whose console token the queen refuses: its errors must not echo the token.
    let other = simulator("127.0.0.1:0".parse().unwrap()).await;
    let config = GatewayConfig::tcp(
        other.local_addr().to_string(),
        Secret::new(WRONG_CONSOLE),
        Role::Queen,
        None,
    )
    .unwrap()
    .bind("127.0.0.1:0".parse().unwrap())
    .request_token(Some(Secret::new(TOKEN)));
    let bad = cohesix_gateway::start(config).await.unwrap();
    let a = get(&c, &format!("{}/v1/fs/ls?path=/", bad.url()), OK).await;
    assert_eq!(a.status, 503, "{}", a.text);
    answers.push(transcript(&a));
    answers.push(transcript(
        &get(&c, &format!("{}/v1/meta/status", bad.url()), OK).await,
    ));
    answers.push(format!("{:?}", bad.gateway().config()));
    bad.shutdown().await.unwrap();
    gw.shutdown().await.unwrap();

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("hive_gateway::access"),
        "no access log captured:\n{logs}"
    );
    assert!(logs.contains("status=401"), "{logs}");
    let all = format!("{logs}\n{}", answers.join("\n"));
    for secret in [TOKEN, CONSOLE_TOKEN, WRONG_REQUEST, WRONG_CONSOLE] {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
}
