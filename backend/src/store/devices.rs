//! The fleet through the store: listing and reading devices with their live state (memory only),
//! and adding, changing and removing them (the registry's file, then each device's files).

use std::sync::Arc;

use super::live::DeviceLive;
use super::polls::PolledDevice;
use super::series::OpenBuckets;
use super::{not_found, parse_id, DeviceSnapshot, ListedDevice, Store, StoreError, StoreEvent};
use crate::device::{Device, DeviceConfig, DeviceId};

impl Store {
    /// All devices as a list shows them, ordered by id (memory only).
    pub fn listed_devices(&self) -> Vec<ListedDevice> {
        self.visit_devices(ListedDevice::of)
    }

    /// One device as a list shows it (memory only).
    pub fn listed_device(&self, id: &str) -> Result<ListedDevice, StoreError> {
        let id = parse_id(id)?;
        self.with_device(&id, ListedDevice::of).ok_or_else(|| not_found(&id))
    }

    /// Visits every device with its live view, ordered by id, without copying them (the API's
    /// device list and summary run this on every request). Memory only.
    pub fn visit_devices<T>(&self, mut each: impl FnMut(&Device, &DeviceLive) -> T) -> Vec<T> {
        // Lock order everywhere: registry, then the device map, then a device's live state.
        let unknown = DeviceLive::new();
        let polled = self.polled.read().expect("devices lock");
        self.registry.visit(|device| match polled.get(&device.id) {
            Some(entry) => each(device, &entry.live.read().expect("live lock")),
            None => each(device, &unknown),
        })
    }

    /// Reads one device and its live view in place, without copying them (the alerting task
    /// does on every poll); `None` for a device that is gone. Memory only.
    pub fn with_device<T>(&self, id: &DeviceId, read: impl FnOnce(&Device, &DeviceLive) -> T) -> Option<T> {
        // Lock order: the registry, then the device's live state (the device map is let go first).
        let polled = self.polled(id);
        self.registry.with(id, |device| match &polled {
            Some(entry) => read(device, &entry.live.read().expect("live lock")),
            None => read(device, &DeviceLive::new()),
        })
    }

    /// Every device's config, ordered by id (memory only).
    pub fn device_list(&self) -> Vec<Device> {
        self.registry.list()
    }

    /// How many devices there are (memory only).
    pub fn device_count(&self) -> usize {
        self.registry.visit(|_| ()).len()
    }

    /// One device's config (memory only).
    pub fn device_config(&self, id: &str) -> Result<Device, StoreError> {
        let id = parse_id(id)?;
        self.registry.get(&id).ok_or_else(|| not_found(&id))
    }

    /// One device with its live state, interfaces included (memory only).
    pub fn device(&self, id: &str) -> Result<DeviceSnapshot, StoreError> {
        let id = parse_id(id)?;
        let device = self.registry.get(&id).ok_or_else(|| not_found(&id))?;
        Ok(DeviceSnapshot { device, live: self.live_of(&id) })
    }

    /// Adds a device; nothing changes if it duplicates another's host and port or cannot be
    /// written.
    pub fn add_device(&self, config: DeviceConfig) -> Result<Device, StoreError> {
        let added = self.registry.add(config);
        self.health.note(&added);
        let device = added?;
        let buckets = OpenBuckets::new(OpenBuckets::delay_for(&device.id.0));
        let polled = PolledDevice::new(self.device_dir(&device.id), DeviceLive::new(), buckets);
        self.touch(&polled);
        self.polled.write().expect("devices lock").insert(device.id.clone(), Arc::new(polled));
        self.publish(StoreEvent::Devices);
        Ok(device)
    }

    /// Adds every device or none (see `Registry::add_all`): the import of a device list.
    pub fn add_devices(&self, configs: Vec<DeviceConfig>) -> Result<Vec<Device>, (Option<usize>, StoreError)> {
        let (refused, added) = match self.registry.add_all(configs) {
            Ok(devices) => (None, Ok(devices)),
            Err((refused, e)) => (refused, Err(e)),
        };
        self.health.note(&added);
        let devices = added.map_err(|e| (refused, e))?;
        let mut polled = self.polled.write().expect("devices lock");
        for device in &devices {
            let buckets = OpenBuckets::new(OpenBuckets::delay_for(&device.id.0));
            polled.insert(
                device.id.clone(),
                Arc::new(PolledDevice::new(self.device_dir(&device.id), DeviceLive::new(), buckets)),
            );
        }
        drop(polled);
        self.publish(StoreEvent::Devices);
        Ok(devices)
    }

    /// Replaces a device's config; nothing changes if it would duplicate another device or
    /// cannot be written.
    pub fn update_device(&self, id: &str, config: DeviceConfig) -> Result<Device, StoreError> {
        let updated = self.registry.update(&parse_id(id)?, config);
        self.health.note(&updated);
        if let Some(polled) = updated.as_ref().ok().and_then(|d| self.polled(&d.id)) {
            self.touch(&polled);
        }
        if updated.is_ok() {
            self.publish(StoreEvent::Devices);
        }
        updated
    }

    /// Removes a device and all its data.
    pub fn remove_device(&self, id: &str) -> Result<Device, StoreError> {
        let removed = self.registry.remove(&parse_id(id)?);
        self.health.note(&removed);
        let old = removed?;
        self.bump();
        self.latency_open.lock().expect("latency lock").remove(&old.id);
        let polled = self.polled.write().expect("devices lock").remove(&old.id);
        if let Some(polled) = polled {
            polled.remove_files(&self.appender, &old.config.name);
        }
        self.publish(StoreEvent::Devices);
        Ok(old)
    }
}
