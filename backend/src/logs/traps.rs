//! The SNMP trap receiver: v1 and v2c traps and INFORMs (answered with a Response). v2c traps
//! and INFORMs are read by the same BER codec as the poller's replies ([`crate::snmp::ber`]); v1
//! traps, whose PDU that codec does not parse, by snmp2. Well-known traps get their names, an
//! ifIndex gets its interface's name, and unknown traps are kept with all their variable
//! bindings. linkDown and linkUp make Vigie poll that device at once. Communities are not
//! recorded. SNMPv3 traps and INFORMs go through [`super::traps_v3`] (known users only).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use snmp2::{MessageType, Pdu};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::syslog_listener::Context;
use super::traps_v3::{Received, V3Receiver};
use crate::snmp::ber::{self, tag, Tlv};
use crate::snmp::usm;
use crate::snmp::{Oid, Value};
use crate::store::logs::{LogField, LogSource, NewLogEntry, Severity};
use crate::store::now_ms;

const SNMP_TRAP_OID: &str = "1.3.6.1.6.3.1.1.4.1.0";
const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
const IF_INDEX_PREFIX: &str = "1.3.6.1.2.1.2.2.1.1.";
/// SNMPv2-MIB snmpTraps: the standard traps, as v2c trap OIDs.
const STANDARD_TRAPS: &str = "1.3.6.1.6.3.1.1.5.";
/// The version field of SNMPv1 and SNMPv2c messages.
const VERSION_1: i64 = 0;
const VERSION_2C: i64 = 1;
/// PDU tags of an InformRequest and an SNMPv2-Trap (RFC 3416 §3).
const INFORM_REQUEST: u8 = 0xa6;
const TRAP_V2: u8 = 0xa7;

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
    let version = ber::Reader::new(bytes).enter(tag::SEQUENCE).ok()?.integer().ok()?;
    match version {
        VERSION_1 => {
            // snmp2 is a parser of network input: make sure a bug in it cannot take Vigie down.
            std::panic::catch_unwind(|| decode_v1(bytes)).ok().flatten()
        }
        VERSION_2C => decode_v2c(bytes),
        _ => None,
    }
}

/// Whether `text` is an OID in dotted form (`1.3.6.1.6.3.1.1.5.3`).
fn is_dotted_oid(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// What a trap's variable bindings say, read one by one.
#[derive(Default)]
struct Bindings {
    fields: Vec<LogField>,
    trap_oid: Option<String>,
    uptime_ticks: Option<u32>,
    if_index: Option<u32>,
}

impl Bindings {
    fn push(&mut self, name: String, value: String) {
        match name.as_str() {
            // An OBJECT IDENTIFIER names the trap; anything else there (an empty string, say)
            // leaves the trap unnamed, so it is not a trap.
            SNMP_TRAP_OID if is_dotted_oid(&value) => self.trap_oid = Some(value.clone()),
            SYS_UP_TIME => self.uptime_ticks = self.uptime_ticks.or(value.parse().ok()),
            _ => {}
        }
        if let Some(index) = name.strip_prefix(IF_INDEX_PREFIX) {
            self.if_index = index.parse().ok();
        }
        self.fields.push(LogField { name, value });
    }

    /// The trap, named after `trap_oid`; `None` without one.
    fn into_trap(self, response: Option<Vec<u8>>, v1_agent_addr: Option<IpAddr>) -> Option<Trap> {
        let trap_oid = self.trap_oid?;
        let (name, severity) = standard_name(&trap_oid);
        Some(Trap {
            name: name.unwrap_or("trap").to_string(),
            is_link_change: matches!(name, Some("linkDown" | "linkUp")),
            trap_oid,
            severity,
            if_index: self.if_index,
            uptime_ticks: self.uptime_ticks,
            fields: self.fields,
            response,
            v1_agent_addr,
        })
    }
}

/// An SNMPv2-Trap or an InformRequest; a varbind list that does not parse makes the whole
/// message malformed, a value Vigie does not know is kept in hex.
fn decode_v2c(bytes: &[u8]) -> Option<Trap> {
    let message = ber::parse_message(bytes).ok()?;
    if message.pdu_type != TRAP_V2 && message.pdu_type != INFORM_REQUEST {
        return None;
    }
    let response = (message.pdu_type == INFORM_REQUEST).then(|| response_to(bytes)).flatten();
    from_varbinds(message.varbinds, response)
}

/// The trap a PDU's varbinds describe (the PDU of a v2c message or of a v3 scoped PDU).
pub(super) fn from_varbinds(varbinds: ber::Reader<'_>, response: Option<Vec<u8>>) -> Option<Trap> {
    let mut bindings = Bindings::default();
    let mut arcs = Vec::new();
    for varbind in varbinds {
        let (oid, value) = varbind.ok()?;
        ber::decode_oid(oid, &mut arcs).ok()?;
        bindings.push(Oid::from_slice(&arcs).to_string(), value_text(value));
    }
    bindings.into_trap(response, None)
}

/// An SNMPv1 Trap-PDU: its generic or enterprise-specific trap becomes the v2c trap OID
/// (RFC 3584 §3.1).
fn decode_v1(bytes: &[u8]) -> Option<Trap> {
    let pdu = Pdu::from_bytes(bytes).ok()?;
    if pdu.message_type != MessageType::TrapV1 {
        return None;
    }
    let info = pdu.v1_trap_info.as_ref()?;
    let mut bindings = Bindings {
        trap_oid: Some(match info.generic_trap {
            0..=5 => format!("{STANDARD_TRAPS}{}", info.generic_trap + 1),
            _ => format!("{}.0.{}", info.enterprise, info.specific_trap),
        }),
        uptime_ticks: Some(info.timestamp),
        ..Bindings::default()
    };
    let v1_trap_oid = bindings.trap_oid.clone();
    for (oid, value) in pdu.varbinds.clone() {
        bindings.push(oid.to_string(), v1_value_text(&value));
    }
    // The PDU's own fields win over varbinds that claim otherwise.
    bindings.trap_oid = v1_trap_oid;
    bindings.into_trap(None, Some(info.agent_addr).filter(|a| !a.is_unspecified()))
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

/// A v2c value as text: numbers in decimal, strings as UTF-8 (invalid bytes replaced), the
/// exceptions by name, anything else as its tag and contents in hex.
fn value_text(value: Tlv<'_>) -> String {
    match Value::decode(value) {
        Ok(Some(Value::Integer(n))) => n.to_string(),
        Ok(Some(Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n))) => n.to_string(),
        Ok(Some(Value::Counter64(n))) => n.to_string(),
        Ok(Some(Value::Bytes(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(Some(Value::ObjectId(oid))) => oid.to_string(),
        Ok(Some(Value::IpAddress(ip))) => ip.to_string(),
        Ok(None) => match value.tag {
            tag::NO_SUCH_OBJECT => "noSuchObject",
            tag::NO_SUCH_INSTANCE => "noSuchInstance",
            tag::END_OF_MIB_VIEW => "endOfMibView",
            _ => "null",
        }
        .into(),
        Err(_) => {
            let hex: String = value.contents.iter().map(|b| format!("{b:02x}")).collect();
            format!("tag 0x{:02x}: {hex}", value.tag)
        }
    }
}

fn v1_value_text(value: &snmp2::Value) -> String {
    use snmp2::Value;
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
    // SEQUENCE { version INTEGER, community OCTET STRING, PDU }
    let mut message = ber::Reader::new(inform).enter(tag::SEQUENCE).ok()?;
    message.integer().ok()?;
    message.expect(tag::OCTET_STRING).ok()?;
    let at = message.offset();
    (inform.get(at) == Some(&INFORM_REQUEST)).then(|| {
        let mut response = inform.to_vec();
        response[at] = tag::RESPONSE;
        response
    })
}

/// Receives traps and INFORMs until cancelled; SNMPv3 ones through `v3`.
pub async fn run(socket: UdpSocket, ctx: Context, v3: Arc<V3Receiver>, cancel: CancellationToken) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let Ok((n, from)) = received else { continue };
        let counters = &ctx.sink.counters.traps;
        counters.received.fetch_add(1, Ordering::Relaxed);
        let decoded = match usm::message::is_v3(&buf[..n]) {
            true => match v3.receive(&buf[..n]) {
                Ok(Received::Trap(trap)) => Some(trap),
                Ok(Received::Answer(answer)) => {
                    if let Err(e) = socket.send_to(&answer, from).await {
                        log::debug!("Cannot answer an SNMPv3 sender at {from}: {e}");
                    }
                    continue;
                }
                Ok(Received::Refused(refusal)) => {
                    log::debug!("Refused an SNMPv3 trap from {from}: {refusal:?}.");
                    ctx.sink.counters.traps_v3.count(&refusal);
                    continue;
                }
                Err(_) => None,
            },
            false => decode(&buf[..n]),
        };
        let Some(trap) = decoded else {
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
        severity: Severity::from_code(trap.severity).unwrap_or(Severity::Notice),
        facility: None,
        app_name: Some("snmptrap".into()),
        hostname: None,
        message,
        truncated: false,
        fields,
    }
}

#[cfg(test)]
mod tests;
