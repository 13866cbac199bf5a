//! An in-memory queen with a GPU namespace (`/gpu/GPU-0/{lease,status}`) and a reconnectable
//! [`Link`] to it. Built from the core's frame codec and ticket verifier, so the agent's
//! ticket, framing and replies are checked for real.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::rc::Rc;
use std::task::Poll;

use cohesix_core::frame::{encode_frame, FrameDecoder};
use cohesix_core::role::Role;
use cohesix_core::ticket::{self, TicketKey, MAX_PAYLOAD_LEN};
use cohesix_generated::console::MAX_LINE_LEN;
use cohesix_jetson::agent::{Link, LinkError};

pub const TOKEN: &str = "changeme";
pub const GPU: &str = "GPU-0";
pub const ACTIVE: &str = r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}"#;
pub const RELEASED: &str = r#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":0,"priority":1}"#;

/// The queen model.
pub struct GpuQueen {
    /// Accepting connections.
    pub up: bool,
    /// Connection generation; a link from an older one sees EOF.
    pub epoch: u64,
    /// Lines of `/gpu/GPU-0/lease`.
    pub lease: Vec<String>,
    /// Lines appended to `/gpu/GPU-0/status`.
    pub status: Vec<String>,
    /// Drop the connection instead of acknowledging the next N status ECHOs.
    pub crash_on_echo: u32,
    /// Refuse status ECHOs with `ERR ECHO`.
    pub refuse_echo: bool,
    /// Refuse worker ECHOs like the real queen (`ERR ECHO reason=policy detail=denied`).
    pub deny_worker_echo: bool,
    /// QUITs received.
    pub quits: u32,
    quit_pending: bool,
    /// Subjects of accepted tickets.
    pub subjects: Vec<String>,
    /// Refused attaches.
    pub denied: u32,
    decoder: FrameDecoder<MAX_LINE_LEN>,
    out: VecDeque<u8>,
    authed: bool,
    role: Option<Role>,
}

impl GpuQueen {
    pub fn new() -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Self {
            up: true,
            epoch: 0,
            lease: Vec::new(),
            status: Vec::new(),
            crash_on_echo: 0,
            refuse_echo: false,
            deny_worker_echo: false,
            quits: 0,
            quit_pending: false,
            subjects: Vec::new(),
            denied: 0,
            decoder: FrameDecoder::new(),
            out: VecDeque::new(),
            authed: false,
            role: None,
        }))
    }

    pub fn set_lease(&mut self, line: &str) {
        self.lease.push(line.to_string());
    }

    /// The queen process dies: every connection drops.
    pub fn crash(&mut self) {
        self.epoch += 1;
        self.out.clear();
        self.decoder.reset();
    }

    fn accept(&mut self) {
        self.epoch += 1;
        self.out.clear();
        self.decoder.reset();
        self.authed = false;
        self.role = None;
        self.quit_pending = false;
    }

    fn emit(&mut self, line: &str) {
        let mut frame = [0u8; 4 + MAX_LINE_LEN];
        let n = encode_frame(line.as_bytes(), &mut frame).expect("model line fits");
        self.out.extend(&frame[..n]);
    }

    fn input(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.decoder.push(bytes).expect("agent frames are valid");
            bytes = &bytes[n..];
            if let Some(frame) = self.decoder.frame() {
                let line = String::from_utf8(frame.to_vec()).expect("ascii");
                self.decoder.clear_frame();
                self.line(&line);
            } else if n == 0 {
                break;
            }
        }
    }

    fn line(&mut self, line: &str) {
        if !self.authed {
            if line == format!("AUTH {TOKEN}") {
                self.authed = true;
                self.emit("OK AUTH");
            } else {
                self.crash();
            }
            return;
        }
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        match verb {
            "QUIT" => {
                self.quits += 1;
                self.emit("OK QUIT");
                self.quit_pending = true;
            }
            "ATTACH" if rest.trim() == "queen" => {
                self.role = Some(Role::Queen);
                self.emit("OK ATTACH role=queen");
            }
            "ATTACH" => {
                let (role, ticket) = rest.split_once(' ').unwrap_or((rest, ""));
                let key = TicketKey::from_secret(b"worker-gpu");
                let mut buf = [0u8; MAX_PAYLOAD_LEN];
                let subject =
                    ticket::verify_for_role(ticket.trim(), Role::WorkerGpu, &key, &mut buf)
                        .map(|claims| claims.subject.unwrap_or("").to_string());
                match subject {
                    Ok(subject) if role == "worker-gpu" => {
                        self.subjects.push(subject);
                        self.role = Some(Role::WorkerGpu);
                        self.emit("OK ATTACH role=worker-gpu");
                    }
                    _ => {
                        self.denied += 1;
                        self.emit("ERR ATTACH reason=policy detail=denied");
                    }
                }
            }
            "PING" => {
                self.emit("PONG");
                self.emit("OK PING reply=pong");
            }
            "CAT" if self.role.is_some() && rest == format!("/gpu/{GPU}/lease") => {
                let preview: String = self
                    .lease
                    .last()
                    .cloned()
                    .unwrap_or_default()
                    .chars()
                    .take(40)
                    .collect();
                self.emit(&format!("OK CAT path={rest} data={preview}"));
                for l in self.lease.clone() {
                    self.emit(&l);
                }
                self.emit("END");
            }
            "ECHO" if self.role.is_some() => {
                let (path, payload) = rest.split_once(' ').unwrap_or((rest, ""));
                if path != format!("/gpu/{GPU}/status") {
                    self.emit(&format!(
                        "ERR ECHO reason=policy detail=invalid-path path={path}"
                    ));
                } else if self.deny_worker_echo && self.role != Some(Role::Queen) {
                    self.emit("ERR ECHO reason=policy detail=denied");
                } else if self.crash_on_echo > 0 {
                    self.crash_on_echo -= 1;
                    self.crash();
                } else if self.refuse_echo {
                    self.emit(&format!(
                        "ERR ECHO reason=quota detail=buffer-full path={path}"
                    ));
                } else {
                    self.status.push(payload.to_string());
                    self.emit(&format!("OK ECHO path={path} bytes={}", payload.len()));
                }
            }
            _ => self.emit(&format!(
                "ERR {verb} reason=policy detail=invalid-path path={rest}"
            )),
        }
    }
}

/// The agent's side of a connection to the model.
pub struct QueenLink {
    pub q: Rc<RefCell<GpuQueen>>,
    epoch: Option<u64>,
    pub opens: u32,
}

impl QueenLink {
    pub fn new(q: Rc<RefCell<GpuQueen>>) -> Self {
        Self {
            q,
            epoch: None,
            opens: 0,
        }
    }

    fn live(&self) -> bool {
        self.epoch == Some(self.q.borrow().epoch)
    }
}

impl embedded_io_async::ErrorType for QueenLink {
    type Error = Infallible;
}

impl embedded_io_async::Read for QueenLink {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        std::future::poll_fn(|cx| {
            if !self.live() {
                return Poll::Ready(Ok(0));
            }
            let mut q = self.q.borrow_mut();
            let mut n = 0;
            while n < buf.len() {
                match q.out.pop_front() {
                    Some(b) => {
                        buf[n] = b;
                        n += 1;
                    }
                    None => break,
                }
            }
            if n > 0 {
                Poll::Ready(Ok(n))
            } else if q.quit_pending {
                // OK QUIT delivered: the queen closes.
                q.quit_pending = false;
                q.epoch += 1;
                Poll::Ready(Ok(0))
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }
}

impl embedded_io_async::Write for QueenLink {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        if self.live() {
            self.q.borrow_mut().input(buf);
        }
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl Link for QueenLink {
    async fn open(&mut self) -> Result<(), LinkError> {
        self.opens += 1;
        let mut q = self.q.borrow_mut();
        if !q.up {
            return Err(LinkError::Refused);
        }
        q.accept();
        self.epoch = Some(q.epoch);
        Ok(())
    }

    fn abort(&mut self) {
        self.epoch = None;
    }
}
