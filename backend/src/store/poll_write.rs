//! A poll that answered, recorded: the device's live state, its samples line and rollups, its
//! `state.json` when something changed, and (for the pollers' store writer) its state decided
//! again in the same turn of its locks. See [`super::polls`] for the locks and files.

use super::io_error;
use super::live::PollRecord;
use super::polls::{write_state, PolledDevice};
use super::series::InterfaceSample;
use super::state_history::Transition;
use super::status::{decide_in, DecideInputs, Decided, StateChange, Written};
use super::{DeviceSlot, Store, StoreError, StoreEvent};
use crate::device::DeviceId;

// The interfaces of the poll line being written, kept by the thread (the pollers' store
// writer) for the next one: a steady poll allocates no line.
thread_local! {
    static KEPT_SAMPLES: std::cell::Cell<Vec<InterfaceSample>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Interfaces past which the kept vector is let go (a device of that many is rare).
const KEPT_SAMPLES_MAX: usize = 4096;

impl Store {
    /// Records a poll that answered (the state is decided by [`Store::settle`] after): status, inventory, latest counters, samples and rollups.
    /// The live state changes even when the disk fails (the error is counted and returned).
    pub fn record_poll(&self, id: &DeviceId, record: PollRecord) -> Result<(), StoreError> {
        let Some(device) = self.polled(id) else { return Ok(()) }; // removed meanwhile
        self.record_poll_in(&device, id, record, None).0
    }

    /// Records a poll that answered and decides the state again, as [`Store::record_poll`]
    /// then [`Store::settle`] would, what the pollers' store writer does with every poll: the
    /// device looked up once, its live state locked once and its files once.
    pub fn record_poll_and_settle(
        &self,
        id: &DeviceId,
        record: PollRecord,
    ) -> (Result<(), StoreError>, Vec<StateChange>) {
        let Some(device) = self.polled(id) else { return (Ok(()), Vec::new()) }; // removed meanwhile
        let inputs = self.decide_inputs(id);
        self.record_poll_and_follow(&device, id, record, inputs)
    }

    /// [`Store::record_poll_and_settle`] through the device's slot (see [`DeviceSlot`]): nothing
    /// looked up by id while the registry does not change; nothing done for a device removed.
    pub fn record_poll_and_settle_in(
        &self,
        slot: &DeviceSlot,
        record: PollRecord,
    ) -> (Result<(), StoreError>, Vec<StateChange>) {
        if slot.removed() {
            return (Ok(()), Vec::new());
        }
        let inputs = self.slot_inputs(slot);
        self.record_poll_and_follow(&slot.polled, &slot.id, record, inputs)
    }

    /// Records a poll of `device` and follows the decision taken on `inputs` (None: a device
    /// removed from the registry meanwhile, recorded but not decided).
    fn record_poll_and_follow(
        &self,
        device: &PolledDevice,
        id: &DeviceId,
        record: PollRecord,
        inputs: Option<DecideInputs>,
    ) -> (Result<(), StoreError>, Vec<StateChange>) {
        let mut changes = Vec::new();
        let at_secs = record.at_ms.div_euclid(1000);
        let (written, decided) = self.record_poll_in(device, id, record, inputs.as_ref());
        if let Some((decided, written)) = decided {
            self.follow_decision(device, id, at_secs, decided, written, 0, &mut changes);
        }
        (written, changes)
    }

    /// Records a poll of `device` and, given the inputs, decides its state in the same turn of
    /// its locks; answers the write and the decision.
    fn record_poll_in(
        &self,
        device: &PolledDevice,
        id: &DeviceId,
        record: PollRecord,
        inputs: Option<&DecideInputs>,
    ) -> (Result<(), StoreError>, Option<(Decided, Written)>) {
        let line = record.poll_line_in(KEPT_SAMPLES.take());
        let at_ms = record.at_ms;
        let (changed, totals, decided) = {
            let mut live = device.live.write().expect("live lock");
            let changed = live.apply_poll(record);
            let decided = inputs.map(|inputs| decide_in(&mut live, inputs, at_ms.div_euclid(1000)));
            (changed, live.totals(), decided)
        };
        self.touch(device);
        let (written, decided) = {
            let mut guard = device.disk.lock().expect("device disk lock");
            let disk = &mut *guard;
            if disk.removed {
                return (Ok(()), None);
            }
            let appended = disk
                .series
                .append_poll(&self.appender, &self.tiers, &mut disk.buckets, &line)
                .map_err(|e| io_error(&disk.series.samples())(e));
            let state_changed = decided.as_ref().is_some_and(|d| d.changed.is_some());
            let saved =
                if changed || state_changed || disk.state_dirty { write_state(&device.live, disk) } else { Ok(()) };
            // The history after the samples, as a settle after the poll would append it.
            let decided = decided.map(|d| {
                let _ =
                    self.append_history_locked(device, disk, Transition { at: at_ms.div_euclid(1000), state: d.state });
                (d, Written::WithThePoll)
            });
            (appended.and(saved), decided)
        };
        self.health.note(&written);
        self.export(device, id, |d, labels| {
            Some(crate::export::series::poll(d, &device.live.read().expect("live lock"), at_ms, labels))
        });
        // Samples are the bulk of events: built only when someone listens.
        if self.listeners() > 0 {
            let rates = line.interfaces.iter().map(|s| (s.if_index, s.in_bps, s.out_bps)).collect();
            let timestamp = line.timestamp.floor() as i64;
            self.publish(StoreEvent::Sample { device_id: id.clone(), timestamp, rates, totals });
        }
        if line.interfaces.capacity() <= KEPT_SAMPLES_MAX {
            KEPT_SAMPLES.set(line.interfaces);
        }
        (written, decided)
    }
}
