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
fn the_response_to_an_inform_is_only_made_from_a_whole_header() {
    assert_eq!(response_to(&[0x30, 0x84, 0xff]), None);
    assert_eq!(response_to(&[0x30, 0x03, 0x02, 0x01, 0x01]), None);
}

fn hex(parts: &[&str]) -> Vec<u8> {
    let text = parts.concat();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn field<'t>(trap: &'t Trap, name: &str) -> &'t str {
    &trap.fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name} in {trap:?}")).value
}

/// `snmptrap -v 2c -c public -m '' HOST '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.2 i 2
/// 1.3.6.1.2.1.2.2.1.7.2 i 1 1.3.6.1.2.1.2.2.1.8.2 i 2` (net-snmp 5.9.3), as captured.
const SNMPTRAP_V2C: &[&str] = &[
    "307802010104067075626c6963a76b020464d63ac7020100020100305d300f06082b06010201010300430300ba093017",
    "060a2b06010603010104010006092b0601060301010503300f060a2b060102010202010102020102300f060a2b060102",
    "010202010702020101300f060a2b060102010202010802020102",
];

/// `snmptrap -v 1 -c public -m '' HOST 1.3.6.1.4.1.8072.2.3 127.0.0.1 2 0 ''
/// 1.3.6.1.2.1.2.2.1.1.1 i 1`, as captured.
const SNMPTRAP_V1: &[&str] = &[
    "303c02010004067075626c6963a42f06092b06010401bf08020340047f000001020102020100430300ba0c3011300f06",
    "0a2b060102010202010101020101",
];

/// `snmpinform -v 2c -c public -m '' HOST '' 1.3.6.1.6.3.1.1.5.4` with one varbind of each
/// type (ifIndex i 2, sysName s "sw1 é", sysObjectID o, an IpAddress a, Counter64 C at its
/// maximum, Counter32 c at its maximum, Gauge32 u, TimeTicks t), as captured.
const SNMPINFORM_V2C: &[&str] = &[
    "3081ea02010104067075626c6963a681dc0204091534870201000201003081cd300f06082b06010201010300430300ba",
    "0f3017060a2b06010603010104010006092b0601060301010504300f060a2b060102010202010102020102301206082b",
    "06010201010500040673773120c3a9301206082b0601020101020006062b06010401093015060d2b0601020104140101",
    "0a00000140040a0000013018060b2b060102011f0101010601460900ffffffffffffffff3013060a2b06010201020201",
    "0a01410500ffffffff3012060a2b06010201020201050142043b9aca00300e06082b0601020101030043023039",
];

#[test]
fn a_v2c_trap_from_snmptrap_decodes_with_our_codec() {
    let trap = decode(&hex(SNMPTRAP_V2C)).expect("a linkDown");
    assert_eq!((trap.name.as_str(), trap.trap_oid.as_str()), ("linkDown", "1.3.6.1.6.3.1.1.5.3"));
    assert_eq!((trap.severity, trap.if_index, trap.uptime_ticks), (3, Some(2), Some(0xba09)));
    assert!(trap.is_link_change && trap.response.is_none() && trap.v1_agent_addr.is_none());
    assert_eq!(field(&trap, "1.3.6.1.2.1.2.2.1.7.2"), "1");
    assert_eq!(field(&trap, "1.3.6.1.2.1.2.2.1.8.2"), "2");
    assert_eq!(trap.fields.len(), 5, "sysUpTime, snmpTrapOID and the three varbinds");
}

#[test]
fn a_v1_trap_from_snmptrap_decodes_with_snmp2() {
    let trap = decode(&hex(SNMPTRAP_V1)).expect("a v1 linkDown");
    assert_eq!((trap.name.as_str(), trap.trap_oid.as_str()), ("linkDown", "1.3.6.1.6.3.1.1.5.3"));
    assert_eq!((trap.if_index, trap.uptime_ticks), (Some(1), Some(0xba0c)));
    assert_eq!(trap.v1_agent_addr, Some(IpAddr::from([127, 0, 0, 1])));
}

#[test]
fn an_inform_decodes_every_value_type_and_is_answered_with_a_response() {
    let inform = hex(SNMPINFORM_V2C);
    let trap = decode(&inform).expect("a linkUp");
    assert_eq!((trap.name.as_str(), trap.if_index, trap.uptime_ticks), ("linkUp", Some(2), Some(0xba0f)));
    assert_eq!(field(&trap, "1.3.6.1.2.1.1.5.0"), "sw1 é");
    assert_eq!(field(&trap, "1.3.6.1.2.1.1.2.0"), "1.3.6.1.4.1.9");
    assert_eq!(field(&trap, "1.3.6.1.2.1.4.20.1.1.10.0.0.1"), "10.0.0.1");
    assert_eq!(field(&trap, "1.3.6.1.2.1.31.1.1.1.6.1"), u64::MAX.to_string());
    assert_eq!(field(&trap, "1.3.6.1.2.1.2.2.1.10.1"), u32::MAX.to_string());
    assert_eq!(field(&trap, "1.3.6.1.2.1.2.2.1.5.1"), "1000000000");
    let response = trap.response.expect("an INFORM is answered");
    let (request, answer) = (ber::parse_message(&inform).unwrap(), ber::parse_message(&response).unwrap());
    assert_eq!(answer.pdu_type, tag::RESPONSE);
    assert_eq!((answer.request_id, answer.community), (request.request_id, request.community));
    assert_eq!(answer.varbinds.count(), request.varbinds.count());
}

/// A v2c trap of `varbinds` (OID arcs, value TLV) after sysUpTime and snmpTrapOID (if any).
fn v2c_trap(pdu_type: u8, trap_oid: Option<&[u32]>, varbinds: &[(&[u32], &[u8])]) -> Vec<u8> {
    let oid_tlv = |arcs: &[u32]| {
        let (mut contents, mut tlv) = (Vec::new(), Vec::new());
        ber::encode_oid_contents(arcs, &mut contents);
        ber::write_bytes(&mut tlv, tag::OID, &contents);
        tlv
    };
    let mut list = Vec::new();
    ber::write_varbind(&mut list, &oid_tlv(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), &[tag::TIME_TICKS, 1, 9]);
    if let Some(trap_oid) = trap_oid {
        ber::write_varbind(&mut list, &oid_tlv(&[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]), &oid_tlv(trap_oid));
    }
    for (oid, value) in varbinds {
        ber::write_varbind(&mut list, &oid_tlv(oid), value);
    }
    let header = ber::Header { version: 1, community: b"c", pdu_type, request_id: 7, field_a: 0, field_b: 0 };
    let mut packet = Vec::new();
    ber::write_message(&mut packet, &header, &list);
    packet
}

#[test]
fn unknown_values_are_kept_in_hex_and_exceptions_by_name() {
    let enterprise: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 1];
    let boolean: &[u8] = &[0x01, 1, 0xff];
    let too_long: &[u8] = &[tag::INTEGER, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let packet = v2c_trap(
        TRAP_V2,
        Some(enterprise),
        &[
            (&[1, 3, 6, 1, 4, 1, 9, 1], boolean),
            (&[1, 3, 6, 1, 4, 1, 9, 2], too_long),
            (&[1, 3, 6, 1, 4, 1, 9, 3], &[0x81, 0]),
        ],
    );
    let trap = decode(&packet).expect("an enterprise trap");
    assert_eq!((trap.name.as_str(), trap.trap_oid.as_str()), ("trap", "1.3.6.1.4.1.9.9.41.2.0.1"));
    assert_eq!(trap.uptime_ticks, Some(9));
    assert_eq!(field(&trap, "1.3.6.1.4.1.9.1"), "tag 0x01: ff");
    assert_eq!(field(&trap, "1.3.6.1.4.1.9.2"), "tag 0x02: 010203040506070809");
    assert_eq!(field(&trap, "1.3.6.1.4.1.9.3"), "noSuchInstance");
}

#[test]
fn other_pdus_and_traps_without_a_trap_oid_are_not_traps() {
    let link_down = Some(&[1, 3, 6, 1, 6, 3, 1, 1, 5, 3][..]);
    assert!(decode(&v2c_trap(TRAP_V2, link_down, &[])).is_some());
    assert!(decode(&v2c_trap(INFORM_REQUEST, link_down, &[])).is_some());
    assert_eq!(decode(&v2c_trap(tag::RESPONSE, link_down, &[])), None);
    assert_eq!(decode(&v2c_trap(tag::GET, link_down, &[])), None);
    assert_eq!(decode(&v2c_trap(TRAP_V2, None, &[])), None);
    // Found by the fuzzer: snmpTrapOID.0 holding an empty OCTET STRING instead of an OID.
    let trap_oid: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
    assert_eq!(decode(&v2c_trap(TRAP_V2, None, &[(trap_oid, &[tag::OCTET_STRING, 0])])), None);
    assert_eq!(decode(&v2c_trap(TRAP_V2, None, &[(trap_oid, &[tag::OCTET_STRING, 1, b'x'])])), None);
    let mut v3 = v2c_trap(TRAP_V2, link_down, &[]);
    assert_eq!(v3[2..5], [tag::INTEGER, 1, 1]);
    v3[4] = 3;
    assert_eq!(decode(&v3), None);
}
