//! A device's state as every consumer reads it (UI badges, `/status`, `/metrics`, the event
//! stream, the event log, alerts), and the one rule that decides it from what SNMP and ICMP saw.
//!
//! - `up`: the last SNMP poll answered (whatever ICMP says);
//! - `snmp_down`: SNMP silent, but the host answers echo requests (agent dead, wrong credentials
//!   or ACL);
//! - `unreachable`: SNMP silent and no echo reply; or SNMP silent and ICMP not checked (ping off
//!   for the device, or no ICMP socket): without an echo nothing shows the host alive, so silence
//!   counts as unreachable, as `down` did before; or its parent is unreachable ("behind <parent>");
//! - `unknown`: nothing seen yet (never polled nor pinged).

use super::DeviceId;

/// What a device's state is. Stored as snake_case; `down` (written before ICMP existed) reads
/// as `unreachable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Up,
    SnmpDown,
    #[serde(alias = "down")]
    Unreachable,
    Unknown,
}

impl DeviceState {
    pub const ALL: [DeviceState; 4] =
        [DeviceState::Up, DeviceState::SnmpDown, DeviceState::Unreachable, DeviceState::Unknown];

    /// The wire name: `up`, `snmp_down`, `unreachable`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Up => "up",
            DeviceState::SnmpDown => "snmp_down",
            DeviceState::Unreachable => "unreachable",
            DeviceState::Unknown => "unknown",
        }
    }

    /// Whether the device counts as down (old scripts read `down` = every state but up/unknown).
    pub fn is_down(self) -> bool {
        matches!(self, DeviceState::SnmpDown | DeviceState::Unreachable)
    }
}

/// The last round of echo requests to the device, as kept in its status.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EchoStatus {
    /// Unix seconds when the round ended.
    pub at: i64,
    pub sent: u16,
    pub received: u16,
    #[serde(default)]
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    #[serde(default)]
    pub rtt_max_ms: Option<f64>,
    /// Why echoes could not be sent (not a plain timeout), e.g. "No route to host".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether ICMP tells anything about the device.
#[derive(Clone, Debug, PartialEq)]
pub enum Echo<'a> {
    /// The last round, its replies counted.
    Round(&'a EchoStatus),
    /// Not pinged: `why` is said in the reason ("ping off for this device", "no ICMP socket").
    NotChecked { why: &'a str },
}

/// What the state rule reads of the parent: its id and name, when it is unreachable.
#[derive(Clone, Debug, PartialEq)]
pub struct UnreachableParent<'a> {
    pub id: &'a DeviceId,
    pub name: &'a str,
}

/// The state, its reason, and the parent the device is behind.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub state: DeviceState,
    pub reason: Option<String>,
    pub behind_parent_id: Option<DeviceId>,
}

/// Decides the state from the last SNMP poll (`None`: not polled yet; `Some(Err(e))`: failed
/// with `e`), the last echo round, and the parent when it is unreachable.
pub fn decide(snmp: Option<Result<(), &str>>, echo: Echo<'_>, parent: Option<UnreachableParent<'_>>) -> Verdict {
    let verdict = |state, reason: Option<String>| Verdict { state, reason, behind_parent_id: None };
    if let Some(Ok(())) = snmp {
        return verdict(DeviceState::Up, None);
    }
    let echo_answered = match &echo {
        Echo::Round(round) => Some(round.received > 0),
        Echo::NotChecked { .. } => None,
    };
    if echo_answered != Some(true) {
        if let Some(parent) = parent {
            return Verdict {
                state: DeviceState::Unreachable,
                reason: Some(format!("behind {}", parent.name)),
                behind_parent_id: Some(parent.id.clone()),
            };
        }
    }
    let snmp_part = match snmp {
        Some(Err(e)) => format!("no SNMP answer ({e})"),
        _ => "SNMP not polled yet".to_string(),
    };
    match (&echo, snmp) {
        (Echo::Round(round), _) if round.received > 0 => {
            if snmp.is_none() {
                return verdict(DeviceState::Unknown, Some("echo replies; SNMP not polled yet".into()));
            }
            let reason = format!("echo replies ({}/{}) but {snmp_part}", round.received, round.sent);
            verdict(DeviceState::SnmpDown, Some(reason))
        }
        (Echo::Round(round), _) => {
            let detail = round.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            let reason = format!("no echo reply ({} sent{detail}) and {snmp_part}", round.sent);
            verdict(DeviceState::Unreachable, Some(reason))
        }
        (Echo::NotChecked { .. }, None) => verdict(DeviceState::Unknown, None),
        (Echo::NotChecked { why }, Some(_)) => {
            verdict(DeviceState::Unreachable, Some(format!("{snmp_part}; ICMP not checked ({why})")))
        }
    }
}

/// A device's health as Vigie sees it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatus {
    pub state: DeviceState,
    /// Unix seconds of the last change of `state`.
    pub since: Option<i64>,
    /// Why the device is in this state (null when up).
    #[serde(default)]
    pub reason: Option<String>,
    /// Set when the device is unreachable because its parent is: its alerts are suppressed.
    #[serde(default)]
    pub behind_parent_id: Option<DeviceId>,
    pub last_poll_at: Option<i64>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_poll_duration_ms: Option<u64>,
    /// The last round of echo requests; null when not pinged.
    #[serde(default)]
    pub echo: Option<EchoStatus>,
}

impl DeviceStatus {
    pub fn unknown() -> DeviceStatus {
        DeviceStatus {
            state: DeviceState::Unknown,
            since: None,
            reason: None,
            behind_parent_id: None,
            last_poll_at: None,
            last_error: None,
            consecutive_failures: 0,
            last_poll_duration_ms: None,
            echo: None,
        }
    }

    /// What the last poll said: not polled, answered, or failed with its error.
    pub fn snmp_seen(&self) -> Option<Result<(), &str>> {
        self.last_poll_at?;
        Some(match (self.consecutive_failures, &self.last_error) {
            (0, _) => Ok(()),
            (_, Some(e)) => Err(e.as_str()),
            (_, None) => Err("no answer"),
        })
    }

    /// Applies a verdict made at `at_secs`; answers whether the state or its reason changed.
    pub fn apply(&mut self, verdict: Verdict, at_secs: i64) -> bool {
        let state_changed = self.state != verdict.state;
        if state_changed {
            self.state = verdict.state;
            self.since = Some(at_secs);
        }
        let changed =
            state_changed || self.reason != verdict.reason || self.behind_parent_id != verdict.behind_parent_id;
        self.reason = verdict.reason;
        self.behind_parent_id = verdict.behind_parent_id;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(sent: u16, received: u16) -> EchoStatus {
        EchoStatus { at: 0, sent, received, rtt_min_ms: None, rtt_avg_ms: None, rtt_max_ms: None, error: None }
    }

    #[test]
    fn snmp_answering_is_up_whatever_icmp_says() {
        let silent = round(3, 0);
        assert_eq!(decide(Some(Ok(())), Echo::Round(&silent), None).state, DeviceState::Up);
        assert_eq!(decide(Some(Ok(())), Echo::NotChecked { why: "ping off" }, None).state, DeviceState::Up);
    }

    #[test]
    fn snmp_silence_is_told_apart_by_the_echo() {
        let (answered, silent) = (round(3, 2), round(3, 0));
        let v = decide(Some(Err("timed out")), Echo::Round(&answered), None);
        assert_eq!(v.state, DeviceState::SnmpDown);
        assert_eq!(v.reason.as_deref(), Some("echo replies (2/3) but no SNMP answer (timed out)"));
        let v = decide(Some(Err("timed out")), Echo::Round(&silent), None);
        assert_eq!(v.state, DeviceState::Unreachable);
        assert_eq!(v.reason.as_deref(), Some("no echo reply (3 sent) and no SNMP answer (timed out)"));
        let v = decide(Some(Err("timed out")), Echo::NotChecked { why: "ping off for this device" }, None);
        assert_eq!(v.state, DeviceState::Unreachable, "without ICMP, SNMP silence is unreachable");
        assert_eq!(decide(None, Echo::NotChecked { why: "x" }, None).state, DeviceState::Unknown);
        assert_eq!(decide(None, Echo::Round(&silent), None).state, DeviceState::Unreachable);
    }

    #[test]
    fn behind_an_unreachable_parent_unless_the_child_itself_answers() {
        let id = DeviceId("0000000a".into());
        let parent = || Some(UnreachableParent { id: &id, name: "core-sw1" });
        let v = decide(Some(Err("timed out")), Echo::Round(&round(3, 0)), parent());
        assert_eq!((v.state, v.reason.as_deref()), (DeviceState::Unreachable, Some("behind core-sw1")));
        assert_eq!(v.behind_parent_id, Some(id.clone()));
        assert_eq!(decide(Some(Ok(())), Echo::Round(&round(3, 0)), parent()).state, DeviceState::Up);
        assert_eq!(decide(Some(Err("x")), Echo::Round(&round(3, 3)), parent()).state, DeviceState::SnmpDown);
    }

    #[test]
    fn old_down_reads_as_unreachable_and_states_are_snake_case() {
        let read: DeviceState = serde_json::from_str("\"down\"").unwrap();
        assert_eq!(read, DeviceState::Unreachable);
        assert_eq!(serde_json::to_string(&DeviceState::SnmpDown).unwrap(), "\"snmp_down\"");
    }
}
