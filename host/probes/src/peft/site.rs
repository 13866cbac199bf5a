//! The site directories an interpreter would put on `sys.path`, worked out from files alone
//! (no interpreter is started), following CPython's `getpath`/`site` rules:
//!
//! 1. The program: `$VIRTUAL_ENV/bin/<name>` when a virtual environment is active (its
//!    `pyvenv.cfg` exists), else `<name>` on the search path; a pyenv shim is resolved to the
//!    version it would run ([`super::pyenv`]). The result must be a native (ELF) executable: a
//!    wrapper script could do anything, so it is not second-guessed.
//! 2. A `pyvenv.cfg` beside the executable or one directory up makes it a virtual
//!    environment: its `home` names the base interpreter's directory, its
//!    `include-system-site-packages` whether the base's site directories follow its own.
//! 3. The base installation's prefix is the nearest ancestor of the (symlink-resolved)
//!    executable holding the standard-library landmark `lib64|lib/pythonX.Y/os.py`; the version
//!    comes from the executable's name (`python3.12`, `python3.13t`), else from the only
//!    `pythonX.Y` standard library found. A `site.py` that mentions `dist-packages` selects
//!    Debian's layout (`local/lib/pythonX.Y/dist-packages`, `lib/python3/dist-packages`,
//!    `lib/pythonX.Y/dist-packages`), otherwise `lib64|lib/pythonX.Y/site-packages`.
//! 4. Order: `PYTHONPATH` entries, the user site (`$PYTHONUSERBASE` or `~/.local`, unless
//!    `PYTHONNOUSERSITE` is set or a virtual environment excludes system packages), then the
//!    site directories of each prefix (virtual environment first); each site directory is
//!    followed by the existing directories its `*.pth` files name (`import` lines are not
//!    run). Only existing directories are kept, each once.
//!
//! Anything this cannot decide (`PYTHONHOME` set, a pyenv version that is not installed, a
//! wrapper script, no standard library found) is an error, and the caller asks the
//! interpreter itself once instead.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::metadata::read_prefix;
use super::pyenv;
use crate::exec::ExecConfig;

/// Most directories in one plan.
pub const MAX_SITE_DIRS: usize = 256;
/// Most `.pth` files read per site directory.
const MAX_PTH_FILES: usize = 256;
/// Largest `.pth`, `pyvenv.cfg` or `site.py` prefix read.
const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Most ancestors searched for the standard-library landmark.
const MAX_ANCESTORS: usize = 64;

/// The environment variables (and working directory) that decide which interpreter a bare
/// name runs and what its `sys.path` holds. Empty variables count as unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PythonEnv {
    /// `VIRTUAL_ENV`: the active virtual environment.
    pub virtual_env: Option<PathBuf>,
    /// `PYENV_VERSION`: pyenv's version selection (`:`-separated).
    pub pyenv_version: Option<String>,
    /// `PYENV_DIR`: where pyenv starts looking for `.python-version` (default: `cwd`).
    pub pyenv_dir: Option<PathBuf>,
    /// Working directory (relative `PYTHONPATH` entries, `.python-version` search).
    pub cwd: Option<PathBuf>,
    /// `HOME` (the default user base is `~/.local`).
    pub home: Option<PathBuf>,
    /// `PYTHONPATH`.
    pub pythonpath: Option<OsString>,
    /// `PYTHONHOME` (when set, the static resolution gives up).
    pub pythonhome: Option<OsString>,
    /// `PYTHONNOUSERSITE` is set.
    pub no_user_site: bool,
    /// `PYTHONUSERBASE`.
    pub user_base: Option<PathBuf>,
}

impl PythonEnv {
    /// This process's values.
    #[must_use]
    pub fn from_process() -> Self {
        let var = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        Self {
            virtual_env: var("VIRTUAL_ENV").map(PathBuf::from),
            pyenv_version: var("PYENV_VERSION").and_then(|v| v.into_string().ok()),
            pyenv_dir: var("PYENV_DIR").map(PathBuf::from),
            cwd: std::env::current_dir().ok(),
            home: var("HOME").map(PathBuf::from),
            pythonpath: var("PYTHONPATH"),
            pythonhome: var("PYTHONHOME"),
            no_user_site: var("PYTHONNOUSERSITE").is_some(),
            user_base: var("PYTHONUSERBASE").map(PathBuf::from),
        }
    }
}

/// The outcome of the static resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePlan {
    /// The executable that would run (pyenv shim resolved, symlinks kept).
    pub interpreter: PathBuf,
    /// `X.Y`, with `t` for a free-threaded build (the `lib/python…` directory suffix).
    pub version: String,
    /// The virtual environment the interpreter runs in, if any.
    pub venv: Option<PathBuf>,
    /// Existing directories to search for distributions, in `sys.path` order.
    pub dirs: Vec<PathBuf>,
}

/// The program a bare `python` name would run (see the module docs, step 1, before pyenv);
/// names with a `/` are taken as paths.
#[must_use]
pub fn locate_program(python: &str, env: &PythonEnv, exec: &ExecConfig) -> Option<PathBuf> {
    if !python.contains('/') {
        if let Some(venv) = &env.virtual_env {
            let candidate = venv.join("bin").join(python);
            if venv.join("pyvenv.cfg").is_file() && ExecConfig::is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    exec.find_program(python)
}

/// Works out the site directories of `program` (as found by [`locate_program`]).
///
/// # Errors
/// The layout could not be decided from files; the text says why.
pub fn plan(program: &Path, env: &PythonEnv, exec: &ExecConfig) -> Result<SitePlan, String> {
    if env.pythonhome.is_some() {
        return Err("PYTHONHOME is set".to_owned());
    }
    let mut exe = program.to_path_buf();
    if let Some(root) = pyenv::shim_root(&exe) {
        let command = exe
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} has no UTF-8 file name", exe.display()))?
            .to_owned();
        exe = pyenv::resolve_shim(&root, &command, env, exec)?;
    }
    if !is_elf(&exe) {
        return Err(format!(
            "{} is not a native executable (wrapper script?)",
            exe.display()
        ));
    }
    let layout = match find_pyvenv_cfg(&exe) {
        Some(cfg) => venv_layout(&cfg)?,
        None => Layout::Base(base_install(&exe)?),
    };
    let dirs = collect_dirs(&layout, env);
    let (version, venv) = match layout {
        Layout::Base(base) => (base.version, None),
        Layout::Venv {
            prefix, version, ..
        } => (version, Some(prefix)),
    };
    Ok(SitePlan {
        interpreter: exe,
        version,
        venv,
        dirs,
    })
}

/// A base (non-virtual) installation.
#[derive(Debug, Clone)]
struct Install {
    prefix: PathBuf,
    version: String,
    /// `["lib64", "lib"]` where the standard library lives in `lib64`, else `["lib"]`.
    libdirs: Vec<&'static str>,
    debian: bool,
}

#[derive(Debug, Clone)]
enum Layout {
    Base(Install),
    Venv {
        prefix: PathBuf,
        version: String,
        system_site: bool,
        base: Option<Install>,
    },
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

fn find_pyvenv_cfg(exe: &Path) -> Option<PathBuf> {
    let dir = exe.parent()?;
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join("pyvenv.cfg"))
        .find(|cfg| cfg.is_file())
}

/// `key = value` lines of a `pyvenv.cfg`; keys lowercased.
#[must_use]
pub fn parse_pyvenv_cfg(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

/// `X.Y` of a version such as `3.12.1`.
fn major_minor(version: &str) -> Option<String> {
    let mut parts = version.trim().split('.');
    let major = parts.next().filter(|p| is_digits(p))?;
    let minor = parts.next().filter(|p| is_digits(p))?;
    Some(format!("{major}.{minor}"))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The `lib/python…` suffix named by an executable (`python3.12` → `3.12`,
/// `python3.13t` → `3.13t`; `python3` → `None`).
#[must_use]
pub fn version_from_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("python")?;
    let digits_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(digits_end);
    let xy = major_minor(number)?;
    if number.matches('.').count() != 1 {
        return None;
    }
    // ABI flags: only `t` (free-threaded) changes the directory name.
    match suffix {
        "" | "d" | "m" | "dm" => Some(xy),
        "t" | "td" => Some(format!("{xy}t")),
        _ => None,
    }
}

fn venv_layout(cfg_path: &Path) -> Result<Layout, String> {
    let prefix = cfg_path
        .parent()
        .ok_or_else(|| "pyvenv.cfg has no directory".to_owned())?
        .to_path_buf();
    let text = read_prefix(cfg_path, MAX_TEXT_BYTES)
        .ok_or_else(|| format!("{} could not be read", cfg_path.display()))?;
    let cfg = parse_pyvenv_cfg(&text);
    let get = |key: &str| cfg.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let system_site =
        get("include-system-site-packages").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let cfg_version = get("version_info").or(get("version")).and_then(major_minor);
    let base = get("home").and_then(|home| base_from_home(Path::new(home), cfg_version.as_deref()));
    let version = match (&base, cfg_version) {
        (Some(base), _) => base.version.clone(),
        (None, Some(xy)) => {
            let threaded = format!("{xy}t");
            if !prefix.join("lib").join(format!("python{xy}")).is_dir()
                && prefix
                    .join("lib")
                    .join(format!("python{threaded}"))
                    .is_dir()
            {
                threaded
            } else {
                xy
            }
        }
        (None, None) => only_python_dir(&prefix.join("lib"), false)
            .ok_or_else(|| format!("cannot tell the Python version of {}", prefix.display()))?,
    };
    if system_site && base.is_none() {
        return Err(format!(
            "base interpreter of {} not found (pyvenv.cfg home)",
            prefix.display()
        ));
    }
    Ok(Layout::Venv {
        prefix,
        version,
        system_site,
        base,
    })
}

fn base_from_home(home: &Path, version: Option<&str>) -> Option<Install> {
    let mut names: Vec<String> = version.map(|v| format!("python{v}")).into_iter().collect();
    names.extend(["python3".to_owned(), "python".to_owned()]);
    names
        .iter()
        .map(|n| home.join(n))
        .find(|p| ExecConfig::is_executable(p))
        .and_then(|exe| base_install(&exe).ok())
}

/// The single `pythonX.Y` directory under `lib` (with the `os.py` landmark when
/// `need_landmark`).
fn only_python_dir(lib: &Path, need_landmark: bool) -> Option<String> {
    let mut found: Vec<String> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| version_from_name(&name))
        .filter(|v| !need_landmark || has_landmark(&lib.join(format!("python{v}"))))
        .take(2)
        .collect();
    (found.len() == 1).then(|| found.remove(0))
}

fn has_landmark(stdlib: &Path) -> bool {
    stdlib.join("os.py").is_file() || stdlib.join("os.pyc").is_file()
}

fn base_install(exe: &Path) -> Result<Install, String> {
    let real = std::fs::canonicalize(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let named = real
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(version_from_name);
    let start = real
        .parent()
        .ok_or_else(|| format!("{} has no directory", real.display()))?;
    for prefix in start.ancestors().take(MAX_ANCESTORS) {
        for (libdir, libdirs) in [("lib64", vec!["lib64", "lib"]), ("lib", vec!["lib"])] {
            let lib = prefix.join(libdir);
            let version = match &named {
                Some(v) => has_landmark(&lib.join(format!("python{v}"))).then(|| v.clone()),
                None => only_python_dir(&lib, true),
            };
            if let Some(version) = version {
                let site_py = lib.join(format!("python{version}")).join("site.py");
                let debian = read_prefix(&site_py, MAX_TEXT_BYTES)
                    .is_some_and(|text| text.contains("dist-packages"));
                return Ok(Install {
                    prefix: prefix.to_path_buf(),
                    version,
                    libdirs,
                    debian,
                });
            }
        }
    }
    Err(format!(
        "no standard library found for {} (no lib/python*/os.py above it)",
        real.display()
    ))
}

/// The global site directories of one prefix (CPython's or Debian's `getsitepackages`).
fn prefix_sites(
    prefix: &Path,
    version: &str,
    libdirs: &[&str],
    debian: bool,
    in_venv: bool,
) -> Vec<PathBuf> {
    let py = format!("python{version}");
    if !debian {
        return libdirs
            .iter()
            .map(|lib| prefix.join(lib).join(&py).join("site-packages"))
            .collect();
    }
    let mut sites = Vec::new();
    if in_venv {
        sites.push(prefix.join("lib").join(&py).join("site-packages"));
    }
    sites.push(prefix.join("local/lib").join(&py).join("dist-packages"));
    sites.push(prefix.join("lib/python3/dist-packages"));
    sites.extend(
        libdirs
            .iter()
            .map(|lib| prefix.join(lib).join(&py).join("dist-packages")),
    );
    sites
}

fn collect_dirs(layout: &Layout, env: &PythonEnv) -> Vec<PathBuf> {
    let mut out = DirList::default();
    if let Some(list) = &env.pythonpath {
        for entry in std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()) {
            let entry = match &env.cwd {
                Some(cwd) if entry.is_relative() => cwd.join(entry),
                _ => entry,
            };
            out.push(entry);
        }
    }
    let (version, user_site, sites) = match layout {
        Layout::Base(base) => (
            base.version.as_str(),
            !env.no_user_site,
            prefix_sites(
                &base.prefix,
                &base.version,
                &base.libdirs,
                base.debian,
                false,
            ),
        ),
        Layout::Venv {
            prefix,
            version,
            system_site,
            base,
        } => {
            let (libdirs, debian) = base
                .as_ref()
                .map_or((vec!["lib"], false), |b| (b.libdirs.clone(), b.debian));
            let mut sites = prefix_sites(prefix, version, &libdirs, debian, true);
            if let (true, Some(base)) = (system_site, base) {
                sites.extend(prefix_sites(&base.prefix, version, &libdirs, debian, true));
            }
            (version.as_str(), *system_site && !env.no_user_site, sites)
        }
    };
    let user_base = env
        .user_base
        .clone()
        .or_else(|| env.home.as_ref().map(|h| h.join(".local")));
    let user = user_base.filter(|_| user_site).map(|ub| {
        ub.join("lib")
            .join(format!("python{version}"))
            .join("site-packages")
    });
    for site in user.into_iter().chain(sites) {
        if out.push(site.clone()) {
            for extra in pth_dirs(&site) {
                out.push(extra);
            }
        }
    }
    out.dirs
}

/// Existing directories, each once (by canonical path), at most [`MAX_SITE_DIRS`].
#[derive(Default)]
struct DirList {
    dirs: Vec<PathBuf>,
    seen: Vec<PathBuf>,
}

impl DirList {
    /// Adds `dir` if it is a new existing directory; whether it was added.
    fn push(&mut self, dir: PathBuf) -> bool {
        if self.dirs.len() >= MAX_SITE_DIRS || !dir.is_dir() {
            return false;
        }
        let canonical = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if self.seen.contains(&canonical) {
            return false;
        }
        self.seen.push(canonical);
        self.dirs.push(dir);
        true
    }
}

/// Directories named by the `*.pth` files of `site`, in file-name order (`site.addpackage`:
/// `#` lines, blank lines and `import` lines skipped, paths relative to `site`).
#[must_use]
pub fn pth_dirs(site: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(site) else {
        return Vec::new();
    };
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pth") && !n.starts_with('.'))
        .collect();
    files.sort();
    files.truncate(MAX_PTH_FILES);
    let mut dirs = Vec::new();
    for file in files {
        let Some(text) = read_prefix(&site.join(&file), MAX_TEXT_BYTES) else {
            continue;
        };
        for line in text.lines() {
            if line.starts_with('#')
                || line.trim().is_empty()
                || line.starts_with("import ")
                || line.starts_with("import\t")
            {
                continue;
            }
            let dir = site.join(line.trim_end());
            if dir.exists() {
                dirs.push(dir);
            }
        }
    }
    dirs
}
