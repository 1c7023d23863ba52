//! The authoritative side of USM for a simulated SNMPv3 agent: its engine ID, boots and time,
//! its one user's keys, and the checks of RFC 3414 §3.2 in order, each refusal answered with
//! its Report (unknownEngineIDs answers discovery). Sealing, opening and the codec are
//! [`crate::snmp::usm`]'s, the same code the client uses; the PDU itself is answered by
//! [`super::responder`].

use super::model::{AgentModel, Moment};
use super::responder::{self, Answered, Dropped, Scratch};
use crate::snmp::ber::{tag, Header};
use crate::snmp::usm::message::{self as v3, Outgoing, V3Message, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE};
use crate::snmp::usm::report::{self, Refusal};
use crate::snmp::usm::user::{self, MasterKeys};
use crate::snmp::usm::{UserKeys, UsmCredentials};

/// How far (seconds) a request's engine time may be from ours (RFC 3414 §3.2.7).
const TIME_WINDOW_SECS: u32 = 150;

/// One agent's engine and user.
pub struct Authority {
    engine_id: Vec<u8>,
    user: Vec<u8>,
    keys: UserKeys,
    /// The same engine without keys, for the reports sent noAuthNoPriv.
    anonymous: UserKeys,
}

/// Buffers an SNMPv3 agent reuses from one request to the next.
#[derive(Default)]
pub struct V3Scratch {
    plain: Vec<u8>,
    scoped: Vec<u8>,
    usm: user::Scratch,
    salt: u64,
}

impl Authority {
    /// The engine of agent `name`: an enterprise-format engine ID (RFC 3411, net-snmp's
    /// enterprise number, text format) made of the name, and the user's keys localised to it.
    pub fn new(credentials: &UsmCredentials, name: &str) -> Authority {
        let mut engine_id = vec![0x80, 0x00, 0x1f, 0x88, 0x04];
        engine_id.extend(name.bytes().take(27));
        let keys = MasterKeys::new(credentials).localize(&engine_id);
        let nobody = UsmCredentials {
            level: crate::snmp::SecurityLevel::NoAuthNoPriv,
            auth_protocol: None,
            auth_password: None,
            priv_protocol: None,
            priv_password: None,
            ..credentials.clone()
        };
        let anonymous = MasterKeys::new(&nobody).localize(&engine_id);
        Authority { engine_id, user: credentials.user.as_bytes().to_vec(), keys, anonymous }
    }
}

/// Answers an SNMPv3 request `packet` into `reply`, or the Report of why it is refused.
pub fn respond(
    model: &AgentModel,
    authority: &Authority,
    packet: &[u8],
    at: &Moment,
    scratch: &mut Scratch,
    reply: &mut Vec<u8>,
) -> Result<Answered, Dropped> {
    let message = v3::parse(packet)?;
    let (boots, time) = model.engine_boots_and_time(at);
    let engine = Engine { authority, boots, time };
    let flags = message.flags & (FLAG_AUTH | FLAG_PRIV);
    let refusal = if message.usm.engine_id != authority.engine_id.as_slice() {
        Some(Refusal::UnknownEngineId)
    } else if message.usm.user != authority.user.as_slice() {
        Some(Refusal::UnknownUserName)
    } else if flags != authority.keys.flags() {
        Some(Refusal::UnsupportedSecurityLevel)
    } else if flags & FLAG_AUTH != 0 && !authority.keys.is_authentic(packet, &message, &mut scratch.v3.usm) {
        Some(Refusal::WrongDigest)
    } else if flags & FLAG_AUTH != 0 && !in_time_window(&message, boots, time) {
        Some(Refusal::NotInTimeWindow)
    } else {
        let mut plain = std::mem::take(&mut scratch.v3.plain);
        let opened = authority.keys.open(packet, &message, &mut plain, &mut scratch.v3.usm);
        let answered = match opened {
            Ok(()) => Some(engine.answer(model, &message, &plain, at, scratch, reply)),
            Err(_) => None,
        };
        scratch.v3.plain = plain;
        match answered {
            Some(answered) => return answered,
            None => Some(Refusal::DecryptionError),
        }
    };
    match refusal {
        Some(refusal) if message.flags & FLAG_REPORTABLE != 0 => Ok(engine.report(&message, refusal, scratch, reply)),
        _ => Err(Dropped::Refused),
    }
}

fn in_time_window(message: &V3Message<'_>, boots: u32, time: u32) -> bool {
    message.usm.boots == boots && message.usm.time.abs_diff(time) <= TIME_WINDOW_SECS
}

/// The engine at the moment of one request.
struct Engine<'a> {
    authority: &'a Authority,
    boots: u32,
    time: u32,
}

impl Engine<'_> {
    /// Answers the plaintext scoped PDU `plain` with a sealed Response.
    fn answer(
        &self,
        model: &AgentModel,
        message: &V3Message<'_>,
        plain: &[u8],
        at: &Moment,
        scratch: &mut Scratch,
        reply: &mut Vec<u8>,
    ) -> Result<Answered, Dropped> {
        let scoped = v3::parse_scoped_pdu(plain)?;
        let mut header = Header {
            version: v3::VERSION_3,
            community: b"",
            pdu_type: tag::RESPONSE,
            request_id: scoped.pdu.request_id,
            field_a: 0,
            field_b: 0,
        };
        let answered = responder::answer(model, plain, &scoped.pdu, at, scratch, &mut header)?;
        let Scratch { varbinds, v3: usm, .. } = scratch;
        usm.scoped.clear();
        v3::write_scoped_pdu(&mut usm.scoped, &self.authority.engine_id, scoped.context_name, &header, varbinds);
        usm.salt = usm.salt.wrapping_add(1);
        let outgoing = self.outgoing(message.msg_id);
        self.authority.keys.seal(reply, outgoing, 0, &usm.scoped, usm.salt, &mut usm.usm);
        Ok(answered)
    }

    /// Writes the Report of `refusal`: authenticated for notInTimeWindow (so that the sender
    /// may trust our boots and time), unauthenticated otherwise.
    fn report(
        &self,
        message: &V3Message<'_>,
        refusal: Refusal,
        scratch: &mut Scratch,
        reply: &mut Vec<u8>,
    ) -> Answered {
        let usm = &mut scratch.v3;
        report::write_report(&mut usm.scoped, &self.authority.engine_id, message, &refusal);
        let keys = match refusal {
            Refusal::NotInTimeWindow => self.authority.keys.without_privacy(),
            _ => self.authority.anonymous.clone(),
        };
        let outgoing = self.outgoing(message.msg_id);
        let outgoing = Outgoing {
            user: if refusal == Refusal::NotInTimeWindow { outgoing.user } else { message.usm.user },
            ..outgoing
        };
        keys.seal(reply, outgoing, 0, &usm.scoped, 0, &mut usm.usm);
        Answered { varbinds: 1 }
    }

    fn outgoing(&self, msg_id: i64) -> Outgoing<'_> {
        Outgoing {
            msg_id,
            flags: 0,
            engine_id: &self.authority.engine_id,
            boots: self.boots,
            time: self.time,
            user: &self.authority.user,
            auth_len: 0,
            privacy: b"",
        }
    }
}
