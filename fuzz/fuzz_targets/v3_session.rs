//! The SNMPv3 client's reply handling, as one poll drives it: discovery, then the requests of
//! `poll_once`, every reply given by the fuzzer through a scripted transport. The first byte
//! is the plan (bit 0: the user is authPriv SHA-256 + AES, else noAuthNoPriv; bit 1: walk the
//! inventory; bit 2: want the 32-bit counters; the other bits: the known ifNumber), then the
//! replies in turn, separated by `REPLY`. Nothing may panic nor hang.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokio::runtime::{Builder, Runtime};
use vigie::poller::poll::{poll_once, PollPlan};
use vigie::secret::Secret;
use vigie::snmp::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, Session, UsmCredentials};

const SEPARATOR: &[u8] = b"REPLY";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Builder::new_current_thread().enable_time().build().expect("a runtime"))
}

fn replies(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    while let Some(at) = bytes.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        replies.push(bytes[..at].to_vec());
        bytes = &bytes[at + SEPARATOR.len()..];
    }
    replies.push(bytes.to_vec());
    replies
}

fn credentials(secure: bool) -> Credentials {
    let (user, level) = if secure { ("alice", SecurityLevel::AuthPriv) } else { ("plain", SecurityLevel::NoAuthNoPriv) };
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
    let mut session = Session::scripted_with(replies(rest), &credentials(plan & 1 != 0));
    let _ = runtime().block_on(poll_once(&mut session, &poll));
});
