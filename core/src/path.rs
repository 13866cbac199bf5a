//! Client-side path validation (spec §5.1, real-queen notes "Paths").
//!
//! The queen resolves paths by exact match and answers anything odd with
//! `detail=invalid-path`, so the client refuses such paths before sending:
//!
//! * absolute (starts with `/`), at most `MAX_PATH_LEN` (96) bytes;
//! * `/` alone is the root and is valid (zero components);
//! * **`//` (empty component) and a trailing `/` are rejected** (the real queen rejects them);
//! * at most `WALK_DEPTH` (8) components, each 1..=[`MAX_COMPONENT_LEN`] (64) bytes;
//! * components are printable ASCII `0x21..=0x7E` other than `/`: no space (it would split the
//!   console argument), no control byte, no NUL, no non-ASCII;
//! * no `.` or `..` component.

use core::fmt;

use cohesix_generated::console::MAX_PATH_LEN;
use cohesix_generated::secure9p::WALK_DEPTH;

/// Longest path component in bytes (Secure9P codec limit, spec §5.1).
pub const MAX_COMPONENT_LEN: usize = 64;

/// Why a path is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    Empty,
    /// The path does not start with `/`.
    NotAbsolute,
    /// The path exceeds `MAX_PATH_LEN` bytes.
    TooLong {
        /// Path length in bytes.
        len: usize,
    },
    /// More than `WALK_DEPTH` components.
    TooDeep {
        /// Components counted so far (first value over the limit).
        depth: usize,
    },
    /// An empty component: `//` or a trailing `/`.
    EmptyComponent,
    /// A component is longer than [`MAX_COMPONENT_LEN`].
    ComponentTooLong {
        /// Component length.
        len: usize,
    },
    /// A `.` or `..` component.
    DotComponent,
    /// A byte outside printable ASCII `0x21..=0x7E` (space, control, NUL, non-ASCII).
    InvalidByte {
        /// Offset in the path.
        index: usize,
        /// The byte.
        byte: u8,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("empty path"),
            PathError::NotAbsolute => f.write_str("path must start with '/'"),
            PathError::TooLong { len } => {
                write!(f, "path of {len} bytes exceeds {MAX_PATH_LEN}")
            }
            PathError::TooDeep { depth } => {
                write!(f, "path depth {depth} exceeds {WALK_DEPTH}")
            }
            PathError::EmptyComponent => f.write_str("empty path component ('//' or trailing '/')"),
            PathError::ComponentTooLong { len } => {
                write!(
                    f,
                    "path component of {len} bytes exceeds {MAX_COMPONENT_LEN}"
                )
            }
            PathError::DotComponent => f.write_str("'.' and '..' components are not allowed"),
            PathError::InvalidByte { index, byte } => {
                write!(
                    f,
                    "byte 0x{byte:02x} at offset {index} not allowed in a path"
                )
            }
        }
    }
}

/// Validates a console path (rules in the module docs).
pub fn validate_path(path: &str) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Err(PathError::Empty);
    }
    if bytes.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong { len: bytes.len() });
    }
    if let Some(index) = bytes.iter().position(|&b| !(0x21..=0x7E).contains(&b)) {
        return Err(PathError::InvalidByte {
            index,
            byte: bytes.get(index).copied().unwrap_or(0),
        });
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PathError::NotAbsolute);
    };
    if rest.is_empty() {
        return Ok(());
    }
    let mut depth = 0usize;
    for comp in rest.as_bytes().split(|&b| b == b'/') {
        depth = depth.saturating_add(1);
        if depth > WALK_DEPTH {
            return Err(PathError::TooDeep { depth });
        }
        if comp.is_empty() {
            return Err(PathError::EmptyComponent);
        }
        if comp.len() > MAX_COMPONENT_LEN {
            return Err(PathError::ComponentTooLong { len: comp.len() });
        }
        if comp == b"." || comp == b".." {
            return Err(PathError::DotComponent);
        }
    }
    Ok(())
}

/// Number of components of a valid path (`/` has 0); `None` if the path is invalid.
pub fn depth(path: &str) -> Option<usize> {
    validate_path(path).ok()?;
    match path.strip_prefix('/') {
        Some("") => Some(0),
        Some(rest) => Some(
            rest.bytes()
                .filter(|&b| b == b'/')
                .count()
                .saturating_add(1),
        ),
        None => None,
    }
}
