//! Telling people that a device's state changed: one sentence in the server log and one entry
//! in the event log ("core-sw1 is unreachable: no echo reply …"), whoever noticed the change
//! (a poll, an echo round, a parent).

use crate::device::DeviceState;
use crate::logs::Sink;
use crate::shown::Shown;
use crate::store::logs::Severity;
use crate::store::StateChange;

pub fn announce(sink: &Sink, changes: &[StateChange]) {
    for change in changes {
        let c = &change.device.config;
        let status = &change.status;
        let reason = status.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
        let (severity, words) = match status.state {
            DeviceState::Up => (Severity::Notice, "is up"),
            DeviceState::SnmpDown => (Severity::Error, "is snmp_down (answers pings, not SNMP)"),
            DeviceState::Unreachable => (Severity::Error, "is unreachable"),
            DeviceState::Unknown => (Severity::Warning, "is in an unknown state"),
        };
        match status.state {
            DeviceState::Up => log::info!("Device {} ({}:{}) is up.", Shown(&c.name), Shown(&c.host), c.port),
            _ => log::warn!("Device {} ({}:{}) {words}{}", Shown(&c.name), Shown(&c.host), c.port, Shown(&reason)),
        }
        sink.event(Some(&change.device.id), severity, format!("{} {words}{reason}", c.name), Vec::new());
    }
}
