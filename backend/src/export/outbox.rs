//! One target's requests waiting to be sent, oldest first: in memory while the target keeps
//! up, on disk ([`Queue`]) otherwise. A request goes to memory when nothing waits on disk and
//! memory holds less than [`MEMORY_MAX_BYTES`]; else memory is moved to disk first (its order
//! kept) and the request follows it there. Memory is also moved to disk when a send fails (the
//! outage is then absorbed on disk, bounded, and survives a restart) and when Vigie stops. In
//! the steady state a request is compressed, sent and forgotten: it never touches the disk.
//! Blocking I/O when it spills: call it from blocking threads.

use std::collections::VecDeque;

use bytes::Bytes;

use super::queue::{Dropped, Queue, QueueUsage};

/// Bytes of compressed requests kept in memory, at most (about 10 s of a 2,000-device fleet
/// polled every 30 s): what a crash (not a stop) could lose besides the hand-off's second.
pub const MEMORY_MAX_BYTES: usize = 4 << 20;

/// Where a request waits: to acknowledge it once sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    Memory(u64),
    /// Its segment and index there.
    Disk(u64, usize),
}

/// A request waiting to be sent (its payload shared with the outbox, not copied).
#[derive(Debug, PartialEq)]
pub struct Request {
    pub at: At,
    pub payload: Bytes,
    pub samples: u32,
    pub oldest_ms: i64,
}

struct InMemory {
    seq: u64,
    payload: Bytes,
    samples: u32,
    oldest_ms: i64,
}

impl InMemory {
    fn request(&self) -> Request {
        Request {
            at: At::Memory(self.seq),
            payload: self.payload.clone(),
            samples: self.samples,
            oldest_ms: self.oldest_ms,
        }
    }
}

pub struct Outbox {
    disk: Queue,
    memory: VecDeque<InMemory>,
    memory_bytes: usize,
    next_seq: u64,
    /// The request of memory's front when it was last moved to disk, and where it went: a
    /// send of it under way then is acknowledged there, not sent twice.
    moved_front: Option<(u64, At)>,
    /// Appended to disk since the last sync.
    unsynced: bool,
}

impl Outbox {
    pub fn new(disk: Queue) -> Outbox {
        Outbox { disk, memory: VecDeque::new(), memory_bytes: 0, next_seq: 0, moved_front: None, unsynced: false }
    }

    /// Adds a request (kept, not copied, when it waits in memory); answers what the disk
    /// queue's bound dropped to make room.
    pub fn push(&mut self, payload: Bytes, samples: u32, oldest_ms: i64) -> std::io::Result<Dropped> {
        if self.disk.is_empty() && self.memory_bytes + payload.len() <= MEMORY_MAX_BYTES {
            self.memory_bytes += payload.len();
            let seq = self.next_seq;
            self.next_seq += 1;
            self.memory.push_back(InMemory { seq, payload, samples, oldest_ms });
            return Ok(Dropped::default());
        }
        let mut dropped = self.spill()?;
        let more = self.disk.append(&payload, samples, oldest_ms)?;
        self.unsynced = true;
        dropped.segments += more.segments;
        dropped.samples += more.samples;
        Ok(dropped)
    }

    /// Moves what waits in memory to disk, in order (not synced: see [`Outbox::sync`]).
    pub fn spill(&mut self) -> std::io::Result<Dropped> {
        let mut dropped = Dropped::default();
        let mut first = true;
        while let Some(request) = self.memory.pop_front() {
            self.memory_bytes -= request.payload.len();
            let more = self.disk.append(&request.payload, request.samples, request.oldest_ms)?;
            self.unsynced = true;
            dropped.segments += more.segments;
            dropped.samples += more.samples;
            if first {
                self.moved_front = self.disk.last_at().map(|(segment, index)| (request.seq, At::Disk(segment, index)));
                first = false;
            }
        }
        Ok(dropped)
    }

    /// Makes what went to disk durable (once per batch, not per request).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.unsynced) {
            self.disk.sync()?;
        }
        Ok(())
    }

    /// The oldest request not acknowledged yet (read from disk when it is there).
    pub fn peek(&self) -> std::io::Result<Option<Request>> {
        if let Some(oldest) = self.disk.peek()? {
            let (segment, index) = oldest.at;
            let at = At::Disk(segment, index);
            return Ok(Some(Request {
                at,
                payload: Bytes::from(oldest.payload),
                samples: oldest.samples,
                oldest_ms: oldest.oldest_ms,
            }));
        }
        Ok(self.memory.front().map(InMemory::request))
    }

    /// The oldest request not acknowledged yet when nothing waits on disk (then no I/O:
    /// memory's oldest, or none); `None` when it must be read from disk with [`Outbox::peek`].
    pub fn peek_in_memory(&self) -> Option<Option<Request>> {
        self.disk.is_empty().then(|| self.memory.front().map(InMemory::request))
    }

    /// Acknowledges the request at `at` when it is memory's oldest (no I/O); answers whether
    /// it was, else [`Outbox::ack`] is the way.
    pub fn ack_in_memory(&mut self, at: At) -> bool {
        if !matches!(at, At::Memory(seq) if self.memory.front().is_some_and(|r| r.seq == seq)) {
            return false;
        }
        let request = self.memory.pop_front().expect("a front request");
        self.memory_bytes -= request.payload.len();
        true
    }

    /// Acknowledges the request at `at`; nothing when it is not the oldest any more (the
    /// disk's bound dropped it meanwhile).
    pub fn ack(&mut self, at: At) -> std::io::Result<()> {
        if self.ack_in_memory(at) {
            return Ok(());
        }
        match at {
            At::Memory(seq) => match self.moved_front {
                Some((moved, At::Disk(segment, index))) if moved == seq => self.disk.ack((segment, index)),
                _ => Ok(()),
            },
            At::Disk(segment, index) => self.disk.ack((segment, index)),
        }
    }

    /// Bytes, samples and the oldest sample waiting, on disk and in memory.
    pub fn usage(&self) -> QueueUsage {
        let mut usage = self.disk.usage();
        usage.bytes += self.memory_bytes as u64;
        for request in &self.memory {
            usage.samples += u64::from(request.samples);
            usage.oldest_ms = Some(usage.oldest_ms.map_or(request.oldest_ms, |o| o.min(request.oldest_ms)));
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> (tempfile::TempDir, Outbox) {
        let dir = tempfile::tempdir().unwrap();
        let (queue, _) = Queue::open(dir.path(), 64 << 20).unwrap();
        (dir, Outbox::new(queue))
    }

    fn drain(outbox: &mut Outbox) -> Vec<i64> {
        let mut seen = Vec::new();
        while let Some(request) = outbox.peek().unwrap() {
            seen.push(request.oldest_ms);
            outbox.ack(request.at).unwrap();
        }
        seen
    }

    #[test]
    fn requests_wait_in_memory_while_the_target_keeps_up_and_never_touch_the_disk() {
        let (dir, mut outbox) = outbox();
        outbox.push(Bytes::from_static(b"one"), 1, 1).unwrap();
        outbox.push(Bytes::from_static(b"two"), 2, 2).unwrap();
        outbox.sync().unwrap();
        let usage = outbox.usage();
        assert_eq!((usage.samples, usage.oldest_ms, usage.bytes), (3, Some(1), 6));
        let first = outbox.peek().unwrap().unwrap();
        assert_eq!((first.at, &first.payload[..]), (At::Memory(0), &b"one"[..]));
        assert_eq!(drain(&mut outbox), [1, 2]);
        let on_disk: u64 = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
        assert_eq!(on_disk, 0, "nothing written");
    }

    #[test]
    fn a_failed_send_moves_memory_to_disk_in_order_and_what_follows_goes_behind_it() {
        let (dir, mut outbox) = outbox();
        outbox.push(Bytes::from_static(b"one"), 1, 1).unwrap();
        outbox.push(Bytes::from_static(b"two"), 1, 2).unwrap();
        let in_flight = outbox.peek().unwrap().unwrap();
        outbox.spill().unwrap(); // the send failed
        outbox.push(Bytes::from_static(b"three"), 1, 3).unwrap();
        outbox.sync().unwrap();
        assert!(matches!(outbox.peek().unwrap().unwrap().at, At::Disk(..)));
        let (queue, _) = Queue::open(dir.path(), 64 << 20).unwrap();
        assert_eq!(Outbox::new(queue).usage().samples, 3, "all of it survives a restart");
        // A send of the front under way when it moved is acknowledged on disk: not sent twice.
        outbox.ack(in_flight.at).unwrap();
        assert_eq!(drain(&mut outbox), [2, 3]);
        outbox.push(Bytes::from_static(b"four"), 1, 4).unwrap();
        assert!(matches!(outbox.peek().unwrap().unwrap().at, At::Memory(_)), "disk drained: memory again");
    }

    #[test]
    fn past_its_bound_memory_moves_to_disk() {
        let (_dir, mut outbox) = outbox();
        let payload = Bytes::from(vec![7u8; MEMORY_MAX_BYTES / 3]);
        for i in 0..5 {
            outbox.push(payload.clone(), 1, i).unwrap();
        }
        let usage = outbox.usage();
        assert_eq!(usage.samples, 5);
        assert!(usage.segments >= 1 && outbox.memory.is_empty(), "{usage:?}");
        assert_eq!(drain(&mut outbox), [0, 1, 2, 3, 4]);
    }
}
