//! When devices are polled: one task per device on its own schedule; devices started together
//! (at start, by an import, by a sharded poller's feed) are spread over their interval by the
//! slots already taken ([`Phases`]), so a fleet does not poll all at once whoever started it; a
//! slow or dead device never delays another.
//! Every task is owned: cancelled through its token and awaited at shutdown, supervised (a
//! panic restarts it), and run on the pollers' own runtime, never on an HTTP worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::phases::{on_grid, Phases, Slot};
use super::runtime::PollerRuntime;
use super::stats::PollerStats;
use super::writer::StoreWriter;
use crate::device::{Device, DeviceId};
use crate::logs::Sink;
use crate::store::Store;

/// When a started device is first polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstPoll {
    /// At once (a device added or changed by hand: its user waits for it), then in a slot as
    /// [`FirstPoll::Spread`] is, its first turn there at least half an interval later.
    Now,
    /// In the emptiest slot of its interval, the soonest of those: within one interval.
    Spread,
}

struct Running {
    /// Its place in its interval, given back when it stops.
    slot: Slot,
    cancel: CancellationToken,
    poke: Arc<tokio::sync::Notify>,
    handle: JoinHandle<()>,
}

pub struct Scheduler {
    store: Arc<Store>,
    sink: Arc<Sink>,
    stats: Arc<PollerStats>,
    writer: Arc<StoreWriter>,
    tasks: Mutex<HashMap<DeviceId, Running>>,
    /// Never locked while `tasks` is.
    phases: Mutex<Phases>,
    root: CancellationToken,
    runtime: PollerRuntime,
    /// Notified whenever a device is started or stopped, for whoever keeps its own schedule of
    /// the devices (reachability) and sleeps until something is due.
    changes: Arc<tokio::sync::Notify>,
    /// A primary's scheduler (`--role primary`): its pollers poll, it starts nothing.
    held: std::sync::atomic::AtomicBool,
}

impl Scheduler {
    /// A scheduler with its own runtime for the pollers.
    pub fn new(store: Arc<Store>, sink: Arc<Sink>) -> std::io::Result<Scheduler> {
        Ok(Scheduler {
            writer: Arc::new(StoreWriter::start(store.clone(), sink.clone())?),
            store,
            sink,
            stats: Arc::default(),
            tasks: Mutex::default(),
            phases: Mutex::new(Phases::new()),
            root: CancellationToken::new(),
            runtime: PollerRuntime::start()?,
            changes: Arc::default(),
            held: Default::default(),
        })
    }

    /// From now on, starts no poller (a primary's devices are polled by its sharded pollers).
    pub fn hold(&self) {
        self.held.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The pollers' runtime, shared with the reachability scheduler.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// The pollers' store writer, shared with the reachability scheduler's echo rounds.
    pub fn writer(&self) -> Arc<StoreWriter> {
        self.writer.clone()
    }

    /// Notified whenever a device is started (added, changed) or stopped (removed).
    pub fn device_changes(&self) -> Arc<tokio::sync::Notify> {
        self.changes.clone()
    }

    pub fn stats(&self) -> &PollerStats {
        &self.stats
    }

    /// Starts every stored device, first polls spread over one interval.
    pub fn start_all(&self) {
        for device in self.store.device_list() {
            self.start(device, FirstPoll::Spread);
        }
    }

    /// Starts polling a device, first `first`; replaces a running poller. Whoever calls (an HTTP
    /// worker adding a device, the import, the start), the poller runs on the pollers' runtime.
    pub fn start(&self, device: Device, first: FirstPoll) {
        self.spawn(device, first, super::task::Task::run);
    }

    /// Starts `run` (the poll loop) for a device, supervised, on the pollers' runtime.
    fn spawn<F, Fut>(&self, device: Device, first: FirstPoll, run: F)
    where
        F: Fn(super::task::Task) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        if self.held.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let (slot, first_turn) = {
            let mut phases = self.phases.lock().expect("phases lock");
            let now = tokio::time::Instant::now();
            let interval_secs = device.config.poll_interval_secs;
            let (slot, delay) = phases.take_least(interval_secs, now);
            (slot, on_grid(Duration::from_secs(u64::from(interval_secs.max(1))), now + delay))
        };
        let cancel = self.root.child_token();
        let poke = Arc::new(tokio::sync::Notify::new());
        let id = device.id.clone();
        let target = super::writer::Target::polled(&self.store, &id, Arc::from(device.config.name.as_str()));
        let task = super::task::Task {
            device,
            store: self.store.clone(),
            stats: self.stats.clone(),
            sink: self.sink.clone(),
            writer: self.writer.clone(),
            target,
            cancel: cancel.clone(),
            poke: poke.clone(),
            first_turn,
            at_once: first == FirstPoll::Now,
        };
        let handle = self.runtime.handle().spawn(super::supervisor::supervise(task, run));
        let old = self.tasks.lock().expect("tasks lock").insert(id, Running { slot, cancel, poke, handle });
        if let Some(old) = old {
            old.cancel.cancel();
            self.phases.lock().expect("phases lock").give_back(old.slot);
        }
        self.changes.notify_one();
    }

    /// Polls a device now, out of its schedule (its interfaces changed state).
    pub fn poll_now(&self, id: &DeviceId) {
        if let Some(running) = self.tasks.lock().expect("tasks lock").get(id) {
            running.poke.notify_one();
        }
    }

    /// Stops polling a device.
    pub fn stop(&self, id: &DeviceId) {
        let running = self.tasks.lock().expect("tasks lock").remove(id);
        if let Some(running) = running {
            running.cancel.cancel();
            self.phases.lock().expect("phases lock").give_back(running.slot);
        }
        self.changes.notify_one();
    }

    /// Cancels every poller and waits for them, at most `deadline`.
    pub async fn shutdown(&self, deadline: Duration) {
        self.root.cancel();
        let handles: Vec<JoinHandle<()>> =
            self.tasks.lock().expect("tasks lock").drain().map(|(_, r)| r.handle).collect();
        let all = futures_util::future::join_all(handles);
        let started = tokio::time::Instant::now();
        if tokio::time::timeout(deadline, all).await.is_err() {
            log::warn!("Some pollers did not stop within {deadline:?}; shutting down anyway.");
        }
        // Their last polls are written before the store is flushed.
        if !self.writer.drained(deadline.saturating_sub(started.elapsed())).await {
            log::warn!("The pollers' last records were not all written within {deadline:?}; shutting down anyway.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceConfig;

    /// The names of the threads a poll loop ran on: its own, and a task it spawns (as the
    /// supervisor does) and a blocking write (as the store's).
    async fn threads_seen(seen: Arc<Mutex<Vec<String>>>) {
        let name = || std::thread::current().name().unwrap_or("unnamed").to_string();
        let mut names = vec![name()];
        names.push(tokio::spawn(async move { name() }).await.unwrap());
        names.push(tokio::task::spawn_blocking(name).await.unwrap());
        seen.lock().unwrap().extend(names);
    }

    #[test]
    fn pollers_run_on_their_own_runtime_whoever_starts_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
        let scheduler = Arc::new(Scheduler::new(store.clone(), Sink::new()).unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        // Devices added through the API are started from an HTTP worker: a runtime of its own on
        // a thread named as actix names its workers.
        let worker = {
            let (scheduler, store, seen) = (scheduler.clone(), store.clone(), seen.clone());
            std::thread::Builder::new().name("actix-server worker 0".into()).spawn(move || {
                let http = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                http.block_on(async {
                    let device = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap();
                    scheduler.spawn(device, FirstPoll::Now, move |_| threads_seen(seen.clone()));
                    // Give the worker's runtime every chance to run what it was handed.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                });
            })
        };
        worker.unwrap().join().unwrap();
        // Devices of the data dir (and of an import) are started from the main thread.
        let device = store.add_device(DeviceConfig::v2c("r2", "127.0.0.1", 1162, "public")).unwrap();
        let again = seen.clone();
        scheduler.spawn(device, FirstPoll::Now, move |_| threads_seen(again.clone()));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while seen.lock().unwrap().len() < 6 {
            assert!(std::time::Instant::now() < deadline, "the pollers never ran: {:?}", seen.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
        let names = seen.lock().unwrap().clone();
        assert!(names.iter().all(|n| n == "vigie-poller"), "{names:?}");
    }
}
