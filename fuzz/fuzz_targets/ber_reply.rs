//! The BER reply decoder the poller reads every answer with: `ber::parse_message`, then every
//! varbind's OID and value as the session reads them. Nothing may panic, and what decodes must
//! encode back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::snmp::ber::{self, tag};
use vigie::snmp::Value;

fuzz_target!(|packet: &[u8]| {
    let Ok(message) = ber::parse_message(packet) else { return };
    let _ = message.response_header();
    let mut arcs = Vec::new();
    for varbind in message.varbinds {
        let Ok((oid, value)) = varbind else { break };
        if ber::decode_oid(oid, &mut arcs).is_ok() {
            assert!((2..=ber::MAX_OID_ARCS).contains(&arcs.len()), "{arcs:?}");
            let mut encoded = Vec::new();
            ber::encode_oid_contents(&arcs, &mut encoded);
            assert_eq!(encoded, oid, "an OID must encode back to its bytes: {arcs:?}");
        }
        if let Some(arc) = ber::decode_single_arc(oid) {
            let mut encoded = Vec::new();
            ber::push_base128(&mut encoded, u64::from(arc));
            assert_eq!(encoded, oid);
        }
        match Value::decode(value) {
            Ok(Some(decoded)) => {
                let _ = (decoded.as_text(), decoded.as_u64(), decoded.as_i64());
                check_round_trip(&decoded, value.tag);
            }
            Ok(None) | Err(_) => {}
        }
    }
});

/// Numbers re-encoded in minimal form decode to the same number.
fn check_round_trip(decoded: &Value, value_tag: u8) {
    let mut out = Vec::new();
    match *decoded {
        Value::Integer(n) => ber::write_integer(&mut out, tag::INTEGER, i64::from(n)),
        Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => {
            ber::write_unsigned(&mut out, value_tag, u64::from(n))
        }
        Value::Counter64(n) => ber::write_unsigned(&mut out, tag::COUNTER64, n),
        _ => return,
    }
    let tlv = ber::Reader::new(&out).any().expect("our own encoding reads back");
    assert_eq!(Value::decode(tlv).ok().flatten().as_ref(), Some(decoded));
}
