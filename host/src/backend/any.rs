//! [`AnyBackend`]: one type for whichever backend discovery chose.

use super::{Backend, BackendKind, FilesystemBackend, MockBackend, TcpBackend};
use crate::error::Error;

/// Any of the backends, dispatching the [`Backend`] contract.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyBackend {
    /// A queen's TCP console.
    Tcp(TcpBackend),
    /// The in-process simulator.
    Mock(MockBackend),
    /// A directory.
    Filesystem(FilesystemBackend),
    /// The REST gateway.
    #[cfg(feature = "rest")]
    Rest(super::RestBackend),
}

macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Tcp($b) => $e,
            AnyBackend::Mock($b) => $e,
            AnyBackend::Filesystem($b) => $e,
            #[cfg(feature = "rest")]
            AnyBackend::Rest($b) => $e,
        }
    };
}

impl Backend for AnyBackend {
    fn kind(&self) -> BackendKind {
        dispatch!(self, b => b.kind())
    }

    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        dispatch!(self, b => b.list(path).await)
    }

    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        dispatch!(self, b => b.read(path, max_bytes).await)
    }

    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        dispatch!(self, b => b.tail(path, max_bytes).await)
    }

    async fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        dispatch!(self, b => b.append(path, line).await)
    }

    async fn bounds(&self) -> Result<Option<serde_json::Value>, Error> {
        dispatch!(self, b => b.bounds().await)
    }

    async fn close(&self) -> Result<(), Error> {
        dispatch!(self, b => b.close().await)
    }
}

impl From<TcpBackend> for AnyBackend {
    fn from(b: TcpBackend) -> Self {
        Self::Tcp(b)
    }
}

impl From<MockBackend> for AnyBackend {
    fn from(b: MockBackend) -> Self {
        Self::Mock(b)
    }
}

impl From<FilesystemBackend> for AnyBackend {
    fn from(b: FilesystemBackend) -> Self {
        Self::Filesystem(b)
    }
}

#[cfg(feature = "rest")]
impl From<super::RestBackend> for AnyBackend {
    fn from(b: super::RestBackend) -> Self {
        Self::Rest(b)
    }
}
