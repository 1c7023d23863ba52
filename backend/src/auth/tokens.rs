//! API tokens: `vgt_` and 256 random bits in hex, shown once; kept as their SHA-256.
//!
//! Why a fast hash and not Argon2 as for passwords: Argon2's cost protects guessable secrets
//! against a stolen hash. A token is 256 random bits: no guess can find it, slow hash or fast,
//! so SHA-256 keeps the file just as useless to a thief while checking a token costs about a
//! microsecond instead of ~20 ms and 19 MiB on every API call. The lookup by hash is not a
//! secret-dependent comparison of the token itself (an attacker learns nothing from timing the
//! hash of their own guess).

use sha2::{Digest, Sha256};

use crate::secret::Secret;

pub const PREFIX: &str = "vgt_";
/// Names of tokens: 1–64 characters, no control characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A new token's text (shown once) and what is kept of it.
pub fn generate() -> (Secret, String) {
    let token = Secret::new(format!("{PREFIX}{}", super::sessions::random_hex()));
    let hash = hash(&token);
    (token, hash)
}

/// The SHA-256 of a token's text, in hex: what `auth.json` keeps.
pub fn hash(token: &Secret) -> String {
    Sha256::digest(token.expose().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A token's public id: 64 random bits in hex.
pub fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 8] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn validate_name(name: &str) -> Result<(), crate::device::InvalidField> {
    let n = name.chars().count();
    if name.trim().is_empty() || n > MAX_NAME_CHARS || name.chars().any(|c| c.is_control()) {
        return Err(crate::device::InvalidField {
            field: "name",
            reason: format!("must be 1 to {MAX_NAME_CHARS} characters, without control characters"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_prefixed_random_and_kept_only_as_its_hash() {
        let (token, kept) = generate();
        assert!(token.expose().starts_with("vgt_") && token.expose().len() == 4 + 64);
        assert_eq!(kept, hash(&token));
        assert_eq!(kept.len(), 64);
        assert!(!kept.contains(&token.expose()[4..]));
        assert_ne!(generate().1, kept);
    }
}
