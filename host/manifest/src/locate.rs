//! Maps a key path back to a position in the TOML source.
//!
//! Validation runs on the typed model, which has no spans, so each rule names the key it is
//! about ([`KeyPath`]); this module finds that key in a span-preserving parse of the same
//! source. A key absent from the source (a defaulted value) resolves to its nearest written
//! ancestor, and failing that to line 1, column 1.

use core::fmt;
use core::ops::Range;
use toml_edit::{ImDocument, Item, Table, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(&'static str),
    /// An array (or array-of-tables) index.
    Index(usize),
}

/// A path from the document root to a key, e.g. `tickets[1].role`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Seg>);

impl KeyPath {
    /// Path made of table keys only.
    pub fn of(keys: &[&'static str]) -> Self {
        Self(keys.iter().map(|k| Seg::Key(k)).collect())
    }

    /// Appends a key.
    pub fn key(mut self, key: &'static str) -> Self {
        self.0.push(Seg::Key(key));
        self
    }

    /// Appends an index.
    pub fn idx(mut self, index: usize) -> Self {
        self.0.push(Seg::Index(index));
        self
    }

    /// The segments.
    pub fn segs(&self) -> &[Seg] {
        &self.0
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Value(value) => value.span(),
            Node::Table(table) => table.span(),
        }
    }

    fn child(self, seg: &Seg) -> Option<Node<'a>> {
        match (self, seg) {
            (Node::Table(t), Seg::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(Item::Table(t)), Seg::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(Item::Value(v)) | Node::Value(v), Seg::Key(k)) => {
                v.as_inline_table().and_then(|t| t.get(k)).map(Node::Value)
            }
            (Node::Item(Item::ArrayOfTables(a)), Seg::Index(n)) => a.get(*n).map(Node::Table),
            (Node::Item(Item::Value(v)) | Node::Value(v), Seg::Index(n)) => {
                v.as_array().and_then(|a| a.get(*n)).map(Node::Value)
            }
            _ => None,
        }
    }
}

/// Byte span of the deepest part of `path` written in `src`, if any.
pub fn span_of(src: &str, path: &KeyPath) -> Option<Range<usize>> {
    let doc = ImDocument::parse(src).ok()?;
    let mut node = Node::Table(doc.as_table());
    let mut best = None;
    for seg in path.segs() {
        match node.child(seg) {
            Some(next) => {
                node = next;
                if let Some(span) = next.span() {
                    best = Some(span);
                }
            }
            None => break,
        }
    }
    best
}

/// 1-based `(line, column)` of byte `offset` in `src` (column counts characters).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let upto = src.get(..offset).unwrap_or(src);
    let line = upto.matches('\n').count() + 1;
    let line_start = upto.rfind('\n').map_or(0, |i| i + 1);
    let column = upto.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// 1-based `(line, column)` of `path` in `src`; `(1, 1)` when nothing of it is written.
pub fn position_of(src: &str, path: &KeyPath) -> (usize, usize) {
    span_of(src, path).map_or((1, 1), |span| line_col(src, span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "a = 1\n# é comment\nb = \"ü\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        let b = src.find("b =").unwrap();
        assert_eq!(line_col(src, b + 4), (3, 5));
        let after = src.find("é").unwrap() + "é".len();
        assert_eq!(line_col(src, after), (2, 4));
    }

    #[test]
    fn key_path_display() {
        let p = KeyPath::of(&["sidecars", "lora"])
            .key("adapters")
            .idx(2)
            .key("scope");
        assert_eq!(p.to_string(), "sidecars.lora.adapters[2].scope");
    }

    #[test]
    fn finds_nested_inline_and_array_values() {
        let src = "[x]\ny = [1, 2]\nz = { w = 3 }\n\n[[t]]\nk = 1\n\n[[t]]\nk = 2\n";
        let at = |p: &KeyPath| position_of(src, p);
        assert_eq!(at(&KeyPath::of(&["x", "y"]).idx(1)), (2, 9));
        assert_eq!(at(&KeyPath::of(&["x", "z", "w"])), (3, 11));
        assert_eq!(at(&KeyPath::of(&["t"]).idx(1).key("k")), (9, 5));
        // A key that is not written falls back to its nearest written ancestor.
        assert_eq!(at(&KeyPath::of(&["x", "missing"])), (1, 1));
        assert_eq!(at(&KeyPath::of(&["t"]).idx(1).key("missing")), (8, 1));
        assert_eq!(at(&KeyPath::of(&["nothing"])), (1, 1));
    }
}
