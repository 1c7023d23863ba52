//! The SNMPv3 message codec (msgGlobalData, USM security parameters, scoped PDU) and opening a
//! message with a user's keys. Nothing may panic; a message that parses is written back by
//! our writer into one that parses to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::secret::Secret;
use vigie::snmp::usm::message::{self as v3, Outgoing};
use vigie::snmp::usm::user::{MasterKeys, Scratch};
use vigie::snmp::{AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};

fuzz_target!(|datagram: &[u8]| {
    let Ok(message) = v3::parse(datagram) else { return };
    let usm = message.usm;
    let outgoing = Outgoing {
        msg_id: message.msg_id,
        flags: message.flags,
        engine_id: usm.engine_id,
        boots: usm.boots,
        time: usm.time,
        user: usm.user,
        auth_len: usm.auth.len(),
        privacy: usm.privacy,
    };
    let mut written = Vec::new();
    let auth_at = v3::write(&mut written, &outgoing, message.data);
    let again = v3::parse(&written).expect("what we write parses");
    assert_eq!((again.msg_id, again.flags, again.data), (message.msg_id, message.flags, message.data));
    assert_eq!((again.usm.engine_id, again.usm.user, again.usm.privacy), (usm.engine_id, usm.user, usm.privacy));
    assert_eq!((again.usm.boots, again.usm.time, again.auth_at), (usm.boots, usm.time, auth_at));
    if !message.is_encrypted() {
        if let Ok(scoped) = v3::parse_scoped_pdu(message.data) {
            scoped.pdu.varbinds.for_each(drop);
        }
    }
    let user = UsmCredentials {
        user: "alice".into(),
        level: SecurityLevel::AuthPriv,
        auth_protocol: Some(AuthProtocol::Sha256),
        auth_password: Some(Secret::new("maplesyrup")),
        priv_protocol: Some(PrivProtocol::Des),
        priv_password: Some(Secret::new("maplesyrup")),
        context_name: String::new(),
    };
    let keys = MasterKeys::new(&user).localize(usm.engine_id);
    let (mut plain, mut scratch) = (Vec::new(), Scratch::default());
    if keys.open(datagram, &message, &mut plain, &mut scratch).is_ok() {
        v3::parse_scoped_pdu(&plain).expect("an opened message holds a scoped PDU");
    }
});
