//! ICMP reachability: is a device's address answering echo requests, and how fast.
//!
//! A sibling of the poller, not part of it: a host whose SNMP agent is dead still answers
//! pings, and that difference is what tells `snmp_down` from `unreachable`. One ICMP socket per
//! address family serves every device ([`Pinger`]); replies are matched to their request by
//! address, identifier and sequence number, so concurrent rounds never mix up their echoes.
//!
//! The rounds due on one wake-up of the scheduler are one batch: one task and one timer per
//! step for all of them, the echoes in flight in one table keyed by sequence number, and the
//! sockets (a Linux "ping socket" where allowed, else raw) drained without blocking. A round
//! used to be two tasks and three `surge-ping` pings, each with its own timers and waiter (143 µs
//! of CPU per round measured beside this design's 109 µs, most of which was the kernel's
//! loopback work and the store's; the store's latency files kept open took a round to 35–40 µs
//! in all: see the README's Performance).

mod announce;
mod packet;
mod pinger;
mod round;
mod schedule;
mod socket;
mod stats;
mod table;

pub use announce::announce;
pub use pinger::{IcmpMode, Pinger, ProbePlan};
pub use round::EchoRound;
pub use schedule::{Reach, MAX_IN_FLIGHT};
pub use stats::{ReachCounts, ReachStats};
