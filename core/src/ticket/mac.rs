//! Ticket keys and the keyed BLAKE3 MAC (spec §4.3).
//!
//! `key = BLAKE3(secret)`; `mac = BLAKE3-keyed(key, claims_payload)`. Keys and secrets have
//! redacting `Debug` impls, and MAC comparison is constant time.

use core::fmt;

use super::error::TicketError;

/// MAC length in bytes.
pub const MAC_LEN: usize = 32;

/// Longest role secret the server registers (spec §4.3).
pub const MAX_SECRET_LEN: usize = cohesix_generated::console::MAX_TICKET_LEN;

/// A role secret as written in the manifest `[[tickets]]` table. `Debug` is redacted.
#[derive(Clone, Copy)]
pub struct TicketSecret<'a>(&'a [u8]);

impl<'a> TicketSecret<'a> {
    /// Wraps secret bytes (UTF-8 text in manifests).
    pub const fn new(secret: &'a [u8]) -> Self {
        TicketSecret(secret)
    }

    /// Wraps a secret string.
    pub const fn from_text(secret: &'a str) -> Self {
        TicketSecret(secret.as_bytes())
    }

    /// Secret length in bytes (not secret itself).
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Derives the MAC key.
    pub fn key(&self) -> TicketKey {
        TicketKey::from_secret(self.0)
    }
}

impl fmt::Debug for TicketSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketSecret(<redacted>)")
    }
}

/// A 32-byte ticket MAC key. `Debug` is redacted; the bytes are cleared on drop (best
/// effort, without `unsafe`). There is deliberately no `PartialEq`: compare MACs with
/// [`TicketKey::verify`].
#[derive(Clone)]
pub struct TicketKey([u8; MAC_LEN]);

impl TicketKey {
    /// `BLAKE3(secret)`, the key a role secret maps to. Any length is accepted; see
    /// [`TicketKey::from_registered_secret`] for the server's 224-byte rule.
    pub fn from_secret(secret: &[u8]) -> Self {
        TicketKey(*blake3::hash(secret).as_bytes())
    }

    /// Like [`TicketKey::from_secret`], but refuses secrets the server would not register
    /// (longer than [`MAX_SECRET_LEN`]) with [`TicketError::SecretTooLong`].
    pub fn from_registered_secret(secret: &[u8]) -> Result<Self, TicketError> {
        if secret.len() > MAX_SECRET_LEN {
            return Err(TicketError::SecretTooLong);
        }
        Ok(Self::from_secret(secret))
    }

    /// Uses 32 raw key bytes directly.
    pub const fn from_key_bytes(key: [u8; MAC_LEN]) -> Self {
        TicketKey(key)
    }

    /// The raw key bytes. The name is deliberately loud: never log the result.
    pub const fn expose_secret_bytes(&self) -> &[u8; MAC_LEN] {
        &self.0
    }

    /// MAC of a binary claims payload under this key.
    pub fn mac(&self, payload: &[u8]) -> [u8; MAC_LEN] {
        *blake3::keyed_hash(&self.0, payload).as_bytes()
    }

    /// Whether `mac` authenticates `payload`, compared in constant time.
    pub fn verify(&self, payload: &[u8], mac: &[u8; MAC_LEN]) -> Result<(), TicketError> {
        let expected = blake3::keyed_hash(&self.0, payload);
        // `blake3::Hash` equality is constant time.
        if expected == blake3::Hash::from_bytes(*mac) {
            Ok(())
        } else {
            Err(TicketError::MacMismatch)
        }
    }
}

impl fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketKey(<redacted>)")
    }
}

impl Drop for TicketKey {
    fn drop(&mut self) {
        self.0 = [0; MAC_LEN];
        core::hint::black_box(&self.0);
    }
}
