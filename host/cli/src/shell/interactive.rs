//! Interactive mode: line editing and history (rustyline), with the connection serviced
//! (idle heartbeat) while waiting for input.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use super::runner::{Flow, Shell, ShellError};
use super::tcp::TcpBackend;

/// The prompt.
pub const PROMPT: &str = "cohsh> ";

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cohsh_history"))
}

/// Runs the read-eval-print loop until `quit` or end of input.
///
/// Cancel safety: dropping the future leaves the shell and its client usable; a line being
/// edited is lost (the blocking read finishes in the background).
///
/// # Errors
/// Only when the terminal cannot be used; command failures are printed and the loop goes
/// on.
pub async fn run<W: Write>(shell: &mut Shell<TcpBackend, W>) -> Result<(), ReadlineError> {
    let mut editor = DefaultEditor::new()?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    loop {
        let read = tokio::task::spawn_blocking(move || {
            let line = editor.readline(PROMPT);
            (editor, line)
        });
        tokio::pin!(read);
        let mut serviced = true;
        let (ed, line) = loop {
            let idle = async {
                match shell.backend_mut().client_mut() {
                    Some(c) if serviced && c.is_connected() => {
                        c.idle(Duration::from_secs(3600)).await
                    }
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                joined = &mut read => break joined.map_err(|e| ReadlineError::Io(std::io::Error::other(e)))?,
                r = idle => if let Err(e) = r {
                    eprintln!("connection lost: {e} (the next command reconnects)");
                    serviced = false;
                },
            }
        };
        editor = ed;
        let line = match line {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        let trimmed = line.split('#').next().unwrap_or("").trim().to_owned();
        if trimmed.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(trimmed.as_str());
        match shell.execute_line(&trimmed).await {
            Ok(outcome) if outcome.flow == Flow::Quit => break,
            Ok(_) => {}
            Err(ShellError::Usage(m)) => eprintln!("{m}"),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}
