//! The newest log entries in memory, bounded in bytes: the common queries (the last page, a
//! device's latest lines) are answered without reading files. A big entry is kept as a prefix
//! with the offset of its whole line on disk; the oldest entries go first when the budget is
//! spent (they stay on disk).

use std::collections::VecDeque;

use super::entry::{LogEntry, LogFilter, TextQuery};

/// Text kept in memory per entry (message, then fields); the rest stays on disk.
pub const KEPT_TEXT_BYTES: usize = 2048;

/// One entry in memory.
struct Kept {
    entry: LogEntry,
    /// Where the whole line starts in its day file, when `entry` holds only a prefix.
    clipped_at: Option<u64>,
    bytes: usize,
}

/// What memory answered for one step of a query.
pub enum Hit {
    /// The entry as stored, matching every filter.
    Whole(LogEntry),
    /// A prefix of an entry that matches every filter but the text: read the whole line at this
    /// offset of its day file, then check the text.
    Clipped(LogEntry, u64),
}

pub struct Step {
    pub hits: Vec<Hit>,
    /// The lowest id looked at, if any.
    pub lowest_examined: Option<u64>,
    /// Every entry below the cursor was looked at.
    pub exhausted: bool,
}

/// Figures for `/status`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RecentUsage {
    pub entries: usize,
    pub bytes: usize,
    pub max_bytes: usize,
    /// Entries that left memory for lack of room (they are on disk).
    pub evicted: u64,
    /// Entries kept as a prefix.
    pub clipped: u64,
}

pub struct Recent {
    entries: VecDeque<Kept>,
    bytes: usize,
    max_bytes: usize,
    evicted: u64,
    clipped: u64,
}

impl Recent {
    pub fn new(max_bytes: usize) -> Recent {
        Recent { entries: VecDeque::new(), bytes: 0, max_bytes, evicted: 0, clipped: 0 }
    }

    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
        self.make_room(0);
    }

    /// Keeps `entry`, whose whole line starts at `offset` in its day file; answers the copy
    /// kept (a prefix when the entry is big), which is also what live listeners get.
    pub fn push(&mut self, mut entry: LogEntry, offset: u64) -> LogEntry {
        let clipped_at = if entry.entry.memory_bytes() > KEPT_TEXT_BYTES + std::mem::size_of::<LogEntry>() {
            entry.entry.clip(KEPT_TEXT_BYTES);
            entry.entry.truncated = true;
            self.clipped += 1;
            Some(offset)
        } else {
            None
        };
        let bytes = entry.entry.memory_bytes();
        self.make_room(bytes);
        self.bytes += bytes;
        self.entries.push_back(Kept { entry: entry.clone(), clipped_at, bytes });
        entry
    }

    fn make_room(&mut self, bytes: usize) {
        while self.bytes + bytes > self.max_bytes {
            let Some(old) = self.entries.pop_front() else { break };
            self.bytes -= old.bytes;
            self.evicted += 1;
        }
    }

    /// Up to `want` hits among entries with ids below `below`, newest first.
    pub fn step(&self, filter: &LogFilter, text: Option<&TextQuery>, below: u64, want: usize) -> Step {
        let mut step = Step { hits: Vec::new(), lowest_examined: None, exhausted: true };
        let newer = self.entries.partition_point(|k| k.entry.id < below);
        for kept in self.entries.range(..newer).rev() {
            step.lowest_examined = Some(kept.entry.id);
            match kept.clipped_at {
                Some(offset) if filter.matches_except_text(&kept.entry) => {
                    step.hits.push(Hit::Clipped(kept.entry.clone(), offset))
                }
                None if filter.matches(&kept.entry, text) => step.hits.push(Hit::Whole(kept.entry.clone())),
                _ => continue,
            }
            if step.hits.len() >= want {
                step.exhausted = kept.entry.id == self.entries[0].entry.id;
                break;
            }
        }
        step
    }

    pub fn usage(&self) -> RecentUsage {
        RecentUsage {
            entries: self.entries.len(),
            bytes: self.bytes,
            max_bytes: self.max_bytes,
            evicted: self.evicted,
            clipped: self.clipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::logs::entry::{LogSource, NewLogEntry, Severity};

    fn entry(id: u64, message: &str) -> LogEntry {
        LogEntry { id, entry: NewLogEntry::new(0.0, LogSource::Syslog, Severity::Notice, message.into()) }
    }

    #[test]
    fn memory_stays_within_its_bytes_and_big_entries_are_prefixes() {
        let mut recent = Recent::new(100_000);
        for id in 1..=1000 {
            let kept = recent.push(entry(id, &"x".repeat(60_000)), id * 61_000);
            assert!(kept.entry.truncated && kept.entry.message.len() == KEPT_TEXT_BYTES);
        }
        let usage = recent.usage();
        assert!(usage.bytes <= 100_000 && usage.entries > 10, "{usage:?}");
        assert_eq!(usage.evicted as usize + usage.entries, 1000);
        assert_eq!(recent.entries[0].entry.id, 1001 - usage.entries as u64, "the oldest went");
        let step = recent.step(&LogFilter::default(), None, 1001, 1);
        assert!(matches!(step.hits[..], [Hit::Clipped(ref e, 61_000_000)] if e.id == 1000));
    }

    #[test]
    fn steps_go_newest_first_below_the_cursor() {
        let mut recent = Recent::new(1 << 20);
        for id in 1..=10 {
            recent.push(entry(id, if id % 2 == 0 { "even" } else { "odd" }), 0);
        }
        let text = TextQuery::new("EVEN");
        let step = recent.step(&LogFilter::default(), Some(&text), 9, 2);
        let ids: Vec<u64> = step.hits.iter().map(|h| if let Hit::Whole(e) = h { e.id } else { 0 }).collect();
        assert_eq!((ids, step.lowest_examined, step.exhausted), (vec![8, 6], Some(6), false));
        let step = recent.step(&LogFilter::default(), Some(&text), 6, 10);
        assert_eq!((step.hits.len(), step.lowest_examined, step.exhausted), (2, Some(1), true));
    }
}
