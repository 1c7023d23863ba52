//! SNMPv3's User-based Security Model (RFC 3414), pure: keys, HMAC authentication, DES and AES
//! privacy, and the v3 message codec. The client's sessions ([`crate::snmp`]), the simulator's
//! agents and the trap receiver all seal and open messages through [`user`], so there is one
//! implementation of each rule. No sockets, no clock, no logging; nothing here may panic on
//! any input.

pub mod auth;
pub mod keys;
pub mod message;
pub mod privacy;
pub mod report;
pub mod user;

pub use super::credentials::{AuthProtocol, PrivProtocol, SecurityLevel, UsmCredentials};
pub use user::{OpenError, UserKeys};
