//! Frame codec: spec §1.1–1.3, §8.1, §8.2.

use cohesix_core::command::{check_auth, parse_command, AuthError, Command, ParseError};
use cohesix_core::frame::{
    encode_frame, encode_frame_raw, FrameDecodeError, FrameDecoder, FrameEncodeError,
};
use cohesix_core::reply::classify_bytes;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).expect("hex"))
        .collect()
}

fn enc(payload: &str) -> Vec<u8> {
    let mut out = [0u8; 300];
    let n = encode_frame(payload.as_bytes(), &mut out).expect("encode");
    out[..n].to_vec()
}

/// Decodes all frames from `bytes`, fed in chunks of `chunk` bytes.
fn decode_all<const N: usize>(bytes: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut dec = FrameDecoder::<N>::new();
    let mut frames = Vec::new();
    for mut piece in bytes.chunks(chunk) {
        while !piece.is_empty() {
            let n = dec.push(piece).expect("valid stream");
            piece = &piece[n..];
            if let Some(f) = dec.frame() {
                frames.push(f.to_vec());
                dec.clear_frame();
            }
        }
    }
    assert!(dec.is_idle(), "stream ended mid-frame");
    frames
}

#[test]
fn spec_8_1_exact_vectors() {
    let vectors: &[(&str, &str)] = &[
        ("AUTH changeme", "11 00 00 00 41 55 54 48 20 63 68 61 6e 67 65 6d 65"),
        ("OK AUTH", "0b 00 00 00 4f 4b 20 41 55 54 48"),
        (
            "ERR AUTH reason=invalid-token",
            "21 00 00 00 45 52 52 20 41 55 54 48 20 72 65 61 73 6f 6e 3d 69 6e 76 61 6c 69 64 2d 74 6f 6b 65 6e",
        ),
        ("ATTACH queen ", "11 00 00 00 41 54 54 41 43 48 20 71 75 65 65 6e 20"),
        ("attach queen", "10 00 00 00 61 74 74 61 63 68 20 71 75 65 65 6e"),
        (
            "OK ATTACH role=queen",
            "18 00 00 00 4f 4b 20 41 54 54 41 43 48 20 72 6f 6c 65 3d 71 75 65 65 6e",
        ),
        ("PING", "08 00 00 00 50 49 4e 47"),
        ("PONG", "08 00 00 00 50 4f 4e 47"),
        (
            "OK PING reply=pong",
            "16 00 00 00 4f 4b 20 50 49 4e 47 20 72 65 70 6c 79 3d 70 6f 6e 67",
        ),
        (
            "TAIL /log/queen.log",
            "17 00 00 00 54 41 49 4c 20 2f 6c 6f 67 2f 71 75 65 65 6e 2e 6c 6f 67",
        ),
        ("END", "07 00 00 00 45 4e 44"),
        ("quit", "08 00 00 00 71 75 69 74"),
        ("OK QUIT", "0b 00 00 00 4f 4b 20 51 55 49 54"),
    ];
    for (line, frame) in vectors {
        let want = hex(frame);
        assert_eq!(enc(line), want, "encode {line:?}");
        for chunk in [1, 2, 3, 5, want.len()] {
            assert_eq!(
                decode_all::<256>(&want, chunk),
                vec![line.as_bytes().to_vec()],
                "decode {line:?} chunk {chunk}"
            );
        }
    }
    // Header-only vectors ("+ ASCII").
    for (line, first) in [
        ("ERR AUTH reason=timeout", 0x1b),
        ("OK TAIL path=/log/queen.log", 0x1f),
        ("ERR FRAME reason=invalid-length", 0x23),
        ("ERR CONSOLE reason=timeout", 0x1e),
        (
            r#"ECHO /queen/ctl {"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#,
            0x49,
        ),
    ] {
        let f = enc(line);
        assert_eq!(&f[..4], &[first, 0, 0, 0], "{line}");
        assert_eq!(&f[4..], line.as_bytes());
    }
}

#[test]
fn empty_frame_is_raw_only() {
    let mut out = [0u8; 8];
    assert_eq!(encode_frame(b"", &mut out), Err(FrameEncodeError::Empty));
    assert_eq!(encode_frame_raw(b"", &mut out), Ok(4));
    assert_eq!(out[..4], [4, 0, 0, 0]);
    let frames = decode_all::<16>(&[4, 0, 0, 0], 1);
    assert_eq!(frames, vec![Vec::<u8>::new()]);
}

#[test]
fn encoder_refuses_bad_payloads() {
    let mut out = [0u8; 600];
    let long = [b'a'; 257];
    assert_eq!(
        encode_frame(&long, &mut out),
        Err(FrameEncodeError::TooLong { len: 257 })
    );
    assert_eq!(encode_frame(&long[..256], &mut out), Ok(260));
    for (payload, index, byte) in [
        (&b"ping\n"[..], 4, b'\n'),
        (b"ping\r", 4, b'\r'),
        (b"ls\t/tmp", 2, b'\t'),
        (b"\0ping", 0, 0),
        (b"tail /\xc3\xa9", 6, 0xc3),
        (b"x\x7f", 1, 0x7f),
    ] {
        assert_eq!(
            encode_frame(payload, &mut out),
            Err(FrameEncodeError::InvalidByte { index, byte }),
            "{payload:?}"
        );
    }
    let mut small = [0u8; 7];
    assert_eq!(
        encode_frame(b"PING", &mut small),
        Err(FrameEncodeError::BufferTooSmall {
            needed: 8,
            available: 7
        })
    );
    // Raw encoder emits anything that fits.
    assert_eq!(encode_frame_raw(b"ping\n", &mut out), Ok(9));
    assert_eq!(out[..9], *b"\x09\0\0\0ping\n");
}

#[test]
fn push_stops_at_frame_end_until_cleared() {
    let mut stream = enc("PING");
    stream.extend(enc("OK PING reply=pong"));
    let mut dec = FrameDecoder::<256>::new();
    assert!(dec.is_idle());
    assert_eq!(dec.push(&stream), Ok(8));
    assert_eq!(dec.frame(), Some(&b"PING"[..]));
    assert!(!dec.is_idle());
    assert_eq!(dec.push(&stream[8..]), Ok(0), "held frame blocks input");
    dec.clear_frame();
    assert!(dec.is_idle());
    assert_eq!(dec.push(&stream[8..]), Ok(22));
    assert_eq!(dec.frame(), Some(&b"OK PING reply=pong"[..]));
    dec.clear_frame();
    // Partial header then partial payload: not idle.
    assert_eq!(dec.push(&stream[..2]), Ok(2));
    assert!(!dec.is_idle());
    assert_eq!(dec.frame(), None);
    assert_eq!(dec.push(&stream[2..6]), Ok(4));
    assert_eq!(dec.frame(), None);
    assert_eq!(dec.push(&stream[6..]), Ok(2));
    assert_eq!(dec.frame(), Some(&b"PING"[..]));
    dec.reset();
    assert!(dec.is_idle());
    assert_eq!(dec.frame(), None);
}

#[test]
fn spec_1_3_total_len_below_4_is_fatal() {
    for len in 0u8..4 {
        let mut dec = FrameDecoder::<256>::new();
        let bytes = [len, 0, 0, 0, b'x'];
        assert_eq!(
            dec.push(&bytes),
            Err(FrameDecodeError::TooShort {
                total_len: u32::from(len)
            })
        );
        // Sticky and not recoverable by skipping.
        assert_eq!(
            dec.push(b"more"),
            Err(FrameDecodeError::TooShort {
                total_len: u32::from(len)
            })
        );
        assert_eq!(dec.skip_payload(), None);
        assert!(dec.error().is_some());
        dec.reset();
        assert!(dec.is_idle());
        assert_eq!(dec.error(), None);
    }
    // Byte-wise header: error surfaces on the 4th byte, with consumed counts.
    let mut dec = FrameDecoder::<256>::new();
    assert_eq!(dec.push_counted(&[3, 0]), (2, Ok(())));
    assert_eq!(
        dec.push_counted(&[0, 0, 9, 9]),
        (2, Err(FrameDecodeError::TooShort { total_len: 3 }))
    );
}

#[test]
fn spec_8_2_too_long_then_server_resync() {
    // 01 20 00 00 = 8193: client fatal; server skips 8189 bytes and resyncs.
    let mut stream = vec![0x01, 0x20, 0x00, 0x00];
    stream.extend(std::iter::repeat_n(0xAAu8, 8189));
    stream.extend(enc("PING"));
    let mut dec = FrameDecoder::<256>::new();
    let (used, res) = dec.push_counted(&stream);
    assert_eq!(used, 4);
    assert_eq!(res, Err(FrameDecodeError::TooLong { total_len: 8193 }));
    assert_eq!(dec.skip_payload(), Some(8189));
    assert!(dec.is_discarding());
    let mut pos = used;
    // Discard in uneven chunks.
    while dec.frame().is_none() {
        let end = (pos + 1000).min(stream.len());
        pos += dec.push(&stream[pos..end]).expect("resynced");
    }
    assert_eq!(pos, stream.len());
    assert_eq!(dec.frame(), Some(&b"PING"[..]));
}

#[test]
fn spec_8_2_oversize_payload_then_resync() {
    // 05 01 00 00 + 257 bytes (261): oversize for a 256-byte decoder, skip 257.
    let mut stream = vec![0x05, 0x01, 0x00, 0x00];
    stream.extend([b'z'; 257]);
    stream.extend(enc("quit"));
    let mut dec = FrameDecoder::<256>::new();
    let (used, res) = dec.push_counted(&stream);
    assert_eq!(
        (used, res),
        (4, Err(FrameDecodeError::Oversize { payload_len: 257 }))
    );
    assert_eq!(dec.skip_payload(), Some(257));
    let n = dec.push(&stream[4..]).expect("discard");
    assert_eq!(n, 257);
    assert!(dec.is_idle());
    assert_eq!(dec.push(&stream[4 + 257..]), Ok(8));
    assert_eq!(dec.frame(), Some(&b"quit"[..]));

    // A bigger decoder accepts the same frame.
    let frames = decode_all::<8188>(&stream, 7);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], vec![b'z'; 257]);
}

#[test]
fn spec_8_2_260_accepted_and_max_frame_len_bounds() {
    let mut stream = vec![0x04, 0x01, 0x00, 0x00];
    stream.extend([b'a'; 256]);
    assert_eq!(decode_all::<256>(&stream, 13), vec![vec![b'a'; 256]]);

    // 8192 is legal framing, 8193 is not.
    let mut ok = 8192u32.to_le_bytes().to_vec();
    ok.extend(vec![b'q'; 8188]);
    assert_eq!(decode_all::<8188>(&ok, 1460)[0].len(), 8188);
    let mut dec = FrameDecoder::<8188>::new();
    assert_eq!(
        dec.push(&8193u32.to_le_bytes()),
        Err(FrameDecodeError::TooLong { total_len: 8193 })
    );
    let mut dec = FrameDecoder::<8188>::new();
    assert_eq!(
        dec.push(&u32::MAX.to_le_bytes()),
        Err(FrameDecodeError::TooLong {
            total_len: u32::MAX
        })
    );
}

#[test]
fn spec_8_2_payload_level_rows() {
    // Invalid UTF-8 passes framing; the line layer refuses it.
    let frames = decode_all::<256>(&hex("06 00 00 00 FF FE"), 1);
    assert_eq!(frames, vec![vec![0xFF, 0xFE]]);
    assert!(classify_bytes(&frames[0]).is_none());

    // Pre-auth AUTH checks (token changeme).
    assert_eq!(check_auth(b"AUTH changeme", "changeme"), Ok(()));
    assert_eq!(
        check_auth(b"AUTH wrongtok", "changeme"),
        Err(AuthError::InvalidToken)
    );
    assert_eq!(
        check_auth(b"AUTH changeme\n", "changeme"),
        Err(AuthError::InvalidLength)
    );
    assert_eq!(
        check_auth(b"auth changeme", "changeme"),
        Err(AuthError::ExpectedToken)
    );
    assert_eq!(check_auth(b"", "changeme"), Err(AuthError::InvalidLength));
    assert_eq!(
        check_auth(b"AUTH         ", "changeme"),
        Err(AuthError::ExpectedToken)
    );
    assert_eq!(
        check_auth(b"AUTH queen changeme", "changeme"),
        Err(AuthError::InvalidLength)
    );
    assert_eq!(AuthError::InvalidLength.reason(), "invalid-length");
    assert_eq!(AuthError::ExpectedToken.reason(), "expected-token");
    assert_eq!(AuthError::InvalidToken.reason(), "invalid-token");

    // Post-auth payload rows.
    let mut buf = [0u8; 512];
    assert_eq!(parse_command(b"", &mut buf), Err(ParseError::EmptyLine));
    assert_eq!(
        parse_command(b"ping\n", &mut buf),
        Err(ParseError::EmptyLine)
    );
    assert_eq!(parse_command(b"ping\r", &mut buf), Ok(Command::Ping));
}

#[test]
fn errors_display_and_group() {
    use cohesix_core::error::{Error, PeerError, ResourceError};
    let e: Error = FrameDecodeError::TooLong { total_len: 9000 }.into();
    assert_eq!(
        e,
        Error::Peer(PeerError::Frame(FrameDecodeError::TooLong {
            total_len: 9000
        }))
    );
    assert!(e.to_string().contains("9000"));
    let e: Error = FrameEncodeError::BufferTooSmall {
        needed: 8,
        available: 2,
    }
    .into();
    assert_eq!(
        e,
        Error::Resource(ResourceError::BufferTooSmall {
            needed: 8,
            available: 2
        })
    );
}

#[test]
fn zero_copy_decode_borrows_input_and_buffers_splits() {
    let mut stream = enc("PING");
    stream.extend(enc("OK PING reply=pong"));
    let mut dec = FrameDecoder::<256>::new();
    // Whole frame in input: borrowed from the input itself.
    let (used, frame) = dec.decode(&stream).unwrap();
    assert_eq!(used, 8);
    let frame = frame.unwrap();
    assert_eq!(frame, b"PING");
    assert!(std::ptr::eq(frame.as_ptr(), stream[4..].as_ptr()));
    assert!(dec.is_idle(), "frame already released");
    // Split frame: buffered, then returned from the decoder.
    let rest = &stream[8..];
    assert_eq!(dec.decode(&rest[..3]).unwrap(), (3, None));
    assert_eq!(dec.decode(&rest[3..10]).unwrap(), (7, None));
    let (used, frame) = dec.decode(&rest[10..]).unwrap();
    assert_eq!(used, rest.len() - 10);
    assert_eq!(frame, Some(&b"OK PING reply=pong"[..]));
    assert!(dec.is_idle());
    // Errors are the same as push.
    assert_eq!(
        dec.decode(&[2, 0, 0, 0]),
        Err(FrameDecodeError::TooShort { total_len: 2 })
    );
    assert_eq!(
        dec.decode(b"PING"),
        Err(FrameDecodeError::TooShort { total_len: 2 }),
        "sticky"
    );
    // Empty frame.
    dec.reset();
    assert_eq!(dec.decode(&[4, 0, 0, 0]).unwrap(), (4, Some(&b""[..])));
}
