//! The session-level reply handling, as one poll of a device drives it (`poll_once`: the probe,
//! GET of the system group, GETBULK walks of the interface tables), answered by the fuzzer
//! through a scripted transport. The input is one byte of plan (bit 0: walk the inventory,
//! bit 1: want the 32-bit counters, bit 2: the ifNumber known from the last poll is the other
//! five bits) then the agent's replies in turn, separated by `REPLY`. Nothing may panic nor
//! hang, and a poll that succeeds holds interfaces in increasing ifIndex order, each once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::poller::poll::PollPlan;
use vigie::snmp::Session;
use vigie_fuzz::{poll_checked, replies};

fuzz_target!(|input: &[u8]| {
    let Some((&plan, rest)) = input.split_first() else { return };
    let plan = PollPlan {
        walk_inventory: plan & 1 != 0,
        want_32bit: plan & 2 != 0,
        known_if_number: (plan & 4 != 0).then_some(u32::from(plan >> 3)),
        deadline: None,
    };
    poll_checked(&mut Session::scripted(replies(rest)), &plan);
});
