//! Control payload JSON (serde-json-core): `gpu-lease/v1` and `gpu-breadcrumb/v1`.
//!
//! Lease: any bytes either parse or give a typed error; a parsed lease re-rendered as JSON
//! parses back to the same lease. Breadcrumb: a rendered breadcrumb fits its buffer, parses
//! back to the same record, and (for commands without JSON escapes) always renders and is a
//! legal console ECHO payload.
#![no_main]

use cohesix_core::request::Request;
use cohesix_jetson::schema::{
    Breadcrumb, Command, Event, Lease, LeaseState, Status, BREADCRUMB_SCHEMA, LEASE_ACTIVE,
    LEASE_RELEASED, LEASE_SCHEMA, MAX_BREADCRUMB_LEN,
};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct LeaseOut<'a> {
    schema: &'a str,
    state: &'a str,
    gpu_id: &'a str,
    worker_id: &'a str,
    mem_mb: u32,
    streams: u32,
    ttl_s: u32,
    priority: u32,
}

#[derive(Deserialize, Debug)]
struct BreadcrumbBack<'a> {
    schema: &'a str,
    event: Event,
    command: heapless::String<256>,
    status: Status,
    exit_code: Option<i32>,
}

/// Input layout: byte 0 even = a lease line (the rest) for GPU `GPU-0`; odd = a breadcrumb
/// (byte 1 odd: EXIT with the exit code in bytes 2..6 LE; command = the rest).
fn run(raw: &[u8]) {
    let Some((&mode, rest)) = raw.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        lease(rest, "GPU-0");
        return;
    }
    let exit = match rest {
        [flag, a, b, c, d, ..] if flag & 1 == 1 => Some(i32::from_le_bytes([*a, *b, *c, *d])),
        _ => None,
    };
    let cmd = rest
        .get(if exit.is_some() { 5 } else { 1 }..)
        .unwrap_or(&[]);
    if let Ok(cmd) = core::str::from_utf8(cmd) {
        breadcrumb(cmd, exit);
    }
}

fn lease(line: &[u8], gpu: &str) {
    let Ok(l) = Lease::parse(line, gpu) else {
        return;
    };
    // Fixed (reproducers: jetson/tests/regress_fuzz.rs): the core decoder refuses JSON escapes
    // and raw control bytes in ids, so a parsed lease only holds plain tokens.
    let token = |id: &str| id.bytes().all(cohesix_jetson::schema::is_id_byte);
    assert!(token(&l.gpu_id) && token(&l.worker_id), "{l:?}");
    assert_eq!(l.gpu_id.as_str(), gpu);
    if l.state == LeaseState::Active {
        assert!(!l.worker_id.is_empty());
    }
    let out = LeaseOut {
        schema: LEASE_SCHEMA,
        state: match l.state {
            LeaseState::Active => LEASE_ACTIVE,
            LeaseState::Released => LEASE_RELEASED,
        },
        gpu_id: &l.gpu_id,
        worker_id: &l.worker_id,
        mem_mb: l.mem_mb,
        streams: l.streams,
        ttl_s: l.ttl_s,
        priority: l.priority,
    };
    let mut buf = [0u8; 512];
    let n = serde_json_core::to_slice(&out, &mut buf).expect("render lease");
    let again = Lease::parse(&buf[..n], gpu);
    assert_eq!(
        again.as_ref(),
        Ok(&l),
        "lease round trip: {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    let lines: [&[u8]; 3] = [line, &buf[..n], b"  "];
    assert_eq!(Lease::parse_last(&lines, gpu), Ok(Some(l)));
}

fn breadcrumb(command: &str, exit: Option<i32>) {
    let Ok(cmd) = Command::try_from(command) else {
        return;
    };
    let b = match exit {
        None => Breadcrumb::start(&cmd),
        Some(code) => Breadcrumb::exit(&cmd, code),
    };
    let mut out = [0u8; MAX_BREADCRUMB_LEN];
    let plain = command
        .bytes()
        .all(|c| (0x20..=0x7e).contains(&c) && c != b'"' && c != b'\\');
    let n = match b.render(&mut out) {
        Ok(n) => n,
        Err(_) => {
            assert!(
                !plain,
                "breadcrumb for a plain command {command:?} did not fit"
            );
            return;
        }
    };
    assert!(n <= MAX_BREADCRUMB_LEN);
    let mut scratch = [0u8; 512];
    let (back, used) =
        serde_json_core::from_slice_escaped::<BreadcrumbBack<'_>>(&out[..n], &mut scratch)
            .expect("rendered breadcrumb parses");
    assert_eq!(used, n);
    assert_eq!(back.schema, BREADCRUMB_SCHEMA);
    assert_eq!(back.event, b.event);
    assert_eq!(back.command.as_str(), command);
    assert_eq!(back.status, b.status);
    assert_eq!(back.exit_code, b.exit_code);
    if plain {
        let text = core::str::from_utf8(&out[..n]).expect("ascii");
        Request::echo("/gpu/GPU-0/status", text).expect("breadcrumb is a legal ECHO payload");
    }
}

fuzz_target!(|raw: &[u8]| run(raw));
