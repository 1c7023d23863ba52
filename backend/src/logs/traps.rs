//! The SNMP trap receiver: v1 and v2c traps and INFORMs (answered with a Response), decoded with
//! snmp2 (csnmp cannot decode v1). Well-known traps get their names, an ifIndex gets its
//! interface's name, and unknown traps are kept with all their variable bindings. linkDown and
//! linkUp make Vigie poll that device at once. Communities are not recorded.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;

use snmp2::{MessageType, Pdu, Value};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::syslog_listener::Context;
use crate::store::logs::{LogField, LogSource, NewLogEntry};
use crate::store::now_ms;

const SNMP_TRAP_OID: &str = "1.3.6.1.6.3.1.1.4.1.0";
const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
const IF_INDEX_PREFIX: &str = "1.3.6.1.2.1.2.2.1.1.";
/// SNMPv2-MIB snmpTraps: the standard traps, as v2c trap OIDs.
const STANDARD_TRAPS: &str = "1.3.6.1.6.3.1.1.5.";

/// A decoded trap, before attribution.
#[derive(Debug, PartialEq)]
pub struct Trap {
    pub name: String,
    pub trap_oid: String,
    pub severity: u8,
    pub if_index: Option<u32>,
    pub uptime_ticks: Option<u32>,
    pub fields: Vec<LogField>,
    pub is_link_change: bool,
    /// For an INFORM: the Response to send back.
    pub response: Option<Vec<u8>>,
    pub v1_agent_addr: Option<IpAddr>,
}

/// Decodes a datagram; `None` when it is not an SNMP v1/v2c trap or INFORM.
pub fn decode(bytes: &[u8]) -> Option<Trap> {
    // snmp2 is a parser of network input: make sure a bug in it cannot take Vigie down.
    std::panic::catch_unwind(|| decode_inner(bytes)).ok().flatten()
}

fn decode_inner(bytes: &[u8]) -> Option<Trap> {
    let pdu = Pdu::from_bytes(bytes).ok()?;
    let (trap_oid, v1_agent_addr) = match pdu.message_type {
        MessageType::TrapV1 => {
            let info = pdu.v1_trap_info.as_ref()?;
            let oid = match info.generic_trap {
                0..=5 => format!("{STANDARD_TRAPS}{}", info.generic_trap + 1),
                _ => format!("{}.0.{}", info.enterprise, info.specific_trap),
            };
            (Some(oid), Some(info.agent_addr).filter(|a| !a.is_unspecified()))
        }
        MessageType::Trap | MessageType::InformRequest => (None, None),
        _ => return None,
    };
    let mut fields = Vec::new();
    let mut v2_trap_oid = None;
    let mut uptime_ticks = pdu.v1_trap_info.as_ref().map(|i| i.timestamp);
    let mut if_index = None;
    for (oid, value) in pdu.varbinds.clone() {
        let name = oid.to_string();
        let text = value_text(&value);
        match name.as_str() {
            SNMP_TRAP_OID => v2_trap_oid = Some(text.clone()),
            SYS_UP_TIME => uptime_ticks = uptime_ticks.or(text.parse().ok()),
            _ => {}
        }
        if let Some(index) = name.strip_prefix(IF_INDEX_PREFIX) {
            if_index = index.parse().ok();
        }
        fields.push(LogField { name, value: text });
    }
    let trap_oid = trap_oid.or(v2_trap_oid)?;
    let (name, severity) = standard_name(&trap_oid);
    let response = (pdu.message_type == MessageType::InformRequest).then(|| response_to(bytes)).flatten();
    Some(Trap {
        name: name.unwrap_or("trap").to_string(),
        is_link_change: matches!(name, Some("linkDown" | "linkUp")),
        trap_oid,
        severity,
        if_index,
        uptime_ticks,
        fields,
        response,
        v1_agent_addr,
    })
}

/// Name and severity of the SNMPv2-MIB standard traps.
fn standard_name(trap_oid: &str) -> (Option<&'static str>, u8) {
    match trap_oid.strip_prefix(STANDARD_TRAPS) {
        Some("1") => (Some("coldStart"), 5),
        Some("2") => (Some("warmStart"), 5),
        Some("3") => (Some("linkDown"), 3),
        Some("4") => (Some("linkUp"), 5),
        Some("5") => (Some("authenticationFailure"), 4),
        Some("6") => (Some("egpNeighborLoss"), 4),
        _ => (None, 5),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Boolean(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Integer(n) => n.to_string(),
        Value::OctetString(bytes) | Value::Opaque(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::ObjectIdentifier(oid) => oid.to_string(),
        Value::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        Value::Counter32(n) | Value::Unsigned32(n) | Value::Timeticks(n) => n.to_string(),
        Value::Counter64(n) => n.to_string(),
        Value::EndOfMibView => "endOfMibView".into(),
        Value::NoSuchObject => "noSuchObject".into(),
        Value::NoSuchInstance => "noSuchInstance".into(),
        other => format!("{other:?}"),
    }
}

/// The Response to an INFORM: the same message with the PDU type changed (RFC 3416 §4.2.7: same
/// request-id, noError, the same variable bindings).
fn response_to(inform: &[u8]) -> Option<Vec<u8>> {
    const INFORM_TAG: u8 = 0xa6;
    const RESPONSE_TAG: u8 = 0xa2;
    // SEQUENCE { version INTEGER, community OCTET STRING, PDU }
    let mut at = header_len(inform, 0)?;
    at = skip_tlv(inform, at)?;
    at = skip_tlv(inform, at)?;
    (inform.get(at) == Some(&INFORM_TAG)).then(|| {
        let mut response = inform.to_vec();
        response[at] = RESPONSE_TAG;
        response
    })
}

/// Length of the tag and length octets of the TLV at `at`.
fn header_len(bytes: &[u8], at: usize) -> Option<usize> {
    let first = *bytes.get(at + 1)?;
    Some(if first & 0x80 == 0 { 2 } else { 2 + usize::from(first & 0x7f) })
}

fn skip_tlv(bytes: &[u8], at: usize) -> Option<usize> {
    let header = header_len(bytes, at)?;
    let first = *bytes.get(at + 1)?;
    let len = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        bytes
            .get(at + 2..at + header)?
            .iter()
            .try_fold(0usize, |acc, &b| acc.checked_mul(256)?.checked_add(usize::from(b)))?
    };
    let end = at.checked_add(header)?.checked_add(len)?;
    (end <= bytes.len()).then_some(end)
}

pub async fn run(socket: UdpSocket, ctx: Context, cancel: CancellationToken) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let Ok((n, from)) = received else { continue };
        let counters = &ctx.sink.counters.traps;
        counters.received.fetch_add(1, Ordering::Relaxed);
        let Some(trap) = decode(&buf[..n]) else {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if let Some(response) = &trap.response {
            if let Err(e) = socket.send_to(response, from).await {
                log::debug!("Cannot answer an INFORM from {from}: {e}");
            }
        }
        ctx.sink.push(entry(&ctx, trap, from));
    }
}

fn entry(ctx: &Context, trap: Trap, from: SocketAddr) -> NewLogEntry {
    let attribution = &ctx.attribution;
    let device_id =
        attribution.device_for(from.ip()).or_else(|| trap.v1_agent_addr.and_then(|a| attribution.device_for(a)));
    let interface = match (&device_id, trap.if_index) {
        (Some(device), Some(index)) => attribution.interface_name(device, index),
        _ => None,
    };
    let mut message = match (trap.if_index, &interface) {
        (Some(index), Some(name)) => format!("{}: interface {name} (ifIndex {index})", trap.name),
        (Some(index), None) => format!("{}: ifIndex {index}", trap.name),
        _ if trap.name == "trap" => format!("trap {}", trap.trap_oid),
        _ => trap.name.clone(),
    };
    if trap.response.is_some() {
        message.push_str(" (inform)");
    }
    if let (Some(device), true) = (&device_id, trap.is_link_change) {
        attribution.link_changed(device);
    }
    let mut fields = vec![LogField { name: "trapOid".into(), value: trap.trap_oid }];
    if let Some(name) = interface {
        fields.push(LogField { name: "ifName".into(), value: name });
    }
    fields.extend(trap.fields);
    NewLogEntry {
        received_at: now_ms() as f64 / 1000.0,
        timestamp: None,
        source: LogSource::Trap,
        device_id,
        source_addr: Some(from.to_string()),
        severity: trap.severity,
        facility: None,
        app_name: Some("snmptrap".into()),
        hostname: None,
        message,
        truncated: false,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_trap_and_never_panics() {
        for bytes in [&b""[..], b"\x30", b"\x30\x82\xff\xff", b"\x30\x03\x02\x01\x01", &[0xa6; 64], b"hello"] {
            assert_eq!(decode(bytes), None);
        }
        let mut seed = 7u32;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn tlv_walking_refuses_lengths_past_the_end() {
        assert_eq!(skip_tlv(&[0x04, 0x05, 1, 2], 0), None);
        assert_eq!(skip_tlv(&[0x04, 0x02, 1, 2], 0), Some(4));
        assert_eq!(response_to(&[0x30, 0x84, 0xff]), None);
    }
}
