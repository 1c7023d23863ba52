//! The server-sent events on the wire.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{DeviceTotalsView, IncidentView, LogEntryView, StatusView};

/// Filter of the event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this device's events; default: every device.
    #[param(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    /// Only these kinds, comma-separated: `sample`, `device`, `status`, `log`, `alert`; default:
    /// all. The overview's rows need `device,status,alert` only: `sample` carries every interface.
    #[param(value_type = Option<Vec<EventKind>>, style = Form, explode = false, min_items = 1, example = json!(["status", "log"]))]
    pub types: Option<String>,
}

/// A kind of event in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Sample,
    Device,
    Status,
    Log,
    Alert,
}

/// `event: sample`: the rates one poll of one device measured, each interface's and the
/// device's totals (the fields of a DeviceEvent).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleEvent {
    pub interfaces: Vec<SampleRateView>,
    #[serde(flatten)]
    pub totals: DeviceEvent,
}

/// `event: device`: a device's row after a poll that answered (also the tail of a SampleEvent):
/// a list patches that row with it, no refetch.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEvent {
    /// The device polled.
    #[schema(example = "3f9a2c1b")]
    pub device_id: String,
    /// When the answer arrived, Unix seconds (the row's `status.lastPollAt`).
    #[schema(example = 1764075060)]
    pub timestamp: i64,
    #[serde(flatten)]
    pub totals: DeviceTotalsView,
}

impl DeviceEvent {
    pub fn new(device_id: &crate::device::DeviceId, timestamp: i64, totals: &crate::store::DeviceTotals) -> Self {
        DeviceEvent { device_id: device_id.0.clone(), timestamp, totals: DeviceTotalsView::from(totals) }
    }
}

/// One interface's rates in a [`SampleEvent`].
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleRateView {
    /// ifIndex.
    #[schema(example = 3)]
    pub if_index: u32,
    /// Inbound bits per second since the previous poll; null for a gap.
    #[schema(example = 125000.0)]
    pub in_bps: Option<f64>,
    /// Outbound bits per second; null for a gap.
    #[schema(example = 83000.0)]
    pub out_bps: Option<f64>,
}

impl SampleEvent {
    pub fn new(
        device_id: &crate::device::DeviceId,
        timestamp: i64,
        rates: &[(u32, Option<f64>, Option<f64>)],
        totals: &crate::store::DeviceTotals,
    ) -> Self {
        SampleEvent {
            interfaces: rates
                .iter()
                .map(|&(if_index, in_bps, out_bps)| SampleRateView { if_index, in_bps, out_bps })
                .collect(),
            totals: DeviceEvent::new(device_id, timestamp, totals),
        }
    }
}

/// `event: status`: a device went up or down.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    /// The device.
    #[schema(example = "3f9a2c1b")]
    pub device_id: String,
    pub status: StatusView,
}

/// The `data:` of one event: a SampleEvent (`event: sample`), a DeviceEvent (`event: device`), a StatusEvent (`event: status`)
/// a LogEntryView (`event: log`) or an IncidentView (`event: alert`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Sample(SampleEvent),
    Device(DeviceEvent),
    Status(StatusEvent),
    Log(LogEntryView),
    Alert(IncidentView),
}
