//! The SNMPv3 side of a [`Transport`] exchange: discovery, the sealed request, the reply
//! opened, one resynchronisation and one rediscovery, and each refusal as its own
//! [`SnmpError`].

use super::{Reply, Transport};
use crate::snmp::ber::{tag, BerError};
use crate::snmp::engine::{Engine, Opened};
use crate::snmp::usm::message as v3;
use crate::snmp::usm::report::Refusal;
use crate::snmp::usm::{OpenError, SecurityLevel};
use crate::snmp::SnmpError;

impl Transport {
    /// An SNMPv3 exchange: discovery first if needed, then the request, resynchronised once
    /// and rediscovered once if the engine asks.
    pub(super) async fn exchange_v3(&mut self, pdu_type: u8, fields: (i64, i64)) -> Result<Reply<'_>, SnmpError> {
        let (mut resynced, mut rediscovered) = (false, false);
        loop {
            if !self.engine.as_ref().is_some_and(|e| e.is_discovered()) {
                self.discover().await?;
            }
            self.next_request_id();
            let Some(engine) = self.engine.as_mut() else { return Err(self.no_engine()) };
            engine.write_request(&mut self.request, pdu_type, self.request_id, fields, &self.varbinds, true);
            if let Err(error) = self.await_reply().await {
                return Err(self.diagnose_silence(error).await);
            }
            let message = v3::parse(&self.reply).map_err(|e| self.undecodable(e))?;
            let Some(engine) = self.engine.as_mut() else { return Err(self.no_engine()) };
            match engine.open(&self.reply, &message, &mut self.plain) {
                Opened::Response => break,
                Opened::Report(Refusal::NotInTimeWindow) if !resynced => resynced = true,
                Opened::Report(Refusal::UnknownEngineId) if !rediscovered => {
                    engine.forget();
                    rediscovered = true;
                }
                Opened::Report(refusal) => return Err(self.refused(refusal)),
                Opened::Refused(error) => return Err(self.reply_refused(error)),
            }
        }
        let target = self.target;
        let scoped = v3::parse_scoped_pdu(&self.plain).map_err(|e| SnmpError::undecodable(target, e))?;
        if scoped.pdu.pdu_type != tag::RESPONSE {
            return Err(SnmpError::undecodable(target, BerError::UnexpectedTag { found: scoped.pdu.pdu_type, at: 0 }));
        }
        let pdu = scoped.pdu;
        Ok(Reply { error_status: pdu.field_a, error_index: pdu.field_b, varbinds: pdu.varbinds })
    }

    /// net-snmp drops a request it cannot decrypt without a word (a wrong key decrypts to
    /// noise, not to a decryption error). If an authPriv request went unanswered, ask once the
    /// same way without privacy: an authenticated answer means the agent is there, knows the
    /// user and the auth key, and could not read the encrypted request.
    async fn diagnose_silence(&mut self, error: SnmpError) -> SnmpError {
        let authpriv = self.engine.as_ref().is_some_and(|e| e.level() == SecurityLevel::AuthPriv);
        if !authpriv || !matches!(error, SnmpError::Timeout { .. }) {
            return error;
        }
        self.next_request_id();
        let Some(engine) = self.engine.as_mut() else { return error };
        engine.write_request(&mut self.request, tag::GET, self.request_id, (0, 0), &[], false);
        let retries = std::mem::replace(&mut self.retries, 0);
        let answered = self.await_reply().await.is_ok();
        self.retries = retries;
        let reply = if answered { v3::parse(&self.reply).ok() } else { None };
        let Some((reply, engine)) = reply.zip(self.engine.as_mut()) else { return error };
        match engine.is_authentic(&self.reply, &reply) {
            true => SnmpError::DecryptionError { target: self.target, user: engine.user() },
            false => error,
        }
    }

    /// Learns the agent's engine ID, boots and time from its answer to an empty probe.
    async fn discover(&mut self) -> Result<(), SnmpError> {
        self.next_request_id();
        let Some(engine) = self.engine.as_mut() else { return Ok(()) };
        engine.write_discovery(&mut self.request, self.request_id);
        self.await_reply().await?;
        let message = v3::parse(&self.reply).map_err(|e| self.undecodable(e))?;
        let Some(engine) = self.engine.as_mut() else { return Ok(()) };
        if engine.discovered(&message) {
            Ok(())
        } else {
            Err(SnmpError::protocol(self.target, "the answer to SNMPv3 discovery carries no engine ID".into()))
        }
    }

    /// Never met: SNMPv3 exchanges run only on transports that have an engine.
    fn no_engine(&self) -> SnmpError {
        SnmpError::protocol(self.target, "an SNMPv3 exchange without an SNMPv3 user".into())
    }

    /// The error for a Report refusing our request.
    fn refused(&self, refusal: Refusal) -> SnmpError {
        let (target, engine) = (self.target, self.engine.as_deref());
        let user = engine.map(Engine::user).unwrap_or_default();
        match refusal {
            Refusal::UnknownUserName => SnmpError::UnknownUser { target, user },
            Refusal::WrongDigest => SnmpError::WrongDigest { target, user },
            Refusal::DecryptionError => SnmpError::DecryptionError { target, user },
            Refusal::UnsupportedSecurityLevel => {
                let level = engine.map(|e| format!("{:?}", e.level())).unwrap_or_default();
                SnmpError::UnsupportedSecurityLevel { target, user, level: lower_first(&level) }
            }
            Refusal::NotInTimeWindow => SnmpError::NotInTimeWindow { target },
            Refusal::UnknownEngineId => SnmpError::UnknownEngineId { target },
            Refusal::UnknownContext => SnmpError::UnknownContext { target },
            Refusal::Other(oid) => SnmpError::Report { target, oid },
        }
    }

    /// The error for a reply that fails our own checks.
    fn reply_refused(&self, error: OpenError) -> SnmpError {
        let target = self.target;
        let user = self.engine.as_deref().map(Engine::user).unwrap_or_default();
        match error {
            OpenError::WrongDigest => SnmpError::WrongDigest { target, user },
            OpenError::Decryption => SnmpError::DecryptionError { target, user },
            OpenError::UnsupportedSecurityLevel => SnmpError::protocol(
                target,
                format!("a reply for user {user} at another security level than the request's"),
            ),
        }
    }
}

/// "AuthPriv" as "authPriv".
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}
