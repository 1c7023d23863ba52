//! Reports (RFC 3412 §7.1, RFC 3414 §3.2): the counters an engine names when it refuses a
//! message, and what each means to the sender.

/// usmStats (RFC 3414 §5): the refusal counters of USM, `.N.0` below this prefix.
pub const USM_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];
/// snmpUnknownContexts.0 and snmpUnavailableContexts.0 (RFC 3413 / SNMP-MPD-MIB).
const UNAVAILABLE_CONTEXTS: [u32; 10] = [1, 3, 6, 1, 6, 3, 12, 1, 4, 0];
const UNKNOWN_CONTEXTS: [u32; 10] = [1, 3, 6, 1, 6, 3, 12, 1, 5, 0];

/// Why an engine refused a message, as its Report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnsupportedSecurityLevel,
    NotInTimeWindow,
    UnknownUserName,
    UnknownEngineId,
    WrongDigest,
    DecryptionError,
    UnknownContext,
    /// Any other counter, by its OID.
    Other(String),
}

impl Refusal {
    /// The usmStats counter's last-but-one arc, as an agent reports it.
    pub fn usm_stats_arc(&self) -> Option<u32> {
        Some(match self {
            Refusal::UnsupportedSecurityLevel => 1,
            Refusal::NotInTimeWindow => 2,
            Refusal::UnknownUserName => 3,
            Refusal::UnknownEngineId => 4,
            Refusal::WrongDigest => 5,
            Refusal::DecryptionError => 6,
            _ => return None,
        })
    }

    /// What a Report's first varbind OID says.
    pub fn from_oid(oid: &[u32]) -> Refusal {
        if oid.len() == USM_STATS.len() + 2 && oid.starts_with(&USM_STATS) && oid[oid.len() - 1] == 0 {
            match oid[USM_STATS.len()] {
                1 => return Refusal::UnsupportedSecurityLevel,
                2 => return Refusal::NotInTimeWindow,
                3 => return Refusal::UnknownUserName,
                4 => return Refusal::UnknownEngineId,
                5 => return Refusal::WrongDigest,
                6 => return Refusal::DecryptionError,
                _ => {}
            }
        }
        if oid == UNKNOWN_CONTEXTS || oid == UNAVAILABLE_CONTEXTS {
            return Refusal::UnknownContext;
        }
        Refusal::Other(oid.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
    }

    /// The counter's OID, for an agent to name it.
    pub fn oid(&self) -> Vec<u32> {
        let mut oid = USM_STATS.to_vec();
        oid.extend([self.usm_stats_arc().unwrap_or(0), 0]);
        oid
    }
}

/// Writes into `scoped` the scoped PDU of a Report of `refusal` from the agent `engine_id`, in
/// answer to `message`: one varbind, the refusal's usmStats counter at 1, and the request's id
/// when it can be read (0 when the request is encrypted, since a refused request is not
/// decrypted). Both authoritative sides send these: the trap receiver and the simulator.
pub fn write_report(
    scoped: &mut Vec<u8>,
    engine_id: &[u8],
    message: &super::message::V3Message<'_>,
    refusal: &Refusal,
) {
    use super::message as v3;
    use crate::snmp::ber::{self, tag, Header};
    let request_id = match message.is_encrypted() {
        true => 0,
        false => v3::parse_scoped_pdu(message.data).map_or(0, |scoped| scoped.pdu.request_id),
    };
    let (mut oid, mut oid_tlv, mut value_tlv, mut varbinds) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    ber::encode_oid_contents(&refusal.oid(), &mut oid);
    ber::write_bytes(&mut oid_tlv, tag::OID, &oid);
    ber::write_unsigned(&mut value_tlv, tag::COUNTER32, 1);
    ber::write_varbind(&mut varbinds, &oid_tlv, &value_tlv);
    let header =
        Header { version: v3::VERSION_3, community: b"", pdu_type: tag::REPORT, request_id, field_a: 0, field_b: 0 };
    scoped.clear();
    v3::write_scoped_pdu(scoped, engine_id, b"", &header, &varbinds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_oids_round_trip_and_others_are_named() {
        for refusal in [Refusal::UnknownUserName, Refusal::WrongDigest, Refusal::NotInTimeWindow] {
            assert_eq!(Refusal::from_oid(&refusal.oid()), refusal);
        }
        assert_eq!(Refusal::from_oid(&UNKNOWN_CONTEXTS), Refusal::UnknownContext);
        assert_eq!(Refusal::from_oid(&[1, 3, 6, 1, 9]), Refusal::Other("1.3.6.1.9".into()));
        assert_eq!(Refusal::from_oid(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 4]), Refusal::Other("1.3.6.1.6.3.15.1.1.4".into()));
    }
}
