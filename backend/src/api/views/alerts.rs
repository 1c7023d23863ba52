//! Alert rules, incidents and maintenance windows on the wire. A rule is flat: its kind's
//! fields (`thresholdPercent`, `thresholdPerSec`, `maxSeverity`, `pattern`, `lossPercent`,
//! `rttAvgMs`) sit beside the
//! common ones.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::DeliveryView;
use crate::alerts::incident::{Incident, IncidentState};
use crate::alerts::maintenance::{Schedule, Window, WindowId};
use crate::alerts::rule::{Rule, RuleId, RuleKind, RuleSettings, Scope, ScopeRecord};
use crate::device::InvalidField;
use crate::notify::{ChannelId, Delivery};
use crate::store::logs::Severity;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertRuleKind {
    DeviceUnreachable,
    DeviceSnmpDown,
    InterfaceDown,
    Utilization,
    ErrorRate,
    LogMatch,
    Reboot,
    Ping,
}

/// An alert rule.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRuleView {
    #[schema(example = "1a2b3c4d")]
    pub id: String,
    #[schema(example = "Uplinks busy")]
    pub name: String,
    pub kind: AlertRuleKind,
    /// Unix seconds.
    pub created_at: i64,
    pub scope: ScopeRecord,
    /// The channels told of its incidents.
    pub channel_ids: Vec<String>,
    /// The condition holds this long before an incident opens (moments open at once).
    #[schema(example = 120)]
    pub for_secs: u32,
    /// The condition is false this long before the incident resolves.
    #[schema(example = 60)]
    pub recovery_secs: u32,
    /// More than this many changes within `flapWindowMins` is flapping (one incident, marked).
    #[schema(example = 4)]
    pub flap_changes: u32,
    #[schema(example = 10)]
    pub flap_window_mins: u32,
    /// A reminder every this many minutes until acknowledged or resolved; 0: none.
    #[schema(example = 0)]
    pub reminder_mins: u32,
    pub enabled: bool,
    /// `utilization`: in or out traffic at least this percentage of the interface's speed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<f64>,
    /// `error_rate`: in or out errors or discards per second, at least.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_per_sec: Option<f64>,
    /// `log_match`: entries at least this severe (0 emergency … 7 debug).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_severity: Option<u8>,
    /// `log_match`: a regular expression (Rust `regex` syntax) the message must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `ping`: an echo round losing at least this percentage of its echoes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_percent: Option<f64>,
    /// `ping`: an echo round whose average round-trip time is at least this, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_avg_ms: Option<f64>,
}

impl From<&Rule> for AlertRuleView {
    fn from(rule: &Rule) -> Self {
        let s = rule.settings;
        let mut view = AlertRuleView {
            id: rule.id.0.clone(),
            name: rule.name.clone(),
            kind: kind_name(&rule.kind),
            created_at: rule.created_at,
            scope: rule.scope.clone().into(),
            channel_ids: rule.channel_ids.iter().map(|c| c.0.clone()).collect(),
            for_secs: s.for_secs,
            recovery_secs: s.recovery_secs,
            flap_changes: s.flap_changes,
            flap_window_mins: s.flap_window_mins,
            reminder_mins: s.reminder_mins,
            enabled: s.enabled,
            threshold_percent: None,
            threshold_per_sec: None,
            max_severity: None,
            pattern: None,
            loss_percent: None,
            rtt_avg_ms: None,
        };
        match &rule.kind {
            RuleKind::Utilization { threshold_percent } => view.threshold_percent = Some(*threshold_percent),
            RuleKind::ErrorRate { threshold_per_sec } => view.threshold_per_sec = Some(*threshold_per_sec),
            RuleKind::LogMatch { max_severity, pattern } => {
                view.max_severity = max_severity.map(Severity::code);
                view.pattern = pattern.clone();
            }
            RuleKind::Ping { loss_percent, rtt_avg_ms } => {
                view.loss_percent = *loss_percent;
                view.rtt_avg_ms = *rtt_avg_ms;
            }
            _ => {}
        }
        view
    }
}

fn kind_name(kind: &RuleKind) -> AlertRuleKind {
    match kind {
        RuleKind::DeviceUnreachable => AlertRuleKind::DeviceUnreachable,
        RuleKind::DeviceSnmpDown => AlertRuleKind::DeviceSnmpDown,
        RuleKind::InterfaceDown => AlertRuleKind::InterfaceDown,
        RuleKind::Utilization { .. } => AlertRuleKind::Utilization,
        RuleKind::ErrorRate { .. } => AlertRuleKind::ErrorRate,
        RuleKind::LogMatch { .. } => AlertRuleKind::LogMatch,
        RuleKind::Reboot => AlertRuleKind::Reboot,
        RuleKind::Ping { .. } => AlertRuleKind::Ping,
    }
}

/// A rule to add (`name`, `kind`, `scope` required) or the fields to change (kind cannot).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertRuleBody {
    #[schema(example = "Uplinks busy")]
    pub name: Option<String>,
    pub kind: Option<AlertRuleKind>,
    pub scope: Option<ScopeRecord>,
    #[schema(example = json!(["5e1f0a2b"]))]
    pub channel_ids: Option<Vec<String>>,
    /// Default 60.
    #[schema(example = 120)]
    pub for_secs: Option<u32>,
    /// Default 60.
    pub recovery_secs: Option<u32>,
    /// Default 4.
    pub flap_changes: Option<u32>,
    /// Default 10.
    pub flap_window_mins: Option<u32>,
    /// Default 0 (no reminders).
    pub reminder_mins: Option<u32>,
    /// Default true.
    pub enabled: Option<bool>,
    #[schema(example = 80.0)]
    pub threshold_percent: Option<f64>,
    pub threshold_per_sec: Option<f64>,
    /// 0 (emergency) to 7 (debug).
    #[schema(minimum = 0, maximum = 7)]
    pub max_severity: Option<u8>,
    pub pattern: Option<String>,
    /// `ping`: 0 exclusive to 100.
    #[schema(example = 50.0)]
    pub loss_percent: Option<f64>,
    /// `ping`: milliseconds, 0 exclusive to 60000.
    pub rtt_avg_ms: Option<f64>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

impl AlertRuleBody {
    /// The rule to add (id and creation time are set by alerting).
    pub fn into_new(self) -> Result<Rule, InvalidField> {
        let kind = self.kind.ok_or_else(|| invalid("kind", "is required"))?;
        let scope = self.scope.clone().ok_or_else(|| invalid("scope", r#"is required, e.g. {"all": true}"#))?;
        let name = self.name.clone().ok_or_else(|| invalid("name", "is required"))?;
        let mut rule = Rule {
            id: RuleId(String::new()),
            name,
            created_at: 0,
            kind: self.kind_with_fields(kind, None)?,
            scope: Scope::try_from(scope)?,
            settings: RuleSettings::default(),
            channel_ids: Vec::new(),
        };
        self.apply(&mut rule)?;
        Ok(rule)
    }

    /// Changes `rule` with the fields given.
    pub fn apply(self, rule: &mut Rule) -> Result<(), InvalidField> {
        if self.kind.is_some_and(|k| k != kind_name(&rule.kind)) {
            return Err(invalid("kind", "cannot change: remove the rule and add another"));
        }
        rule.kind = self.kind_with_fields(kind_name(&rule.kind), Some(&rule.kind))?;
        if let Some(name) = self.name {
            rule.name = name;
        }
        if let Some(scope) = self.scope {
            rule.scope = Scope::try_from(scope)?;
        }
        if let Some(ids) = self.channel_ids {
            let parsed: Option<Vec<ChannelId>> = ids.iter().map(|id| ChannelId::parse(id)).collect();
            rule.channel_ids = parsed.ok_or_else(|| invalid("channelIds", "must be channel ids (8 hex digits)"))?;
        }
        let s = &mut rule.settings;
        s.for_secs = self.for_secs.unwrap_or(s.for_secs);
        s.recovery_secs = self.recovery_secs.unwrap_or(s.recovery_secs);
        s.flap_changes = self.flap_changes.unwrap_or(s.flap_changes);
        s.flap_window_mins = self.flap_window_mins.unwrap_or(s.flap_window_mins);
        s.reminder_mins = self.reminder_mins.unwrap_or(s.reminder_mins);
        s.enabled = self.enabled.unwrap_or(s.enabled);
        Ok(())
    }

    /// The kind with its fields: those given, else the current ones; fields of another kind
    /// are refused.
    fn kind_with_fields(&self, kind: AlertRuleKind, current: Option<&RuleKind>) -> Result<RuleKind, InvalidField> {
        let given = [
            ("thresholdPercent", self.threshold_percent.is_some(), AlertRuleKind::Utilization),
            ("thresholdPerSec", self.threshold_per_sec.is_some(), AlertRuleKind::ErrorRate),
            ("maxSeverity", self.max_severity.is_some(), AlertRuleKind::LogMatch),
            ("pattern", self.pattern.is_some(), AlertRuleKind::LogMatch),
            ("lossPercent", self.loss_percent.is_some(), AlertRuleKind::Ping),
            ("rttAvgMs", self.rtt_avg_ms.is_some(), AlertRuleKind::Ping),
        ];
        if let Some((field, _, _)) = given.iter().find(|(_, set, owner)| *set && *owner != kind) {
            return Err(invalid(field, "is not a field of this kind of rule"));
        }
        Ok(match (kind, current) {
            (AlertRuleKind::DeviceUnreachable, _) => RuleKind::DeviceUnreachable,
            (AlertRuleKind::DeviceSnmpDown, _) => RuleKind::DeviceSnmpDown,
            (AlertRuleKind::InterfaceDown, _) => RuleKind::InterfaceDown,
            (AlertRuleKind::Reboot, _) => RuleKind::Reboot,
            (AlertRuleKind::Utilization, current) => {
                let old = match current {
                    Some(RuleKind::Utilization { threshold_percent }) => Some(*threshold_percent),
                    _ => None,
                };
                let p = self.threshold_percent.or(old).ok_or_else(|| invalid("thresholdPercent", "is required"))?;
                RuleKind::Utilization { threshold_percent: p }
            }
            (AlertRuleKind::ErrorRate, current) => {
                let old = match current {
                    Some(RuleKind::ErrorRate { threshold_per_sec }) => Some(*threshold_per_sec),
                    _ => None,
                };
                let r = self.threshold_per_sec.or(old).ok_or_else(|| invalid("thresholdPerSec", "is required"))?;
                RuleKind::ErrorRate { threshold_per_sec: r }
            }
            (AlertRuleKind::LogMatch, current) => {
                let (old_severity, old_pattern) = match current {
                    Some(RuleKind::LogMatch { max_severity, pattern }) => (*max_severity, pattern.clone()),
                    _ => (None, None),
                };
                let max_severity = match self.max_severity {
                    Some(code) => {
                        Some(Severity::from_code(code).ok_or_else(|| invalid("maxSeverity", "must be 0 to 7"))?)
                    }
                    None => old_severity,
                };
                RuleKind::LogMatch { max_severity, pattern: self.pattern.clone().or(old_pattern) }
            }
            (AlertRuleKind::Ping, current) => {
                let (old_loss, old_rtt) = match current {
                    Some(RuleKind::Ping { loss_percent, rtt_avg_ms }) => (*loss_percent, *rtt_avg_ms),
                    _ => (None, None),
                };
                RuleKind::Ping { loss_percent: self.loss_percent.or(old_loss), rtt_avg_ms: self.rtt_avg_ms.or(old_rtt) }
            }
        })
    }
}

/// An incident: one rule's condition on one device (or interface), from open to resolved.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentView {
    #[schema(example = "0a1b2c3d4e5f")]
    pub id: String,
    #[schema(example = "1a2b3c4d")]
    pub rule_id: String,
    #[schema(example = "Core down")]
    pub rule_name: String,
    pub kind: AlertRuleKind,
    #[schema(example = "3f9a2c1b")]
    pub device_id: String,
    #[schema(example = "core-sw1")]
    pub device_name: String,
    /// The interface, for interface rules.
    #[schema(required = true, example = json!(null))]
    pub if_index: Option<u32>,
    pub state: IncidentState,
    /// Unix seconds.
    pub opened_at: i64,
    #[schema(required = true, example = json!(null))]
    pub resolved_at: Option<i64>,
    /// The condition changed more than the rule's `flapChanges` in its window; held as this one incident.
    pub flapping: bool,
    pub acknowledged: bool,
    /// Who acknowledged (`user alice`, `token ci`).
    #[schema(required = true, example = json!(null))]
    pub acknowledged_by: Option<String>,
    #[schema(required = true, example = json!(null))]
    pub acknowledged_at: Option<i64>,
    /// A maintenance window covered the device while it was open.
    pub in_maintenance: bool,
    /// Why nobody was told, e.g. "behind core-sw1"; null when they were.
    #[schema(required = true, example = json!(null))]
    pub suppressed_by: Option<String>,
    #[schema(example = "core-sw1 is unreachable")]
    pub summary: String,
    /// Each notification's delivery to each channel, with its attempts.
    pub deliveries: Vec<DeliveryView>,
}

impl IncidentView {
    pub fn new(incident: Incident, deliveries: Vec<Delivery>) -> IncidentView {
        let kind = serde_json::from_value(serde_json::Value::String(incident.kind.clone()))
            .unwrap_or(AlertRuleKind::DeviceUnreachable);
        IncidentView {
            id: incident.id,
            rule_id: incident.rule_id.0,
            rule_name: incident.rule_name,
            kind,
            device_id: incident.device_id.0,
            device_name: incident.device_name,
            if_index: incident.if_index,
            state: incident.state,
            opened_at: incident.opened_at,
            resolved_at: incident.resolved_at,
            flapping: incident.flapping,
            acknowledged: incident.acknowledged,
            acknowledged_by: incident.acknowledged_by,
            acknowledged_at: incident.acknowledged_at,
            in_maintenance: incident.in_maintenance,
            suppressed_by: incident.suppressed_by,
            summary: incident.summary,
            deliveries: deliveries.into_iter().map(DeliveryView::from).collect(),
        }
    }
}

/// Filters of the incident list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// `open` or `resolved`; default both (open first).
    pub state: Option<IncidentState>,
    #[param(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    #[param(example = "1a2b3c4d")]
    pub rule_id: Option<String>,
    /// Opened at or after, Unix seconds.
    pub from: Option<i64>,
    /// Opened before, Unix seconds.
    pub to: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A maintenance window: while active, incidents of the devices it covers are marked and
/// nobody is told of them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindowView {
    #[schema(example = "7b8c9d0e")]
    pub id: String,
    #[schema(example = "Saturday night upgrades")]
    pub name: String,
    pub created_at: i64,
    pub scope: ScopeRecord,
    pub schedule: Schedule,
    /// Whether it is active now.
    pub active: bool,
}

impl MaintenanceWindowView {
    pub fn new(window: &Window, now: i64) -> Self {
        MaintenanceWindowView {
            id: window.id.0.clone(),
            name: window.name.clone(),
            created_at: window.created_at,
            scope: window.scope.clone().into(),
            schedule: window.schedule.clone(),
            active: window.active_at(now),
        }
    }
}

/// A window to add (every field required) or the fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindowBody {
    #[schema(example = "Saturday night upgrades")]
    pub name: Option<String>,
    pub scope: Option<ScopeRecord>,
    pub schedule: Option<Schedule>,
}

impl MaintenanceWindowBody {
    pub fn into_new(self) -> Result<Window, InvalidField> {
        Ok(Window {
            id: WindowId(String::new()),
            name: self.name.ok_or_else(|| invalid("name", "is required"))?,
            created_at: 0,
            scope: Scope::try_from(self.scope.ok_or_else(|| invalid("scope", r#"is required, e.g. {"all": true}"#))?)?,
            schedule: self.schedule.ok_or_else(|| invalid("schedule", "is required"))?,
        })
    }

    pub fn apply(self, window: &mut Window) -> Result<(), InvalidField> {
        if let Some(name) = self.name {
            window.name = name;
        }
        if let Some(scope) = self.scope {
            window.scope = Scope::try_from(scope)?;
        }
        if let Some(schedule) = self.schedule {
            window.schedule = schedule;
        }
        Ok(())
    }
}
