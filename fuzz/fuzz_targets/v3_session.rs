//! The SNMPv3 client's reply handling, as one poll drives it: discovery, then the requests of
//! `poll_once`, every reply given by the fuzzer through a scripted transport. The first byte
//! is the plan (bit 0: the user is authPriv SHA-256 + AES, else noAuthNoPriv; bit 1: walk the
//! inventory; bit 2: want the 32-bit counters; the other bits: the known ifNumber), then the
//! replies in turn, separated by `REPLY`. Nothing may panic nor hang, and a poll that succeeds
//! holds interfaces in increasing ifIndex order, each once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::poller::poll::PollPlan;
use vigie::secret::Secret;
use vigie::snmp::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, Session, UsmCredentials};
use vigie_fuzz::{poll_checked, replies};

fn credentials(secure: bool) -> Credentials {
    let (user, level) =
        if secure { ("alice", SecurityLevel::AuthPriv) } else { ("plain", SecurityLevel::NoAuthNoPriv) };
    Credentials::V3(UsmCredentials {
        user: user.into(),
        level,
        auth_protocol: secure.then_some(AuthProtocol::Sha256),
        auth_password: secure.then(|| Secret::new("maplesyrup")),
        priv_protocol: secure.then_some(PrivProtocol::Aes),
        priv_password: secure.then(|| Secret::new("maplesyrup")),
        context_name: String::new(),
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&plan, rest)) = input.split_first() else { return };
    let poll = PollPlan {
        walk_inventory: plan & 2 != 0,
        want_32bit: plan & 4 != 0,
        known_if_number: Some(u32::from(plan >> 3)),
        deadline: None,
    };
    poll_checked(&mut Session::scripted_with(replies(rest), &credentials(plan & 1 != 0)), &poll);
});
