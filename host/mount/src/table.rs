//! Bounded tables of the filesystem: inodes (path ↔ number, with the kernel's lookup
//! counts) and open handles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::fault::Fault;
use crate::shape::Kind;
use crate::view::View;

/// Inode number of the mount root.
pub const ROOT: u64 = 1;
/// Most inodes kept (unreferenced ones are dropped first when full).
pub const MAX_NODES: usize = 16 * 1024;
/// Most open handles (files and directories together).
pub const MAX_HANDLES: usize = 4096;

/// A cached directory listing.
#[derive(Clone, Debug)]
pub struct Listing {
    /// Entry names (allowed ones only).
    pub names: Vec<String>,
    /// When it was fetched.
    pub at: Instant,
    /// The write epoch of that fetch.
    pub epoch: u64,
}

/// What one inode carries besides its path.
#[derive(Debug, Default)]
pub struct NodeState {
    /// Serialises fetches of this node (a `TAIL` cursor must be merged in order).
    pub refresh: Mutex<()>,
    /// The file's bytes.
    pub view: Mutex<View>,
    /// The directory's listing.
    pub listing: Mutex<Option<Listing>>,
}

/// One inode.
#[derive(Clone, Debug)]
pub struct Node {
    /// Namespace path.
    pub path: String,
    /// Type.
    pub kind: Kind,
    /// Its state.
    pub state: Arc<NodeState>,
}

#[derive(Debug)]
struct Entry {
    node: Node,
    lookups: u64,
    open: u32,
}

/// Inode table.
#[derive(Debug)]
pub struct Nodes {
    by_ino: HashMap<u64, Entry>,
    by_path: HashMap<String, u64>,
    next: u64,
}

impl Default for Nodes {
    fn default() -> Self {
        let mut t = Self {
            by_ino: HashMap::new(),
            by_path: HashMap::new(),
            next: ROOT + 1,
        };
        t.by_ino.insert(
            ROOT,
            Entry {
                node: Node {
                    path: "/".into(),
                    kind: Kind::Dir,
                    state: Arc::default(),
                },
                lookups: 1,
                open: 0,
            },
        );
        t.by_path.insert("/".into(), ROOT);
        t
    }
}

impl Nodes {
    /// The node `ino`.
    #[must_use]
    pub fn get(&self, ino: u64) -> Option<Node> {
        self.by_ino.get(&ino).map(|e| e.node.clone())
    }

    /// The inode number of `path`, if known.
    #[must_use]
    pub fn find(&self, path: &str) -> Option<(u64, Kind)> {
        let ino = *self.by_path.get(path)?;
        self.by_ino.get(&ino).map(|e| (ino, e.node.kind))
    }

    /// The inode of `path` (created if new), with `lookups` more kernel references.
    ///
    /// # Errors
    /// [`Fault::TooManyNodes`] when the table is full of referenced inodes.
    pub fn insert(&mut self, path: &str, kind: Kind, lookups: u64) -> Result<(u64, Node), Fault> {
        if let Some(&ino) = self.by_path.get(path) {
            if let Some(e) = self.by_ino.get_mut(&ino) {
                e.lookups += lookups;
                return Ok((ino, e.node.clone()));
            }
        }
        if self.by_ino.len() >= MAX_NODES {
            self.evict();
            if self.by_ino.len() >= MAX_NODES {
                return Err(Fault::TooManyNodes);
            }
        }
        let ino = self.next;
        self.next += 1;
        let node = Node {
            path: path.to_owned(),
            kind,
            state: Arc::default(),
        };
        self.by_ino.insert(
            ino,
            Entry {
                node: node.clone(),
                lookups,
                open: 0,
            },
        );
        self.by_path.insert(path.to_owned(), ino);
        Ok((ino, node))
    }

    /// The kernel forgot `n` references.
    pub fn forget(&mut self, ino: u64, n: u64) {
        if let Some(e) = self.by_ino.get_mut(&ino) {
            e.lookups = e.lookups.saturating_sub(n);
        }
    }

    /// A handle opened (`+1`) or closed (`-1`) on `ino`.
    pub fn opened(&mut self, ino: u64, delta: i32) {
        if let Some(e) = self.by_ino.get_mut(&ino) {
            e.open = e.open.saturating_add_signed(delta);
        }
    }

    /// The state of every inode (for sweeps).
    #[must_use]
    pub fn states(&self) -> Vec<Arc<NodeState>> {
        self.by_ino
            .values()
            .map(|e| Arc::clone(&e.node.state))
            .collect()
    }

    /// Inodes in the table.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_ino.len()
    }

    fn evict(&mut self) {
        let dead: Vec<u64> = self
            .by_ino
            .iter()
            .filter(|(ino, e)| **ino != ROOT && e.lookups == 0 && e.open == 0)
            .map(|(ino, _)| *ino)
            .collect();
        for ino in dead {
            if let Some(e) = self.by_ino.remove(&ino) {
                self.by_path.remove(&e.node.path);
            }
        }
    }
}

/// How a file handle was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenMode {
    /// Opened for reading.
    pub read: bool,
    /// Opened for writing.
    pub write: bool,
    /// `O_APPEND`.
    pub append: bool,
    /// `O_TRUNC`.
    pub truncate: bool,
}

/// An open handle.
#[derive(Debug)]
pub struct Handle {
    /// The inode.
    pub ino: u64,
    /// Open mode (files).
    pub mode: OpenMode,
    /// Where this handle's next write must be (files).
    pub cursor: u64,
    /// Offset shift when the reader started before the view's first kept byte.
    pub shift: u64,
    /// The directory snapshot (directories): name, inode, type.
    pub entries: Option<Vec<(String, u64, Kind)>>,
}

/// Open handles.
#[derive(Debug)]
pub struct Handles {
    map: HashMap<u64, Handle>,
    next: u64,
}

impl Default for Handles {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            next: 1,
        }
    }
}

impl Handles {
    /// Stores `h`; returns its number.
    ///
    /// # Errors
    /// [`Fault::TooManyNodes`] when [`MAX_HANDLES`] are open.
    pub fn insert(&mut self, h: Handle) -> Result<u64, Fault> {
        if self.map.len() >= MAX_HANDLES {
            return Err(Fault::TooManyNodes);
        }
        let fh = self.next;
        self.next += 1;
        self.map.insert(fh, h);
        Ok(fh)
    }

    /// The handle `fh`.
    pub fn get_mut(&mut self, fh: u64) -> Option<&mut Handle> {
        self.map.get_mut(&fh)
    }

    /// Removes `fh`.
    pub fn remove(&mut self, fh: u64) -> Option<Handle> {
        self.map.remove(&fh)
    }

    /// Open handles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_their_numbers_and_unreferenced_nodes_go_first() {
        let mut t = Nodes::default();
        let (a, _) = t.insert("/proc", Kind::Dir, 1).unwrap();
        let (b, _) = t.insert("/proc", Kind::Dir, 1).unwrap();
        assert_eq!(a, b);
        assert_eq!(t.find("/proc"), Some((a, Kind::Dir)));
        for i in 0..MAX_NODES {
            let _ = t.insert(&format!("/gpu/n{i}"), Kind::File, 0);
        }
        // Full of unreferenced nodes: they make room.
        assert!(t.insert("/gpu/new", Kind::File, 1).is_ok());
        assert!(t.get(a).is_some(), "a referenced node survives");
        assert!(t.get(ROOT).is_some());
        t.forget(a, 2);
        t.opened(a, 1);
        t.opened(a, -1);
    }

    #[test]
    fn handles_are_bounded() {
        let mut h = Handles::default();
        for _ in 0..MAX_HANDLES {
            h.insert(Handle {
                ino: 2,
                mode: OpenMode::default(),
                cursor: 0,
                shift: 0,
                entries: None,
            })
            .unwrap();
        }
        assert!(h
            .insert(Handle {
                ino: 2,
                mode: OpenMode::default(),
                cursor: 0,
                shift: 0,
                entries: None,
            })
            .is_err());
        assert!(h.remove(1).is_some());
        assert_eq!(h.len(), MAX_HANDLES - 1);
    }
}
