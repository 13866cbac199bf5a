//! Path validator against an independent reference; accepted paths build an `LS` request
//! whose line parses back (server parser) to the same path.
#![no_main]

use cohesix_core::command::{parse_command, Command};
use cohesix_core::path::{depth, validate_path, MAX_COMPONENT_LEN};
use cohesix_core::request::Request;
use cohesix_generated::console::{MAX_LINE_LEN, MAX_PATH_LEN};
use cohesix_generated::secure9p::WALK_DEPTH;
use libfuzzer_sys::fuzz_target;

fn reference_ok(p: &str) -> bool {
    let b = p.as_bytes();
    if b.is_empty() || b.len() > MAX_PATH_LEN || b[0] != b'/' {
        return false;
    }
    if !b.iter().all(|c| (0x21..=0x7e).contains(c)) {
        return false;
    }
    if p == "/" {
        return true;
    }
    let comps: Vec<&str> = p[1..].split('/').collect();
    comps.len() <= WALK_DEPTH
        && comps
            .iter()
            .all(|c| !c.is_empty() && c.len() <= MAX_COMPONENT_LEN && *c != "." && *c != "..")
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = core::str::from_utf8(data) else {
        return;
    };
    let res = validate_path(p);
    assert_eq!(
        res.is_ok(),
        reference_ok(p),
        "validator disagrees with reference: {p:?} -> {res:?}"
    );
    if let Err(e) = res {
        let _ = format!("{e} {e:?}");
        return;
    }
    assert!(depth(p).is_some_and(|d| d <= WALK_DEPTH));
    let req = Request::ls(p).expect("valid path must build LS");
    let mut line = [0u8; MAX_LINE_LEN];
    let n = req.write_line(&mut line).expect("render");
    let mut buf = [0u8; MAX_LINE_LEN];
    match parse_command(&line[..n], &mut buf) {
        Ok(Command::Ls { path }) => assert_eq!(path, p),
        other => panic!("LS {p:?} parsed as {other:?}"),
    }
});
