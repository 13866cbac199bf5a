//! The peft probe's static path: fake Python installations (a file with an ELF header that
//! cannot actually run, symlinks, standard-library landmarks, site directories) in temp dirs.
//! A result with `source: "static"` proves no interpreter was started: none of these
//! "interpreters" could have answered.

mod common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use cohesix_probes::exec::join_search_path;
use cohesix_probes::peft::pyenv::{parse_version_file, shim_root};
use cohesix_probes::peft::site::{parse_pyvenv_cfg, pth_dirs, version_from_name};
use cohesix_probes::peft::{probe_peft, PythonEnv};
use cohesix_probes::{ProbeResult, ProbeStatus, SnapshotOptions};
use common::{dist_info, FakeBin};
use serde_json::{json, Value};

fn mkdir(path: &Path) -> &Path {
    std::fs::create_dir_all(path).expect("mkdir");
    path
}

fn executable(path: &Path, bytes: &[u8]) {
    mkdir(path.parent().expect("parent"));
    std::fs::write(path, bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A fake CPython install: `<prefix>/bin/python<v>` (ELF header only), `python3` → it, the
/// `os.py` landmark under `<libdir>/python<v>`; returns the site-packages directory.
fn install(prefix: &Path, version: &str, libdir: &str) -> PathBuf {
    executable(
        &prefix.join("bin").join(format!("python{version}")),
        b"\x7fELF\x02\x01\x01\0not-really-python",
    );
    symlink(
        format!("python{version}"),
        prefix.join("bin").join("python3"),
    )
    .expect("symlink");
    let stdlib = prefix.join(libdir).join(format!("python{version}"));
    mkdir(&stdlib);
    std::fs::write(stdlib.join("os.py"), "# landmark\n").expect("os.py");
    let site = stdlib.join("site-packages");
    mkdir(&site);
    site
}

fn opts_for(bin: &FakeBin, path_dirs: &[&Path]) -> SnapshotOptions {
    let mut opts = bin.options();
    opts.include_peft = true;
    opts.exec.path = Some(join_search_path(path_dirs));
    opts
}

fn versions(r: &ProbeResult) -> Value {
    r.data["versions"].clone()
}

fn assert_static(r: &ProbeResult, interpreter: &Path) {
    assert_eq!(r.data["source"], "static", "{r:?}");
    assert_eq!(r.data["interpreter"], interpreter.display().to_string());
    assert_eq!(r.data.get("static_error"), None);
}

#[tokio::test]
async fn plain_install_is_read_without_an_interpreter() {
    let bin = FakeBin::new();
    let prefix = bin.path().join("opt/py");
    let site = install(&prefix, "3.12", "lib");
    dist_info(&site, "torch-2.11.0", "torch", "2.11.0");
    dist_info(&site, "transformers-4.57.1", "transformers", "4.57.1");
    dist_info(&site, "peft-0.21.0", "peft", "0.21.0");
    dist_info(&site, "Accelerate-1.15.0", "Accelerate", "1.15.0");
    dist_info(&site, "bitsandbytes-0.45.5", "bitsandbytes", "0.45.5");
    let r = probe_peft(&opts_for(&bin, &[&prefix.join("bin")])).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.error, None);
    assert_static(&r, &prefix.join("bin/python3"));
    assert_eq!(
        r.data["python"],
        prefix.join("bin/python3").display().to_string()
    );
    assert_eq!(
        versions(&r),
        json!({"torch": "2.11.0", "transformers": "4.57.1", "peft": "0.21.0",
               "accelerate": "1.15.0", "bitsandbytes": "0.45.5"})
    );
    // torch has no torch/version.py here: CUDA build unknown, not available.
    assert_eq!(r.data["torch_cuda"]["available"], false);
}

#[tokio::test]
async fn lib64_and_free_threaded_layouts() {
    let bin = FakeBin::new();
    let fedora = bin.path().join("fedora/usr");
    let lib64_site = install(&fedora, "3.12", "lib64");
    let lib_site = mkdir(&fedora.join("lib/python3.12/site-packages")).to_path_buf();
    dist_info(&lib64_site, "torch-2.5.1", "torch", "2.5.1");
    dist_info(&lib_site, "peft-0.13.0", "peft", "0.13.0");
    dist_info(&lib_site, "torch-1.0.0", "torch", "1.0.0"); // after lib64: shadowed
    let r = probe_peft(&opts_for(&bin, &[&fedora.join("bin")])).await;
    assert_static(&r, &fedora.join("bin/python3"));
    assert_eq!(versions(&r)["torch"], "2.5.1");
    assert_eq!(versions(&r)["peft"], "0.13.0");

    let ft = bin.path().join("ft");
    let site = install(&ft, "3.13t", "lib");
    dist_info(&site, "torch-2.6.0", "torch", "2.6.0");
    let r = probe_peft(&opts_for(&bin, &[&ft.join("bin")])).await;
    assert_static(&r, &ft.join("bin/python3"));
    assert_eq!(versions(&r)["torch"], "2.6.0");
}

#[tokio::test]
async fn debian_layout_uses_dist_packages_only() {
    let bin = FakeBin::new();
    let usr = bin.path().join("usr");
    let ignored = install(&usr, "3.11", "lib");
    std::fs::write(
        usr.join("lib/python3.11/site.py"),
        "# Debian: addons install into /usr/lib/python3/dist-packages\n",
    )
    .expect("site.py");
    dist_info(&ignored, "accelerate-0.1.0", "accelerate", "0.1.0");
    let local = mkdir(&usr.join("local/lib/python3.11/dist-packages")).to_path_buf();
    let shared = mkdir(&usr.join("lib/python3/dist-packages")).to_path_buf();
    let versioned = mkdir(&usr.join("lib/python3.11/dist-packages")).to_path_buf();
    dist_info(&local, "torch-2.1.0", "torch", "2.1.0");
    dist_info(&shared, "torch-1.13.0", "torch", "1.13.0");
    dist_info(&shared, "peft-0.4.0", "peft", "0.4.0");
    dist_info(&versioned, "transformers-4.30.0", "transformers", "4.30.0");
    let r = probe_peft(&opts_for(&bin, &[&usr.join("bin")])).await;
    assert_static(&r, &usr.join("bin/python3"));
    assert_eq!(
        versions(&r),
        json!({"torch": "2.1.0", "transformers": "4.30.0", "peft": "0.4.0",
               "accelerate": null, "bitsandbytes": null})
    );
    assert_eq!(
        r.error.as_deref(),
        Some("missing packages: accelerate, bitsandbytes")
    );
}

/// A pyenv root with a shim (a script that, if ever run, prints a poisoned `sys.path`) and
/// two installed versions holding different torch versions.
fn pyenv_root(bin: &FakeBin) -> PathBuf {
    let root = bin.path().join("pyenv");
    let poison = mkdir(&bin.path().join("poison")).to_path_buf();
    dist_info(&poison, "torch-6.6.6", "torch", "6.6.6");
    executable(
        &root.join("shims/python3"),
        format!("#!/bin/sh\necho '{}'\n", poison.display()).as_bytes(),
    );
    for (version, torch) in [("3.11.7", "2.2.0"), ("3.12.1", "2.11.0")] {
        let xy = &version[..4];
        let prefix = root.join("versions").join(version);
        let site = install(&prefix, xy, "lib");
        dist_info(&site, &format!("torch-{torch}"), "torch", torch);
    }
    root
}

#[tokio::test]
async fn pyenv_shims_resolve_like_pyenv() {
    let bin = FakeBin::new();
    let root = pyenv_root(&bin);
    let shims = root.join("shims");
    let mut opts = opts_for(&bin, &[&shims]);
    let v311 = root.join("versions/3.11.7/bin/python3");
    let v312 = root.join("versions/3.12.1/bin/python3");

    // No selection at all: "system", which is not on the path → undecidable → the shim runs.
    let r = probe_peft(&opts).await;
    assert_eq!(r.data["source"], "interpreter", "{r:?}");
    assert_eq!(versions(&r)["torch"], "6.6.6");

    // Global version file.
    std::fs::write(root.join("version"), "# global\n3.11.7\n").expect("version");
    let r = probe_peft(&opts).await;
    assert_static(&r, &v311);
    assert_eq!(versions(&r)["torch"], "2.2.0");
    assert_eq!(
        r.data["python"],
        shims.join("python3").display().to_string()
    );

    // A .python-version in an ancestor of the working directory beats the global file.
    let project = bin.path().join("project");
    let cwd = mkdir(&project.join("src/deep")).to_path_buf();
    std::fs::write(project.join(".python-version"), "3.12.1\n").expect(".python-version");
    opts.python_env.cwd = Some(cwd);
    let r = probe_peft(&opts).await;
    assert_static(&r, &v312);
    assert_eq!(versions(&r)["torch"], "2.11.0");

    // PYENV_VERSION beats both; several versions are tried in order.
    opts.python_env.pyenv_version = Some("3.11.7:3.12.1".into());
    let r = probe_peft(&opts).await;
    assert_static(&r, &v311);

    // A version that is not installed: pyenv decides (it may resolve prefixes) → the shim runs.
    opts.python_env.pyenv_version = Some("3.9".into());
    let r = probe_peft(&opts).await;
    assert_eq!(r.data["source"], "interpreter");
    assert!(r.data["static_error"]
        .as_str()
        .is_some_and(|e| e.contains("`3.9`") && e.contains("not installed")));

    // "system": the python3 after the shims on the path.
    let system = bin.path().join("system");
    let site = install(&system, "3.10", "lib");
    dist_info(&site, "torch-1.12.0", "torch", "1.12.0");
    opts.exec.path = Some(join_search_path([&shims, &system.join("bin")]));
    opts.python_env.pyenv_version = Some("system".into());
    let r = probe_peft(&opts).await;
    assert_static(&r, &system.join("bin/python3"));
    assert_eq!(versions(&r)["torch"], "1.12.0");
}

/// A virtual environment on a base install; the base holds torch 2.0.0, peft, and transformers.
struct Venv {
    base: PathBuf,
    venv: PathBuf,
    home: PathBuf,
}

fn venv(bin: &FakeBin, system_site: bool) -> Venv {
    let base = bin.path().join("base");
    let base_site = if base.exists() {
        base.join("lib/python3.12/site-packages")
    } else {
        install(&base, "3.12", "lib")
    };
    dist_info(&base_site, "torch-2.0.0", "torch", "2.0.0");
    dist_info(&base_site, "peft-0.1.0", "peft", "0.1.0");
    dist_info(&base_site, "transformers-1.0.0", "transformers", "1.0.0");
    let venv = bin.path().join(format!("venv-{system_site}"));
    mkdir(&venv.join("bin"));
    symlink(base.join("bin/python3.12"), venv.join("bin/python3")).expect("symlink");
    std::fs::write(
        venv.join("pyvenv.cfg"),
        format!(
            "home = {}\ninclude-system-site-packages = {system_site}\nversion = 3.12.4\n",
            base.join("bin").display()
        ),
    )
    .expect("pyvenv.cfg");
    let site = mkdir(&venv.join("lib/python3.12/site-packages")).to_path_buf();
    dist_info(&site, "torch-2.11.0", "torch", "2.11.0");
    dist_info(&site, "transformers-4.0.0", "transformers", "4.0.0");
    let home = bin.path().join("home");
    let user = mkdir(&home.join(".local/lib/python3.12/site-packages")).to_path_buf();
    dist_info(&user, "accelerate-1.0.0", "accelerate", "1.0.0");
    dist_info(&user, "transformers-4.99.0", "transformers", "4.99.0");
    Venv { base, venv, home }
}

#[tokio::test]
async fn virtual_environments_follow_pyvenv_cfg() {
    let bin = FakeBin::new();
    let isolated = venv(&bin, false);
    let mut opts = opts_for(&bin, &[&isolated.venv.join("bin")]);
    opts.python_env.home = Some(isolated.home.clone());
    let r = probe_peft(&opts).await;
    assert_static(&r, &isolated.venv.join("bin/python3"));
    // Neither the base's packages nor the user site are visible.
    assert_eq!(
        versions(&r),
        json!({"torch": "2.11.0", "transformers": "4.0.0", "peft": null,
               "accelerate": null, "bitsandbytes": null})
    );

    let open = venv(&bin, true);
    let mut opts = opts_for(&bin, &[&open.venv.join("bin")]);
    opts.python_env.home = Some(open.home.clone());
    let r = probe_peft(&opts).await;
    assert_static(&r, &open.venv.join("bin/python3"));
    // Order: user site, the venv, then the base.
    assert_eq!(
        versions(&r),
        json!({"torch": "2.11.0", "transformers": "4.99.0", "peft": "0.1.0",
               "accelerate": "1.0.0", "bitsandbytes": null})
    );
    opts.python_env.no_user_site = true;
    let r = probe_peft(&opts).await;
    assert_eq!(versions(&r)["transformers"], "4.0.0");
    assert_eq!(versions(&r)["accelerate"], json!(null));

    // An active VIRTUAL_ENV wins over the python3 on the path (the base here).
    let mut opts = opts_for(&bin, &[&open.base.join("bin")]);
    opts.python_env.virtual_env = Some(isolated.venv.clone());
    let r = probe_peft(&opts).await;
    assert_static(&r, &isolated.venv.join("bin/python3"));
    assert_eq!(versions(&r)["torch"], "2.11.0");
    opts.python_env.virtual_env = None;
    let r = probe_peft(&opts).await;
    assert_static(&r, &open.base.join("bin/python3"));
    assert_eq!(versions(&r)["torch"], "2.0.0");
}

#[tokio::test]
async fn pythonpath_user_base_and_pth_files() {
    let bin = FakeBin::new();
    let prefix = bin.path().join("py");
    let site = install(&prefix, "3.12", "lib");
    dist_info(&site, "torch-2.0.0", "torch", "2.0.0");
    let extra = mkdir(&bin.path().join("extra")).to_path_buf();
    dist_info(&extra, "peft-0.9.0", "peft", "0.9.0");
    let never = mkdir(&bin.path().join("never")).to_path_buf();
    dist_info(&never, "accelerate-9.0.0", "accelerate", "9.0.0");
    std::fs::write(
        site.join("a-editable.pth"),
        format!(
            "# comment\n\n{}\nimport sys; sys.path.append('{}')\n/does/not/exist\n",
            "../../../../extra",
            never.display()
        ),
    )
    .expect("pth");
    std::fs::write(site.join(".hidden.pth"), format!("{}\n", never.display())).expect("pth");
    assert_eq!(pth_dirs(&site), vec![site.join("../../../../extra")]);

    let pp = mkdir(&bin.path().join("work/pp")).to_path_buf();
    dist_info(&pp, "torch-9.9.9", "torch", "9.9.9");
    let user_base = bin.path().join("ub");
    let user = mkdir(&user_base.join("lib/python3.12/site-packages")).to_path_buf();
    dist_info(&user, "bitsandbytes-0.40.0", "bitsandbytes", "0.40.0");

    let mut opts = opts_for(&bin, &[&prefix.join("bin")]);
    opts.python_env.cwd = Some(bin.path().join("work"));
    opts.python_env.pythonpath = Some("pp::/does/not/exist".into());
    opts.python_env.user_base = Some(user_base);
    let r = probe_peft(&opts).await;
    assert_static(&r, &prefix.join("bin/python3"));
    assert_eq!(
        versions(&r),
        json!({"torch": "9.9.9", "transformers": null, "peft": "0.9.0",
               "accelerate": null, "bitsandbytes": "0.40.0"})
    );
}

#[tokio::test]
async fn undecidable_environments_ask_the_interpreter_once() {
    let bin = FakeBin::new();
    let prefix = bin.path().join("py");
    let site = install(&prefix, "3.12", "lib");
    dist_info(&site, "torch-2.0.0", "torch", "2.0.0");
    let mut opts = opts_for(&bin, &[&prefix.join("bin")]);
    opts.exec.timeout = std::time::Duration::from_millis(500);
    opts.python_env.pythonhome = Some("/elsewhere".into());
    // The fake ELF cannot run: the fallback is tried and fails with a spawn error.
    let r = probe_peft(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped, "{r:?}");
    assert!(
        r.error
            .as_deref()
            .is_some_and(|e| e.starts_with("command failed to run: python3 -c")),
        "{r:?}"
    );

    // No standard library landmark above the executable.
    std::fs::remove_file(prefix.join("lib/python3.12/os.py")).expect("rm");
    opts.python_env.pythonhome = None;
    let r = probe_peft(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped, "{r:?}");
}

#[test]
fn helpers_parse_like_python_and_pyenv() {
    assert_eq!(version_from_name("python3.12").as_deref(), Some("3.12"));
    assert_eq!(version_from_name("python3.13t").as_deref(), Some("3.13t"));
    assert_eq!(version_from_name("python3.7m").as_deref(), Some("3.7"));
    assert_eq!(version_from_name("python3"), None);
    assert_eq!(version_from_name("python3.12.1"), None);
    assert_eq!(version_from_name("python3.12-config"), None);
    assert_eq!(
        parse_version_file("# c\n\n 3.12.1  trailing\n../x\nsystem\na/b\n.."),
        vec!["3.12.1", "system"]
    );
    assert_eq!(
        parse_pyvenv_cfg("home = /usr/bin\nInclude-System-Site-Packages=TRUE\nnoise\n"),
        vec![
            ("home".to_owned(), "/usr/bin".to_owned()),
            ("include-system-site-packages".to_owned(), "TRUE".to_owned())
        ]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let shim = dir.path().join("shims/python3");
    assert_eq!(shim_root(&shim), None);
    mkdir(&dir.path().join("versions"));
    assert_eq!(shim_root(&shim), Some(dir.path().to_path_buf()));
    assert_eq!(shim_root(&dir.path().join("bin/python3")), None);
}

/// On a machine with Python, the static directories must find exactly the distributions
/// the interpreter's own `sys.path` finds (every name in each directory, not only the five).
#[test]
fn static_plan_agrees_with_real_interpreters() {
    use cohesix_probes::exec::ExecConfig;
    use cohesix_probes::peft::site::{locate_program, plan};
    let env = PythonEnv::from_process();
    let exec = ExecConfig::default();
    let mut candidates = vec!["python3".to_owned(), "/usr/bin/python3".to_owned()];
    if let Some(home) = &env.home {
        if let Ok(entries) = std::fs::read_dir(home.join(".pyenv/versions")) {
            candidates.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("bin/python3").display().to_string()),
            );
        }
    }
    let mut compared = 0;
    for python in candidates {
        let Some(program) = locate_program(&python, &env, &exec) else {
            continue;
        };
        let Ok(site_plan) = plan(&program, &env, &exec) else {
            continue;
        };
        let Ok(out) = std::process::Command::new(&program)
            .args(["-c", cohesix_probes::peft::SYS_PATH_CODE])
            .output()
        else {
            continue;
        };
        let printed: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect();
        let with_metadata = |dirs: &[PathBuf]| -> Vec<PathBuf> {
            dirs.iter()
                .filter(|d| {
                    std::fs::read_dir(d).is_ok_and(|mut es| {
                        es.any(|e| {
                            e.ok().is_some_and(|e| {
                                let n = e.file_name().to_string_lossy().into_owned();
                                n.ends_with(".dist-info") || n.ends_with(".egg-info")
                            })
                        })
                    })
                })
                .filter_map(|d| std::fs::canonicalize(d).ok())
                .collect()
        };
        assert_eq!(
            with_metadata(&site_plan.dirs),
            with_metadata(&printed),
            "{python}: static {:?} vs sys.path {printed:?}",
            site_plan.dirs
        );
        compared += 1;
    }
    eprintln!("compared {compared} interpreters");
}
