//! The only code that touches disk. Owns the device list (`devices.json`), each device's state
//! and time series (see [`series`]), and the live view the API reads. Writes are atomic or
//! append-only; see [`files`].
//!
//! ```text
//! <data-dir>/devices.json                    device configs (communities included; mode 0600)
//! <data-dir>/devices/<id>/state.json         status, system group, interface inventory
//! <data-dir>/devices/<id>/samples/…          raw polls (see series)
//! <data-dir>/devices/<id>/rollup/…           5-minute and hourly rollups (see series)
//! ```

mod files;
mod live;
pub mod logs;
mod poll_line;
pub mod query;
mod records;
mod rollup_line;
mod segments;
pub mod series;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

pub use live::{DeviceLive, InterfaceLive, InterfaceReading, LatestSample, PollRecord};

/// What changed, pushed to whoever listens (the API's event stream): every poll's rates, and
/// every change of a device's status.
#[derive(Clone, Debug)]
pub enum StoreEvent {
    Sample { device_id: DeviceId, timestamp: i64, rates: Vec<(u32, Option<f64>, Option<f64>)> },
    Status { device_id: DeviceId, status: crate::device::DeviceStatus },
    Log(logs::LogEntry),
}

/// Events kept for a listener that falls behind; past that it skips ahead.
const EVENTS_BUFFER: usize = 4096;
pub use series::Retention;

use crate::device::{Device, DeviceConfig, DeviceId};
use files::Appender;
use records::{DeviceRecord, DevicesFile, StateFile, FORMAT_VERSION};
use series::{OpenBuckets, SeriesDir, Tier};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no device with id {id}")]
    DeviceNotFound { id: String },
    #[error("device {id} has no interface with ifIndex {if_index}")]
    InterfaceNotFound { id: DeviceId, if_index: u32 },
    #[error("host: {host} port {port} is already watched by device {existing}")]
    DuplicateDevice { host: String, port: u16, existing: DeviceId },
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid Vigie file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

pub struct Store {
    dir: PathBuf,
    retention: Retention,
    tiers: [Tier; 2],
    appender: Appender,
    devices: Mutex<BTreeMap<DeviceId, Device>>,
    live: RwLock<HashMap<DeviceId, DeviceLive>>,
    buckets: Mutex<HashMap<DeviceId, OpenBuckets>>,
    events: tokio::sync::broadcast::Sender<StoreEvent>,
    logs: logs::LogStore,
}

/// A device with what Vigie currently knows of it.
#[derive(Clone, Debug)]
pub struct DeviceSnapshot {
    pub device: Device,
    pub live: DeviceLive,
}

impl Store {
    /// Opens (or creates) the store in `dir` and loads what it holds.
    pub fn open(dir: &Path, retention: Retention) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir.join("devices")).map_err(io_error(dir))?;
        let store = Store {
            dir: dir.to_path_buf(),
            retention,
            tiers: retention.tiers(),
            appender: Appender::default(),
            devices: Mutex::new(BTreeMap::new()),
            live: RwLock::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            events: tokio::sync::broadcast::channel(EVENTS_BUFFER).0,
            logs: logs::LogStore::open(
                &dir.join("logs"),
                logs::LogRetention { max_age_secs: retention.logs_secs, max_total_bytes: retention.logs_max_bytes },
            )
            .map_err(io_error(&dir.join("logs")))?,
        };
        let now = now_secs();
        for device in store.load_devices()? {
            let live = store.load_live(&device.id)?;
            let series = store.series(&device.id);
            let delay = OpenBuckets::delay_for(&device.id.0);
            let open = series.rebuild_open_buckets(&store.appender, &store.tiers, now, delay).map_err(io_error(dir))?;
            store.buckets.lock().expect("buckets lock").insert(device.id.clone(), open);
            store.live.write().expect("live lock").insert(device.id.clone(), live);
            store.devices.lock().expect("devices lock").insert(device.id.clone(), device);
        }
        Ok(store)
    }

    fn devices_path(&self) -> PathBuf {
        self.dir.join("devices.json")
    }

    fn device_dir(&self, id: &DeviceId) -> PathBuf {
        self.dir.join("devices").join(&id.0)
    }

    fn series(&self, id: &DeviceId) -> SeriesDir {
        SeriesDir::new(&self.device_dir(id))
    }

    fn load_devices(&self) -> Result<Vec<Device>, StoreError> {
        let path = self.devices_path();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let file: DevicesFile = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        if file.version != FORMAT_VERSION {
            return Err(StoreError::Corrupt {
                path,
                reason: format!("format version {} is not {FORMAT_VERSION}", file.version),
            });
        }
        Ok(file.devices.into_iter().map(Device::from).collect())
    }

    fn save_devices(&self, devices: &BTreeMap<DeviceId, Device>) -> Result<(), StoreError> {
        let file = DevicesFile { version: FORMAT_VERSION, devices: devices.values().map(DeviceRecord::from).collect() };
        let bytes = serde_json::to_vec_pretty(&file).expect("devices serialize");
        files::write_atomic(&self.devices_path(), &bytes).map_err(io_error(&self.devices_path()))
    }

    fn load_live(&self, id: &DeviceId) -> Result<DeviceLive, StoreError> {
        let path = self.device_dir(id).join("state.json");
        let mut live = match std::fs::read(&path) {
            Ok(bytes) => {
                let state: StateFile = serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt { path: path.clone(), reason: e.to_string() })?;
                DeviceLive::from_state(state)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DeviceLive::new(),
            Err(e) => return Err(io_error(&path)(e)),
        };
        // The latest counters come from the last poll line, not from state.json (which is not
        // rewritten on every poll).
        let series = self.series(id);
        if let Some(line) = series.newest_poll(now_secs()).map_err(io_error(&series.samples()))? {
            live.restore_latest(&line);
        }
        Ok(live)
    }

    fn save_state(&self, id: &DeviceId, live: &DeviceLive) -> Result<(), StoreError> {
        let path = self.device_dir(id).join("state.json");
        let bytes = serde_json::to_vec_pretty(&live.to_state()).expect("state serializes");
        files::write_atomic(&path, &bytes).map_err(io_error(&path))
    }

    /// All devices, ordered by id.
    pub fn devices(&self) -> Vec<DeviceSnapshot> {
        let devices = self.devices.lock().expect("devices lock").clone();
        let live = self.live.read().expect("live lock");
        devices
            .into_values()
            .map(|device| {
                let live = live.get(&device.id).cloned().unwrap_or_else(DeviceLive::new);
                DeviceSnapshot { device, live }
            })
            .collect()
    }

    /// Visits every device with its live view, ordered by id, without copying them (the API's
    /// device list and summary run this on every request).
    pub fn visit_devices<T>(&self, mut each: impl FnMut(&Device, &DeviceLive) -> T) -> Vec<T> {
        // Lock order everywhere: devices, then live.
        let devices = self.devices.lock().expect("devices lock");
        let live = self.live.read().expect("live lock");
        let unknown = DeviceLive::new();
        devices.values().map(|d| each(d, live.get(&d.id).unwrap_or(&unknown))).collect()
    }

    pub fn device(&self, id: &str) -> Result<DeviceSnapshot, StoreError> {
        let id = parse_id(id)?;
        let device = self.devices.lock().expect("devices lock").get(&id).cloned().ok_or_else(|| not_found(&id))?;
        let live = self.live.read().expect("live lock").get(&id).cloned().unwrap_or_else(DeviceLive::new);
        Ok(DeviceSnapshot { device, live })
    }

    /// Adds a device; nothing changes if it duplicates another's host and port.
    pub fn add_device(&self, config: DeviceConfig) -> Result<Device, StoreError> {
        let mut devices = self.devices.lock().expect("devices lock");
        check_unique(&devices, &config, None)?;
        let mut id = DeviceId::random();
        while devices.contains_key(&id) {
            id = DeviceId::random();
        }
        let device = Device { id: id.clone(), created_at: now_secs(), config };
        devices.insert(id.clone(), device.clone());
        if let Err(e) = self.save_devices(&devices) {
            devices.remove(&id);
            return Err(e);
        }
        drop(devices);
        self.live.write().expect("live lock").insert(id.clone(), DeviceLive::new());
        let open = OpenBuckets::new(OpenBuckets::delay_for(&id.0));
        self.buckets.lock().expect("buckets lock").insert(id, open);
        Ok(device)
    }

    /// Replaces a device's config; nothing changes if it would duplicate another device.
    pub fn update_device(&self, id: &str, config: DeviceConfig) -> Result<Device, StoreError> {
        let id = parse_id(id)?;
        let mut devices = self.devices.lock().expect("devices lock");
        let old = devices.get(&id).cloned().ok_or_else(|| not_found(&id))?;
        check_unique(&devices, &config, Some(&id))?;
        let device = Device { config, ..old.clone() };
        devices.insert(id.clone(), device.clone());
        if let Err(e) = self.save_devices(&devices) {
            devices.insert(id, old);
            return Err(e);
        }
        Ok(device)
    }

    /// Removes a device and all its data.
    pub fn remove_device(&self, id: &str) -> Result<Device, StoreError> {
        let id = parse_id(id)?;
        let mut devices = self.devices.lock().expect("devices lock");
        let old = devices.remove(&id).ok_or_else(|| not_found(&id))?;
        if let Err(e) = self.save_devices(&devices) {
            devices.insert(id, old);
            return Err(e);
        }
        drop(devices);
        self.live.write().expect("live lock").remove(&id);
        let mut buckets = self.buckets.lock().expect("buckets lock");
        buckets.remove(&id);
        let dir = self.device_dir(&id);
        self.appender.forget_below(&dir);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                log::warn!(
                    "device {} removed, but its data at {} could not be deleted: {e}",
                    old.config.name,
                    dir.display()
                );
            }
        }
        drop(buckets);
        Ok(old)
    }

    /// Records a poll that answered: status, inventory, latest counters, samples and rollups.
    pub fn record_poll(&self, id: &DeviceId, record: PollRecord) -> Result<(), StoreError> {
        let line = record.poll_line();
        let (changed, status) = {
            let mut live = self.live.write().expect("live lock");
            let Some(device) = live.get_mut(id) else { return Ok(()) }; // removed meanwhile
            let before = device.status.state;
            let changed = device.apply_poll(record);
            (changed, (device.status.state != before).then(|| device.status.clone()))
        };
        {
            // Under the buckets lock, so a removal in between cannot leave files behind.
            let mut buckets = self.buckets.lock().expect("buckets lock");
            let Some(open) = buckets.get_mut(id) else { return Ok(()) };
            let series = self.series(id);
            series.append_poll(&self.appender, &self.tiers, open, &line).map_err(io_error(&series.samples()))?;
        }
        if changed {
            self.persist_state(id)?;
        }
        // Samples are the bulk of events: built only when someone listens.
        if self.events.receiver_count() > 0 {
            let rates = line.interfaces.iter().map(|s| (s.if_index, s.in_bps, s.out_bps)).collect();
            self.publish(StoreEvent::Sample { device_id: id.clone(), timestamp: line.timestamp.floor() as i64, rates });
        }
        if let Some(status) = status {
            self.publish(StoreEvent::Status { device_id: id.clone(), status });
        }
        Ok(())
    }

    /// Records a poll that failed.
    pub fn record_failure(
        &self,
        id: &DeviceId,
        at_secs: i64,
        duration_ms: u64,
        error: String,
    ) -> Result<(), StoreError> {
        let (changed, status) = {
            let mut live = self.live.write().expect("live lock");
            let Some(device) = live.get_mut(id) else { return Ok(()) };
            (device.apply_failure(at_secs, duration_ms, error), device.status.clone())
        };
        if changed {
            self.persist_state(id)?;
            self.publish(StoreEvent::Status { device_id: id.clone(), status });
        }
        Ok(())
    }

    fn publish(&self, event: StoreEvent) {
        // No listener is not an error.
        let _ = self.events.send(event);
    }

    /// Listens to what changes from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    fn persist_state(&self, id: &DeviceId) -> Result<(), StoreError> {
        let live = self.live.read().expect("live lock").get(id).cloned();
        match live {
            Some(live) if self.devices.lock().expect("devices lock").contains_key(id) => self.save_state(id, &live),
            _ => Ok(()),
        }
    }

    /// Writes every device's state (status with its last poll) to disk; called at shutdown.
    /// Rollup buckets not yet on disk need nothing: the next start rebuilds them from the raw
    /// samples.
    pub fn flush(&self) -> Result<(), StoreError> {
        let ids: Vec<DeviceId> = self.devices.lock().expect("devices lock").keys().cloned().collect();
        ids.iter().try_for_each(|id| self.persist_state(id))
    }

    /// The readings the poller compares its next poll with.
    pub fn latest(&self, id: &DeviceId) -> Option<DeviceLive> {
        self.live.read().expect("live lock").get(id).cloned()
    }

    /// Deletes data past retention; answers the bytes freed.
    pub fn enforce_retention(&self) -> u64 {
        let now = now_secs();
        let ids: Vec<DeviceId> = self.devices.lock().expect("devices lock").keys().cloned().collect();
        let series: u64 = ids.iter().map(|id| self.series(id).enforce_retention(&self.retention, now)).sum();
        series + self.logs.enforce_retention(now)
    }

    /// Appends log entries and pushes them to listeners.
    pub fn append_logs(&self, batch: Vec<logs::NewLogEntry>) -> Result<(), StoreError> {
        let dir = self.dir.join("logs");
        for entry in self.logs.append(batch).map_err(io_error(&dir))? {
            self.publish(StoreEvent::Log(entry));
        }
        Ok(())
    }

    /// Log entries matching `filter`, newest first.
    pub fn logs(&self, filter: &logs::LogFilter, limit: usize) -> Result<Vec<logs::LogEntry>, StoreError> {
        self.logs.query(filter, limit).map_err(io_error(&self.dir.join("logs")))
    }

    /// The device a message from `addr` belongs to: its host is that address, or resolved to it.
    pub fn device_for_addr(&self, addr: std::net::IpAddr) -> Option<DeviceId> {
        let addr = canonical(addr);
        let devices = self.devices.lock().expect("devices lock");
        let live = self.live.read().expect("live lock");
        devices
            .values()
            .find(|d| {
                d.config.host.parse::<std::net::IpAddr>().ok().map(canonical) == Some(addr)
                    || live.get(&d.id).and_then(|l| l.address).map(canonical) == Some(addr)
            })
            .map(|d| d.id.clone())
    }

    /// The ifName (else ifDescr) of one interface.
    pub fn interface_name(&self, id: &DeviceId, if_index: u32) -> Option<String> {
        let live = self.live.read().expect("live lock");
        let info = &live.get(id)?.interfaces.get(&if_index)?.info;
        Some(if info.if_name.is_empty() { info.if_descr.clone() } else { info.if_name.clone() })
    }

    pub fn retention(&self) -> &Retention {
        &self.retention
    }
}

mod traffic;
pub use traffic::{CounterPoint, Traffic};

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) as plain IPv4.
fn canonical(addr: std::net::IpAddr) -> std::net::IpAddr {
    match addr {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, std::net::IpAddr::V4),
        v4 => v4,
    }
}

fn parse_id(text: &str) -> Result<DeviceId, StoreError> {
    DeviceId::parse(text).ok_or_else(|| StoreError::DeviceNotFound { id: text.to_string() })
}

fn not_found(id: &DeviceId) -> StoreError {
    StoreError::DeviceNotFound { id: id.0.clone() }
}

fn check_unique(
    devices: &BTreeMap<DeviceId, Device>,
    config: &DeviceConfig,
    except: Option<&DeviceId>,
) -> Result<(), StoreError> {
    let clash = devices.values().find(|d| {
        Some(&d.id) != except && d.config.port == config.port && d.config.host.eq_ignore_ascii_case(&config.host)
    });
    match clash {
        Some(d) => {
            Err(StoreError::DuplicateDevice { host: config.host.clone(), port: config.port, existing: d.id.clone() })
        }
        None => Ok(()),
    }
}

pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
