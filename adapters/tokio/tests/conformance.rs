//! The shared adapter conformance scenario (`cohesix_core::session::testkit::SCENARIO`),
//! tokio side: the client runs over `tokio::io::duplex`, a pump task moves the bytes to and
//! from the core's in-memory queen model (`testkit::Server`), and every request must end
//! exactly as in the core's reference transcript (`testkit::reference_transcript`, the same
//! one the embassy adapters are checked against): same ack line, same data lines, same
//! refusal, plus the same raw `OK ATTACH` and `OK QUIT` lines.
//!
//! ```text
//!   Client<DuplexStream> ──duplex(chunk)── pump task ──handle_input/poll_output── Server
//! ```
//!
//! The duplex buffer is `chunk` bytes (1, 3, 7, 64, 4096), so every client read sees at
//! most `chunk` bytes and every client write is accepted `chunk` bytes at a time.

use std::time::Duration;

use cohesix_core::role::Role;
use cohesix_core::session::testkit::{
    reference_transcript, role_secret, Server, ServerConfig, SCENARIO, TOKEN,
};
use cohesix_core::session::{Event, Outcome};
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};
use cohesix_tokio::{Client, ClientConfig, ClientError, Credentials};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::{timeout, Instant};

/// How one request ended, as text both sides can produce.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Result {
    Ok { ack: String, lines: Vec<String> },
    Refused(String),
}

/// Everything the scenario must reproduce.
#[derive(Debug, Default, PartialEq, Eq)]
struct Transcript {
    attach: Option<String>,
    results: Vec<Result>,
    quit: Option<String>,
}

fn reference() -> Transcript {
    let mut t = Transcript::default();
    let mut acks: Vec<Option<String>> = Vec::new();
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut closed = None;
    reference_transcript(&mut |e| match e {
        Event::SessionAck { verb, ack } => {
            let raw = Some(ack.raw.to_string());
            match verb.token() {
                "ATTACH" => t.attach = raw,
                "QUIT" => t.quit = raw,
                other => panic!("unexpected session ack for {other}"),
            }
        }
        Event::Ack { id, ack, .. } => {
            let i = id.0 as usize;
            acks.resize(acks.len().max(i + 1), None);
            acks[i] = Some(ack.raw.to_string());
        }
        Event::Data { id, line, .. } => {
            let i = id.0 as usize;
            lines.resize(lines.len().max(i + 1), Vec::new());
            lines[i].push(line.to_string());
        }
        Event::Completed(c) => {
            let i = c.id.0 as usize;
            assert_eq!(i, t.results.len(), "completions in request order");
            t.results.push(match c.outcome {
                Outcome::Ok => Result::Ok {
                    ack: acks.get(i).cloned().flatten().expect("an OK ack"),
                    lines: lines.get(i).cloned().unwrap_or_default(),
                },
                Outcome::Refused(ack) => Result::Refused(ack.raw.to_string()),
                other => panic!("reference request {i} ended {other:?}"),
            });
        }
        Event::Closed { error } => closed = Some(error),
        _ => {}
    })
    .expect("the reference scenario runs");
    assert_eq!(
        closed,
        Some(None),
        "the reference closes cleanly after quit"
    );
    t
}

/// Moves bytes between the server end of the duplex and a fresh model until either side
/// closes. Returns the number of frames the model received.
async fn pump(mut end: DuplexStream, mut server: Server) -> u32 {
    let epoch = Instant::now();
    let mut inbound = [0u8; 512];
    let mut outbound = [0u8; 512];
    loop {
        loop {
            let n = server.poll_output(&mut outbound);
            if n == 0 {
                break;
            }
            if end.write_all(&outbound[..n]).await.is_err() {
                return server.frames_received();
            }
        }
        if server.is_closed() {
            // Dropping the end is the close the client sees (EOF after the last byte).
            return server.frames_received();
        }
        let n = match end.read(&mut inbound).await {
            Ok(0) | Err(_) => {
                server.disconnect();
                return server.frames_received();
            }
            Ok(n) => n,
        };
        let now = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        server.handle_input(now, &inbound[..n]);
    }
}

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_secs(5))
        .with_heartbeat(None)
}

async fn tokio_transcript(chunk: usize) -> (Transcript, u32) {
    let (client_end, server_end) = tokio::io::duplex(chunk);
    let server = tokio::spawn(pump(server_end, Server::new(ServerConfig::new())));
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    let mut c = Client::with_stream(client_end, creds, config())
        .await
        .expect("attached");
    let mut t = Transcript {
        attach: c.attach_ack().map(|a| a.to_string()),
        ..Transcript::default()
    };
    assert_eq!(c.role(), Some(Role::Queen));
    for step in SCENARIO {
        let Some(request) = step.request() else {
            let quit = c.quit().await.expect("quit");
            t.quit = Some(quit.ack.to_string());
            continue;
        };
        t.results.push(match c.request(request).await {
            Ok(reply) => Result::Ok {
                ack: reply.ack.to_string(),
                lines: reply.lines.to_vec(),
            },
            Err(ClientError::Refused(ack)) => Result::Refused(ack.to_string()),
            Err(e) => panic!("{request:?} failed: {e}"),
        });
    }
    assert!(!c.is_connected(), "quit closes the transport");
    // Without a way to open a new transport the client stays closed.
    assert!(matches!(c.ping().await, Err(ClientError::Closed)));
    (t, server.await.expect("pump"))
}

#[tokio::test]
async fn tokio_client_matches_the_core_reference() {
    let reference = reference();
    assert_eq!(reference.attach.as_deref(), Some("OK ATTACH role=queen"));
    assert_eq!(reference.quit.as_deref(), Some("OK QUIT"));
    assert!(reference
        .results
        .iter()
        .any(|r| matches!(r, Result::Refused(l) if l.contains("invalid-path"))));
    for chunk in [1, 3, 7, 64, 4096] {
        let (got, frames) = timeout(Duration::from_secs(20), tokio_transcript(chunk))
            .await
            .unwrap_or_else(|_| panic!("chunk {chunk}: scenario stalled"));
        assert_eq!(got, reference, "read chunk {chunk}");
        // AUTH, ATTACH, the requests and QUIT: nothing else was written.
        assert_eq!(frames as usize, SCENARIO.len() + 2, "read chunk {chunk}");
    }
}

#[tokio::test]
async fn attach_refusal_is_the_line_the_queen_sent() {
    let key = TicketKey::from_secret(b"not-the-secret");
    let claims =
        Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), 1_700_000_000_000).unwrap();
    let mut out = [0u8; MAX_TICKET_LEN];
    let bad = ticket::mint(&claims, &key, &mut out).unwrap().to_string();
    let (client_end, server_end) = tokio::io::duplex(64);
    let server = tokio::spawn(pump(server_end, Server::new(ServerConfig::new())));
    let creds = Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(&bad)).unwrap();
    let err = timeout(
        Duration::from_secs(10),
        Client::with_stream(client_end, creds, config()),
    )
    .await
    .expect("no stall")
    .expect_err("refused");
    match err {
        ClientError::Refused(ack) => {
            assert_eq!(ack.to_string(), "ERR ATTACH reason=policy detail=denied");
        }
        other => panic!("{other}"),
    }
    drop(server);
    // A good ticket for the same role attaches, and the ack is the model's line.
    let good_key = TicketKey::from_secret(role_secret(Role::WorkerHeartbeat));
    let good = ticket::mint(&claims, &good_key, &mut out)
        .unwrap()
        .to_string();
    let (client_end, server_end) = tokio::io::duplex(64);
    let _server = tokio::spawn(pump(server_end, Server::new(ServerConfig::new())));
    let creds = Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(&good)).unwrap();
    let c = Client::with_stream(client_end, creds, config())
        .await
        .expect("attached");
    assert_eq!(
        c.attach_ack().map(|a| a.to_string()).as_deref(),
        Some("OK ATTACH role=worker-heartbeat")
    );
}
