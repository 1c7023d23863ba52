//! When devices are polled: one task per device on its own schedule, spread with jitter so a
//! fleet loaded at start does not poll all at once; a slow or dead device never delays another.
//! Every task is owned: cancelled through its token and awaited at shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::device::{Device, DeviceId};
use crate::logs::Sink;
use crate::store::Store;

/// Counters of the poller's work since start.
#[derive(Default, Debug)]
pub struct PollerStats {
    polls_total: AtomicU64,
    polls_failed: AtomicU64,
    polls_late: AtomicU64,
    interface_samples_total: AtomicU64,
    samples_dropped: AtomicU64,
}

/// A copy of [`PollerStats`] at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollerCounts {
    pub polls_total: u64,
    pub polls_failed: u64,
    pub polls_late: u64,
    pub interface_samples_total: u64,
    pub samples_dropped: u64,
}

impl PollerStats {
    pub(super) fn polled(&self, interfaces: usize, dropped: usize) {
        self.polls_total.fetch_add(1, Ordering::Relaxed);
        self.interface_samples_total.fetch_add(interfaces as u64, Ordering::Relaxed);
        self.samples_dropped.fetch_add(dropped as u64, Ordering::Relaxed);
    }

    pub(super) fn failed(&self) {
        self.polls_total.fetch_add(1, Ordering::Relaxed);
        self.polls_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn late(&self) {
        self.polls_late.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> PollerCounts {
        PollerCounts {
            polls_total: self.polls_total.load(Ordering::Relaxed),
            polls_failed: self.polls_failed.load(Ordering::Relaxed),
            polls_late: self.polls_late.load(Ordering::Relaxed),
            interface_samples_total: self.interface_samples_total.load(Ordering::Relaxed),
            samples_dropped: self.samples_dropped.load(Ordering::Relaxed),
        }
    }
}

struct Running {
    cancel: CancellationToken,
    poke: Arc<tokio::sync::Notify>,
    handle: JoinHandle<()>,
}

pub struct Scheduler {
    store: Arc<Store>,
    sink: Arc<Sink>,
    stats: Arc<PollerStats>,
    tasks: Mutex<HashMap<DeviceId, Running>>,
    root: CancellationToken,
}

impl Scheduler {
    pub fn new(store: Arc<Store>, sink: Arc<Sink>) -> Scheduler {
        Scheduler { store, sink, stats: Arc::default(), tasks: Mutex::default(), root: CancellationToken::new() }
    }

    pub fn stats(&self) -> &PollerStats {
        &self.stats
    }

    /// Starts every stored device, first polls spread at random over one interval.
    pub fn start_all(&self) {
        for snapshot in self.store.devices() {
            let interval_ms = u64::from(snapshot.device.config.poll_interval_secs) * 1000;
            let jitter = Duration::from_millis(rand::random_range(0..interval_ms.max(1)));
            self.start(snapshot.device, jitter);
        }
    }

    /// Starts polling a device after `first_delay` (zero: at once); replaces a running poller.
    pub fn start(&self, device: Device, first_delay: Duration) {
        let cancel = self.root.child_token();
        let poke = Arc::new(tokio::sync::Notify::new());
        let id = device.id.clone();
        let task = super::task::Task {
            device,
            store: self.store.clone(),
            stats: self.stats.clone(),
            sink: self.sink.clone(),
            cancel: cancel.clone(),
            poke: poke.clone(),
            first_delay,
        };
        let handle = tokio::spawn(task.run());
        if let Some(old) = self.tasks.lock().expect("tasks lock").insert(id, Running { cancel, poke, handle }) {
            old.cancel.cancel();
        }
    }

    /// Polls a device now, out of its schedule (its interfaces changed state).
    pub fn poll_now(&self, id: &DeviceId) {
        if let Some(running) = self.tasks.lock().expect("tasks lock").get(id) {
            running.poke.notify_one();
        }
    }

    /// Stops polling a device.
    pub fn stop(&self, id: &DeviceId) {
        if let Some(running) = self.tasks.lock().expect("tasks lock").remove(id) {
            running.cancel.cancel();
        }
    }

    /// Cancels every poller and waits for them, at most `deadline`.
    pub async fn shutdown(&self, deadline: Duration) {
        self.root.cancel();
        let handles: Vec<JoinHandle<()>> =
            self.tasks.lock().expect("tasks lock").drain().map(|(_, r)| r.handle).collect();
        let all = futures_util::future::join_all(handles);
        if tokio::time::timeout(deadline, all).await.is_err() {
            log::warn!("Some pollers did not stop within {deadline:?}; shutting down anyway.");
        }
    }
}
