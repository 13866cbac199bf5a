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
