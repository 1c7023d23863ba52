//! The only code that touches disk. [`Store`] is the front the rest of Vigie calls; behind it:
//!
//! - [`registry`]: the device list, `devices.json` (its calls through the store in [`devices`]);
//! - [`polls`]: each device's polls and live state (`state.json`, samples and rollups through
//!   [`series`]), with one lock per device;
//! - [`logs`]: syslog, traps and Vigie's own events;
//! - [`files`] and [`replace`]: the crash-safe primitives (append-only lines, atomic replace); [`health`]:
//!   the writes that failed.
//!
//! ```text
//! <data-dir>/devices.json                    device configs (communities included; mode 0600)
//! <data-dir>/alert-channels.json             notification channels with their secrets (0600; see channels_file)
//! <data-dir>/notify/outbox/<id>.json         each pending notification delivery (see outbox)
//! <data-dir>/auth.json                       users and API tokens, hashed (mode 0600; see auth_file)
//! <data-dir>/devices/<id>/state.json         status, system group, interface inventory
//! <data-dir>/devices/<id>/samples/…          raw polls (see series)
//! <data-dir>/devices/<id>/rollup/…           5-minute and hourly rollups (see series)
//! <data-dir>/logs/<date>.jsonl               device logs (see logs)
//! ```
//!
//! Every method may do disk I/O unless it says it reads memory only: call them from blocking
//! threads (`spawn_blocking`, `web::block`), never from an async task.

pub mod alerts_file;
pub mod auth_file;
pub mod channels_file;
mod devices;
pub mod export;
mod files;
#[cfg(test)]
pub(crate) mod footprint;
#[cfg(test)]
mod footprint_kept;
#[cfg(test)]
mod footprint_query;
#[cfg(test)]
mod footprint_seal;
#[cfg(test)]
mod footprint_tsdb;
mod health;
mod interface_list;
mod kept_files;
mod latency;
mod line_reader;
mod live;
pub mod logs;
mod open_buckets;
pub mod outbox;
mod packed_line;
mod poll_delta;
mod poll_line;
mod poll_write;
mod polls;
pub mod query;
mod rate;
mod records;
mod registry;
mod replace;
mod resolution;
mod retention;
mod rollup_line;
mod rollup_pick;
pub mod seal;
pub(crate) mod segments;
pub mod series;
mod series_read;
mod slot;
pub mod snmp_engine;
pub mod state_history;
mod status;
mod sync;
mod tiers;
mod totals_line;
pub mod trap_users;

pub use latency::{Latency, LatencyLine, LatencyPoint};
pub use status::StateChange;
pub use sync::{device_from_feed, feed_record, DeviceSync, Reported};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub use health::StorageStatus;
pub use kept_files::DEFAULT_MAX_OPEN as DEFAULT_MAX_OPEN_KEPT_FILES;

pub use interface_list::InterfaceList;
pub use live::{DeviceLive, DeviceSummary, DeviceTotals, InterfaceLive, InterfaceReading, LatestSample, PollRecord};
pub use rate::Rate;
pub use slot::DeviceSlot;

/// What changed, pushed to whoever listens (the API's event stream): every poll's rates, and
/// every change of a device's status.
#[derive(Clone, Debug)]
pub enum StoreEvent {
    Sample {
        device_id: DeviceId,
        timestamp: i64,
        rates: Vec<(u32, Option<f64>, Option<f64>)>,
        /// The device's row after this poll.
        totals: DeviceTotals,
    },
    Status {
        device_id: DeviceId,
        status: crate::device::DeviceStatus,
    },
    Log(logs::LogEntry),
    /// A round of echo requests to a device ended (alerting's `ping` rules read it).
    Echo {
        device_id: DeviceId,
        echo: crate::device::EchoStatus,
    },
    /// An incident opened, changed or resolved (alerting publishes it for the event stream).
    Alert(Box<crate::alerts::incident::Incident>),
    /// A device was added, changed or removed (the sharded pollers' change stream).
    Devices,
}

/// Events kept for a listener that falls behind; past that it skips ahead.
const EVENTS_BUFFER: usize = 4096;
pub use series::Retention;

use crate::device::{Device, DeviceId};
use files::Appender;
use health::StorageHealth;
use polls::PolledDevice;
use registry::Registry;
use series::{SeriesDir, Tier};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no device with id {id}")]
    DeviceNotFound { id: String },
    #[error("device {id} has no interface with ifIndex {if_index}")]
    InterfaceNotFound { id: DeviceId, if_index: u32 },
    #[error("host: {host} port {port} is already watched by device {existing}")]
    DuplicateDevice { host: String, port: u16, existing: DeviceId },
    #[error("user: an SNMPv3 trap user named '{user}' already exists")]
    DuplicateTrapUser { user: String },
    #[error("no SNMPv3 trap user named '{user}' was added through the API")]
    TrapUserNotFound { user: String },
    #[error("parentId: no device with id {parent}")]
    ParentNotFound { parent: DeviceId },
    #[error("parentId: {parent} is {id} or behind it (a loop)")]
    ParentCycle { id: DeviceId, parent: DeviceId },
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
    tiers: [Tier; tiers::TIERS],
    appender: Appender,
    registry: Registry,
    /// Each device's live state and files; the map's lock is held for memory only.
    polled: RwLock<HashMap<DeviceId, Arc<PolledDevice>>>,
    events: tokio::sync::broadcast::Sender<StoreEvent>,
    logs: logs::LogStore,
    health: StorageHealth,
    /// Why no device is pinged, when ICMP cannot be used at all.
    icmp_unavailable: RwLock<Option<String>>,
    /// Each device's latency rollup buckets still filling (see `latency`).
    latency_open: std::sync::Mutex<HashMap<DeviceId, latency::OpenLatency>>,
    /// Counts every change the API shows (a poll, a state, a device added, changed or removed,
    /// an incident): the ETags of the lists (see `api::etag`).
    changes: AtomicU64,
    /// Where accepted polls and echo rounds go for remote-write, when it is on.
    export: std::sync::OnceLock<Arc<crate::export::Handoff>>,
    /// The cutoffs of the last pass of retention over the devices' files (see `retention`).
    last_retention_pass: retention::LastPass,
}

/// A device with what Vigie currently knows of it.
#[derive(Clone, Debug)]
pub struct DeviceSnapshot {
    pub device: Device,
    pub live: DeviceLive,
}

/// A device with what a list shows of it (its interfaces summed, not copied).
#[derive(Clone, Debug)]
pub struct ListedDevice {
    pub device: Device,
    pub summary: DeviceSummary,
}

impl ListedDevice {
    fn of(device: &Device, live: &DeviceLive) -> ListedDevice {
        ListedDevice { device: device.clone(), summary: live.summary() }
    }
}

impl Store {
    /// Opens (or creates) the store in `dir` and loads what it holds. An unreadable
    /// `devices.json` is an error (naming the file, line and reason) and is left as it is; an
    /// unreadable `state.json` is set aside and rebuilt.
    pub fn open(dir: &Path, retention: Retention) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir.join("devices")).map_err(io_error(dir))?;
        let registry = Registry::load(&dir.join("devices.json"))?;
        replace::remove_stale_temps(dir);
        let store = Store {
            dir: dir.to_path_buf(),
            retention,
            tiers: retention.tiers(),
            appender: Appender::default(),
            registry,
            polled: RwLock::new(HashMap::new()),
            events: tokio::sync::broadcast::channel(EVENTS_BUFFER).0,
            logs: logs::LogStore::open(
                &dir.join("logs"),
                logs::LogRetention { max_age_secs: retention.logs_secs, max_total_bytes: retention.logs_max_bytes },
            )
            .map_err(io_error(&dir.join("logs")))?,
            health: StorageHealth::default(),
            icmp_unavailable: RwLock::new(None),
            latency_open: std::sync::Mutex::new(HashMap::new()),
            // Counting from the start time: tags handed out before a restart never match after it.
            changes: AtomicU64::new(now_ms().max(0) as u64),
            export: std::sync::OnceLock::new(),
            last_retention_pass: retention::LastPass::default(),
        };
        let now = now_secs();
        for device in store.registry.list() {
            let polled = store.load_device(&device, now)?;
            store.polled.write().expect("devices lock").insert(device.id.clone(), Arc::new(polled));
        }
        Ok(store)
    }

    fn device_dir(&self, id: &DeviceId) -> PathBuf {
        self.dir.join("devices").join(&id.0)
    }

    fn series(&self, id: &DeviceId) -> SeriesDir {
        SeriesDir::new(&self.device_dir(id))
    }

    fn polled(&self, id: &DeviceId) -> Option<Arc<PolledDevice>> {
        self.polled.read().expect("devices lock").get(id).cloned()
    }

    fn live_of(&self, id: &DeviceId) -> DeviceLive {
        self.polled(id).map(|p| p.live.read().expect("live lock").clone()).unwrap_or_default()
    }

    /// Counts a change of the fleet (memory only).
    fn bump(&self) -> u64 {
        self.changes.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a change of one device, and stamps it with the count.
    fn touch(&self, polled: &PolledDevice) {
        polled.version.store(self.bump(), Ordering::Relaxed);
    }

    /// Changes counted since start: any change to what the device list, a device or the
    /// summary shows moves it (memory only).
    pub fn fleet_version(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// The change count when this device (its config, status or readings) last changed; None for
    /// an unknown device (memory only).
    pub fn device_version(&self, id: &DeviceId) -> Option<u64> {
        self.polled(id).map(|p| p.version.load(Ordering::Relaxed))
    }

    fn publish(&self, event: StoreEvent) {
        // No listener is not an error.
        let _ = self.events.send(event);
    }

    /// Tells listeners (the event stream) that an incident opened, changed or resolved.
    pub fn publish_alert(&self, incident: crate::alerts::incident::Incident) {
        self.bump();
        self.publish(StoreEvent::Alert(Box::new(incident)));
    }

    /// Hands every poll, failed poll and echo round accepted from now on to remote-write.
    pub fn export_to(&self, handoff: Arc<crate::export::Handoff>) {
        let _ = self.export.set(handoff);
    }

    /// Passes what was accepted for `id` to remote-write, when it is on (memory only; never
    /// waits): built from the device in place, with the label sets `polled` keeps across polls.
    fn export(
        &self,
        polled: &PolledDevice,
        id: &DeviceId,
        build: impl FnOnce(&Device, &crate::export::LabelCache) -> Option<crate::export::series::Accepted>,
    ) {
        if let Some(handoff) = self.export.get() {
            if let Some(Some(accepted)) = self.registry.with(id, |device| build(device, &polled.export_labels)) {
                handoff.offer(accepted);
            }
        }
    }

    /// Listens to what changes from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    /// How many listen (samples are built only when some do).
    pub fn listeners(&self) -> usize {
        self.events.receiver_count()
    }

    /// Appends log entries and pushes them to listeners.
    pub fn append_logs(&self, batch: Vec<logs::NewLogEntry>) -> Result<(), StoreError> {
        let dir = self.dir.join("logs");
        let appended = self.logs.append(batch).map_err(io_error(&dir));
        self.health.note(&appended);
        for entry in appended? {
            self.publish(StoreEvent::Log(entry));
        }
        Ok(())
    }

    /// Log entries matching `filter`, newest first, within a time budget (blocking: call it on a
    /// blocking thread).
    pub fn logs(
        &self,
        filter: &logs::LogFilter,
        limit: usize,
        budget: std::time::Duration,
    ) -> Result<logs::LogPage, StoreError> {
        self.logs.query(filter, limit, budget).map_err(io_error(&self.dir.join("logs")))
    }

    /// The log's entries in memory.
    pub fn log_memory(&self) -> logs::RecentUsage {
        self.logs.recent_usage()
    }

    /// Sets the bytes of log entries kept in memory.
    pub fn set_log_memory_bytes(&self, max_bytes: usize) {
        self.logs.set_recent_max_bytes(max_bytes);
    }

    /// The device a message from `addr` belongs to: its host is that address, or resolved to it.
    /// Memory only.
    pub fn device_for_addr(&self, addr: std::net::IpAddr) -> Option<DeviceId> {
        let addr = canonical(addr);
        let matches = self.visit_devices(|d, live| {
            let hit = d.config.host.parse::<std::net::IpAddr>().ok().map(canonical) == Some(addr)
                || live.address.map(canonical) == Some(addr);
            hit.then(|| d.id.clone())
        });
        matches.into_iter().flatten().next()
    }

    /// The ifName (else ifDescr) of one interface. Memory only.
    pub fn interface_name(&self, id: &DeviceId, if_index: u32) -> Option<String> {
        let polled = self.polled(id)?;
        let live = polled.live.read().expect("live lock");
        let info = &live.interfaces.get(&if_index)?.info;
        Some(info.display_name().to_string())
    }

    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    /// Writes that failed since start, and the samples and latency files kept open, for
    /// `/status`. Memory only.
    pub fn storage_status(&self) -> StorageStatus {
        let (kept, latency) = (&self.appender.kept, &self.appender.latency);
        StorageStatus {
            samples_files_open: kept.open_count() as u64,
            samples_files_max_open: kept.max_open() as u64,
            samples_files_reopened: kept.reopened(),
            latency_files_open: latency.open_count() as u64,
            latency_files_max_open: latency.max_open() as u64,
            latency_files_reopened: latency.reopened(),
            ..self.health.status()
        }
    }

    /// Sets how many samples files are kept open between appends (see `kept_files`).
    pub fn set_max_open_samples_files(&self, max_open: usize) {
        self.appender.kept.set_max_open(max_open);
    }

    /// Sets how many raw latency files are kept open between echo rounds (see `kept_files`).
    pub fn set_max_open_latency_files(&self, max_open: usize) {
        self.appender.latency.set_max_open(max_open);
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

pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
