//! A device's slot: its entries in the store (live state, files), reached without looking its
//! id up. The pollers' store writer records every poll; by id that was a hash of the id in the
//! map of entries and a search of the registry's ordered map (string comparisons) per poll. A
//! poller takes its device's slot once, when it starts, and its writes go through it.
//!
//! Kept current cheaply: a device removed has its entries marked (see
//! [`PolledDevice::remove_files`]), and a write through its slot then does nothing, as a write by
//! id finds nothing; what deciding the state reads of the config (parent, echo interval) is kept
//! with the entries and read again only when the registry changed (its generation moved).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::polls::PolledDevice;
use super::status::DecideInputs;
use super::Store;
use crate::device::{Device, DeviceId};

/// A device's entries in the store, taken by [`Store::slot`].
#[derive(Clone)]
pub struct DeviceSlot {
    pub(super) id: DeviceId,
    pub(super) polled: Arc<PolledDevice>,
}

impl DeviceSlot {
    pub fn id(&self) -> &DeviceId {
        &self.id
    }

    /// The device was removed (a write through the slot does nothing).
    pub(super) fn removed(&self) -> bool {
        self.polled.removed.load(Ordering::Acquire)
    }
}

/// What deciding a device's state reads of its config, as of a generation of the registry.
#[derive(Default)]
pub(super) struct KeptConfig {
    /// The registry's generation it was read at; `None` before the first read.
    generation: Option<u64>,
    parent_id: Option<DeviceId>,
    ping_interval_secs: u32,
}

impl Store {
    /// The device's slot, for writes that reach its entries directly; None for an unknown
    /// device (memory only).
    pub fn slot(&self, id: &DeviceId) -> Option<DeviceSlot> {
        Some(DeviceSlot { id: id.clone(), polled: self.polled(id)? })
    }

    /// [`Store::decide_inputs`] through the slot: the config read again only if the registry
    /// changed since; None for a device no longer in it.
    pub(super) fn slot_inputs(&self, slot: &DeviceSlot) -> Option<DecideInputs> {
        let generation = self.registry.generation();
        let mut kept = slot.polled.config.lock().unwrap_or_else(|e| e.into_inner());
        if kept.generation != Some(generation) {
            let read = |d: &Device| (d.config.parent_id.clone(), d.config.ping_interval_secs);
            let (parent_id, ping_interval_secs) = self.registry.with(&slot.id, read)?;
            *kept = KeptConfig { generation: Some(generation), parent_id, ping_interval_secs };
        }
        Some(self.decide_inputs_from(kept.parent_id.as_ref(), kept.ping_interval_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceState};
    use crate::store::{PollRecord, Retention};

    #[test]
    fn a_poll_through_the_slot_of_a_removed_device_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap().id;
        let slot = store.slot(&id).unwrap();
        let now = crate::store::now_secs();
        let (written, changes) = store.record_poll_and_settle_in(&slot, PollRecord::answered_at(now - 20));
        written.unwrap();
        assert_eq!(changes.len(), 1, "unknown to up");
        assert_eq!(store.latest(&id).unwrap().status.state, DeviceState::Up);

        store.remove_device(&id.0).unwrap();
        let device_dir = dir.path().join("devices").join(&id.0);
        assert!(!device_dir.exists());
        let (written, changes) = store.record_poll_and_settle_in(&slot, PollRecord::answered_at(now - 10));
        written.unwrap();
        assert!(changes.is_empty() && !device_dir.exists(), "no files come back, nothing is announced");

        // The same id again (as a sharded poller's list may bring it back): new entries, which
        // the old slot does not reach.
        let again = Device { id: id.clone(), created_at: now, config: DeviceConfig::v2c("r1", "127.0.0.1", 1161, "p") };
        store.sync_devices(vec![again]).unwrap();
        store.record_poll_and_settle_in(&slot, PollRecord::answered_at(now - 5)).0.unwrap();
        assert_eq!(store.latest(&id).unwrap().status.last_poll_at, None, "the old slot's poll is not the new device's");
        store.record_poll_and_settle_in(&store.slot(&id).unwrap(), PollRecord::answered_at(now)).0.unwrap();
        assert_eq!(store.latest(&id).unwrap().status.last_poll_at, Some(now));
    }

    #[test]
    fn the_config_kept_with_a_slot_follows_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let parent = store.add_device(DeviceConfig::v2c("core", "127.0.0.1", 1161, "public")).unwrap().id;
        let config = DeviceConfig::v2c("edge", "127.0.0.1", 1162, "public");
        let id = store.add_device(config.clone()).unwrap().id;
        let slot = store.slot(&id).unwrap();
        let kept = |store: &Store| {
            store.slot_inputs(&slot).expect("in the registry");
            let kept = slot.polled.config.lock().unwrap();
            (kept.parent_id.clone(), kept.ping_interval_secs)
        };
        assert_eq!(kept(&store), (None, config.ping_interval_secs));

        let changed = DeviceConfig { parent_id: Some(parent.clone()), ping_interval_secs: 0, ..config };
        store.update_device(&id.0, changed).unwrap();
        assert_eq!(kept(&store), (Some(parent.clone()), 0), "read again after the change");

        // The parent removed: the child's config loses it, and the slot sees that.
        store.remove_device(&parent.0).unwrap();
        assert_eq!(kept(&store), (None, 0));
        store.remove_device(&id.0).unwrap();
        assert!(store.slot_inputs(&slot).is_none(), "no longer in the registry");
    }
}
