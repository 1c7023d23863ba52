//! Object identifiers as small owned values, and the named OIDs Vigie reads.

use std::fmt;

/// An object identifier, e.g. `1.3.6.1.2.1.1.3.0`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Oid(pub Vec<u32>);

impl Oid {
    pub fn from_slice(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }

    /// This OID with one more arc, e.g. a column plus a row index.
    pub fn child(&self, arc: u32) -> Self {
        let mut arcs = self.0.clone();
        arcs.push(arc);
        Oid(arcs)
    }

    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub fn last(&self) -> Option<u32> {
        self.0.last().copied()
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&text.join("."))
    }
}

/// SNMPv2-MIB system group scalars (instance `.0` included).
pub mod system {
    pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
    pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
    pub const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
    pub const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
    pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
    pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
}

/// IF-MIB columns (without the row index) and scalars.
pub mod if_mib {
    pub const IF_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];

    pub const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
    pub const IF_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];
    pub const IF_SPEED: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 5];
    pub const IF_ADMIN_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7];
    pub const IF_OPER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8];
    pub const IF_IN_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 10];
    pub const IF_IN_DISCARDS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 13];
    pub const IF_IN_ERRORS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 14];
    pub const IF_OUT_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 16];
    pub const IF_OUT_DISCARDS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 19];
    pub const IF_OUT_ERRORS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 20];

    pub const IF_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];
    pub const IF_HC_IN_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6];
    pub const IF_HC_OUT_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10];
    pub const IF_HIGH_SPEED: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15];
    pub const IF_ALIAS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18];
}
