//! [`Fault`]: what a filesystem operation answers when it fails, named after the errno the
//! kernel gets, and the mapping from the host library's errors.

use cohesix::{Error, ErrorKind};

/// Why a filesystem operation failed (one errno each; the FUSE adapter maps them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// `ENOENT`: no such node.
    NotFound,
    /// `EACCES`: outside the mount allowlist, or a node the target will not read.
    Access,
    /// `EPERM`: an operation the namespace does not have (truncate, create, unlink, rename,
    /// setattr), or the target's policy refused a write.
    Perm,
    /// `EINVAL`: a bad name, a write at an offset other than the end, a write with several
    /// lines, an empty or non-ASCII line, a payload the target refused.
    Invalid,
    /// `EFBIG`: a line over the console's echo bound, or a node over the read bound.
    TooBig,
    /// `ENAMETOOLONG`: a path over 96 bytes or 8 components.
    NameTooLong,
    /// `ENOTDIR`.
    NotDir,
    /// `EISDIR`.
    IsDir,
    /// `EIO`: the backend failed, or a write's outcome is unknown.
    Io,
    /// `ENOSPC`: the target's store is full (`buffer-full`, `ELIMIT`).
    NoSpace,
    /// `EAGAIN`: the target is rate limiting or busy; try later.
    Again,
    /// `ENFILE`: the inode table is full.
    TooManyNodes,
    /// `EBADF`: an unknown file handle.
    BadHandle,
}

impl Fault {
    /// The errno name (`"ENOENT"`), for logs.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NotFound => "ENOENT",
            Self::Access => "EACCES",
            Self::Perm => "EPERM",
            Self::Invalid => "EINVAL",
            Self::TooBig => "EFBIG",
            Self::NameTooLong => "ENAMETOOLONG",
            Self::NotDir => "ENOTDIR",
            Self::IsDir => "EISDIR",
            Self::Io => "EIO",
            Self::NoSpace => "ENOSPC",
            Self::Again => "EAGAIN",
            Self::TooManyNodes => "ENFILE",
            Self::BadHandle => "EBADF",
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The fault for a backend error of a read (`LS`, `CAT`, `TAIL`).
#[must_use]
pub fn of_read(e: &Error) -> Fault {
    if e.is_missing() {
        return Fault::NotFound;
    }
    match e.kind() {
        ErrorKind::Resource => Fault::TooBig,
        ErrorKind::Caller => Fault::Invalid,
        ErrorKind::Refused => of_refusal(e),
        // Credentials refused on a reconnect (the real queen also closes a second client
        // right after AUTH): a backend failure like any other, not a property of the node.
        _ => Fault::Io,
    }
}

/// The fault for a backend error of an append (`ECHO`).
#[must_use]
pub fn of_write(e: &Error) -> Fault {
    match e.kind() {
        ErrorKind::Caller => Fault::Invalid,
        ErrorKind::Resource => Fault::TooBig,
        ErrorKind::Refused if e.is_missing() => Fault::NotFound,
        ErrorKind::Refused => of_refusal(e),
        // Unknown outcomes, transport and credential failures alike: EIO (the caller logs
        // which).
        _ => Fault::Io,
    }
}

/// A target refusal by its ack's `reason=` / `detail=` / `error=` fields.
fn of_refusal(e: &Error) -> Fault {
    let Some(ack) = e.refusal() else {
        return Fault::Perm;
    };
    let detail = ack.field("detail").unwrap_or_default();
    let error = ack.field("error").unwrap_or_default();
    match (ack.field("reason").unwrap_or_default(), detail) {
        (_, "buffer-full") => Fault::NoSpace,
        (_, "rate-limited" | "throttled") => Fault::Again,
        ("busy", _) => Fault::Again,
        ("quota", _) if error.contains("ELIMIT") => Fault::NoSpace,
        ("quota", _) => Fault::Again,
        (_, "invalid-payload" | "invalid-transition") => Fault::Invalid,
        ("policy", d) if d.starts_with("argument") || d.starts_with("missing") => Fault::Invalid,
        ("cut", _) => Fault::Io,
        _ if error.contains("ELIMIT") => Fault::NoSpace,
        _ => Fault::Perm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohesix_tokio::Ack;

    fn refused(line: &str) -> Error {
        Error::Refused {
            verb: "ECHO",
            ack: Ack::parse(line).unwrap(),
        }
    }

    #[test]
    fn refusals_map_by_their_fields() {
        let f = |l: &str| of_write(&refused(l));
        assert_eq!(
            f("ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"),
            Fault::Perm
        );
        assert_eq!(
            f("ERR ECHO reason=policy detail=invalid-path path=/x error=invalid path"),
            Fault::NotFound
        );
        assert_eq!(
            f("ERR ECHO reason=policy detail=invalid-payload path=/x error=invalid payload"),
            Fault::Invalid
        );
        assert_eq!(
            f("ERR ECHO reason=quota detail=buffer-full path=/x error=buffer full"),
            Fault::NoSpace
        );
        assert_eq!(
            f("ERR ATTACH reason=quota detail=rate-limited delay_ms=90000"),
            Fault::Again
        );
        assert_eq!(
            f("ERR PARSE reason=policy detail=argument payload exceeds allowed length"),
            Fault::Invalid
        );
        assert_eq!(
            of_read(&refused("ERR CAT reason=policy detail=invalid-path")),
            Fault::NotFound
        );
    }

    #[test]
    fn unknown_outcomes_and_bounds() {
        let unknown = Error::OutcomeUnknown {
            line: "ECHO /x y".into(),
        };
        assert_eq!(of_write(&unknown), Fault::Io);
        let big = Error::TooLarge {
            op: "read",
            path: "/x".into(),
            max: 8,
        };
        assert_eq!(of_read(&big), Fault::TooBig);
        assert_eq!(of_write(&Error::Payload("x".into())), Fault::Invalid);
        assert_eq!(Fault::TooBig.to_string(), "EFBIG");
    }
}
