//! A sharded poller's device list: made exactly what its primary hands it (ids kept, so that
//! its series carry the primary's ids), its data kept for the devices that stay; and the feed's
//! shape, the one place where the store's device records (credentials included) leave it: the
//! primary's poller feed, to a `poller` token only.

use std::sync::Arc;

use super::polls::PolledDevice;
use super::series::OpenBuckets;
use super::{DeviceLive, Store, StoreError, StoreEvent};
use crate::device::{Device, DeviceId};

/// What changed: the pollers to (re)start and to stop.
#[derive(Debug, Default)]
pub struct DeviceSync {
    /// Added, or with changed settings.
    pub started: Vec<Device>,
    pub stopped: Vec<DeviceId>,
}

impl Store {
    /// Replaces the device list with `devices`; a parent outside the list is dropped (the
    /// poller judges "behind its parent" within its shard only). The devices removed lose their
    /// files.
    pub fn sync_devices(&self, mut devices: Vec<Device>) -> Result<DeviceSync, StoreError> {
        let ids: std::collections::HashSet<DeviceId> = devices.iter().map(|d| d.id.clone()).collect();
        for device in &mut devices {
            if device.config.parent_id.as_ref().is_some_and(|p| !ids.contains(p)) {
                device.config.parent_id = None;
            }
        }
        let replaced = self.registry.replace_all(devices);
        self.health.note(&replaced);
        let (started, removed) = replaced?;
        let mut polled = self.polled.write().expect("devices lock");
        for device in &started {
            match polled.get(&device.id) {
                Some(entry) => self.touch(entry),
                None => {
                    let buckets = OpenBuckets::new(OpenBuckets::delay_for(&device.id.0));
                    let entry = PolledDevice::new(self.device_dir(&device.id), DeviceLive::new(), buckets);
                    self.touch(&entry);
                    polled.insert(device.id.clone(), Arc::new(entry));
                }
            }
        }
        let mut gone = Vec::new();
        for device in &removed {
            if let Some(entry) = polled.remove(&device.id) {
                gone.push((entry, device.config.name.clone()));
            }
        }
        drop(polled);
        for (entry, name) in gone {
            entry.remove_files(&self.appender, &name);
        }
        if !started.is_empty() || !removed.is_empty() {
            self.bump();
            self.publish(StoreEvent::Devices);
        }
        Ok(DeviceSync { started, stopped: removed.into_iter().map(|d| d.id).collect() })
    }
}

/// A device's state as a sharded poller reported it, for the primary.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub state: crate::device::DeviceState,
    pub since: Option<i64>,
    pub reason: Option<String>,
    pub last_poll_at: Option<i64>,
}

impl Store {
    /// On a primary: takes a device's state from the poller that reported it last; published,
    /// saved and kept in the state history as a state decided here would be. None for an unknown
    /// device; the change when the state changed.
    pub fn record_reported(&self, id: &DeviceId, reported: Reported) -> Option<Option<super::StateChange>> {
        let (device, polled) = (self.registry.get(id)?, self.polled(id)?);
        let (before, status) = {
            let mut live = polled.live.write().expect("live lock");
            let status = &mut live.status;
            let before = status.state;
            let same = (status.state, &status.reason, status.since, status.last_poll_at)
                == (reported.state, &reported.reason, reported.since, reported.last_poll_at);
            if same {
                return Some(None);
            }
            status.state = reported.state;
            status.since = reported.since;
            status.reason = reported.reason;
            status.last_poll_at = reported.last_poll_at;
            (before, status.clone())
        };
        let at = status.since.unwrap_or_else(super::now_secs);
        let _ = self.append_history(&polled, super::state_history::Transition { at, state: status.state });
        self.touch(&polled);
        let _ = self.save_state(&polled, true);
        self.publish(StoreEvent::Status { device_id: id.clone(), status: status.clone() });
        Some((before != status.state).then_some(super::StateChange { device, before, status }))
    }
}

impl Store {
    /// On a primary: a device's echo round as a sharded poller reported it. Kept as the device's
    /// last round (its page shows it), its latency stored and published for the ping alert rules,
    /// as a round of this Vigie's own would be; the state stays the one the poller reported (it
    /// is not decided again here). False for an unknown device, a round that sent nothing, or one
    /// not newer than the round held (the other member of an HA pair reported a later one, or the
    /// same round came again).
    pub fn record_reported_echo(&self, id: &DeviceId, echo: crate::device::EchoStatus) -> bool {
        let Some(polled) = self.polled(id) else { return false };
        if echo.sent == 0 {
            return false;
        }
        {
            let mut live = polled.live.write().expect("live lock");
            if live.status.echo.as_ref().is_some_and(|held| held.at >= echo.at) {
                return false;
            }
            live.status.echo = Some(echo.clone());
        }
        self.keep_echo(&polled, id, &echo);
        self.touch(&polled);
        true
    }
}

/// A device as the poller feed hands it: the import's shape (`snmp` with its secrets), plus
/// `id` and `createdAt`.
pub fn feed_record(device: &Device) -> serde_json::Value {
    serde_json::to_value(super::records::DeviceRecord::from(device)).expect("device records serialize")
}

/// A device of the feed, validated as the API validates a new one.
pub fn device_from_feed(value: serde_json::Value) -> Result<Device, String> {
    let record: super::records::DeviceRecord = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let device = Device::from(record);
    device.config.validate().map_err(|e| format!("device {}: {e}", device.id))?;
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceState};

    fn device(id: &str, port: u16) -> Device {
        Device { id: DeviceId(id.into()), created_at: 1, config: DeviceConfig::v2c(id, "127.0.0.1", port, "public") }
    }

    #[test]
    fn syncing_starts_the_new_and_changed_and_stops_the_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::store::Retention::default()).unwrap();
        let first = store.sync_devices(vec![device("0000000a", 1601), device("0000000b", 1602)]).unwrap();
        assert_eq!(first.started.len(), 2);
        assert!(first.stopped.is_empty());
        assert_eq!(store.device("0000000a").unwrap().device.id.0, "0000000a", "the primary's ids are kept");

        let mut changed = device("0000000b", 1602);
        changed.config.poll_interval_secs = 5;
        changed.config.parent_id = Some(DeviceId("0000ffff".into()));
        let second = store.sync_devices(vec![changed, device("0000000c", 1603)]).unwrap();
        let started: Vec<&str> = second.started.iter().map(|d| d.id.0.as_str()).collect();
        assert_eq!(started, ["0000000b", "0000000c"]);
        assert_eq!(second.stopped, [DeviceId("0000000a".into())]);
        assert!(store.device("0000000a").is_err());
        assert_eq!(store.device("0000000b").unwrap().device.config.parent_id, None, "parent outside the shard");

        let same = store.sync_devices(store.device_list()).unwrap();
        assert!(same.started.is_empty() && same.stopped.is_empty());
    }

    #[test]
    fn feed_records_carry_the_credentials_and_read_back() {
        let mut one = device("0000000a", 1601);
        one.config.credentials = crate::snmp::Credentials::V2c { community: "s3cret".into() };
        let value = feed_record(&one);
        assert_eq!(value["snmp"]["community"], "s3cret");
        assert_eq!(value["id"], "0000000a");
        assert_eq!(device_from_feed(value).unwrap(), one);
        let mut bad = feed_record(&one);
        bad["pollIntervalSecs"] = 0.into();
        assert!(device_from_feed(bad).unwrap_err().contains("pollIntervalSecs"));
    }

    #[test]
    fn a_reported_state_is_taken_and_a_repeat_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::store::Retention::default()).unwrap();
        store.sync_devices(vec![device("0000000a", 1601)]).unwrap();
        let id = DeviceId("0000000a".into());
        let up = Reported { state: DeviceState::Up, since: Some(100), reason: None, last_poll_at: Some(105) };
        let change = store.record_reported(&id, up.clone()).unwrap().unwrap();
        assert_eq!((change.before, change.status.state), (DeviceState::Unknown, DeviceState::Up));
        assert_eq!(store.device("0000000a").unwrap().live.status.state, DeviceState::Up);
        assert!(store.record_reported(&id, up).unwrap().is_none(), "the same report again");
        assert!(store
            .record_reported(
                &DeviceId("0000000b".into()),
                Reported { state: DeviceState::Up, since: None, reason: None, last_poll_at: None }
            )
            .is_none());
    }

    #[test]
    fn a_reported_echo_round_is_kept_published_and_stored_without_deciding_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::store::Retention::default()).unwrap();
        store.sync_devices(vec![device("0000000a", 1601)]).unwrap();
        let id = DeviceId("0000000a".into());
        let mut events = store.subscribe();
        let now = crate::store::now_secs();
        let round = |at: i64, received: u16| crate::device::EchoStatus {
            at,
            sent: 3,
            received,
            rtt_min_ms: Some(0.1),
            rtt_avg_ms: Some(0.25),
            rtt_max_ms: Some(0.5),
            error: None,
        };
        assert!(store.record_reported_echo(&id, round(now - 60, 3)));
        let live = store.device("0000000a").unwrap().live;
        assert_eq!(live.status.echo, Some(round(now - 60, 3)), "the device page shows the round");
        assert_eq!(live.status.state, DeviceState::Unknown, "the state is the poller's to report");
        match events.try_recv() {
            Ok(StoreEvent::Echo { device_id, echo }) => assert_eq!((device_id, echo), (id.clone(), round(now - 60, 3))),
            other => panic!("the ping rules hear of the round: {other:?}"),
        }
        assert!(!store.record_reported_echo(&id, round(now - 60, 3)), "the same round again");
        assert!(!store.record_reported_echo(&id, round(now - 90, 0)), "an older round (the pair's other member)");
        assert!(!store.record_reported_echo(&DeviceId("0000000b".into()), round(now, 3)), "an unknown device");
        assert!(store.record_reported_echo(&id, round(now - 30, 0)));
        assert!(events.try_recv().is_ok() && events.try_recv().is_err(), "one event per round taken");
        let latency = store.latency("0000000a", now - 120, now, 10).unwrap();
        let answered: Vec<Option<f64>> =
            latency.points.iter().map(|p| p.loss_percent).filter(|l| l.is_some()).collect();
        assert!(!answered.is_empty(), "the latency is stored: {:?}", latency.points);
    }
}
