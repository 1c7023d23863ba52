//! Deciding each device's state (see [`crate::device::decide`]) after what changed it: a poll, an
//! echo round, its parent's state. A change is published on the event stream, written to
//! `state.json`, appended to the state history, and passed on to the device's children.

use super::latency::LatencyLine;
use super::polls::PolledDevice;
use super::state_history::{self, Availability, Transition};
use super::{io_error, now_secs, Store, StoreError, StoreEvent};
use crate::device::{decide, Device, DeviceId, DeviceState, DeviceStatus, Echo, EchoStatus, UnreachableParent};

/// How deep a chain of parents is followed when a state change passes down to children.
const MAX_DEPTH: usize = 32;

/// A device whose state changed, for the caller to announce (event log, server log).
#[derive(Clone, Debug)]
pub struct StateChange {
    pub device: Device,
    pub before: DeviceState,
    pub status: DeviceStatus,
}

impl Store {
    /// Records a round of echo requests (`None`: the device is not pinged any more) and decides
    /// the state again.
    pub fn record_echo(&self, id: &DeviceId, echo: Option<EchoStatus>) -> Vec<StateChange> {
        let Some(polled) = self.polled(id) else { return Vec::new() };
        let at = echo.as_ref().map_or_else(now_secs, |e| e.at);
        if let Some(e) = echo.as_ref().filter(|e| e.sent > 0) {
            let line = LatencyLine {
                timestamp: e.at,
                sent: u32::from(e.sent),
                received: u32::from(e.received),
                rtt_min_ms: e.rtt_min_ms,
                rtt_avg_ms: e.rtt_avg_ms,
                rtt_max_ms: e.rtt_max_ms,
            };
            // A failed write is counted by the store's health; the state is decided anyway.
            let _ = self.append_latency(id, line);
        }
        polled.live.write().expect("live lock").status.echo = echo;
        self.settle(id, at)
    }

    /// Says why devices are not pinged when ICMP cannot be used at all (`None` once it can).
    pub fn set_icmp_unavailable(&self, reason: Option<String>) {
        *self.icmp_unavailable.write().expect("icmp lock") = reason;
    }

    /// Decides `id`'s state again at `at_secs`, then its children's when it changed.
    pub fn settle(&self, id: &DeviceId, at_secs: i64) -> Vec<StateChange> {
        let mut changes = Vec::new();
        self.settle_into(id, at_secs, 0, &mut changes);
        changes
    }

    fn settle_into(&self, id: &DeviceId, at_secs: i64, depth: usize, changes: &mut Vec<StateChange>) {
        let (Some(device), Some(polled)) = (self.registry.get(id), self.polled(id)) else { return };
        let parent = self.unreachable_parent(&device);
        let icmp_off = self.icmp_unavailable.read().expect("icmp lock").clone();
        let (changed, before, status) = {
            let mut live = polled.live.write().expect("live lock");
            let why = match (&icmp_off, device.config.ping_interval_secs) {
                (_, 0) => "ping off for this device",
                (Some(_), _) => "ICMP unavailable",
                (None, _) => "no echo round yet",
            };
            let echo = match &live.status.echo {
                Some(round) => Echo::Round(round),
                None => Echo::NotChecked { why },
            };
            let parent = parent.as_ref().map(|(id, name)| UnreachableParent { id, name });
            let verdict = decide(live.status.snmp_seen(), echo, parent);
            let before = live.status.state;
            let changed = live.status.apply(verdict, at_secs);
            (changed, before, live.status.clone())
        };
        // After a restart the history ends in `unknown` while the state read back is unchanged:
        // the history is brought level whether or not the state changed. A failed write is
        // counted by the store's health; the state in memory stands.
        let _ = self.append_history(&polled, Transition { at: at_secs, state: status.state });
        if !changed {
            return;
        }
        let _ = self.save_state(&polled, true);
        self.publish(StoreEvent::Status { device_id: id.clone(), status: status.clone() });
        if before == status.state {
            return;
        }
        changes.push(StateChange { device, before, status });
        if depth < MAX_DEPTH {
            for child in self.registry.children(id) {
                self.settle_into(&child, at_secs, depth + 1, changes);
            }
        }
    }

    /// The parent's id and name when it is unreachable.
    fn unreachable_parent(&self, device: &Device) -> Option<(DeviceId, String)> {
        let parent_id = device.config.parent_id.as_ref()?;
        let parent = self.registry.get(parent_id)?;
        let state = self.polled(parent_id)?.live.read().expect("live lock").status.state;
        (state == DeviceState::Unreachable).then(|| (parent.id, parent.config.name))
    }

    /// Appends a transition unless the history already ends in that state; compacts the file
    /// when it has grown large.
    pub(super) fn append_history(&self, polled: &PolledDevice, t: Transition) -> Result<(), StoreError> {
        let mut disk = polled.disk.lock().expect("device disk lock");
        if disk.removed || disk.history_last == Some(t.state) {
            return Ok(());
        }
        let path = disk.dir.join("states.jsonl");
        let appended = self.appender.append(&path, &state_history::line(&t)).map_err(io_error(&path));
        self.health.note(&appended);
        appended?;
        disk.history_last = Some(t.state);
        disk.history_appends += 1;
        if disk.history_appends >= state_history::COMPACT_AFTER_LINES {
            disk.history_appends = 0;
            let history = state_history::read(&path).map_err(io_error(&path))?;
            let kept = state_history::compacted(&history, t.at);
            let text: String = kept.iter().map(|t| state_history::line(t) + "\n").collect();
            let written = super::files::write_atomic(&path, text.as_bytes()).map_err(io_error(&path));
            self.health.note(&written);
            written?;
        }
        Ok(())
    }

    /// The device's availability over the last day, week, 30 and 365 days, from its state
    /// history (reads disk).
    pub fn availability(&self, id: &DeviceId, now: i64) -> Result<Availability, StoreError> {
        let path = self.device_dir(id).join("states.jsonl");
        let history = state_history::read(&path).map_err(io_error(&path))?;
        Ok(state_history::availability(&history, now))
    }
}
