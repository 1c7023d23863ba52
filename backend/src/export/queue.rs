//! One target's on-disk queue: compressed requests waiting to be sent, in segment files under
//! `<data-dir>/remote-write/<name>/`, sent oldest first, deleted once acknowledged. Bounded in
//! bytes: past the bound the oldest segment is dropped and its unsent samples counted.
//!
//! ```text
//! 00000000000000000001.seg   records appended in order; a new segment past `segment_bytes`
//! cursor                     "<segment> <record>": the first record of the oldest segment not
//!                            acknowledged yet (written atomically after each acknowledgement)
//! record = len u32 | crc32 u32 | samples u32 | oldest_ms i64 | payload (len bytes)
//! ```
//! (little-endian; the CRC covers samples, oldest_ms and the payload.) A record cut short by a
//! crash (a torn tail) or failing its CRC ends its segment: what follows is cut off and counted.
//! Blocking I/O: call it from blocking threads.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const HEADER: usize = 20;
/// A record larger than this is not believed (a damaged length).
const MAX_RECORD: u32 = 64 << 20;

/// A request waiting in the queue.
#[derive(Debug, PartialEq)]
pub struct Record {
    /// Where it is: its segment and index there, to acknowledge it.
    pub at: (u64, usize),
    pub payload: Vec<u8>,
    pub samples: u32,
    pub oldest_ms: i64,
}

/// What the bound dropped, or a load cut off.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Dropped {
    pub segments: u64,
    pub samples: u64,
}

#[derive(Debug, Clone, Copy)]
struct RecordMeta {
    offset: u64,
    samples: u32,
    oldest_ms: i64,
}

#[derive(Debug)]
struct Segment {
    seq: u64,
    bytes: u64,
    records: Vec<RecordMeta>,
}

/// The queue's figures for `/status`: what waits to be sent.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct QueueUsage {
    pub bytes: u64,
    pub segments: usize,
    pub samples: u64,
    /// The oldest sample not sent yet (unix ms), none when everything is sent.
    pub oldest_ms: Option<i64>,
}

pub struct Queue {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    segments: VecDeque<Segment>,
    /// Records of the front segment already acknowledged.
    sent_in_front: usize,
    /// The segment appended to (the last one), open.
    active: Option<File>,
}

impl Queue {
    /// Opens (or creates) the queue in `dir`, bounded to `max_bytes`; answers it with what a
    /// torn or damaged tail cut off.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<(Queue, Dropped)> {
        std::fs::create_dir_all(dir)?;
        let mut seqs: Vec<u64> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".seg")?.parse().ok())
            .collect();
        seqs.sort_unstable();
        // A cursor naming a segment that is not there (files removed by hand) is ignored.
        let cursor = read_cursor(&dir.join("cursor")).filter(|(seq, _)| seqs.contains(seq));
        let mut queue = Queue {
            dir: dir.to_path_buf(),
            max_bytes,
            segment_bytes: (max_bytes / 8).clamp(64 << 10, 16 << 20),
            segments: VecDeque::new(),
            sent_in_front: 0,
            active: None,
        };
        let mut cut = Dropped::default();
        for seq in seqs {
            if cursor.is_some_and(|(acked, _)| seq < acked) {
                std::fs::remove_file(queue.path(seq))?; // acknowledged before a crash
                continue;
            }
            let (segment, torn) = scan(&queue.path(seq), seq)?;
            cut.samples += u64::from(torn);
            queue.segments.push_back(segment);
        }
        if let (Some((acked, index)), Some(front)) = (cursor, queue.segments.front()) {
            if front.seq == acked {
                queue.sent_in_front = index.min(front.records.len());
            }
        }
        if let Some(last) = queue.segments.back() {
            queue.active = Some(OpenOptions::new().append(true).open(queue.path(last.seq))?);
        }
        Ok((queue, cut))
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.seg"))
    }

    /// Appends one request, not synced yet (see [`Queue::sync`]); answers what the bound
    /// dropped to make room.
    pub fn append(&mut self, payload: &[u8], samples: u32, oldest_ms: i64) -> std::io::Result<Dropped> {
        let record_bytes = (HEADER + payload.len()) as u64;
        let roll = match self.segments.back() {
            None => true,
            Some(last) => last.bytes > 0 && last.bytes + record_bytes > self.segment_bytes,
        };
        if roll {
            self.roll()?;
        }
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc(samples, oldest_ms, payload).to_le_bytes());
        record.extend_from_slice(&samples.to_le_bytes());
        record.extend_from_slice(&oldest_ms.to_le_bytes());
        record.extend_from_slice(payload);
        let file = self.active.as_mut().expect("a segment is open after roll");
        file.write_all(&record)?;
        let last = self.segments.back_mut().expect("a segment after roll");
        last.records.push(RecordMeta { offset: last.bytes, samples, oldest_ms });
        last.bytes += record_bytes;
        self.enforce_bound()
    }

    /// Makes what was appended durable: called once per batch of requests, not per request.
    pub fn sync(&mut self) -> std::io::Result<()> {
        match &self.active {
            Some(file) => file.sync_data(),
            None => Ok(()),
        }
    }

    /// Starts a new segment (the one appended to so far is synced first); the front one goes
    /// when everything in it was acknowledged.
    fn roll(&mut self) -> std::io::Result<()> {
        self.sync()?;
        let seq = self.segments.back().map_or(1, |s| s.seq + 1);
        let file = OpenOptions::new().create(true).append(true).open(self.path(seq))?;
        self.segments.push_back(Segment { seq, bytes: 0, records: Vec::new() });
        self.active = Some(file);
        self.remove_front_if_sent()
    }

    /// Drops the oldest segments while the queue is over its bound (the one appended to stays).
    fn enforce_bound(&mut self) -> std::io::Result<Dropped> {
        let mut dropped = Dropped::default();
        while self.bytes() > self.max_bytes && self.segments.len() > 1 {
            let front = self.segments.pop_front().expect("more than one segment");
            dropped.segments += 1;
            dropped.samples += front.records[self.sent_in_front..].iter().map(|r| u64::from(r.samples)).sum::<u64>();
            self.sent_in_front = 0;
            std::fs::remove_file(self.path(front.seq))?;
        }
        if dropped.segments > 0 {
            self.write_cursor()?;
        }
        Ok(dropped)
    }

    /// Whether every request appended was acknowledged (or dropped).
    pub fn is_empty(&self) -> bool {
        self.segments.iter().enumerate().all(|(i, s)| s.records.len() <= if i == 0 { self.sent_in_front } else { 0 })
    }

    /// Where the request appended last is (as [`Record::at`]).
    pub fn last_at(&self) -> Option<(u64, usize)> {
        let last = self.segments.back()?;
        Some((last.seq, last.records.len().checked_sub(1)?))
    }

    /// The oldest request not acknowledged yet.
    pub fn peek(&self) -> std::io::Result<Option<Record>> {
        let Some(front) = self.segments.front() else { return Ok(None) };
        let Some(meta) = front.records.get(self.sent_in_front) else { return Ok(None) };
        let file = File::open(self.path(front.seq))?;
        let mut header = [0u8; HEADER];
        file.read_exact_at(&mut header, meta.offset)?;
        let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes"));
        let mut payload = vec![0u8; len as usize];
        file.read_exact_at(&mut payload, meta.offset + HEADER as u64)?;
        Ok(Some(Record {
            at: (front.seq, self.sent_in_front),
            payload,
            samples: meta.samples,
            oldest_ms: meta.oldest_ms,
        }))
    }

    /// Acknowledges the request at `at` (as [`Record::at`]); nothing when it is not the front
    /// one any more (the bound dropped it meanwhile).
    pub fn ack(&mut self, at: (u64, usize)) -> std::io::Result<()> {
        let Some(front) = self.segments.front() else { return Ok(()) };
        if (front.seq, self.sent_in_front) != at {
            return Ok(());
        }
        self.sent_in_front += 1;
        self.remove_front_if_sent()?;
        self.write_cursor()
    }

    /// Removes the front segment when all of it is acknowledged and it is not appended to.
    fn remove_front_if_sent(&mut self) -> std::io::Result<()> {
        let done = self.segments.len() > 1
            && self.segments.front().is_some_and(|front| self.sent_in_front >= front.records.len());
        if done {
            let front = self.segments.pop_front().expect("a front segment");
            self.sent_in_front = 0;
            std::fs::remove_file(self.path(front.seq))?;
            self.write_cursor()?;
        }
        Ok(())
    }

    fn write_cursor(&self) -> std::io::Result<()> {
        let Some(front) = self.segments.front() else { return Ok(()) };
        let path = self.dir.join("cursor");
        let temp = self.dir.join("cursor.tmp");
        std::fs::write(&temp, format!("{} {}\n", front.seq, self.sent_in_front))?;
        std::fs::rename(temp, path)
    }

    fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    /// What waits: the segments that still hold a request not acknowledged (the one appended
    /// to stays on disk once drained, but is not counted then), their bytes, samples and age.
    pub fn usage(&self) -> QueueUsage {
        let mut usage = QueueUsage::default();
        for (i, segment) in self.segments.iter().enumerate() {
            let skip = if i == 0 { self.sent_in_front } else { 0 };
            let unsent = &segment.records[skip.min(segment.records.len())..];
            if unsent.is_empty() {
                continue;
            }
            usage.segments += 1;
            usage.bytes += segment.bytes;
            for r in unsent {
                usage.samples += u64::from(r.samples);
                usage.oldest_ms = Some(usage.oldest_ms.map_or(r.oldest_ms, |o| o.min(r.oldest_ms)));
            }
        }
        usage
    }
}

fn crc(samples: u32, oldest_ms: i64, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&samples.to_le_bytes());
    hasher.update(&oldest_ms.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

fn read_cursor(path: &Path) -> Option<(u64, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Reads a segment's records; a torn or damaged record and what follows are cut off (the file
/// is truncated there). Answers the segment and the samples the cut record held, when known.
fn scan(path: &Path, seq: u64) -> std::io::Result<(Segment, u32)> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    let mut records = Vec::new();
    let mut at = 0usize;
    let mut torn_samples = 0;
    while at < bytes.len() {
        let Some(header) = bytes.get(at..at + HEADER) else { break };
        let word = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4 bytes"));
        let (len, sum, samples) = (word(0), word(4), word(8));
        let oldest_ms = i64::from_le_bytes(header[12..20].try_into().expect("8 bytes"));
        let end = at + HEADER + len as usize;
        let whole = len <= MAX_RECORD && end <= bytes.len();
        if !whole || crc(samples, oldest_ms, &bytes[at + HEADER..end]) != sum {
            torn_samples = if len <= MAX_RECORD { samples } else { 0 };
            break;
        }
        records.push(RecordMeta { offset: at as u64, samples, oldest_ms });
        at = end;
    }
    if at < bytes.len() {
        log::warn!(
            "Remote-write queue {}: {} bytes at its end were torn or damaged and are cut off.",
            path.display(),
            bytes.len() - at
        );
        OpenOptions::new().write(true).open(path)?.set_len(at as u64)?;
    }
    Ok((Segment { seq, bytes: at as u64, records }, torn_samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(i: u32) -> Vec<u8> {
        format!("request {i:06} ").repeat(100).into_bytes() // 1,500 bytes
    }

    fn drain(queue: &mut Queue) -> Vec<i64> {
        let mut seen = Vec::new();
        while let Some(record) = queue.peek().unwrap() {
            seen.push(record.oldest_ms);
            queue.ack(record.at).unwrap();
        }
        seen
    }

    #[test]
    fn requests_come_out_oldest_first_and_acknowledged_segments_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut queue, cut) = Queue::open(dir.path(), 512 << 10).unwrap();
        assert_eq!(cut, Dropped::default());
        assert_eq!(queue.segment_bytes, 64 << 10);
        for i in 0..100 {
            assert_eq!(queue.append(&payload(i), 10, i64::from(i)).unwrap(), Dropped::default());
        }
        let usage = queue.usage();
        assert_eq!((usage.samples, usage.oldest_ms), (1000, Some(0)));
        assert!(usage.segments >= 3, "{usage:?}");
        assert!(!queue.is_empty());
        let first = queue.peek().unwrap().unwrap();
        assert_eq!(first.payload, payload(0));
        assert_eq!(queue.peek().unwrap().unwrap().at, first.at, "peek does not consume");
        assert_eq!(drain(&mut queue), (0..100).collect::<Vec<i64>>());
        let usage = queue.usage();
        assert_eq!(usage, QueueUsage::default(), "nothing waits (the segment appended to stays on disk)");
        assert!(queue.is_empty());
        let files = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".seg"));
        assert_eq!(files.count(), 1);
    }

    #[test]
    fn past_the_bound_the_oldest_segment_is_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut queue, _) = Queue::open(dir.path(), 1 << 20).unwrap();
        let mut dropped = Dropped::default();
        for i in 0..2000 {
            let d = queue.append(&payload(i), 10, i64::from(i)).unwrap();
            dropped.segments += d.segments;
            dropped.samples += d.samples;
            assert!(queue.bytes() <= 1 << 20, "bounded on disk after every append");
        }
        let usage = queue.usage();
        assert!(dropped.segments > 0);
        assert_eq!(dropped.samples + usage.samples, 20_000, "every sample is either queued or counted dropped");
        let oldest = usage.oldest_ms.unwrap();
        assert_eq!(drain(&mut queue), (oldest..2000).collect::<Vec<i64>>(), "the newest are kept, in order");
    }

    #[test]
    fn the_queue_is_reloaded_after_a_restart_from_where_it_was_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut queue, _) = Queue::open(dir.path(), 10 << 20).unwrap();
            for i in 0..100 {
                queue.append(&payload(i), 10, i64::from(i)).unwrap();
            }
            for _ in 0..60 {
                let record = queue.peek().unwrap().unwrap();
                queue.ack(record.at).unwrap();
            }
        }
        let (mut queue, cut) = Queue::open(dir.path(), 10 << 20).unwrap();
        assert_eq!(cut, Dropped::default());
        assert_eq!(queue.usage().samples, 400);
        assert_eq!(drain(&mut queue), (60..100).collect::<Vec<i64>>());
        queue.append(&payload(100), 10, 100).unwrap();
        assert_eq!(drain(&mut queue), vec![100], "appending goes on after a reload");
    }

    #[test]
    fn a_torn_segment_tail_is_cut_off_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut queue, _) = Queue::open(dir.path(), 10 << 20).unwrap();
            for i in 0..5 {
                queue.append(&payload(i), 7, i64::from(i)).unwrap();
            }
        }
        let segment = dir.path().join(format!("{:020}.seg", 1));
        let len = std::fs::metadata(&segment).unwrap().len();
        let file = OpenOptions::new().write(true).open(&segment).unwrap();
        file.set_len(len - 100).unwrap(); // a crash in the middle of the last record
        let (mut queue, cut) = Queue::open(dir.path(), 10 << 20).unwrap();
        assert_eq!(cut.samples, 7, "the torn record's samples are counted");
        assert_eq!(std::fs::metadata(&segment).unwrap().len(), 4 * (HEADER as u64 + 1500));
        queue.append(&payload(9), 7, 9).unwrap();
        assert_eq!(drain(&mut queue), vec![0, 1, 2, 3, 9]);

        // A flipped byte fails the CRC: that record and what follows are cut off.
        let dir = tempfile::tempdir().unwrap();
        let segment = dir.path().join(format!("{:020}.seg", 1));
        let (mut queue, _) = Queue::open(dir.path(), 10 << 20).unwrap();
        for i in 0..3 {
            queue.append(&payload(i), 7, i64::from(i)).unwrap();
        }
        drop(queue);
        let mut bytes = std::fs::read(&segment).unwrap();
        bytes[HEADER + 1500 + HEADER + 10] ^= 0xff;
        std::fs::write(&segment, &bytes).unwrap();
        let (mut queue, cut) = Queue::open(dir.path(), 10 << 20).unwrap();
        assert_eq!(cut.samples, 7);
        assert_eq!(drain(&mut queue), vec![0]);
    }
}
