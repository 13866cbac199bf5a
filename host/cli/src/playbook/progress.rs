//! Progress display of `cohesix-playbook`: indicatif lines on a terminal (one per step, with
//! its outcome and timing), plain lines otherwise, nothing with `--quiet`. Everything goes
//! to stderr; stdout carries only the JSON result.

use std::io::IsTerminal;
use std::sync::Mutex;

use cohesix::playbook::{Progress, StepEvent, StepOutcome};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
pub enum Display {
    /// One finished line per step on a terminal.
    Tty(MultiProgress),
    /// Plain lines (not a terminal).
    Plain(Mutex<std::io::Stderr>),
    /// Nothing.
    Quiet,
}

impl Display {
    /// Chooses by `--quiet` and whether stderr is a terminal (and `TERM` is not `dumb`).
    #[must_use]
    pub fn choose(quiet: bool) -> Self {
        if quiet {
            return Self::Quiet;
        }
        let dumb = std::env::var("TERM").map_or(true, |t| t == "dumb");
        if std::io::stderr().is_terminal() && !dumb {
            Self::Tty(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Self::Plain(Mutex::new(std::io::stderr()))
        }
    }

    /// Prints a line above any progress display (or plainly).
    pub fn line(&self, text: &str) {
        match self {
            Self::Tty(m) => {
                let _ = m.println(text);
            }
            Self::Plain(e) => {
                use std::io::Write;
                if let Ok(mut e) = e.lock() {
                    let _ = writeln!(e, "{text}");
                }
            }
            Self::Quiet => {}
        }
    }
}

/// One line for an event: `[queen] step  outcome  (12 ms)`.
#[must_use]
pub fn render(e: &StepEvent) -> String {
    let what = match &e.outcome {
        StepOutcome::Ok { detail } => format!("ok       {detail}"),
        StepOutcome::Skipped { why } => format!("skipped  {why}"),
        StepOutcome::Failed { error } => format!("FAILED   {error}"),
        _ => "?".to_owned(),
    };
    let target = e
        .target
        .as_deref()
        .map(|t| format!("[{t}] "))
        .unwrap_or_default();
    format!(
        "{target}{:<15} {what}  ({} ms)",
        e.step.label(),
        e.elapsed.as_millis()
    )
}

impl Progress for Display {
    fn step(&self, e: &StepEvent) {
        match self {
            Self::Tty(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.finish_with_message(render(e));
            }
            other => other.line(&render(e)),
        }
    }
}
