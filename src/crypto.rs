//! Randomness and hashing for credentials: the one place where tokens,
//! client ids and secrets are minted, hashed and compared.
//!
//! Tokens and client secrets carry 256 bits from the operating system's
//! CSPRNG, so a single SHA-256 is a safe (and fast) way to store them; human
//! passwords use argon2 instead (see [`crate::domain::passwords`]).
//!
//! May touch: nothing else in the crate (a leaf).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of access tokens, so secret scanners can recognise leaked ones.
pub const ACCESS_TOKEN_PREFIX: &str = "gly_at_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "gly_rt_";
/// Prefix of client secrets.
pub const CLIENT_SECRET_PREFIX: &str = "gly_cs_";

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf
}

/// A new secret: `prefix` followed by 256 random bits, base64url.
pub fn new_secret(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 43);
    out.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(random_bytes::<32>(), &mut out);
    out
}

/// A random identifier of 128 bits as 32 lowercase hex characters.
pub fn new_id() -> String {
    hex::encode(random_bytes::<16>())
}

/// SHA-256 of a secret, hex-encoded: what the database stores.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two stored-form hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Checks `secret` against a stored hash in constant time.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    hashes_equal(&hash_secret(secret), stored_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_prefix_and_256_bits() {
        let token = new_secret(ACCESS_TOKEN_PREFIX);
        assert!(token.starts_with("gly_at_"));
        let body = &token[ACCESS_TOKEN_PREFIX.len()..];
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        assert_ne!(token, new_secret(ACCESS_TOKEN_PREFIX));
    }

    #[test]
    fn verify_accepts_only_the_original() {
        let secret = new_secret(CLIENT_SECRET_PREFIX);
        let stored = hash_secret(&secret);
        assert!(verify_secret(&secret, &stored));
        assert!(!verify_secret(&format!("{secret}x"), &stored));
        assert!(!verify_secret("", &stored));
    }
}

/// A server key for HMAC-SHA256 signatures (CSRF tokens). Its `Debug`
/// shows no key material.
#[derive(Clone)]
pub struct SigningKey([u8; 64]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// A key from its stored hex form; `None` unless it is 64 bytes (the
    /// block size of SHA-256, the natural HMAC key length).
    pub fn from_hex(text: &str) -> Option<Self> {
        hex::decode(text).ok()?.try_into().ok().map(Self)
    }

    /// A fresh random key, in its stored hex form.
    pub fn fresh_hex() -> String {
        hex::encode(random_bytes::<64>())
    }

    fn mac(&self, parts: &[&str]) -> hmac::Hmac<Sha256> {
        use hmac::{digest::KeyInit, Mac};
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new(&self.0.into());
        for part in parts {
            // Length-prefixed, so that no two lists of parts sign alike.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    /// The hex HMAC-SHA256 of `parts`.
    pub fn sign(&self, parts: &[&str]) -> String {
        use hmac::Mac;
        hex::encode(self.mac(parts).finalize().into_bytes())
    }

    /// True when `signature` (hex) is the HMAC of `parts`, compared in
    /// constant time.
    pub fn verify(&self, parts: &[&str], signature: &str) -> bool {
        use hmac::Mac;
        match hex::decode(signature) {
            Ok(bytes) => self.mac(parts).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod signing_tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_parts_and_key() {
        let key = SigningKey::from_hex(&SigningKey::fresh_hex()).unwrap();
        let other = SigningKey::from_hex(&SigningKey::fresh_hex()).unwrap();
        let sig = key.sign(&["csrf", "abc", ""]);
        assert!(key.verify(&["csrf", "abc", ""], &sig));
        assert!(!key.verify(&["csrf", "abd", ""], &sig));
        assert!(
            !key.verify(&["csrf", "ab", "c"], &sig),
            "parts are length-prefixed"
        );
        assert!(!other.verify(&["csrf", "abc", ""], &sig));
        assert!(!key.verify(&["csrf", "abc", ""], "zz"));
        assert!(SigningKey::from_hex("00").is_none());
        assert_eq!(format!("{key:?}"), "SigningKey([redacted])");
    }
}
