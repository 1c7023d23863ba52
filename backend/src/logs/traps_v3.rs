//! SNMPv3 traps and INFORMs (RFC 3414 with [`crate::snmp::usm`], the code the poller uses):
//! only for the users configured in Vigie (`[[trap_users]]`), authenticated and, at authPriv,
//! decrypted. A trap's keys are localised to its sender's engine ID (the sender is
//! authoritative); an INFORM's to Vigie's own engine, which senders discover first (answered
//! with an unknownEngineIDs report) and whose time window is checked. Anything else — an
//! unknown user, a wrong digest, a message that does not decrypt, an unauthenticated trap — is
//! refused: counted by the caller and dropped, never logged as a trap.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use super::trap_users::TrapUser;
use super::traps::{self, Trap};
use crate::snmp::ber::{tag, BerError, Header};
use crate::snmp::usm::message::{self as v3, Outgoing, V3Message, FLAG_AUTH, FLAG_REPORTABLE};
use crate::snmp::usm::report::{self, Refusal};
use crate::snmp::usm::user::{MasterKeys, Scratch};
use crate::snmp::usm::UserKeys;
use crate::store::snmp_engine::LocalEngine;

/// How far (seconds) an INFORM's engine time may be from Vigie's (RFC 3414 §3.2.7).
const TIME_WINDOW_SECS: u32 = 150;
/// Keys localised to senders' engines kept at most (one per user and sender); past it the
/// cache starts again.
const MAX_LOCALISED_KEYS: usize = 8_192;

/// Keys localised to an engine, by user name and engine ID.
type LocalisedKeys = HashMap<(Vec<u8>, Vec<u8>), UserKeys>;

/// SNMPv3 traps and INFORMs refused, by reason (shown in `/status`).
#[derive(Default, Debug)]
pub struct RefusedCounters {
    /// From a user Vigie does not know.
    pub unknown_user: std::sync::atomic::AtomicU64,
    /// Not authenticated, with a wrong digest, not decryptable, or outside the time window.
    pub not_authentic: std::sync::atomic::AtomicU64,
}

impl RefusedCounters {
    pub fn count(&self, refusal: &Refusal) {
        let counter = match refusal {
            Refusal::UnknownUserName => &self.unknown_user,
            _ => &self.not_authentic,
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What became of an SNMPv3 datagram.
#[derive(Debug)]
pub enum Received {
    /// A trap or INFORM of a known user (an INFORM carries its Response in `trap.response`).
    Trap(Trap),
    /// Not a trap, but an answer to send: a discovery or time-window Report.
    Answer(Vec<u8>),
    /// Refused for this reason (unknownUserNames, wrongDigests, ...), to be counted and dropped.
    Refused(Refusal),
}

/// The receiving side of USM for traps and INFORMs.
pub struct V3Receiver {
    engine: LocalEngine,
    started: Instant,
    users: RwLock<HashMap<Vec<u8>, MasterKeys>>,
    localised: Mutex<LocalisedKeys>,
    scratch: Mutex<Scratch>,
}

impl V3Receiver {
    /// A receiver for Vigie's engine `engine`, accepting `users`.
    pub fn new(engine: LocalEngine, users: &[TrapUser]) -> V3Receiver {
        let receiver = V3Receiver {
            engine,
            started: Instant::now(),
            users: RwLock::default(),
            localised: Mutex::default(),
            scratch: Mutex::default(),
        };
        receiver.set_users(users);
        receiver
    }

    /// Vigie's engine ID, as INFORM senders must know it.
    pub fn engine_id(&self) -> &[u8] {
        &self.engine.engine_id
    }

    /// Replaces the users (their master keys are hashed here, once per password).
    pub fn set_users(&self, users: &[TrapUser]) {
        let keys = users.iter().map(|u| (u.user.as_bytes().to_vec(), MasterKeys::new(&u.credentials()))).collect();
        *self.users.write().unwrap_or_else(|e| e.into_inner()) = keys;
        self.localised.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn boots_and_time(&self) -> (u32, u32) {
        (self.engine.boots, u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX).min(i32::MAX as u32))
    }

    /// The keys of `user` localised to `engine_id`, if the user is known.
    fn keys(&self, user: &[u8], engine_id: &[u8]) -> Option<UserKeys> {
        let key = (user.to_vec(), engine_id.to_vec());
        let mut cache = self.localised.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(keys) = cache.get(&key) {
            return Some(keys.clone());
        }
        let keys = self.users.read().unwrap_or_else(|e| e.into_inner()).get(user)?.localize(engine_id);
        if cache.len() >= MAX_LOCALISED_KEYS {
            cache.clear();
        }
        cache.insert(key, keys.clone());
        Some(keys)
    }

    /// Reads an SNMPv3 datagram.
    pub fn receive(&self, packet: &[u8]) -> Result<Received, BerError> {
        let message = v3::parse(packet)?;
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let (boots, time) = self.boots_and_time();
        let ours = message.usm.engine_id == self.engine.engine_id.as_slice();
        // Discovery of Vigie's engine by an INFORM sender.
        if message.usm.engine_id.is_empty() && message.flags & FLAG_REPORTABLE != 0 {
            return Ok(Received::Answer(self.report(&message, Refusal::UnknownEngineId, None, &mut scratch)));
        }
        let Some(keys) = self.keys(message.usm.user, message.usm.engine_id) else {
            return Ok(Received::Refused(Refusal::UnknownUserName));
        };
        if message.flags & FLAG_AUTH == 0 {
            return Ok(Received::Refused(Refusal::UnsupportedSecurityLevel));
        }
        let mut plain = Vec::new();
        if let Err(error) = keys.open(packet, &message, &mut plain, &mut scratch) {
            return Ok(Received::Refused(match error {
                crate::snmp::usm::OpenError::UnsupportedSecurityLevel => Refusal::UnsupportedSecurityLevel,
                crate::snmp::usm::OpenError::WrongDigest => Refusal::WrongDigest,
                crate::snmp::usm::OpenError::Decryption => Refusal::DecryptionError,
            }));
        }
        let scoped = v3::parse_scoped_pdu(&plain)?;
        let pdu = scoped.pdu;
        match pdu.pdu_type {
            tag::TRAP_V2 => Ok(traps::from_varbinds(pdu.varbinds, None)
                .map_or(Received::Refused(Refusal::Other("no snmpTrapOID".into())), Received::Trap)),
            tag::INFORM if !ours => {
                Ok(Received::Answer(self.report(&message, Refusal::UnknownEngineId, None, &mut scratch)))
            }
            tag::INFORM if message.usm.boots != boots || message.usm.time.abs_diff(time) > TIME_WINDOW_SECS => {
                Ok(Received::Answer(self.report(&message, Refusal::NotInTimeWindow, Some(&keys), &mut scratch)))
            }
            tag::INFORM => {
                let header = Header {
                    version: v3::VERSION_3,
                    community: b"",
                    pdu_type: tag::RESPONSE,
                    request_id: pdu.request_id,
                    field_a: 0,
                    field_b: 0,
                };
                let mut response_scoped = Vec::new();
                v3::write_scoped_pdu(
                    &mut response_scoped,
                    scoped.context_engine_id,
                    scoped.context_name,
                    &header,
                    pdu.varbinds.remaining(),
                );
                let mut response = Vec::new();
                let outgoing = self.outgoing(&message, boots, time);
                keys.seal(&mut response, outgoing, 0, &response_scoped, rand::random(), &mut scratch);
                Ok(traps::from_varbinds(pdu.varbinds, Some(response))
                    .map_or(Received::Refused(Refusal::Other("no snmpTrapOID".into())), Received::Trap))
            }
            other => Err(BerError::UnexpectedTag { found: other, at: 0 }),
        }
    }

    fn outgoing<'m>(&'m self, message: &V3Message<'m>, boots: u32, time: u32) -> Outgoing<'m> {
        Outgoing {
            msg_id: message.msg_id,
            flags: 0,
            engine_id: &self.engine.engine_id,
            boots,
            time,
            user: message.usm.user,
            auth_len: 0,
            privacy: b"",
        }
    }

    /// A Report of `refusal` from Vigie's engine: authenticated with `keys` (without privacy)
    /// when given, as a notInTimeWindow report must be.
    fn report(
        &self,
        message: &V3Message<'_>,
        refusal: Refusal,
        keys: Option<&UserKeys>,
        scratch: &mut Scratch,
    ) -> Vec<u8> {
        let (boots, time) = self.boots_and_time();
        let mut scoped = Vec::new();
        report::write_report(&mut scoped, &self.engine.engine_id, message, &refusal);
        let mut out = Vec::new();
        let outgoing = self.outgoing(message, boots, time);
        match keys {
            Some(keys) => keys.without_privacy().seal(&mut out, outgoing, 0, &scoped, 0, scratch),
            None => {
                v3::write(&mut out, &Outgoing { user: b"", ..outgoing }, &scoped);
            }
        }
        out
    }
}
