//! Filing a GETBULK walk's replies into table columns: where each column's walk stands, which
//! varbind belongs to which column (by its place in the reply, RFC 3416 §4.2.3), and the checks
//! that make every walk end: OIDs must increase, a reply holds no more than was asked, a column
//! holds no more rows than its limit. Pure: no socket, no session.

use std::net::SocketAddr;

use super::ber::{self, BerError, Reader};
use super::spares::{self, Spares};
use super::{Oid, SnmpError, Value};

/// Rows a column may have at most, whatever the agent says: far above any real interface
/// table, far below what would exhaust memory (a row costs about 30 bytes per column).
pub const MAX_ROWS: usize = 100_000;

/// Rows a column may have: what the agent announced, with room for a table that changed since
/// (max(n × 2, n + 64)), never more than [`MAX_ROWS`].
pub fn row_limit(rows_hint: Option<u32>) -> usize {
    rows_hint.map_or(MAX_ROWS, |n| (n as usize).saturating_mul(2).max(n as usize + 64)).min(MAX_ROWS)
}

/// One column of a table indexed by one integer (such as ifTable): values by row index, in
/// increasing index order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Column(pub(super) Vec<(u32, Value)>);

impl Column {
    pub fn get(&self, index: u32) -> Option<&Value> {
        self.0.binary_search_by_key(&index, |(i, _)| *i).ok().map(|at| &self.0[at].1)
    }

    pub fn indexes(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().map(|(i, _)| *i)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A reader of the column for increasing indexes: each row is passed over once.
    pub fn ahead(&self) -> Ahead<'_> {
        Ahead { rows: &self.0 }
    }

    /// The indexes of `a` and of `b`, each once, in increasing order (both are in that order).
    pub fn union_indexes<'a>(a: &'a Column, b: &'a Column) -> impl Iterator<Item = u32> + 'a {
        let (mut a, mut b) = (a.indexes().peekable(), b.indexes().peekable());
        std::iter::from_fn(move || match (a.peek().copied(), b.peek().copied()) {
            (Some(x), Some(y)) if x == y => {
                b.next();
                a.next()
            }
            (Some(x), Some(y)) if y < x => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        })
    }
}

/// A column read for increasing indexes (see [`Column::ahead`]).
pub struct Ahead<'a> {
    rows: &'a [(u32, Value)],
}

impl<'a> Ahead<'a> {
    /// The value at `index`, if any; indexes asked must increase from call to call.
    pub fn get(&mut self, index: u32) -> Option<&'a Value> {
        let skip = self.rows.iter().take_while(|(i, _)| *i < index).count();
        self.rows = &self.rows[skip..];
        match self.rows.first() {
            Some((i, value)) if *i == index => Some(value),
            _ => None,
        }
    }
}

/// What a walk fills: taken from a pool its thread keeps (the poller's, mostly) and given back
/// emptied with its capacity, so that steady polls walk without allocating. (The columns' rows,
/// their encoded prefixes, the cursors and each column's end decoded into a vector made 80
/// allocations of a 48-interface poll; 3 are left: the rows handed on, and the exchange's
/// waiter on its socket.) A pool, not buffers kept by each session: it holds as many as walks
/// run at once on the thread (a few dozen at most), not one per device (11 KB for 48
/// interfaces, 22 MB for 2,000 devices).
#[derive(Default)]
pub(super) struct WalkBuffers {
    pub scalars: Vec<Option<Value>>,
    /// One per column of the walk, at the front; more from an earlier, wider walk may follow.
    pub tables: Vec<Column>,
    pub prefixes: Vec<Vec<u8>>,
    pub cursors: Vec<Cursor>,
    pub active: Vec<usize>,
    /// Room for decoding an OID.
    pub arcs: Vec<u32>,
    /// Each column's place while chunks sent together are merged (see `session::together`).
    pub held: Vec<Cursor>,
}

/// Walk buffers a thread keeps at most, and the bytes of rows one may hold to be kept.
const POOLED_WALKS: usize = 64;
const POOLED_WALK_BYTES: usize = 256 * 1024;

thread_local! {
    static POOL: Spares<WalkBuffers> = const { Spares::new(POOLED_WALKS) };
}

impl WalkBuffers {
    /// Makes room for a walk of `columns`, emptied, each column with room for `rows`.
    fn start(&mut self, columns: &[&[u32]], rows: usize) {
        let n = columns.len();
        self.scalars.clear();
        if self.tables.len() < n {
            self.tables.resize_with(n, Column::default);
            self.prefixes.resize_with(n, Vec::new);
        }
        for ((table, prefix), arcs) in self.tables.iter_mut().zip(&mut self.prefixes).zip(columns) {
            table.0.reserve(rows);
            prefix.clear();
            ber::encode_oid_contents(arcs, prefix);
        }
        self.cursors.clear();
        self.cursors.resize(n, Cursor::Start);
    }

    /// Empties them (their values may hold text) and keeps them in the thread's pool, unless
    /// it is full or they grew past [`POOLED_WALK_BYTES`] (a table of thousands of rows).
    fn give_back(mut self) {
        self.scalars.clear();
        self.tables.iter_mut().for_each(|table| table.0.clear());
        let rows: usize = self.tables.iter().map(|table| table.0.capacity()).sum();
        if rows * std::mem::size_of::<(u32, Value)>() > POOLED_WALK_BYTES {
            return;
        }
        spares::give_back(&POOL, self);
    }
}

/// A walk's rows and scalars, in buffers from the thread's pool, given back when dropped.
pub struct Walked {
    buffers: WalkBuffers,
    columns: usize,
}

impl Walked {
    /// Buffers for a walk of `columns` with about `rows` rows.
    pub(super) fn start(columns: &[&[u32]], rows: usize) -> Walked {
        let mut buffers = spares::take(&POOL).unwrap_or_default();
        buffers.start(columns, rows);
        Walked { buffers, columns: columns.len() }
    }

    pub(super) fn buffers(&mut self) -> &mut WalkBuffers {
        &mut self.buffers
    }

    /// The scalars asked for, in order (`None` where the agent had none).
    pub fn scalars(&self) -> &[Option<Value>] {
        &self.buffers.scalars
    }

    /// One column per column asked for, in order.
    pub fn columns(&self) -> &[Column] {
        &self.buffers.tables[..self.columns]
    }

    /// The scalars and columns, taken out of the pool's buffers (for walks whose results are
    /// kept: the inventory, the API's).
    pub(super) fn into_owned(mut self) -> (Vec<Option<Value>>, Vec<Column>) {
        let scalars = std::mem::take(&mut self.buffers.scalars);
        (scalars, self.buffers.tables.drain(..self.columns).collect())
    }
}

impl Drop for Walked {
    fn drop(&mut self) {
        std::mem::take(&mut self.buffers).give_back();
    }
}

/// Where a column's walk stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Cursor {
    Start,
    After(u32),
    Done,
}

/// Reads the non-repeaters at the head of a GETBULK reply into `values`: each scalar's value if
/// the agent answered that very OID, `None` if it answered the next object instead; false if
/// the reply holds fewer varbinds than scalars.
pub(super) fn read_scalars(
    varbinds: &mut Reader<'_>,
    scalars: &[&[u32]],
    values: &mut Vec<Option<Value>>,
) -> Result<bool, BerError> {
    values.clear();
    for scalar in scalars {
        let Some(varbind) = varbinds.next() else { return Ok(false) };
        let (oid, value) = varbind?;
        values.push(if ber::oid_contents_equal(oid, scalar) { Value::decode(value)? } else { None });
    }
    Ok(true)
}

/// What a GETBULK of a walk asked for, to file its reply.
pub(super) struct Walk<'a> {
    pub columns: &'a [&'a [u32]],
    pub prefixes: &'a [Vec<u8>],
    /// The columns asked for, in the order of the request.
    pub active: &'a [usize],
    /// Varbinds asked for: columns × repetitions.
    pub asked: usize,
}

/// Why a reply's rows could not be filed.
#[derive(Debug, PartialEq)]
pub(super) enum RowError {
    Ber(BerError),
    /// A varbind's OID is not after the one asked for: `column`'s walk would never end.
    NotIncreasing {
        column: usize,
        oid: Vec<u32>,
    },
    TooMany {
        count: usize,
        asked: usize,
    },
}

impl From<BerError> for RowError {
    fn from(e: BerError) -> Self {
        RowError::Ber(e)
    }
}

impl RowError {
    pub(super) fn at(self, target: SocketAddr, columns: &[&[u32]], cursors: &[Cursor]) -> SnmpError {
        match self {
            RowError::Ber(e) => SnmpError::undecodable(target, e),
            RowError::NotIncreasing { column, oid } => {
                let previous = asked_oid(columns[column], cursors[column]);
                SnmpError::NotIncreasing { target, oid: Oid::from_slice(&oid), previous: Oid::from_slice(&previous) }
            }
            RowError::TooMany { count, asked } => {
                SnmpError::protocol(target, format!("{count} varbinds in a GETBULK reply that asked for {asked}"))
            }
        }
    }
}

/// The OID a column's walk asks for next: the column itself, or its last row.
fn asked_oid(column: &[u32], cursor: Cursor) -> Vec<u32> {
    let mut oid = column.to_vec();
    if let Cursor::After(index) = cursor {
        oid.push(index);
    }
    oid
}

/// Whether `arcs` is after the OID a column's walk asked for ([`asked_oid`], without building it).
fn after_asked(arcs: &[u32], column: &[u32], cursor: Cursor) -> bool {
    let last = match cursor {
        Cursor::After(index) => Some(index),
        _ => None,
    };
    arcs.iter().copied().cmp(column.iter().copied().chain(last)) == std::cmp::Ordering::Greater
}

/// The row index of `oid` (an OID's encoding) in the column whose encoding is `prefix`: the one
/// sub-identifier after it; `None` if `oid` is not a row of that column.
#[inline]
fn row_index(oid: &[u8], prefix: &[u8]) -> Option<u32> {
    match oid.split_last() {
        // An index below 128 (most interfaces'): one byte after the column's.
        Some((&last, column)) if last < 0x80 && ber::same_short_bytes(column, prefix) => Some(u32::from(last)),
        _ => oid.strip_prefix(prefix).and_then(ber::decode_single_arc),
    }
}

impl Walk<'_> {
    /// Files a GETBULK reply's varbinds into their columns and moves the cursors on; a column
    /// ends at its first varbind outside it or at an exception. A varbind whose OID is not
    /// after the one asked for fails the walk ("OID not increasing", as net-snmp says), as does
    /// a reply with more varbinds than asked for. Answers how many varbinds the reply held.
    /// `arcs` is room for decoding an OID, kept by the caller.
    pub(super) fn read_rows(
        &self,
        mut varbinds: Reader<'_>,
        cursors: &mut [Cursor],
        tables: &mut [Column],
        arcs: &mut Vec<u32>,
    ) -> Result<usize, RowError> {
        let mut count = 0;
        // The varbind's place among the active columns (a counter, not a division by their
        // number for each varbind).
        let mut slot = 0;
        loop {
            // A steady walk's varbinds are all short: read in one check; the rest as always.
            let (oid, value) = match varbinds.next_short_varbind() {
                Some(varbind) => varbind,
                None => match varbinds.next() {
                    Some(varbind) => varbind?,
                    None => return Ok(count),
                },
            };
            count += 1;
            if count > self.asked {
                return Err(RowError::TooMany { count, asked: self.asked });
            }
            let column = self.active[slot];
            slot = if slot + 1 == self.active.len() { 0 } else { slot + 1 };
            let after = match cursors[column] {
                Cursor::Done => continue,
                Cursor::After(index) => Some(index),
                Cursor::Start => None,
            };
            let value = match Value::number(value) {
                Some(value) => value,
                None => match Value::decode(value)? {
                    Some(value) => value,
                    None => {
                        cursors[column] = Cursor::Done; // endOfMibView and the other exceptions
                        continue;
                    }
                },
            };
            match row_index(oid, &self.prefixes[column]) {
                Some(index) if after.is_none_or(|after| index > after) => {
                    tables[column].0.push((index, value));
                    cursors[column] = Cursor::After(index);
                }
                // The next row of the column is not after this one.
                Some(_) => return Err(self.not_increasing(column, oid)),
                // Past the column's end (the next column, another table): it ends, if it moved on.
                None => {
                    ber::decode_oid(oid, arcs)?;
                    if !after_asked(arcs, self.columns[column], cursors[column]) {
                        return Err(RowError::NotIncreasing { column, oid: arcs.clone() });
                    }
                    cursors[column] = Cursor::Done;
                }
            }
        }
    }

    fn not_increasing(&self, column: usize, oid: &[u8]) -> RowError {
        let mut arcs = Vec::new();
        match ber::decode_oid(oid, &mut arcs) {
            Ok(()) => RowError::NotIncreasing { column, oid: arcs },
            Err(e) => RowError::Ber(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::ber::tag;
    use crate::snmp::oids::if_mib::*;

    fn reply_rows(
        active: &[usize],
        varbinds: &[(&[u32], u64)],
        cursors: &mut [Cursor],
    ) -> Result<Vec<Vec<u32>>, RowError> {
        let mut bytes = Vec::new();
        for (oid, value) in varbinds {
            let (mut oid_tlv, mut value_tlv) = (Vec::new(), Vec::new());
            let mut contents = Vec::new();
            ber::encode_oid_contents(oid, &mut contents);
            ber::write_bytes(&mut oid_tlv, tag::OID, &contents);
            ber::write_unsigned(&mut value_tlv, tag::COUNTER32, *value);
            ber::write_varbind(&mut bytes, &oid_tlv, &value_tlv);
        }
        let columns = [IF_IN_OCTETS, IF_OUT_OCTETS];
        let encoded = |arcs: &[u32]| {
            let mut contents = Vec::new();
            ber::encode_oid_contents(arcs, &mut contents);
            contents
        };
        let prefixes: Vec<Vec<u8>> = columns.iter().map(|arcs| encoded(arcs)).collect();
        let mut tables = vec![Column::default(); 2];
        let walk = Walk { columns: &columns, prefixes: &prefixes, active, asked: 3 * active.len() };
        walk.read_rows(Reader::new(&bytes), cursors, &mut tables, &mut Vec::new())?;
        Ok(tables.iter().map(|t| t.indexes().collect()).collect())
    }

    fn row(column: &[u32], index: u32) -> Vec<u32> {
        let mut oid = column.to_vec();
        oid.push(index);
        oid
    }

    #[test]
    fn a_column_ends_where_it_spills_or_meets_an_exception() {
        let (i1, i2, o1) = (row(IF_IN_OCTETS, 1), row(IF_IN_OCTETS, 2), row(IF_OUT_OCTETS, 1));
        // ifInOctets has 2 rows: its third repetition is ifOutOctets.1, which ends it.
        let mut cursors = [Cursor::Start, Cursor::Start];
        let rows = reply_rows(&[0], &[(&i1, 1), (&i2, 2), (&o1, 3)], &mut cursors).unwrap();
        assert_eq!(rows, [vec![1, 2], vec![]]);
        assert!(cursors[0] == Cursor::Done);
        // A reply cut after the first column's varbind: the second keeps its place.
        let mut cursors = [Cursor::Start, Cursor::After(7)];
        let rows = reply_rows(&[0, 1], &[(&i1, 1)], &mut cursors).unwrap();
        assert_eq!(rows, [vec![1], vec![]]);
        assert!(cursors == [Cursor::After(1), Cursor::After(7)]);
    }

    #[test]
    fn an_oid_that_does_not_increase_fails_the_walk() {
        let (i2, i3) = (row(IF_IN_OCTETS, 2), row(IF_IN_OCTETS, 3));
        let sys_up_time = [1, 3, 6, 1, 2, 1, 1, 3, 0];
        // The same row twice in one reply, the row asked after again, an OID before the column.
        type Case<'a> = (Cursor, &'a [(&'a [u32], u64)], Vec<u32>);
        let cases: [Case; 3] = [
            (Cursor::Start, &[(&i3, 1), (&i3, 2)], i3.clone()),
            (Cursor::After(2), &[(&i2, 1)], i2.clone()),
            (Cursor::Start, &[(&sys_up_time, 1)], sys_up_time.to_vec()),
        ];
        for (cursor, varbinds, oid) in cases {
            let mut cursors = [cursor, Cursor::Start];
            let error = reply_rows(&[0], varbinds, &mut cursors).unwrap_err();
            assert_eq!(error, RowError::NotIncreasing { column: 0, oid });
        }
    }

    /// Reads a reply of `varbinds` (OIDs and whole value TLVs) for ifInOctets and ifOutOctets
    /// asked together: each column's rows and values, and where their cursors end.
    fn read_forms(varbinds: &[(Vec<u32>, &[u8])]) -> Result<(Vec<Column>, [Cursor; 2]), RowError> {
        let mut bytes = Vec::new();
        for (oid, value_tlv) in varbinds {
            let (mut contents, mut oid_tlv) = (Vec::new(), Vec::new());
            ber::encode_oid_contents(oid, &mut contents);
            ber::write_bytes(&mut oid_tlv, tag::OID, &contents);
            ber::write_varbind(&mut bytes, &oid_tlv, value_tlv);
        }
        let columns = [IF_IN_OCTETS, IF_OUT_OCTETS];
        let prefixes: Vec<Vec<u8>> = columns
            .iter()
            .map(|arcs| {
                let mut contents = Vec::new();
                ber::encode_oid_contents(arcs, &mut contents);
                contents
            })
            .collect();
        let (mut tables, mut cursors) = (vec![Column::default(); 2], [Cursor::Start, Cursor::After(1)]);
        let walk = Walk { columns: &columns, prefixes: &prefixes, active: &[0, 1], asked: 20 };
        walk.read_rows(Reader::new(&bytes), &mut cursors, &mut tables, &mut Vec::new())?;
        Ok((tables, cursors))
    }

    /// Rows of every form (indexes of one byte and of several, values short and long,
    /// exceptions, columns ending early) are filed as they always were.
    #[test]
    fn rows_of_every_form_are_filed_alike() {
        let (inn, out) = (|i| row(IF_IN_OCTETS, i), |i| row(IF_OUT_OCTETS, i));
        let mut long_text = vec![tag::OCTET_STRING, 0x81, 130];
        long_text.extend_from_slice(&[b'x'; 130]);
        let ucast = row(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 17], 1);
        let (tables, cursors) = read_forms(&[
            (inn(1), &[tag::COUNTER32, 1, 5]),
            (out(2), &[tag::COUNTER64, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            (inn(127), &[tag::INTEGER, 1, 0xff]),
            (out(3), &long_text),
            (inn(128), &[tag::COUNTER32, 5, 0, 0xff, 0xff, 0xff, 0xff]),
            (out(70_000), &[tag::GAUGE32, 1, 1]),
            (inn(129), &[tag::END_OF_MIB_VIEW, 0]),
            (ucast.clone(), &[tag::COUNTER32, 1, 1]),
            (inn(130), &[tag::COUNTER32, 1, 1]),
            (ucast, &[tag::COUNTER32, 1, 1]),
        ])
        .unwrap();
        let rows = |c: &Column| c.0.clone();
        assert_eq!(
            rows(&tables[0]),
            [(1, Value::Counter32(5)), (127, Value::Integer(-1)), (128, Value::Counter32(u32::MAX))]
        );
        assert_eq!(
            rows(&tables[1]),
            [(2, Value::Counter64(u64::MAX)), (3, Value::Bytes(vec![b'x'; 130])), (70_000, Value::Gauge32(1))]
        );
        assert!(cursors == [Cursor::Done, Cursor::Done]);
        // An index below the last one, in one byte or several, fails as before.
        for (first, then) in [(200, 150), (5, 4), (300, 2)] {
            let ended =
                read_forms(&[(inn(first), &[tag::COUNTER32, 1, 1]), (out(2), &[tag::NULL, 0]), (inn(then), &[5, 0])]);
            assert!(ended.is_ok(), "an exception ends the column before its OID is read");
            let error = read_forms(&[
                (inn(first), &[tag::COUNTER32, 1, 1]),
                (out(2), &[tag::NULL, 0]),
                (inn(then), &[tag::COUNTER32, 1, 1]),
            ]);
            assert_eq!(error.unwrap_err(), RowError::NotIncreasing { column: 0, oid: inn(then) });
        }
    }

    #[test]
    fn a_reply_with_more_varbinds_than_asked_fails() {
        let varbinds: Vec<Vec<u32>> = (1..=4).map(|i| row(IF_IN_OCTETS, i)).collect();
        let varbinds: Vec<(&[u32], u64)> = varbinds.iter().map(|oid| (oid.as_slice(), 1)).collect();
        let mut cursors = [Cursor::Start, Cursor::Start];
        let error = reply_rows(&[0], &varbinds, &mut cursors).unwrap_err();
        assert_eq!(error, RowError::TooMany { count: 4, asked: 3 });
    }

    #[test]
    fn two_columns_read_ahead_give_each_index_once_in_order() {
        let column = |indexes: &[u32]| Column(indexes.iter().map(|&i| (i, Value::Counter32(i * 10))).collect());
        let (a, b) = (column(&[1, 2, 5, 9]), column(&[2, 3, 9, 12]));
        assert_eq!(Column::union_indexes(&a, &b).collect::<Vec<_>>(), [1, 2, 3, 5, 9, 12]);
        assert_eq!(Column::union_indexes(&a, &Column::default()).collect::<Vec<_>>(), [1, 2, 5, 9]);
        assert_eq!(Column::union_indexes(&Column::default(), &b).collect::<Vec<_>>(), [2, 3, 9, 12]);
        let mut ahead = a.ahead();
        let read: Vec<Option<u32>> =
            [0, 2, 3, 5, 9, 10].iter().map(|&i| ahead.get(i).and_then(Value::as_u64).map(|v| v as u32)).collect();
        assert_eq!(read, [None, Some(20), None, Some(50), Some(90), None]);
    }

    #[test]
    fn row_limits_follow_if_number_with_room_to_grow() {
        assert_eq!(row_limit(Some(48)), 112);
        assert_eq!(row_limit(Some(4_000)), 8_000);
        assert_eq!(row_limit(None), MAX_ROWS);
        assert_eq!(row_limit(Some(u32::MAX)), MAX_ROWS);
    }
}
