//! The wire types of the API (camelCase JSON), with their OpenAPI schemas. Secrets are
//! write-only: inputs carry communities, views never do.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::device::{
    DeviceConfig, DeviceState, DeviceStatus, DEFAULT_POLL_INTERVAL_SECS, DEFAULT_PORT, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_MS,
};
use crate::snmp::Credentials;
use crate::store::logs::{LogEntry, LogSource};
use crate::store::{CounterPoint, DeviceSnapshot, InterfaceLive, Traffic};

/// SNMP protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "v2c")]
pub enum SnmpVersion {
    V2c,
}

/// SNMP credentials as given when adding a device.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpInput {
    /// SNMP version. Only `v2c` for now.
    pub version: SnmpVersion,
    /// The community string. Write-only: never returned by the API.
    #[schema(example = "public")]
    pub community: String,
}

/// A device to supervise. Only `host` and `snmp` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDevice {
    /// Display name; defaults to the host.
    #[schema(example = "core-sw1")]
    pub name: Option<String>,
    /// IP address (v4 or v6) or DNS name of the SNMP agent.
    #[schema(example = "192.0.2.1")]
    pub host: String,
    /// UDP port of the agent; default 161.
    #[schema(example = 161, minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    pub snmp: SnmpInput,
    /// Seconds between polls (1 to 86400); default 60.
    #[schema(example = 60, minimum = 1, maximum = 86400)]
    pub poll_interval_secs: Option<u32>,
    /// Milliseconds to wait for each SNMP answer (10 to 60000); default 1000.
    #[schema(example = 1000, minimum = 10, maximum = 60000)]
    pub timeout_ms: Option<u32>,
    /// Resends after a timeout (0 to 10); default 1. The device is down when no answer comes
    /// within timeoutMs × (retries + 1).
    #[schema(example = 1, minimum = 0, maximum = 10)]
    pub retries: Option<u32>,
}

/// SNMP credentials in a change: give `community` to change it, omit it to keep it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpPatch {
    /// SNMP version.
    pub version: Option<SnmpVersion>,
    /// New community string (write-only).
    #[schema(example = "s3cret")]
    pub community: Option<String>,
}

/// A change to a device: any subset of its fields. Polling picks it up at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicePatch {
    /// Display name.
    #[schema(example = "core-sw1")]
    pub name: Option<String>,
    /// IP address or DNS name.
    #[schema(example = "192.0.2.1")]
    pub host: Option<String>,
    /// UDP port.
    #[schema(example = 161, minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    pub snmp: Option<SnmpPatch>,
    /// Seconds between polls.
    #[schema(example = 60, minimum = 1, maximum = 86400)]
    pub poll_interval_secs: Option<u32>,
    /// Milliseconds to wait for each answer.
    #[schema(example = 1000, minimum = 10, maximum = 60000)]
    pub timeout_ms: Option<u32>,
    /// Resends after a timeout.
    #[schema(example = 1, minimum = 0, maximum = 10)]
    pub retries: Option<u32>,
}

/// SNMP settings as the API shows them: whether a community is set, never the community.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnmpView {
    /// SNMP version.
    pub version: SnmpVersion,
    /// Whether a community is stored (it is never returned).
    #[schema(example = true)]
    pub community_set: bool,
}

/// Whether the device answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "up")]
pub enum StateView {
    Up,
    Down,
    Unknown,
}

/// A device's health as Vigie sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// `up`: the last poll answered; `down`: no answer within timeoutMs × (retries + 1);
    /// `unknown`: not polled yet.
    pub state: StateView,
    /// Unix seconds when `state` last changed; null before the first poll.
    #[schema(example = 1764075000)]
    pub since: Option<i64>,
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
}

/// The device's SNMPv2-MIB system group.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemView {
    /// sysName.
    #[schema(example = "core-sw1.example.net")]
    pub sys_name: String,
    /// sysDescr.
    #[schema(example = "Linux core-sw1 6.1.0 x86_64")]
    pub sys_descr: String,
    /// sysObjectID, dotted.
    #[schema(example = "1.3.6.1.4.1.8072.3.2.10")]
    pub sys_object_id: String,
    /// sysUpTime in seconds, as of now (extrapolated from the last reading).
    #[schema(example = 86400)]
    pub sys_up_time_secs: i64,
    /// sysLocation.
    #[schema(example = "Rack 4, Paris DC")]
    pub sys_location: String,
    /// sysContact.
    #[schema(example = "noc@example.net")]
    pub sys_contact: String,
}

/// A supervised device.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    /// Stable server-assigned id.
    #[schema(example = "3f9a2c1b")]
    pub id: String,
    /// Display name.
    #[schema(example = "core-sw1")]
    pub name: String,
    /// IP address or DNS name.
    #[schema(example = "192.0.2.1")]
    pub host: String,
    /// UDP port.
    #[schema(example = 161)]
    pub port: u16,
    pub snmp: SnmpView,
    /// Seconds between polls.
    #[schema(example = 60)]
    pub poll_interval_secs: u32,
    /// Milliseconds to wait for each answer.
    #[schema(example = 1000)]
    pub timeout_ms: u32,
    /// Resends after a timeout.
    #[schema(example = 1)]
    pub retries: u32,
    /// Unix seconds when the device was added.
    #[schema(example = 1764070000)]
    pub created_at: i64,
    pub status: StatusView,
    /// Null until the device first answers.
    pub system: Option<SystemView>,
    /// Interfaces found in IF-MIB.
    #[schema(example = 48)]
    pub interface_count: usize,
    /// Interfaces whose ifOperStatus is up.
    #[schema(example = 12)]
    pub interfaces_up: usize,
    /// Sum of the interfaces' latest inbound rates, bits per second; null when none is known.
    #[schema(example = 1250000.0)]
    pub in_bps: Option<f64>,
    /// Sum of the interfaces' latest outbound rates, bits per second.
    #[schema(example = 830000.0)]
    pub out_bps: Option<f64>,
}

impl DeviceView {
    pub fn new(snapshot: &DeviceSnapshot, now_secs: i64) -> DeviceView {
        let DeviceSnapshot { device, live } = snapshot;
        let c = &device.config;
        let sum = |pick: fn(&InterfaceLive) -> Option<f64>| {
            let rates: Vec<f64> = live.interfaces.values().filter_map(pick).collect();
            (!rates.is_empty()).then(|| rates.iter().sum())
        };
        DeviceView {
            id: device.id.0.clone(),
            name: c.name.clone(),
            host: c.host.clone(),
            port: c.port,
            snmp: SnmpView { version: SnmpVersion::V2c, community_set: true },
            poll_interval_secs: c.poll_interval_secs,
            timeout_ms: c.timeout_ms,
            retries: c.retries,
            created_at: device.created_at,
            status: StatusView::from(&live.status),
            system: live.system.as_ref().map(|s| SystemView {
                sys_name: s.sys_name.clone(),
                sys_descr: s.sys_descr.clone(),
                sys_object_id: s.sys_object_id.clone(),
                sys_up_time_secs: live.uptime_secs(now_secs).unwrap_or(0),
                sys_location: s.sys_location.clone(),
                sys_contact: s.sys_contact.clone(),
            }),
            interface_count: live.interfaces.len(),
            interfaces_up: live.oper_up_count(),
            in_bps: sum(|i| i.latest.as_ref()?.reading.in_bps),
            out_bps: sum(|i| i.latest.as_ref()?.reading.out_bps),
        }
    }
}

impl From<&DeviceStatus> for StatusView {
    fn from(s: &DeviceStatus) -> Self {
        StatusView {
            state: match s.state {
                DeviceState::Up => StateView::Up,
                DeviceState::Down => StateView::Down,
                DeviceState::Unknown => StateView::Unknown,
            },
            since: s.since,
            last_poll_at: s.last_poll_at,
            last_error: s.last_error.clone(),
            consecutive_failures: s.consecutive_failures,
            last_poll_duration_ms: s.last_poll_duration_ms,
        }
    }
}

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

impl From<&InterfaceLive> for InterfaceView {
    fn from(i: &InterfaceLive) -> Self {
        let info = &i.info;
        let latest = i.latest.as_ref();
        let reading = latest.map(|l| &l.reading);
        let utilization = match (info.speed_bps, reading.and_then(|r| r.in_bps), reading.and_then(|r| r.out_bps)) {
            (Some(speed), Some(a), Some(b)) if speed > 0 => Some((a.max(b) / speed as f64).min(1.0)),
            _ => None,
        };
        InterfaceView {
            if_index: info.if_index,
            if_name: info.if_name.clone(),
            if_descr: info.if_descr.clone(),
            if_alias: info.if_alias.clone(),
            if_type: info.if_type,
            speed_bps: info.speed_bps,
            admin_status: info.admin_status.as_str().to_string(),
            oper_status: info.oper_status.as_str().to_string(),
            if_hc_in_octets: reading.map(|r| r.counters.in_octets),
            if_hc_out_octets: reading.map(|r| r.counters.out_octets),
            in_bps: reading.and_then(|r| r.in_bps),
            out_bps: reading.and_then(|r| r.out_bps),
            utilization,
            in_errors_per_sec: reading.and_then(|r| r.in_errors_per_sec),
            out_errors_per_sec: reading.and_then(|r| r.out_errors_per_sec),
            in_discards_per_sec: reading.and_then(|r| r.in_discards_per_sec),
            out_discards_per_sec: reading.and_then(|r| r.out_discards_per_sec),
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
    #[param(example = 1764071460)]
    pub from: Option<i64>,
    /// End, Unix seconds; default: now.
    #[param(example = 1764075060)]
    pub to: Option<i64>,
    /// Most points to answer (1 to 10000); default 500. The server averages per step.
    #[param(example = 500, minimum = 1, maximum = 10000)]
    pub max_points: Option<u32>,
}

/// Window of a raw-counter query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountersQuery {
    /// Start, Unix seconds; default: `to` minus one hour.
    #[param(example = 1764071460)]
    pub from: Option<i64>,
    /// End, Unix seconds; default: now.
    #[param(example = 1764075060)]
    pub to: Option<i64>,
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

/// Poller work since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollerView {
    /// Polls done, answered or not.
    #[schema(example = 1440)]
    pub polls_total: u64,
    /// Polls without an answer.
    #[schema(example = 3)]
    pub polls_failed: u64,
    /// Polls that started more than a tenth of an interval after their time.
    #[schema(example = 0)]
    pub polls_late: u64,
    /// Interface counter readings taken.
    #[schema(example = 69120)]
    pub interface_samples_total: u64,
    /// Rates dropped as implausible (above the interface speed).
    #[schema(example = 0)]
    pub samples_dropped: u64,
}

/// Fleet summary.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusSummaryView {
    /// Devices supervised.
    #[schema(example = 13)]
    pub devices: usize,
    /// Devices up.
    #[schema(example = 12)]
    pub up: usize,
    /// Devices down.
    #[schema(example = 1)]
    pub down: usize,
    /// Devices not polled yet.
    #[schema(example = 0)]
    pub unknown: usize,
    /// Interfaces across all devices.
    #[schema(example = 624)]
    pub interfaces: usize,
    pub poller: PollerView,
    pub logs: LogsStatusView,
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// Always `ok` when the server answers.
    #[schema(example = "ok")]
    pub status: String,
    /// Vigie's version.
    #[schema(example = "0.1.0")]
    pub version: String,
    /// Seconds since start.
    #[schema(example = 3600)]
    pub uptime_secs: u64,
}

impl NewDevice {
    /// The device config this asks for, defaults filled in (not yet validated).
    pub fn into_config(self) -> DeviceConfig {
        let host = self.host.trim().to_string();
        DeviceConfig {
            name: self.name.map(|n| n.trim().to_string()).unwrap_or_else(|| host.clone()),
            host,
            port: self.port.unwrap_or(DEFAULT_PORT),
            credentials: Credentials::V2c { community: self.snmp.community },
            poll_interval_secs: self.poll_interval_secs.unwrap_or(DEFAULT_POLL_INTERVAL_SECS),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            retries: self.retries.unwrap_or(DEFAULT_RETRIES),
        }
    }
}

impl DevicePatch {
    /// `config` with this change applied (not yet validated).
    pub fn apply(self, config: DeviceConfig) -> DeviceConfig {
        let Credentials::V2c { community } = config.credentials;
        let community = self.snmp.and_then(|s| s.community).unwrap_or(community);
        DeviceConfig {
            name: self.name.map(|n| n.trim().to_string()).unwrap_or(config.name),
            host: self.host.map(|h| h.trim().to_string()).unwrap_or(config.host),
            port: self.port.unwrap_or(config.port),
            credentials: Credentials::V2c { community },
            poll_interval_secs: self.poll_interval_secs.unwrap_or(config.poll_interval_secs),
            timeout_ms: self.timeout_ms.unwrap_or(config.timeout_ms),
            retries: self.retries.unwrap_or(config.retries),
        }
    }
}

/// Filter of the event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this device's events; default: every device.
    #[param(example = "3f9a2c1b")]
    pub device_id: Option<String>,
}

/// `event: sample`: the rates one poll of one device measured.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleEvent {
    /// The device polled.
    #[schema(example = "3f9a2c1b")]
    pub device_id: String,
    /// When the answer arrived, Unix seconds.
    #[schema(example = 1764075060)]
    pub timestamp: i64,
    pub interfaces: Vec<SampleRateView>,
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
    pub fn new(device_id: &crate::device::DeviceId, timestamp: i64, rates: &[(u32, Option<f64>, Option<f64>)]) -> Self {
        SampleEvent {
            device_id: device_id.0.clone(),
            timestamp,
            interfaces: rates
                .iter()
                .map(|&(if_index, in_bps, out_bps)| SampleRateView { if_index, in_bps, out_bps })
                .collect(),
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

/// The `data:` of one event: a SampleEvent (`event: sample`), a StatusEvent (`event: status`)
/// or a LogEntryView (`event: log`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Sample(SampleEvent),
    Status(StatusEvent),
    Log(LogEntryView),
}

/// Where a log entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "syslog")]
pub enum LogSourceView {
    Syslog,
    Trap,
    Event,
}

impl From<LogSourceView> for LogSource {
    fn from(s: LogSourceView) -> Self {
        match s {
            LogSourceView::Syslog => LogSource::Syslog,
            LogSourceView::Trap => LogSource::Trap,
            LogSourceView::Event => LogSource::Event,
        }
    }
}

impl From<LogSource> for LogSourceView {
    fn from(s: LogSource) -> Self {
        match s {
            LogSource::Syslog => LogSourceView::Syslog,
            LogSource::Trap => LogSourceView::Trap,
            LogSource::Event => LogSourceView::Event,
        }
    }
}

/// Filters of a log query; all optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Only this device's entries.
    #[param(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    /// Only entries from this source.
    #[param(inline)]
    pub source: Option<LogSourceView>,
    /// Only entries at least this severe (syslog scale: 0 emergency … 7 debug; 4 keeps
    /// warnings and worse).
    #[param(example = 4, minimum = 0, maximum = 7)]
    pub min_severity: Option<u8>,
    /// Case-insensitive substring of the message, app name or host name.
    #[param(example = "link")]
    pub q: Option<String>,
    /// Received at or after, Unix seconds.
    #[param(example = 1764071460)]
    pub from: Option<f64>,
    /// Received at or before, Unix seconds.
    #[param(example = 1764075060)]
    pub to: Option<f64>,
    /// Entries per page (1 to 1000); default 100.
    #[param(example = 100, minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The `nextCursor` of the previous page: continue with older entries.
    #[param(example = 1234)]
    pub cursor: Option<u64>,
}

/// A named value of an entry: a syslog structured-data parameter (`sdId.name`) or a trap
/// variable binding (its OID).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogFieldView {
    /// Parameter name or OID.
    #[schema(example = "1.3.6.1.2.1.2.2.1.1.2")]
    pub name: String,
    /// Value as text.
    #[schema(example = "2")]
    pub value: String,
}

/// One log entry: a syslog message, an SNMP trap, or one of Vigie's own events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryView {
    /// Grows with every entry; the cursor of pagination.
    #[schema(example = 1234)]
    pub id: u64,
    /// When Vigie received it, Unix seconds (ms precision).
    #[schema(example = 1764075060.125)]
    pub received_at: f64,
    /// The device's own time, where the message carried one.
    #[schema(example = 1764075060.0)]
    pub timestamp: Option<f64>,
    pub source: LogSourceView,
    /// The device whose address sent it; null when unattributed.
    #[schema(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    /// `ip:port` it came from; null for Vigie's own events.
    #[schema(example = "192.0.2.1:49152")]
    pub source_addr: Option<String>,
    /// 0 emergency, 1 alert, 2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug.
    #[schema(example = 3)]
    pub severity: u8,
    /// Syslog facility (kern, user, local7…).
    #[schema(example = "local7")]
    pub facility: Option<String>,
    /// Syslog APP-NAME / tag; `snmptrap` for traps, `vigie` for events.
    #[schema(example = "sshd")]
    pub app_name: Option<String>,
    /// Host name in the message.
    #[schema(example = "core-sw1")]
    pub hostname: Option<String>,
    /// The message.
    #[schema(example = "linkDown: interface eth1 (ifIndex 2)")]
    pub message: String,
    /// The message was over 64 KiB and was cut.
    #[schema(example = false)]
    pub truncated: bool,
    /// Structured data or variable bindings.
    pub fields: Vec<LogFieldView>,
}

impl From<LogEntry> for LogEntryView {
    fn from(e: LogEntry) -> Self {
        let n = e.entry;
        LogEntryView {
            id: e.id,
            received_at: n.received_at,
            timestamp: n.timestamp,
            source: n.source.into(),
            device_id: n.device_id.map(|d| d.0),
            source_addr: n.source_addr,
            severity: n.severity,
            facility: n.facility,
            app_name: n.app_name,
            hostname: n.hostname,
            message: n.message,
            truncated: n.truncated,
            fields: n.fields.into_iter().map(|f| LogFieldView { name: f.name, value: f.value }).collect(),
        }
    }
}

/// A page of log entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogPageView {
    pub entries: Vec<LogEntryView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    #[schema(example = 1134)]
    pub next_cursor: Option<u64>,
}

/// The receivers' work since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogsStatusView {
    /// Syslog messages received (UDP datagrams and TCP frames).
    #[schema(example = 1200)]
    pub syslog_received: u64,
    /// Syslog input dropped as malformed (binary noise, invalid frames).
    #[schema(example = 2)]
    pub syslog_malformed: u64,
    /// Syslog messages over 64 KiB, cut.
    #[schema(example = 0)]
    pub syslog_truncated: u64,
    /// Trap datagrams received.
    #[schema(example = 40)]
    pub traps_received: u64,
    /// Datagrams that were not SNMP v1/v2c traps or informs.
    #[schema(example = 1)]
    pub traps_malformed: u64,
    /// Entries dropped because a burst outran the disk (oldest first).
    #[schema(example = 0)]
    pub dropped: u64,
    /// Entries written to the log.
    #[schema(example = 1300)]
    pub stored: u64,
}
