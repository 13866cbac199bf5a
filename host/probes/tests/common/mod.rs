//! Shared test helpers: fake tool directories and one-shot HTTP servers.
#![allow(dead_code)]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohesix_probes::exec::ExecConfig;
use cohesix_probes::SnapshotOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Path of a fixture relative to the repository root.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// Reads a fixture as text.
pub fn fixture_text(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A temporary directory of fake executables, used as the probes' whole search path.
pub struct FakeBin {
    pub dir: tempfile::TempDir,
}

impl FakeBin {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes an executable `/bin/sh` script named `name` with `body`. The script also records
    /// its arguments, one per line, in `<name>.argv`.
    pub fn script(&self, name: &str, body: &str) {
        let argv = self.path().join(format!("{name}.argv"));
        let text = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n{body}\n",
            argv.display()
        );
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// A script that prints `stdout` verbatim and exits with `code`.
    pub fn printing(&self, name: &str, stdout: &str, code: i32) {
        let data = self.path().join(format!("{name}.out"));
        std::fs::write(&data, stdout).expect("write output");
        self.script(name, &format!("/bin/cat '{}'\nexit {code}", data.display()));
    }

    /// A script that writes `stderr` to stderr and exits with `code`.
    pub fn failing(&self, name: &str, stderr: &str, code: i32) {
        let data = self.path().join(format!("{name}.err"));
        std::fs::write(&data, stderr).expect("write stderr");
        self.script(
            name,
            &format!("/bin/cat '{}' >&2\nexit {code}", data.display()),
        );
    }

    /// A script that hangs far past any test timeout.
    pub fn hanging(&self, name: &str) {
        self.script(name, "exec /bin/sleep 30");
    }

    /// Arguments recorded by the last run of `name`.
    pub fn argv(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path().join(format!("{name}.argv")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn search_path(&self) -> OsString {
        self.path().as_os_str().to_owned()
    }

    /// Exec settings using only this directory as the search path.
    pub fn exec(&self, timeout: Duration) -> ExecConfig {
        ExecConfig {
            path: Some(self.search_path()),
            timeout,
            max_output_bytes: 1024 * 1024,
        }
    }

    /// Options that run nothing by default and can only see this directory's tools; API paths
    /// point at nothing (no socket, no kubeconfig, no NVML); no Python environment variables.
    pub fn options(&self) -> SnapshotOptions {
        SnapshotOptions {
            systemd_units: None,
            include_docker: false,
            include_k8s: false,
            include_nvidia: false,
            include_peft: false,
            exec: self.exec(Duration::from_secs(5)),
            docker_socket: Some(self.path().join("no-docker.sock")),
            kubeconfig: Some(self.path().join("no-kubeconfig")),
            nvml_library: Some(self.path().join("no-libnvidia-ml.so.1")),
            system_root: self.path().join("root"),
            cuda_visible_devices: None,
            python_env: cohesix_probes::peft::PythonEnv::default(),
            ..SnapshotOptions::default()
        }
    }
}

/// Writes `<site>/<dir_name>.dist-info/METADATA` for `name` `version` (a later body line
/// carries a decoy `Version:` that must not be read).
pub fn dist_info(site: &Path, dir_name: &str, name: &str, version: &str) {
    let dir = site.join(format!("{dir_name}.dist-info"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\n\nVersion: 0.0.0-body\n"),
    )
    .expect("METADATA");
}

/// A canned HTTP response.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub body: String,
}

/// Requests (head + body) seen by a fake server.
pub type Seen = Arc<Mutex<Vec<String>>>;

async fn serve_stream<S>(mut stream: S, canned: Canned, seen: Seen)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read the request head (GET requests carry no body).
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) | Ok(Err(_)) => return,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 65536 {
            break;
        }
    }
    seen.lock()
        .expect("lock")
        .push(String::from_utf8_lossy(&buf).into_owned());
    let reason = if canned.status == 200 { "OK" } else { "Error" };
    let response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        canned.status,
        canned.body.len(),
        canned.body
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serves `canned` to every connection on a unix socket at `path`.
pub fn unix_server(path: &Path, canned: Canned) -> (Seen, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::UnixListener::bind(path).expect("bind unix");
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_stream(stream, canned.clone(), seen2.clone()));
        }
    });
    (seen, task)
}

/// Serves `canned` to every connection on 127.0.0.1 (ephemeral port); returns the port.
pub async fn tcp_server(canned: Canned) -> (u16, Seen, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind tcp");
    let port = listener.local_addr().expect("addr").port();
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_stream(stream, canned.clone(), seen2.clone()));
        }
    });
    (port, seen, task)
}

/// The `--query-gpu=` field list of a recorded command line.
pub fn query_fields(command_line: &str) -> Vec<String> {
    let list = command_line
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--query-gpu="))
        .expect("--query-gpu= in command line");
    list.split(',').map(str::to_owned).collect()
}

/// Text of the first `<tag>…</tag>` in `xml` at or after the first `<scope>` (when given).
pub fn xml_text<'a>(xml: &'a str, scope: Option<&str>, tag: &str) -> Option<&'a str> {
    let start = match scope {
        Some(s) => xml.find(&format!("<{s}>"))?,
        None => 0,
    };
    let rest = &xml[start..];
    let open = format!("<{tag}>");
    let from = rest.find(&open)? + open.len();
    let to = rest[from..].find(&format!("</{tag}>"))? + from;
    Some(rest[from..to].trim())
}
