//! The shell runner against a scripted in-memory backend (no sockets).

use std::collections::VecDeque;

use cohesix_cli::shell::{Backend, Flow, Op, Script, Shell, ShellError};
use cohesix_tokio::{Ack, AckStatus, ClientError, Reply};

#[derive(Default)]
struct Fake {
    sent: Vec<String>,
    replies: VecDeque<Result<Reply, ClientError>>,
    attached: bool,
}

fn ok(label: &str, detail: &str, lines: &[&str]) -> Result<Reply, ClientError> {
    Ok(Reply {
        ack: Ack::compose(AckStatus::Ok, label, Some(detail)),
        lines: lines.iter().copied().collect(),
    })
}

fn err(label: &str, detail: &str) -> Result<Reply, ClientError> {
    Err(ClientError::Refused(Ack::compose(
        AckStatus::Err,
        label,
        Some(detail),
    )))
}

impl Backend for Fake {
    async fn attach(&mut self, role: &str, _ticket: Option<&str>) -> Result<Reply, ClientError> {
        self.sent.push(format!("attach {role}"));
        self.attached = true;
        ok("ATTACH", &format!("role={role}"), &[])
    }

    async fn request(&mut self, op: &Op) -> Result<Reply, ClientError> {
        self.sent.push(format!("{op:?}"));
        self.replies.pop_front().unwrap_or(Err(ClientError::Closed))
    }

    async fn quit(&mut self) -> Result<Option<Reply>, ClientError> {
        self.sent.push("quit".into());
        self.attached = false;
        Ok(Some(ok("QUIT", "", &[]).unwrap()))
    }

    fn is_attached(&self) -> bool {
        self.attached
    }
}

async fn run(fake: Fake, text: &str) -> (Result<usize, ShellError>, Fake, String, Vec<String>) {
    let mut out = Vec::new();
    let mut shell = Shell::new(fake, &mut out, std::env::temp_dir());
    let r = shell
        .run_script(&Script::parse(text).unwrap())
        .await
        .map(|rep| rep.expectations);
    let transcript = shell.transcript().to_vec();
    let (fake, _) = shell.into_parts();
    (r, fake, String::from_utf8(out).unwrap(), transcript)
}

#[tokio::test]
async fn maps_shell_commands_to_wire_ops_and_prints_replies() {
    let mut fake = Fake::default();
    fake.replies.extend([
        ok("TAIL", "path=/log/queen.log", &["line-1"]),
        ok("ECHO", "path=/queen/ctl bytes=20", &[]),
        ok("CAT", "path=/log/queen.log data=a|b", &[]),
    ]);
    let (r, fake, out, transcript) = run(
        fake,
        "attach queen\nEXPECT OK\nlog\nEXPECT SUBSTR path=/log/queen.log\nkill worker-2\nEXPECT OK\ncat /log/queen.log\nEXPECT SUBSTR a|b\nquit\nEXPECT OK\nping\n",
    )
    .await;
    assert_eq!(r.unwrap(), 5);
    assert_eq!(
        fake.sent,
        [
            "attach queen",
            r#"Tail("/log/queen.log")"#,
            r#"Echo { path: "/queen/ctl", payload: "{\"kill\":\"worker-2\"}" }"#,
            r#"Cat("/log/queen.log")"#,
            "quit",
        ]
    );
    assert_eq!(
        out,
        "OK ATTACH role=queen\nOK TAIL path=/log/queen.log\nline-1\nOK ECHO path=/queen/ctl bytes=20\nOK CAT path=/log/queen.log data=a|b\na|b\nOK QUIT\n"
    );
    assert_eq!(
        transcript,
        [
            "OK ATTACH role=queen",
            "OK TAIL path=/log/queen.log",
            "END",
            "OK ECHO path=/queen/ctl bytes=20",
            "OK CAT path=/log/queen.log data=a|b",
            "END",
            "OK QUIT"
        ]
    );
}

#[tokio::test]
async fn lifecycle_checks_the_state_before_writing() {
    let mut fake = Fake::default();
    fake.replies.extend([
        ok(
            "CAT",
            "path=/proc/lifecycle/state data=state=ONLINE",
            &["state=ONLINE"],
        ),
        ok(
            "CAT",
            "path=/proc/lifecycle/state data=state=ONLINE",
            &["state=ONLINE"],
        ),
        ok("ECHO", "path=/queen/lifecycle/ctl bytes=6", &[]),
    ]);
    let (r, fake, _, _) = run(
        fake,
        "lifecycle drain\nEXPECT ERR\nEXPECT SUBSTR invalid-transition\nlifecycle cordon\nEXPECT OK\n",
    )
    .await;
    assert_eq!(r.unwrap(), 3);
    assert_eq!(fake.sent.len(), 3);
    assert!(
        fake.sent[2].contains(r#"payload: "cordon""#),
        "{:?}",
        fake.sent
    );
}

#[tokio::test]
async fn expectations_fail_with_line_numbers() {
    let mut fake = Fake::default();
    fake.replies
        .push_back(err("CAT", "reason=policy detail=invalid-path"));
    let (r, _, _, _) = run(fake, "cat /x\n# comment\nEXPECT OK\n").await;
    match r {
        Err(ShellError::Expectation { line, actual, .. }) => {
            assert_eq!(line, 3);
            assert_eq!(
                actual.as_deref(),
                Some("ERR CAT reason=policy detail=invalid-path")
            );
        }
        other => panic!("{other:?}"),
    }
    let (r, _, _, _) = run(Fake::default(), "EXPECT OK\n").await;
    assert!(matches!(
        r,
        Err(ShellError::ExpectWithoutCommand { line: 1 })
    ));
}

#[tokio::test]
async fn local_refusals_become_err_lines_and_transport_errors_stop() {
    let mut fake = Fake::default();
    fake.replies.push_back(Err(ClientError::Core(
        cohesix_core::error::CallerError::InvalidState.into(),
    )));
    let (r, _, out, _) = run(
        fake,
        "echo {{msize_overflow}} > /log/queen.log\nEXPECT ERR\nping\n",
    )
    .await;
    assert!(out.starts_with("ERR ECHO reason=client detail="), "{out}");
    // The PING meets a closed connection: the script stops with that error.
    assert!(
        matches!(r, Err(ShellError::Client(ClientError::Closed))),
        "{r:?}"
    );
}

#[tokio::test]
async fn quit_ends_the_script_and_usage_errors_send_nothing() {
    let (r, fake, _, _) = run(Fake::default(), "quit\nping\nping\n").await;
    assert_eq!(r.unwrap(), 0);
    assert_eq!(fake.sent, ["quit"]);
    let (r, fake, _, _) = run(Fake::default(), "frobnicate now\n").await;
    assert!(matches!(r, Err(ShellError::Usage(_))));
    assert!(fake.sent.is_empty());
    let mut out = Vec::new();
    let mut shell = Shell::new(Fake::default(), &mut out, std::env::temp_dir());
    assert_eq!(shell.execute_line("quit").await.unwrap().flow, Flow::Quit);
    assert_eq!(
        shell.execute_line("help").await.unwrap().flow,
        Flow::Continue
    );
}

/// For every state the queen may report and every word, the shell writes exactly when the
/// core's transition table allows it (the table the simulator applies), and refuses locally
/// otherwise; a state it does not know is left to the queen.
#[tokio::test]
async fn lifecycle_refusals_follow_the_core_table() {
    use cohesix_core::lifecycle::{LifecycleAction, LifecycleState};
    let labels = LifecycleState::ALL
        .iter()
        .map(|s| (s.label(), Some(*s)))
        .chain([("REBOOTING", None)]);
    for (label, state) in labels {
        for action in LifecycleAction::ALL {
            let mut fake = Fake::default();
            let data = format!("path=/proc/lifecycle/state data=state={label}");
            fake.replies
                .push_back(ok("CAT", &data, &[&format!("state={label}")]));
            fake.replies
                .push_back(ok("ECHO", "path=/queen/lifecycle/ctl bytes=5", &[]));
            let (r, fake, out, _) = run(fake, &format!("lifecycle {}\n", action.as_str())).await;
            r.unwrap();
            let allowed = state.is_none_or(|s| action.allowed_from(s));
            let case = format!("{} from {label}", action.as_str());
            if allowed {
                assert_eq!(fake.sent.len(), 2, "{case}: {:?}", fake.sent);
                let word = format!("payload: \"{}\"", action.as_str());
                assert!(fake.sent[1].contains(&word), "{case}: {:?}", fake.sent);
                assert!(out.starts_with("OK ECHO"), "{case}: {out}");
            } else {
                assert_eq!(fake.sent.len(), 1, "{case}: {:?}", fake.sent);
                assert_eq!(
                    out.trim_end(),
                    format!(
                        "ERR LIFECYCLE action={} state={label} reason=invalid-transition",
                        action.as_str()
                    ),
                    "{case}"
                );
            }
        }
    }
}

/// `/queen/ctl` commands are the core's `QueenCtl` lines; what the core refuses is a usage
/// error with the core's message, and nothing is sent.
#[tokio::test]
async fn queen_ctl_commands_are_core_encodings() {
    let mut fake = Fake::default();
    fake.replies
        .push_back(ok("ECHO", "path=/queen/ctl bytes=61", &[]));
    let (r, fake, _, _) = run(
        fake,
        "spawn gpu gpu_id=GPU-0 mem_mb=4096 streams=1 ttl_s=120 priority=1\nEXPECT OK\n",
    )
    .await;
    assert_eq!(r.unwrap(), 1);
    let mut buf = [0u8; 256];
    let lease = cohesix_core::control::GpuLeaseSpec::new("GPU-0", 4096, 1, 120).priority(1);
    let n = cohesix_core::control::QueenCtl::spawn_gpu(lease)
        .encode(&mut buf)
        .unwrap();
    let line = std::str::from_utf8(&buf[..n]).unwrap();
    assert_eq!(
        fake.sent,
        [format!(
            "Echo {{ path: \"/queen/ctl\", payload: {line:?} }}"
        )]
    );
    for (cmd, msg) in [
        ("spawn heartbeat ticks=0", "ticks must be > 0"),
        ("bind /queen host", "paths must be absolute"),
        (
            "kill worker:1",
            "worker_id must use ASCII token characters [A-Za-z0-9._-]",
        ),
    ] {
        let (r, fake, _, _) = run(Fake::default(), &format!("{cmd}\n")).await;
        match r {
            Err(ShellError::Usage(m)) => assert_eq!(m, msg, "{cmd}"),
            other => panic!("{cmd}: {other:?}"),
        }
        assert!(fake.sent.is_empty(), "{cmd}");
    }
}
