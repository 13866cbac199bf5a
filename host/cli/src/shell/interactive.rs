//! Interactive mode: line editing and history (rustyline); the console's driver keeps the
//! connection serviced (idle heartbeat) while waiting for input.

use std::io::Write;
use std::path::PathBuf;

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
        // The console's driver keeps the session alive (heartbeat) while we wait.
        let (ed, line) = read
            .await
            .map_err(|e| ReadlineError::Io(std::io::Error::other(e)))?;
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
