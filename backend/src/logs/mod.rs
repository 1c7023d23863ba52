//! Device logs: the syslog and SNMP trap receivers, their parsers, and Vigie's own event log.
//! Everything received goes through one queue ([`Sink`]) to the store, bounded in bytes: when a
//! burst outruns the disk, the oldest queued messages are dropped and counted, so memory stays
//! bounded whatever the network sends. Malformed input is counted and dropped; nothing here may
//! panic on what the network sends.

pub mod framing;
pub mod receivers;
pub mod syslog;
pub mod syslog_listener;
pub mod tcp_peers;
pub mod trap_users;
pub mod traps;
pub mod traps_v3;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::device::DeviceId;
use crate::store::logs::{cut_at_char, LogField, LogSource, NewLogEntry, Severity};
use crate::store::{now_ms, Store};

/// Default bytes of entries waiting for the disk.
pub const DEFAULT_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Longest message kept; longer ones are cut and marked `truncated`.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Entries and bytes written per batch, at most: what the writer holds beside the queue.
const BATCH: usize = 4096;
const BATCH_BYTES: usize = 1024 * 1024;

/// The bounds of the log path, from the configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogLimits {
    /// Bytes of entries waiting for the disk.
    pub queue_bytes: usize,
    /// Bytes of the newest entries kept in memory for queries.
    pub memory_bytes: usize,
    /// Time one query may spend before it answers what it found and a cursor.
    pub query_budget: std::time::Duration,
    pub tcp: tcp_peers::TcpLimits,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            queue_bytes: DEFAULT_QUEUE_BYTES,
            memory_bytes: crate::store::logs::DEFAULT_RECENT_BYTES,
            query_budget: std::time::Duration::from_millis(500),
            tcp: tcp_peers::TcpLimits::default(),
        }
    }
}

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
    pub traps_v3: traps_v3::RefusedCounters,
    pub tcp: tcp_peers::TcpCounters,
    /// Entries dropped because the queue was full (oldest first), and their bytes.
    pub dropped: AtomicU64,
    pub dropped_bytes: AtomicU64,
    pub stored: AtomicU64,
}

/// How full the queue is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueueUsage {
    pub entries: usize,
    pub bytes: usize,
    pub max_bytes: usize,
}

#[derive(Default)]
struct Queue {
    entries: VecDeque<(NewLogEntry, usize)>,
    bytes: usize,
}

/// The queue between the receivers (and the event log) and the store, bounded in bytes.
pub struct Sink {
    queue: Mutex<Queue>,
    max_bytes: usize,
    ready: Notify,
    pub counters: LogCounters,
}

impl Sink {
    pub fn new() -> Arc<Sink> {
        Sink::with_max_bytes(DEFAULT_QUEUE_BYTES)
    }

    pub fn with_max_bytes(max_bytes: usize) -> Arc<Sink> {
        Arc::new(Sink {
            queue: Mutex::new(Queue::default()),
            max_bytes,
            ready: Notify::new(),
            counters: LogCounters::default(),
        })
    }

    /// Queues an entry; the oldest queued ones go while it does not fit.
    pub fn push(&self, entry: NewLogEntry) {
        let bytes = entry.memory_bytes();
        {
            if bytes > self.max_bytes {
                self.count_dropped(bytes);
                return;
            }
            let mut queue = self.queue.lock().expect("log queue lock");
            while queue.bytes + bytes > self.max_bytes {
                let Some((_, old)) = queue.entries.pop_front() else { break };
                queue.bytes -= old;
                self.count_dropped(old);
            }
            queue.bytes += bytes;
            queue.entries.push_back((entry, bytes));
        }
        self.ready.notify_one();
    }

    fn count_dropped(&self, bytes: usize) {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        self.counters.dropped_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn usage(&self) -> QueueUsage {
        let queue = self.queue.lock().expect("log queue lock");
        QueueUsage { entries: queue.entries.len(), bytes: queue.bytes, max_bytes: self.max_bytes }
    }

    /// Records one of Vigie's own events.
    pub fn event(&self, device_id: Option<&DeviceId>, severity: Severity, message: String, fields: Vec<LogField>) {
        self.push(NewLogEntry {
            device_id: device_id.cloned(),
            app_name: Some("vigie".into()),
            fields,
            ..NewLogEntry::new(now_ms() as f64 / 1000.0, LogSource::Event, severity, message)
        });
    }

    /// Records who did what (`source: audit`): `actor` as [`crate::auth::Principal::describe`]
    /// names it. Never a password or token in `message`.
    pub fn audit(&self, actor: &str, device_id: Option<&DeviceId>, severity: Severity, message: String) {
        self.push(NewLogEntry {
            device_id: device_id.cloned(),
            app_name: Some("vigie".into()),
            fields: vec![LogField { name: "actor".into(), value: actor.to_string() }],
            ..NewLogEntry::new(now_ms() as f64 / 1000.0, LogSource::Audit, severity, message)
        });
    }

    fn take_batch(&self) -> Vec<NewLogEntry> {
        let mut queue = self.queue.lock().expect("log queue lock");
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < BATCH && (batch.is_empty() || bytes < BATCH_BYTES) {
            let Some((entry, size)) = queue.entries.pop_front() else { break };
            queue.bytes -= size;
            bytes += size;
            batch.push(entry);
        }
        batch
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
    cut_at_char(text, MAX_MESSAGE_BYTES)
}

/// Which device a datagram's source address belongs to.
pub trait Attribution: Send + Sync {
    fn device_for(&self, addr: std::net::IpAddr) -> Option<DeviceId>;
    fn interface_name(&self, device: &DeviceId, if_index: u32) -> Option<String>;
    /// A linkDown/linkUp trap arrived: poll the device's interfaces now.
    fn link_changed(&self, device: &DeviceId);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> NewLogEntry {
        NewLogEntry::new(0.0, LogSource::Syslog, Severity::Notice, text.into())
    }

    #[test]
    fn the_queue_is_bounded_in_bytes_and_drops_the_oldest_first() {
        let sink = Sink::with_max_bytes(4 * 1024 * 1024);
        let entry = |i: usize| message(&format!("{i:03} {}", "x".repeat(60_000)));
        let fits = 4 * 1024 * 1024 / entry(0).memory_bytes();
        for i in 0..100 {
            sink.push(entry(i));
        }
        let usage = sink.usage();
        assert!(usage.bytes <= 4 * 1024 * 1024 && usage.entries == fits, "{usage:?}");
        assert_eq!(sink.counters.dropped.load(Ordering::Relaxed), (100 - fits) as u64);
        assert!(sink.counters.dropped_bytes.load(Ordering::Relaxed) > (100 - fits) as u64 * 60_000);
        let batch = sink.take_batch();
        assert!(batch[0].message.starts_with(&format!("{:03}", 100 - fits)), "the newest stayed");
        assert!(batch.len() < fits / 2, "a batch is bounded in bytes too");
        assert_eq!(sink.usage().entries, fits - batch.len());
    }
}
