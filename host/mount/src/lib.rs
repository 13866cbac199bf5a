//! `coh mount`: a queen's namespace as a FUSE filesystem, over any backend of the host
//! library (TCP console, REST gateway, the in-process mock).
//!
//! ```text
//!  kernel ─► fuse.rs (fuser 0.18, the only module that knows it)
//!              └─► CohFs (fs.rs): rules.rs (allowlist, path rules) · shape.rs (streams,
//!                  control files, unlisted nodes) · view.rs (bounded, stable-offset content)
//!                  · table.rs (inodes, handles) · health.rs (lost backend)
//!                    └─► Namespace (ns.rs) = cohesix::blocking::Backend (never block_on in
//!                        a runtime: FUSE threads call the blocking facade)
//!  mount.rs: mount() → Mounted { wait(), unmount(), stopper() } + watchdog
//! ```
//!
//! Semantics (upstream's `coh mount`, host-surface §5.2 and `coh.mount` of §1.1):
//!
//! * root `/` showing the manifest allowlist (`cohesix_generated::coh::mount::ALLOWLIST`);
//!   anything outside answers `EACCES`; paths follow the core rules (absolute, no `.`/`..`/
//!   NUL, ≤ 96 bytes, ≤ 8 components: `ENAMETOOLONG` / `EINVAL`);
//! * files are append-only: every `write` is one console append of one line; a handle's
//!   writes must continue at its end (`O_APPEND`, the file's end, or the handle's own
//!   cursor), any other offset is `EINVAL`; truncation (`>`, `truncate`) and every other
//!   attribute change is `EPERM`; create, mkdir, unlink, rename, links are `EPERM`;
//! * attributes and entries live 1 s; the filesystem is named `coh`; auto-unmount.
//!
//! Deliberate differences from upstream (see `docs/mount.md`): the allowlist includes what a
//! playbook writes; `echo line >> file` and `printf` work with the usual shells; `>` is a
//! clear `EPERM`; a write with several lines is `EINVAL` (never split); a line over 128 bytes
//! is `EFBIG` and reaches nothing; a lost acknowledgement is `EIO`, logged as outcome
//! unknown; a node is fetched at most once per TTL and served from a bounded view (not
//! re-read on every `read` call); `/log/queen.log`, `/proc/ingest/watch` and worker telemetry
//! are read with `TAIL` and only grow, so `tail -f` works; the mount unmounts cleanly on a
//! signal and when the backend is lost for good.

mod fault;
mod fs;
mod fuse;
mod health;
mod mount;
mod ns;
mod rules;
mod shape;
mod table;
mod view;

pub use fault::Fault;
pub use fs::{Attr, CohFs, DirEntry, FsConfig, FsStatus};
pub use health::{Health, Verdict};
pub use mount::{
    is_mounted, mount, probe, wait_unmounted, Ended, MountError, MountOptions, Mounted, Stopper,
    Support, JOIN_GRACE,
};
pub use ns::{Namespace, TailCursor};
pub use rules::{check as check_path, Access, Allowlist};
pub use shape::{Class, Kind};
pub use table::{OpenMode, MAX_HANDLES, MAX_NODES, ROOT};
pub use view::{VIEWS_BUDGET, VIEW_CAP};
