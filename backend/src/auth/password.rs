//! Passwords: Argon2id hashes (the RustCrypto `argon2` crate, its default cost: 19 MiB, two
//! passes) with a random salt per hash, in PHC string form; and the rules for usernames and
//! passwords.

use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::device::InvalidField;
use crate::secret::Secret;

use super::AuthError;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1024;
pub const MAX_USERNAME_CHARS: usize = 64;

/// The PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
pub fn hash(password: &Secret) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// Whether `password` matches `phc`. The comparison inside `argon2` is constant-time.
pub fn verify(password: &Secret, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.expose().as_bytes(), &h).is_ok())
}

/// Checks `password` against a hash no password matches, at the same cost as a real check:
/// a login for an unknown user takes as long as a wrong password for a known one.
pub fn verify_dummy(password: &Secret) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash(&Secret::new(random_text(24))).unwrap_or_default());
    let _ = verify(password, phc);
}

/// Random letters and digits (62 symbols, ~5.95 bits each) from the OS generator.
pub fn random_text(chars: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    // ThreadRng: ChaCha12 seeded from the OS, a cryptographically secure generator.
    let mut rng = rand::rng();
    (0..chars).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// 1–64 characters of `A-Z a-z 0-9 . _ -`.
pub fn validate_username(name: &str) -> Result<(), InvalidField> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() || name.len() > MAX_USERNAME_CHARS || !ok_chars {
        return Err(InvalidField {
            field: "username",
            reason: "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'".into(),
        });
    }
    Ok(())
}

/// 10–1024 characters.
pub fn validate_password(field: &'static str, password: &Secret) -> Result<(), InvalidField> {
    let n = password.expose().chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(InvalidField {
            field,
            reason: format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_per_hash_and_verifies_only_its_password() {
        let password = Secret::new("correct horse battery");
        let (a, b) = (hash(&password).unwrap(), hash(&password).unwrap());
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("correct horse"));
        assert!(verify(&password, &a) && verify(&password, &b));
        assert!(!verify(&Secret::new("correct horse battery!"), &a));
        assert!(!verify(&password, "not a phc string"));
    }

    #[test]
    fn usernames_and_passwords_follow_the_rules() {
        assert!(validate_username("ops.team-1_a").is_ok());
        for bad in ["", "a b", "é", &"a".repeat(65), "x/y"] {
            assert!(validate_username(bad).is_err(), "{bad:?}");
        }
        assert!(validate_password("password", &Secret::new("123456789")).is_err());
        assert!(validate_password("password", &Secret::new("1234567890")).is_ok());
        assert!(validate_password("password", &Secret::new("x".repeat(1025))).is_err());
    }

    #[test]
    fn random_text_has_the_length_asked_and_differs() {
        assert_eq!(random_text(20).len(), 20);
        assert_ne!(random_text(20), random_text(20));
    }
}
