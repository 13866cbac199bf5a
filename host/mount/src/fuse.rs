//! The only module that knows `fuser` (pinned to 0.18): translates kernel requests to
//! [`CohFs`] calls and back, and starts the session.
//!
//! Every file is opened with direct I/O (no page cache: each `read` reaches the view, and a
//! node's size may change under a reader); attributes and entries live one TTL (1 s).

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fuser::{
    BsdFileFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation,
    INodeNo, LockOwner, MountOption, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite, ReplyXattr, Request,
    SessionACL, TimeOrNow, WriteFlags,
};

use crate::fault::Fault;
use crate::fs::{Attr, CohFs};
use crate::ns::Namespace;
use crate::shape::Kind;
use crate::table::OpenMode;

/// The kernel-facing filesystem.
pub(crate) struct Adapter<N> {
    pub(crate) fs: Arc<CohFs<N>>,
}

fn errno(f: Fault) -> Errno {
    match f {
        Fault::NotFound => Errno::ENOENT,
        Fault::Access => Errno::EACCES,
        Fault::Perm => Errno::EPERM,
        Fault::Invalid => Errno::EINVAL,
        Fault::TooBig => Errno::EFBIG,
        Fault::NameTooLong => Errno::ENAMETOOLONG,
        Fault::NotDir => Errno::ENOTDIR,
        Fault::IsDir => Errno::EISDIR,
        Fault::NoSpace => Errno::ENOSPC,
        Fault::Again => Errno::EAGAIN,
        Fault::TooManyNodes => Errno::ENFILE,
        Fault::BadHandle => Errno::EBADF,
        _ => Errno::EIO,
    }
}

fn file_type(k: Kind) -> FileType {
    match k {
        Kind::Dir => FileType::Directory,
        Kind::File => FileType::RegularFile,
    }
}

fn attr(a: &Attr) -> FileAttr {
    FileAttr {
        ino: INodeNo(a.ino),
        size: a.size,
        blocks: a.size.div_ceil(512),
        atime: SystemTime::now(),
        mtime: a.mtime,
        ctime: a.mtime,
        crtime: a.mtime,
        kind: file_type(a.kind),
        perm: a.perm,
        nlink: if a.kind == Kind::Dir { 2 } else { 1 },
        uid: a.uid,
        gid: a.gid,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

fn mode(flags: OpenFlags) -> OpenMode {
    let acc = flags.acc_mode();
    OpenMode {
        read: matches!(acc, OpenAccMode::O_RDONLY | OpenAccMode::O_RDWR),
        write: matches!(acc, OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR),
        append: flags.0 & libc::O_APPEND != 0,
        truncate: flags.0 & libc::O_TRUNC != 0,
    }
}

impl<N: Namespace> Adapter<N> {
    fn ttl(&self) -> Duration {
        self.fs.config().ttl
    }

    fn refuse(&self, what: &str, name: &OsStr) -> Errno {
        tracing::info!(name = %name.to_string_lossy(), "refused: {what} (the namespace has no such operation)");
        Errno::EPERM
    }
}

impl<N: Namespace> Filesystem for Adapter<N> {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.fs.lookup(parent.0, name.as_encoded_bytes()) {
            Ok(a) => reply.entry(&self.ttl(), &attr(&a), Generation(0)),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.fs.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.fs.getattr(ino.0) {
            Ok(a) => reply.attr(&self.ttl(), &attr(&a)),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        match self.fs.setattr(ino.0, size) {
            Ok(a) => reply.attr(&self.ttl(), &attr(&a)),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn mknod(
        &self,
        _req: &Request,
        _parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        reply.error(self.refuse("create", name));
    }

    fn mkdir(
        &self,
        _req: &Request,
        _parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        reply.error(self.refuse("mkdir", name));
    }

    fn unlink(&self, _req: &Request, _parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        reply.error(self.refuse("unlink", name));
    }

    fn rmdir(&self, _req: &Request, _parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        reply.error(self.refuse("rmdir", name));
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        link_name: &OsStr,
        _target: &Path,
        reply: ReplyEntry,
    ) {
        reply.error(self.refuse("symlink", link_name));
    }

    fn rename(
        &self,
        _req: &Request,
        _parent: INodeNo,
        name: &OsStr,
        _newparent: INodeNo,
        _newname: &OsStr,
        _flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        reply.error(self.refuse("rename", name));
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        reply.error(self.refuse("link", newname));
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        match self.fs.open(ino.0, mode(flags)) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        match self.fs.read(ino.0, fh.0, offset, size) {
            Ok(data) => reply.data(&data),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let append = flags.0 & libc::O_APPEND != 0;
        match self.fs.write(ino.0, fh.0, offset, data, append) {
            Ok(n) => reply.written(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Every write was one append already: nothing is buffered.
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.fs.release(ino.0, fh.0);
        reply.ok();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.fs.opendir(ino.0) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(f) => reply.error(errno(f)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        match self.fs.readdir(ino.0, fh.0, offset) {
            Ok(entries) => {
                for e in entries {
                    if reply.add(INodeNo(e.ino), e.next, file_type(e.kind), &e.name) {
                        break;
                    }
                }
                reply.ok();
            }
            Err(f) => reply.error(errno(f)),
        }
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.fs.releasedir(fh.0);
        reply.ok();
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        // Operations answer for themselves (EACCES, EPERM); access(2) does not guess.
        reply.ok();
    }

    fn getxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _size: u32,
        reply: ReplyXattr,
    ) {
        // The namespace has no extended attributes (ls, cp and the kernel ask).
        reply.error(Errno::NO_XATTR);
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: ReplyXattr) {
        if size == 0 {
            reply.size(0);
        } else {
            reply.data(&[]);
        }
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        tracing::info!(name = %name.to_string_lossy(), "refused: setxattr");
        reply.error(Errno::ENOTSUP);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::NO_XATTR);
    }

    fn create(
        &self,
        _req: &Request,
        _parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        reply.error(self.refuse("create", name));
    }
}

/// How the session is mounted.
pub(crate) struct SessionSpec {
    pub(crate) allow_other: bool,
    pub(crate) auto_unmount: bool,
    pub(crate) threads: usize,
}

/// Mounts `fs` at `at` and runs the session on background threads.
pub(crate) fn spawn<N: Namespace>(
    fs: Arc<CohFs<N>>,
    at: &Path,
    spec: &SessionSpec,
) -> std::io::Result<fuser::BackgroundSession> {
    let mut config = fuser::Config::default();
    config.mount_options = vec![
        MountOption::FSName("coh".into()),
        MountOption::Subtype("coh".into()),
        MountOption::RW,
        MountOption::NoExec,
        MountOption::NoSuid,
        MountOption::NoDev,
        MountOption::NoAtime,
    ];
    // auto_unmount goes through fusermount, which needs allow_other or allow_root; fuser
    // filters requests to root and the owner itself for `RootAndOwner`.
    config.acl = if spec.allow_other {
        SessionACL::All
    } else if spec.auto_unmount {
        SessionACL::RootAndOwner
    } else {
        SessionACL::Owner
    };
    if spec.auto_unmount {
        config.mount_options.push(MountOption::AutoUnmount);
    }
    config.n_threads = Some(spec.threads.max(1));
    fuser::spawn_mount(Adapter { fs }, at, &config)
}
