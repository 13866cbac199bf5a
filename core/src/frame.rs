//! Frame codec (spec §1.1–1.3): `u32 LE total_len` (counting its own 4 bytes) + payload.
//!
//! ```text
//! +------------------+---------------------------+
//! | total_len: u32 LE| payload: total_len-4 bytes|
//! +------------------+---------------------------+
//! ```
//!
//! * [`encode_frame`] writes one frame into a caller buffer and refuses payloads a real client
//!   must never send (empty, longer than `MAX_LINE_LEN`, anything but printable ASCII).
//! * [`encode_frame_raw`] writes any payload (servers, tests).
//! * [`FrameDecoder`] reassembles frames from arbitrary byte chunks. It holds at most one frame;
//!   its capacity `N` is a const generic.
//!
//! Decoder states:
//!
//! ```text
//!            4 header bytes ok          payload complete
//!  Header ------------------> Payload -----------------> Ready --clear_frame()--> Header
//!    |  bad total_len / payload > N                                                ^
//!    +---------------------------> Failed --skip_payload()--> Discard ---------------+
//!                                    (sticky until reset())      (total_len-4 bytes)
//! ```

use core::fmt;

use cohesix_generated::console::{MAX_FRAME_LEN, MAX_LINE_LEN, MIN_FRAME_LEN};

/// Bytes of the length prefix.
pub const HEADER_LEN: usize = 4;

/// Largest frame a client ever needs to emit or (from the real queen) receive:
/// 4 + `MAX_LINE_LEN` = 260 bytes.
pub const MAX_CONSOLE_FRAME_LEN: usize = HEADER_LEN + MAX_LINE_LEN;

/// Why a payload could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FrameEncodeError {
    /// The payload is empty (clients never send empty lines).
    Empty,
    /// The payload is longer than `MAX_LINE_LEN` bytes.
    TooLong {
        /// Payload length.
        len: usize,
    },
    /// The payload holds a byte outside printable ASCII `0x20..=0x7E` (CR, LF, TAB, NUL, non-ASCII).
    InvalidByte {
        /// Offset of the byte in the payload.
        index: usize,
        /// The byte.
        byte: u8,
    },
    /// `total_len` would not fit a `u32` (raw encoder only).
    LengthOverflow,
    /// The output buffer cannot hold the frame.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for FrameEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameEncodeError::Empty => f.write_str("empty frame payload"),
            FrameEncodeError::TooLong { len } => {
                write!(f, "frame payload of {len} bytes exceeds {MAX_LINE_LEN}")
            }
            FrameEncodeError::InvalidByte { index, byte } => {
                write!(
                    f,
                    "byte 0x{byte:02x} at offset {index} is not printable ASCII"
                )
            }
            FrameEncodeError::LengthOverflow => f.write_str("frame length overflows u32"),
            FrameEncodeError::BufferTooSmall { needed, available } => {
                write!(f, "frame needs {needed} bytes, buffer has {available}")
            }
        }
    }
}

/// Why the inbound byte stream is not a valid frame sequence. All are fatal for a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FrameDecodeError {
    /// `total_len < 4`: the stream cannot be resynchronised.
    TooShort {
        /// Declared total length.
        total_len: u32,
    },
    /// `total_len > MAX_FRAME_LEN` (8192).
    TooLong {
        /// Declared total length.
        total_len: u32,
    },
    /// The frame is legal (`<= MAX_FRAME_LEN`) but its payload exceeds the decoder capacity `N`.
    Oversize {
        /// Declared payload length.
        payload_len: usize,
    },
}

impl FrameDecodeError {
    /// Payload bytes a server skips after this error to resynchronise (spec §1.3), or `None`
    /// when the stream cannot be resynchronised (`TooShort`).
    pub const fn skip_len(&self) -> Option<usize> {
        match *self {
            FrameDecodeError::TooShort { .. } => None,
            FrameDecodeError::TooLong { total_len } => {
                Some((total_len as usize).saturating_sub(HEADER_LEN))
            }
            FrameDecodeError::Oversize { payload_len } => Some(payload_len),
        }
    }
}

impl fmt::Display for FrameDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameDecodeError::TooShort { total_len } => {
                write!(f, "invalid frame length {total_len} (< {MIN_FRAME_LEN})")
            }
            FrameDecodeError::TooLong { total_len } => {
                write!(f, "invalid frame length {total_len} (> {MAX_FRAME_LEN})")
            }
            FrameDecodeError::Oversize { payload_len } => {
                write!(
                    f,
                    "frame payload of {payload_len} bytes exceeds decoder capacity"
                )
            }
        }
    }
}

/// Copies `min(dst.len(), src.len())` bytes from the start of `src` to the start of `dst` and
/// returns that count. Never panics (unlike `copy_from_slice`, whose length check survives
/// when the optimiser does not inline it, e.g. at `opt-level = "z"`).
#[inline]
pub fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    dst.len().min(src.len())
}

/// Checks an outbound client payload: 1..=`MAX_LINE_LEN` bytes of printable ASCII.
pub fn check_payload(payload: &[u8]) -> Result<(), FrameEncodeError> {
    if payload.is_empty() {
        return Err(FrameEncodeError::Empty);
    }
    if payload.len() > MAX_LINE_LEN {
        return Err(FrameEncodeError::TooLong { len: payload.len() });
    }
    // Branch-free scan first (vectorises); locate the offender only on failure.
    if payload
        .iter()
        .fold(true, |ok, &b| ok & is_printable_ascii(b))
    {
        return Ok(());
    }
    match payload.iter().position(|b| !is_printable_ascii(*b)) {
        Some(index) => Err(FrameEncodeError::InvalidByte {
            index,
            byte: payload.get(index).copied().unwrap_or(0),
        }),
        None => Ok(()),
    }
}

/// Whether `b` is printable ASCII (`0x20..=0x7E`).
#[inline]
pub const fn is_printable_ascii(b: u8) -> bool {
    matches!(b, 0x20..=0x7E)
}

/// Encodes one client frame into `out`; returns the bytes written (`4 + payload.len()`).
///
/// The payload must be 1..=`MAX_LINE_LEN` bytes of printable ASCII (`0x20..=0x7E`), so it
/// never carries CR, LF or TAB. Nothing is written on error.
pub fn encode_frame(payload: &[u8], out: &mut [u8]) -> Result<usize, FrameEncodeError> {
    check_payload(payload)?;
    encode_frame_raw(payload, out)
}

/// Encodes any payload (including empty or binary ones) as one frame into `out`.
///
/// Only checks that `out` has room and that `total_len` fits a `u32`. Meant for servers and
/// tests that must emit arbitrary frames; clients use [`encode_frame`].
pub fn encode_frame_raw(payload: &[u8], out: &mut [u8]) -> Result<usize, FrameEncodeError> {
    let total = payload
        .len()
        .checked_add(HEADER_LEN)
        .ok_or(FrameEncodeError::LengthOverflow)?;
    let total32 = u32::try_from(total).map_err(|_| FrameEncodeError::LengthOverflow)?;
    let available = out.len();
    let dst = out
        .get_mut(..total)
        .ok_or(FrameEncodeError::BufferTooSmall {
            needed: total,
            available,
        })?;
    let (hdr, body) = dst.split_at_mut_checked(HEADER_LEN).unwrap_or_default();
    copy_prefix(hdr, &total32.to_le_bytes());
    copy_prefix(body, payload);
    Ok(total)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Collecting the 4-byte header (`hdr_len` bytes so far).
    Header,
    /// Collecting `need` payload bytes (`len` so far).
    Payload,
    /// A complete frame of `len` bytes is held.
    Ready,
    /// Discarding `need - len` more bytes after an error (server resync).
    Discard,
    /// A fatal error; sticky until `reset()` or `skip_payload()`.
    Failed(FrameDecodeError),
}

/// Incremental frame decoder holding at most one frame of up to `N` payload bytes.
///
/// Accepts `total_len` in `MIN_FRAME_LEN..=MAX_FRAME_LEN` (4..=8192). Feed it arbitrary
/// chunks with [`push`](Self::push); frame boundaries need not match chunk boundaries.
///
/// Client use: every error is fatal, drop the connection. Server use (spec §1.3, post-auth):
/// after `TooLong`/`Oversize`, reply `ERR FRAME reason=invalid-length` and call
/// [`skip_payload`](Self::skip_payload); the decoder then discards exactly `total_len-4` bytes
/// and resumes at the next header.
#[derive(Clone)]
pub struct FrameDecoder<const N: usize> {
    buf: [u8; N],
    hdr: [u8; HEADER_LEN],
    hdr_len: usize,
    len: usize,
    need: usize,
    state: State,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FrameDecoder<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("capacity", &N)
            .field("state", &self.state)
            .field("buffered", &self.len)
            .field("need", &self.need)
            .finish()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// Payload capacity of this decoder.
    pub const CAPACITY: usize = N;

    /// A decoder waiting for the first header byte.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            hdr: [0; HEADER_LEN],
            hdr_len: 0,
            len: 0,
            need: 0,
            state: State::Header,
        }
    }

    /// Consumes bytes from `input` up to the end of at most one frame; returns how many were
    /// consumed.
    ///
    /// When a frame completes, [`frame`](Self::frame) returns it and `push` consumes nothing
    /// until [`clear_frame`](Self::clear_frame). While discarding (after
    /// [`skip_payload`](Self::skip_payload)) it consumes discarded bytes. On error, the bytes up
    /// to the end of the offending header were consumed (use
    /// [`push_counted`](Self::push_counted) to learn how many); the error is then sticky.
    #[inline(always)]
    pub fn push(&mut self, input: &[u8]) -> Result<usize, FrameDecodeError> {
        let (used, res) = self.push_counted(input);
        res.map(|()| used)
    }

    /// Like [`push`](Self::push) but always reports how many bytes were consumed, including
    /// on error.
    #[inline(always)]
    pub fn push_counted(&mut self, input: &[u8]) -> (usize, Result<(), FrameDecodeError>) {
        // Fast path: at a frame boundary with a whole valid frame in `input`.
        if self.state == State::Header && self.hdr_len == 0 {
            if let Some((h, rest)) = input.split_first_chunk::<HEADER_LEN>() {
                let total = u32::from_le_bytes(*h) as usize;
                let plen = total.wrapping_sub(HEADER_LEN);
                if (MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&total) && plen <= N {
                    if let (Some(dst), Some(src)) = (self.buf.get_mut(..plen), rest.get(..plen)) {
                        copy_prefix(dst, src);
                        // `need` is not read in Ready; `len` is the frame length.
                        self.len = plen;
                        self.state = State::Ready;
                        return (total, Ok(()));
                    }
                }
            }
        }
        self.push_slow(input)
    }

    /// Zero-copy decoding: `push` + `frame` + `clear_frame` in one call.
    ///
    /// Returns `(consumed, frame)`. When the decoder is at a frame boundary and `input` holds a
    /// whole frame, the payload is borrowed straight from `input` (no copy); otherwise bytes
    /// are buffered as with [`push`](Self::push) and a completed frame is borrowed from the
    /// decoder. Either way the frame is already released: the next call continues with the
    /// next header. Errors are those of `push` (sticky).
    #[inline]
    pub fn decode<'s, 'i: 's>(
        &'s mut self,
        input: &'i [u8],
    ) -> Result<(usize, Option<&'s [u8]>), FrameDecodeError> {
        if self.state == State::Header && self.hdr_len == 0 {
            if let Some((h, rest)) = input.split_first_chunk::<HEADER_LEN>() {
                let total = u32::from_le_bytes(*h) as usize;
                let plen = total.wrapping_sub(HEADER_LEN);
                if (MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&total) && plen <= N {
                    if let Some(payload) = rest.get(..plen) {
                        return Ok((total, Some(payload)));
                    }
                }
            }
        }
        let (used, res) = self.push_counted(input);
        res?;
        if self.state != State::Ready {
            return Ok((used, None));
        }
        self.state = State::Header;
        Ok((used, self.buf.get(..self.len)))
    }

    #[inline(never)]
    fn push_slow(&mut self, input: &[u8]) -> (usize, Result<(), FrameDecodeError>) {
        let mut used = 0usize;
        match self.state {
            State::Ready => return (0, Ok(())),
            State::Failed(e) => return (0, Err(e)),
            State::Discard => return (self.discard(input), Ok(())),
            State::Payload => {}
            State::Header => {
                let total = if self.hdr_len == 0 {
                    match input.first_chunk::<HEADER_LEN>() {
                        Some(h) => {
                            used = HEADER_LEN;
                            u32::from_le_bytes(*h)
                        }
                        None => return (self.take_header(input), Ok(())),
                    }
                } else {
                    used = self.take_header(input);
                    if self.hdr_len < HEADER_LEN {
                        return (used, Ok(()));
                    }
                    u32::from_le_bytes(self.hdr)
                };
                self.hdr_len = 0;
                if let Err(e) = self.start_payload(total) {
                    return (used, Err(e));
                }
                if self.state == State::Ready {
                    return (used, Ok(()));
                }
            }
        }
        // State::Payload: copy what is available.
        let rest = input.get(used..).unwrap_or(&[]);
        let want = self.need.saturating_sub(self.len);
        let n = if rest.len() < want { rest.len() } else { want };
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len.saturating_add(n)),
            rest.get(..n),
        ) {
            copy_prefix(dst, src);
        }
        self.len = self.len.saturating_add(n);
        if self.len >= self.need {
            self.state = State::Ready;
        }
        (used.saturating_add(n), Ok(()))
    }

    /// Copies header bytes into `hdr`; returns how many were taken.
    fn take_header(&mut self, input: &[u8]) -> usize {
        let room = HEADER_LEN.saturating_sub(self.hdr_len);
        let n = room.min(input.len());
        if let (Some(dst), Some(src)) = (
            self.hdr
                .get_mut(self.hdr_len..self.hdr_len.saturating_add(n)),
            input.get(..n),
        ) {
            copy_prefix(dst, src);
        }
        self.hdr_len = self.hdr_len.saturating_add(n);
        n
    }

    /// Validates `total_len` and enters Payload (or Ready for an empty payload).
    fn start_payload(&mut self, total: u32) -> Result<(), FrameDecodeError> {
        let total_us = total as usize;
        let err = if total_us < MIN_FRAME_LEN {
            Some(FrameDecodeError::TooShort { total_len: total })
        } else if total_us > MAX_FRAME_LEN {
            Some(FrameDecodeError::TooLong { total_len: total })
        } else if total_us - HEADER_LEN > N {
            Some(FrameDecodeError::Oversize {
                payload_len: total_us - HEADER_LEN,
            })
        } else {
            None
        };
        self.len = 0;
        if let Some(e) = err {
            self.need = total_us.saturating_sub(HEADER_LEN);
            self.state = State::Failed(e);
            return Err(e);
        }
        self.need = total_us - HEADER_LEN;
        self.state = if self.need == 0 {
            State::Ready
        } else {
            State::Payload
        };
        Ok(())
    }

    fn discard(&mut self, input: &[u8]) -> usize {
        let want = self.need.saturating_sub(self.len);
        let n = want.min(input.len());
        self.len = self.len.saturating_add(n);
        if self.len >= self.need {
            self.len = 0;
            self.need = 0;
            self.state = State::Header;
        }
        n
    }

    /// The complete frame payload, if one is held.
    #[inline]
    pub fn frame(&self) -> Option<&[u8]> {
        match self.state {
            State::Ready => self.buf.get(..self.len),
            _ => None,
        }
    }

    /// Releases the held frame so decoding continues with the next header. No-op otherwise.
    #[inline]
    pub fn clear_frame(&mut self) {
        // `len`/`need` are re-initialised when the next header completes.
        if self.state == State::Ready {
            self.state = State::Header;
        }
    }

    /// `true` when no partial frame (header or payload bytes) is buffered, no frame is held and
    /// no discard or error is pending: a clean frame boundary.
    pub fn is_idle(&self) -> bool {
        self.state == State::Header && self.hdr_len == 0
    }

    /// `true` while bytes are being discarded after [`skip_payload`](Self::skip_payload).
    pub fn is_discarding(&self) -> bool {
        self.state == State::Discard
    }

    /// The sticky error, if the decoder failed.
    pub fn error(&self) -> Option<FrameDecodeError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Server resynchronisation (spec §1.3): after a `TooLong` or `Oversize` error, discard the
    /// declared `total_len-4` payload bytes and then continue with the next header.
    ///
    /// Returns the number of bytes that will be discarded, or `None` if there is no
    /// recoverable error (no error, or `TooShort`, where the stream is lost for good).
    pub fn skip_payload(&mut self) -> Option<usize> {
        let State::Failed(e) = self.state else {
            return None;
        };
        let skip = e.skip_len()?;
        self.len = 0;
        self.need = skip;
        self.state = if skip == 0 {
            State::Header
        } else {
            State::Discard
        };
        Some(skip)
    }

    /// Drops all buffered state, including a held frame and a sticky error.
    pub fn reset(&mut self) {
        self.hdr_len = 0;
        self.len = 0;
        self.need = 0;
        self.state = State::Header;
    }
}
