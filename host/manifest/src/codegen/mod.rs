//! Renders the `cohesix-generated` crate source from a validated manifest.
//!
//! The output is rustfmt-stable (the drift check and `cargo fmt --check` both see it): scalar
//! constants break after `=` exactly where rustfmt would, and any list that does not fit on one
//! line is written vertically under `#[rustfmt::skip]`.

mod sections;

use crate::constants::CONSOLE_LIMITS;
use crate::model::{Manifest, Role};
use core::fmt::Write as _;
use serde_json::Value;

/// rustfmt's default `max_width`.
const MAX_WIDTH: usize = 100;

/// Hashes embedded in the generated source.
#[derive(Debug, Clone, Copy)]
pub struct Hashes<'a> {
    /// `manifest_sha256`.
    pub manifest: &'a str,
    /// `TICKET_TABLE_SHA256`.
    pub ticket_table: &'a str,
    /// `POLICY_SHA256`.
    pub policy: &'a str,
}

pub(crate) struct Out {
    text: String,
    depth: usize,
}

impl Out {
    fn indent(&self) -> String {
        "    ".repeat(self.depth)
    }

    pub(crate) fn line(&mut self, s: &str) {
        if s.is_empty() {
            self.text.push('\n');
        } else {
            let ind = self.indent();
            let _ = writeln!(self.text, "{ind}{s}");
        }
    }

    pub(crate) fn doc(&mut self, doc: &str) {
        self.line(&format!("/// {doc}"));
    }

    pub(crate) fn konst(&mut self, doc: &str, name: &str, ty: &str, value: &str) {
        self.doc(doc);
        let ind = self.indent();
        let one = format!("{ind}pub const {name}: {ty} = {value};");
        // rustfmt breaks after `=` only when the value then fits.
        let broken_fits = ind.len() + 4 + value.len() < MAX_WIDTH;
        if one.len() <= MAX_WIDTH || !broken_fits {
            let _ = writeln!(self.text, "{one}");
        } else {
            let _ = writeln!(
                self.text,
                "{ind}pub const {name}: {ty} =\n{ind}    {value};"
            );
        }
    }

    pub(crate) fn list(&mut self, doc: &str, name: &str, ty: &str, items: &[String]) {
        let one = format!(
            "{}pub const {name}: {ty} = &[{}];",
            self.indent(),
            items.join(", ")
        );
        if one.len() <= MAX_WIDTH && !items.is_empty() {
            self.doc(doc);
            let _ = writeln!(self.text, "{one}");
            return;
        }
        self.doc(doc);
        if items.is_empty() {
            self.line(&format!("pub const {name}: {ty} = &[];"));
            return;
        }
        self.line("#[rustfmt::skip]");
        self.line(&format!("pub const {name}: {ty} = &["));
        for item in items {
            self.line(&format!("    {item},"));
        }
        self.line("];");
    }

    pub(crate) fn module(&mut self, doc: &str, name: &str, body: impl FnOnce(&mut Out)) {
        if !self.text.ends_with("{\n") {
            self.line("");
        }
        self.doc(doc);
        self.line(&format!("pub mod {name} {{"));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line("}");
    }
}

pub(crate) fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Renders the full `generated/src/lib.rs` for `m`, naming `file` as its source.
pub fn render(m: &Manifest, file: &str, hashes: &Hashes<'_>) -> String {
    let mut o = Out {
        text: String::new(),
        depth: 0,
    };
    header(&mut o, file);
    o.konst(
        "SHA-256 of the resolved manifest JSON these constants were derived from.",
        "MANIFEST_SHA256",
        "&str",
        &lit(hashes.manifest),
    );
    o.konst(
        "SHA-256 of the compact JSON of the `[[tickets]]` table.",
        "TICKET_TABLE_SHA256",
        "&str",
        &lit(hashes.ticket_table),
    );
    o.konst(
        "SHA-256 of the generated `cohsh_policy.toml`.",
        "POLICY_SHA256",
        "&str",
        &lit(hashes.policy),
    );
    o.konst(
        "Manifest schema version.",
        "MANIFEST_SCHEMA",
        "&str",
        &lit(&m.root_task.schema),
    );
    let tickets: Vec<String> = m
        .tickets
        .iter()
        .map(|t| format!("({}, {})", lit(t.role.label()), lit(&t.secret)))
        .collect();
    o.line("");
    o.list(
        "`[[tickets]]` as `(role label, secret)`: the manifest's public development defaults.",
        "TICKETS",
        "&[(&str, &str)]",
        &tickets,
    );
    o.module(
        "Console grammar limits (constants of the console grammar, not manifest keys).",
        "console",
        |o| {
            for (doc, name, ty, value) in CONSOLE_LIMITS {
                o.konst(doc, name, ty, &value.to_string());
            }
        },
    );
    o.module("Role labels accepted by `ATTACH`.", "roles", |o| {
        for role in Role::ALL {
            let name = role.label().replace('-', "_").to_uppercase();
            o.konst(
                &format!("`{}`.", role.label()),
                &name,
                "&str",
                &lit(role.label()),
            );
        }
        let all: Vec<String> = Role::ALL.iter().map(|r| lit(r.label())).collect();
        o.list("Every role, queen first.", "ALL", "&[&str]", &all);
    });
    // Unwritten 0.9 keys take their effective values, so the generated API does not depend
    // on which optional keys a manifest spells out.
    let filled = m.filled();
    sections::scalar_sections(&mut o, &filled, hashes);
    generic_sections(&mut o, &filled);
    o.text
}

fn header(o: &mut Out, file: &str) {
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("manifest");
    let lines = [
        format!("// @generated by coh-rtc from {file}. DO NOT EDIT."),
        format!("// Regenerate with: coh-rtc compile {file} --out generated"),
        "//! Manifest-derived constants for the Cohesix client stack.".to_owned(),
        "//!".to_owned(),
        "//! ```text".to_owned(),
        format!("//! {file} ──coh-rtc compile──► src/lib.rs (this crate)"),
        format!("//!   └─ defaults filled ──► {stem}_resolved.json ──sha256──► MANIFEST_SHA256"),
        "//! ```".to_owned(),
        "//!".to_owned(),
        "//! `no_std`, no dependencies: the core, the adapters and the host tools read their bounds"
            .to_owned(),
        "//! from here. Console limits are grammar constants emitted by the compiler.".to_owned(),
        "#![no_std]".to_owned(),
        String::new(),
    ];
    for l in lines {
        o.line(&l);
    }
}

fn generic_sections(o: &mut Out, m: &Manifest) {
    let sections: [(&str, &str, Option<Value>); 6] = [
        (
            "sharding",
            "sharding",
            serde_json::to_value(&m.sharding).ok(),
        ),
        (
            "control_plane",
            "control_plane",
            serde_json::to_value(&m.control_plane).ok(),
        ),
        (
            "observability",
            "observability",
            serde_json::to_value(&m.observability).ok(),
        ),
        (
            "ui_providers",
            "ui_providers",
            serde_json::to_value(&m.ui_providers).ok(),
        ),
        (
            "ecosystem",
            "ecosystem",
            serde_json::to_value(&m.ecosystem).ok(),
        ),
        (
            "client_policies.coh",
            "coh",
            serde_json::to_value(&m.client_policies.coh).ok(),
        ),
    ];
    for (path, name, value) in sections {
        if let Some(Value::Object(map)) = value {
            value_module(o, path, name, &map);
        }
    }
}

fn value_module(o: &mut Out, path: &str, name: &str, map: &serde_json::Map<String, Value>) {
    o.module(&format!("`[{path}]`."), name, |o| {
        // Sorted here so the output never depends on serde_json's map ordering features.
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in entries {
            let doc = format!("`{path}.{key}`.");
            let konst = key.to_uppercase();
            match value {
                Value::Bool(b) => o.konst(&doc, &konst, "bool", &b.to_string()),
                Value::Number(n) => {
                    let ty = if key.ends_with("_ms") || key.ends_with("_s") {
                        "u64"
                    } else {
                        "usize"
                    };
                    o.konst(&doc, &konst, ty, &n.to_string());
                }
                Value::String(s) => o.konst(&doc, &konst, "&str", &lit(s)),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    let items: Vec<String> =
                        items.iter().filter_map(Value::as_str).map(lit).collect();
                    o.list(&doc, &konst, "&[&str]", &items);
                }
                Value::Object(inner) => value_module(o, &format!("{path}.{key}"), key, inner),
                // Arrays of tables (policy rules) and nulls have no constant form.
                _ => {}
            }
        }
    });
}
