//! Deciding each device's state (see [`crate::device::decide`]) after what changed it: a poll, an
//! echo round, its parent's state. A change is published on the event stream, written to
//! `state.json`, appended to the state history, and passed on to the device's children.

use super::latency::LatencyLine;
use super::live::DeviceLive;
use super::polls::{DeviceDisk, PolledDevice};
use super::state_history::{self, Availability, Transition};
use super::{io_error, now_secs, Store, StoreError, StoreEvent};
use crate::device::{decide, Device, DeviceId, DeviceState, DeviceStatus, Echo, EchoStatus, UnreachableParent};

/// How deep a chain of parents is followed when a state change passes down to children.
const MAX_DEPTH: usize = 32;

/// What deciding a device's state needs besides its live state (see [`Store::decide_inputs`]).
pub(super) struct DecideInputs {
    ping_interval_secs: u32,
    icmp_off: bool,
    /// The parent's id and name when it is unreachable.
    parent: Option<(DeviceId, String)>,
}

/// A decision taken on a device's live state.
pub(super) struct Decided {
    /// The status when it changed.
    pub changed: Option<DeviceStatus>,
    pub before: DeviceState,
    pub state: DeviceState,
}

/// Whether the state history and `state.json` were already written with the poll's write
/// (under the same lock of the device's files), or are still to be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    WithThePoll,
    NotYet,
}

/// Decides the state again on `live` (locked by the caller) at `at_secs`.
pub(super) fn decide_in(live: &mut DeviceLive, inputs: &DecideInputs, at_secs: i64) -> Decided {
    let why = match (inputs.icmp_off, inputs.ping_interval_secs) {
        (_, 0) => "ping off for this device",
        (true, _) => "ICMP unavailable",
        (false, _) => "no echo round yet",
    };
    let echo = match &live.status.echo {
        Some(round) => Echo::Round(round),
        None => Echo::NotChecked { why },
    };
    let parent = inputs.parent.as_ref().map(|(id, name)| UnreachableParent { id, name });
    let verdict = decide(live.status.snmp_seen(), echo, parent);
    let before = live.status.state;
    let changed = live.status.apply(verdict, at_secs);
    Decided { changed: changed.then(|| live.status.clone()), before, state: live.status.state }
}

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
            self.keep_echo(&polled, id, e);
            self.export(&polled, id, |d, labels| crate::export::series::echo(d, e, labels));
        }
        polled.live.write().expect("live lock").status.echo = echo;
        self.touch(&polled);
        self.settle(id, at)
    }

    /// Stores a round's latency and publishes it (the ping alert rules read it), whoever made
    /// the round: this Vigie, or a sharded poller that reported it.
    pub(super) fn keep_echo(&self, polled: &PolledDevice, id: &DeviceId, e: &EchoStatus) {
        let line = LatencyLine {
            timestamp: e.at,
            sent: u32::from(e.sent),
            received: u32::from(e.received),
            rtt_min_ms: e.rtt_min_ms,
            rtt_avg_ms: e.rtt_avg_ms,
            rtt_max_ms: e.rtt_max_ms,
        };
        // Under the device's disk lock: a device removed meanwhile gets no files back. A failed
        // write is counted by the store's health; the state is decided anyway.
        {
            let disk = polled.disk.lock().expect("device disk lock");
            if !disk.removed {
                let _ = self.append_latency(id, &disk.dir, line);
            }
        }
        self.publish(StoreEvent::Echo { device_id: id.clone(), echo: e.clone() });
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

    /// Nothing is cloned unless the state changed: a device decided again after each poll and
    /// each echo round mostly stays as it was.
    fn settle_into(&self, id: &DeviceId, at_secs: i64, depth: usize, changes: &mut Vec<StateChange>) {
        let (Some(inputs), Some(polled)) = (self.decide_inputs(id), self.polled(id)) else { return };
        let decided = decide_in(&mut polled.live.write().expect("live lock"), &inputs, at_secs);
        self.follow_decision(&polled, id, at_secs, decided, Written::NotYet, depth, changes);
    }

    /// What deciding `id`'s state needs besides its live state, read before that is locked (so
    /// no device's lock is taken while another's is held); None for a device removed meanwhile.
    pub(super) fn decide_inputs(&self, id: &DeviceId) -> Option<DecideInputs> {
        let read = |d: &Device| (d.config.parent_id.clone(), d.config.ping_interval_secs);
        let (parent_id, ping_interval_secs) = self.registry.with(id, read)?;
        Some(self.decide_inputs_from(parent_id.as_ref(), ping_interval_secs))
    }

    /// The inputs of a device of parent `parent_id` pinged every `ping_interval_secs`.
    pub(super) fn decide_inputs_from(&self, parent_id: Option<&DeviceId>, ping_interval_secs: u32) -> DecideInputs {
        let parent = parent_id.and_then(|parent_id| self.unreachable_parent(parent_id));
        let icmp_off = self.icmp_unavailable.read().expect("icmp lock").is_some();
        DecideInputs { ping_interval_secs, icmp_off, parent }
    }

    /// After a decision: the state history brought level, and a change saved, published and
    /// passed down to the children (unless `written` says the poll's write did the first two).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn follow_decision(
        &self,
        polled: &PolledDevice,
        id: &DeviceId,
        at_secs: i64,
        decided: Decided,
        written: Written,
        depth: usize,
        changes: &mut Vec<StateChange>,
    ) {
        // After a restart the history ends in `unknown` while the state read back is unchanged:
        // the history is brought level whether or not the state changed. A failed write is
        // counted by the store's health; the state in memory stands.
        if written == Written::NotYet {
            let _ = self.append_history(polled, Transition { at: at_secs, state: decided.state });
        }
        let Decided { changed: Some(status), before, .. } = decided else { return };
        self.touch(polled);
        if written == Written::NotYet {
            let _ = self.save_state(polled, true);
        }
        self.publish(StoreEvent::Status { device_id: id.clone(), status: status.clone() });
        if before == status.state {
            return;
        }
        let Some(device) = self.registry.get(id) else { return };
        changes.push(StateChange { device, before, status });
        if depth < MAX_DEPTH {
            for child in self.registry.children(id) {
                self.settle_into(&child, at_secs, depth + 1, changes);
            }
        }
    }

    /// The parent's id and name when it is unreachable.
    fn unreachable_parent(&self, parent_id: &DeviceId) -> Option<(DeviceId, String)> {
        let state = self.polled(parent_id)?.live.read().expect("live lock").status.state;
        if state != DeviceState::Unreachable {
            return None;
        }
        let name = self.registry.with(parent_id, |parent| parent.config.name.clone())?;
        Some((parent_id.clone(), name))
    }

    /// Appends a transition unless the history already ends in that state; compacts the file
    /// when it has grown large.
    pub(super) fn append_history(&self, polled: &PolledDevice, t: Transition) -> Result<(), StoreError> {
        self.append_history_locked(polled, &mut polled.disk.lock().expect("device disk lock"), t)
    }

    /// [`Store::append_history`] with the device's disk lock held (`disk` is `polled`'s).
    pub(super) fn append_history_locked(
        &self,
        polled: &PolledDevice,
        disk: &mut DeviceDisk,
        t: Transition,
    ) -> Result<(), StoreError> {
        if disk.removed || disk.history_last == Some(t.state) {
            return Ok(());
        }
        let path = disk.dir.join("states.jsonl");
        let appended = self.appender.append(&path, &state_history::line(&t)).map_err(io_error(&path));
        self.health.note(&appended);
        appended?;
        disk.history_last = Some(t.state);
        polled.history.lock().expect("history lock").push(t);
        disk.history_appends += 1;
        if disk.history_appends >= state_history::COMPACT_AFTER_LINES {
            disk.history_appends = 0;
            let history = state_history::read(&path).map_err(io_error(&path))?;
            let kept = state_history::compacted(&history, t.at);
            let text: String = kept.iter().map(|t| state_history::line(t) + "\n").collect();
            let written = super::replace::write_atomic(&path, text.as_bytes()).map_err(io_error(&path));
            self.health.note(&written);
            written?;
        }
        Ok(())
    }

    /// The device's availability over the last day, week, 30 and 365 days, from its state
    /// history: in memory, else (a device that changed state too often) read from disk.
    pub fn availability(&self, id: &DeviceId, now: i64) -> Result<Availability, StoreError> {
        let kept = self.polled(id).and_then(|p| p.history.lock().expect("history lock").availability(now));
        if let Some(availability) = kept {
            return Ok(availability);
        }
        let path = self.device_dir(id).join("states.jsonl");
        let history = state_history::read(&path).map_err(io_error(&path))?;
        Ok(state_history::availability(&history, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceConfig;
    use crate::store::Retention;

    fn echo(at: i64, received: u16) -> Option<EchoStatus> {
        Some(EchoStatus {
            at,
            sent: 3,
            received,
            rtt_min_ms: (received > 0).then_some(0.2),
            rtt_avg_ms: (received > 0).then_some(0.3),
            rtt_max_ms: (received > 0).then_some(0.4),
            error: None,
        })
    }

    #[test]
    fn a_child_behind_an_unreachable_parent_is_unreachable_behind_it_and_comes_back_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let core = store.add_device(DeviceConfig::v2c("core-sw1", "192.0.2.1", 161, "public")).unwrap();
        let edge =
            DeviceConfig { parent_id: Some(core.id.clone()), ..DeviceConfig::v2c("edge", "192.0.2.2", 161, "p") };
        let edge = store.add_device(edge).unwrap();
        for id in [&core.id, &edge.id] {
            store.record_failure(id, 1000, 5, "no answer within 1000 ms".into()).unwrap();
            store.settle(id, 1000);
        }
        // SNMP silent, echoes answered: snmp_down; the child answers neither on its own.
        store.record_echo(&core.id, echo(1001, 3));
        store.record_echo(&edge.id, echo(1001, 0));
        assert_eq!(store.live_of(&core.id).status.state, DeviceState::SnmpDown);
        let child = store.live_of(&edge.id).status;
        assert_eq!((child.state, child.behind_parent_id.as_ref()), (DeviceState::Unreachable, None));
        let changes = store.record_echo(&core.id, echo(1002, 0));
        let states: Vec<_> = changes.iter().map(|c| (c.device.config.name.as_str(), c.status.state)).collect();
        assert_eq!(states, vec![("core-sw1", DeviceState::Unreachable)], "the child was unreachable already");
        let child = store.live_of(&edge.id).status;
        assert_eq!(child.reason.as_deref(), Some("behind core-sw1"), "its reason followed its parent");
        assert_eq!(child.behind_parent_id, Some(core.id.clone()));
        // The parent's echoes come back (SNMP still silent): the child is on its own again.
        store.record_echo(&core.id, echo(1010, 3));
        let child = store.live_of(&edge.id).status;
        assert_eq!((child.state, child.behind_parent_id), (DeviceState::Unreachable, None));
        assert!(child.reason.unwrap().starts_with("no echo reply"));
        assert_eq!(store.live_of(&core.id).status.state, DeviceState::SnmpDown);
        // Each change landed in the state history, and the stop adds unknown.
        store.flush().unwrap();
        let history = state_history::read(&dir.path().join("devices").join(&core.id.0).join("states.jsonl")).unwrap();
        let states: Vec<DeviceState> = history.iter().map(|t| t.state).collect();
        use DeviceState::{SnmpDown, Unknown, Unreachable};
        assert_eq!(states, vec![Unreachable, SnmpDown, Unreachable, SnmpDown, Unknown], "{history:?}");
    }

    #[test]
    fn latency_is_stored_rolled_up_and_rebuilt_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_secs();
        let start = now - now.rem_euclid(3600) - 3600; // the start of the last hour
        let id = {
            let store = Store::open(dir.path(), Retention::default()).unwrap();
            let device = store.add_device(DeviceConfig::v2c("r1", "192.0.2.1", 161, "public")).unwrap();
            for i in 0..20 {
                store.record_echo(&device.id, echo(start + i * 30, if i == 3 { 0 } else { 3 }));
            }
            device.id
        };
        // Opened again (a restart): the open buckets come back from the raw rounds.
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        store.record_echo(&id, echo(start + 20 * 30, 3));
        let raw = store.latency(&id.0, start, start + 599, 10).unwrap();
        assert_eq!(raw.step_secs, 60);
        assert_eq!(raw.points[1].loss_percent, Some(50.0), "one round of the two in the step lost");
        assert_eq!(raw.points[0].rtt_avg_ms, Some(0.3));
        let five = store.latency(&id.0, start, start + 3599, 12).unwrap();
        assert_eq!(five.step_secs, 300);
        assert_eq!(five.points[0].loss_percent, Some(100.0 / 10.0), "one round of ten lost");
        assert_eq!(five.points[2].loss_percent, Some(0.0), "the bucket rebuilt after the restart, counted once");
        assert_eq!(five.points[3].loss_percent, None, "no round: a gap");
    }
}
