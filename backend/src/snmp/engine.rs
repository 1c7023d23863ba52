//! The agent's SNMPv3 engine as a client session knows it: its engine ID (discovered with an
//! empty-user probe), its boots and time (kept in step from authenticated replies and from
//! notInTimeWindow reports), and the user's keys localised to it — computed once per engine,
//! from master keys computed once per password in the process. Turns a PDU into a sealed
//! message and a received message into its plaintext scoped PDU, or into a clear refusal.

use tokio::time::Instant;

use super::ber::{tag, Header};
use super::usm::message::{self, Outgoing, V3Message, FLAG_REPORTABLE};
use super::usm::report::Refusal;
use super::usm::user::{MasterKeys, Scratch};
use super::usm::{OpenError, UserKeys, UsmCredentials};

/// What the session knows of the agent's engine once discovered.
struct Known {
    keys: UserKeys,
    boots: u32,
    time: u32,
    /// When `time` was the engine's time.
    synced_at: Instant,
}

/// What a received message turned out to be.
pub(super) enum Opened {
    /// A Response, whose scoped PDU is now in the `plain` buffer.
    Response,
    /// A Report: the engine refused the request.
    Report(Refusal),
    /// A message that fails this user's checks (digest, decryption, security level).
    Refused(OpenError),
}

pub(super) struct Engine {
    master: MasterKeys,
    context_name: Vec<u8>,
    known: Option<Known>,
    salt_counter: u64,
    scoped: Vec<u8>,
    scratch: Scratch,
}

impl Engine {
    pub fn new(credentials: &UsmCredentials) -> Engine {
        Engine {
            master: MasterKeys::new(credentials),
            context_name: credentials.context_name.as_bytes().to_vec(),
            known: None,
            salt_counter: rand::random(),
            scoped: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    pub fn user(&self) -> String {
        String::from_utf8_lossy(self.master.user()).into_owned()
    }

    pub fn level(&self) -> super::usm::SecurityLevel {
        self.master.level()
    }

    pub fn is_discovered(&self) -> bool {
        self.known.is_some()
    }

    /// Forgets the engine: the next exchange discovers it again.
    pub fn forget(&mut self) {
        self.known = None;
    }

    /// Writes the discovery probe: a reportable GET without varbinds, from no user, to no engine.
    pub fn write_discovery(&mut self, out: &mut Vec<u8>, msg_id: i32) {
        let header = pdu_header(tag::GET, msg_id);
        self.scoped.clear();
        message::write_scoped_pdu(&mut self.scoped, b"", b"", &header, &[]);
        let outgoing = outgoing(msg_id, b"", 0, 0, b"");
        message::write(out, &Outgoing { flags: FLAG_REPORTABLE, ..outgoing }, &self.scoped);
    }

    /// Learns the engine from the reply to the discovery probe: its ID, boots and time.
    pub fn discovered(&mut self, reply: &V3Message<'_>) -> bool {
        if reply.usm.engine_id.is_empty() || reply.usm.engine_id.len() > 32 {
            return false;
        }
        let keys = self.master.localize(reply.usm.engine_id);
        let usm = &reply.usm;
        self.known = Some(Known { keys, boots: usm.boots, time: usm.time, synced_at: Instant::now() });
        true
    }

    /// Takes the boots and time of an authenticated message as the engine's.
    fn sync(&mut self, boots: u32, time: u32) {
        if let Some(known) = &mut self.known {
            (known.boots, known.time, known.synced_at) = (boots, time, Instant::now());
        }
    }

    /// Writes `pdu` around `varbinds` as a sealed request to the known engine; without
    /// encryption if `privacy` is false, whatever the level.
    pub fn write_request(
        &mut self,
        out: &mut Vec<u8>,
        pdu_type: u8,
        msg_id: i32,
        fields: (i64, i64),
        varbinds: &[u8],
        privacy: bool,
    ) {
        let Some(known) = &self.known else { return };
        let header = Header { field_a: fields.0, field_b: fields.1, ..pdu_header(pdu_type, msg_id) };
        self.scoped.clear();
        message::write_scoped_pdu(&mut self.scoped, &known.keys.engine_id, &self.context_name, &header, varbinds);
        let elapsed = u32::try_from(known.synced_at.elapsed().as_secs()).unwrap_or(u32::MAX);
        let time = known.time.saturating_add(elapsed).min(i32::MAX as u32);
        let outgoing = outgoing(msg_id, &known.keys.engine_id, known.boots, time, self.master.user());
        self.salt_counter = self.salt_counter.wrapping_add(1);
        let keys = if privacy { known.keys.clone() } else { known.keys.without_privacy() };
        keys.seal(out, outgoing, FLAG_REPORTABLE, &self.scoped, self.salt_counter, &mut self.scratch);
    }

    /// Whether `reply` is authenticated with this user's key (whatever its privacy).
    pub fn is_authentic(&mut self, packet: &[u8], reply: &V3Message<'_>) -> bool {
        self.known.as_ref().is_some_and(|known| known.keys.is_authentic(packet, reply, &mut self.scratch))
    }

    /// Opens a reply to a request: a Report is read whatever its security (engines send the
    /// refusals of authentication unauthenticated); a Response must pass this user's checks.
    /// An authenticated notInTimeWindow report resynchronises the engine's boots and time.
    pub fn open(&mut self, packet: &[u8], reply: &V3Message<'_>, plain: &mut Vec<u8>) -> Opened {
        let Some(known) = &self.known else { return Opened::Refused(OpenError::UnsupportedSecurityLevel) };
        let verified = known.keys.open(packet, reply, plain, &mut self.scratch);
        let pdu = match (&verified, reply.is_encrypted()) {
            (Ok(()), _) => message::parse_scoped_pdu(plain).ok().map(|scoped| scoped.pdu),
            // An unverified plaintext message: readable, and acted upon only if a Report.
            (Err(_), false) => message::parse_scoped_pdu(reply.data).ok().map(|scoped| scoped.pdu),
            (Err(_), true) => None,
        };
        let Some(pdu) = pdu else {
            return Opened::Refused(verified.err().unwrap_or(OpenError::Decryption));
        };
        if pdu.pdu_type == tag::REPORT {
            let refusal =
                message::report_oid(&pdu).map_or(Refusal::Other("(none)".into()), |oid| Refusal::from_oid(&oid));
            if refusal == Refusal::NotInTimeWindow && known.keys.is_authentic(packet, reply, &mut self.scratch) {
                self.sync(reply.usm.boots, reply.usm.time);
            }
            return Opened::Report(refusal);
        }
        match verified {
            Ok(()) => {
                if reply.is_authenticated() {
                    self.sync(reply.usm.boots, reply.usm.time);
                }
                Opened::Response
            }
            Err(error) => Opened::Refused(error),
        }
    }
}

fn pdu_header(pdu_type: u8, msg_id: i32) -> Header<'static> {
    Header { version: 3, community: b"", pdu_type, request_id: i64::from(msg_id), field_a: 0, field_b: 0 }
}

fn outgoing<'a>(msg_id: i32, engine_id: &'a [u8], boots: u32, time: u32, user: &'a [u8]) -> Outgoing<'a> {
    Outgoing { msg_id: i64::from(msg_id), flags: 0, engine_id, boots, time, user, auth_len: 0, privacy: b"" }
}
