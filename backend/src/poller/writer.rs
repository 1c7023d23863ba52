//! The pollers' store writer: one thread of its own that records every poll (answered or not)
//! and every echo round (`reach`) in the store, decides the device's state again and announces
//! what changed, in the order the polls and rounds ended. A poller hands its record over and
//! goes back to waiting for its next turn: it no longer waits for the write, and no thread of
//! the blocking pool is woken (nor the poller's own thread woken back) per poll.
//!
//! One hand-off per turn of the caller's runtime, not one per poll: the records queued by the
//! tasks that run together (polls that start on the same grid step end in bursts) are handed
//! over as one batch, at the end of the turn, so this thread is woken once for all of them.
//!
//! Bounded in bytes: what waits for the writer is counted against [`MAX_QUEUED_BYTES`]; a poller
//! that would go past it waits for room (the disk is behind), so nothing is dropped and no
//! queue grows without bound. A device's records are written in its poll order (one thread,
//! first in, first out).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::backlog::Backlog;

use crate::device::{DeviceId, EchoStatus};
use crate::logs::Sink;
use crate::shown::Shown;
use crate::store::{DeviceSlot, PollRecord, Store, StoreError};

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
    turn: Arc<Turn>,
    room: Arc<Semaphore>,
}

/// The records queued in the current turn of the callers' runtime, and the writer's queue they
/// are handed to at its end.
struct Turn {
    queued: Mutex<Vec<Job>>,
    jobs: mpsc::Sender<Vec<Job>>,
    /// Batches handed to the writer's thread (each one wake-up of it at most).
    handed: AtomicU64,
}

impl Turn {
    /// Hands what was queued to the writer's thread, in order, as one batch.
    fn hand_over(&self) {
        let batch = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return;
        }
        self.handed.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::SendError(lost)) = self.jobs.send(batch) {
            log::error!("{} poll(s) could not be recorded: the store writer has stopped.", lost.len());
        }
    }
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
        let turn = Turn { queued: Mutex::default(), jobs, handed: AtomicU64::new(0) };
        Ok(StoreWriter { turn: Arc::new(turn), room })
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

    /// Queues a write and waits until it is done.
    pub(super) async fn send_and_wait(&self, target: &Arc<Target>, write: Write) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.queue(target.clone(), write, Some(done)).await {
            let _ = written.await;
        }
    }

    /// Waits until everything queued before now is written, at most `deadline`; false if not.
    pub(super) async fn drained(&self, deadline: Duration) -> bool {
        let (done, written) = tokio::sync::oneshot::channel();
        let marker = Write::Failure { at_secs: 0, took_ms: 0, error: String::new() };
        let Ok(room) = self.room.clone().acquire_many_owned(1).await else { return false };
        let target = Arc::new(Target { id: DeviceId(String::new()), name: Arc::from(""), slot: None });
        let job = Job { target, write: marker, _room: room, done: Some(done) };
        // Handed over now, with whatever this turn queued before it (its runtime may be
        // stopping: the pollers have been).
        self.turn.queued.lock().unwrap_or_else(|e| e.into_inner()).push(job);
        self.turn.hand_over();
        matches!(tokio::time::timeout(deadline, written).await, Ok(Ok(())))
    }

    async fn queue(&self, target: Arc<Target>, write: Write, done: Option<tokio::sync::oneshot::Sender<()>>) -> bool {
        let cost = write.cost().min(MAX_QUEUED_BYTES) as u32;
        let room = match self.room.clone().try_acquire_many_owned(cost) {
            Ok(room) => room,
            Err(_) => match self.room.clone().acquire_many_owned(cost).await {
                Ok(room) => room,
                Err(_) => return false, // never closed
            },
        };
        let job = Job { target, write, _room: room, done };
        let first = {
            let mut queued = self.turn.queued.lock().unwrap_or_else(|e| e.into_inner());
            queued.push(job);
            queued.len() == 1
        };
        if first {
            // The hand-off runs after the tasks already woken in this turn (a task spawned
            // goes to the back of the runtime's queue), so theirs go with it.
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let turn = self.turn.clone();
                    runtime.spawn(async move { turn.hand_over() });
                }
                Err(_) => self.turn.hand_over(),
            }
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
mod tests {
    use super::*;
    use crate::device::DeviceConfig;

    #[tokio::test]
    async fn records_are_written_in_poll_order_and_a_full_queue_makes_the_poller_wait() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
        let device = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap();
        let writer = StoreWriter::start(store.clone(), Sink::new()).unwrap();
        let name: Arc<str> = Arc::from("r1");
        let now = crate::store::now_secs();

        // A poll, a failure, a poll: the last one written wins, whatever the threads do.
        writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 30))).await;
        let failure = Write::Failure { at_secs: now - 20, took_ms: 5, error: "no SNMP answer".into() };
        writer.send(&device.id, &name, failure).await;
        writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 10))).await;
        assert!(writer.drained(Duration::from_secs(30)).await);
        let status = store.latest(&device.id).unwrap().status;
        assert_eq!((status.last_poll_at, status.last_error), (Some(now - 10), None));

        // No room left (as behind a stalled disk): the poller waits, nothing is dropped.
        let taken = writer.room.clone().acquire_many_owned(MAX_QUEUED_BYTES as u32).await.unwrap();
        let waiting = writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 5)));
        tokio::pin!(waiting);
        assert!(tokio::time::timeout(Duration::from_millis(200), &mut waiting).await.is_err(), "it waits");
        assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 10));
        drop(taken);
        waiting.await;
        assert!(writer.drained(Duration::from_secs(30)).await);
        assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 5));
    }

    #[test]
    fn records_queued_in_one_turn_are_handed_over_together() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
        let devices: Vec<_> = (0..3)
            .map(|i| store.add_device(DeviceConfig::v2c(&format!("r{i}"), "127.0.0.1", 1161 + i, "public")).unwrap())
            .collect();
        let writer = Arc::new(StoreWriter::start(store.clone(), Sink::new()).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let now = crate::store::now_secs();
        runtime.block_on(async {
            // Three polls ending in the same turn (tasks woken together), as after one grid step.
            let polls: Vec<_> = devices
                .iter()
                .map(|device| {
                    let (writer, id) = (writer.clone(), device.id.clone());
                    tokio::spawn(async move {
                        writer.send(&id, &Arc::from("r"), Write::Poll(PollRecord::answered_at(now - 10))).await;
                    })
                })
                .collect();
            for poll in polls {
                poll.await.unwrap();
            }
            assert!(writer.drained(Duration::from_secs(30)).await);
        });
        assert_eq!(writer.turn.handed.load(Ordering::Relaxed), 2, "one batch of three polls, then the marker");
        for device in &devices {
            assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 10));
        }
    }
}
