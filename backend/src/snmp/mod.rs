//! SNMP protocol only: sessions, OIDs, table walks and value decoding for the system group and
//! IF-MIB. It knows nothing of the store or of HTTP, and it hides how the bytes are spoken:
//! callers see [`Session`], [`Value`] and [`SnmpError`], never the codec or the socket.

pub mod ber;
mod credentials;
mod engine;
mod error;
pub mod if_mib;
mod if_names;
mod oids;
mod session;
pub mod socket_pool;
mod spares;
pub mod system;
mod transport;
pub mod usm;
mod value;
mod walk;

#[cfg(test)]
mod fuzz;

pub use credentials::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, UsmCredentials};
pub use error::SnmpError;
pub use oids::Oid;
pub use session::{resolve, Session, MAX_POLL_BYTES, MAX_POLL_VARBINDS};
pub use value::Value;
pub use walk::{row_limit, Column, Walked, MAX_ROWS};
