//! The pollers' store writer: one thread of its own that records every poll (answered or not)
//! and every echo round (`reach`) in the store, decides the device's state again and announces
//! what changed, in the order the polls and rounds ended. A poller hands its record over and
//! goes back to waiting for its next turn: it no longer waits for the write, and no thread of
//! the blocking pool is woken (nor the poller's own thread woken back) per poll.
//!
//! One hand-off per burst of polls, not one per poll: records are held while polls are under
//! way, at most [`hand_off::HOLD`], and handed over as one batch ([`hand_off`]), so this thread
//! is woken once for a burst, whether its polls end together or one by one.
//!
//! Bounded in bytes: what waits for the writer is counted against [`MAX_QUEUED_BYTES`]; a poller
//! that would go past it waits for room (the disk is behind), so nothing is dropped and no
//! queue grows without bound. A device's records are written in its poll order (one thread,
//! first in, first out).

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::backlog::Backlog;
use hand_off::HandOff;
pub use hand_off::PollUnderWay;

use crate::device::{DeviceId, EchoStatus};
use crate::logs::Sink;
use crate::shown::Shown;
use crate::store::{DeviceSlot, PollRecord, Store, StoreError};

mod hand_off;

/// What may wait for the writer, in bytes (estimated: see [`Write::cost`]). A 48-interface poll
/// is about 10 KB: room for some 3,000 polls behind a slow disk.
pub const MAX_QUEUED_BYTES: usize = 32 * 1024 * 1024;

/// One write of a device's poll, failure or echo round.
pub enum Write {
    Poll(PollRecord),
    Failure {
        at_secs: i64,
        took_ms: u64,
        error: String,
    },
    /// An echo round's result; `None` forgets the last one (ping turned off).
    Echo(Option<EchoStatus>),
}

impl Write {
    /// What the record holds in memory, about: what it costs the queue.
    fn cost(&self) -> usize {
        let fixed = std::mem::size_of::<Job>() + 64;
        match self {
            Write::Poll(record) => {
                fixed
                    + record.interfaces.len() * std::mem::size_of::<crate::store::InterfaceReading>()
                    + record.inventory.as_ref().map_or(0, |i| i.len() * 256)
                    + record.system.as_ref().map_or(0, |_| 1024)
            }
            Write::Failure { error, .. } => fixed + error.len(),
            Write::Echo(echo) => fixed + echo.as_ref().and_then(|e| e.error.as_ref()).map_or(0, String::len),
        }
    }
}

/// Whom writes are for: a device's id, its name (for the log line of a failed write) and its
/// slot in the store when its poller took one (see [`DeviceSlot`]: its polls are then recorded
/// without looking the id up). Shared by the writes of a poller: one `Arc` per write.
pub struct Target {
    pub id: DeviceId,
    pub name: Arc<str>,
    pub slot: Option<DeviceSlot>,
}

impl Target {
    /// The target of `id`'s poller: its slot taken now (None for a device not in the store).
    pub fn polled(store: &Store, id: &DeviceId, name: Arc<str>) -> Arc<Target> {
        Arc::new(Target { id: id.clone(), name, slot: store.slot(id) })
    }
}

struct Job {
    target: Arc<Target>,
    write: Write,
    /// Its room in the queue, given back once written.
    _room: OwnedSemaphorePermit,
    /// Told once written (a supervisor's report waits for it; polls do not).
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The handle pollers and echo rounds send their records through.
pub struct StoreWriter {
    hand_off: Arc<HandOff>,
    room: Arc<Semaphore>,
}

impl StoreWriter {
    /// Starts the writer's thread, `vigie-poll-writer`. It ends when every handle is dropped,
    /// after writing what was queued.
    pub(super) fn start(store: Arc<Store>, sink: Arc<Sink>) -> std::io::Result<StoreWriter> {
        let (jobs, queue) = mpsc::channel::<Vec<Job>>();
        let room = Arc::new(Semaphore::new(MAX_QUEUED_BYTES));
        let queued = {
            let room = room.clone();
            move || MAX_QUEUED_BYTES.saturating_sub(room.available_permits())
        };
        std::thread::Builder::new().name("vigie-poll-writer".into()).spawn(move || {
            let mut backlog = Backlog::default();
            for batch in queue {
                backlog.seen(queued());
                for job in batch {
                    let target = job.target.clone();
                    // A bug of ours on some record must not stop every device's writes.
                    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(&store, &sink, job)));
                    if let Err(panic) = written {
                        let message = crate::supervisor::panic_message(panic);
                        log::error!(
                            "Device {}: recording its poll or echo round failed ({message}).",
                            Shown(&target.id.0)
                        );
                    }
                }
                if let Some(peak) = backlog.drained(queued(), Instant::now()) {
                    give_back_free_pages(peak);
                }
            }
        })?;
        Ok(StoreWriter { hand_off: HandOff::new(jobs), room })
    }

    /// Counts a poll as under way until the guard is dropped: records are held for it (see
    /// [`hand_off`]). Taken at a poll's turn, dropped once its record is queued.
    pub(super) fn poll_under_way(&self) -> PollUnderWay {
        self.hand_off.poll_under_way()
    }

    /// Queues a write of device `id`; waits only when the queue is full.
    pub async fn send(&self, id: &DeviceId, name: &Arc<str>, write: Write) {
        let target = Arc::new(Target { id: id.clone(), name: name.clone(), slot: None });
        self.queue(target, write, None).await;
    }

    /// Queues a write for `target` (a poller's); waits only when the queue is full.
    pub(super) async fn send_to(&self, target: &Arc<Target>, write: Write) {
        self.queue(target.clone(), write, None).await;
    }

    /// Queues a write, hands it over at once and waits until it is done.
    pub(super) async fn send_and_wait(&self, target: &Arc<Target>, write: Write) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.queue(target.clone(), write, Some(done)).await {
            let _ = written.await;
        }
    }

    /// Waits until everything queued before now is written, at most `deadline`; false if not.
    pub(super) async fn drained(&self, deadline: Duration) -> bool {
        let marker = Write::Failure { at_secs: 0, took_ms: 0, error: String::new() };
        let target = Arc::new(Target { id: DeviceId(String::new()), name: Arc::from(""), slot: None });
        let (done, written) = tokio::sync::oneshot::channel();
        // Handed over now, with whatever is held before it (its runtime may be stopping: the
        // pollers have been).
        if !self.queue(target, marker, Some(done)).await {
            return false;
        }
        matches!(tokio::time::timeout(deadline, written).await, Ok(Ok(())))
    }

    /// Queues a write, held for the next batch (see [`hand_off`]), or handed over at once with
    /// what is held if someone waits for it (`done`). False if it could not be queued.
    async fn queue(&self, target: Arc<Target>, write: Write, done: Option<tokio::sync::oneshot::Sender<()>>) -> bool {
        let cost = write.cost().min(MAX_QUEUED_BYTES) as u32;
        let room = match self.room.clone().try_acquire_many_owned(cost) {
            Ok(room) => room,
            Err(_) => match self.room.clone().acquire_many_owned(cost).await {
                Ok(room) => room,
                Err(_) => return false, // never closed
            },
        };
        let waited_for = done.is_some();
        let job = Job { target, write, _room: room, done };
        match waited_for {
            true => self.hand_off.queue_now(job),
            false => self.hand_off.queue(job),
        }
        true
    }
}

/// Writes one job, decides the device's state again and announces the change.
fn write(store: &Store, sink: &Sink, job: Job) {
    let Job { target, write, _room, done } = job;
    let Target { id, name, slot } = &*target;
    // An empty id is the marker of `drained`: nothing to write.
    if !id.0.is_empty() {
        match write {
            // Stores the round's latency and decides the state again itself.
            Write::Echo(echo) => crate::reach::announce(sink, &store.record_echo(id, echo)),
            Write::Poll(record) => {
                let (written, changes) = match slot {
                    Some(slot) => store.record_poll_and_settle_in(slot, record),
                    None => store.record_poll_and_settle(id, record),
                };
                note_failed_write(name, "its poll", written);
                crate::reach::announce(sink, &changes);
            }
            Write::Failure { at_secs, took_ms, error } => {
                note_failed_write(name, "its status", store.record_failure(id, at_secs, took_ms, error));
                crate::reach::announce(sink, &store.settle(id, at_secs));
            }
        }
    }
    if let Some(done) = done {
        let _ = done.send(());
    }
}

/// What given back is said at the info level (less is a debug line).
const NOTABLE_GIFT_BYTES: u64 = 256 << 20;

/// Gives the allocator's free pages back once a backlog of `peak` bytes is written (see
/// [`super::backlog`]), and says what it gave.
fn give_back_free_pages(peak: usize) {
    let (before, started) = (crate::allocator::resident_bytes(), Instant::now());
    crate::allocator::give_back_free_pages();
    let given = before.saturating_sub(crate::allocator::resident_bytes());
    // Said when it mattered (an import, an outage's end); a busy hour's seals fill half the queue
    // now and then, and their few dozen MB are a debug line.
    let level = if given >= NOTABLE_GIFT_BYTES { log::Level::Info } else { log::Level::Debug };
    log::log!(
        level,
        "Store writer: a backlog of {} MB written; {} MB of free memory given back to the system in {} ms.",
        peak >> 20,
        given >> 20,
        started.elapsed().as_millis()
    );
}

/// A failed disk write is counted by the store, which says so once a minute for the whole
/// fleet: here it is only a debug line, not one per poll.
fn note_failed_write(name: &str, what: &str, written: Result<(), StoreError>) {
    match written {
        Ok(()) => {}
        Err(e @ StoreError::Io { .. }) => log::debug!("Device {}: cannot store {what}: {e}", Shown(name)),
        Err(e) => log::error!("Device {}: cannot store {what}: {e}", Shown(name)),
    }
}

#[cfg(test)]
mod tests;
