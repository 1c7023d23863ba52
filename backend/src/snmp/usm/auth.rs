//! HMAC authentication of whole messages (RFC 3414 §6 for MD5 and SHA-1, RFC 7860 for SHA-2),
//! with each protocol's truncated MAC length. Comparison is in constant time.

use hmac::{Hmac, Mac};

use super::AuthProtocol;

/// Bytes of msgAuthenticationParameters: the HMAC truncated to this length.
pub fn mac_len(protocol: AuthProtocol) -> usize {
    match protocol {
        AuthProtocol::Md5 | AuthProtocol::Sha => 12,
        AuthProtocol::Sha224 => 16,
        AuthProtocol::Sha256 => 24,
        AuthProtocol::Sha384 => 32,
        AuthProtocol::Sha512 => 48,
    }
}

/// The truncated HMAC of `message` (whose authentication parameters are zeros) under `key`.
pub fn mac(protocol: AuthProtocol, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8], len: usize) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(message);
        let mut full = mac.finalize().into_bytes().to_vec();
        full.truncate(len);
        full
    }
    let len = mac_len(protocol);
    match protocol {
        AuthProtocol::Md5 => run::<Hmac<md5::Md5>>(key, message, len),
        AuthProtocol::Sha => run::<Hmac<sha1::Sha1>>(key, message, len),
        AuthProtocol::Sha224 => run::<Hmac<sha2::Sha224>>(key, message, len),
        AuthProtocol::Sha256 => run::<Hmac<sha2::Sha256>>(key, message, len),
        AuthProtocol::Sha384 => run::<Hmac<sha2::Sha384>>(key, message, len),
        AuthProtocol::Sha512 => run::<Hmac<sha2::Sha512>>(key, message, len),
    }
}

/// Writes the MAC of `message` into its authentication parameters at `at`, which hold zeros.
pub fn sign(protocol: AuthProtocol, key: &[u8], message: &mut [u8], at: usize) {
    let mac = mac(protocol, key, message);
    if let Some(place) = message.get_mut(at..at + mac.len()) {
        place.copy_from_slice(&mac);
    }
}

/// Whether `message`'s authentication parameters at `at` (of the protocol's length) are its
/// MAC under `key`. `scratch` is reused for the copy with zeroed parameters.
pub fn verify(protocol: AuthProtocol, key: &[u8], message: &[u8], at: usize, scratch: &mut Vec<u8>) -> bool {
    let len = mac_len(protocol);
    let Some(received) = message.get(at..at + len) else { return false };
    scratch.clear();
    scratch.extend_from_slice(message);
    scratch[at..at + len].fill(0);
    let expected = mac(protocol, key, scratch);
    expected.iter().zip(received).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_message_verifies_and_any_change_does_not() {
        for protocol in [
            AuthProtocol::Md5,
            AuthProtocol::Sha,
            AuthProtocol::Sha224,
            AuthProtocol::Sha256,
            AuthProtocol::Sha384,
            AuthProtocol::Sha512,
        ] {
            let len = mac_len(protocol);
            let mut message = vec![7u8; 100];
            message[10..10 + len].fill(0);
            sign(protocol, b"key", &mut message, 10);
            let mut scratch = Vec::new();
            assert!(verify(protocol, b"key", &message, 10, &mut scratch), "{protocol:?}");
            assert!(!verify(protocol, b"other key", &message, 10, &mut scratch));
            message[99] ^= 1;
            assert!(!verify(protocol, b"key", &message, 10, &mut scratch));
            assert!(!verify(protocol, b"key", &message, 95, &mut scratch), "parameters past the end");
        }
    }

    #[test]
    fn rfc_4231_hmac_sha256_vector_truncated() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = mac(AuthProtocol::Sha256, b"Jefe", b"what do ya want for nothing?");
        assert_eq!(mac, super::super::keys::tests::hex("5bdcc146bf60754e6a042426089575c75a003f089d273983"));
    }
}
