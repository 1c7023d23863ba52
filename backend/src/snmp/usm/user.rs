//! One user's keys localised to one engine, and sealing and opening messages with them:
//! encryption of the scoped PDU, then the HMAC over the whole message; on receipt the reverse,
//! with the reasons a message is refused named as RFC 3414 §3.2 counts them.

use std::sync::Arc;

use super::message::{self, Outgoing, V3Message, FLAG_AUTH, FLAG_PRIV};
use super::{auth, keys, privacy, AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};

/// Why a received message was refused, in RFC 3414's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Its flags ask for less (or more) than this user's security level.
    #[error("unsupported security level")]
    UnsupportedSecurityLevel,
    #[error("wrong digest")]
    WrongDigest,
    #[error("decryption error")]
    Decryption,
}

/// A user's master keys, computed once per (protocol, password) in the process.
#[derive(Clone)]
pub struct MasterKeys {
    user: Vec<u8>,
    level: SecurityLevel,
    auth: Option<(AuthProtocol, Arc<Vec<u8>>)>,
    privacy: Option<(PrivProtocol, Arc<Vec<u8>>)>,
}

impl MasterKeys {
    /// The master keys of `credentials`; a level that needs a protocol or a password that is
    /// missing falls back to the level the credentials can support (validation prevents it).
    pub fn new(credentials: &UsmCredentials) -> MasterKeys {
        let auth = match (credentials.level, credentials.auth_protocol, &credentials.auth_password) {
            (SecurityLevel::NoAuthNoPriv, ..) => None,
            (_, Some(protocol), Some(password)) => Some((protocol, keys::master_key(protocol, password.expose()))),
            _ => None,
        };
        let privacy = match (credentials.level, auth.as_ref(), credentials.priv_protocol, &credentials.priv_password) {
            (SecurityLevel::AuthPriv, Some((auth, _)), Some(protocol), Some(password)) => {
                Some((protocol, keys::master_key(*auth, password.expose())))
            }
            _ => None,
        };
        let level = match (&auth, &privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        };
        MasterKeys { user: credentials.user.as_bytes().to_vec(), level, auth, privacy }
    }

    pub fn user(&self) -> &[u8] {
        &self.user
    }

    pub fn level(&self) -> SecurityLevel {
        self.level
    }

    /// The keys on the engine `engine_id`.
    pub fn localize(&self, engine_id: &[u8]) -> UserKeys {
        let auth =
            self.auth.as_ref().map(|(protocol, master)| (*protocol, keys::localize(*protocol, master, engine_id)));
        let privacy = match (&self.auth, &self.privacy) {
            (Some((auth, _)), Some((protocol, master))) => {
                Some((*protocol, keys::priv_key(*auth, *protocol, master, engine_id)))
            }
            _ => None,
        };
        UserKeys { engine_id: engine_id.to_vec(), auth, privacy }
    }
}

/// A user's keys on one engine.
#[derive(Clone)]
pub struct UserKeys {
    pub engine_id: Vec<u8>,
    auth: Option<(AuthProtocol, Vec<u8>)>,
    privacy: Option<(PrivProtocol, Vec<u8>)>,
}

/// Buffers reused from one message to the next.
#[derive(Default)]
pub struct Scratch {
    sealed: Vec<u8>,
    copy: Vec<u8>,
}

impl UserKeys {
    /// The same keys without privacy (authNoPriv), e.g. to tell a wrong privacy key apart.
    pub fn without_privacy(&self) -> UserKeys {
        UserKeys { privacy: None, ..self.clone() }
    }

    /// msgFlags for this user's level (without reportable).
    pub fn flags(&self) -> u8 {
        match (&self.auth, &self.privacy) {
            (None, _) => 0,
            (Some(_), None) => FLAG_AUTH,
            (Some(_), Some(_)) => FLAG_AUTH | FLAG_PRIV,
        }
    }

    /// Writes into `out` the message `header` (its flags are set here, beside `extra_flags`)
    /// around the scoped PDU `scoped`, encrypted and signed as the level asks. `salt_counter`
    /// must change with every message.
    pub fn seal(
        &self,
        out: &mut Vec<u8>,
        header: Outgoing<'_>,
        extra_flags: u8,
        scoped: &[u8],
        salt_counter: u64,
        scratch: &mut Scratch,
    ) {
        let flags = self.flags() | extra_flags;
        let auth_len = self.auth.as_ref().map_or(0, |(protocol, _)| auth::mac_len(*protocol));
        let header = Outgoing { flags, auth_len, ..header };
        let auth_at = match &self.privacy {
            Some((protocol, key)) => {
                let salt = privacy::salt(*protocol, header.boots, salt_counter);
                // The key has the protocol's length: encryption cannot fail.
                let _ = privacy::encrypt(*protocol, key, header.boots, header.time, &salt, scoped, &mut scratch.sealed);
                message::write(out, &Outgoing { privacy: &salt, ..header }, &scratch.sealed)
            }
            None => message::write(out, &Outgoing { privacy: &[], ..header }, scoped),
        };
        if let Some((protocol, key)) = &self.auth {
            auth::sign(*protocol, key, out, auth_at);
        }
    }

    /// Whether `message` carries a valid MAC under this user's key, whatever its privacy (a
    /// notInTimeWindow report to an authPriv request comes authNoPriv).
    pub fn is_authentic(&self, packet: &[u8], message: &V3Message<'_>, scratch: &mut Scratch) -> bool {
        let Some((protocol, key)) = &self.auth else { return false };
        message.is_authenticated()
            && message.usm.auth.len() == auth::mac_len(*protocol)
            && auth::verify(*protocol, key, packet, message.auth_at, &mut scratch.copy)
    }

    /// Checks `message` (parsed from `packet`) against this user's level and keys and puts its
    /// plaintext scoped PDU in `plain`.
    pub fn open(
        &self,
        packet: &[u8],
        message: &V3Message<'_>,
        plain: &mut Vec<u8>,
        scratch: &mut Scratch,
    ) -> Result<(), OpenError> {
        let flags = message.flags & (FLAG_AUTH | FLAG_PRIV);
        if flags != self.flags() {
            return Err(OpenError::UnsupportedSecurityLevel);
        }
        if let Some((protocol, key)) = &self.auth {
            if message.usm.auth.len() != auth::mac_len(*protocol)
                || !auth::verify(*protocol, key, packet, message.auth_at, &mut scratch.copy)
            {
                return Err(OpenError::WrongDigest);
            }
        }
        match &self.privacy {
            Some((protocol, key)) => {
                let usm = &message.usm;
                privacy::decrypt(*protocol, key, usm.boots, usm.time, usm.privacy, message.data, plain)
                    .map_err(|_| OpenError::Decryption)?;
                // A wrong key decrypts into noise: noise is a decryption error, not a bad PDU.
                message::parse_scoped_pdu(plain).map_err(|_| OpenError::Decryption)?;
            }
            None => {
                plain.clear();
                plain.extend_from_slice(message.data);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::snmp::ber::{tag, Header};
    use crate::snmp::usm::message::{parse, parse_scoped_pdu, write_scoped_pdu, FLAG_REPORTABLE};

    pub(crate) fn credentials(level: SecurityLevel, auth: AuthProtocol, privacy: PrivProtocol) -> UsmCredentials {
        UsmCredentials {
            user: "alice".into(),
            level,
            auth_protocol: Some(auth),
            auth_password: Some(Secret::new("auth-password")),
            priv_protocol: Some(privacy),
            priv_password: Some(Secret::new("priv-password")),
            context_name: String::new(),
        }
    }

    /// The user of the net-snmp captures below: authPriv, SHA-256 + AES, both passwords "maplesyrup".
    fn alice() -> UsmCredentials {
        UsmCredentials {
            auth_password: Some(Secret::new("maplesyrup")),
            priv_password: Some(Secret::new("maplesyrup")),
            ..credentials(SecurityLevel::AuthPriv, AuthProtocol::Sha256, PrivProtocol::Aes)
        }
    }

    fn scoped() -> Vec<u8> {
        let header = Header { version: 3, community: b"", pdu_type: tag::GET, request_id: 9, field_a: 0, field_b: 0 };
        let mut out = Vec::new();
        write_scoped_pdu(&mut out, b"engine", b"", &header, &[]);
        out
    }

    fn header() -> Outgoing<'static> {
        Outgoing {
            msg_id: 5,
            flags: 0,
            engine_id: b"engine",
            boots: 2,
            time: 300,
            user: b"alice",
            auth_len: 0,
            privacy: b"",
        }
    }

    /// A GET of sysName.0 by net-snmp 5.9.3's snmpget and snmpd's Response, user "alice",
    /// SHA-256 + AES, passwords "maplesyrup", engine "maplesyrupengine" (captured on lo).
    const NET_SNMP_REQUEST: &str = "30819d0201033011020458956288020300ffe3040107020103044a3048041580001f88046d61706c657379727570656e67696e650201010201020405616c6963650418bde0ec58c51ae602113eac34363e9c3f618ff393e1494a7604086438ce79ccd701230439b2e1a0b7c106a5976720a6ac48f44d21cd43addf044fedb03840fd62a9b1fca27640ffc51fd7dbcc58c8f5ea7f7c96d7f73ae602ee90cfb808";
    const NET_SNMP_RESPONSE: &str = "30819f0201033011020458956288020300ffe3040103020103044a3048041580001f88046d61706c657379727570656e67696e650201010201020405616c69636504183bcf3e7b2fafb1c2e9a831989aff562175ca049148fd8f9d0408a1de22a687e8d0e5043b5618ef9c10231d73621fb0e4bfe85b335170fcd7f8caca5fbd1df1a0089c342f60e2c368a49357a7c1b87be21f8545569e1dfdea5e1ea276e7bc21";

    #[test]
    fn net_snmp_messages_verify_and_decrypt_with_our_keys() {
        let hex = crate::snmp::usm::keys::tests::hex;
        let alice = alice();
        let engine = hex("80001f88046d61706c657379727570656e67696e65");
        let keys = MasterKeys::new(&alice).localize(&engine);
        let (mut plain, mut scratch) = (Vec::new(), Scratch::default());
        for (packet, pdu_type) in [(hex(NET_SNMP_REQUEST), tag::GET), (hex(NET_SNMP_RESPONSE), tag::RESPONSE)] {
            let message = parse(&packet).unwrap();
            assert_eq!((message.usm.engine_id, message.usm.user), (&engine[..], &b"alice"[..]));
            keys.open(&packet, &message, &mut plain, &mut scratch).unwrap();
            let scoped = parse_scoped_pdu(&plain).unwrap();
            assert_eq!(scoped.pdu.pdu_type, pdu_type);
            let (oid, value) = scoped.pdu.varbinds.clone().next().unwrap().unwrap();
            assert_eq!(oid, [0x2b, 6, 1, 2, 1, 1, 5, 0], "sysName.0");
            if pdu_type == tag::RESPONSE {
                assert_eq!(value.contents, b"vm");
            }
        }
        // Sealed again by us with net-snmp's salt and time, the request is byte for byte net-snmp's.
        let request = hex(NET_SNMP_REQUEST);
        let message = parse(&request).unwrap();
        keys.open(&request, &message, &mut plain, &mut scratch).unwrap();
        let salt = u64::from_be_bytes(message.usm.privacy.try_into().unwrap());
        let header = Outgoing {
            msg_id: message.msg_id,
            flags: 0,
            engine_id: &engine,
            boots: message.usm.boots,
            time: message.usm.time,
            user: b"alice",
            auth_len: 0,
            privacy: b"",
        };
        let mut ours = Vec::new();
        keys.seal(&mut ours, header, FLAG_REPORTABLE, &plain, salt, &mut scratch);
        assert_eq!(ours, request);
    }

    #[test]
    fn damaged_messages_never_panic_and_never_open() {
        use rand::{Rng, SeedableRng};
        let hex = crate::snmp::usm::keys::tests::hex;
        let alice = alice();
        let keys = MasterKeys::new(&alice).localize(&hex("80001f88046d61706c657379727570656e67696e65"));
        let original = hex(NET_SNMP_RESPONSE);
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let (mut plain, mut scratch) = (Vec::new(), Scratch::default());
        for _ in 0..20_000 {
            let mut packet = original.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..packet.len());
                packet[at] = rng.random();
            }
            packet.truncate(rng.random_range(packet.len() / 2..=packet.len()));
            if let Ok(message) = parse(&packet) {
                if packet != original {
                    assert!(keys.open(&packet, &message, &mut plain, &mut scratch).is_err(), "{packet:02x?}");
                }
            }
        }
    }

    #[test]
    fn every_level_seals_and_opens_and_wrong_keys_are_told_apart() {
        let levels = [SecurityLevel::NoAuthNoPriv, SecurityLevel::AuthNoPriv, SecurityLevel::AuthPriv];
        for level in levels {
            for privacy in [PrivProtocol::Des, PrivProtocol::Aes, PrivProtocol::Aes256c] {
                let ours = MasterKeys::new(&credentials(level, AuthProtocol::Sha256, privacy)).localize(b"engine");
                let (mut packet, mut plain, mut scratch) = (Vec::new(), Vec::new(), Scratch::default());
                ours.seal(&mut packet, header(), FLAG_REPORTABLE, &scoped(), 1, &mut scratch);
                let message = parse(&packet).unwrap();
                assert_eq!(message.flags, ours.flags() | FLAG_REPORTABLE);
                ours.open(&packet, &message, &mut plain, &mut scratch).unwrap();
                assert_eq!(parse_scoped_pdu(&plain).unwrap().pdu.request_id, 9, "{level:?} {privacy:?}");
                if level == SecurityLevel::NoAuthNoPriv {
                    continue;
                }
                let mut wrong_auth = credentials(level, AuthProtocol::Sha256, privacy);
                wrong_auth.auth_password = Some(Secret::new("not-the-password"));
                let theirs = MasterKeys::new(&wrong_auth).localize(b"engine");
                assert_eq!(theirs.open(&packet, &message, &mut plain, &mut scratch), Err(OpenError::WrongDigest));
                let other_engine = MasterKeys::new(&credentials(level, AuthProtocol::Sha256, privacy)).localize(b"x");
                assert_eq!(other_engine.open(&packet, &message, &mut plain, &mut scratch), Err(OpenError::WrongDigest));
                if level == SecurityLevel::AuthPriv {
                    let mut wrong_priv = credentials(level, AuthProtocol::Sha256, privacy);
                    wrong_priv.priv_password = Some(Secret::new("not-the-password"));
                    let theirs = MasterKeys::new(&wrong_priv).localize(b"engine");
                    assert_eq!(theirs.open(&packet, &message, &mut plain, &mut scratch), Err(OpenError::Decryption));
                }
                let lower = MasterKeys::new(&credentials(SecurityLevel::NoAuthNoPriv, AuthProtocol::Md5, privacy));
                assert_eq!(
                    lower.localize(b"engine").open(&packet, &message, &mut plain, &mut scratch),
                    Err(OpenError::UnsupportedSecurityLevel)
                );
            }
        }
    }
}
