//! What an alert rule is: its kind with that kind's thresholds, the devices it watches (its
//! scope), how long a condition must hold and how long it must stay false (hysteresis), when
//! it counts as flapping, and its reminders. Validation lives here, once, for the API and the
//! stored file alike. Knows nothing of HTTP or disk.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::device::{free_text, DeviceId, InvalidField};
use crate::notify::ChannelId;
use crate::store::logs::Severity;

/// Rules at most: every event is checked against the rules of its kind.
pub const MAX_RULES: usize = 256;
/// A regular expression's source, at most, in bytes.
pub const MAX_PATTERN_LEN: usize = 512;
/// The compiled program of a `log_match` pattern, at most (the `regex` crate's size limit).
pub const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
const MAX_NAME_LEN: usize = 200;
const MAX_DURATION_SECS: u32 = 7 * 86_400;
const MAX_SCOPE_ITEMS: usize = 1000;

/// A stable, server-assigned rule id (8 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(pub String);

impl RuleId {
    pub fn random() -> RuleId {
        RuleId(format!("{:08x}", rand::random::<u32>()))
    }

    pub fn parse(text: &str) -> Option<RuleId> {
        (text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| RuleId(text.to_string()))
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a rule watches, with that kind's thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum RuleKind {
    /// The device's state is `down` (neither SNMP nor, with ICMP, an echo answers).
    DeviceUnreachable,
    /// The device answers echoes but not SNMP (a state the ICMP checks give).
    DeviceSnmpDown,
    /// An interface operationally down while administratively up.
    InterfaceDown,
    /// In or out traffic at least `thresholdPercent` of the interface's speed.
    Utilization { threshold_percent: f64 },
    /// In or out errors or discards at least `thresholdPerSec` per second.
    ErrorRate { threshold_per_sec: f64 },
    /// A log entry of a device at least as severe as `maxSeverity` and/or matching `pattern`.
    LogMatch { max_severity: Option<Severity>, pattern: Option<String> },
    /// The device's uptime went back (it restarted).
    Reboot,
    /// An echo round lost at least `lossPercent` of its echoes and/or answered with an average
    /// round-trip time of at least `rttAvgMs`.
    Ping { loss_percent: Option<f64>, rtt_avg_ms: Option<f64> },
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::DeviceUnreachable => "device_unreachable",
            RuleKind::DeviceSnmpDown => "device_snmp_down",
            RuleKind::InterfaceDown => "interface_down",
            RuleKind::Utilization { .. } => "utilization",
            RuleKind::ErrorRate { .. } => "error_rate",
            RuleKind::LogMatch { .. } => "log_match",
            RuleKind::Reboot => "reboot",
            RuleKind::Ping { .. } => "ping",
        }
    }

    /// Kinds whose condition is a moment (a log entry, a restart), not a state that holds.
    pub fn is_pulse(&self) -> bool {
        matches!(self, RuleKind::LogMatch { .. } | RuleKind::Reboot)
    }

    /// Kinds that watch one interface rather than the whole device.
    pub fn per_interface(&self) -> bool {
        matches!(self, RuleKind::InterfaceDown | RuleKind::Utilization { .. } | RuleKind::ErrorRate { .. })
    }
}

/// Which devices a rule (or a maintenance window) covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ScopeRecord", into = "ScopeRecord")]
pub enum Scope {
    All,
    Devices(Vec<DeviceId>),
    Tags(Vec<String>),
}

/// The wire and file shape of a [`Scope`]: exactly one of the three fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeRecord {
    /// `true`: every device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    /// These devices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    /// Devices carrying any of these tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

impl TryFrom<ScopeRecord> for Scope {
    type Error = InvalidField;
    fn try_from(record: ScopeRecord) -> Result<Scope, InvalidField> {
        let bad = |reason: &str| InvalidField { field: "scope", reason: reason.into() };
        match (record.all, record.device_ids, record.tags) {
            (Some(true), None, None) => Ok(Scope::All),
            (None, Some(ids), None) => {
                if ids.is_empty() || ids.len() > MAX_SCOPE_ITEMS {
                    return Err(bad("deviceIds must list 1 to 1000 device ids"));
                }
                let parsed: Option<Vec<DeviceId>> = ids.iter().map(|id| DeviceId::parse(id)).collect();
                parsed.map(Scope::Devices).ok_or_else(|| bad("deviceIds must be device ids (8 hex digits)"))
            }
            (None, None, Some(tags)) => {
                if tags.is_empty() || tags.len() > MAX_SCOPE_ITEMS || tags.iter().any(|t| t.is_empty() || t.len() > 64)
                {
                    return Err(bad("tags must list 1 to 1000 tags of 1 to 64 characters"));
                }
                Ok(Scope::Tags(tags))
            }
            _ => Err(bad(r#"must be {"all": true}, {"deviceIds": [...]} or {"tags": [...]}"#)),
        }
    }
}

impl From<Scope> for ScopeRecord {
    fn from(scope: Scope) -> ScopeRecord {
        match scope {
            Scope::All => ScopeRecord { all: Some(true), ..Default::default() },
            Scope::Devices(ids) => {
                ScopeRecord { device_ids: Some(ids.into_iter().map(|d| d.0).collect()), ..Default::default() }
            }
            Scope::Tags(tags) => ScopeRecord { tags: Some(tags), ..Default::default() },
        }
    }
}

impl Scope {
    /// Whether a device with these tags is covered.
    pub fn covers(&self, device: &DeviceId, tags: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Devices(ids) => ids.contains(device),
            Scope::Tags(wanted) => wanted.iter().any(|t| tags.contains(t)),
        }
    }
}

/// An alert rule as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    pub created_at: i64,
    #[serde(flatten)]
    pub kind: RuleKind,
    pub scope: Scope,
    pub settings: RuleSettings,
    pub channel_ids: Vec<ChannelId>,
}

/// A rule's timing: how long before it opens, how long before it resolves, flapping, reminders.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSettings {
    /// The condition holds this long before an incident opens (0: at once). Moments (log
    /// entries, restarts) open at once.
    pub for_secs: u32,
    /// The condition is false this long before the incident resolves (hysteresis).
    pub recovery_secs: u32,
    /// More than this many changes of the condition within `flapWindowMins` is flapping.
    pub flap_changes: u32,
    pub flap_window_mins: u32,
    /// A reminder every this many minutes while open and not acknowledged; 0: none.
    pub reminder_mins: u32,
    /// A disabled rule opens nothing (its open incidents resolve).
    pub enabled: bool,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            for_secs: 60,
            recovery_secs: 60,
            flap_changes: 4,
            flap_window_mins: 10,
            reminder_mins: 0,
            enabled: true,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

impl Rule {
    /// Checks every rule a rule must follow; the first broken one is reported, naming its field.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME_LEN {
            return Err(invalid("name", format!("must be 1 to {MAX_NAME_LEN} characters")));
        }
        free_text("name", &self.name)?;
        let s = &self.settings;
        for (field, secs) in [("forSecs", s.for_secs), ("recoverySecs", s.recovery_secs)] {
            if secs > MAX_DURATION_SECS {
                return Err(invalid(field, format!("must be at most {MAX_DURATION_SECS} (7 days)")));
            }
        }
        if !(1..=1000).contains(&s.flap_changes) {
            return Err(invalid("flapChanges", "must be between 1 and 1000"));
        }
        if !(1..=1440).contains(&s.flap_window_mins) {
            return Err(invalid("flapWindowMins", "must be between 1 and 1440"));
        }
        if s.reminder_mins > 10_080 {
            return Err(invalid("reminderMins", "must be at most 10080 (7 days)"));
        }
        if self.channel_ids.len() > 32 {
            return Err(invalid("channelIds", "must list at most 32 channels"));
        }
        match &self.kind {
            RuleKind::Utilization { threshold_percent: p } if !(p.is_finite() && *p > 0.0 && *p <= 100.0) => {
                Err(invalid("thresholdPercent", "must be above 0 and at most 100"))
            }
            RuleKind::ErrorRate { threshold_per_sec: r } if !(r.is_finite() && *r > 0.0) => {
                Err(invalid("thresholdPerSec", "must be a number above 0"))
            }
            RuleKind::LogMatch { max_severity: None, pattern: None } => {
                Err(invalid("pattern", "a log_match rule needs maxSeverity, pattern or both"))
            }
            RuleKind::LogMatch { pattern: Some(p), .. } => compile(p).map(|_| ()),
            RuleKind::Ping { loss_percent: None, rtt_avg_ms: None } => {
                Err(invalid("lossPercent", "a ping rule needs lossPercent, rttAvgMs or both"))
            }
            RuleKind::Ping { loss_percent: Some(p), .. } if !(p.is_finite() && *p > 0.0 && *p <= 100.0) => {
                Err(invalid("lossPercent", "must be above 0 and at most 100"))
            }
            RuleKind::Ping { rtt_avg_ms: Some(ms), .. } if !(ms.is_finite() && *ms > 0.0 && *ms <= 60_000.0) => {
                Err(invalid("rttAvgMs", "must be above 0 and at most 60000"))
            }
            _ => Ok(()),
        }
    }
}

/// Compiles a `log_match` pattern within the size limit.
pub fn compile(pattern: &str) -> Result<Regex, InvalidField> {
    if pattern.is_empty() || pattern.len() > MAX_PATTERN_LEN {
        return Err(invalid("pattern", format!("must be 1 to {MAX_PATTERN_LEN} bytes")));
    }
    RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| invalid("pattern", format!("is not a valid regular expression: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind) -> Rule {
        Rule {
            id: RuleId("0000000a".into()),
            name: "r".into(),
            created_at: 0,
            kind,
            scope: Scope::All,
            settings: RuleSettings::default(),
            channel_ids: vec![],
        }
    }

    #[test]
    fn scope_takes_exactly_one_form() {
        let parse = |text: &str| serde_json::from_str::<Scope>(text);
        assert_eq!(parse(r#"{"all": true}"#).unwrap(), Scope::All);
        assert_eq!(parse(r#"{"deviceIds": ["0000000b"]}"#).unwrap(), Scope::Devices(vec![DeviceId("0000000b".into())]));
        assert_eq!(parse(r#"{"tags": ["core"]}"#).unwrap(), Scope::Tags(vec!["core".into()]));
        assert!(parse(r#"{"all": true, "tags": ["core"]}"#).is_err());
        assert!(parse(r#"{"all": false}"#).is_err());
        assert!(parse(r#"{"deviceIds": ["nope"]}"#).is_err());
        assert!(parse(r#"{}"#).is_err());
    }

    #[test]
    fn scope_covers_by_id_and_tag() {
        let (a, b) = (DeviceId("0000000a".into()), DeviceId("0000000b".into()));
        assert!(Scope::All.covers(&a, &[]));
        assert!(Scope::Devices(vec![a.clone()]).covers(&a, &[]));
        assert!(!Scope::Devices(vec![a.clone()]).covers(&b, &[]));
        assert!(Scope::Tags(vec!["core".into()]).covers(&b, &["edge".into(), "core".into()]));
        assert!(!Scope::Tags(vec!["core".into()]).covers(&b, &["edge".into()]));
    }

    #[test]
    fn a_rule_round_trips_with_its_kind_fields_flat() {
        let r = rule(RuleKind::Utilization { threshold_percent: 80.0 });
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""kind":"utilization","thresholdPercent":80.0"#), "{text}");
        assert_eq!(serde_json::from_str::<Rule>(&text).unwrap(), r);
    }

    #[test]
    fn validation_names_the_field() {
        let field = |kind| rule(kind).validate().unwrap_err().field;
        assert_eq!(field(RuleKind::Utilization { threshold_percent: 120.0 }), "thresholdPercent");
        assert_eq!(field(RuleKind::ErrorRate { threshold_per_sec: 0.0 }), "thresholdPerSec");
        assert_eq!(field(RuleKind::LogMatch { max_severity: None, pattern: None }), "pattern");
        assert_eq!(field(RuleKind::LogMatch { max_severity: None, pattern: Some("(".into()) }), "pattern");
        // A pattern whose program passes the size limit is refused, not compiled.
        assert_eq!(
            field(RuleKind::LogMatch { max_severity: None, pattern: Some(r"\w{1000}\w{1000}".into()) }),
            "pattern"
        );
        let ping = |loss, rtt| RuleKind::Ping { loss_percent: loss, rtt_avg_ms: rtt };
        assert_eq!(field(ping(None, None)), "lossPercent");
        assert_eq!(field(ping(Some(0.0), None)), "lossPercent");
        assert_eq!(field(ping(Some(101.0), Some(5.0))), "lossPercent");
        assert_eq!(field(ping(None, Some(f64::NAN))), "rttAvgMs");
        assert!(rule(ping(Some(50.0), None)).validate().is_ok());
        assert!(rule(ping(None, Some(150.0))).validate().is_ok());
        assert!(rule(RuleKind::LogMatch { max_severity: Some(Severity::Error), pattern: Some("LINK-3".into()) })
            .validate()
            .is_ok());
    }
}
