//! WIRE module probe: frame encoder and decoder, reply classifier and detail fields, request
//! builders, path validation and the server-side console parser, without the session.
#![no_std]
#![no_main]

use core::hint::black_box;

use cohesix_core::command::{check_auth, parse_command};
use cohesix_core::frame::{encode_frame, FrameDecoder};
use cohesix_core::reply::{classify, Line};
use cohesix_core::request::Request;

#[path = "../panic_probe.rs"]
mod panic_probe;

static mut RX: [u8; 260] = [0; 260];
static mut TX: [u8; 260] = [0; 260];
static mut DEC: FrameDecoder<256> = FrameDecoder::new();
static mut LINE: [u8; 256] = [0; 256];

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: single-threaded probe entry, no interrupts; each static is borrowed once here.
    let (rx, tx, dec, line) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(RX),
            &mut *core::ptr::addr_of_mut!(TX),
            &mut *core::ptr::addr_of_mut!(DEC),
            &mut *core::ptr::addr_of_mut!(LINE),
        )
    };
    loop {
        // Client send path.
        let path = black_box("/log/queen.log");
        if let Ok(req) = Request::echo(path, black_box("hello")) {
            if let Ok(n) = req.write_line(line) {
                black_box(encode_frame(line.get(..n).unwrap_or(&[]), tx).ok());
            }
        }
        // Client receive path.
        let len = black_box(rx.len());
        let mut input = rx.get(..len).unwrap_or(&[]);
        while !input.is_empty() {
            let used = match dec.push(input) {
                Ok(n) => n,
                Err(_) => {
                    let _ = dec.skip_payload();
                    dec.reset();
                    input.len()
                }
            };
            input = input.get(used..).unwrap_or(&[]);
            if let Some(payload) = dec.frame() {
                if let Ok(text) = core::str::from_utf8(payload) {
                    if let Line::Ack(a) = classify(text) {
                        black_box((a.cause(), a.delay_ms(), a.data(), a.path()));
                    }
                }
                // Server side of the same bytes.
                let mut buf = [0u8; 256];
                black_box(parse_command(payload, &mut buf).ok());
                black_box(check_auth(payload, "changeme").ok());
                dec.clear_frame();
            }
        }
        // Zero-copy receive path.
        let mut input = rx.get(..len).unwrap_or(&[]);
        while let Ok((used, frame)) = dec.decode(input) {
            if let Some(payload) = frame {
                black_box(payload);
            }
            if used == 0 {
                break;
            }
            input = input.get(used..).unwrap_or(&[]);
        }
    }
}
