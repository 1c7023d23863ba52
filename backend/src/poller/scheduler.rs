//! When devices are polled: one task per device on its own schedule, spread with jitter so a
//! fleet loaded at start does not poll all at once; a slow or dead device never delays another.
//! Every task is owned: cancelled through its token and awaited at shutdown, supervised (a
//! panic restarts it), and run on the pollers' own runtime, never on an HTTP worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::runtime::PollerRuntime;
use super::stats::PollerStats;
use crate::device::{Device, DeviceId};
use crate::logs::Sink;
use crate::store::Store;

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
    runtime: PollerRuntime,
}

impl Scheduler {
    /// A scheduler with its own runtime for the pollers.
    pub fn new(store: Arc<Store>, sink: Arc<Sink>) -> std::io::Result<Scheduler> {
        Ok(Scheduler {
            store,
            sink,
            stats: Arc::default(),
            tasks: Mutex::default(),
            root: CancellationToken::new(),
            runtime: PollerRuntime::start()?,
        })
    }

    /// The pollers' runtime, shared with the reachability scheduler.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
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
        let handle = self.runtime.handle().spawn(super::supervisor::supervise(task, super::task::Task::run));
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
