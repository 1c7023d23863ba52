//! Why an SNMP exchange failed, in words a network admin understands.

use std::net::SocketAddr;

use super::ber::BerError;
use super::Oid;

/// Why an SNMP exchange failed, in words a network admin understands.
#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error("no SNMP answer from {target} within {after_ms} ms ({attempts} attempts of {timeout_ms} ms): the agent is unreachable, or the community is wrong")]
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
    #[error("no SNMP answer from {target} before the poll's deadline (most of the poll interval): the agent is unreachable or too slow for the interval, or the community is wrong")]
    PollDeadline { target: SocketAddr },
    #[error("{target} sent more than {limit} {what} in one poll: the poll stops")]
    OverBudget { target: SocketAddr, what: &'static str, limit: u64 },
    #[error("Vigie cannot poll {target} with SNMP {version} yet")]
    VersionNotSupported { target: SocketAddr, version: &'static str },
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
