//! Bounded enumeration of the namespace for mirroring (the host library's Mock backend
//! writes the tree to a directory after each write so a person can inspect it).

use cohesix_generated::secure9p::WALK_DEPTH;

use super::error::NsError;
use super::Namespace;

/// Result of [`Namespace::walk`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Directories visited, `/` first, in listing order (depth first).
    pub dirs: Vec<String>,
    /// `(path, content)` of every readable file visited, in listing order; the content is
    /// what [`Namespace::read_bytes`] returns (each line followed by `\n`).
    pub files: Vec<(String, Vec<u8>)>,
    /// Content bytes in `files`.
    pub bytes: usize,
    /// Set when `max_nodes` or `max_bytes` stopped the walk before the end.
    pub truncated: bool,
}

fn child(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

impl Namespace {
    /// Every directory and readable file, depth first in listing order, visiting at most
    /// `max_nodes` nodes (directories and files) and keeping at most `max_bytes` of file
    /// content (a file that does not fit stops the walk; nothing is cut). Nodes that can
    /// only be appended to or tailed (`/queen/ctl`, `/worker/<id>/telemetry`,
    /// `/proc/ingest/watch`), refused listings (`/shard`: `buffer-full`) and anything deeper
    /// than the 9P walk depth (8) are skipped. `now_ms` feeds time-derived `/proc` nodes.
    /// Content is verbatim: `/audit/journal` and `/audit/decisions` carry the writers'
    /// attach tickets, so a mirror that others may read should leave `/audit` out or redact it.
    /// Cost: bounded by `max_nodes` list/read calls.
    pub fn walk(&self, max_nodes: usize, max_bytes: usize, now_ms: u64) -> Walk {
        let mut out = Walk::default();
        let mut visited = 0usize;
        // Stack of (directory, its entries, next index): depth first, listing order.
        let mut stack: Vec<(String, Vec<String>, usize)> = Vec::new();
        if let Ok(entries) = self.list("/") {
            visited += 1;
            out.dirs.push("/".to_string());
            stack.push(("/".to_string(), entries, 0));
        }
        while let Some((dir, entries, next)) = stack.last_mut() {
            let Some(name) = entries.get(*next).cloned() else {
                stack.pop();
                continue;
            };
            *next += 1;
            if visited >= max_nodes {
                out.truncated = true;
                break;
            }
            let path = child(dir, &name);
            let depth = path.split('/').filter(|c| !c.is_empty()).count();
            if depth > WALK_DEPTH {
                continue;
            }
            match self.list(&path) {
                Ok(children) => {
                    visited += 1;
                    out.dirs.push(path.clone());
                    stack.push((path, children, 0));
                    continue;
                }
                Err(NsError::BufferFull) => continue,
                Err(_) => {}
            }
            let Ok(lines) = self.read(&path, now_ms) else {
                continue;
            };
            visited += 1;
            let mut content = Vec::new();
            for l in lines {
                content.extend_from_slice(l.as_bytes());
                content.push(b'\n');
            }
            if out.bytes + content.len() > max_bytes {
                out.truncated = true;
                break;
            }
            out.bytes += content.len();
            out.files.push((path, content));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Caller, Features};
    use super::*;

    fn file<'a>(w: &'a Walk, path: &str) -> Option<&'a str> {
        w.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, c)| std::str::from_utf8(c).unwrap())
    }

    #[test]
    fn walks_the_mock_tree_and_reflects_writes() {
        let mut ns = Namespace::new(Features::mock(true), 0);
        let w = ns.walk(10_000, 1 << 20, 0);
        assert!(!w.truncated);
        assert_eq!(w.dirs[0], "/");
        assert!(w.dirs.contains(&"/gpu/MIG-0".to_string()));
        assert!(file(&w, "/gpu/MIG-0/info").unwrap().contains("\"MockMIG\""));
        assert_eq!(
            file(&w, "/queen/telemetry/device-1/seg/seg-000001"),
            Some("{\"seq\":1}\n")
        );
        assert_eq!(
            file(&w, "/queen/telemetry/device-1/latest"),
            Some("seg-000001\n")
        );
        assert!(file(&w, "/queen/ctl").is_none(), "append-only");
        assert!(file(&w, "/proc/ingest/watch").is_none(), "tail-only");
        assert!(!w.dirs.iter().any(|d| d.starts_with("/shard")));
        assert_eq!(w.bytes, w.files.iter().map(|(_, c)| c.len()).sum::<usize>());
        ns.append(
            "/queen/schedule/ctl",
            r#"{"id":"j1","role":"worker-gpu","priority":1,"ticks":2,"budget_ms":3}"#,
            &Caller::queen(0),
        )
        .unwrap();
        let w = ns.walk(10_000, 1 << 20, 0);
        assert!(file(&w, "/proc/schedule/queue")
            .unwrap()
            .starts_with("id=j1 "));
    }

    #[test]
    fn bounds_stop_the_walk_without_cutting_a_file() {
        let ns = Namespace::new(Features::full(), 0);
        let all = ns.walk(10_000, 1 << 20, 0);
        let few = ns.walk(5, 1 << 20, 0);
        assert!(few.truncated);
        assert!(few.dirs.len() + few.files.len() <= 5);
        let small = ns.walk(10_000, 300, 0);
        assert!(small.truncated && small.bytes <= 300);
        for (p, c) in &small.files {
            assert_eq!(Some(std::str::from_utf8(c).unwrap()), file(&all, p));
        }
        let shipped = Namespace::new(Features::shipped(), 0);
        let w = shipped.walk(10_000, 1 << 20, 0);
        assert!(!w.dirs.iter().any(|d| d.starts_with("/policy")));
        assert!(file(&w, "/queen/telemetry/device-1/latest").is_none());
    }
}
