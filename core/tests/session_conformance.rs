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

fn run(max_in_flight: u8, chunk: usize, reorder: bool) -> Vec<Reply> {
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    let s = Session::new(Config::new().with_max_in_flight(max_in_flight), creds).unwrap();
    let mut server = ServerConfig::new();
    server.real_queen_reorder = reorder;
    let mut p = Pair::new(s, Server::new(server));
    p.chunk = chunk;
    let mut replies: Vec<Reply> = CONFORMANCE.iter().map(|_| Reply::default()).collect();
    let mut closed = None;
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
    replies
}

#[test]
fn conformance_table_holds_for_the_core() {
    for (max, reorder) in [1u8, 3, 8]
        .into_iter()
        .flat_map(|m| [(m, false), (m, true)])
    {
        for chunk in [1usize, 7, 512] {
            let replies = run(max, chunk, reorder);
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
