//! Shell completions and man pages for every tool, generated from their clap definitions
//! (the one source of their flags): `coh completions SHELL [TOOL]` prints a completion
//! script, `coh man --out DIR` writes `DIR/man1/<tool>.1` for every tool (subcommands get
//! `<tool>-<sub>.1`).
//!
//! ```text
//!  shell::cli::Cli ─┐
//!  queen::Args ─────┤
//!  rtc::Cli ────────┤   clap::CommandFactory   ┌─► clap_complete  (bash, zsh, fish, elvish, powershell)
//!  snapshot::Args ──┼──────────────────────────┤
//!  playbook::Cli ───┤                          └─► clap_mangen    (roff man pages)
//!  gateway::Args ───┤
//!  coh::Cli ────────┘
//! ```

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
pub use clap_complete::Shell;

/// The name of every binary of this package (`hive-gateway` with the `gateway` feature), in
/// the order [`tools`] returns them.
pub const TOOLS: &[&str] = &[
    "cohsh",
    "coh-queen",
    "coh-rtc",
    "cohesix-snapshot",
    "cohesix-playbook",
    #[cfg(feature = "gateway")]
    "hive-gateway",
    "coh",
];

/// Every tool's clap definition, named as its binary.
#[must_use]
pub fn tools() -> Vec<clap::Command> {
    vec![
        crate::shell::cli::Cli::command(),
        crate::queen::Args::command(),
        crate::rtc::Cli::command(),
        crate::snapshot::Args::command(),
        crate::playbook::args::Cli::command(),
        #[cfg(feature = "gateway")]
        crate::gateway::Args::command(),
        crate::coh::Cli::command(),
    ]
}

/// One tool's clap definition (`None` for a name that is not one of [`TOOLS`]).
#[must_use]
pub fn tool(name: &str) -> Option<clap::Command> {
    tools().into_iter().find(|c| c.get_name() == name)
}

/// Writes `shell`'s completion script for `tool` to `out`.
///
/// # Errors
/// `InvalidInput` for an unknown tool; write errors of `out`.
pub fn completions(shell: Shell, name: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = tool(name).ok_or_else(|| unknown_tool(name))?;
    let bin = cmd.get_name().to_owned();
    clap_complete::generate(shell, &mut cmd, bin, out);
    out.flush()
}

/// Writes the man pages of every tool (and of each subcommand) under `dir/man1/`; returns
/// the files written, sorted.
///
/// # Errors
/// Directory creation or write errors.
pub fn man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let man1 = dir.join("man1");
    std::fs::create_dir_all(&man1)?;
    let mut written = Vec::new();
    for cmd in tools() {
        write_pages(&man1, cmd, &mut written)?;
    }
    written.sort();
    Ok(written)
}

/// Writes the completion scripts of every tool for every shell under `dir/<shell>/`;
/// returns the files written, sorted.
///
/// # Errors
/// Directory creation or write errors.
pub fn all_completions(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let sub = dir.join(shell.to_string());
        std::fs::create_dir_all(&sub)?;
        for mut cmd in tools() {
            let bin = cmd.get_name().to_owned();
            let path = clap_complete::generate_to(shell, &mut cmd, bin, &sub)?;
            written.push(path);
        }
    }
    written.sort();
    Ok(written)
}

fn write_pages(dir: &Path, cmd: clap::Command, written: &mut Vec<PathBuf>) -> io::Result<()> {
    // Subcommand pages are named `<parent>-<sub>` (git's convention); clap_mangen renders a
    // subcommand under its own name, so it is renamed first.
    let cmd = cmd.version(crate::VERSION);
    let name = cmd.get_name().to_owned();
    let path = dir.join(format!("{name}.1"));
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    std::fs::write(&path, buf)?;
    written.push(path);
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let full = format!("{name}-{}", sub.get_name());
        write_pages(dir, sub.clone().name(full), written)?;
    }
    Ok(())
}

fn unknown_tool(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("unknown tool '{name}' (one of: {})", TOOLS.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binary_is_listed_once_with_its_name() {
        let names: Vec<String> = tools().iter().map(|c| c.get_name().to_owned()).collect();
        assert_eq!(names, TOOLS);
        for cmd in tools() {
            cmd.clone().debug_assert();
            assert_eq!(
                cmd.get_version(),
                Some(crate::VERSION),
                "{}",
                cmd.get_name()
            );
        }
    }

    #[test]
    fn bash_completion_names_the_flags_of_the_tool() {
        let mut out = Vec::new();
        completions(Shell::Bash, "cohesix-playbook", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("--playbook"), "{text}");
        assert!(text.contains("--dry-run"));
        assert!(completions(Shell::Bash, "nope", &mut Vec::new()).is_err());
    }

    #[test]
    fn man_pages_cover_tools_and_subcommands() {
        let dir = tempfile::tempdir().unwrap();
        let files = man_pages(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for t in TOOLS {
            assert!(names.contains(&format!("{t}.1")), "{names:?}");
        }
        assert!(names.contains(&"coh-rtc-compile.1".to_owned()), "{names:?}");
        let page = std::fs::read_to_string(dir.path().join("man1/cohsh.1")).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
        assert!(page.contains("transport"), "{page}");
    }
}
