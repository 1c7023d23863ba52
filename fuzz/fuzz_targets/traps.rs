//! The trap decoder: SNMPv1 traps (snmp2), v2c traps and INFORMs (our BER codec). Nothing may
//! panic, and the answer to an INFORM must be a Response with the INFORM's request id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::logs::traps;
use vigie::snmp::ber::{self, tag};

fuzz_target!(|datagram: &[u8]| {
    let Some(trap) = traps::decode(datagram) else { return };
    assert!(!trap.trap_oid.is_empty());
    if let Some(response) = &trap.response {
        let inform = ber::parse_message(datagram).expect("an INFORM that was answered parses");
        let answer = ber::parse_message(response).expect("our answer parses");
        assert_eq!(answer.pdu_type, tag::RESPONSE);
        assert_eq!(answer.request_id, inform.request_id);
        assert_eq!(response.len(), datagram.len());
    }
});
