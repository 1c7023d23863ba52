//! Polls and live state: what each device's polls leave in memory (status, inventory, latest
//! readings) and on disk (its `state.json`, raw samples and rollups, see [`super::series`]).
//!
//! Locks: each device has its own. `live` is held for memory only; `disk` is held across that
//! one device's writes, so a device's files have one writer at a time while devices write in
//! parallel. No lock shared by devices is held across disk I/O. `state.json` is a cache: when it
//! cannot be read at start it is set aside (`state.json.corrupt-<unix time>`) and rebuilt from
//! the samples, with an event in the device's log.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::files;
use super::live::DeviceLive;
use super::logs::{LogSource, NewLogEntry, Severity};
use super::records::StateFile;
use super::replace;
use super::series::{OpenBuckets, SeriesDir};
use super::state_history::{History, Transition};
use super::{io_error, now_ms, Store, StoreError};
use crate::device::{Device, DeviceId, DeviceState};

/// One device's share of the store.
pub(super) struct PolledDevice {
    pub live: RwLock<DeviceLive>,
    pub disk: Mutex<DeviceDisk>,
    /// The state history in memory, for availability (see [`super::state_history::History`]).
    pub history: Mutex<History>,
    /// The store's change counter when this device last changed (see [`Store::touch`]).
    pub version: AtomicU64,
    /// Its remote-write label sets, kept across polls (empty while remote-write is off).
    pub export_labels: crate::export::LabelCache,
    /// Removed from the store: a write through its slot does nothing (see [`super::slot`]).
    pub removed: AtomicBool,
    /// What deciding its state reads of its config, kept for its slot (see [`super::slot`]).
    pub config: Mutex<super::slot::KeptConfig>,
}

pub(super) struct DeviceDisk {
    pub dir: PathBuf,
    pub series: SeriesDir,
    /// Rollup lines not on disk yet.
    pub buckets: OpenBuckets,
    /// `state.json` is behind `live` (its last write failed): written again at the next poll.
    pub state_dirty: bool,
    /// The device was removed: its files are deleted and must not come back.
    pub removed: bool,
    /// The last state in `states.jsonl` (see [`super::state_history`]).
    pub history_last: Option<DeviceState>,
    /// Lines appended to it (estimated from its size at start), for compaction.
    pub history_appends: usize,
}

impl PolledDevice {
    pub fn new(dir: PathBuf, live: DeviceLive, buckets: OpenBuckets) -> PolledDevice {
        let series = SeriesDir::new(&dir);
        let history = dir.join("states.jsonl");
        let history_last = files::last_line(&history)
            .ok()
            .flatten()
            .and_then(|line| serde_json::from_slice::<Transition>(&line).ok())
            .map(|t| t.state);
        // A line is about 40 bytes.
        let history_appends = std::fs::metadata(&history).map_or(0, |m| m.len() as usize / 40);
        let disk =
            DeviceDisk { dir, series, buckets, state_dirty: false, removed: false, history_last, history_appends };
        let history = Mutex::new(History::load(&history, super::now_secs()));
        PolledDevice {
            live: RwLock::new(live),
            disk: Mutex::new(disk),
            history,
            version: AtomicU64::new(0),
            export_labels: Default::default(),
            removed: AtomicBool::new(false),
            config: Mutex::default(),
        }
    }

    /// Deletes the device's files; later writes for it do nothing.
    pub fn remove_files(&self, appender: &files::Appender, name: &str) {
        let mut disk = self.disk.lock().expect("device disk lock");
        disk.removed = true;
        self.removed.store(true, Ordering::Release);
        appender.forget_below(&disk.dir);
        if let Err(e) = std::fs::remove_dir_all(&disk.dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                let name = crate::shown::Shown(name);
                log::warn!("Device {name} removed, but its data at {} could not be deleted: {e}", disk.dir.display());
            }
        }
    }
}

/// A `state.json` that could not be read at start, and what became of it.
pub(super) struct SetAside {
    pub reason: String,
    pub moved_to: Option<PathBuf>,
}

impl Store {
    /// Loads one device's live state and unwritten rollups at start.
    pub(super) fn load_device(&self, device: &Device, now: i64) -> Result<PolledDevice, StoreError> {
        let dir = self.device_dir(&device.id);
        replace::remove_stale_temps(&dir);
        let series = SeriesDir::new(&dir);
        let delay = OpenBuckets::delay_for(&device.id.0);
        let (buckets, newest) =
            series.rebuild_open_buckets(&self.appender, &self.tiers, now, delay).map_err(io_error(&dir))?;
        let state_path = dir.join("state.json");
        let mut live = match read_state(&state_path)? {
            Ok(Some(state)) => DeviceLive::from_state(state),
            Ok(None) => DeviceLive::new(),
            Err(reason) => {
                let set_aside = set_aside(&state_path, reason, now);
                self.report_set_aside(device, &set_aside);
                DeviceLive::rebuilt_from(newest.as_ref())
            }
        };
        // The latest counters come from the last poll line, not from state.json (which is not
        // rewritten on every poll).
        if let Some(line) = &newest {
            live.restore_latest(line);
        }
        Ok(PolledDevice::new(dir, live, buckets))
    }

    /// Logs a set-aside `state.json` and records it in the device's log.
    fn report_set_aside(&self, device: &Device, set_aside: &SetAside) {
        let name = &device.config.name;
        let moved = match &set_aside.moved_to {
            Some(path) => format!("set aside as {}", path.file_name().unwrap_or_default().to_string_lossy()),
            None => "left in place (it could not be renamed) and will be replaced".to_string(),
        };
        log::warn!(
            "Device {} ({}): its state.json is unreadable ({}); {moved}. Its status starts unknown and \
             its last samples are kept; the inventory comes back at the next poll.",
            crate::shown::Shown(name),
            device.id,
            set_aside.reason
        );
        let entry = NewLogEntry {
            received_at: now_ms() as f64 / 1000.0,
            timestamp: None,
            source: LogSource::Event,
            device_id: Some(device.id.clone()),
            source_addr: None,
            severity: Severity::Warning,
            facility: None,
            app_name: Some("vigie".into()),
            hostname: None,
            message: format!(
                "{name}: saved state unreadable ({}); {moved} and rebuilt from the samples",
                set_aside.reason
            ),
            truncated: false,
            fields: Vec::new(),
        };
        if let Err(e) = self.append_logs(vec![entry]) {
            log::warn!("Device {name}: the event of its set-aside state could not be logged: {e}");
        }
    }

    /// Records a poll that failed (the state is decided by [`Store::settle`] after).
    pub fn record_failure(
        &self,
        id: &DeviceId,
        at_secs: i64,
        duration_ms: u64,
        error: String,
    ) -> Result<(), StoreError> {
        let Some(device) = self.polled(id) else { return Ok(()) };
        let changed = device.live.write().expect("live lock").apply_failure(at_secs, duration_ms, error);
        self.touch(&device);
        self.export(&device, id, |d, labels| Some(crate::export::series::failed_poll(d, at_secs * 1000, labels)));
        self.save_state(&device, changed)
    }

    /// Writes a device's `state.json` if it changed or its last write failed.
    pub(super) fn save_state(&self, device: &PolledDevice, changed: bool) -> Result<(), StoreError> {
        let mut disk = device.disk.lock().expect("device disk lock");
        if disk.removed || !(changed || disk.state_dirty) {
            return Ok(());
        }
        let written = write_state(&device.live, &mut disk);
        self.health.note(&written);
        written
    }

    /// Writes every device's state (status with its last poll) to disk; called at shutdown.
    /// Rollup buckets not yet on disk need nothing: the next start rebuilds them from the raw
    /// samples.
    /// The state history of each device ends with `unknown` now: the time Vigie is stopped is
    /// left out of availability.
    /// The states are written together ([`replace::write_atomic_all`]: their fsyncs wait at once,
    /// not in turn); a device whose write fails does not keep the others from theirs, and the
    /// first failure is the answer.
    pub fn flush(&self) -> Result<(), StoreError> {
        let devices: Vec<Arc<PolledDevice>> = self.polled.read().expect("devices lock").values().cloned().collect();
        let stopped = Transition { at: super::now_secs(), state: DeviceState::Unknown };
        let histories: Vec<Result<(), StoreError>> = devices.iter().map(|d| self.append_history(d, stopped)).collect();
        let (mut kept, mut states) = (Vec::new(), Vec::new());
        for device in &devices {
            let disk = device.disk.lock().expect("device disk lock");
            if !disk.removed {
                kept.push(device);
                states.push((disk.dir.join("state.json"), state_bytes(&device.live)));
            }
        }
        let written = replace::write_atomic_all(&states);
        let saved = kept.into_iter().zip(&states).zip(written).map(|((device, (path, _)), written)| {
            let written = written.map_err(io_error(path));
            device.disk.lock().expect("device disk lock").state_dirty = written.is_err();
            self.health.note(&written);
            written
        });
        saved.collect::<Vec<_>>().into_iter().chain(histories).collect()
    }

    /// The readings the poller compares its next poll with.
    pub fn latest(&self, id: &DeviceId) -> Option<DeviceLive> {
        Some(self.polled(id)?.live.read().expect("live lock").clone())
    }
}

/// Writes `state.json` from `live`; remembers a failure so that the next poll writes it again.
pub(super) fn write_state(live: &RwLock<DeviceLive>, disk: &mut DeviceDisk) -> Result<(), StoreError> {
    let path = disk.dir.join("state.json");
    let written = replace::write_atomic(&path, &state_bytes(live)).map_err(io_error(&path));
    disk.state_dirty = written.is_err();
    written
}

/// What `state.json` holds for `live`.
fn state_bytes(live: &RwLock<DeviceLive>) -> Vec<u8> {
    serde_json::to_vec_pretty(&live.read().expect("live lock").to_state()).expect("state serializes")
}

/// A `state.json`: `Ok(None)` when missing, the parse error's text when unreadable.
fn read_state(path: &Path) -> Result<Result<Option<StateFile>, String>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).map(Some).map_err(|e| e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ok(None)),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Renames an unreadable `state.json` to `state.json.corrupt-<now>`, for whoever wants to look.
fn set_aside(path: &Path, reason: String, now: i64) -> SetAside {
    let target = path.with_file_name(format!("state.json.corrupt-{now}"));
    match std::fs::rename(path, &target) {
        Ok(()) => SetAside { reason, moved_to: Some(target) },
        Err(e) => {
            log::warn!("cannot rename {} to {}: {e}", path.display(), target.display());
            SetAside { reason, moved_to: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::logs::LogFilter;
    use super::super::{InterfaceReading, PollRecord, Retention};
    use super::*;
    use crate::device::{DeviceConfig, DeviceState};
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};

    fn retention() -> Retention {
        let day = 86_400;
        Retention {
            raw_secs: day,
            five_minute_secs: 2 * day,
            hourly_secs: 30 * day,
            logs_secs: day,
            logs_max_bytes: 1 << 20,
        }
    }

    fn config() -> DeviceConfig {
        DeviceConfig::v2c("sw1", "127.0.0.1", 1161, "public")
    }

    /// A poll of interfaces 1 and 2 at `at` (their inventory with it when `walked`).
    fn record(at: i64, walked: bool) -> PollRecord {
        let info = InterfaceInfo::ethernet;
        let reading = |i: u32| {
            InterfaceReading::traffic(CounterRow::octets(i, at as u64, 0, CounterBits::Bits64), Some(8.0), None)
        };
        PollRecord {
            at_ms: at * 1000,
            duration_ms: 1,
            uptime_ticks: 100,
            system: None,
            inventory: walked.then(|| vec![info(1), info(2)]),
            interfaces: vec![reading(1), reading(2)],
            agent_addr: None,
        }
    }

    #[test]
    fn a_corrupt_state_json_is_set_aside_and_rebuilt_from_the_samples() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), retention()).unwrap();
        let id = store.add_device(config()).unwrap().id;
        let now = super::super::now_secs();
        for (k, at) in [now - 120, now - 60].into_iter().enumerate() {
            store.record_poll(&id, record(at, k == 0)).unwrap();
        }
        drop(store);
        let state = dir.path().join("devices").join(&id.0).join("state.json");
        let text = std::fs::read_to_string(&state).unwrap();
        std::fs::write(&state, &text[..text.len() / 2]).unwrap(); // torn by a crash of something else

        let store = Store::open(dir.path(), retention()).expect("a corrupt state.json does not stop the start");
        let snapshot = store.device(&id.0).unwrap();
        assert_eq!(snapshot.live.status.state, DeviceState::Unknown);
        assert_eq!(snapshot.live.interfaces.keys().copied().collect::<Vec<_>>(), [1, 2]);
        let latest = snapshot.live.interfaces[&1].latest.as_ref().expect("the last sample is restored");
        assert_eq!(latest.reading.counters.in_octets, (now - 60) as u64);
        assert_eq!(store.counters(&id.0, 2, now - 600, now).unwrap().len(), 2, "the samples are served");
        let set_aside: Vec<String> = std::fs::read_dir(state.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("state.json.corrupt-"))
            .collect();
        assert_eq!(set_aside.len(), 1, "set aside for whoever wants to look");
        let events = store.logs(&LogFilter::default(), 10, std::time::Duration::from_secs(30)).unwrap().entries;
        assert!(
            events.iter().any(|e| e.entry.device_id.as_ref() == Some(&id)
                && e.entry.source == LogSource::Event
                && e.entry.message.contains("saved state unreadable")),
            "{events:?}"
        );

        // The next poll walks the inventory again and state.json is written whole.
        store.record_poll(&id, record(now, true)).unwrap();
        drop(store);
        let store = Store::open(dir.path(), retention()).unwrap();
        assert_eq!(store.device(&id.0).unwrap().live.interfaces[&1].info.if_name(), "eth1");
    }

    #[test]
    fn a_failing_disk_leaves_live_state_current_counts_the_failures_and_recovers_by_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), retention()).unwrap();
        let id = store.add_device(config()).unwrap().id;
        let now = super::super::now_secs();
        store.record_poll(&id, record(now - 180, true)).unwrap();
        // A file where the samples directory should be: every append fails, like a full disk.
        let samples = dir.path().join("devices").join(&id.0).join("samples");
        std::fs::remove_dir_all(&samples).unwrap();
        std::fs::write(&samples, b"in the way").unwrap();
        store.appender.forget_below(dir.path());
        assert!(store.record_poll(&id, record(now - 120, false)).is_err());
        let live = store.latest(&id).unwrap();
        assert_eq!(live.status.last_poll_at, Some(now - 120), "live state goes on");
        assert_eq!(store.storage_status().write_errors, 1);

        std::fs::remove_file(&samples).unwrap();
        store.record_poll(&id, record(now - 60, false)).unwrap();
        assert_eq!(store.storage_status().write_errors, 1);
        let served: Vec<f64> = store.counters(&id.0, 1, now - 600, now).unwrap().iter().map(|p| p.timestamp).collect();
        assert_eq!(served, [(now - 60) as f64], "the failed sample is lost, counted; the next is written");
    }
}
