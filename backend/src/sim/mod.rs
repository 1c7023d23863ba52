//! The SNMP agent simulator used by tests, benchmarks and demo mode: SNMPv2c agents on UDP
//! (GET, GETNEXT, GETBULK; or SNMPv1, or SNMPv3 with one USM user through the same
//! [`crate::snmp::usm`] code as the client) serving the system group, ifNumber, ifTable and ifXTable of made-up
//! interfaces whose counters grow with time. It shares only the BER codec ([`crate::snmp::ber`])
//! with the client; what keeps both honest is net-snmp: its tools walk the simulator and the
//! client polls a real snmpd in the integration tests. It knows nothing of the store, the poller
//! or HTTP.
//!
//! Capacity: one task per answering agent, one shared sorted OID view per agent shape, values
//! computed on demand, buffers reused per socket: no allocation per varbind.

mod authority;
pub mod demo;
mod fleet;
pub mod mib;
pub mod misbehave;
mod model;
mod options;
pub mod responder;
pub mod traffic;

pub use fleet::{Fleet, SimError, SimStats, StartedAgent};
pub use misbehave::Misbehave;
pub use model::{AgentModel, AgentSpec, AgentVersion, Behaviour, Moment};
pub use options::{run, SimArgs, SimVersion};
