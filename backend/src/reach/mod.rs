//! ICMP reachability: is a device's address answering echo requests, and how fast.
//!
//! A sibling of the poller, not part of it: a host whose SNMP agent is dead still answers
//! pings, and that difference is what tells `snmp_down` from `unreachable`. One ICMP socket per
//! address family serves every device ([`Pinger`]); replies are matched to their request by
//! address, identifier and sequence number, so concurrent rounds never mix up their echoes.
//!
//! The crate underneath is `surge-ping`: one socket shared by any number of concurrent pings,
//! waiters keyed by (address, identifier, sequence) and removed when a ping is cancelled, and the
//! Linux "ping socket" (an unprivileged datagram socket) tried before a raw one. Writing our own
//! would repeat exactly that; what Vigie adds is the round ([`EchoRound`]), the sequence numbers
//! that stay unique across concurrent rounds, and saying once why ICMP is unavailable.

mod announce;
mod pinger;
mod round;
mod schedule;
mod stats;

pub use announce::announce;
pub use pinger::{IcmpMode, Pinger, ProbePlan};
pub use round::EchoRound;
pub use schedule::{Reach, MAX_IN_FLIGHT};
pub use stats::{ReachCounts, ReachStats};
