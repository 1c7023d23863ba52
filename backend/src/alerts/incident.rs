//! What an incident is: one rule's condition on one device (or one of its interfaces), from the
//! moment it opens to the moment it resolves, and what was done about it.

use serde::{Deserialize, Serialize};

use super::rule::RuleId;
use crate::device::DeviceId;

/// An incident's id: 12 hex digits, never reused in practice.
pub fn new_incident_id() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IncidentState {
    Open,
    Resolved,
}

/// An incident as stored and served (the API adds its deliveries).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: String,
    pub rule_id: RuleId,
    pub rule_name: String,
    /// The rule's kind, e.g. `device_unreachable`.
    pub kind: String,
    pub device_id: DeviceId,
    pub device_name: String,
    /// The interface, for interface rules.
    pub if_index: Option<u32>,
    pub state: IncidentState,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
    /// The condition changed more than the rule's `flapChanges` within its window.
    pub flapping: bool,
    pub acknowledged: bool,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    /// A maintenance window covered the device while the incident was open.
    pub in_maintenance: bool,
    /// Why nobody was told: the parent it is behind, e.g. "behind core-sw1".
    pub suppressed_by: Option<String>,
    /// One line for humans, as of the last change.
    pub summary: String,
    /// When the last notification (open or reminder) was queued.
    pub last_notified_at: Option<i64>,
    /// Whether "open" was sent; "resolved" is sent only after an "open".
    pub notified: bool,
}

impl Incident {
    /// The incident as a JSON object (what notifications carry).
    pub fn to_json_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}
