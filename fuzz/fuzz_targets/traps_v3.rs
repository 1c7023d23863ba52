//! The SNMPv3 trap receiver: any datagram, for a receiver with an authNoPriv and an authPriv
//! user. Nothing may panic; what it answers (a discovery or time
//! window report, an INFORM's Response) is an SNMPv3 message that parses.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigie::logs::trap_users::TrapUser;
use vigie::logs::traps_v3::{Received, V3Receiver};
use vigie::secret::Secret;
use vigie::snmp::usm::message as v3;
use vigie::snmp::{AuthProtocol, PrivProtocol};
use vigie::store::snmp_engine::LocalEngine;

fn receiver() -> &'static V3Receiver {
    static RECEIVER: OnceLock<V3Receiver> = OnceLock::new();
    RECEIVER.get_or_init(|| {
        let user = |name: &str, privacy: Option<PrivProtocol>| TrapUser {
            user: name.into(),
            auth_protocol: AuthProtocol::Sha256,
            auth_password: Secret::new("maplesyrup"),
            priv_protocol: privacy,
            priv_password: privacy.map(|_| Secret::new("maplesyrup")),
        };
        let engine = LocalEngine { engine_id: b"\x80\x00\x1f\x88\x04maplesyrupengine".to_vec(), boots: 1 };
        V3Receiver::new(engine, &[user("alice", Some(PrivProtocol::Aes)), user("signer", None)])
    })
}

fuzz_target!(|datagram: &[u8]| {
    match receiver().receive(datagram) {
        Ok(Received::Answer(answer)) => {
            v3::parse(&answer).expect("our report parses");
        }
        Ok(Received::Trap(trap)) => {
            assert!(!trap.trap_oid.is_empty());
            if let Some(response) = &trap.response {
                v3::parse(response).expect("our response parses");
            }
        }
        Ok(Received::Refused(_)) | Err(_) => {}
    }
});
