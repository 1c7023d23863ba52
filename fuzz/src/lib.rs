//! What the session-level fuzz targets (`session`, `v3_session`) share: the agent's replies cut
//! out of the fuzzer's input, one runtime for every run, and the poll with its invariants.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use vigie::poller::poll::{poll_once, PollPlan};
use vigie::snmp::Session;

/// What separates the agent's replies in an input.
const SEPARATOR: &[u8] = b"REPLY";

/// The agent's replies, in turn: the input cut at each `REPLY`.
pub fn replies(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    while let Some(at) = bytes.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        replies.push(bytes[..at].to_vec());
        bytes = &bytes[at + SEPARATOR.len()..];
    }
    replies.push(bytes.to_vec());
    replies
}

/// Polls once through the scripted session. Nothing may panic nor hang, and a poll that succeeds
/// holds interfaces in increasing ifIndex order, each once.
pub fn poll_checked(session: &mut Session, plan: &PollPlan) {
    let Ok(outcome) = runtime().block_on(poll_once(session, plan)) else { return };
    let increasing = |indexes: Vec<u32>| indexes.windows(2).all(|w| w[0] < w[1]);
    assert!(increasing(outcome.counters.iter().map(|row| row.if_index).collect()));
    if let Some(inventory) = &outcome.inventory {
        assert!(increasing(inventory.iter().map(|info| info.if_index).collect()));
    }
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Builder::new_current_thread().enable_time().build().expect("a runtime"))
}
