//! What each rule kind sees in an event: the conditions of a device's state, of its interfaces
//! after a poll, of a log entry, and of a restart. Pure functions of what the store holds; the
//! engine decides what they mean over time.

use super::engine::{Observation, Subject};
use super::rule::{Rule, RuleKind};
use crate::device::{DeviceId, DeviceState, EchoStatus};
use crate::snmp::if_mib::IfStatus;
use crate::store::logs::LogEntry;
use crate::store::{DeviceLive, Rate};

/// sysUpTime ticks (hundredths of a second) in a day: a fall from near 2^32 to below this is
/// the counter wrapping (after 497 days), not a restart.
/// The field alerting's own log entries carry (the incident id).
pub const INCIDENT_FIELD: &str = "incident";

const TICKS_PER_DAY: u32 = 8_640_000;

/// Whether a device in `state` meets a device-state rule.
pub fn state_holds(kind: &RuleKind, state: &DeviceState) -> Option<bool> {
    match kind {
        RuleKind::DeviceUnreachable => Some(*state == DeviceState::Unreachable),
        RuleKind::DeviceSnmpDown => Some(*state == DeviceState::SnmpDown),
        _ => None,
    }
}

/// The state rule's look at a device.
pub fn device_state(rule: &Rule, device: &DeviceId, name: &str, state: &DeviceState) -> Option<Observation> {
    let holding = state_holds(&rule.kind, state)?;
    let word = match rule.kind {
        RuleKind::DeviceSnmpDown => "answers echoes but not SNMP",
        _ => "is unreachable",
    };
    Some(Observation {
        subject: Subject { rule: rule.id.clone(), device: device.clone(), if_index: None },
        device_name: name.to_string(),
        holding,
        summary: format!("{name} {word}"),
    })
}

/// An interface rule's looks at each interface of a device after a poll.
pub fn interfaces(rule: &Rule, device: &DeviceId, name: &str, live: &DeviceLive) -> Vec<Observation> {
    let mut looks = Vec::new();
    for (&if_index, iface) in &live.interfaces {
        let info = &iface.info;
        let label = if info.if_name().is_empty() { format!("ifIndex {if_index}") } else { info.if_name().to_string() };
        let reading = iface.latest.as_ref().map(|l| &l.reading);
        let seen = match &rule.kind {
            RuleKind::InterfaceDown => {
                let down = info.oper_status == IfStatus::Down && info.admin_status == IfStatus::Up;
                Some((down, format!("{name} {label} is down while administratively up")))
            }
            RuleKind::Utilization { threshold_percent } => {
                let (Some(speed), Some(r)) = (info.speed_bps.filter(|s| *s > 0), reading) else { continue };
                let percent = |bps: Option<f64>| bps.map_or(0.0, |b| b * 100.0 / speed as f64);
                let busiest = percent(r.in_bps.get()).max(percent(r.out_bps.get()));
                Some((busiest >= *threshold_percent, format!("{name} {label} at {busiest:.0} % of its speed")))
            }
            RuleKind::ErrorRate { threshold_per_sec } => {
                let Some(r) = reading else { continue };
                let worst = [r.in_errors_per_sec, r.out_errors_per_sec, r.in_discards_per_sec, r.out_discards_per_sec]
                    .into_iter()
                    .filter_map(Rate::get)
                    .fold(0.0, f64::max);
                Some((worst >= *threshold_per_sec, format!("{name} {label}: {worst:.1} errors or discards per second")))
            }
            _ => None,
        };
        if let Some((holding, summary)) = seen {
            looks.push(Observation {
                subject: Subject { rule: rule.id.clone(), device: device.clone(), if_index: Some(if_index) },
                device_name: name.to_string(),
                holding,
                summary,
            });
        }
    }
    looks
}

/// A `ping` rule's look at one echo round. A round that sent nothing (the host did not
/// resolve) tells nothing; nor, to a rule on round-trip time alone, does a round nobody
/// answered (it has no time: loss is the measure of that).
pub fn ping(rule: &Rule, device: &DeviceId, name: &str, echo: &EchoStatus) -> Option<Observation> {
    let RuleKind::Ping { loss_percent, rtt_avg_ms } = rule.kind else { return None };
    if echo.sent == 0 {
        return None;
    }
    let loss = 100.0 * f64::from(echo.sent.saturating_sub(echo.received)) / f64::from(echo.sent);
    let lossy = loss_percent.map(|max| loss >= max);
    let slow = rtt_avg_ms.and_then(|max| echo.rtt_avg_ms.map(|avg| avg >= max));
    let holding = match (lossy, slow) {
        (None, None) => return None,
        (lossy, slow) => lossy.unwrap_or(false) || slow.unwrap_or(false),
    };
    let rtt = echo.rtt_avg_ms.map(|ms| format!(", average {ms:.1} ms")).unwrap_or_default();
    Some(Observation {
        subject: Subject { rule: rule.id.clone(), device: device.clone(), if_index: None },
        device_name: name.to_string(),
        holding,
        summary: format!("{name}: {loss:.0} % of echoes lost{rtt}"),
    })
}

/// The uptime a device's latest poll read, if any interface carries one.
pub fn uptime_ticks(live: &DeviceLive) -> Option<u32> {
    live.interfaces.values().filter_map(|i| i.latest.as_ref()).max_by_key(|l| l.at_ms).map(|l| l.uptime_ticks)
}

/// Whether uptime going from `before` to `now` is a restart (not the counter wrapping).
pub fn restarted(before: u32, now: u32) -> bool {
    now < before && !(before > u32::MAX - TICKS_PER_DAY && now < TICKS_PER_DAY)
}

/// Whether a log entry meets a `log_match` rule (`pattern` compiled by the caller).
pub fn log_matches(rule: &Rule, pattern: Option<&regex::Regex>, entry: &LogEntry) -> bool {
    let RuleKind::LogMatch { max_severity, .. } = &rule.kind else { return false };
    // Alerting's own entries would feed back into it.
    if entry.entry.fields.iter().any(|f| f.name == INCIDENT_FIELD) {
        return false;
    }
    max_severity.is_none_or(|max| entry.entry.severity <= max)
        && pattern.is_none_or(|p| p.is_match(&entry.entry.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{RuleId, RuleSettings, Scope};

    fn ping_rule(loss_percent: Option<f64>, rtt_avg_ms: Option<f64>) -> Rule {
        Rule {
            id: RuleId("0000000a".into()),
            name: "Lossy".into(),
            created_at: 0,
            kind: RuleKind::Ping { loss_percent, rtt_avg_ms },
            scope: Scope::All,
            settings: RuleSettings::default(),
            channel_ids: vec![],
        }
    }

    fn round(sent: u16, received: u16, rtt_avg_ms: Option<f64>) -> EchoStatus {
        EchoStatus { at: 0, sent, received, rtt_min_ms: rtt_avg_ms, rtt_avg_ms, rtt_max_ms: rtt_avg_ms, error: None }
    }

    #[test]
    fn a_ping_rule_holds_on_loss_or_time() {
        let device = DeviceId("000000d1".into());
        let holds = |rule: &Rule, echo: &EchoStatus| ping(rule, &device, "edge", echo).map(|o| o.holding);
        let loss = ping_rule(Some(50.0), None);
        assert_eq!(holds(&loss, &round(3, 0, None)), Some(true));
        assert_eq!(holds(&loss, &round(4, 2, Some(1.0))), Some(true));
        assert_eq!(holds(&loss, &round(3, 2, Some(1.0))), Some(false));
        assert_eq!(holds(&loss, &round(0, 0, None)), None, "nothing sent tells nothing");
        let slow = ping_rule(None, Some(100.0));
        assert_eq!(holds(&slow, &round(3, 3, Some(150.0))), Some(true));
        assert_eq!(holds(&slow, &round(3, 3, Some(20.0))), Some(false));
        assert_eq!(holds(&slow, &round(3, 0, None)), None, "a silent round has no time");
        let both = ping_rule(Some(100.0), Some(100.0));
        assert_eq!(holds(&both, &round(3, 0, None)), Some(true));
        assert_eq!(holds(&both, &round(3, 1, Some(150.0))), Some(true));
        assert_eq!(holds(&both, &round(3, 1, Some(10.0))), Some(false));
        let summary = ping(&both, &device, "edge", &round(3, 1, Some(10.0))).unwrap().summary;
        assert_eq!(summary, "edge: 67 % of echoes lost, average 10.0 ms");
    }

    #[test]
    fn a_wrap_of_uptime_is_not_a_restart() {
        assert!(restarted(500_000, 100));
        assert!(!restarted(100, 500_000));
        assert!(!restarted(u32::MAX - 10, 50));
    }
}
