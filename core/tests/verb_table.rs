//! The verb table (`cohesix_core::verb`) against the spec: the §3.2 verb table and the facts
//! of other sections, copied into `fixtures/spec/console-verbs.md`.

use std::collections::BTreeSet;

use cohesix_core::command::{parse_command, parse_line};
use cohesix_core::request::{Request, ALL_VERBS};
use cohesix_core::role::Role;
use cohesix_core::verb::{Access, ArgShape, Effect, ReplyShape, Verb, VERBS};

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/spec/console-verbs.md"
));

/// One row of the spec's §3.2 table.
struct SpecRow {
    token: String,
    label: String,
    args: String,
    allowed: String,
    output: String,
}

fn unmark(cell: &str) -> String {
    cell.trim().trim_matches('*').trim_matches('`').to_owned()
}

fn spec_rows() -> Vec<SpecRow> {
    FIXTURE
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            assert_eq!(cells.len(), 7, "{l}");
            SpecRow {
                token: unmark(cells[1]),
                label: unmark(cells[2]),
                args: cells[3].trim().to_owned(),
                allowed: cells[4].trim().to_owned(),
                output: cells[5].trim().to_owned(),
            }
        })
        .collect()
}

/// The verbs of a `key: TOKEN ...` fact line.
fn fact(key: &str) -> BTreeSet<&'static str> {
    let prefix = format!("{key}:");
    let line = FIXTURE
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("fact {key} missing"));
    let tokens = line[prefix.len()..].split('#').next().unwrap();
    tokens
        .split_whitespace()
        .map(|t| {
            Verb::from_token(t)
                .unwrap_or_else(|| panic!("{key}: {t}"))
                .token()
        })
        .collect()
}

fn verbs_where(f: impl Fn(Verb) -> bool) -> BTreeSet<&'static str> {
    ALL_VERBS
        .into_iter()
        .filter(|v| f(*v))
        .map(Verb::token)
        .collect()
}

fn shape_of(spec_args: &str) -> ArgShape {
    let has = |s: &str| spec_args.contains(s);
    if spec_args.starts_with('—') || spec_args.starts_with("none") {
        ArgShape::None
    } else if has("`[n]`") {
        ArgShape::OptionalCount
    } else if has("<role>") {
        ArgShape::RoleTicket
    } else if has("<path>") && has("<payload>") {
        ArgShape::PathPayload
    } else if has("<path>") {
        ArgShape::Path
    } else if has("<payload>") {
        ArgShape::Payload
    } else if has("<worker-id>") {
        ArgShape::Worker
    } else {
        panic!("unknown argument shape {spec_args}")
    }
}

fn access_of(allowed: &str) -> Access {
    match allowed {
        "anyone" | "—" => Access::Anyone,
        "**queen**" => Access::Queen,
        a if a.starts_with("queen, worker") || a.starts_with("queen (any path); worker") => {
            Access::Attached
        }
        other => panic!("unknown access {other}"),
    }
}

#[test]
fn every_spec_row_matches_its_table_row() {
    let rows = spec_rows();
    assert_eq!(rows.len(), 18);
    for row in &rows {
        let v = Verb::from_token(&row.token).unwrap_or_else(|| panic!("{}", row.token));
        let case = &row.token;
        assert_eq!(v.ack_label(), row.label, "{case}");
        assert_eq!(v.args(), shape_of(&row.args), "{case}");
        assert_eq!(v.access(), access_of(&row.allowed), "{case}");
        assert_eq!(v.is_stream(), row.output.contains("`END`"), "{case}");
    }
    // The table holds the spec's verbs and AUTH (§2.2), nothing else.
    let mut spec: BTreeSet<String> = rows.iter().map(|r| r.token.to_uppercase()).collect();
    spec.insert("AUTH".into());
    let table: BTreeSet<String> = VERBS.iter().map(|r| r.token.to_owned()).collect();
    assert_eq!(spec, table);
}

#[test]
fn reply_shapes_are_the_spec_sets() {
    assert_eq!(verbs_where(Verb::is_stream), fact("stream"));
    assert_eq!(
        verbs_where(Verb::is_unterminated_multiline),
        fact("unterminated")
    );
    assert_eq!(verbs_where(|v| v.reply() == ReplyShape::Pong), fact("pong"));
    assert_eq!(
        verbs_where(|v| v.reply() == ReplyShape::AckThenError),
        fact("late-err")
    );
    // A PING fence delimits exactly the replies that have no end of their own.
    let fenced: BTreeSet<_> = fact("unterminated")
        .union(&fact("late-err"))
        .copied()
        .collect();
    assert_eq!(verbs_where(Verb::needs_fence), fenced);
}

#[test]
fn effects_and_retry_safety_are_the_spec_sets() {
    assert_eq!(verbs_where(Verb::is_write), fact("write"));
    assert_eq!(
        verbs_where(|v| v.effect() == Effect::Cursor),
        fact("cursor")
    );
    assert_eq!(
        verbs_where(|v| v.effect() == Effect::Trigger),
        fact("trigger")
    );
    assert_eq!(verbs_where(Verb::is_session_verb), fact("session"));
    // Safe to re-send after a drop: every verb without one of those effects.
    let effects: BTreeSet<_> = ["write", "cursor", "trigger", "session"]
        .into_iter()
        .flat_map(fact)
        .collect();
    let reads: BTreeSet<_> = verbs_where(|_| true)
        .difference(&effects)
        .copied()
        .collect();
    assert_eq!(verbs_where(Verb::is_idempotent_read), reads);
    // A caller's request whose reply was lost has an unknown outcome exactly when it is not
    // idempotent; the writes are among those, never among the re-sendable reads.
    for v in ALL_VERBS {
        if v.is_write() {
            assert!(!v.is_idempotent_read(), "{v:?}");
        }
    }
    assert!(fact("write").is_disjoint(&reads));
}

#[test]
fn access_is_the_spec_sets() {
    assert_eq!(
        verbs_where(|v| v.access() == Access::Transport),
        fact("transport")
    );
    assert_eq!(
        verbs_where(|v| !v.allowed_before_attach()),
        fact("needs-attach")
    );
    assert!(fact("before-attach").is_subset(&verbs_where(Verb::allowed_before_attach)));
}

/// A request of each verb with arguments of its shape (the match is exhaustive: a new verb
/// must be given one).
fn sample(v: Verb) -> Request<'static> {
    match v {
        Verb::Auth => Request::auth("changeme").unwrap(),
        Verb::Attach => Request::attach(Role::WorkerGpu, Some("tkt")).unwrap(),
        Verb::CacheLog => Request::cachelog(Some(7)),
        Verb::Tail => Request::tail("/log/queen.log").unwrap(),
        Verb::Cat => Request::cat("/proc/boot").unwrap(),
        Verb::Ls => Request::ls("/proc").unwrap(),
        Verb::Echo => Request::echo("/log/queen.log", "a  b").unwrap(),
        Verb::Spawn => Request::spawn("{\"spawn\":\"heartbeat\",\"ticks\":3}").unwrap(),
        Verb::Kill => Request::kill("worker-1").unwrap(),
        Verb::Ping
        | Verb::Help
        | Verb::Bi
        | Verb::Caps
        | Verb::Mem
        | Verb::Test
        | Verb::NetTest
        | Verb::NetStats
        | Verb::Log
        | Verb::Quit => Request::without_args(v).unwrap(),
    }
}

#[test]
fn every_token_round_trips_through_the_parser() {
    for v in ALL_VERBS {
        let req = sample(v);
        assert_eq!(req.verb(), v);
        assert_eq!(
            Request::without_args(v).is_some(),
            v.args() == ArgShape::None,
            "{v:?}"
        );
        let mut line = [0u8; 256];
        let n = req.write_line(&mut line).unwrap();
        let text = std::str::from_utf8(&line[..n]).unwrap();
        assert!(text.starts_with(v.token()), "{text}");
        let mut buf = [0u8; 256];
        let parsed = parse_command(&line[..n], &mut buf);
        if v == Verb::Auth {
            // AUTH is the transport's frame, not a console command.
            assert!(parsed.is_err(), "{parsed:?}");
            assert_eq!(req.to_command(), None);
            continue;
        }
        let cmd = parsed.unwrap();
        assert_eq!(cmd.verb(), v, "{text}");
        assert_eq!(Some(cmd), req.to_command(), "{text}");
        // Tokens match case-insensitively (spec §3.1).
        let lower = text.replacen(v.token(), &v.token().to_ascii_lowercase(), 1);
        assert_eq!(parse_line(&lower).map(|c| c.verb()), Ok(v), "{lower}");
        assert_eq!(Verb::from_ack_label(v.ack_label()), Some(v));
        assert_eq!(format!("{v}"), v.token());
    }
}
