//! The session-level reply handling, as one poll of a device drives it (`poll_once`: the probe,
//! GET of the system group, GETBULK walks of the interface tables), answered by the fuzzer
//! through a scripted transport. The input is one byte of plan (bit 0: walk the inventory,
//! bit 1: want the 32-bit counters, bit 2: the ifNumber known from the last poll is the other
//! five bits) then the agent's replies in turn, separated by `REPLY`. Nothing may panic nor
//! hang, and a poll that succeeds holds interfaces in increasing ifIndex order, each once.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokio::runtime::{Builder, Runtime};
use vigie::poller::poll::{poll_once, PollPlan};
use vigie::snmp::Session;

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

fuzz_target!(|input: &[u8]| {
    let Some((&plan, rest)) = input.split_first() else { return };
    let plan = PollPlan {
        walk_inventory: plan & 1 != 0,
        want_32bit: plan & 2 != 0,
        known_if_number: (plan & 4 != 0).then_some(u32::from(plan >> 3)),
        deadline: None,
    };
    let mut session = Session::scripted(replies(rest));
    let Ok(outcome) = runtime().block_on(poll_once(&mut session, &plan)) else { return };
    let increasing = |indexes: Vec<u32>| indexes.windows(2).all(|w| w[0] < w[1]);
    assert!(increasing(outcome.counters.iter().map(|row| row.if_index).collect()));
    if let Some(inventory) = &outcome.inventory {
        assert!(increasing(inventory.iter().map(|info| info.if_index).collect()));
    }
});
