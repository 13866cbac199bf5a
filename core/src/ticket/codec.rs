//! Binary claims codec (spec §4.2) and the hex helpers of the text encoding (spec §4.1).
//!
//! Every read and write goes through bounds-checked cursors; no indexing can panic.

use heapless::Vec;

use super::claims::{Budget, Claims, Mounts, Quotas, Scope, ScopeVerb, MAX_FIELD_LEN, MAX_SCOPES};
use super::error::TicketError;
use crate::role::Role;

/// The only claims version this codec speaks.
pub const CLAIMS_VERSION: u8 = 1;

/// Flag bit: `ticks` present.
pub const FLAG_TICKS: u8 = 0x01;
/// Flag bit: `ops` present.
pub const FLAG_OPS: u8 = 0x02;
/// Flag bit: `ttl_s` present.
pub const FLAG_TTL: u8 = 0x04;
/// Flag bit: `subject` present.
pub const FLAG_SUBJECT: u8 = 0x08;
/// Flag bit: scopes present.
pub const FLAG_SCOPES: u8 = 0x10;
/// Flag bit: quotas present.
pub const FLAG_QUOTAS: u8 = 0x20;

/// Smallest claims payload: version, role, flags, `issued_at_ms`, two empty mount strings.
pub const MIN_CLAIMS_LEN: usize = 3 + 8 + 2 + 2;

/// Bounds-checked reader over a claims payload.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TicketError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(TicketError::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TicketError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, TicketError> {
        Ok(u8::from_le_bytes(self.array::<1>()?))
    }

    fn u16(&mut self) -> Result<u16, TicketError> {
        Ok(u16::from_le_bytes(self.array::<2>()?))
    }

    fn u32(&mut self) -> Result<u32, TicketError> {
        Ok(u32::from_le_bytes(self.array::<4>()?))
    }

    fn u64(&mut self) -> Result<u64, TicketError> {
        Ok(u64::from_le_bytes(self.array::<8>()?))
    }

    fn str(&mut self) -> Result<&'a str, TicketError> {
        let len = usize::from(self.u16()?);
        if len > MAX_FIELD_LEN {
            return Err(TicketError::MountTooLarge);
        }
        core::str::from_utf8(self.take(len)?).map_err(|_| TicketError::InvalidUtf8)
    }
}

/// Decodes a binary claims payload. Strings borrow from `payload`.
///
/// Flag bits `0x40` and `0x80` are ignored. Errors: `UnsupportedVersion`, `UnsupportedRole`,
/// `MountTooLarge`, `InvalidScopeVerb`, `ScopeTooMany`, `Truncated`, `TrailingData`,
/// `InvalidUtf8`.
pub fn decode_claims(payload: &[u8]) -> Result<Claims<'_>, TicketError> {
    let mut r = Reader { rest: payload };
    let version = r.u8()?;
    if version != CLAIMS_VERSION {
        return Err(TicketError::UnsupportedVersion(version));
    }
    let role_byte = r.u8()?;
    let role = Role::from_code(role_byte).ok_or(TicketError::UnsupportedRole(role_byte))?;
    let flags = r.u8()?;
    let opt_u64 = |r: &mut Reader<'_>, bit: u8| -> Result<Option<u64>, TicketError> {
        if flags & bit != 0 {
            r.u64().map(Some)
        } else {
            Ok(None)
        }
    };
    let budget = Budget {
        ticks: opt_u64(&mut r, FLAG_TICKS)?,
        ops: opt_u64(&mut r, FLAG_OPS)?,
        ttl_s: opt_u64(&mut r, FLAG_TTL)?,
    };
    let subject = if flags & FLAG_SUBJECT != 0 {
        Some(r.str()?)
    } else {
        None
    };
    let issued_at_ms = r.u64()?;
    let mounts = Mounts {
        service: r.str()?,
        at: r.str()?,
    };
    let mut scopes = Vec::new();
    if flags & FLAG_SCOPES != 0 {
        let count = r.u8()?;
        if usize::from(count) > MAX_SCOPES {
            return Err(TicketError::ScopeTooMany);
        }
        for _ in 0..count {
            let path = r.str()?;
            let verb = ScopeVerb::from_code(r.u8()?)?;
            let rate_per_s = r.u32()?;
            scopes
                .push(Scope {
                    path,
                    verb,
                    rate_per_s,
                })
                .map_err(|_| TicketError::ScopeTooMany)?;
        }
    }
    let quotas = if flags & FLAG_QUOTAS != 0 {
        Quotas {
            bandwidth_bytes: r.u64()?,
            cursor_resumes: r.u32()?,
            cursor_advances: r.u32()?,
        }
    } else {
        Quotas::default()
    };
    if !r.rest.is_empty() {
        return Err(TicketError::TrailingData);
    }
    Ok(Claims {
        role,
        budget,
        subject,
        issued_at_ms,
        mounts,
        scopes,
        quotas,
    })
}

/// Flags byte the encoder writes for `claims` (each bit set exactly when its field is
/// present; scopes only when non-empty, quotas only when one is set).
pub fn flags_for(claims: &Claims<'_>) -> u8 {
    let bit = |present: bool, b: u8| if present { b } else { 0 };
    bit(claims.budget.ticks.is_some(), FLAG_TICKS)
        | bit(claims.budget.ops.is_some(), FLAG_OPS)
        | bit(claims.budget.ttl_s.is_some(), FLAG_TTL)
        | bit(claims.subject.is_some(), FLAG_SUBJECT)
        | bit(!claims.scopes.is_empty(), FLAG_SCOPES)
        | bit(claims.quotas.is_set(), FLAG_QUOTAS)
}

fn str_len(s: &str) -> Result<usize, TicketError> {
    if s.len() > MAX_FIELD_LEN {
        return Err(TicketError::MountTooLarge);
    }
    Ok(2 + s.len())
}

/// Exact encoded size of `claims`; fails with `MountTooLarge` for an over-long string.
pub fn encoded_len(claims: &Claims<'_>) -> Result<usize, TicketError> {
    let budget = &claims.budget;
    let mut len = MIN_CLAIMS_LEN - 4;
    len += [budget.ticks, budget.ops, budget.ttl_s]
        .iter()
        .filter(|v| v.is_some())
        .count()
        * 8;
    if let Some(subject) = claims.subject {
        len += str_len(subject)?;
    }
    len += str_len(claims.mounts.service)?;
    len += str_len(claims.mounts.at)?;
    if !claims.scopes.is_empty() {
        len += 1;
        for scope in &claims.scopes {
            len += str_len(scope.path)? + 1 + 4;
        }
    }
    if claims.quotas.is_set() {
        len += 8 + 4 + 4;
    }
    Ok(len)
}

/// Bounds-checked writer into a caller buffer.
struct Writer<'b> {
    out: &'b mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TicketError> {
        let available = self.out.len();
        let end = self.pos.saturating_add(bytes.len());
        let dst = self
            .out
            .get_mut(self.pos..end)
            .ok_or(TicketError::BufferTooSmall {
                needed: end,
                available,
            })?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn str(&mut self, s: &str) -> Result<(), TicketError> {
        let len = u16::try_from(s.len())
            .ok()
            .filter(|&l| usize::from(l) <= MAX_FIELD_LEN)
            .ok_or(TicketError::MountTooLarge)?;
        self.put(&len.to_le_bytes())?;
        self.put(s.as_bytes())
    }
}

/// Encodes `claims` into `out`, returning the number of bytes written.
///
/// Errors: `MountTooLarge` for a string over 255 bytes, `BufferTooSmall` when `out` cannot
/// hold [`encoded_len`] bytes (checked before anything is written).
pub fn encode_claims(claims: &Claims<'_>, out: &mut [u8]) -> Result<usize, TicketError> {
    let needed = encoded_len(claims)?;
    if needed > out.len() {
        return Err(TicketError::BufferTooSmall {
            needed,
            available: out.len(),
        });
    }
    let mut w = Writer { out, pos: 0 };
    w.put(&[CLAIMS_VERSION, claims.role.code(), flags_for(claims)])?;
    for value in [claims.budget.ticks, claims.budget.ops, claims.budget.ttl_s]
        .into_iter()
        .flatten()
    {
        w.put(&value.to_le_bytes())?;
    }
    if let Some(subject) = claims.subject {
        w.str(subject)?;
    }
    w.put(&claims.issued_at_ms.to_le_bytes())?;
    w.str(claims.mounts.service)?;
    w.str(claims.mounts.at)?;
    if !claims.scopes.is_empty() {
        let count = u8::try_from(claims.scopes.len()).map_err(|_| TicketError::ScopeTooMany)?;
        w.put(&[count])?;
        for scope in &claims.scopes {
            w.str(scope.path)?;
            w.put(&[scope.verb.code()])?;
            w.put(&scope.rate_per_s.to_le_bytes())?;
        }
    }
    if claims.quotas.is_set() {
        w.put(&claims.quotas.bandwidth_bytes.to_le_bytes())?;
        w.put(&claims.quotas.cursor_resumes.to_le_bytes())?;
        w.put(&claims.quotas.cursor_advances.to_le_bytes())?;
    }
    Ok(w.pos)
}

/// Marks a byte that is not a hex digit in [`HEX_VALUE`].
const NOT_HEX: u8 = 0x80;

/// Hex digit values (either case) for every byte; [`NOT_HEX`] for the rest. A table keeps
/// decoding branch-free on attacker-chosen input.
const HEX_VALUE: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0u8;
    while i < 10 {
        table[(b'0' + i) as usize] = i;
        i += 1;
    }
    let mut i = 0u8;
    while i < 6 {
        table[(b'a' + i) as usize] = 10 + i;
        table[(b'A' + i) as usize] = 10 + i;
        i += 1;
    }
    table
};

/// Value of one hex digit, or [`NOT_HEX`].
fn nibble(c: u8) -> u8 {
    HEX_VALUE.get(usize::from(c)).copied().unwrap_or(NOT_HEX)
}

/// Number of bytes `hex` decodes to, or `MalformedToken` for odd length or a non-hex digit.
pub fn hex_decoded_len(hex: &[u8]) -> Result<usize, TicketError> {
    let bad = hex.iter().fold(0u8, |acc, &c| acc | nibble(c));
    if !hex.len().is_multiple_of(2) || bad & NOT_HEX != 0 {
        return Err(TicketError::MalformedToken);
    }
    Ok(hex.len() / 2)
}

/// Decodes hex (either case) into the front of `out`, returning the byte count.
///
/// Errors: `MalformedToken` (checked first), then `BufferTooSmall`.
pub fn hex_decode(hex: &[u8], out: &mut [u8]) -> Result<usize, TicketError> {
    let len = hex_decoded_len(hex)?;
    let available = out.len();
    let dst = out.get_mut(..len).ok_or(TicketError::BufferTooSmall {
        needed: len,
        available,
    })?;
    for (byte, pair) in dst.iter_mut().zip(hex.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *byte = (nibble(*hi) << 4) | nibble(*lo);
        }
    }
    Ok(len)
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex digit for the low nibble of `v`.
fn hex_digit(v: u8) -> u8 {
    HEX_LOWER
        .get(usize::from(v & 0x0f))
        .copied()
        .unwrap_or(b'0')
}

/// Writes `bytes` as lowercase hex into the front of `out`, returning the digit count.
pub fn hex_encode(bytes: &[u8], out: &mut [u8]) -> Result<usize, TicketError> {
    let needed = bytes.len().saturating_mul(2);
    let available = out.len();
    let dst = out
        .get_mut(..needed)
        .ok_or(TicketError::BufferTooSmall { needed, available })?;
    for (pair, b) in dst.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = hex_digit(b >> 4);
            *lo = hex_digit(*b);
        }
    }
    Ok(needed)
}
