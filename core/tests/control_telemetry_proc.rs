//! Telemetry push records (host-surface §7.3) and `/proc` lines (§3).

use cohesix_core::control::proc::{self, nodes};
use cohesix_core::control::{
    ControlError, InlineRecord, LeaseEntry, LeaseSummary, NewSegment, PreemptionEntry, ProcLine,
    ReferenceRecord, ScheduleEntry, ScheduleSummary, Sha256Digest, Text,
};
use cohesix_generated::console::MAX_ECHO_LEN;

fn s(buf: &[u8]) -> &str {
    std::str::from_utf8(buf).unwrap()
}

#[test]
fn segment_ctl_line() {
    let mut buf = [0u8; 128];
    let n = NewSegment::new("text/plain").encode(&mut buf).unwrap();
    assert_eq!(s(&buf[..n]), r#"{"new":"segment","mime":"text/plain"}"#);
    assert_eq!(
        NewSegment::decode(&buf[..n]),
        Ok(NewSegment::new("text/plain"))
    );
    assert_eq!(
        NewSegment::decode(br#"{"new":"stream","mime":"text/plain"}"#),
        Err(ControlError::NotOneOf {
            field: "new",
            allowed: "segment"
        })
    );
    assert_eq!(
        NewSegment::new(" ").validate().unwrap_err().to_string(),
        "mime must not be empty"
    );
    assert_eq!(
        NewSegment::new("a\"b").validate().unwrap_err().to_string(),
        "mime must be printable ASCII without quotes or backslashes"
    );
    assert_eq!(
        NewSegment::new(&"m".repeat(65))
            .validate()
            .unwrap_err()
            .to_string(),
        "mime exceeds 64 bytes"
    );
}

#[test]
fn inline_record_bytes_match_python_json_dumps() {
    let mut buf = [0u8; 256];
    let n = InlineRecord::new(1, "text/plain", "hé \"q\"\n😀\u{7f}")
        .encode(&mut buf)
        .unwrap();
    // json.dumps({...}, separators=(",", ":")) with the default ensure_ascii=True.
    assert_eq!(
        s(&buf[..n]),
        r#"{"schema":"cohsh-telemetry-push/v1","seq":1,"mime":"text/plain","payload":"h\u00e9 \"q\"\n\ud83d\ude00\u007f"}"#
    );
    // The envelope for application/x-ndjson is 87 bytes (88 with the newline, §7.3).
    let n = InlineRecord::new(1, "application/x-ndjson", "")
        .encode(&mut buf)
        .unwrap();
    assert_eq!(n, 87);
    // Decode: the payload comes back escaped and decodes to the source.
    let n = InlineRecord::new(7, "text/plain", "a\"b\nc")
        .encode(&mut buf)
        .unwrap();
    let r = InlineRecord::decode(&buf[..n]).unwrap();
    assert_eq!(r.seq, 7);
    assert!(r.payload.eq_str("a\"b\nc"));
    assert_eq!(r, InlineRecord::new(7, "text/plain", "a\"b\nc"));
    // Re-encoding an escaped payload gives the same bytes.
    let mut again = [0u8; 256];
    let m = r.encode(&mut again).unwrap();
    assert_eq!(&again[..m], &buf[..n]);
    assert_eq!(r.encoded_len(), Ok(n));
    assert_eq!(
        InlineRecord::new(0, "text/plain", "x")
            .validate()
            .unwrap_err()
            .to_string(),
        "seq must be > 0"
    );
    assert_eq!(
        InlineRecord::decode(
            br#"{"schema":"cohsh-telemetry-push/v1","seq":1,"mime":"t","payload":"\x"}"#
        ),
        Err(ControlError::BadEscape { field: "payload" })
    );
    let mut small = [0u8; 86];
    assert!(matches!(
        InlineRecord::new(1, "text/plain", "0123456789").encode(&mut small),
        Err(ControlError::BufferTooSmall { .. })
    ));
}

#[test]
fn fit_splits_text_into_echo_sized_records_that_reassemble() {
    let text = "line one\nline \"two\" é😀\n".repeat(10);
    let max = InlineRecord::max_record_len();
    assert_eq!(max, MAX_ECHO_LEN);
    let mut rest = text.as_str();
    let mut seq = 1;
    let mut joined = String::new();
    while !rest.is_empty() {
        let cut = InlineRecord::fit(seq, "text/plain", rest, max).unwrap();
        assert!(cut > 0);
        let (chunk, tail) = rest.split_at(cut);
        let mut buf = [0u8; 256];
        let n = InlineRecord::new(seq, "text/plain", chunk)
            .encode(&mut buf)
            .unwrap();
        assert!(n <= max, "record {seq} is {n} bytes");
        assert!(buf[..n].is_ascii());
        // Greedy: one more character would not fit.
        if let Some(c) = tail.chars().next() {
            let longer = &rest[..cut + c.len_utf8()];
            let mut other = [0u8; 256];
            let n2 = InlineRecord::new(seq, "text/plain", longer)
                .encode(&mut other)
                .unwrap();
            assert!(n2 > max);
        }
        let back = InlineRecord::decode(&buf[..n]).unwrap();
        let mut out = [0u8; 128];
        joined.push_str(back.payload.unescape_into(&mut out).unwrap());
        rest = tail;
        seq += 1;
    }
    assert_eq!(joined, text);
    assert_eq!(InlineRecord::fit(1, "text/plain", "", max), Ok(0));
    assert!(matches!(
        InlineRecord::fit(1, "text/plain", "x", 60),
        Err(ControlError::LineTooLong {
            what: "telemetry record",
            ..
        })
    ));
}

#[test]
fn reference_record_golden_bytes() {
    // SHA-256("abc") in base64url without padding (Python base64.urlsafe_b64encode).
    let digest = [
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
        0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
        0x15, 0xad,
    ];
    let r = ReferenceRecord {
        seq: 1,
        off: 0,
        len: 3,
        sha256: Sha256Digest(digest),
    };
    let mut buf = [0u8; 256];
    let n = r.encode(&mut buf).unwrap();
    assert_eq!(
        s(&buf[..n]),
        r#"{"schema":"coh-ref-c/v1","seq":1,"off":0,"len":3,"sha256":"ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"}"#
    );
    assert_eq!(ReferenceRecord::decode(&buf[..n]), Ok(r));
    let max = ReferenceRecord {
        seq: u64::MAX,
        off: u64::MAX,
        len: 16 << 20,
        sha256: Sha256Digest([0xff; 32]),
    };
    assert_eq!(max.encode(&mut buf).unwrap(), ReferenceRecord::MAX_LEN);
    assert_eq!(
        ReferenceRecord { len: 0, ..r }
            .validate()
            .unwrap_err()
            .to_string(),
        "len must be > 0"
    );
    assert_eq!(
        ReferenceRecord {
            len: (16 << 20) + 1,
            ..r
        }
        .validate()
        .unwrap_err()
        .to_string(),
        "len exceeds 16777216 bytes"
    );
    for bad in [
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa",
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1",
    ] {
        assert!(Sha256Digest::from_base64url(bad).is_err(), "{bad}");
    }
    for seed in 0..=255u8 {
        let d = Sha256Digest([seed; 32].map(|b| b.wrapping_mul(37).wrapping_add(seed)));
        let t = d.to_base64url();
        assert_eq!(Sha256Digest::from_base64url(s(&t)), Ok(d));
    }
}

#[test]
fn text_equality_is_by_decoded_characters() {
    assert_eq!(Text::Plain("a\"b"), Text::Escaped(r#"a\"b"#));
    assert_ne!(Text::Plain("ab"), Text::Escaped("abc"));
    assert_ne!(
        Text::Escaped(r"\x"),
        Text::Escaped(r"\x"),
        "invalid text equals nothing"
    );
    assert_eq!(Text::Escaped(r"\u00e9").len(), Ok(2));
    assert_eq!(Text::Escaped("plain").as_plain(), Some("plain"));
    assert_eq!(Text::Escaped(r"a\n").as_plain(), None);
    assert!(Text::escaped(r"\ud83d", "payload").is_err());
}

// ---- /proc -----------------------------------------------------------------------------

fn render<'a, T: ProcLine<'a>>(v: &T) -> String {
    let mut buf = [0u8; 256];
    let n = v.encode(&mut buf).unwrap();
    assert_eq!(s(&buf[..n]), v.to_string());
    v.to_string()
}

#[test]
fn proc_lines_parse_and_render_exactly() {
    let line = "queue=1 dequeued=0 dropped=0 max_entries=256";
    let sum = ScheduleSummary::parse(line).unwrap();
    assert_eq!(
        sum,
        ScheduleSummary {
            queue: 1,
            dequeued: 0,
            dropped: 0,
            max_entries: 256
        }
    );
    assert_eq!(render(&sum), line);

    let line = "id=job-1 role=worker-gpu priority=5 ticks=10 budget_ms=200 seq=1";
    let e = ScheduleEntry::parse(line).unwrap();
    assert_eq!(
        (e.id, e.role, e.priority, e.ticks, e.budget_ms, e.seq),
        ("job-1", "worker-gpu", 5, 10, 200, 1)
    );
    assert_eq!(render(&e), line);

    let line = "active=0 preemptions=1 quotas=1 max_active=256 max_preemptions=256";
    let l = LeaseSummary::parse(line).unwrap();
    assert_eq!(l.preemptions, 1);
    assert_eq!(render(&l), line);

    let line = "id=lease-1 subject=queen resource=gpu0 ttl_s=600 priority=300 state=ACTIVE seq=2";
    let a = LeaseEntry::parse(line).unwrap();
    assert_eq!(
        (a.ttl_s, a.priority, a.state, a.seq),
        (600, 300, "ACTIVE", 2)
    );
    assert_eq!(render(&a), line);

    let line = "id=lease-1 subject=queen resource=gpu0 reason=maintenance seq=4";
    let p = PreemptionEntry::parse(line).unwrap();
    assert_eq!(p.reason, "maintenance");
    assert_eq!(render(&p), line);

    // u64 counters, u32 bounds.
    let big = format!(
        "queue={} dequeued=0 dropped=0 max_entries={}",
        u64::MAX,
        u32::MAX
    );
    assert_eq!(ScheduleSummary::parse(&big).unwrap().queue, u64::MAX);
    // Order-insensitive, unknown keys ignored, extra whitespace fine.
    assert_eq!(
        ScheduleSummary::parse("  max_entries=1\tqueue=2 dropped=3 dequeued=4 future=x ").unwrap(),
        ScheduleSummary {
            queue: 2,
            dequeued: 4,
            dropped: 3,
            max_entries: 1
        }
    );
}

#[test]
fn proc_lines_refuse_with_typed_errors() {
    let cases: [(&str, ControlError, &str); 7] = [
        (
            "queue=1 dequeued=0 dropped=0",
            ControlError::ProcMissing { key: "max_entries" },
            "/proc line lacks max_entries=",
        ),
        (
            "queue=1 queue=2 dequeued=0 dropped=0 max_entries=1",
            ControlError::ProcDuplicate { key: "queue" },
            "/proc line repeats queue=",
        ),
        (
            "queue=-1 dequeued=0 dropped=0 max_entries=1",
            ControlError::ProcValue { key: "queue" },
            "/proc value of queue= is invalid",
        ),
        (
            "queue=+1 dequeued=0 dropped=0 max_entries=1",
            ControlError::ProcValue { key: "queue" },
            "/proc value of queue= is invalid",
        ),
        (
            "queue=1 dequeued=0 dropped=0 max_entries=4294967296",
            ControlError::ProcValue { key: "max_entries" },
            "/proc value of max_entries= is invalid",
        ),
        (
            "queue=1 dequeued dropped=0 max_entries=1",
            ControlError::ProcField,
            "/proc line has a field without '='",
        ),
        (
            "queue= dequeued=0 dropped=0 max_entries=1",
            ControlError::ProcValue { key: "queue" },
            "/proc value of queue= is invalid",
        ),
    ];
    for (line, e, msg) in cases {
        assert_eq!(ScheduleSummary::parse(line), Err(e), "{line}");
        assert_eq!(e.to_string(), msg);
    }
    assert_eq!(
        LeaseEntry::parse("id=l subject=s resource=r ttl_s=1 priority=1 seq=1"),
        Err(ControlError::ProcMissing { key: "state" })
    );
}

#[test]
fn proc_node_text_splits_like_the_snapshot() {
    let text = "id=a role=r priority=1 ticks=1 budget_ms=1 seq=1\n\n  id=b role=r priority=2 ticks=1 budget_ms=1 seq=2  \n";
    let entries: Vec<_> = proc::lines(text)
        .map(|l| ScheduleEntry::parse(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].id, "b");
    assert_eq!(proc::lines("\n \n").count(), 0);
    assert_eq!(nodes::SCHEDULE_SUMMARY, ("/proc/schedule/summary", 128));
    assert_eq!(nodes::LEASE_SUMMARY.1, 160);
    let mut small = [0u8; 10];
    assert!(matches!(
        ScheduleSummary::default().encode(&mut small),
        Err(ControlError::BufferTooSmall { available: 10 })
    ));
}
