//! One remote-write target: its settings, its outbox and its figures. Accepted samples are
//! encoded for it (with its external labels), compressed and put in its outbox (memory while
//! it keeps up, its queue on disk otherwise); the sender takes them from there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::encode::{self, Externals, Finished};
use super::outbox::{At, Outbox, Request};
use super::queue::{Dropped, Queue, QueueUsage};
use super::request::WriteRequest;
use super::series::Accepted;
use crate::secret::Secret;

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

pub struct Target {
    pub settings: TargetSettings,
    /// The request being written: its buffers kept from one batch to the next.
    request: Mutex<WriteRequest>,
    outbox: Mutex<Outbox>,
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
        let (request, outbox) = (Mutex::default(), Mutex::new(Outbox::new(queue)));
        Ok(Target { settings, request, outbox, appended: Notify::new(), stats })
    }

    /// Encodes `batch` for this target (number `index` of `externals`) and puts it in the
    /// outbox (blocking when it goes to disk: one sync per batch).
    pub fn append(&self, index: usize, externals: &Externals, batch: &[Accepted]) -> std::io::Result<()> {
        let mut request = self.request.lock().expect("request lock");
        encode::requests(batch, index, externals, &mut request, |finished| self.enqueue(finished))?;
        drop(request);
        self.outbox.lock().expect("outbox lock").sync()
    }

    fn enqueue(&self, finished: Finished) -> std::io::Result<()> {
        let Finished { body, samples, oldest_ms } = finished;
        let dropped = self.outbox.lock().expect("outbox lock").push(body, samples, oldest_ms)?;
        self.note_dropped(dropped);
        self.appended.notify_one();
        Ok(())
    }

    fn note_dropped(&self, dropped: Dropped) {
        if dropped.segments > 0 {
            log::warn!(
                "Remote-write target {}: its queue is full ({} bytes); the oldest {} samples are dropped.",
                self.settings.name,
                self.settings.max_queue_bytes,
                dropped.samples
            );
        }
        self.stats.dropped(dropped);
    }

    /// Moves what waits in memory to disk, synced (blocking): after a failed send, and when
    /// Vigie stops.
    pub fn spill(&self) -> std::io::Result<()> {
        let mut outbox = self.outbox.lock().expect("outbox lock");
        let dropped = outbox.spill()?;
        outbox.sync()?;
        drop(outbox);
        self.note_dropped(dropped);
        Ok(())
    }

    /// The oldest request not sent yet (blocking when it is on disk).
    pub fn peek(&self) -> std::io::Result<Option<Request>> {
        self.outbox.lock().expect("outbox lock").peek()
    }

    /// The oldest request not sent yet when nothing waits on disk (memory only; see
    /// [`Outbox::peek_in_memory`]): the sender then needs no blocking thread.
    pub fn peek_in_memory(&self) -> Option<Option<Request>> {
        self.outbox.lock().expect("outbox lock").peek_in_memory()
    }

    /// Marks a request sent when it waited in memory (memory only); answers whether it did.
    pub fn ack_in_memory(&self, at: At) -> bool {
        self.outbox.lock().expect("outbox lock").ack_in_memory(at)
    }

    /// Marks a request sent: it leaves the outbox (blocking when it was on disk).
    pub fn ack(&self, at: At) -> std::io::Result<()> {
        self.outbox.lock().expect("outbox lock").ack(at)
    }

    /// The figures now (memory only).
    pub fn status(&self, handoff_dropped: u64, now_ms: i64) -> TargetStatus {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let queue: QueueUsage = self.outbox.lock().expect("outbox lock").usage();
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
    use super::super::encode::MAX_SAMPLES_PER_REQUEST;
    use super::super::proto::decoded::decode;
    use super::super::series::{self, LabelCache};
    use super::*;
    use crate::device::{Device, DeviceConfig, DeviceId};
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};
    use crate::store::{DeviceLive, InterfaceLive, InterfaceReading, LatestSample};

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

    fn device(name: &str) -> Device {
        Device { id: DeviceId("0000abcd".into()), created_at: 0, config: DeviceConfig::v2c(name, "h", 161, "c") }
    }

    fn externals(targets: &[&TargetSettings]) -> Externals {
        Externals(targets.iter().map(|t| t.external_labels.clone()).collect())
    }

    type Series = Vec<(Vec<(String, String)>, f64)>;

    fn series(payload: &[u8]) -> Series {
        let request = decode(payload);
        let labels = |s: &super::super::proto::decoded::TimeSeries| {
            s.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect::<Vec<_>>()
        };
        request.timeseries.iter().map(|s| (labels(s), s.samples[0].value)).collect()
    }

    fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
        labels.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_batch_is_encoded_with_the_external_labels_sorted_in_and_split_in_requests() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::open(settings(64 << 20), dir.path()).unwrap();
        let cache = LabelCache::default();
        let batch: Vec<Accepted> =
            (0..MAX_SAMPLES_PER_REQUEST as i64 + 1).map(|i| series::failed_poll(&device("sw1"), i, &cache)).collect();
        target.append(0, &externals(&[&target.settings]), &batch).unwrap();
        let first = target.peek().unwrap().unwrap();
        assert_eq!((first.samples, first.oldest_ms), (MAX_SAMPLES_PER_REQUEST as u32, 0));
        assert_eq!(
            series(&first.payload)[0].0,
            owned(&[
                ("Zone", "b"),
                ("__name__", "vigie_device_up"),
                ("device", "sw1"),
                ("device_id", "0000abcd"),
                ("instance", "h"),
                ("site", "lyon")
            ]),
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

    fn live(aliases: &[&str], at_ms: i64) -> DeviceLive {
        let mut live = DeviceLive::new();
        for (i, alias) in (1..).zip(aliases) {
            let mut info = InterfaceInfo::ethernet(i);
            info.set_if_alias(alias);
            let reading = InterfaceReading::traffic(CounterRow::octets(i, 10, 20, CounterBits::Bits64), None, None);
            live.interfaces
                .insert(InterfaceLive { info, latest: Some(LatestSample { at_ms, uptime_ticks: 5, reading }) });
        }
        live
    }

    #[test]
    fn each_series_carries_its_whole_label_set_for_each_target_across_polls_and_changes() {
        let dir = tempfile::tempdir().unwrap();
        let vm = Target::open(settings(64 << 20), dir.path()).unwrap();
        let mut plain = settings(64 << 20);
        (plain.name, plain.external_labels) = ("plain".into(), Vec::new());
        let plain = Target::open(plain, dir.path()).unwrap();
        let externals = externals(&[&vm.settings, &plain.settings]);
        let cache = LabelCache::default();
        let sent = |target: &Target, index, batch: &[Accepted]| {
            target.append(index, &externals, batch).unwrap();
            let request = target.peek().unwrap().unwrap();
            target.ack(request.at).unwrap();
            series(&request.payload)
        };
        let port = |name: &str, alias: &str, index: u32, externals: bool| {
            let (eth, index) = (format!("eth{index}"), index.to_string());
            let mut labels = owned(&[
                ("__name__", name),
                ("device", "sw1"),
                ("device_id", "0000abcd"),
                ("ifDescr", &eth),
                ("ifIndex", &index),
                ("ifName", &eth),
                ("instance", "h"),
            ]);
            if !alias.is_empty() {
                labels.push(("ifAlias".into(), alias.into()));
            }
            if externals {
                labels.extend(owned(&[("Zone", "b"), ("site", "lyon")]));
            }
            labels.sort_unstable();
            labels
        };
        for (at, alias) in [(1000, ""), (2000, ""), (3000, "uplink")] {
            let batch = [
                series::poll(&device("sw1"), &live(&["core", alias], at), at, &cache),
                series::failed_poll(&device("sw2"), at, &LabelCache::default()),
            ];
            for (index, target) in [&vm, &plain].into_iter().enumerate() {
                let got = sent(target, index, &batch);
                let externals = index == 0;
                let of = |index: &str| {
                    got.iter().filter(|(l, _)| l.contains(&("ifIndex".into(), index.into()))).collect::<Vec<_>>()
                };
                assert_eq!(of("1")[0], &(port("ifHCInOctets", "core", 1, externals), 10.0), "at {at}");
                assert_eq!(of("1")[1], &(port("ifHCOutOctets", "core", 1, externals), 20.0), "at {at}");
                let second = of("2")[0];
                assert_eq!(
                    second,
                    &(port("ifHCInOctets", alias, 2, externals), 10.0),
                    "at {at}: the alias as it is now"
                );
                let mut down = vec![
                    ("__name__", "vigie_device_up"),
                    ("device", "sw2"),
                    ("device_id", "0000abcd"),
                    ("instance", "h"),
                ];
                if externals {
                    down.extend([("Zone", "b"), ("site", "lyon")]);
                }
                down.sort_unstable();
                assert_eq!(got.last().unwrap(), &(owned(&down), 0.0));
            }
        }
    }
}
