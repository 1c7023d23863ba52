//! Interfaces, their traffic and their raw counters on the wire.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::{CounterPoint, InterfaceLive, Traffic};

/// An interface from IF-MIB with its latest counters and rates.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterfaceView {
    /// ifIndex.
    #[schema(example = 3)]
    pub if_index: u32,
    /// ifName.
    #[schema(example = "Gi0/3")]
    pub if_name: String,
    /// ifDescr.
    #[schema(example = "GigabitEthernet0/3")]
    pub if_descr: String,
    /// ifAlias (the description an admin set).
    #[schema(example = "uplink to core-sw2")]
    pub if_alias: String,
    /// ifType (IANAifType number; 6 is ethernetCsmacd).
    #[schema(example = 6)]
    pub if_type: i64,
    /// Speed in bits per second from ifHighSpeed, else ifSpeed; null when unknown.
    #[schema(example = 1000000000)]
    pub speed_bps: Option<u64>,
    /// ifAdminStatus: up, down, testing.
    #[schema(example = "up")]
    pub admin_status: String,
    /// ifOperStatus: up, down, testing, unknown, dormant, notPresent, lowerLayerDown.
    #[schema(example = "up")]
    pub oper_status: String,
    /// Latest inbound octet counter (64-bit ifHCInOctets, or 32-bit ifInOctets where
    /// `counterBits` is 32).
    #[serde(rename = "ifHCInOctets")]
    #[schema(example = 762889)]
    pub if_hc_in_octets: Option<u64>,
    /// Latest outbound octet counter.
    #[serde(rename = "ifHCOutOctets")]
    #[schema(example = 424413)]
    pub if_hc_out_octets: Option<u64>,
    /// Latest inbound rate, bits per second; null until two polls, and after a reboot.
    #[schema(example = 125000.0)]
    pub in_bps: Option<f64>,
    /// Latest outbound rate, bits per second.
    #[schema(example = 83000.0)]
    pub out_bps: Option<f64>,
    /// max(inBps, outBps) / speed, 0 to 1; null when the speed or the rates are unknown.
    #[schema(example = 0.000125)]
    pub utilization: Option<f64>,
    /// Inbound errors per second.
    #[schema(example = 0.0)]
    pub in_errors_per_sec: Option<f64>,
    /// Outbound errors per second.
    #[schema(example = 0.0)]
    pub out_errors_per_sec: Option<f64>,
    /// Inbound discards per second.
    #[schema(example = 0.0)]
    pub in_discards_per_sec: Option<f64>,
    /// Outbound discards per second.
    #[schema(example = 0.0)]
    pub out_discards_per_sec: Option<f64>,
    /// Width of the octet counters: 64 or 32.
    #[schema(example = 64)]
    pub counter_bits: Option<u8>,
    /// Unix seconds of the latest sample.
    #[schema(example = 1764075060)]
    pub last_sample_at: Option<i64>,
}

impl InterfaceView {
    /// The busier direction over the speed, capped at 1; None without a speed or both rates.
    pub fn utilization(speed_bps: Option<u64>, in_bps: Option<f64>, out_bps: Option<f64>) -> Option<f64> {
        match (speed_bps, in_bps, out_bps) {
            (Some(speed), Some(a), Some(b)) if speed > 0 => Some((a.max(b) / speed as f64).min(1.0)),
            _ => None,
        }
    }
}

impl From<&InterfaceLive> for InterfaceView {
    fn from(i: &InterfaceLive) -> Self {
        let info = &i.info;
        let latest = i.latest.as_ref();
        let reading = latest.map(|l| &l.reading);
        let utilization = InterfaceView::utilization(
            info.speed_bps,
            reading.and_then(|r| r.in_bps.get()),
            reading.and_then(|r| r.out_bps.get()),
        );
        InterfaceView {
            if_index: info.if_index,
            if_name: info.if_name().to_string(),
            if_descr: info.if_descr().to_string(),
            if_alias: info.if_alias().to_string(),
            if_type: info.if_type,
            speed_bps: info.speed_bps,
            admin_status: info.admin_status.as_str().to_string(),
            oper_status: info.oper_status.as_str().to_string(),
            if_hc_in_octets: reading.map(|r| r.counters.in_octets),
            if_hc_out_octets: reading.map(|r| r.counters.out_octets),
            in_bps: reading.and_then(|r| r.in_bps.get()),
            out_bps: reading.and_then(|r| r.out_bps.get()),
            utilization,
            in_errors_per_sec: reading.and_then(|r| r.in_errors_per_sec.get()),
            out_errors_per_sec: reading.and_then(|r| r.out_errors_per_sec.get()),
            in_discards_per_sec: reading.and_then(|r| r.in_discards_per_sec.get()),
            out_discards_per_sec: reading.and_then(|r| r.out_discards_per_sec.get()),
            counter_bits: reading.map(|r| r.counters.bits.as_number()),
            last_sample_at: latest.map(|l| l.at_ms.div_euclid(1000)),
        }
    }
}

/// Window of a time-series query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrafficQuery {
    /// Start, Unix seconds; default: `to` minus one hour.
    #[param(example = 1764071460, minimum = 0, maximum = 17179869184_i64)]
    pub from: Option<i64>,
    /// End, Unix seconds; default: now.
    #[param(example = 1764075060, minimum = 0, maximum = 17179869184_i64)]
    pub to: Option<i64>,
    /// Most points to answer (1 to 10000); default 500. The server averages per step.
    #[param(example = 500, minimum = 1, maximum = 10000)]
    pub max_points: Option<u32>,
    /// `csv` for a CSV table (like `Accept: text/csv`); default JSON.
    #[param(inline)]
    pub format: Option<crate::api::csv::Format>,
}

/// Window of a raw-counter query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountersQuery {
    /// Start, Unix seconds; default: `to` minus one hour. At most 7 days before `to`.
    #[param(example = 1764071460, minimum = 0, maximum = 17179869184_i64)]
    pub from: Option<i64>,
    /// End, Unix seconds; default: now.
    #[param(example = 1764075060, minimum = 0, maximum = 17179869184_i64)]
    pub to: Option<i64>,
    /// `csv` for a CSV table (like `Accept: text/csv`); default JSON.
    #[param(inline)]
    pub format: Option<crate::api::csv::Format>,
}

/// Traffic of one interface, one point per step; a step without samples has null rates (a gap,
/// never interpolated).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficView {
    /// Seconds per point.
    #[schema(example = 60)]
    pub step_secs: i64,
    pub points: Vec<TrafficPointView>,
}

/// Average and maximum rates over one step.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficPointView {
    /// Start of the step, Unix seconds.
    #[schema(example = 1764075000)]
    pub timestamp: i64,
    /// Average inbound bits per second over the step; null for a gap.
    #[schema(example = 125000.0)]
    pub in_bps: Option<f64>,
    /// Average outbound bits per second.
    #[schema(example = 83000.0)]
    pub out_bps: Option<f64>,
    /// Highest inbound rate sampled in the step.
    #[schema(example = 310000.0)]
    pub in_bps_max: Option<f64>,
    /// Highest outbound rate sampled in the step.
    #[schema(example = 120000.0)]
    pub out_bps_max: Option<f64>,
}

impl From<Traffic> for TrafficView {
    fn from(t: Traffic) -> Self {
        TrafficView {
            step_secs: t.step_secs,
            points: t
                .points
                .into_iter()
                .map(|p| TrafficPointView {
                    timestamp: p.timestamp,
                    in_bps: p.in_bps,
                    out_bps: p.out_bps,
                    in_bps_max: p.in_bps_max,
                    out_bps_max: p.out_bps_max,
                })
                .collect(),
        }
    }
}

/// One raw reading of an interface's octet counters, in the original project's shape. 64-bit
/// interfaces give `ifHCInOctets`/`ifHCOutOctets`; 32-bit-only ones `ifInOctets`/`ifOutOctets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterSampleView {
    /// When the answer arrived, Unix seconds (millisecond precision).
    #[schema(example = 1728318841.0)]
    pub timestamp: f64,
    #[serde(rename = "ifHCInOctets", skip_serializing_if = "Option::is_none")]
    /// 64-bit inbound octets.
    #[schema(example = 762889)]
    pub if_hc_in_octets: Option<u64>,
    /// 64-bit outbound octets.
    #[serde(rename = "ifHCOutOctets", skip_serializing_if = "Option::is_none")]
    #[schema(example = 424413)]
    pub if_hc_out_octets: Option<u64>,
    /// 32-bit inbound octets (agents without ifXTable counters).
    #[serde(rename = "ifInOctets", skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub if_in_octets: Option<u64>,
    /// 32-bit outbound octets.
    #[serde(rename = "ifOutOctets", skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub if_out_octets: Option<u64>,
}

impl From<CounterPoint> for CounterSampleView {
    fn from(p: CounterPoint) -> Self {
        CounterSampleView {
            timestamp: p.timestamp,
            if_hc_in_octets: p.hc_in_octets,
            if_hc_out_octets: p.hc_out_octets,
            if_in_octets: p.in_octets_32,
            if_out_octets: p.out_octets_32,
        }
    }
}
