//! The MIB view of one agent shape: the sorted list of every OID it serves (system group,
//! ifNumber, ifTable, ifXTable) with what each one is, pre-encoded once and shared by all
//! agents with the same number of interfaces and counter width. Values are computed elsewhere,
//! on demand; this module only answers "which object is at or after this OID".

use crate::snmp::ber;

pub const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
pub const IF_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 1];
pub const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
pub const IF_X_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
/// ifTable has 22 columns (ifIndex .. ifSpecific).
pub const IF_COLUMNS: u8 = 22;
/// ifXTable has 19 columns (ifName .. ifCounterDiscontinuityTime).
pub const IF_X_COLUMNS: u8 = 19;
/// The system scalars served: sysDescr, sysObjectID, sysUpTime, sysContact, sysName, sysLocation.
pub const SYSTEM_SCALARS: u8 = 6;

/// What an OID of the view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// A system scalar by its arc (1 sysDescr .. 6 sysLocation).
    System(u8),
    IfNumber,
    /// An ifTable column and the ifIndex of the row.
    If(u8, u32),
    /// An ifXTable column and the ifIndex of the row.
    IfX(u8, u32),
}

/// Makes the object of a table cell from its column and ifIndex.
type RowObject = fn(u8, u32) -> Object;

/// Whether an ifXTable column exists on agents without 64-bit counters: the HC columns
/// (ifHCInOctets .. ifHCOutBroadcastPkts, 6 to 13) do not.
pub fn if_x_column_served(column: u8, hc: bool) -> bool {
    hc || !(6..=13).contains(&column)
}

/// The sorted view of one agent shape.
pub struct Shape {
    pub interfaces: u32,
    pub hc: bool,
    arcs: Vec<u32>,
    arc_ends: Vec<u32>,
    /// Each OID as a whole TLV (tag, length, contents), ready to copy into a varbind.
    encoded: Vec<u8>,
    encoded_ends: Vec<u32>,
    objects: Vec<Object>,
    /// Object OIDs (scalars without `.0`, columns without index): a GET below one of them that
    /// is not served is noSuchInstance, anything else noSuchObject.
    prefixes: Vec<Vec<u32>>,
}

impl Shape {
    pub fn new(interfaces: u32, hc: bool) -> Shape {
        let mut shape = Shape {
            interfaces,
            hc,
            arcs: Vec::new(),
            arc_ends: Vec::new(),
            encoded: Vec::new(),
            encoded_ends: Vec::new(),
            objects: Vec::new(),
            prefixes: Vec::new(),
        };
        let mut oid = Vec::with_capacity(16);
        for scalar in 1..=SYSTEM_SCALARS {
            oid.clear();
            oid.extend_from_slice(SYSTEM);
            oid.push(u32::from(scalar));
            shape.prefixes.push(oid.clone());
            oid.push(0);
            shape.push(&oid, Object::System(scalar));
        }
        shape.prefixes.push(IF_NUMBER.to_vec());
        oid.clear();
        oid.extend_from_slice(IF_NUMBER);
        oid.push(0);
        shape.push(&oid, Object::IfNumber);
        let tables: [(&[u32], u8, RowObject); 2] =
            [(IF_ENTRY, IF_COLUMNS, Object::If), (IF_X_ENTRY, IF_X_COLUMNS, Object::IfX)];
        for (entry, columns, object) in tables {
            for column in 1..=columns {
                let is_x = entry == IF_X_ENTRY;
                if is_x && !if_x_column_served(column, hc) {
                    continue;
                }
                oid.clear();
                oid.extend_from_slice(entry);
                oid.push(u32::from(column));
                shape.prefixes.push(oid.clone());
                for if_index in 1..=interfaces {
                    oid.truncate(entry.len() + 1);
                    oid.push(if_index);
                    shape.push(&oid, object(column, if_index));
                }
            }
        }
        debug_assert!((1..shape.len()).all(|i| shape.oid(i - 1) < shape.oid(i)), "the view is sorted");
        shape
    }

    fn push(&mut self, oid: &[u32], object: Object) {
        self.arcs.extend_from_slice(oid);
        self.arc_ends.push(self.arcs.len() as u32);
        let mut contents = Vec::with_capacity(16);
        ber::encode_oid_contents(oid, &mut contents);
        ber::write_bytes(&mut self.encoded, ber::tag::OID, &contents);
        self.encoded_ends.push(self.encoded.len() as u32);
        self.objects.push(object);
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    fn start(ends: &[u32], i: usize) -> usize {
        if i == 0 {
            0
        } else {
            ends[i - 1] as usize
        }
    }

    pub fn oid(&self, i: usize) -> &[u32] {
        &self.arcs[Self::start(&self.arc_ends, i)..self.arc_ends[i] as usize]
    }

    /// The OID at `i` as a whole BER TLV.
    pub fn encoded_oid(&self, i: usize) -> &[u8] {
        &self.encoded[Self::start(&self.encoded_ends, i)..self.encoded_ends[i] as usize]
    }

    pub fn object(&self, i: usize) -> Object {
        self.objects[i]
    }

    /// The index of exactly `oid`, if served.
    pub fn find(&self, oid: &[u32]) -> Option<usize> {
        let i = self.first_at_or_after(oid);
        (i < self.len() && self.oid(i) == oid).then_some(i)
    }

    /// The index of the first OID strictly after `oid` (GETNEXT), if any.
    pub fn next_after(&self, oid: &[u32]) -> Option<usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            if self.oid(mid) <= oid {
                low = mid + 1
            } else {
                high = mid
            }
        }
        (low < self.len()).then_some(low)
    }

    fn first_at_or_after(&self, oid: &[u32]) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            if self.oid(mid) < oid {
                low = mid + 1
            } else {
                high = mid
            }
        }
        low
    }

    /// For a GET that `find` did not answer: whether the object exists (noSuchInstance) or
    /// not (noSuchObject).
    pub fn object_exists(&self, oid: &[u32]) -> bool {
        self.prefixes.iter().any(|prefix| oid.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_sorted_and_complete() {
        let shape = Shape::new(48, true);
        assert_eq!(shape.len(), 6 + 1 + 22 * 48 + 19 * 48);
        assert!((1..shape.len()).all(|i| shape.oid(i - 1) < shape.oid(i)));
        assert_eq!(Shape::new(48, false).len(), 6 + 1 + 22 * 48 + 11 * 48);
        let mut decoded = Vec::new();
        for i in [0, 7, shape.len() - 1] {
            let tlv = ber::Reader::new(shape.encoded_oid(i)).expect(ber::tag::OID).unwrap();
            ber::decode_oid(tlv.contents, &mut decoded).unwrap();
            assert_eq!(decoded, shape.oid(i));
        }
    }

    #[test]
    fn lookups_cross_table_ends() {
        let shape = Shape::new(3, true);
        let at = |i: Option<usize>| i.map(|i| shape.oid(i).to_vec());
        // After the last ifDescr row comes the first ifType row; after ifTable, ifXTable.
        assert_eq!(
            at(shape.next_after(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3])),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1])
        );
        assert_eq!(
            at(shape.next_after(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 22, 3])),
            Some(vec![1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1])
        );
        assert_eq!(
            at(shape.next_after(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 2, 5])),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 3])
        );
        assert_eq!(at(shape.next_after(&[1])), Some(vec![1, 3, 6, 1, 2, 1, 1, 1, 0]));
        assert_eq!(at(shape.next_after(&[1, 3, 6, 1, 2, 1, 1, 6, 0])), Some(vec![1, 3, 6, 1, 2, 1, 2, 1, 0]));
        assert_eq!(shape.next_after(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 19, 3]), None);
        assert_eq!(shape.next_after(&[2]), None);
        assert_eq!(shape.find(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), Some(2));
        assert_eq!(shape.find(&[1, 3, 6, 1, 2, 1, 1, 3]), None);
        assert!(shape.object_exists(&[1, 3, 6, 1, 2, 1, 1, 3, 1]));
        assert!(shape.object_exists(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 99]));
        assert!(!shape.object_exists(&[1, 3, 6, 1, 2, 1, 1, 9, 0]));
        let legacy = Shape::new(3, false);
        assert!(!legacy.object_exists(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]), "no HC columns at all");
        assert_eq!(
            legacy.object(legacy.next_after(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 5, 3]).unwrap()),
            Object::IfX(14, 1)
        );
    }
}
