//! Why an SNMP exchange failed, in words a network admin understands.

use std::net::SocketAddr;

use super::ber::BerError;
use super::Oid;

/// Why an SNMP exchange failed, in words a network admin understands.
#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error("no SNMP answer from {target} within {after_ms} ms ({attempts} attempts of {timeout_ms} ms): the agent is unreachable, or ignores this community or SNMP version")]
    Timeout { target: SocketAddr, after_ms: u64, attempts: u32, timeout_ms: u64 },
    #[error("cannot resolve host {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("network error talking to {target}: {reason}")]
    Network { target: SocketAddr, reason: String },
    #[error("{target} sent an answer Vigie cannot use: {reason}")]
    Protocol { target: SocketAddr, reason: String },
    #[error("{target} has no object {oid}")]
    NoSuchObject { target: SocketAddr, oid: Oid },
    #[error("{target} refused SNMP: nothing listens on that port (ICMP port unreachable)")]
    Refused { target: SocketAddr },
    #[error("{target} answered {replies} time(s), always with another request id than asked: a broken agent, or something between that mixes up replies")]
    WrongRequestId { target: SocketAddr, replies: u32 },
    #[error("{target} answered OID {oid} after {previous}: OID not increasing, so the walk stops")]
    NotIncreasing { target: SocketAddr, oid: Oid, previous: Oid },
    #[error("{target} sent more than {limit} rows for column {column}{}: the walk stops", hint_note(*if_number))]
    TooManyRows { target: SocketAddr, column: Oid, limit: usize, if_number: Option<u32> },
    #[error("no SNMP answer from {target} before the poll's deadline (most of the poll interval): the agent is unreachable or too slow for the interval, or ignores this community or SNMP version")]
    PollDeadline { target: SocketAddr },
    #[error("{target} sent more than {limit} {what} in one poll: the poll stops")]
    OverBudget { target: SocketAddr, what: &'static str, limit: u64 },
    #[error("{target} does not know the SNMPv3 user \"{user}\" (usmStatsUnknownUserNames): check the user name, or create the user on the device")]
    UnknownUser { target: SocketAddr, user: String },
    #[error("{target} refused the authentication of SNMPv3 user \"{user}\" (usmStatsWrongDigests): wrong auth password? (or wrong auth protocol)")]
    WrongDigest { target: SocketAddr, user: String },
    #[error("{target} could not decrypt the request of SNMPv3 user \"{user}\" (it answers the user without privacy but not with it, or reports usmStatsDecryptionErrors): wrong priv password? (or wrong priv protocol)")]
    DecryptionError { target: SocketAddr, user: String },
    #[error("{target} does not support security level {level} for SNMPv3 user \"{user}\" (usmStatsUnsupportedSecLevels): the user is set up on the device without that authentication or privacy")]
    UnsupportedSecurityLevel { target: SocketAddr, user: String, level: String },
    #[error("{target} still finds the request outside its time window after resynchronising (usmStatsNotInTimeWindows): the agent's engine boots or time keep changing")]
    NotInTimeWindow { target: SocketAddr },
    #[error(
        "{target} does not know the engine ID it was just told (usmStatsUnknownEngineIDs), even after rediscovery"
    )]
    UnknownEngineId { target: SocketAddr },
    #[error("{target} does not know the SNMPv3 context asked for (snmpUnknownContexts): check the context name")]
    UnknownContext { target: SocketAddr },
    #[error("{target} refused the request with a Report of {oid}")]
    Report { target: SocketAddr, oid: String },
    #[error("{target} answered authorizationError: the user or community may not read these objects at this security level (check the agent's access rules, e.g. rouser ... priv)")]
    NotAuthorized { target: SocketAddr },
}

fn hint_note(if_number: Option<u32>) -> String {
    if_number.map(|n| format!(" (ifNumber says {n})")).unwrap_or_default()
}

impl SnmpError {
    pub(super) fn protocol(target: SocketAddr, reason: String) -> SnmpError {
        SnmpError::Protocol { target, reason }
    }

    pub(super) fn undecodable(target: SocketAddr, error: BerError) -> SnmpError {
        SnmpError::protocol(target, format!("undecodable reply ({error})"))
    }
}
