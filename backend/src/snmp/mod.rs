//! SNMP protocol only: sessions, OIDs, table walks and value decoding for the system group and
//! IF-MIB. It knows nothing of the store or of HTTP, and it hides how the bytes are spoken:
//! callers see [`Session`], [`Value`] and [`SnmpError`], never the codec or the socket.

pub mod ber;
pub mod if_mib;
mod oids;
mod session;
pub mod system;
mod transport;
mod value;

#[cfg(test)]
mod fuzz;

pub use oids::Oid;
pub use session::{Column, Credentials, Session, SnmpError};
pub use value::Value;
