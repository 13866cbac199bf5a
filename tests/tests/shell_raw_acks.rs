//! The shell prints the `OK ATTACH`, `ERR ATTACH` and `OK QUIT` lines the queen sent, not a
//! re-rendering: a fake queen on loopback answers with lines no re-rendering would produce
//! (extra fields, a non-canonical refusal) and the shell output must hold them verbatim.

use std::time::Duration;

use cohesix_cli::shell::{Script, Shell, TcpBackend, Token};
use cohesix_integration::raw::frame;
use cohesix_integration::{test_config, upstream_dir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const GUARD: Duration = Duration::from_secs(10);

async fn read_line(s: &mut TcpStream) -> Option<String> {
    let mut len = [0u8; 4];
    timeout(GUARD, s.read_exact(&mut len)).await.ok()?.ok()?;
    let n = (u32::from_le_bytes(len) as usize).checked_sub(4)?;
    let mut buf = vec![0u8; n];
    timeout(GUARD, s.read_exact(&mut buf)).await.ok()?.ok()?;
    String::from_utf8(buf).ok()
}

async fn send_line(s: &mut TcpStream, line: &str) {
    s.write_all(&frame(line.as_bytes())).await.unwrap();
}

/// One connection: AUTH, then ATTACH answered with `attach_reply`; when attached, QUIT
/// answered with `quit_reply`.
async fn fake_queen(l: TcpListener, attach_reply: &'static str, quit_reply: &'static str) {
    let (mut s, _) = timeout(GUARD, l.accept()).await.unwrap().unwrap();
    assert_eq!(read_line(&mut s).await.as_deref(), Some("AUTH changeme"));
    send_line(&mut s, "OK AUTH").await;
    let attach = read_line(&mut s).await.unwrap();
    assert!(attach.starts_with("ATTACH queen"), "{attach}");
    send_line(&mut s, attach_reply).await;
    if attach_reply.starts_with("ERR") {
        return;
    }
    assert_eq!(read_line(&mut s).await.as_deref(), Some("QUIT"));
    send_line(&mut s, quit_reply).await;
}

async fn run(text: &str, attach_reply: &'static str, quit_reply: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let peer = tokio::spawn(fake_queen(l, attach_reply, quit_reply));
    let script = Script::parse(text).unwrap();
    let backend = TcpBackend::new(addr, Token::new("changeme"), test_config());
    let mut out = Vec::new();
    let mut shell = Shell::new(backend, &mut out, upstream_dir());
    let _ = timeout(GUARD, shell.run_script(&script))
        .await
        .expect("no hang");
    drop(shell);
    peer.await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn attach_and_quit_acks_are_printed_as_received() {
    let out = run(
        "attach queen\nEXPECT OK\nquit\n",
        "OK ATTACH role=queen session=7",
        "OK QUIT bye=1",
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"OK ATTACH role=queen session=7"), "{out}");
    assert!(lines.contains(&"OK QUIT bye=1"), "{out}");
}

#[tokio::test]
async fn attach_refusal_is_printed_as_received() {
    let out = run(
        "attach queen\nEXPECT ERR\nEXPECT SUBSTR note=verbatim\n",
        "ERR ATTACH reason=policy detail=denied note=verbatim",
        "",
    )
    .await;
    assert!(
        out.lines()
            .any(|l| l == "ERR ATTACH reason=policy detail=denied note=verbatim"),
        "{out}"
    );
}
