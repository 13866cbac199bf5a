//! The shared conformance scenario (`testkit::CONFORMANCE`) through the core session, with
//! every pipelining depth and input split, against the model in its default mode and in its
//! real-queen reorder mode, so adapters can rely on the table.

use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig, CONFORMANCE, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, Outcome, Session};

#[derive(Debug, Default, PartialEq)]
struct Reply {
    ack: Option<String>,
    lines: Vec<String>,
    refusal: Option<String>,
    ok: bool,
}

fn run(max_in_flight: u8, chunk: usize, reorder: bool) -> (Vec<Reply>, Vec<String>) {
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    let s = Session::new(Config::new().with_max_in_flight(max_in_flight), creds).unwrap();
    let mut server = ServerConfig::new();
    server.real_queen_reorder = reorder;
    let mut p = Pair::new(s, Server::new(server));
    p.chunk = chunk;
    let mut replies: Vec<Reply> = CONFORMANCE.iter().map(|_| Reply::default()).collect();
    let mut closed = None;
    let mut session_acks = Vec::new();
    let mut on = |e: Event<'_>| match e {
        Event::Ack { id, ack, .. } => replies[id.0 as usize].ack = Some(ack.raw.to_string()),
        Event::Data { id, line, .. } => replies[id.0 as usize].lines.push(line.to_string()),
        Event::Completed(c) => {
            let r = &mut replies[c.id.0 as usize];
            match c.outcome {
                Outcome::Ok => r.ok = true,
                Outcome::Refused(ack) => r.refusal = Some(ack.raw.to_string()),
                other => panic!("{other:?}"),
            }
        }
        Event::Closed { error } => closed = Some(error),
        Event::SessionAck { verb, ack } => session_acks.push(format!("{verb}: {}", ack.raw)),
        Event::Authenticated | Event::Attached { .. } => {}
        other => panic!("{other:?}"),
    };
    p.drive(&mut on);
    for step in CONFORMANCE {
        p.client.send(&step.request).unwrap();
    }
    p.client.quit().unwrap();
    p.drive(&mut on);
    assert_eq!(closed, Some(None));
    (replies, session_acks)
}

#[test]
fn conformance_table_holds_for_the_core() {
    for (max, reorder) in [1u8, 3, 8]
        .into_iter()
        .flat_map(|m| [(m, false), (m, true)])
    {
        for chunk in [1usize, 7, 512] {
            let (replies, session_acks) = run(max, chunk, reorder);
            // The session's own acks arrive raw, as the queen sent them.
            assert_eq!(
                session_acks,
                ["ATTACH: OK ATTACH role=queen", "QUIT: OK QUIT"],
                "max={max} chunk={chunk} reorder={reorder}"
            );
            for (step, got) in CONFORMANCE.iter().zip(&replies) {
                let want = Reply {
                    ack: step.ack.map(str::to_string),
                    lines: step.lines.iter().map(|l| l.to_string()).collect(),
                    refusal: step.refusal.map(str::to_string),
                    ok: step.refusal.is_none(),
                };
                assert_eq!(
                    got, &want,
                    "{:?} max={max} chunk={chunk} reorder={reorder}",
                    step.request
                );
            }
        }
    }
}

#[test]
fn adapter_scenario_reference_transcript_is_complete() {
    use cohesix_core::session::testkit::{reference_transcript, ScenarioStep, SCENARIO};
    let mut log = Vec::new();
    reference_transcript(&mut |e| log.push(format!("{e:?}"))).unwrap();
    assert_eq!(log.first().map(String::as_str), Some("Authenticated"));
    assert!(log[1].contains("raw: \"OK ATTACH role=queen\""), "{log:#?}");
    assert_eq!(
        log.last().map(String::as_str),
        Some("Closed { error: None }")
    );
    assert!(
        log.iter().any(|l| l.contains("raw: \"OK QUIT\"")),
        "{log:#?}"
    );
    assert!(log.iter().any(|l| l.contains("invalid-path")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("conformance-1")), "{log:#?}");
    // One completion per request step, in order.
    let completions = log.iter().filter(|l| l.starts_with("Completed")).count();
    let requests = SCENARIO
        .iter()
        .filter(|s| matches!(s, ScenarioStep::Send(_)))
        .count();
    assert_eq!(completions, requests, "{log:#?}");
}
