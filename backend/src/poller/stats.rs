//! Counters of the pollers' work since start, shared by every device's poller and read by
//! `/status`. One home for them, so that the scheduler and the tasks need not know each other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::{Histogram, HistogramSnapshot};

/// Counters of the poller's work since start.
#[derive(Default, Debug)]
pub struct PollerStats {
    polls_total: AtomicU64,
    polls_failed: AtomicU64,
    polls_late: AtomicU64,
    polls_over_deadline: AtomicU64,
    polls_panicked: AtomicU64,
    nudges_deferred: AtomicU64,
    interface_samples_total: AtomicU64,
    samples_dropped: AtomicU64,
    /// How long polls took, answered or not.
    durations: Histogram,
}

/// A copy of [`PollerStats`] at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollerCounts {
    pub polls_total: u64,
    pub polls_failed: u64,
    pub polls_late: u64,
    /// Polls stopped at their deadline (also counted as failed).
    pub polls_over_deadline: u64,
    /// Pollers that panicked and were restarted.
    pub polls_panicked: u64,
    /// Out-of-schedule polls (asked by a linkDown/linkUp trap) put off to respect the minimum gap.
    pub nudges_deferred: u64,
    pub interface_samples_total: u64,
    pub samples_dropped: u64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

impl PollerStats {
    pub(super) fn polled(&self, interfaces: usize, dropped: usize, took: Duration) {
        self.durations.observe(took);
        bump(&self.polls_total, 1);
        bump(&self.interface_samples_total, interfaces as u64);
        bump(&self.samples_dropped, dropped as u64);
    }

    pub(super) fn failed(&self, over_deadline: bool, took: Duration) {
        self.durations.observe(took);
        bump(&self.polls_total, 1);
        bump(&self.polls_failed, 1);
        bump(&self.polls_over_deadline, u64::from(over_deadline));
    }

    pub(super) fn late(&self) {
        bump(&self.polls_late, 1);
    }

    pub(super) fn panicked(&self) {
        bump(&self.polls_panicked, 1);
    }

    pub(super) fn nudge_deferred(&self) {
        bump(&self.nudges_deferred, 1);
    }

    /// How long polls took, answered or not.
    pub fn durations(&self) -> HistogramSnapshot {
        self.durations.snapshot()
    }

    pub fn counts(&self) -> PollerCounts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PollerCounts {
            polls_total: read(&self.polls_total),
            polls_failed: read(&self.polls_failed),
            polls_late: read(&self.polls_late),
            polls_over_deadline: read(&self.polls_over_deadline),
            polls_panicked: read(&self.polls_panicked),
            nudges_deferred: read(&self.nudges_deferred),
            interface_samples_total: read(&self.interface_samples_total),
            samples_dropped: read(&self.samples_dropped),
        }
    }
}
