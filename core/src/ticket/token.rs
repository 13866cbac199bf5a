//! Ticket text form (spec §4.1, §4.4): `cohesix-ticket-<hex claims>.<hex mac>`.
//!
//! Decoding writes the binary claims into a caller buffer and borrows the claims from it;
//! minting writes the lowercase token into a caller buffer.

use core::fmt;

use super::claims::Claims;
use super::codec::{decode_claims, encode_claims, hex_decode, hex_decoded_len, hex_encode};
use super::error::TicketError;
use super::mac::{TicketKey, MAC_LEN};

/// Exact, case-sensitive token prefix.
pub const TICKET_PREFIX: &str = "cohesix-ticket-";

/// Longest token the console accepts (manifest `console.max_ticket_len`).
pub const MAX_TICKET_LEN: usize = cohesix_generated::console::MAX_TICKET_LEN;

/// Characters a token spends besides the claims hex: prefix, `.`, 64 MAC digits.
pub const TOKEN_OVERHEAD: usize = TICKET_PREFIX.len() + 1 + 2 * MAC_LEN;

/// Largest claims payload that fits a [`MAX_TICKET_LEN`] token (72 bytes).
pub const MAX_PAYLOAD_LEN: usize = (MAX_TICKET_LEN - TOKEN_OVERHEAD) / 2;

/// Token length for a claims payload of `payload_len` bytes (`15 + 2·len + 1 + 64`).
pub const fn token_len(payload_len: usize) -> usize {
    TOKEN_OVERHEAD + 2 * payload_len
}

/// A decoded (not necessarily verified) ticket. Borrows the claims payload from the
/// buffer passed to [`decode`]. `Debug` redacts the MAC.
#[derive(Clone)]
pub struct Ticket<'a> {
    claims: Claims<'a>,
    payload: &'a [u8],
    mac: [u8; MAC_LEN],
}

impl<'a> Ticket<'a> {
    /// The decoded claims.
    pub fn claims(&self) -> &Claims<'a> {
        &self.claims
    }

    /// Consumes the ticket, keeping only the claims.
    pub fn into_claims(self) -> Claims<'a> {
        self.claims
    }

    /// The binary claims payload the MAC covers.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Checks the MAC under `key` in constant time (`MacMismatch` on failure).
    pub fn verify(&self, key: &TicketKey) -> Result<(), TicketError> {
        key.verify(self.payload, &self.mac)
    }

    /// Verifies the MAC and returns the claims.
    pub fn into_verified(self, key: &TicketKey) -> Result<Claims<'a>, TicketError> {
        self.verify(key)?;
        Ok(self.claims)
    }
}

impl fmt::Debug for Ticket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("claims", &self.claims)
            .field("payload_len", &self.payload.len())
            .field("mac", &"<redacted>")
            .finish()
    }
}

/// Decodes a token without verifying its MAC. The caller trims surrounding whitespace.
///
/// Checks, first failure wins: length ≤ 224 (`TooLong(224)`), the prefix (`MissingPrefix`),
/// a `.` (`MalformedToken`), claims hex and MAC hex (`MalformedToken`), MAC length
/// (`InvalidMacLength(n)`), `buf` size (`BufferTooSmall`; [`MAX_PAYLOAD_LEN`] bytes always
/// suffice), then the claims codec errors.
pub fn decode<'b>(token: &str, buf: &'b mut [u8]) -> Result<Ticket<'b>, TicketError> {
    if token.len() > MAX_TICKET_LEN {
        return Err(TicketError::TooLong(MAX_TICKET_LEN));
    }
    let body = token
        .strip_prefix(TICKET_PREFIX)
        .ok_or(TicketError::MissingPrefix)?;
    let (claims_hex, mac_hex) = body.split_once('.').ok_or(TicketError::MalformedToken)?;
    let payload_len = hex_decoded_len(claims_hex.as_bytes())?;
    let mac_len = hex_decoded_len(mac_hex.as_bytes())?;
    if mac_len != MAC_LEN {
        return Err(TicketError::InvalidMacLength(mac_len));
    }
    let mut mac = [0u8; MAC_LEN];
    hex_decode(mac_hex.as_bytes(), &mut mac)?;
    let available = buf.len();
    let payload = buf
        .get_mut(..payload_len)
        .ok_or(TicketError::BufferTooSmall {
            needed: payload_len,
            available,
        })?;
    hex_decode(claims_hex.as_bytes(), payload)?;
    let payload: &'b [u8] = payload;
    let claims = decode_claims(payload)?;
    Ok(Ticket {
        claims,
        payload,
        mac,
    })
}

/// Decodes a token and verifies its MAC under `key`; returns the claims.
pub fn decode_verified<'b>(
    token: &str,
    key: &TicketKey,
    buf: &'b mut [u8],
) -> Result<Claims<'b>, TicketError> {
    decode(token, buf)?.into_verified(key)
}

/// Mints the token for `claims` under `key` into `out` (lowercase hex) and returns it.
///
/// Errors: `MountTooLarge` for an over-long string, `TooLong(224)` when the token would
/// exceed the console cap (payload over [`MAX_PAYLOAD_LEN`] bytes), `BufferTooSmall` when
/// `out` cannot hold it ([`MAX_TICKET_LEN`] bytes always suffice). `out` is left untouched on
/// error. Worker tickets without a subject are minted (the codec allows them); use
/// [`Claims::for_role`] to apply the minting policy.
pub fn mint<'o>(
    claims: &Claims<'_>,
    key: &TicketKey,
    out: &'o mut [u8],
) -> Result<&'o str, TicketError> {
    let mut payload = [0u8; MAX_PAYLOAD_LEN];
    let payload_len = match encode_claims(claims, &mut payload) {
        Ok(n) => n,
        Err(TicketError::BufferTooSmall { .. }) => {
            return Err(TicketError::TooLong(MAX_TICKET_LEN))
        }
        Err(e) => return Err(e),
    };
    let payload = payload
        .get(..payload_len)
        .ok_or(TicketError::TooLong(MAX_TICKET_LEN))?;
    let needed = token_len(payload_len);
    let available = out.len();
    let too_small = TicketError::BufferTooSmall { needed, available };
    let dst = out.get_mut(..needed).ok_or(too_small)?;
    let (prefix, rest) = dst
        .split_at_mut_checked(TICKET_PREFIX.len())
        .ok_or(too_small)?;
    prefix.copy_from_slice(TICKET_PREFIX.as_bytes());
    let written = hex_encode(payload, rest)?;
    let (_, rest) = rest.split_at_mut_checked(written).ok_or(too_small)?;
    let (dot, mac_hex) = rest.split_first_mut().ok_or(too_small)?;
    *dot = b'.';
    hex_encode(&key.mac(payload), mac_hex)?;
    core::str::from_utf8(dst).map_err(|_| TicketError::MalformedToken)
}

/// A minted token in a fixed [`MAX_TICKET_LEN`]-byte buffer, for callers that keep tickets
/// in structs. `Debug` is redacted (a ticket is a bearer credential) and the bytes are
/// cleared on drop (best effort).
#[derive(Clone)]
pub struct TicketBuf {
    bytes: [u8; MAX_TICKET_LEN],
    len: usize,
}

impl TicketBuf {
    /// Mints `claims` under `key`; see [`mint`].
    pub fn mint(claims: &Claims<'_>, key: &TicketKey) -> Result<TicketBuf, TicketError> {
        let mut bytes = [0u8; MAX_TICKET_LEN];
        let len = mint(claims, key, &mut bytes)?.len();
        Ok(TicketBuf { bytes, len })
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl Drop for TicketBuf {
    fn drop(&mut self) {
        self.bytes = [0; MAX_TICKET_LEN];
        core::hint::black_box(&self.bytes);
    }
}

impl fmt::Debug for TicketBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketBuf(<redacted>, len={})", self.len)
    }
}
