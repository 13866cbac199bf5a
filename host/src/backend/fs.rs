//! [`FilesystemBackend`]: a directory tree in the shape of a `coh mount` (host-surface §5.2).
//!
//! Paths are checked with the core rules, joined under the root, and the resolved path
//! (symlinks followed) must stay under the root (`"path escapes mount root"`). Deliberate
//! differences from upstream's filesystem backend: appends keep the console's rules (one
//! line, at most 128 bytes, printable ASCII), because a mount's writes end as console
//! `ECHO`s; `tail` returns whole lines; file I/O runs on the blocking pool with bounded
//! reads.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use super::line::{check_path, prepare_line};
use super::{Backend, BackendKind};
use crate::error::Error;

/// A backend over a local directory (usually a `coh mount` of a queen).
#[derive(Clone, Debug)]
pub struct FilesystemBackend {
    root: PathBuf,
}

impl FilesystemBackend {
    /// A backend rooted at `root` (made absolute).
    ///
    /// # Errors
    /// [`Error::Io`] when the working directory cannot be read.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, Error> {
        let root = std::path::absolute(root.as_ref())
            .map_err(|e| Error::io(format!("root {}", root.as_ref().display()), e))?;
        Ok(Self { root })
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path of namespace `path`, checked to stay under the root.
    ///
    /// # Errors
    /// [`Error::Path`], [`Error::Escapes`].
    pub fn resolve(&self, path: &str) -> Result<PathBuf, Error> {
        check_path(path)?;
        let mut out = self.root.clone();
        for c in Path::new(path).components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::RootDir => {}
                _ => return Err(Error::Escapes),
            }
        }
        // Symlinks may point anywhere: the deepest existing ancestor must stay inside.
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let mut probe = out.as_path();
        loop {
            if let Ok(real) = std::fs::canonicalize(probe) {
                if !real.starts_with(&root) {
                    return Err(Error::Escapes);
                }
                break;
            }
            match probe.parent() {
                Some(p) if p.starts_with(&self.root) => probe = p,
                _ => break,
            }
        }
        Ok(out)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::io("file task", std::io::Error::other(e.to_string())))?
}

/// Reads at most `max + 1` bytes from `file` starting at `from`.
fn read_bounded(file: &mut std::fs::File, from: u64, max: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(from))?;
    let mut out = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut out)?;
    Ok(out)
}

impl Backend for FilesystemBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Filesystem
    }

    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        let local = self.resolve(path)?;
        let path = path.to_owned();
        blocking(move || {
            if !local.is_dir() {
                return Err(Error::NotADirectory(path));
            }
            let mut names = Vec::new();
            for entry in
                std::fs::read_dir(&local).map_err(|e| Error::io(format!("list {path}"), e))?
            {
                let entry = entry.map_err(|e| Error::io(format!("list {path}"), e))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            names.sort();
            Ok(names)
        })
        .await
    }

    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let local = self.resolve(path)?;
        let path = path.to_owned();
        blocking(move || {
            if !local.is_file() {
                return Err(Error::NotAFile(path));
            }
            let mut f =
                std::fs::File::open(&local).map_err(|e| Error::io(format!("read {path}"), e))?;
            let data = read_bounded(&mut f, 0, max_bytes)
                .map_err(|e| Error::io(format!("read {path}"), e))?;
            if data.len() > max_bytes {
                return Err(Error::TooLarge {
                    op: "read",
                    path,
                    max: max_bytes,
                });
            }
            Ok(data)
        })
        .await
    }

    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let local = self.resolve(path)?;
        let path = path.to_owned();
        blocking(move || {
            if !local.is_file() {
                return Err(Error::NotAFile(path));
            }
            if max_bytes == 0 {
                return Ok(Vec::new());
            }
            let mut f =
                std::fs::File::open(&local).map_err(|e| Error::io(format!("tail {path}"), e))?;
            let len = f
                .metadata()
                .map_err(|e| Error::io(format!("tail {path}"), e))?
                .len();
            let want = u64::try_from(max_bytes).unwrap_or(u64::MAX);
            let from = len.saturating_sub(want);
            let mut data = read_bounded(&mut f, from, max_bytes)
                .map_err(|e| Error::io(format!("tail {path}"), e))?;
            data.truncate(max_bytes);
            // Whole lines only: drop a partial first line.
            if from > 0 {
                match data.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        data.drain(..=i);
                    }
                    None => data.clear(),
                }
            }
            Ok(data)
        })
        .await
    }

    async fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        let local = self.resolve(path)?;
        let line = prepare_line(path, line, true)?.to_owned();
        let path = path.to_owned();
        blocking(move || {
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io(format!("append {path}"), e))?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&local)
                .map_err(|e| Error::io(format!("append {path}"), e))?;
            let mut record = line.into_bytes();
            record.push(b'\n');
            // One write of the whole record (append mode: one atomic append on a mount).
            f.write_all(&record)
                .map_err(|e| Error::io(format!("append {path}"), e))?;
            Ok(record.len())
        })
        .await
    }
}
