//! Privacy of scoped PDUs: DES-CBC (RFC 3414 §8.1.1) and AES-CFB128 (RFC 3826; also for the
//! 192- and 256-bit keys of the Blumenthal and Reeder drafts), with their salt and IV rules.
//! The salt goes on the wire as msgPrivacyParameters; encryption takes the engine's boots and
//! time as the sender sees them.

use aes::cipher::{AsyncStreamCipher, BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use super::keys::priv_key_len;
use super::PrivProtocol;

/// Bytes of msgPrivacyParameters (the salt) for every protocol.
pub const SALT_LEN: usize = 8;

/// Why a scoped PDU could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("privacy parameters of {0} bytes, not 8")]
    Salt(usize),
    #[error("DES ciphertext of {0} bytes, not a multiple of 8")]
    Length(usize),
    #[error("wrong key length")]
    Key,
}

/// DES: key and pre-IV from the privacy key, IV = pre-IV XOR salt.
fn des_iv(key: &[u8], salt: &[u8; SALT_LEN]) -> [u8; 8] {
    let mut iv = [0u8; 8];
    for (i, byte) in iv.iter_mut().enumerate() {
        *byte = key[8 + i] ^ salt[i];
    }
    iv
}

/// AES: IV = boots (4 bytes) || time (4 bytes) || salt.
fn aes_iv(boots: u32, time: u32, salt: &[u8; SALT_LEN]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&boots.to_be_bytes());
    iv[4..8].copy_from_slice(&time.to_be_bytes());
    iv[8..].copy_from_slice(salt);
    iv
}

/// The salt of a message: for DES the engine's boots then a local counter (RFC 3414 §8.1.1.1),
/// for AES the 64-bit counter itself (RFC 3826 §3.1.2.1).
pub fn salt(protocol: PrivProtocol, boots: u32, counter: u64) -> [u8; SALT_LEN] {
    match protocol {
        PrivProtocol::Des => {
            let mut salt = [0u8; SALT_LEN];
            salt[..4].copy_from_slice(&boots.to_be_bytes());
            salt[4..].copy_from_slice(&(counter as u32).to_be_bytes());
            salt
        }
        _ => counter.to_be_bytes(),
    }
}

/// Encrypts `plain` (a scoped PDU) into `out` (cleared first). DES pads to 8 bytes.
pub fn encrypt(
    protocol: PrivProtocol,
    key: &[u8],
    boots: u32,
    time: u32,
    salt: &[u8; SALT_LEN],
    plain: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), DecryptError> {
    if key.len() < priv_key_len(protocol) {
        return Err(DecryptError::Key);
    }
    out.clear();
    out.extend_from_slice(plain);
    match protocol {
        PrivProtocol::Des => {
            out.resize(plain.len().div_ceil(8) * 8, 0);
            let mut cipher = cbc::Encryptor::<des::Des>::new_from_slices(&key[..8], &des_iv(key, salt))
                .map_err(|_| DecryptError::Key)?;
            for block in out.chunks_exact_mut(8) {
                cipher.encrypt_block_mut(block.into());
            }
        }
        _ => cfb(protocol, key, &aes_iv(boots, time, salt), out, true)?,
    }
    Ok(())
}

/// Decrypts `cipher` into `out` (cleared first); DES padding stays (the BER length ends it).
pub fn decrypt(
    protocol: PrivProtocol,
    key: &[u8],
    boots: u32,
    time: u32,
    salt: &[u8],
    ciphertext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), DecryptError> {
    let salt: &[u8; SALT_LEN] = salt.try_into().map_err(|_| DecryptError::Salt(salt.len()))?;
    if key.len() < priv_key_len(protocol) {
        return Err(DecryptError::Key);
    }
    out.clear();
    out.extend_from_slice(ciphertext);
    match protocol {
        PrivProtocol::Des => {
            if !ciphertext.len().is_multiple_of(8) {
                return Err(DecryptError::Length(ciphertext.len()));
            }
            let mut cipher = cbc::Decryptor::<des::Des>::new_from_slices(&key[..8], &des_iv(key, salt))
                .map_err(|_| DecryptError::Key)?;
            for block in out.chunks_exact_mut(8) {
                cipher.decrypt_block_mut(block.into());
            }
        }
        _ => cfb(protocol, key, &aes_iv(boots, time, salt), out, false)?,
    }
    Ok(())
}

fn cfb(protocol: PrivProtocol, key: &[u8], iv: &[u8; 16], buf: &mut [u8], encrypt: bool) -> Result<(), DecryptError> {
    fn run<C>(key: &[u8], iv: &[u8; 16], buf: &mut [u8], encrypt: bool) -> Result<(), DecryptError>
    where
        C: aes::cipher::BlockCipher + aes::cipher::BlockEncrypt + aes::cipher::KeyInit,
    {
        if encrypt {
            cfb_mode::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| DecryptError::Key)?.encrypt(buf);
        } else {
            cfb_mode::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| DecryptError::Key)?.decrypt(buf);
        }
        Ok(())
    }
    let key = &key[..priv_key_len(protocol)];
    match protocol {
        PrivProtocol::Aes => run::<aes::Aes128>(key, iv, buf, encrypt),
        PrivProtocol::Aes192 | PrivProtocol::Aes192c => run::<aes::Aes192>(key, iv, buf, encrypt),
        PrivProtocol::Aes256 | PrivProtocol::Aes256c => run::<aes::Aes256>(key, iv, buf, encrypt),
        PrivProtocol::Des => Err(DecryptError::Key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [PrivProtocol; 6] = [
        PrivProtocol::Des,
        PrivProtocol::Aes,
        PrivProtocol::Aes192,
        PrivProtocol::Aes256,
        PrivProtocol::Aes192c,
        PrivProtocol::Aes256c,
    ];

    #[test]
    fn every_protocol_round_trips_and_a_wrong_key_garbles() {
        let key: Vec<u8> = (0..32).collect();
        let plain: Vec<u8> = (0..61).map(|i| i as u8 * 3).collect();
        for protocol in ALL {
            let salt = salt(protocol, 7, 42);
            let (mut sealed, mut opened) = (Vec::new(), Vec::new());
            encrypt(protocol, &key, 7, 1_000, &salt, &plain, &mut sealed).unwrap();
            assert_ne!(&sealed[..plain.len()], &plain[..], "{protocol:?}");
            decrypt(protocol, &key, 7, 1_000, &salt, &sealed, &mut opened).unwrap();
            assert_eq!(&opened[..plain.len()], &plain[..], "{protocol:?}");
            let mut other = key.clone();
            other[0] ^= 0x80; // not bit 0: DES ignores parity bits
            decrypt(protocol, &other, 7, 1_000, &salt, &sealed, &mut opened).unwrap();
            assert_ne!(&opened[..plain.len()], &plain[..], "{protocol:?}");
        }
    }

    #[test]
    fn aes_128_cfb_matches_nist_sp800_38a() {
        // SP 800-38A F.3.13, CFB128-AES128.Encrypt, first block; IV split as boots/time/salt.
        let hex = super::super::keys::tests::hex;
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let boots = u32::from_be_bytes(iv[..4].try_into().unwrap());
        let time = u32::from_be_bytes(iv[4..8].try_into().unwrap());
        let salt: [u8; 8] = iv[8..].try_into().unwrap();
        let mut out = Vec::new();
        encrypt(PrivProtocol::Aes, &key, boots, time, &salt, &hex("6bc1bee22e409f96e93d7e117393172a"), &mut out)
            .unwrap();
        assert_eq!(out, hex("3b3fd92eb72dad20333449f8e83cfb4a"));
    }

    #[test]
    fn bad_parameters_are_errors_not_panics() {
        let mut out = Vec::new();
        let key = [0u8; 32];
        assert_eq!(decrypt(PrivProtocol::Des, &key, 0, 0, &[0; 8], &[0; 7], &mut out), Err(DecryptError::Length(7)));
        assert_eq!(decrypt(PrivProtocol::Aes, &key, 0, 0, &[0; 3], &[0; 7], &mut out), Err(DecryptError::Salt(3)));
        assert_eq!(decrypt(PrivProtocol::Aes256, &key[..16], 0, 0, &[0; 8], &[0; 7], &mut out), Err(DecryptError::Key));
        assert!(decrypt(PrivProtocol::Aes, &key, 0, 0, &[0; 8], &[], &mut out).is_ok());
    }
}
