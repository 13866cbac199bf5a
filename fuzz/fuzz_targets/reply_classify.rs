//! Reply classifier and detail parser.
//!
//! Invariants: the raw line is never lost (text keeps it byte for byte, an ACK keeps it in
//! `raw`); a rendered ACK classifies back to the same status/label/detail; the `key=value`
//! fields of a detail re-render (`k=v` joined by single spaces) to a text that parses to the
//! same fields, both with and without the `ERR PARSE` rest-of-line rule.
#![no_main]

use cohesix_core::reply::{classify, classify_bytes, fields, Ack, Line, Status};
use cohesix_core::request::ALL_VERBS;
use libfuzzer_sys::fuzz_target;

fn render_fields(list: &[(&str, &str)]) -> String {
    let parts: Vec<String> = list.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(" ")
}

fn check_accessors(a: &Ack<'_>) {
    let _ = (
        a.is_ok(),
        a.reason(),
        a.detail(),
        a.cause(),
        a.reason_class(),
        a.delay_ms(),
        a.path(),
        a.error_text(),
        a.data(),
        a.entries(),
        a.bytes(),
        a.is_terminal_error(),
    );
    for v in ALL_VERBS {
        let _ = a.is_for(v);
    }
    let _ = format!("{a} {a:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = core::str::from_utf8(data) else {
        assert!(
            classify_bytes(data).is_none(),
            "non-UTF-8 must not classify"
        );
        return;
    };
    let classified = classify(line);
    assert_eq!(classify_bytes(data), Some(classified));
    match classified {
        Line::End => assert_eq!(line.trim(), "END"),
        Line::Text(t) => {
            assert_eq!(t, line, "text line must be kept verbatim");
            let t = line.trim();
            assert!(
                !(t.starts_with("OK ") || t.starts_with("ERR ")),
                "an OK/ERR line with a space classified as text: {line:?}"
            );
        }
        Line::Ack(a) => {
            assert_eq!(a.raw, line, "raw line lost");
            assert!(matches!(a.status, Status::Ok | Status::Err));
            assert!(!a.label.contains(' '));
            if let Some(d) = a.detail {
                assert!(!d.is_empty() && d == d.trim());
                assert!(line.contains(d));
            }
            check_accessors(&a);
            // Render and classify again: identical parts.
            let rendered = a.to_string();
            match classify(&rendered) {
                Line::Ack(b) => {
                    assert_eq!((a.status, a.label, a.detail), (b.status, b.label, b.detail));
                    assert_eq!(b.to_string(), rendered, "rendering is not a fixed point");
                }
                other => panic!("rendered ack {rendered:?} classified as {other:?}"),
            }
            // Detail fields re-render to the same fields.
            if let Some(d) = a.detail {
                let plain: Vec<(&str, &str)> = fields(d).collect();
                let again = render_fields(&plain);
                let plain2: Vec<(&str, &str)> = fields(&again).collect();
                assert_eq!(plain, plain2, "fields({d:?}) re-rendered as {again:?}");

                let aware: Vec<(&str, &str)> = a.fields().collect();
                let line2 = format!(
                    "{} {} {}",
                    a.status.as_str(),
                    a.label,
                    render_fields(&aware)
                );
                if let Line::Ack(b) = classify(&line2) {
                    let aware2: Vec<(&str, &str)> = b.fields().collect();
                    assert_eq!(
                        aware, aware2,
                        "ack fields of {line:?} re-rendered as {line2:?}"
                    );
                }
                for (k, v) in &aware {
                    assert!(!k.is_empty());
                    assert_eq!(*v, v.trim_end());
                }
            }
        }
    }
});
