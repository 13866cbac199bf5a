//! `CohFs` without a kernel, over a scripted namespace: the rules the kernel never lets
//! through (`.`, `..`, NUL, depth), fault mapping, bounded reads, stream merging across a
//! restarted `TAIL` cursor, offsets of evicted bytes, and writes that must reach nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use cohesix::Error;
use cohesix_mount::{
    CohFs, Fault, FsConfig, Kind, Namespace, OpenMode, TailCursor, ROOT, VIEWS_BUDGET, VIEW_CAP,
};

/// A namespace of files given by path (directories implied), with scripted `TAIL` output
/// and failures.
#[derive(Default)]
struct Scripted {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    tails: Mutex<BTreeMap<String, Vec<Vec<u8>>>>,
    appends: Mutex<Vec<(String, String)>>,
    session: AtomicU64,
    fail: Mutex<Option<fn() -> Error>>,
}

impl Scripted {
    fn with(files: &[(&str, &str)]) -> Self {
        let s = Self::default();
        for (p, c) in files {
            s.files
                .lock()
                .unwrap()
                .insert((*p).into(), c.as_bytes().to_vec());
        }
        s
    }

    fn failing(&self) -> Result<(), Error> {
        match *self.fail.lock().unwrap() {
            Some(f) => Err(f()),
            None => Ok(()),
        }
    }
}

fn io_down() -> Error {
    Error::Io {
        what: "tcp".into(),
        source: std::io::Error::other("connection refused"),
    }
}

impl Namespace for Scripted {
    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        self.failing()?;
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let files = self.files.lock().unwrap();
        let mut names: Vec<String> = files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or_default().to_owned())
            .collect();
        names.dedup();
        if names.is_empty() {
            return Err(Error::NotADirectory(path.into()));
        }
        Ok(names)
    }

    fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Error> {
        self.failing()?;
        let files = self.files.lock().unwrap();
        let c = files
            .get(path)
            .ok_or_else(|| Error::NotAFile(path.into()))?;
        if c.len() > max {
            return Err(Error::TooLarge {
                op: "read",
                path: path.into(),
                max,
            });
        }
        Ok(c.clone())
    }

    fn tail(&self, path: &str, _max: usize) -> Result<Vec<u8>, Error> {
        self.failing()?;
        let mut t = self.tails.lock().unwrap();
        let q = t.entry(path.into()).or_default();
        Ok(if q.is_empty() {
            Vec::new()
        } else {
            q.remove(0)
        })
    }

    fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        self.failing()?;
        self.appends
            .lock()
            .unwrap()
            .push((path.into(), line.into()));
        Ok(line.len() + 1)
    }

    fn tail_cursor(&self) -> TailCursor {
        TailCursor::Session(self.session.load(Ordering::SeqCst))
    }

    fn label(&self) -> String {
        "scripted".into()
    }
}

fn fs(ns: Scripted) -> CohFs<Scripted> {
    CohFs::new(ns, FsConfig::default())
}

/// Looks a path up from the root.
fn walk(fs: &CohFs<Scripted>, path: &str) -> Result<u64, Fault> {
    let mut ino = ROOT;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs.lookup(ino, part.as_bytes())?.ino;
    }
    Ok(ino)
}

const R: OpenMode = OpenMode {
    read: true,
    write: false,
    append: false,
    truncate: false,
};
const A: OpenMode = OpenMode {
    read: false,
    write: true,
    append: true,
    truncate: false,
};

#[test]
fn names_the_kernel_never_sends_are_still_refused() {
    let f = fs(Scripted::with(&[("/gpu/GPU-0/info", "x\n")]));
    let gpu = walk(&f, "/gpu").unwrap();
    assert_eq!(f.lookup(gpu, b".."), Err(Fault::Invalid));
    assert_eq!(f.lookup(gpu, b"."), Err(Fault::Invalid));
    assert_eq!(f.lookup(gpu, b"a\0b"), Err(Fault::Invalid));
    assert_eq!(f.lookup(gpu, &[0xff, 0xfe]), Err(Fault::Invalid));
    assert_eq!(f.lookup(ROOT, b"trace"), Err(Fault::Access));
    assert_eq!(f.lookup(gpu, b"GPU-9"), Err(Fault::NotFound));
}

#[test]
fn at_most_eight_components() {
    let f = fs(Scripted::with(&[("/proc/a/b/c/d/e/f/g/h", "x\n")]));
    let eight = walk(&f, "/proc/a/b/c/d/e/f/g").unwrap();
    assert_eq!(f.getattr(eight).unwrap().kind, Kind::Dir);
    let nine = f.lookup(eight, b"h");
    assert_eq!(nine, Err(Fault::NameTooLong));
}

#[test]
fn fetch_failures_map_to_errnos_and_stat_keeps_the_last_size() {
    let f = fs(Scripted::with(&[
        ("/gpu/big", &"x".repeat(70 * 1024)),
        ("/gpu/small", "abc\n"),
    ]));
    let big = walk(&f, "/gpu/big").unwrap();
    assert_eq!(f.open(big, R), Err(Fault::TooBig));
    let small = walk(&f, "/gpu/small").unwrap();
    assert_eq!(f.getattr(small).unwrap().size, 4);
    *f.namespace().fail.lock().unwrap() = Some(io_down);
    std::thread::sleep(std::time::Duration::from_millis(1050));
    // Stat keeps answering with what was last seen; opening for a fresh read is EIO.
    assert_eq!(f.getattr(small).unwrap().size, 4);
    assert_eq!(f.open(small, R), Err(Fault::Io));
    assert!(matches!(
        f.health().verdict(std::time::Duration::ZERO),
        cohesix_mount::Verdict::Lost(_)
    ));
}

#[test]
fn a_restarted_tail_cursor_does_not_repeat_lines() {
    let f = fs(Scripted::with(&[("/log/queen.log", "")]));
    let ns = f.namespace();
    ns.tails.lock().unwrap().insert(
        "/log/queen.log".into(),
        vec![b"l1\nl2\n".to_vec(), b"l3\n".to_vec()],
    );
    let log = walk(&f, "/log/queen.log").unwrap();
    let fh = f.open(log, R).unwrap();
    assert_eq!(f.read(log, fh, 0, 100).unwrap(), b"l1\nl2\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(f.read(log, fh, 6, 100).unwrap(), b"l3\n");
    // A new console session: its first TAIL repeats recent lines.
    ns.session.fetch_add(1, Ordering::SeqCst);
    ns.tails
        .lock()
        .unwrap()
        .insert("/log/queen.log".into(), vec![b"l2\nl3\nl4\n".to_vec()]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(f.read(log, fh, 9, 100).unwrap(), b"l4\n");
    f.release(log, fh);
}

#[test]
fn a_reader_that_starts_before_the_kept_bytes_reads_on_from_the_first_kept_line() {
    let f = fs(Scripted::with(&[("/log/queen.log", "")]));
    let line = format!("{}\n", "q".repeat(99));
    let chunk: Vec<u8> = line.repeat(100).into_bytes();
    let polls = VIEW_CAP / chunk.len() + 10;
    f.namespace()
        .tails
        .lock()
        .unwrap()
        .insert("/log/queen.log".into(), vec![chunk.clone(); polls]);
    let log = walk(&f, "/log/queen.log").unwrap();
    let fh = f.open(log, R).unwrap();
    let mut size = f.getattr(log).unwrap().size;
    for _ in 0..polls {
        std::thread::sleep(std::time::Duration::from_millis(260));
        let _ = f.read(log, fh, size, 1);
        size = f.getattr(log).unwrap().size;
        if size >= (polls * chunk.len()) as u64 {
            break;
        }
    }
    assert!(
        size > VIEW_CAP as u64,
        "the stream outgrew the view: {size}"
    );
    // `cat` from offset 0 gets whole lines, contiguous, ending at the end.
    let mut off = 0u64;
    let mut all = Vec::new();
    loop {
        let b = f.read(log, fh, off, 64 * 1024).unwrap();
        if b.is_empty() {
            break;
        }
        off += b.len() as u64;
        all.extend(b);
    }
    assert!(
        all.len() <= VIEW_CAP && all.len() > VIEW_CAP / 2,
        "{}",
        all.len()
    );
    assert!(all.starts_with(line.as_bytes()) && all.ends_with(b"\n"));
    f.release(log, fh);
}

#[test]
fn writes_follow_the_offset_rule_and_refused_ones_reach_nothing() {
    let f = fs(Scripted::with(&[
        ("/queen/ctl", ""),
        ("/log/queen.log", ""),
    ]));
    let ctl = walk(&f, "/queen/ctl").unwrap();
    // Upstream's rule for a plain (non-append) handle: its own cursor, from 0.
    let w = OpenMode {
        read: false,
        write: true,
        append: false,
        truncate: false,
    };
    let fh = f.open(ctl, w).unwrap();
    assert_eq!(f.write(ctl, fh, 0, b"one\n", false), Ok(4));
    assert_eq!(f.write(ctl, fh, 4, b"two\n", false), Ok(4));
    assert_eq!(f.write(ctl, fh, 2, b"three\n", false), Err(Fault::Invalid));
    // O_APPEND: any offset the kernel computes.
    let fa = f.open(ctl, A).unwrap();
    assert_eq!(f.write(ctl, fa, 12345, b"four\r\n", false), Ok(6));
    assert_eq!(f.write(ctl, fa, 0, b"a\nb\n", false), Err(Fault::Invalid));
    assert_eq!(
        f.write(ctl, fa, 0, "x".repeat(129).as_bytes(), false),
        Err(Fault::TooBig)
    );
    assert_eq!(f.write(ctl, fa, 0, b"\n", false), Err(Fault::Invalid));
    assert_eq!(
        f.write(ctl, fa, 0, &[0xc3, 0x28, b'\n'], false),
        Err(Fault::Invalid)
    );
    assert_eq!(
        f.open(
            ctl,
            OpenMode {
                truncate: true,
                ..w
            }
        ),
        Err(Fault::Perm),
        "O_TRUNC"
    );
    assert_eq!(
        f.setattr(ctl, Some(0)),
        Err(Fault::Perm),
        "truncate to the same size"
    );
    assert_eq!(
        f.open(ctl, R),
        Err(Fault::Access),
        "control files are not read"
    );
    let sent: Vec<String> = f
        .namespace()
        .appends
        .lock()
        .unwrap()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(sent, ["one", "two", "four"]);
    // The ack lost: EIO, counted, not re-sent.
    *f.namespace().fail.lock().unwrap() = Some(|| Error::OutcomeUnknown {
        line: "ECHO /queen/ctl five".into(),
    });
    assert_eq!(f.write(ctl, fa, 0, b"five\n", false), Err(Fault::Io));
    assert_eq!(f.status().outcome_unknown, 1);
    assert_eq!(f.status().appends, 3);
    assert_eq!(f.status().refused_locally, 7);
    f.release(ctl, fh);
    f.release(ctl, fa);
    assert_eq!(f.status().handles, 0);
}

#[test]
fn directories_list_allowed_names_with_their_types() {
    let f = fs(Scripted::with(&[
        ("/gpu/GPU-0/info", "i\n"),
        ("/trace/events", "e\n"),
        ("/log/queen.log", ""),
    ]));
    let fh = f.opendir(ROOT).unwrap();
    let names: Vec<(String, Kind)> = f
        .readdir(ROOT, fh, 0)
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    assert_eq!(
        names,
        [
            (".".to_owned(), Kind::Dir),
            ("..".to_owned(), Kind::Dir),
            ("gpu".to_owned(), Kind::Dir),
            ("log".to_owned(), Kind::Dir),
        ],
        "trace is outside the allowlist"
    );
    let rest = f.readdir(ROOT, fh, 3).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].name, "log");
    f.releasedir(fh);
    let gpu0 = walk(&f, "/gpu/GPU-0").unwrap();
    let d = f.opendir(gpu0).unwrap();
    let e = f.readdir(gpu0, d, 2).unwrap();
    assert_eq!((e[0].name.as_str(), e[0].kind), ("info", Kind::File));
    f.releasedir(d);
}

#[test]
fn all_views_together_stay_within_their_budget() {
    let body = "v".repeat(60 * 1024);
    let paths: Vec<String> = (0..320).map(|i| format!("/gpu/n{i:03}")).collect();
    let files: Vec<(&str, &str)> = paths.iter().map(|p| (p.as_str(), body.as_str())).collect();
    let f = fs(Scripted::with(&files));
    let mut peak = 0;
    for p in &paths {
        let ino = walk(&f, p).unwrap();
        let fh = f.open(ino, R).unwrap();
        assert_eq!(f.read(ino, fh, 0, 128 * 1024).unwrap().len(), body.len());
        f.release(ino, fh);
        peak = peak.max(f.status().view_bytes);
    }
    assert!(peak > VIEWS_BUDGET / 2, "the views did fill up: {peak}");
    assert!(peak <= VIEWS_BUDGET + 2 * body.len(), "{peak}");
    // A dropped view is fetched again on its next use.
    let first = walk(&f, &paths[0]).unwrap();
    let fh = f.open(first, R).unwrap();
    assert_eq!(f.read(first, fh, 0, 128 * 1024).unwrap().len(), body.len());
    f.release(first, fh);
}
