//! [`AckDroppingProxy`]: a blocking loopback TCP proxy that forwards frames both ways and,
//! after forwarding the first client frame containing a trigger, forwards no more replies and
//! drops that connection: the request reached the queen, its acknowledgement never reaches
//! the client (the "outcome unknown" case of every write path).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Reads one whole frame (length prefix included) from a blocking reader; `None` at EOF or
/// on an error.
pub fn read_frame(r: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).ok()?;
    let mut frame = len.to_vec();
    frame.resize((u32::from_le_bytes(len) as usize).max(4), 0);
    r.read_exact(&mut frame[4..]).ok()?;
    Some(frame)
}

/// See the module docs. A new connection is forwarded only once the queen has seen the
/// previous one close (its single console slot would still be taken). The threads end when
/// the listener or the queen goes away.
#[derive(Debug)]
pub struct AckDroppingProxy {
    port: u16,
}

impl AckDroppingProxy {
    /// Listens on an ephemeral loopback port and forwards to `to`.
    #[must_use]
    pub fn start(to: SocketAddr, trigger: &'static str) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let fired = Arc::new(AtomicBool::new(false));
            let mut previous: Option<JoinHandle<()>> = None;
            for c in l.incoming() {
                if let Some(p) = previous.take() {
                    let _ = p.join();
                    std::thread::sleep(Duration::from_millis(100));
                }
                let (Ok(client), Ok(server)) = (c, TcpStream::connect(to)) else {
                    break;
                };
                let cut = Arc::new(AtomicBool::new(false));
                previous = Some(replies(&client, &server, Arc::clone(&cut)));
                requests(client, server, trigger, Arc::clone(&fired), cut);
            }
        });
        Self { port }
    }

    /// The proxy's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Queen → client, until `cut`.
fn replies(client: &TcpStream, server: &TcpStream, cut: Arc<AtomicBool>) -> JoinHandle<()> {
    let (mut c, mut s) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        while let Some(f) = read_frame(&mut s) {
            if cut.load(Ordering::SeqCst) || c.write_all(&f).is_err() {
                break;
            }
        }
        let _ = c.shutdown(Shutdown::Both);
        let _ = s.shutdown(Shutdown::Both);
    })
}

/// Client → queen; after the first frame containing `trigger` (across connections), cuts the
/// replies and drops the connection.
fn requests(
    mut c: TcpStream,
    mut s: TcpStream,
    trigger: &'static str,
    fired: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
) {
    std::thread::spawn(move || {
        while let Some(f) = read_frame(&mut c) {
            let hit =
                !fired.load(Ordering::SeqCst) && String::from_utf8_lossy(&f).contains(trigger);
            if hit {
                fired.store(true, Ordering::SeqCst);
                cut.store(true, Ordering::SeqCst);
            }
            if s.write_all(&f).is_err() {
                break;
            }
            if hit {
                std::thread::sleep(Duration::from_millis(100));
                let _ = c.shutdown(Shutdown::Both);
                let _ = s.shutdown(Shutdown::Both);
                break;
            }
        }
    });
}
