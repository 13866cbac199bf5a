//! Control payload decoders (`cohesix_core::control`): any bytes either decode or give a
//! typed error; a decoded value re-encodes, the encoding decodes back to the same value and
//! re-encodes to the same bytes (a fixed point). `/proc` lines: parse → render → parse is the
//! identity. Inline chunking reassembles any text. K8s intents built from fuzzed strings
//! either fit the echo bound or fail with a typed error.
#![no_main]

use cohesix_core::control::proc::lines;
use cohesix_core::control::*;
use cohesix_generated::console::MAX_ECHO_LEN;
use libfuzzer_sys::fuzz_target;

/// Checks the decode → encode → decode → encode fixed point for one payload type.
macro_rules! fixed_point {
    ($ty:ty, $input:expr) => {{
        if let Ok(v) = <$ty>::decode($input) {
            let mut a = [0u8; 4096];
            let n = v.encode(&mut a).expect("a decoded value re-encodes");
            let again = <$ty>::decode(&a[..n]).expect("the encoding decodes");
            assert_eq!(again, v, "{}", String::from_utf8_lossy(&a[..n]));
            let mut b = [0u8; 4096];
            let m = again.encode(&mut b).expect("re-encodes");
            assert_eq!(&a[..n], &b[..m], "encoding is a fixed point");
        }
    }};
}

/// `/proc` lines: parse → render → parse is the identity; `encode` equals `Display`.
macro_rules! proc_fixed_point {
    ($ty:ident, $line:expr) => {{
        if let Ok(v) = $ty::parse($line) {
            let text = v.to_string();
            let back = $ty::parse(&text).expect("rendered line parses");
            assert_eq!(back, v);
            let mut buf = [0u8; 512];
            let n = v.encode(&mut buf).expect("renders");
            assert_eq!(&buf[..n], text.as_bytes());
        }
    }};
}

fn k8s(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '|');
    let (Some(id), Some(node), Some(verb)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let Ok(verb) = K8sVerb::parse(verb) else {
        return;
    };
    match K8sRbacIntent::new(id, "subject", "ns", node, verb).ticket() {
        Ok(t) => {
            let mut buf = [0u8; 256];
            let n = t.encode(&mut buf).expect("ticket encodes");
            assert_eq!(n, t.encoded_len());
            assert!(n <= MAX_ECHO_LEN);
            let back = HostTicket::decode(&buf[..n]).expect("ticket decodes");
            assert_eq!(back.ticket_id, id.trim());
            assert_eq!(back.args.get("node"), Some(ArgValue::Str(node.trim())));
        }
        Err(ControlError::K8sTicketTooLong { len, max }) => assert!(len > max),
        Err(_) => {}
    }
}

fn run(raw: &[u8]) {
    let Some((&mode, data)) = raw.split_first() else {
        return;
    };
    match mode % 14 {
        0 => fixed_point!(ScheduleRequest<'_>, data),
        1 => fixed_point!(LeaseRequest<'_>, data),
        2 => fixed_point!(ExportRequest<'_>, data),
        3 => fixed_point!(ApprovalRequest<'_>, data),
        4 => fixed_point!(HostTicket<'_>, data),
        5 => fixed_point!(QueenCtl<'_>, data),
        6 => fixed_point!(GpuLease<'_>, data),
        7 => fixed_point!(GpuBreadcrumb<'_>, data),
        8 => fixed_point!(NewSegment<'_>, data),
        9 => {
            fixed_point!(InlineRecord<'_>, data);
            if let Ok(r) = InlineRecord::decode(data) {
                let mut buf = [0u8; 4096];
                let n = r.encode(&mut buf).expect("re-encodes");
                assert!(buf[..n].is_ascii(), "inline records are pure ASCII");
            }
        }
        10 => fixed_point!(ReferenceRecord, data),
        11 => {
            if let Ok(text) = core::str::from_utf8(data) {
                for line in lines(text) {
                    proc_fixed_point!(ScheduleSummary, line);
                    proc_fixed_point!(ScheduleEntry, line);
                    proc_fixed_point!(LeaseSummary, line);
                    proc_fixed_point!(LeaseEntry, line);
                    proc_fixed_point!(PreemptionEntry, line);
                }
            }
        }
        12 => k8s(data),
        _ => {
            // Inline chunking: every record fits, pieces reassemble to the source.
            let Ok(text) = core::str::from_utf8(data) else {
                return;
            };
            let max = InlineRecord::max_record_len();
            let mut rest = text;
            let mut seq = 1u64;
            let mut joined = String::new();
            while !rest.is_empty() {
                let cut = InlineRecord::fit(seq, "text/plain", rest, max).expect("fits");
                let (chunk, tail) = rest.split_at(cut);
                let mut buf = [0u8; 256];
                let n = InlineRecord::new(seq, "text/plain", chunk)
                    .encode(&mut buf)
                    .expect("chunk encodes");
                assert!(n <= max);
                let back = InlineRecord::decode(&buf[..n]).expect("chunk decodes");
                let mut out = [0u8; 256];
                joined.push_str(back.payload.unescape_into(&mut out).expect("unescapes"));
                rest = tail;
                seq += 1;
            }
            assert_eq!(joined, text);
        }
    }
}

fuzz_target!(|raw: &[u8]| run(raw));
