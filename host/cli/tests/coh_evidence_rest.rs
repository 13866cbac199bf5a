//! `coh evidence pack --rest-url` through a `hive-gateway --mock` process, then
//! `coh evidence ci-summary` on the result: exit codes, the same files as `coh --mock`
//! (except `bounds.json`, which is the gateway's document with the target's hash), the
//! target hash checked by CI, and no request token anywhere.

mod gateway_support;

use std::path::Path;
use std::process::{Command, Output};

use gateway_support::{files, tmp, Gateway};

const TOKEN: &str = "rest-evidence-token-9c2d71";

fn coh() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coh"));
    cohesix_testsupport::env::hermetic(&mut c);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_pack_through_the_gateway_passes_ci_and_never_holds_the_token() {
    let dir = tmp("evidence");
    let gw = Gateway::start(TOKEN, &dir.join("gateway.log"));
    let rest = dir.join("rest");
    let o = coh()
        .args(["--rest-url", &gw.url, "evidence", "pack", "--out", s(&rest)])
        .arg("--with-telemetry")
        .env("COH_REST_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run coh");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("OK CAT path=/audit/journal\n"), "{out}");
    assert!(
        out.contains(&format!(
            "evidence pack saved={} captured=14 missing=1 errors=0\n",
            rest.display()
        )),
        "{out}"
    );
    assert!(!out.contains(TOKEN), "{out}");

    // The same files as a pack of the in-process mock, except the bounds: the gateway's
    // document is this build's plus the target's manifest hash.
    let mock = dir.join("mock");
    let o = coh()
        .args([
            "--mock",
            "evidence",
            "pack",
            "--out",
            s(&mock),
            "--with-telemetry",
        ])
        .output()
        .expect("run coh");
    assert!(o.status.success(), "{}", text(&o));
    let (a, b) = (files(&rest), files(&mock));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "bounds.json" {
            continue;
        }
        assert!(x == y, "{name} differs over REST");
    }
    let json = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let mut bounds = json(&rest.join("bounds.json"));
    let sha = bounds
        .as_object_mut()
        .unwrap()
        .remove("target_manifest_sha256");
    assert_eq!(
        sha.as_ref().and_then(|v| v.as_str()),
        Some(cohesix_generated::MANIFEST_SHA256)
    );
    assert_eq!(bounds, json(&mock.join("bounds.json")));

    // CI accepts the pack (exit 0) and writes the same document to a file.
    let o = coh()
        .args(["evidence", "ci-summary", "--pack", s(&rest)])
        .output()
        .expect("run coh");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let printed = o.stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&printed).unwrap();
    assert_eq!(
        (v["ok"].clone(), v["pack_dir"].clone()),
        (true.into(), s(&rest).into())
    );
    let ci_file = dir.join("ci.json");
    let o = coh()
        .args([
            "evidence",
            "ci-summary",
            "--pack",
            s(&rest),
            "--out",
            s(&ci_file),
        ])
        .output()
        .expect("run coh");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read(&ci_file).unwrap(), printed);

    // The target hash the gateway stated is checked: a different one fails CI (exit 2).
    let bounds_file = rest.join("bounds.json");
    let original = std::fs::read_to_string(&bounds_file).unwrap();
    let other = "0".repeat(64);
    std::fs::write(
        &bounds_file,
        original.replace(cohesix_generated::MANIFEST_SHA256, &other),
    )
    .unwrap();
    let o = coh()
        .args(["evidence", "ci-summary", "--pack", s(&rest)])
        .output()
        .expect("run coh");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("manifest_sha256: pack "));
    std::fs::write(&bounds_file, original).unwrap();

    // A wrong token: the target refuses the credentials, exit 1, no summary, no token shown.
    let denied = dir.join("denied");
    let o = coh()
        .args([
            "--rest-url",
            &gw.url,
            "--rest-auth-token",
            "wrong-token-5e0a",
        ])
        .args(["evidence", "pack", "--out", s(&denied)])
        .output()
        .expect("run coh");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("invalid request auth token"), "{out}");
    assert!(
        !out.contains("wrong-token-5e0a") && !out.contains(TOKEN),
        "{out}"
    );
    assert!(!denied.join("summary.json").exists());

    let status = gw.terminate();
    assert!(status.success(), "gateway exit on SIGTERM: {status:?}");
    // No file of the pack, nor the gateway's log, holds the request token.
    for (name, bytes) in files(&dir) {
        let t = String::from_utf8_lossy(&bytes);
        assert!(!t.contains(TOKEN), "{name} holds the token");
        assert!(
            !t.contains("wrong-token-5e0a"),
            "{name} holds the wrong token"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
