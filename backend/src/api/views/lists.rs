//! The paged lists on the wire: the fleet's device page and its summary, device names, and one
//! device's interface page, with the query parameters that filter, sort and page them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{DeviceView, IncidentView, InterfaceView, StateView};

/// The device page's filters, order and window.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DevicePageQuery {
    /// Devices to skip; default 0.
    #[param(example = 0, minimum = 0, maximum = 2147483647)]
    pub offset: Option<usize>,
    /// Devices to return, 1 to 1000; default 100.
    #[param(example = 50, minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Order: `problems` (default: unreachable, snmp_down, unknown, then up; by name within
    /// each), `name`, `host`, `state`, `since`, `availability` (last day), `inBps`, `outBps`,
    /// `interfaces`. Ties are broken by name, then id.
    #[param(inline)]
    pub sort: Option<DeviceSort>,
    /// `asc` (default) or `desc`.
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// Case-insensitive substring of the name, host or a tag.
    #[param(example = "sw01", max_length = 200)]
    pub q: Option<String>,
    /// Only the devices in these states, comma-separated; the per-state counts ignore it.
    #[param(value_type = Option<Vec<StateView>>, style = Form, explode = false, min_items = 1, example = json!(["unreachable", "snmp_down"]))]
    pub state: Option<String>,
    /// Only the devices with this tag.
    #[param(example = "core")]
    pub tag: Option<String>,
}

/// How the device page is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DeviceSort {
    #[default]
    Problems,
    Name,
    Host,
    State,
    Since,
    Availability,
    InBps,
    OutBps,
    Interfaces,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// Devices per state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    #[schema(example = 1990)]
    pub up: usize,
    #[schema(example = 3)]
    pub snmp_down: usize,
    #[schema(example = 5)]
    pub unreachable: usize,
    #[schema(example = 2)]
    pub unknown: usize,
}

/// One window of the device list, with how many devices match.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DevicePage {
    /// Devices matching every filter.
    #[schema(example = 2001)]
    pub total: usize,
    /// Devices matching `q` and `tag` per state (the `state` filter left out), for the filter chips.
    pub counts: StateCounts,
    /// The offset asked for.
    #[schema(example = 0)]
    pub offset: usize,
    /// The limit applied.
    #[schema(example = 50)]
    pub limit: usize,
    /// At most `limit` devices from `offset`, in the order asked for.
    pub items: Vec<DeviceView>,
}

/// A device's id and name (the Logs page's device picker).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceName {
    #[schema(example = "3f9a2c1b")]
    pub id: String,
    #[schema(example = "core-sw1")]
    pub name: String,
}

/// The overview header: the fleet at a glance.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    /// Devices supervised.
    #[schema(example = 2001)]
    pub devices: usize,
    /// Devices per state.
    pub counts: StateCounts,
    /// Interfaces known, across the fleet.
    #[schema(example = 100048)]
    pub interfaces: usize,
    /// The busiest interfaces by utilisation (at most 10), busiest first.
    pub top_interfaces: Vec<TopInterface>,
    /// Incidents open now.
    #[schema(example = 3)]
    pub open_incidents: usize,
    /// The latest incidents (at most 5): open ones first, newest first; `deliveries` empty.
    pub recent_incidents: Vec<IncidentView>,
}

/// One busy interface in the summary.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopInterface {
    #[schema(example = "3f9a2c1b")]
    pub device_id: String,
    #[schema(example = "core-sw1")]
    pub device_name: String,
    #[schema(example = 3)]
    pub if_index: u32,
    /// ifName, else ifDescr.
    #[schema(example = "Gi0/3")]
    pub name: String,
    /// Inbound rate as a share of the speed, 0 to 100.
    #[schema(example = 87.5)]
    pub in_percent: f64,
    /// Outbound rate as a share of the speed, 0 to 100.
    #[schema(example = 12.0)]
    pub out_percent: f64,
}

/// The interface page's filters, order and window.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InterfacePageQuery {
    /// Interfaces to skip; default 0.
    #[param(example = 0, minimum = 0, maximum = 2147483647)]
    pub offset: Option<usize>,
    /// Interfaces to return, 1 to 1000; default 100.
    #[param(example = 50, minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Order: `ifIndex` (default), `name`, `operStatus` (down first), `inBps`, `outBps`,
    /// `utilization`, `speed`. Ties are broken by ifIndex.
    #[param(inline)]
    pub sort: Option<InterfaceSort>,
    /// `asc` (default) or `desc`.
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// Case-insensitive substring of ifName, ifDescr or ifAlias.
    #[param(example = "ge-0/0/12", max_length = 200)]
    pub q: Option<String>,
    /// Only the interfaces whose ifOperStatus is this (`up`, `down` or `other`); the counts ignore it.
    #[param(inline)]
    pub oper: Option<OperFilter>,
}

/// How the interface page is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum InterfaceSort {
    #[default]
    IfIndex,
    Name,
    OperStatus,
    InBps,
    OutBps,
    Utilization,
    Speed,
}

/// An ifOperStatus class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OperFilter {
    Up,
    Down,
    /// Any status but up and down.
    Other,
}

/// Interfaces per ifOperStatus class.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperCounts {
    #[schema(example = 3120)]
    pub up: usize,
    #[schema(example = 870)]
    pub down: usize,
    #[schema(example = 10)]
    pub other: usize,
}

/// One window of a device's interfaces, with how many match.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterfacePage {
    /// Interfaces matching every filter.
    #[schema(example = 4000)]
    pub total: usize,
    /// Interfaces matching `q` per oper status (the `oper` filter left out).
    pub counts: OperCounts,
    #[schema(example = 0)]
    pub offset: usize,
    #[schema(example = 50)]
    pub limit: usize,
    pub items: Vec<InterfaceView>,
}
