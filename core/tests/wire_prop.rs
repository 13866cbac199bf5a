//! Property tests: frame round trip under random chunking, decoder robustness on arbitrary
//! bytes, request -> line -> server parser round trip, reply parsing never panics.

use cohesix_core::command::parse_command;
use cohesix_core::frame::{encode_frame, FrameDecodeError, FrameDecoder};
use cohesix_core::reply::{classify, Line};
use cohesix_core::request::Request;
use cohesix_core::role::ALL_ROLES;
use proptest::prelude::*;

fn printable(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0x20u8..=0x7E, 1..=max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_round_trip_under_random_chunking(
        payloads in proptest::collection::vec(printable(256), 1..20),
        cuts in proptest::collection::vec(1usize..600, 1..64),
    ) {
        let mut stream = Vec::new();
        for p in &payloads {
            let mut out = [0u8; 260];
            let n = encode_frame(p, &mut out).unwrap();
            prop_assert_eq!(n, p.len() + 4);
            stream.extend_from_slice(&out[..n]);
        }
        let mut dec = FrameDecoder::<256>::new();
        let mut got = Vec::new();
        let mut pos = 0usize;
        let mut ci = 0usize;
        while pos < stream.len() {
            let len = cuts[ci % cuts.len()];
            ci += 1;
            let end = (pos + len).min(stream.len());
            let mut chunk = &stream[pos..end];
            while !chunk.is_empty() {
                let n = dec.push(chunk).unwrap();
                prop_assert!(n <= chunk.len());
                chunk = &chunk[n..];
                if let Some(f) = dec.frame() {
                    got.push(f.to_vec());
                    dec.clear_frame();
                }
            }
            pos = end;
        }
        prop_assert!(dec.is_idle());
        prop_assert_eq!(&got, &payloads);

        // Same stream through the zero-copy API.
        let mut dec = FrameDecoder::<256>::new();
        let mut got = Vec::new();
        let mut pos = 0usize;
        let mut ci = 0usize;
        while pos < stream.len() {
            let end = (pos + cuts[ci % cuts.len()]).min(stream.len());
            ci += 1;
            let mut chunk = &stream[pos..end];
            while !chunk.is_empty() {
                let (n, frame) = dec.decode(chunk).unwrap();
                prop_assert!(n > 0 && n <= chunk.len());
                if let Some(f) = frame {
                    got.push(f.to_vec());
                }
                chunk = &chunk[n..];
            }
            pos = end;
        }
        prop_assert!(dec.is_idle());
        prop_assert_eq!(got, payloads);
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        cuts in proptest::collection::vec(0usize..300, 1..16),
        skip in any::<bool>(),
    ) {
        let mut dec = FrameDecoder::<64>::new();
        let mut pos = 0usize;
        let mut ci = 0usize;
        let mut stalls = 0;
        while pos < bytes.len() && stalls < 4 {
            let end = (pos + cuts[ci % cuts.len()]).min(bytes.len());
            ci += 1;
            let (n, res) = dec.push_counted(&bytes[pos..end]);
            prop_assert!(n <= end - pos);
            pos += n;
            match res {
                Ok(()) => {
                    if let Some(f) = dec.frame() {
                        prop_assert!(f.len() <= 64);
                        dec.clear_frame();
                    }
                }
                Err(e) => {
                    prop_assert_eq!(dec.error(), Some(e));
                    if !(skip && dec.skip_payload().is_some()) {
                        match e {
                            FrameDecodeError::TooShort { total_len } => prop_assert!(total_len < 4),
                            FrameDecodeError::TooLong { total_len } => prop_assert!(total_len > 8192),
                            FrameDecodeError::Oversize { payload_len } => {
                                prop_assert!(payload_len > 64 && payload_len <= 8188)
                            }
                            other => prop_assert!(false, "unexpected error {:?}", other),
                        }
                        dec.reset();
                    }
                }
            }
            // Empty chunks (cut 0) consume nothing: stop after a few in a row.
            if n == 0 {
                stalls += 1;
            } else {
                stalls = 0;
            }
        }
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut buf = [0u8; 512];
        let _ = parse_command(&bytes, &mut buf);
        let mut small = [0u8; 7];
        let _ = parse_command(&bytes, &mut small);
    }

    #[test]
    fn classify_never_panics_and_fields_terminate(s in "\\PC{0,200}") {
        if let Line::Ack(a) = classify(&s) {
            prop_assert!(a.fields().count() <= s.len());
            let _ = a.delay_ms();
            let _ = a.cause();
        }
    }

    #[test]
    fn built_requests_parse_back(
        comps in proptest::collection::vec("[a-zA-Z0-9_.-]{1,10}", 0..8),
        payload in "[ -~]{1,128}",
        spawn in "[ -~]{1,192}",
        worker in "[!-~]{1,32}",
        ticket in proptest::option::of("[!-~]{1,224}"),
        role_ix in 0usize..5,
        count in proptest::option::of(any::<u16>()),
    ) {
        let comps: Vec<String> = comps
            .into_iter()
            .filter(|c| c != "." && c != "..")
            .collect();
        let path = if comps.is_empty() { "/".to_string() } else { format!("/{}", comps.join("/")) };
        let payload = payload.trim();
        let spawn = spawn.trim();
        let mut reqs = vec![
            Request::tail(&path).unwrap(),
            Request::cat(&path).unwrap(),
            Request::ls(&path).unwrap(),
            Request::kill(&worker).unwrap(),
            Request::attach(ALL_ROLES[role_ix], ticket.as_deref()).unwrap(),
            Request::cachelog(count),
        ];
        if !payload.is_empty() {
            reqs.push(Request::echo(&path, payload).unwrap());
        }
        if !spawn.is_empty() {
            reqs.push(Request::spawn(spawn).unwrap());
        }
        for r in reqs {
            let mut out = [0u8; 256];
            let n = r.write_line(&mut out).unwrap();
            let mut buf = [0u8; 512];
            let parsed = parse_command(&out[..n], &mut buf);
            prop_assert_eq!(parsed, Ok(r.to_command().unwrap()));
        }
    }
}
