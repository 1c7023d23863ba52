//! The echoes sent and not yet accounted for, keyed by sequence number: when each was sent, to
//! whom, and what came back. Sequence numbers are handed out in blocks, one per batch of rounds,
//! so they stay unique across concurrent batches; a batch's entries leave the table when it ends
//! (or is dropped), so the table holds at most the echoes of the rounds in flight.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What became of one echo.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Waiting,
    Answered(Duration),
    /// It could not be sent, or an ICMP error quoting it came back.
    Failed(String),
}

struct Pending {
    batch: u64,
    to: IpAddr,
    sent: Instant,
    outcome: Outcome,
}

pub struct EchoTable {
    echoes: Mutex<HashMap<u16, Pending>>,
    next_seq: AtomicU16,
    next_batch: AtomicU64,
}

/// A block of sequence numbers held by one batch; its entries leave the table with it.
pub struct Block<'a> {
    table: &'a EchoTable,
    batch: u64,
    first: u16,
    len: u16,
}

impl EchoTable {
    pub fn new() -> EchoTable {
        EchoTable {
            echoes: Mutex::new(HashMap::new()),
            next_seq: AtomicU16::new(rand::random()),
            next_batch: AtomicU64::new(0),
        }
    }

    /// `len` consecutive sequence numbers (wrapping) for one batch. The caller keeps the echoes in
    /// flight far below 65,536, so a block is never still in use when its numbers come round again.
    pub fn block(&self, len: u16) -> Block<'_> {
        let first = self.next_seq.fetch_add(len, Ordering::Relaxed);
        Block { table: self, batch: self.next_batch.fetch_add(1, Ordering::Relaxed), first, len }
    }

    /// An echo reply from `from` for `seq`: recorded when it answers a waiting echo sent there.
    pub fn reply(&self, from: IpAddr, seq: u16, at: Instant) {
        self.settle(from, seq, |sent| Outcome::Answered(at.saturating_duration_since(sent)));
    }

    /// An ICMP error quoting the request `seq` sent to `to`: that echo is lost, for this reason.
    pub fn error(&self, to: IpAddr, seq: u16, kind: u8, code: u8) {
        self.settle(to, seq, |_| Outcome::Failed(format!("ICMP type {kind} code {code} instead of an echo reply")));
    }

    /// The first answer counts; later ones (duplicates, strays) are ignored, never stored.
    fn settle(&self, to: IpAddr, seq: u16, outcome: impl FnOnce(Instant) -> Outcome) {
        let mut echoes = self.echoes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(echo) = echoes.get_mut(&seq) {
            if echo.to == to && echo.outcome == Outcome::Waiting {
                echo.outcome = outcome(echo.sent);
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.echoes.lock().unwrap().len()
    }
}

impl Block<'_> {
    /// The sequence number of the block's `index`-th echo.
    pub fn seq(&self, index: u16) -> u16 {
        self.first.wrapping_add(index)
    }

    /// Records echo `index`, sent to `to` now; `false` when its number is still held by an
    /// older batch (then it is not sent).
    pub fn sending(&self, index: u16, to: IpAddr) -> bool {
        let mut echoes = self.table.echoes.lock().unwrap_or_else(|e| e.into_inner());
        let seq = self.seq(index);
        if echoes.get(&seq).is_some_and(|echo| echo.batch != self.batch) {
            return false;
        }
        echoes.insert(seq, Pending { batch: self.batch, to, sent: Instant::now(), outcome: Outcome::Waiting });
        true
    }

    /// Echo `index` failed before an answer could come (e.g. the send was refused).
    pub fn failed(&self, index: u16, why: String) {
        let mut echoes = self.table.echoes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(echo) = echoes.get_mut(&self.seq(index)).filter(|echo| echo.batch == self.batch) {
            echo.outcome = Outcome::Failed(why);
        }
    }

    /// Takes the outcomes of the block's echoes out of the table, in index order; an echo never
    /// sent is `Waiting`.
    pub fn finish(self) -> Vec<Outcome> {
        let mut echoes = self.table.echoes.lock().unwrap_or_else(|e| e.into_inner());
        (0..self.len)
            .map(|index| match echoes.remove(&self.seq(index)) {
                Some(echo) if echo.batch == self.batch => echo.outcome,
                Some(other) => {
                    echoes.insert(self.seq(index), other);
                    Outcome::Waiting
                }
                None => Outcome::Waiting,
            })
            .collect()
    }
}

impl Drop for Block<'_> {
    fn drop(&mut self) {
        let mut echoes = self.table.echoes.lock().unwrap_or_else(|e| e.into_inner());
        for index in 0..self.len {
            let seq = self.seq(index);
            if echoes.get(&seq).is_some_and(|echo| echo.batch == self.batch) {
                echoes.remove(&seq);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answer_counts_and_strays_are_not_stored() {
        let table = EchoTable::new();
        let (here, there): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let block = table.block(3);
        assert!(block.sending(0, here) && block.sending(1, here) && block.sending(2, here));
        let later = Instant::now() + Duration::from_millis(5);
        table.reply(there, block.seq(0), later); // the wrong address: ignored
        table.reply(here, block.seq(0), later);
        table.error(here, block.seq(0), 3, 1); // after the reply: ignored
        table.error(here, block.seq(1), 3, 1);
        table.reply(here, block.seq(2).wrapping_add(100), later); // nobody's: not stored
        assert_eq!(table.len(), 3);
        let outcomes = block.finish();
        assert!(matches!(outcomes[0], Outcome::Answered(d) if d >= Duration::from_millis(5)));
        assert_eq!(outcomes[1], Outcome::Failed("ICMP type 3 code 1 instead of an echo reply".into()));
        assert_eq!(outcomes[2], Outcome::Waiting);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn a_dropped_batch_leaves_nothing_and_blocks_do_not_overlap() {
        let table = EchoTable::new();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let first = table.block(4);
        let second = table.block(4);
        assert!((0..4).all(|i| (0..4).all(|j| first.seq(i) != second.seq(j))));
        assert!(first.sending(0, here) && second.sending(3, here));
        drop(first);
        assert_eq!(table.len(), 1);
        drop(second);
        assert_eq!(table.len(), 0);
    }
}
