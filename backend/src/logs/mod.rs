//! Device logs: the syslog and SNMP trap receivers, their parsers, and Vigie's own event log.
//! Everything received goes through one bounded queue ([`Sink`]) to the store; when a burst
//! outruns the disk, the oldest queued messages are dropped and counted, so memory stays bounded.
//! Malformed input is counted and dropped; nothing here may panic on what the network sends.

pub mod syslog;
pub mod syslog_listener;
pub mod traps;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::device::DeviceId;
use crate::store::logs::{LogField, LogSource, NewLogEntry};
use crate::store::{now_ms, Store};

/// Messages waiting for the disk, at most.
pub const QUEUE_CAPACITY: usize = 100_000;
/// Longest message kept; longer ones are cut and marked `truncated`.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Entries written per batch.
const BATCH: usize = 4096;

/// Counters of one receiver.
#[derive(Default, Debug)]
pub struct ReceiverCounters {
    pub received: AtomicU64,
    pub malformed: AtomicU64,
    pub truncated: AtomicU64,
}

/// What the receivers and the log have done since start.
#[derive(Default, Debug)]
pub struct LogCounters {
    pub syslog: ReceiverCounters,
    pub traps: ReceiverCounters,
    /// Messages dropped because the queue was full (oldest first).
    pub dropped: AtomicU64,
    pub stored: AtomicU64,
}

/// The bounded queue between the receivers (and the event log) and the store.
pub struct Sink {
    queue: Mutex<VecDeque<NewLogEntry>>,
    ready: Notify,
    pub counters: LogCounters,
}

impl Sink {
    pub fn new() -> Arc<Sink> {
        Arc::new(Sink { queue: Mutex::new(VecDeque::new()), ready: Notify::new(), counters: LogCounters::default() })
    }

    /// Queues an entry; the oldest queued one goes if the queue is full.
    pub fn push(&self, entry: NewLogEntry) {
        {
            let mut queue = self.queue.lock().expect("log queue lock");
            if queue.len() >= QUEUE_CAPACITY {
                queue.pop_front();
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            queue.push_back(entry);
        }
        self.ready.notify_one();
    }

    /// Records one of Vigie's own events.
    pub fn event(&self, device_id: Option<&DeviceId>, severity: u8, message: String, fields: Vec<LogField>) {
        self.push(NewLogEntry {
            received_at: now_ms() as f64 / 1000.0,
            timestamp: None,
            source: LogSource::Event,
            device_id: device_id.cloned(),
            source_addr: None,
            severity,
            facility: None,
            app_name: Some("vigie".into()),
            hostname: None,
            message,
            truncated: false,
            fields,
        });
    }

    fn take_batch(&self) -> Vec<NewLogEntry> {
        let mut queue = self.queue.lock().expect("log queue lock");
        let n = queue.len().min(BATCH);
        queue.drain(..n).collect()
    }

    /// Writes queued entries to the store until cancelled, then writes what is left.
    pub async fn run_writer(self: Arc<Self>, store: Arc<Store>, cancel: CancellationToken) {
        loop {
            let batch = self.take_batch();
            if batch.is_empty() {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = self.ready.notified() => continue,
                }
            }
            self.write(&store, batch).await;
        }
        loop {
            let batch = self.take_batch();
            if batch.is_empty() {
                return;
            }
            self.write(&store, batch).await;
        }
    }

    async fn write(&self, store: &Arc<Store>, batch: Vec<NewLogEntry>) {
        let n = batch.len() as u64;
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.append_logs(batch)).await {
            Ok(Ok(())) => {
                self.counters.stored.fetch_add(n, Ordering::Relaxed);
            }
            Ok(Err(e)) => log::error!("Cannot write {n} log entries: {e}"),
            Err(e) => log::error!("The log writer failed: {e}"),
        }
    }
}

/// Cuts `text` to [`MAX_MESSAGE_BYTES`] on a character boundary; answers whether it cut.
pub fn cut(text: &mut String) -> bool {
    if text.len() <= MAX_MESSAGE_BYTES {
        return false;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// Which device a datagram's source address belongs to.
pub trait Attribution: Send + Sync {
    fn device_for(&self, addr: std::net::IpAddr) -> Option<DeviceId>;
    fn interface_name(&self, device: &DeviceId, if_index: u32) -> Option<String>;
    /// A linkDown/linkUp trap arrived: poll the device's interfaces now.
    fn link_changed(&self, device: &DeviceId);
}
