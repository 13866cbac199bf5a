//! Byte-level adapters for file-shaped backends (mock/filesystem style, host-surface §5.1):
//! whole-file reads with a byte bound and newline-delimited appends.

use super::error::{NsError, NsResult};
use super::{Caller, Namespace};

/// Why a byte-level read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The namespace refused the path.
    Ns(NsError),
    /// The file is larger than the caller's bound.
    TooLarge {
        /// File size in bytes.
        len: usize,
        /// Caller bound.
        max: usize,
    },
}

impl Namespace {
    /// The file at `path` as text: each line followed by `\n`; refused when longer than
    /// `max_bytes`.
    pub fn read_bytes(
        &self,
        path: &str,
        max_bytes: usize,
        now_ms: u64,
    ) -> Result<Vec<u8>, ReadError> {
        let lines = self.read(path, now_ms).map_err(ReadError::Ns)?;
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        if out.len() > max_bytes {
            return Err(ReadError::TooLarge {
                len: out.len(),
                max: max_bytes,
            });
        }
        Ok(out)
    }

    /// Appends UTF-8 `bytes` holding one or more `\n`-terminated lines; each non-blank line
    /// is one [`Namespace::append`]. Returns `bytes.len()` (newlines included), like a
    /// file append. Stops at the first refused line (earlier lines stay applied).
    pub fn append_bytes(&mut self, path: &str, bytes: &[u8], caller: &Caller) -> NsResult<usize> {
        let text = std::str::from_utf8(bytes).map_err(|_| NsError::InvalidPayload)?;
        let mut any = false;
        for line in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
            self.append(path, line, caller)?;
            any = true;
        }
        if !any {
            return Err(NsError::InvalidPayload);
        }
        Ok(bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::Features;

    #[test]
    fn byte_level_round_trip() {
        let mut ns = Namespace::new(Features::full(), 0);
        let line = b"{\"id\":\"job-1\",\"role\":\"worker-gpu\",\"priority\":5,\"ticks\":10,\"budget_ms\":200}\n";
        assert_eq!(
            ns.append_bytes("/queen/schedule/ctl", line, &Caller::queen(0)),
            Ok(line.len())
        );
        let summary = ns.read_bytes("/proc/schedule/summary", 128, 0).unwrap();
        assert_eq!(summary, b"queue=1 dequeued=0 dropped=0 max_entries=256\n");
        assert!(matches!(
            ns.read_bytes("/proc/schedule/summary", 10, 0),
            Err(ReadError::TooLarge { max: 10, .. })
        ));
        assert_eq!(
            ns.read_bytes("/nope", 10, 0),
            Err(ReadError::Ns(NsError::InvalidPath))
        );
        assert_eq!(
            ns.append_bytes("/log/queen.log", b"\n \n", &Caller::queen(0)),
            Err(NsError::InvalidPayload)
        );
        assert_eq!(
            ns.append_bytes("/log/queen.log", &[0xff], &Caller::queen(0)),
            Err(NsError::InvalidPayload)
        );
    }
}
