//! SNMP protocol only: sessions, OIDs, table walks and value decoding for the system group and
//! IF-MIB. It knows nothing of the store or of HTTP, and it hides which library answers: callers
//! see [`Session`], [`Value`] and [`SnmpError`], never a csnmp type.

mod canary;
pub mod if_mib;
mod oids;
mod session;
pub mod system;

pub use oids::Oid;
pub use session::{Credentials, Session, SnmpError, Value};
