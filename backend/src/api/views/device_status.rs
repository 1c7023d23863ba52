//! A device's state on the wire: the four states with their reason, the last echo round, and
//! availability figures.

use serde::Serialize;
use utoipa::ToSchema;

use crate::device::{DeviceState, DeviceStatus, EchoStatus};
use crate::store::state_history::Availability;
use crate::store::Latency;

/// `up`: SNMP answers. `snmp_down`: echo replies but SNMP is silent (agent dead, wrong
/// credentials, ACL). `unreachable`: no echo reply and no SNMP answer, or SNMP silent with ICMP
/// not checked (ping off or unavailable), or the parent is unreachable. `unknown`: not seen yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "up")]
pub enum StateView {
    Up,
    SnmpDown,
    Unreachable,
    Unknown,
}

impl StateView {
    pub const ALL: [StateView; 4] = [StateView::Up, StateView::SnmpDown, StateView::Unreachable, StateView::Unknown];
}

impl From<DeviceState> for StateView {
    fn from(state: DeviceState) -> Self {
        match state {
            DeviceState::Up => StateView::Up,
            DeviceState::SnmpDown => StateView::SnmpDown,
            DeviceState::Unreachable => StateView::Unreachable,
            DeviceState::Unknown => StateView::Unknown,
        }
    }
}

/// The last round of ICMP echo requests to the device.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EchoView {
    /// Unix seconds when the round ended.
    #[schema(example = 1764075060)]
    pub at: i64,
    #[schema(example = 3)]
    pub sent: u16,
    #[schema(example = 3)]
    pub received: u16,
    /// Average round-trip time of the replies, in milliseconds; null when none came.
    #[schema(example = 0.42)]
    pub rtt_avg_ms: Option<f64>,
    /// Why echoes could not be sent (not a plain timeout).
    #[schema(example = json!(null))]
    pub error: Option<String>,
}

impl From<&EchoStatus> for EchoView {
    fn from(e: &EchoStatus) -> Self {
        EchoView { at: e.at, sent: e.sent, received: e.received, rtt_avg_ms: e.rtt_avg_ms, error: e.error.clone() }
    }
}

/// A device's health as Vigie sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub state: StateView,
    /// Unix seconds when `state` last changed; null before anything was seen.
    #[schema(example = 1764075000)]
    pub since: Option<i64>,
    /// Why the device is in this state, e.g. "no echo reply (3 sent) and no SNMP answer (…)";
    /// null when up.
    #[schema(example = json!(null))]
    pub reason: Option<String>,
    /// Set when the device is unreachable because this parent is (its alerts are suppressed).
    #[schema(example = json!(null))]
    pub behind_parent_id: Option<String>,
    /// Unix seconds of the last poll, answered or not.
    #[schema(example = 1764075060)]
    pub last_poll_at: Option<i64>,
    /// Why the last poll failed; null when it answered.
    #[schema(example = json!(null))]
    pub last_error: Option<String>,
    /// Polls failed in a row.
    #[schema(example = 0)]
    pub consecutive_failures: u32,
    /// How long the last poll took, in milliseconds.
    #[schema(example = 12)]
    pub last_poll_duration_ms: Option<u64>,
    /// The last echo round; null when the device is not pinged.
    pub echo: Option<EchoView>,
}

impl From<&DeviceStatus> for StatusView {
    fn from(s: &DeviceStatus) -> Self {
        StatusView {
            state: StateView::from(s.state),
            since: s.since,
            reason: s.reason.clone(),
            behind_parent_id: s.behind_parent_id.as_ref().map(|p| p.0.clone()),
            last_poll_at: s.last_poll_at,
            last_error: s.last_error.clone(),
            consecutive_failures: s.consecutive_failures,
            last_poll_duration_ms: s.last_poll_duration_ms,
            echo: s.echo.as_ref().map(EchoView::from),
        }
    }
}

/// Percent of the known time the device was `up` over the last 24 h, 7 d, 30 d and 365 d.
/// Time in `unknown` (Vigie stopped, not polled yet) is left out; null when a window holds no
/// known time.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityView {
    #[schema(example = 99.93)]
    pub day: Option<f64>,
    #[schema(example = 99.99)]
    pub week: Option<f64>,
    #[schema(example = 99.99)]
    pub month: Option<f64>,
    #[schema(example = 99.98)]
    pub year: Option<f64>,
}

impl From<Availability> for AvailabilityView {
    fn from(a: Availability) -> Self {
        AvailabilityView { day: a.day, week: a.week, month: a.month, year: a.year }
    }
}

/// A device's ICMP latency over a window.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatencyView {
    /// Seconds per point.
    #[schema(example = 60)]
    pub step_secs: i64,
    pub points: Vec<LatencyPointView>,
}

/// Loss and round-trip times over one step; all null for a gap (no round in the step), the
/// times null when every echo was lost.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatencyPointView {
    /// Start of the step, Unix seconds.
    #[schema(example = 1764075000)]
    pub timestamp: i64,
    /// Echo requests lost in the step, percent.
    #[schema(example = 0.0)]
    pub loss_percent: Option<f64>,
    /// Lowest round-trip time in the step, milliseconds.
    #[schema(example = 0.31)]
    pub rtt_min_ms: Option<f64>,
    /// Average round-trip time of the replies, milliseconds.
    #[schema(example = 0.42)]
    pub rtt_avg_ms: Option<f64>,
    /// Highest round-trip time, milliseconds.
    #[schema(example = 0.95)]
    pub rtt_max_ms: Option<f64>,
}

impl From<Latency> for LatencyView {
    fn from(l: Latency) -> Self {
        LatencyView {
            step_secs: l.step_secs,
            points: l
                .points
                .into_iter()
                .map(|p| LatencyPointView {
                    timestamp: p.timestamp,
                    loss_percent: p.loss_percent,
                    rtt_min_ms: p.rtt_min_ms,
                    rtt_avg_ms: p.rtt_avg_ms,
                    rtt_max_ms: p.rtt_max_ms,
                })
                .collect(),
        }
    }
}
