//! USM keys: password to key (RFC 3414 A.2, RFC 7860 for SHA-2), localisation to an engine
//! (RFC 3414 §2.6), and the extension of a localised key for AES-192/256, both the Blumenthal
//! way (draft-blumenthal-aes-usm-04, net-snmp's `AES-192`) and the Reeder way (Cisco's, net-snmp's
//! `AES-192-C`, our `aes192c`). Password-to-key hashes 1 MB: [`master_key`] keeps each result in a
//! process-wide cache, so 2,000 devices sharing a password hash it once. Pure; nothing is logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::Digest;

use super::{AuthProtocol, PrivProtocol};

/// Bytes of repeated password hashed into a master key (RFC 3414 A.2.1).
const PASSWORD_TO_KEY_BYTES: usize = 1_048_576;
/// Master keys kept at most; past it the cache starts again (a bound, never reached in practice).
const MAX_CACHED_KEYS: usize = 4_096;

/// A hash function over several parts.
fn hash(protocol: AuthProtocol, parts: &[&[u8]]) -> Vec<u8> {
    fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut digest = D::new();
        parts.iter().for_each(|part| digest.update(part));
        digest.finalize().to_vec()
    }
    match protocol {
        AuthProtocol::Md5 => run::<md5::Md5>(parts),
        AuthProtocol::Sha => run::<sha1::Sha1>(parts),
        AuthProtocol::Sha224 => run::<sha2::Sha224>(parts),
        AuthProtocol::Sha256 => run::<sha2::Sha256>(parts),
        AuthProtocol::Sha384 => run::<sha2::Sha384>(parts),
        AuthProtocol::Sha512 => run::<sha2::Sha512>(parts),
    }
}

/// Ku: the password hashed over 1 MB of its repetition. An empty password gives an empty key
/// (validation refuses passwords under 8 characters long before this).
pub fn password_to_key(protocol: AuthProtocol, password: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    fn run<D: Digest>(password: &[u8]) -> Vec<u8> {
        let mut digest = D::new();
        let mut chunk = [0u8; 64];
        let mut at = 0;
        for _ in 0..PASSWORD_TO_KEY_BYTES / chunk.len() {
            for byte in chunk.iter_mut() {
                *byte = password[at % password.len()];
                at += 1;
            }
            digest.update(chunk);
        }
        digest.finalize().to_vec()
    }
    match protocol {
        AuthProtocol::Md5 => run::<md5::Md5>(password),
        AuthProtocol::Sha => run::<sha1::Sha1>(password),
        AuthProtocol::Sha224 => run::<sha2::Sha224>(password),
        AuthProtocol::Sha256 => run::<sha2::Sha256>(password),
        AuthProtocol::Sha384 => run::<sha2::Sha384>(password),
        AuthProtocol::Sha512 => run::<sha2::Sha512>(password),
    }
}

/// Kul: the master key localised to one engine, H(Ku || engineID || Ku).
pub fn localize(protocol: AuthProtocol, master: &[u8], engine_id: &[u8]) -> Vec<u8> {
    hash(protocol, &[master, engine_id, master])
}

/// The master key of (`protocol`, `password`), from the process-wide cache. Sessions that ask
/// for one key at once (2,000 devices starting together) wait for one hash, not one each.
pub fn master_key(protocol: AuthProtocol, password: &str) -> Arc<Vec<u8>> {
    type Cell = Arc<OnceLock<Arc<Vec<u8>>>>;
    static CACHE: OnceLock<Mutex<HashMap<(AuthProtocol, String), Cell>>> = OnceLock::new();
    let cell = {
        let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.entry((protocol, password.to_string())).or_default().clone()
    };
    // Hashed outside the map's lock: other passwords are not held up.
    cell.get_or_init(|| Arc::new(password_to_key(protocol, password.as_bytes()))).clone()
}

/// Bytes of key material a privacy protocol uses (for DES: the key, then the pre-IV).
pub fn priv_key_len(protocol: PrivProtocol) -> usize {
    match protocol {
        PrivProtocol::Des => 16,
        PrivProtocol::Aes => 16,
        PrivProtocol::Aes192 | PrivProtocol::Aes192c => 24,
        PrivProtocol::Aes256 | PrivProtocol::Aes256c => 32,
    }
}

/// The privacy key of a user on an engine: the localised key, extended if the cipher needs more
/// than the hash gives, cut to the cipher's length.
pub fn priv_key(auth: AuthProtocol, privacy: PrivProtocol, master: &[u8], engine_id: &[u8]) -> Vec<u8> {
    let needed = priv_key_len(privacy);
    let mut key = localize(auth, master, engine_id);
    while key.len() < needed {
        let more = match privacy {
            PrivProtocol::Aes192c | PrivProtocol::Aes256c => {
                // Reeder: the key so far, taken as a password, to a master key, localised.
                localize(auth, &password_to_key(auth, &key), engine_id)
            }
            _ => hash(auth, &[&key]), // Blumenthal: the hash of the key so far
        };
        key.extend_from_slice(&more);
    }
    key.truncate(needed);
    key
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// The engine ID net-snmp derives from `engineID maplesyrupengine`; the keys below are what
    /// net-snmp 5.9.3's snmpd wrote to its persistent file for `createUser` lines with the
    /// password "maplesyrup".
    const NET_SNMP_ENGINE: &str = "80001f88046d61706c657379727570656e67696e65";

    #[test]
    fn rfc_3414_a3_vectors() {
        let engine = hex("000000000000000000000002");
        let md5 = password_to_key(AuthProtocol::Md5, b"maplesyrup");
        assert_eq!(md5, hex("9faf3283884e92834ebc9847d8edd963"));
        assert_eq!(localize(AuthProtocol::Md5, &md5, &engine), hex("526f5eed9fcce26f8964c2930787d82b"));
        let sha = password_to_key(AuthProtocol::Sha, b"maplesyrup");
        assert_eq!(sha, hex("9fb5cc0381497b3793528939ff788d5d79145211"));
        assert_eq!(localize(AuthProtocol::Sha, &sha, &engine), hex("6695febc9288e36282235fc7151f128497b38f3f"));
    }

    #[test]
    fn sha2_keys_match_net_snmp() {
        let engine = hex(NET_SNMP_ENGINE);
        let cases = [
            (AuthProtocol::Sha224, "fa848b5db8263e0d83de18f2a7c0622fb7245800acb19babb19547f9"),
            (AuthProtocol::Sha256, "f0cac0368aae940c9aa41cd69c79c03275311a6c1ecb54393327570b5e424f6c"),
            (AuthProtocol::Sha384, "aab0c8822231005ca976f9a958c22d8c59832d05dbe308d0e4711af70d5ddc16fe2957cafa4c9c4ee3fe3398e6c0b2ad"),
            (AuthProtocol::Sha512, "06287a1a15baa037293d0fcda1030f1745de615cdd9fee236dcd0fbde01eebda17ebcbb53abe14851ccfb8cc5627206b357168bea4671ac23695c38e302b177d"),
            (AuthProtocol::Md5, "c64495f00a0a59ec0cc0c31765be11ff"),
            (AuthProtocol::Sha, "95c1d2a1b2b7210d7cd94ea8509ddc760108977e"),
        ];
        for (protocol, expected) in cases {
            let master = password_to_key(protocol, b"maplesyrup");
            assert_eq!(localize(protocol, &master, &engine), hex(expected), "{protocol:?}");
        }
    }

    #[test]
    fn priv_keys_match_net_snmp_including_both_extensions() {
        let engine = hex(NET_SNMP_ENGINE);
        let cases = [
            (AuthProtocol::Md5, PrivProtocol::Des, "c64495f00a0a59ec0cc0c31765be11ff"),
            (AuthProtocol::Sha, PrivProtocol::Aes, "95c1d2a1b2b7210d7cd94ea8509ddc76"),
            (AuthProtocol::Sha, PrivProtocol::Aes192, "95c1d2a1b2b7210d7cd94ea8509ddc760108977e8d3a4863"),
            (
                AuthProtocol::Md5,
                PrivProtocol::Aes256,
                "c64495f00a0a59ec0cc0c31765be11fffa9a6ccc5a43436077792516b7465e0c",
            ),
            (AuthProtocol::Sha224, PrivProtocol::Aes192, "fa848b5db8263e0d83de18f2a7c0622fb7245800acb19bab"),
            (AuthProtocol::Sha384, PrivProtocol::Aes192, "aab0c8822231005ca976f9a958c22d8c59832d05dbe308d0"),
            (
                AuthProtocol::Sha512,
                PrivProtocol::Aes256,
                "06287a1a15baa037293d0fcda1030f1745de615cdd9fee236dcd0fbde01eebda",
            ),
            (AuthProtocol::Sha, PrivProtocol::Aes192c, "95c1d2a1b2b7210d7cd94ea8509ddc760108977ee2a58c01"),
            (
                AuthProtocol::Md5,
                PrivProtocol::Aes256c,
                "c64495f00a0a59ec0cc0c31765be11ff42903bcc65a390920dae20d56e9983aa",
            ),
            (
                AuthProtocol::Sha256,
                PrivProtocol::Aes256c,
                "f0cac0368aae940c9aa41cd69c79c03275311a6c1ecb54393327570b5e424f6c",
            ),
        ];
        for (auth, privacy, expected) in cases {
            let master = password_to_key(auth, b"maplesyrup");
            assert_eq!(priv_key(auth, privacy, &master, &engine), hex(expected), "{auth:?} {privacy:?}");
        }
    }

    #[test]
    fn master_keys_are_cached_per_protocol_and_password_even_when_asked_together() {
        let together: Vec<Arc<Vec<u8>>> = std::thread::scope(|scope| {
            let asks: Vec<_> =
                (0..8).map(|_| scope.spawn(|| master_key(AuthProtocol::Sha256, "cached-password"))).collect();
            asks.into_iter().map(|ask| ask.join().unwrap()).collect()
        });
        assert!(together.iter().all(|key| Arc::ptr_eq(key, &together[0])), "one key for all");
        assert!(Arc::ptr_eq(&master_key(AuthProtocol::Sha256, "cached-password"), &together[0]));
        assert_ne!(*master_key(AuthProtocol::Sha, "cached-password"), *together[0]);
    }
}
