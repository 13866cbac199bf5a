//! A short human report of a pack, in Markdown, for a CI job summary: counts, what is
//! missing or in error, the hash checks, the CI verdict, timeline counts and the last
//! decisions. Never fails: what cannot be read is said in the report.

use std::fmt::Write as _;
use std::path::Path;

use super::timeline::{self, one_line};
use super::{ci, files, Status, Summary};

/// Decisions listed by default.
pub const DEFAULT_LAST_DECISIONS: usize = 10;
/// Missing/error items listed at most.
pub const MAX_LISTED_ITEMS: usize = 64;

/// A Markdown table cell: one line, `|` and backticks escaped.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|").replace('`', "'")
}

fn short(h: &str) -> String {
    h.get(..12)
        .map_or_else(|| cell(h), |p| format!("{}…", cell(p)))
}

/// The report of the pack in `dir` (named `display`), listing the last `last_decisions`
/// decisions.
#[must_use]
pub fn report(dir: &Path, display: &str, last_decisions: usize) -> String {
    let mut out = format!("# Evidence pack `{}`\n\n", cell(display));
    let summary = files::read_text(dir, "summary.json")
        .ok()
        .flatten()
        .map(|t| Summary::parse(&t));
    let ci = ci::check(dir, display);
    out.push_str("| | |\n|---|---|\n");
    match &summary {
        Some(Ok(s)) => {
            let _ = writeln!(out, "| captured | {} |", s.captured());
            let _ = writeln!(out, "| missing | {} |", s.missing());
            let _ = writeln!(out, "| errors | {} |", s.errors());
        }
        Some(Err(e)) => {
            let _ = writeln!(out, "| summary.json | unusable: {} |", cell(&e.to_string()));
        }
        None => out.push_str("| summary.json | **absent: the pack is incomplete** |\n"),
    }
    let m = &ci.manifest;
    let sources: Vec<&str> = m.compared.iter().map(|c| c.source.as_str()).collect();
    let _ = writeln!(
        out,
        "| manifest_sha256 | `{}` {} (against {}{}) |",
        m.pack.as_deref().map_or_else(|| "none".into(), short),
        if m.ok() { "matches" } else { "**MISMATCH**" },
        sources.join(", "),
        if m.has_target() {
            ""
        } else {
            "; the target's own hash was not available"
        }
    );
    if let Ok(Some(meta)) = files::read(dir, "meta.json") {
        if let Some(p) = serde_json::from_slice::<serde_json::Value>(&meta)
            .ok()
            .and_then(|v| v.get("policy_sha256")?.as_str().map(str::to_owned))
        {
            let _ = writeln!(out, "| policy_sha256 | `{}` |", short(&p));
        }
    }
    let _ = writeln!(
        out,
        "| CI checks | {} |",
        if ci.ok() {
            "ok".to_owned()
        } else {
            format!(
                "**not ok** ({} missing, {} errors)",
                ci.missing.len(),
                ci.errors.len()
            )
        }
    );

    if let Some(Ok(s)) = &summary {
        let notable: Vec<_> = s
            .items
            .iter()
            .filter(|i| i.status != Status::Captured)
            .collect();
        if !notable.is_empty() {
            out.push_str("\n## Missing and errors\n\n");
            for i in notable.iter().take(MAX_LISTED_ITEMS) {
                let _ = writeln!(
                    out,
                    "- `{}` {}: {}",
                    cell(&i.saved_as),
                    i.status.as_str(),
                    cell(i.detail.as_deref().unwrap_or(""))
                );
            }
            if notable.len() > MAX_LISTED_ITEMS {
                let _ = writeln!(out, "- … and {} more", notable.len() - MAX_LISTED_ITEMS);
            }
        }
    }
    if !ci.ok() {
        out.push_str("\n## CI findings\n\n");
        for e in ci.errors.iter().take(MAX_LISTED_ITEMS) {
            let _ = writeln!(out, "- {}", cell(e));
        }
    }

    out.push_str("\n## Timeline\n\n");
    match timeline::build(dir) {
        Ok(t) => {
            let counts: Vec<String> = t.counts().iter().map(|(s, n)| format!("{s} {n}")).collect();
            let _ = writeln!(
                out,
                "events: {}{}{}",
                t.events.len(),
                if counts.is_empty() { "" } else { " — " },
                counts.join(", ")
            );
            let decisions: Vec<_> = t
                .events
                .iter()
                .filter(|e| e.source == "audit/decisions")
                .collect();
            if !decisions.is_empty() && last_decisions > 0 {
                let from = decisions.len().saturating_sub(last_decisions);
                let _ = write!(
                    out,
                    "\n## Last {} decisions\n\n| seq | kind | outcome | id | target | path | role |\n|---|---|---|---|---|---|---|\n",
                    decisions.len() - from
                );
                for e in decisions.get(from..).unwrap_or_default() {
                    let o = |v: &Option<String>| cell(v.as_deref().unwrap_or(""));
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} |",
                        e.seq.map(|s| s.to_string()).unwrap_or_default(),
                        cell(&e.kind),
                        o(&e.outcome),
                        o(&e.id),
                        o(&e.target),
                        o(&e.path),
                        o(&e.role)
                    );
                }
            }
        }
        Err(e) => {
            let _ = writeln!(out, "unavailable: {}", cell(&e.to_string()));
        }
    }
    out
}
