//! When the pollers' records reach the writer's thread: one batch per burst of polls, not one
//! per poll, so that the writer is woken once for a burst.
//!
//! Polls start together on a grid step ([`super::super::phases`]). Against agents that answer
//! together (the simulators), they also end together, in one turn of the pollers' runtime; but
//! agents that answer each at its own pace (net-snmp's `snmpd`, a real network's round trips)
//! end a burst's polls one by one, each in a turn of its own, and the writer was woken for each
//! (0.97 times a poll against 0.11, README, Performance). So a batch is held while polls are
//! under way, and handed over when none is left, or [`HOLD`] after its first record, or once it
//! holds [`MOST_HELD`] records: the writer sees a poll at most [`HOLD`] later than it ended,
//! and a burst as one batch. A write someone waits for ([`HandOff::queue_now`]) goes at once with
//! what was held before it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::Job;

/// Longest a record waits for the polls under way before it is handed to the writer.
pub const HOLD: Duration = Duration::from_millis(200);

/// Records a batch holds before it is handed over whatever is under way: a batch's write stays
/// short, and a full queue's room comes back.
const MOST_HELD: usize = 512;

/// The records held for the writer's thread, and what decides when they go.
pub(super) struct HandOff {
    held: Mutex<Vec<Job>>,
    jobs: mpsc::Sender<Vec<Job>>,
    /// Polls started and not yet recorded (see [`PollUnderWay`]).
    under_way: AtomicUsize,
    /// Told when the last poll under way ends.
    settled: Notify,
    /// Batches handed to the writer's thread (each one wake-up of it at most).
    pub(super) handed: AtomicU64,
}

/// A poll under way, from its turn until its record is queued: while one is, a batch is held
/// for it (at most [`HOLD`]).
pub struct PollUnderWay(Arc<HandOff>);

impl Drop for PollUnderWay {
    fn drop(&mut self) {
        if self.0.under_way.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.settled.notify_waiters();
        }
    }
}

impl HandOff {
    pub(super) fn new(jobs: mpsc::Sender<Vec<Job>>) -> Arc<HandOff> {
        Arc::new(HandOff {
            held: Mutex::default(),
            jobs,
            under_way: AtomicUsize::new(0),
            settled: Notify::new(),
            handed: AtomicU64::new(0),
        })
    }

    /// Counts a poll as under way until the guard is dropped.
    pub(super) fn poll_under_way(self: &Arc<Self>) -> PollUnderWay {
        self.under_way.fetch_add(1, Ordering::AcqRel);
        PollUnderWay(self.clone())
    }

    /// Holds `job` for the next batch, and sees that the batch goes: a batch's first record
    /// starts the wait ([`HandOff::hold`]) on the caller's runtime; a batch grown to
    /// [`MOST_HELD`] goes at once.
    pub(super) fn queue(self: &Arc<Self>, job: Job) {
        let held = {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.push(job);
            held.len()
        };
        if held >= MOST_HELD {
            return self.now();
        }
        if held == 1 {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(self.clone().hold())),
                Err(_) => self.now(),
            }
        }
    }

    /// Queues `job` and hands it over at once with what was held before it.
    pub(super) fn queue_now(&self, job: Job) {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).push(job);
        self.now();
    }

    /// Waits until no poll is under way, at most [`HOLD`], then hands the batch over. It first
    /// runs after the tasks already woken in this turn (a task spawned goes to the back of the
    /// runtime's queue), so the records of polls ending together go with it, as before holding.
    async fn hold(self: Arc<Self>) {
        // Hands the batch over however the wait ends: as below, or cancelled with its runtime,
        // or failed (a runtime without a timer): the next records would not start another.
        let _hand_over = HandOverOnDrop(self.clone());
        let until = tokio::time::Instant::now() + HOLD;
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.under_way.load(Ordering::Acquire) == 0 {
                break;
            }
            tokio::select! {
                _ = settled => {
                    // After the tasks woken with it: a poll ending in this turn queues first.
                    tokio::task::yield_now().await;
                }
                _ = tokio::time::sleep_until(until) => break,
            }
        }
    }

    /// Hands what is held to the writer's thread, in order, as one batch.
    pub(super) fn now(&self) {
        let batch = std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return;
        }
        self.handed.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::SendError(lost)) = self.jobs.send(batch) {
            log::error!("{} poll(s) could not be recorded: the store writer has stopped.", lost.len());
        }
    }
}

/// Hands the held batch over when dropped: the end of a [`HandOff::hold`], whatever ended it.
struct HandOverOnDrop(Arc<HandOff>);

impl Drop for HandOverOnDrop {
    fn drop(&mut self) {
        self.0.now();
    }
}
