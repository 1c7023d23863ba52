//! When the pollers' store writer gives the allocator's free pages back to the system. Polls
//! that wait for the writer (the first polls of a start or an import of thousands of devices,
//! each carrying its inventory; a slow disk) hold their records meanwhile, and are freed once
//! written, scattered among the objects allocated beside them (interface names, rollup lines):
//! glibc keeps such pages as its own, and the process's resident memory stays at the wave's
//! peak. Once a backlog has been written, its pages go back, at most once per [`MIN_GAP`].

use std::time::{Duration, Instant};

use super::writer::MAX_QUEUED_BYTES;

/// A queue this full is a backlog: the pollers are about to wait for room, or wait.
pub const BACKLOG_BYTES: usize = MAX_QUEUED_BYTES / 2;

/// The least time between two gifts back: each walks every free block of the heap, under each
/// arena's lock, in the writer's thread (tens of milliseconds for gigabytes).
pub const MIN_GAP: Duration = Duration::from_secs(60);

/// The fullest the writer's queue was since it last gave pages back.
#[derive(Debug, Default)]
pub struct Backlog {
    peak: usize,
    last_given: Option<Instant>,
}

impl Backlog {
    /// The queue holds `queued` bytes (seen as a batch arrives).
    pub fn seen(&mut self, queued: usize) {
        self.peak = self.peak.max(queued);
    }

    /// After a batch, with `queued` bytes still waiting: whether to give the free pages back
    /// now (a backlog was written and nothing waits), and the peak it had.
    pub fn drained(&mut self, queued: usize, now: Instant) -> Option<usize> {
        self.seen(queued);
        let too_soon = self.last_given.is_some_and(|at| now < at + MIN_GAP);
        if queued > 0 || self.peak < BACKLOG_BYTES || too_soon {
            return None;
        }
        self.last_given = Some(now);
        Some(std::mem::take(&mut self.peak))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_go_back_once_a_backlog_is_written_and_not_more_than_once_a_minute() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut backlog = Backlog::default();
        backlog.seen(BACKLOG_BYTES - 1);
        assert_eq!(backlog.drained(0, at(0)), None, "a queue never half full is no backlog");
        backlog.seen(BACKLOG_BYTES);
        assert_eq!(backlog.drained(1024, at(1)), None, "still writing it");
        assert_eq!(backlog.drained(0, at(2)), Some(BACKLOG_BYTES), "written: given back");
        assert_eq!(backlog.drained(0, at(3)), None, "once");
        backlog.seen(MAX_QUEUED_BYTES);
        assert_eq!(backlog.drained(0, at(30)), None, "another backlog, too soon");
        assert_eq!(backlog.drained(0, at(62)), Some(MAX_QUEUED_BYTES), "a minute after the last");
    }
}
