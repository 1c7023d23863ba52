//! One remote-write target: its settings, its queue and its figures. Accepted samples are
//! encoded for it (with its external labels), compressed and appended to its queue; the sender
//! reads them back from there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::proto::{EncodedLabels, WriteRequest};
use super::queue::{Dropped, Queue, QueueUsage, Record};
use super::series::{Accepted, LabelSet};
use crate::secret::Secret;

/// Samples in one request, at most (Prometheus sends 2,000 by default; fewer, larger requests
/// cost less here).
pub const MAX_SAMPLES_PER_REQUEST: usize = 5000;

/// `[[remote_write]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    /// Names the queue's directory and the target in `/status` and `/metrics`.
    pub name: String,
    pub url: String,
    pub auth: TargetAuth,
    /// PEM certificates trusted besides the system's.
    pub tls_ca: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    /// Added to every series, sorted by name.
    pub external_labels: Vec<(String, String)>,
    pub max_queue_bytes: u64,
    /// Sent with every request (a tenant's `X-Scope-OrgID`...); values sensitive.
    pub headers: reqwest::header::HeaderMap,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TargetAuth {
    None,
    Basic { user: String, password: Secret },
    Bearer(Secret),
}

/// The counters of one target since start.
#[derive(Default)]
pub struct TargetStats {
    pub samples_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub requests_sent: AtomicU64,
    pub attempts_failed: AtomicU64,
    /// Samples dropped by the queue's bound, or cut off a torn segment at start.
    pub samples_dropped: AtomicU64,
    pub segments_dropped: AtomicU64,
    /// Samples in requests the target refused (4xx other than 429).
    pub samples_rejected: AtomicU64,
    last_error: Mutex<Option<(String, i64)>>,
    last_sent_at: AtomicU64,
}

impl TargetStats {
    pub fn sent(&self, samples: u64, bytes: u64) {
        self.samples_sent.fetch_add(samples, Ordering::Relaxed);
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
        self.last_sent_at.store(crate::store::now_secs().max(0) as u64, Ordering::Relaxed);
    }

    pub fn failed(&self, error: String) {
        self.attempts_failed.fetch_add(1, Ordering::Relaxed);
        self.set_error(error);
    }

    pub fn rejected(&self, samples: u64, error: String) {
        self.samples_rejected.fetch_add(samples, Ordering::Relaxed);
        self.set_error(error);
    }

    fn dropped(&self, dropped: Dropped) {
        self.samples_dropped.fetch_add(dropped.samples, Ordering::Relaxed);
        self.segments_dropped.fetch_add(dropped.segments, Ordering::Relaxed);
    }

    fn set_error(&self, error: String) {
        *self.last_error.lock().expect("error lock") = Some((error, crate::store::now_secs()));
    }
}

/// A target's figures, for `/status` and `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetStatus {
    pub name: String,
    /// The URL without any user name or password in it.
    pub url: String,
    pub queue: QueueUsage,
    pub queue_max_bytes: u64,
    /// Seconds since the oldest sample not sent yet was taken (0 when the queue is sent).
    pub lag_secs: f64,
    pub samples_sent: u64,
    pub bytes_sent: u64,
    pub requests_sent: u64,
    pub attempts_failed: u64,
    pub samples_dropped: u64,
    pub segments_dropped: u64,
    pub samples_rejected: u64,
    /// Samples the hand-off refused (shared by every target: none of them got them).
    pub samples_dropped_handoff: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub last_sent_at: Option<i64>,
}

/// A request compressed, and the compressor's state: kept across the requests of a batch.
struct Compressed {
    encoder: snap::raw::Encoder,
    body: Vec<u8>,
}

impl Default for Compressed {
    fn default() -> Self {
        Compressed { encoder: snap::raw::Encoder::new(), body: Vec::new() }
    }
}

pub struct Target {
    pub settings: TargetSettings,
    queue: Mutex<Queue>,
    /// Wakes the sender when something was appended.
    pub appended: Notify,
    pub stats: TargetStats,
}

impl Target {
    /// Opens the target's queue under `<data_dir>/remote-write/<name>/` (blocking).
    pub fn open(settings: TargetSettings, data_dir: &std::path::Path) -> std::io::Result<Target> {
        let dir = data_dir.join("remote-write").join(&settings.name);
        let (queue, cut) = Queue::open(&dir, settings.max_queue_bytes)?;
        let stats = TargetStats::default();
        stats.dropped(cut);
        let usage = queue.usage();
        if usage.samples > 0 {
            log::info!(
                "Remote-write target {}: {} samples ({} bytes) queued before the restart will be sent.",
                settings.name,
                usage.samples,
                usage.bytes
            );
        }
        Ok(Target { settings, queue: Mutex::new(queue), appended: Notify::new(), stats })
    }

    /// Encodes `batch` for this target and appends it to the queue (blocking). Each label set
    /// (an interface's, a device's, per poll) is merged with the external labels and encoded
    /// once, then copied into each of its series. One write per request, one sync per batch.
    pub fn append(&self, batch: &[Accepted]) -> std::io::Result<()> {
        let externals = self.settings.external_labels.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let mut request = WriteRequest::default();
        let mut compressed = Compressed::default();
        let mut labels = EncodedLabels::default();
        let mut merged: Vec<(&str, &str)> = Vec::with_capacity(16);
        let mut current: Option<&Arc<LabelSet>> = None;
        let mut oldest = i64::MAX;
        for point in batch.iter().flat_map(|accepted| accepted.points.iter()) {
            if !current.is_some_and(|set| Arc::ptr_eq(set, &point.labels)) {
                merged.clear();
                merged.extend(point.labels.0.iter().map(|(n, v)| (*n, v.as_str())));
                merged.extend(externals.clone());
                merged.sort_unstable_by(|a, b| a.0.cmp(b.0));
                labels.set(merged.iter().copied());
                current = Some(&point.labels);
            }
            request.push(point.name, &labels, point.value, point.at_ms);
            oldest = oldest.min(point.at_ms);
            if request.len() >= MAX_SAMPLES_PER_REQUEST {
                self.enqueue(&request, oldest, &mut compressed)?;
                request.clear();
                oldest = i64::MAX;
            }
        }
        if !request.is_empty() {
            self.enqueue(&request, oldest, &mut compressed)?;
        }
        self.queue.lock().expect("queue lock").sync()
    }

    fn enqueue(&self, request: &WriteRequest, oldest_ms: i64, compressed: &mut Compressed) -> std::io::Result<()> {
        request.compress_into(&mut compressed.encoder, &mut compressed.body);
        let dropped =
            self.queue.lock().expect("queue lock").append(&compressed.body, request.len() as u32, oldest_ms)?;
        if dropped.segments > 0 {
            log::warn!(
                "Remote-write target {}: its queue is full ({} bytes); the oldest {} samples are dropped.",
                self.settings.name,
                self.settings.max_queue_bytes,
                dropped.samples
            );
        }
        self.stats.dropped(dropped);
        self.appended.notify_one();
        Ok(())
    }

    /// The oldest request not sent yet (blocking).
    pub fn peek(&self) -> std::io::Result<Option<Record>> {
        self.queue.lock().expect("queue lock").peek()
    }

    /// Marks a request sent: it leaves the queue (blocking).
    pub fn ack(&self, at: (u64, usize)) -> std::io::Result<()> {
        self.queue.lock().expect("queue lock").ack(at)
    }

    /// The figures now (memory only).
    pub fn status(&self, handoff_dropped: u64, now_ms: i64) -> TargetStatus {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let queue = self.queue.lock().expect("queue lock").usage();
        let (last_error, last_error_at) = match self.stats.last_error.lock().expect("error lock").clone() {
            Some((error, at)) => (Some(error), Some(at)),
            None => (None, None),
        };
        let last_sent_at = read(&self.stats.last_sent_at);
        TargetStatus {
            name: self.settings.name.clone(),
            url: shown_url(&self.settings.url),
            queue,
            queue_max_bytes: self.settings.max_queue_bytes,
            lag_secs: queue.oldest_ms.map_or(0.0, |oldest| (now_ms - oldest).max(0) as f64 / 1000.0),
            samples_sent: read(&self.stats.samples_sent),
            bytes_sent: read(&self.stats.bytes_sent),
            requests_sent: read(&self.stats.requests_sent),
            attempts_failed: read(&self.stats.attempts_failed),
            samples_dropped: read(&self.stats.samples_dropped),
            segments_dropped: read(&self.stats.segments_dropped),
            samples_rejected: read(&self.stats.samples_rejected),
            samples_dropped_handoff: handoff_dropped,
            last_error,
            last_error_at,
            last_sent_at: (last_sent_at > 0).then_some(last_sent_at as i64),
        }
    }
}

/// The URL with any user name and password taken out.
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "(invalid URL)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::decoded::decode;
    use super::super::series::{self, Point};
    use super::*;
    use crate::device::{Device, DeviceConfig, DeviceId};

    fn settings(max_queue_bytes: u64) -> TargetSettings {
        TargetSettings {
            name: "vm".into(),
            url: "http://user:pw@127.0.0.1:8428/api/v1/write".into(),
            auth: TargetAuth::None,
            tls_ca: None,
            insecure_skip_verify: false,
            external_labels: vec![("site".into(), "lyon".into()), ("Zone".into(), "b".into())],
            max_queue_bytes,
            headers: Default::default(),
        }
    }

    #[test]
    fn a_batch_is_encoded_with_the_external_labels_sorted_in_and_split_in_requests() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::open(settings(64 << 20), dir.path()).unwrap();
        let device =
            Device { id: DeviceId("0000abcd".into()), created_at: 0, config: DeviceConfig::v2c("sw1", "h", 161, "c") };
        let batch: Vec<Accepted> =
            (0..MAX_SAMPLES_PER_REQUEST as i64 + 1).map(|i| series::failed_poll(&device, i)).collect();
        target.append(&batch).unwrap();
        let first = target.peek().unwrap().unwrap();
        assert_eq!((first.samples, first.oldest_ms), (MAX_SAMPLES_PER_REQUEST as u32, 0));
        let request = decode(&first.payload);
        let labels: Vec<(&str, &str)> =
            request.timeseries[0].labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
        assert_eq!(
            labels,
            [
                ("Zone", "b"),
                ("__name__", "vigie_device_up"),
                ("device", "sw1"),
                ("device_id", "0000abcd"),
                ("instance", "h"),
                ("site", "lyon")
            ],
            "sorted by name, bytewise, as Prometheus sorts them"
        );
        target.ack(first.at).unwrap();
        let second = target.peek().unwrap().unwrap();
        assert_eq!((second.samples, second.oldest_ms), (1, MAX_SAMPLES_PER_REQUEST as i64));
        let status = target.status(3, 10_000);
        assert_eq!(status.url, "http://127.0.0.1:8428/api/v1/write", "no credentials shown");
        assert_eq!((status.queue.samples, status.samples_dropped_handoff), (1, 3));
        assert_eq!(status.lag_secs, (10_000.0 - MAX_SAMPLES_PER_REQUEST as f64) / 1000.0);
    }

    #[test]
    fn series_sharing_a_label_set_each_carry_all_of_it_and_the_next_set_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::open(settings(64 << 20), dir.path()).unwrap();
        let set = |labels: &[(&'static str, &str)]| {
            Arc::new(LabelSet(labels.iter().map(|(n, v)| (*n, v.to_string())).collect()))
        };
        let port1 = set(&[("device", "sw1"), ("ifAlias", ""), ("ifIndex", "1")]);
        let sw2 = set(&[("device", "sw2")]);
        let point = |name, labels: &Arc<LabelSet>, value| Point { name, labels: labels.clone(), value, at_ms: 9 };
        let batch = [
            Accepted { points: vec![point("ifHCInOctets", &port1, 1.0), point("ifHCOutOctets", &port1, 2.0)] },
            Accepted { points: vec![point("vigie_device_up", &sw2, 0.0)] },
        ];
        target.append(&batch).unwrap();
        let request = decode(&target.peek().unwrap().unwrap().payload);
        let series: Vec<(Vec<(&str, &str)>, f64)> = request
            .timeseries
            .iter()
            .map(|s| (s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect(), s.samples[0].value))
            .collect();
        let port =
            |name| vec![("Zone", "b"), ("__name__", name), ("device", "sw1"), ("ifIndex", "1"), ("site", "lyon")];
        assert_eq!(
            series,
            [
                (port("ifHCInOctets"), 1.0),
                (port("ifHCOutOctets"), 2.0),
                (vec![("Zone", "b"), ("__name__", "vigie_device_up"), ("device", "sw2"), ("site", "lyon")], 0.0)
            ]
        );
    }
}
