//! `/queen/ctl` commands, `gpu-lease/v1` and `gpu-breadcrumb/v1`: exact bytes (the shell's
//! and the mock's), messages, strict decoding.

use cohesix_core::control::gpu::GpuBreadcrumb as Crumb;
use cohesix_core::control::{
    BreadcrumbEvent, BreadcrumbStatus, Budget, ControlError, ControlLine, GpuLease, GpuLeaseSpec,
    GpuLeaseState, JsonError, QueenCtl, Text,
};

fn enc(c: &QueenCtl<'_>) -> String {
    let mut buf = [0u8; 512];
    let n = c.encode(&mut buf).expect("encodes");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn queen_ctl_golden_bytes_match_cohsh() {
    assert_eq!(
        enc(&QueenCtl::spawn_heartbeat(3)),
        r#"{"spawn":"heartbeat","ticks":3}"#
    );
    // Console spec §7 vector: 53-byte payload.
    let hb = QueenCtl::spawn_heartbeat(1).with_budget(Budget::new().ttl_s(30));
    assert_eq!(
        enc(&hb),
        r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#
    );
    assert_eq!(enc(&hb).len(), 53);
    assert_eq!(
        enc(&QueenCtl::spawn_heartbeat(2).with_budget(Budget::new().ttl_s(5).ops(9))),
        r#"{"spawn":"heartbeat","ticks":2,"budget":{"ttl_s":5,"ops":9}}"#
    );
    assert_eq!(
        enc(&QueenCtl::spawn_gpu(GpuLeaseSpec::new(
            "GPU-0", 1024, 1, 60
        ))),
        r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1024,"streams":1,"ttl_s":60}}"#
    );
    assert_eq!(
        enc(
            &QueenCtl::spawn_gpu(GpuLeaseSpec::new("GPU-0", 4096, 1, 120).priority(1))
                .with_budget(Budget::new().ttl_s(120).ops(64))
        ),
        r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":1,"ttl_s":120,"priority":1},"budget":{"ttl_s":120,"ops":64}}"#
    );
    assert_eq!(enc(&QueenCtl::kill("worker-2")), r#"{"kill":"worker-2"}"#);
    assert_eq!(
        enc(&QueenCtl::bind("/queen", "/host/queen")),
        r#"{"bind":{"from":"/queen","to":"/host/queen"}}"#
    );
    assert_eq!(
        enc(&QueenCtl::mount("logs", "/logs")),
        r#"{"mount":{"service":"logs","at":"/logs"}}"#
    );
    // Budgets on non-spawn commands are ignored, not serialised.
    assert_eq!(
        QueenCtl::kill("w").with_budget(Budget::new().ops(1)),
        QueenCtl::kill("w")
    );
    assert_eq!(<QueenCtl<'_> as ControlLine>::PATH, "/queen/ctl");
}

#[test]
fn queen_ctl_validation_messages() {
    let msg = |c: QueenCtl<'_>| c.validate().unwrap_err().to_string();
    assert_eq!(msg(QueenCtl::spawn_heartbeat(0)), "ticks must be > 0");
    assert_eq!(
        msg(QueenCtl::spawn_heartbeat(1).with_budget(Budget::new().ttl_s(0))),
        "budget_ttl_s must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::spawn_heartbeat(1).with_budget(Budget::new().ops(0))),
        "budget_ops must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::spawn_gpu(GpuLeaseSpec::new("", 1, 1, 1))),
        "gpu_id must not be empty"
    );
    assert_eq!(
        msg(QueenCtl::spawn_gpu(GpuLeaseSpec::new("G", 0, 1, 1))),
        "mem_mb must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::spawn_gpu(GpuLeaseSpec::new("G", 1, 0, 1))),
        "streams must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::spawn_gpu(GpuLeaseSpec::new("G", 1, 1, 0))),
        "ttl_s must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::spawn_gpu(
            GpuLeaseSpec::new("G", 1, 1, 1).priority(0)
        )),
        "priority must be > 0"
    );
    assert_eq!(
        msg(QueenCtl::kill("a\"b")),
        "worker_id must use ASCII token characters [A-Za-z0-9._-]"
    );
    assert_eq!(msg(QueenCtl::bind("queen", "/x")), "paths must be absolute");
    assert_eq!(
        msg(QueenCtl::mount("logs", "/a/../b")),
        "path component '..' is not permitted"
    );
    assert_eq!(
        msg(QueenCtl::mount("", "/logs")),
        "service must not be empty"
    );
}

#[test]
fn queen_ctl_decode_accepts_every_shape_and_nothing_else() {
    let good: [&[u8]; 6] = [
        br#"{"spawn":"heartbeat","ticks":3}"#,
        br#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#,
        br#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1024,"streams":1,"ttl_s":60}}"#,
        br#"{"kill":"worker-2"}"#,
        br#"{"bind":{"from":"/queen","to":"/host/queen"}}"#,
        br#"{"mount":{"service":"logs","at":"/logs"}}"#,
    ];
    for line in good {
        let c = QueenCtl::decode(line).unwrap();
        assert_eq!(enc(&c).as_bytes(), line, "round trip");
    }
    let bad: [(&[u8], ControlError); 11] = [
        (
            br#"{"spawn":"heartbeat","ticks":3,"extra":1}"#,
            ControlError::Json(JsonError::Fields),
        ),
        (
            br#"{"spawn":"heartbeat"}"#,
            ControlError::Missing { field: "ticks" },
        ),
        (
            br#"{"spawn":"gpu"}"#,
            ControlError::Missing { field: "lease" },
        ),
        (
            br#"{"spawn":"rocket","ticks":1}"#,
            ControlError::NotOneOf {
                field: "spawn",
                allowed: "heartbeat|gpu",
            },
        ),
        (
            br#"{"kill":"w","ticks":2}"#,
            ControlError::Unexpected { field: "ticks" },
        ),
        (
            br#"{"kill":"w","bind":{"from":"/a","to":"/b"}}"#,
            ControlError::Unexpected { field: "bind" },
        ),
        (
            br#"{"spawn":"heartbeat","ticks":1,"kill":"w"}"#,
            ControlError::Unexpected { field: "kill" },
        ),
        (
            br#"{"bind":{"from":"/a"}}"#,
            ControlError::Json(JsonError::Fields),
        ),
        (
            br#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl":3}}"#,
            ControlError::Json(JsonError::Fields),
        ),
        (
            br#"{}"#,
            ControlError::Missing {
                field: "spawn, kill, bind or mount",
            },
        ),
        (
            b"heartbeat ticks=3",
            ControlError::Json(JsonError::WrongType),
        ),
    ];
    for (line, e) in bad {
        assert_eq!(
            QueenCtl::decode(line),
            Err(e),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

// ---- gpu-lease/v1 ----------------------------------------------------------------------

const ACTIVE: &[u8] = br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}"#;
const RELEASED: &[u8] = br#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":0,"priority":1}"#;

#[test]
fn gpu_lease_golden_bytes_are_the_mocks() {
    let mut buf = [0u8; 256];
    let n = GpuLease::active("GPU-0", "worker-1")
        .encode(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], ACTIVE);
    let n = GpuLease::released("GPU-0", "worker-1")
        .encode(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], RELEASED);
    let n = GpuLease::active("MIG-0", "w")
        .with(4096, 2, 120, 7)
        .encode(&mut buf)
        .unwrap();
    assert_eq!(
        &buf[..n],
        br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"MIG-0","worker_id":"w","mem_mb":4096,"streams":2,"ttl_s":120,"priority":7}"#
    );
    let id = "i".repeat(32);
    let n = GpuLease::released(&id, &id)
        .with(u32::MAX, u32::MAX, u32::MAX, u32::MAX)
        .encode(&mut buf)
        .unwrap();
    assert_eq!(n, GpuLease::MAX_LEN);
}

#[test]
fn gpu_lease_decode() {
    assert_eq!(
        GpuLease::decode(ACTIVE),
        Ok(GpuLease::active("GPU-0", "worker-1"))
    );
    assert_eq!(
        GpuLease::decode(RELEASED).unwrap().state,
        GpuLeaseState::Released
    );
    // Partial documents default their integers.
    let p = GpuLease::decode(br#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0"}"#)
        .unwrap();
    assert_eq!((p.worker_id, p.mem_mb, p.ttl_s), ("", 0, 0));
    let bad: [(&[u8], ControlError); 5] = [
        (
            br#"{"schema":"gpu-lease/v2","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"w"}"#,
            ControlError::WrongSchema { expected: "gpu-lease/v1" },
        ),
        (
            br#"{"schema":"gpu-lease/v1","state":"PAUSED","gpu_id":"GPU-0","worker_id":"w"}"#,
            ControlError::NotOneOf { field: "state", allowed: "ACTIVE|RELEASED" },
        ),
        (
            br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0"}"#,
            ControlError::ActiveWithoutWorker,
        ),
        (
            br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"w\u002d1"}"#,
            ControlError::Escaped { field: "worker_id" },
        ),
        (
            b"{\"schema\":\"gpu-lease/v1\",\"state\":\"ACTIVE\",\"gpu_id\":\"GPU-0\",\"worker_id\":\"w\x01\"}",
            ControlError::Escaped { field: "worker_id" },
        ),
    ];
    for (line, e) in bad {
        assert_eq!(
            GpuLease::decode(line),
            Err(e),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(
        ControlError::ActiveWithoutWorker.to_string(),
        "worker_id is required for state=ACTIVE"
    );
    let mut file = Vec::new();
    file.extend_from_slice(ACTIVE);
    file.push(b'\n');
    file.extend_from_slice(RELEASED);
    file.extend_from_slice(b"\n  \n");
    assert_eq!(
        GpuLease::decode_last(&file).unwrap().unwrap().state,
        GpuLeaseState::Released
    );
    assert_eq!(GpuLease::decode_last(b" \n"), Ok(None));
    let huge = vec![b' '; 1025];
    assert!(matches!(
        GpuLease::decode(&huge),
        Err(ControlError::LineTooLong { .. })
    ));
}

// ---- gpu-breadcrumb/v1 -----------------------------------------------------------------

#[test]
fn breadcrumb_golden_bytes_and_decode() {
    let mut buf = [0u8; 600];
    let n = Crumb::start("echo ok").encode(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        br#"{"schema":"gpu-breadcrumb/v1","event":"START","command":"echo ok","status":"RUNNING"}"#
    );
    let n = Crumb::exit("echo ok", 0).encode(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        br#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"echo ok","status":"OK","exit_code":0}"#
    );
    let n = Crumb::exit(r#"sh -c "exit 3""#, 3)
        .encode(&mut buf)
        .unwrap();
    let line = &buf[..n];
    assert_eq!(
        line,
        br#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"sh -c \"exit 3\"","status":"FAILED","exit_code":3}"#
    );
    let back = Crumb::decode(line).unwrap();
    assert_eq!(back.event, BreadcrumbEvent::Exit);
    assert_eq!(back.status, BreadcrumbStatus::Failed);
    assert_eq!(back.exit_code, Some(3));
    assert!(matches!(back.command, Text::Escaped(_)));
    assert!(back.command.eq_str(r#"sh -c "exit 3""#));
    assert_eq!(back, Crumb::exit(r#"sh -c "exit 3""#, 3));
    let mut out = [0u8; 32];
    assert_eq!(
        back.command.unescape_into(&mut out),
        Ok(r#"sh -c "exit 3""#)
    );
    // Re-encoding the escaped command writes it as it came.
    let mut again = [0u8; 600];
    let m = back.encode(&mut again).unwrap();
    assert_eq!(&again[..m], line);
    // Worst case overhead is exact.
    let worst = Crumb {
        exit_code: Some(i32::MIN),
        ..Crumb::start("")
    };
    assert_eq!(worst.encode(&mut buf).unwrap(), Crumb::OVERHEAD);
    // Bounds and refusals.
    let long = "c".repeat(257);
    assert_eq!(
        Crumb::start(&long).validate().unwrap_err().to_string(),
        "command exceeds 256 bytes"
    );
    let bad: [(&[u8], ControlError); 4] = [
        (
            br#"{"schema":"gpu-breadcrumb/v1","event":"PAUSE","command":"x","status":"OK"}"#,
            ControlError::NotOneOf {
                field: "event",
                allowed: "START|EXIT",
            },
        ),
        (
            br#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"x","status":"DONE"}"#,
            ControlError::NotOneOf {
                field: "status",
                allowed: "RUNNING|OK|FAILED",
            },
        ),
        (
            br#"{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"\q","status":"OK"}"#,
            ControlError::BadEscape { field: "command" },
        ),
        (
            br#"{"schema":"gpu-breadcrumb/v2","event":"EXIT","command":"x","status":"OK"}"#,
            ControlError::WrongSchema {
                expected: "gpu-breadcrumb/v1",
            },
        ),
    ];
    for (line, e) in bad {
        assert_eq!(
            Crumb::decode(line),
            Err(e),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}
