//! A steady walk's requests sent together. An agent that caps its replies (1,472 bytes, one
//! Ethernet frame, on many routers) answers a 48-interface counter walk in 8 replies or so; one
//! after the other, each costs its own send, wake-up and receive, and the poll lasts 8 round
//! trips. From the last walk of the same columns a session knows the table's row indexes and how
//! many varbinds the agent's replies hold ([`Learned`]): it cuts the rows into chunks that fit
//! one reply each, and sends one GETBULK per chunk at once (cursors after the row before the
//! chunk, repetitions the chunk's rows, one more on the last chunk to see the columns' ends).
//!
//! The replies are merged in order. A column's chunk is complete when its rows reach the
//! chunk's last row (or the column ends); a column whose chunk reply stopped short (cut more
//! than expected, rows added since the last walk) takes no further chunk: the sequential walk
//! goes on from its last row, so the result is the sequential walk's in every case. Only
//! SNMPv2c over a socket: SNMPv1 has no GETBULK, and an SNMPv3 engine may resynchronise
//! between two requests. Knows nothing of what the columns mean.

use super::{status_error, Session};
use crate::snmp::transport::{self, Request, MAX_IN_FLIGHT};
use crate::snmp::walk::{read_scalars, row_limit, Column, Cursor, Walk, WalkBuffers};
use crate::snmp::{Oid, SnmpError};

/// Columns a walk sent together may have at most (their states fit a bit set).
const MAX_COLUMNS: usize = 64;
/// A reply is planned to hold this share less than the most the agent sent (its values may
/// have grown a byte since): 1/16.
const MARGIN_SHIFT: u32 = 4;

/// What the last walk of a table left for the next walk of the same columns.
#[derive(Default)]
pub(super) struct Learned {
    /// The columns walked: each one's length, then its arcs.
    key: Vec<u32>,
    /// Every row index the last complete walk found, in order.
    indexes: Vec<u32>,
    /// The most varbinds the agent put in a reply cut short (by its size limit); `None` while
    /// no reply was.
    reply_varbinds: Option<u32>,
    /// Requests sent together since the session opened (for tests and debugging).
    pub(super) sent_together: u64,
}

impl Learned {
    /// Starts a walk of `columns`: what was learned of other columns is forgotten.
    pub(super) fn start(&mut self, columns: &[&[u32]]) {
        if self.same_columns(columns) {
            return;
        }
        self.key.clear();
        for column in columns {
            self.key.push(column.len() as u32);
            self.key.extend_from_slice(column);
        }
        self.indexes.clear();
        self.reply_varbinds = None;
    }

    fn same_columns(&self, columns: &[&[u32]]) -> bool {
        let mut key = self.key.iter().copied();
        let same = columns
            .iter()
            .all(|column| key.next() == Some(column.len() as u32) && column.iter().all(|&arc| key.next() == Some(arc)));
        same && key.next().is_none()
    }

    /// A reply held `varbinds` and fewer than asked, before its columns' ends: the agent's size
    /// limit.
    pub(super) fn cut_reply(&mut self, varbinds: usize) {
        let varbinds = u32::try_from(varbinds).unwrap_or(u32::MAX);
        self.reply_varbinds = Some(self.reply_varbinds.map_or(varbinds, |known| known.min(varbinds)));
    }

    /// The agent refused a reply's size (tooBig): ask as if nothing was known.
    fn forget_replies(&mut self) {
        self.reply_varbinds = None;
    }

    /// Keeps the row indexes of a complete walk: those of its columns together.
    pub(super) fn remember_rows(&mut self, tables: &[Column]) {
        self.indexes.clear();
        let Some(first) = tables.first() else { return };
        if tables.iter().all(|column| column.indexes().eq(first.indexes())) {
            self.indexes.extend(first.indexes());
            return;
        }
        self.indexes.extend(tables.iter().flat_map(Column::indexes));
        self.indexes.sort_unstable();
        self.indexes.dedup();
    }

    /// How to cut the next walk of `columns` columns (the first request also carrying
    /// `scalars`), if its rows take more than one reply.
    fn plan(&self, columns: usize, scalars: usize) -> Option<Plan> {
        let capacity = self.reply_varbinds? as usize;
        let usable = capacity - (capacity >> MARGIN_SHIFT);
        if columns == 0 || columns > MAX_COLUMNS || self.indexes.is_empty() {
            return None;
        }
        let (rows, first_rows) = (usable / columns, usable.saturating_sub(scalars) / columns);
        // One reply holds every row and the columns' ends: nothing to send together.
        if rows < 2 || first_rows < 1 || self.indexes.len() < first_rows {
            return None;
        }
        Some(Plan { at: 0, first_rows, rows, done: false })
    }
}

/// One GETBULK of a walk sent together: the rows after `lo` up to and including `hi` (to the
/// columns' ends on the last chunk, whose `hi` is `None`).
#[derive(Clone, Copy, Default)]
struct Chunk {
    first: bool,
    lo: Option<u32>,
    hi: Option<u32>,
    repetitions: u32,
}

/// The chunks of a walk, in order, by their place among the remembered row indexes.
struct Plan {
    at: usize,
    first_rows: usize,
    rows: usize,
    done: bool,
}

impl Plan {
    fn next(&mut self, indexes: &[u32]) -> Option<Chunk> {
        if self.done {
            return None;
        }
        let first = self.at == 0;
        let size = if first { self.first_rows } else { self.rows };
        let left = indexes.len() - self.at;
        let lo = self.at.checked_sub(1).map(|i| indexes[i]);
        if left < size {
            self.done = true;
            return Some(Chunk { first, lo, hi: None, repetitions: left as u32 + 1 });
        }
        self.at += size;
        Some(Chunk { first, lo, hi: Some(indexes[self.at - 1]), repetitions: size as u32 })
    }
}

/// Where each column of a walk sent together stands.
struct Columns {
    /// Columns that take no further chunk: their walk goes on sequentially.
    stalled: u64,
    /// Rows each column held before the chunk being merged.
    before: [usize; MAX_COLUMNS],
}

impl Session {
    /// Walks `columns` in chunks sent together, if the last walk of them taught how, into
    /// `buffers`; leaves each column's cursor where its sequential walk must go on (done,
    /// mostly). Answers whether the scalars were read.
    pub(super) async fn walk_together(
        &mut self,
        buffers: &mut WalkBuffers,
        scalars: &[&[u32]],
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<bool, SnmpError> {
        let Some(plan) = self.learned.plan(columns.len(), scalars.len()) else { return Ok(false) };
        if !self.transport.can_fly() {
            return Ok(false);
        }
        let walked = self.walk_chunks(plan, buffers, scalars, columns, rows_hint).await;
        // A failed walk's requests still in flight wait no more.
        self.transport.clear_flight();
        walked
    }

    async fn walk_chunks(
        &mut self,
        mut plan: Plan,
        buffers: &mut WalkBuffers,
        scalars: &[&[u32]],
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<bool, SnmpError> {
        let limit = row_limit(rows_hint);
        let n = columns.len();
        let mut state = Columns { stalled: 0, before: [0; MAX_COLUMNS] };
        let mut scalars_read = false;
        buffers.held.clear();
        buffers.held.resize(n, Cursor::Start);
        let mut round = [Chunk::default(); MAX_IN_FLIGHT];
        loop {
            let sent = self.send_round(&mut plan, &mut round, scalars, columns);
            if sent == 0 {
                break;
            }
            for (at, chunk) in round[..sent].iter().enumerate() {
                scalars_read |= self.merge_chunk(at, chunk, buffers, &mut state, scalars, columns).await?;
                if let Some(at) = buffers.tables[..n].iter().position(|column| column.0.len() > limit) {
                    let column = Oid::from_slice(columns[at]);
                    return Err(SnmpError::TooManyRows { target: self.target(), column, limit, if_number: rows_hint });
                }
            }
        }
        buffers.cursors[..n].copy_from_slice(&buffers.held[..n]);
        Ok(scalars_read)
    }

    /// Sends the plan's next chunks together, into `round`; answers how many.
    fn send_round(
        &mut self,
        plan: &mut Plan,
        round: &mut [Chunk; MAX_IN_FLIGHT],
        scalars: &[&[u32]],
        columns: &[&[u32]],
    ) -> usize {
        self.transport.clear_flight();
        let mut sent = 0;
        while sent < MAX_IN_FLIGHT {
            let Some(chunk) = plan.next(&self.learned.indexes) else { break };
            let asked_scalars = if chunk.first { scalars } else { &[] };
            let scalar_oids = asked_scalars.iter().map(|oid| (&oid[..oid.len().saturating_sub(1)], None));
            let column_oids = columns.iter().map(|&column| (column, chunk.lo));
            let request =
                Request::GetBulk { non_repeaters: asked_scalars.len() as u32, max_repetitions: chunk.repetitions };
            if !self.transport.add_to_flight(request, scalar_oids.chain(column_oids)) {
                break;
            }
            round[sent] = chunk;
            sent += 1;
            self.learned.sent_together += 1;
        }
        self.transport.send_flight();
        sent
    }

    /// Awaits the reply to the round's request `at` and merges its rows into the columns that
    /// still take chunks. Answers whether it read the scalars.
    async fn merge_chunk(
        &mut self,
        at: usize,
        chunk: &Chunk,
        buffers: &mut WalkBuffers,
        state: &mut Columns,
        scalars: &[&[u32]],
        columns: &[&[u32]],
    ) -> Result<bool, SnmpError> {
        let (target, n) = (self.target(), columns.len());
        let WalkBuffers { scalars: scalar_values, tables, prefixes, cursors, active, arcs, held } = buffers;
        let (tables, held) = (&mut tables[..n], &mut held[..n]);
        let reply = self.transport.flight_reply(at).await?;
        match reply.error_status {
            0 => {}
            transport::TOO_BIG => {
                log::debug!("GETBULK sent together too big for {target}; the walk goes on sequentially");
                self.learned.forget_replies();
                state.stalled = u64::MAX;
                return Ok(false);
            }
            status => return Err(status_error(target, status, "a GETBULK")),
        }
        let mut varbinds = reply.varbinds;
        let asked_scalars = if chunk.first { scalars } else { &[] };
        if !asked_scalars.is_empty() {
            let complete = read_scalars(&mut varbinds, asked_scalars, scalar_values)
                .map_err(|e| SnmpError::undecodable(target, e))?;
            if !complete {
                return Err(SnmpError::protocol(target, "a GETBULK reply without its non-repeaters".into()));
            }
        }
        active.clear();
        active.extend(0..n);
        for c in 0..n {
            let open = state.stalled & (1 << c) == 0 && held[c] != Cursor::Done;
            cursors[c] = match (open, chunk.lo) {
                (false, _) => Cursor::Done,
                (true, Some(lo)) => Cursor::After(lo),
                (true, None) => Cursor::Start,
            };
            state.before[c] = tables[c].0.len();
        }
        let asked = n * chunk.repetitions as usize;
        let walk = Walk { columns, prefixes, active, asked };
        let rows = walk.read_rows(varbinds, cursors, tables, arcs).map_err(|e| e.at(target, columns, cursors))?;
        let stalled_before = state.stalled;
        for c in 0..n {
            let open = stalled_before & (1 << c) == 0 && held[c] != Cursor::Done;
            if open {
                merge_column(c, chunk, &mut tables[c], cursors[c], &mut held[c], state);
            }
        }
        if rows < asked && state.stalled != stalled_before {
            self.learned.cut_reply(rows + asked_scalars.len());
        }
        self.spend(rows)?;
        Ok(!asked_scalars.is_empty())
    }
}

/// Merges column `c`'s rows from a chunk's reply (those after `state.before[c]`, its cursor in
/// that reply `cursor`): keeps those up to the chunk's last row, moves the column's place
/// `held` on, and marks the column stalled if the reply stopped before the chunk's end.
fn merge_column(c: usize, chunk: &Chunk, table: &mut Column, cursor: Cursor, held: &mut Cursor, state: &mut Columns) {
    let mut passed = false;
    if let Some(hi) = chunk.hi {
        let keep = table.0.partition_point(|(index, _)| *index <= hi);
        passed = keep < table.0.len();
        table.0.truncate(keep);
    }
    let last_new = table.0.last().filter(|_| table.0.len() > state.before[c]).map(|(index, _)| *index);
    let moved = last_new.map_or(*held, Cursor::After);
    *held = match (chunk.hi, cursor) {
        // The column ended in this chunk, all its rows read.
        (None, Cursor::Done) => Cursor::Done,
        (Some(_), Cursor::Done) if !passed => Cursor::Done,
        // It reached the chunk's last row: the next chunk goes on.
        (Some(_), _) if passed => moved,
        (Some(hi), Cursor::After(last)) if last >= hi => moved,
        // It stopped short: walked on sequentially from its last row.
        _ => {
            state.stalled |= 1 << c;
            moved
        }
    };
}

#[cfg(test)]
mod tests;
