//! Devices on the wire: what a client sends to add or change one, and how one is shown.
//! Secrets are write-only: inputs carry communities, views never do.

use serde::{Deserialize, Serialize};

use super::json_shape::{object, optional_object, whole_number};
use utoipa::ToSchema;

use super::snmp::{SnmpInput, SnmpPatch, SnmpView};
use crate::device::Device;
use crate::device::InvalidField;
use crate::device::{
    DeviceConfig, DeviceState, DeviceStatus, DEFAULT_POLL_INTERVAL_SECS, DEFAULT_PORT, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_MS,
};
use crate::snmp::Credentials;
use crate::store::{DeviceLive, InterfaceLive};

/// A device to supervise. Only `host` and `snmp` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDevice {
    /// Display name, up to 200 characters; defaults to the host.
    #[schema(example = "core-sw1", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// IP address (v4 or v6) or DNS name of the SNMP agent.
    #[schema(example = "192.0.2.1", min_length = 1)]
    pub host: String,
    /// UDP port of the agent; default 161.
    #[schema(example = 161, minimum = 1, maximum = 65535)]
    #[serde(default, deserialize_with = "whole_number")]
    pub port: Option<u16>,
    #[serde(deserialize_with = "object")]
    pub snmp: SnmpInput,
    /// Seconds between polls (1 to 86400); default 60.
    #[schema(example = 60, minimum = 1, maximum = 86400)]
    #[serde(default, deserialize_with = "whole_number")]
    pub poll_interval_secs: Option<u32>,
    /// Milliseconds to wait for each SNMP answer (10 to 60000); default 1000.
    #[schema(example = 1000, minimum = 10, maximum = 60000)]
    #[serde(default, deserialize_with = "whole_number")]
    pub timeout_ms: Option<u32>,
    /// Resends after a timeout (0 to 10); default 1. The device is down when no answer comes
    /// within timeoutMs × (retries + 1).
    #[schema(example = 1, minimum = 0, maximum = 10)]
    #[serde(default, deserialize_with = "whole_number")]
    pub retries: Option<u32>,
}

/// A change to a device: any subset of its fields. Polling picks it up at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicePatch {
    /// Display name, up to 200 characters.
    #[schema(example = "core-sw1", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// IP address or DNS name.
    #[schema(example = "192.0.2.1", min_length = 1)]
    pub host: Option<String>,
    /// UDP port.
    #[schema(example = 161, minimum = 1, maximum = 65535)]
    #[serde(default, deserialize_with = "whole_number")]
    pub port: Option<u16>,
    #[serde(default, deserialize_with = "optional_object")]
    pub snmp: Option<SnmpPatch>,
    /// Seconds between polls.
    #[schema(example = 60, minimum = 1, maximum = 86400)]
    #[serde(default, deserialize_with = "whole_number")]
    pub poll_interval_secs: Option<u32>,
    /// Milliseconds to wait for each answer.
    #[schema(example = 1000, minimum = 10, maximum = 60000)]
    #[serde(default, deserialize_with = "whole_number")]
    pub timeout_ms: Option<u32>,
    /// Resends after a timeout.
    #[schema(example = 1, minimum = 0, maximum = 10)]
    #[serde(default, deserialize_with = "whole_number")]
    pub retries: Option<u32>,
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

/// The device's SNMPv2-MIB system group; an object the agent does not expose is `null`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemView {
    /// sysName.
    #[schema(example = "core-sw1.example.net")]
    pub sys_name: Option<String>,
    /// sysDescr.
    #[schema(example = "Linux core-sw1 6.1.0 x86_64")]
    pub sys_descr: Option<String>,
    /// sysObjectID, dotted.
    #[schema(example = "1.3.6.1.4.1.8072.3.2.10")]
    pub sys_object_id: Option<String>,
    /// sysUpTime in seconds, as of now (extrapolated from the last reading).
    #[schema(example = 86400)]
    pub sys_up_time_secs: i64,
    /// sysLocation.
    #[schema(example = "Rack 4, Paris DC")]
    pub sys_location: Option<String>,
    /// sysContact.
    #[schema(example = "noc@example.net")]
    pub sys_contact: Option<String>,
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
    pub fn new(device: &Device, live: &DeviceLive, now_secs: i64) -> DeviceView {
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
            snmp: SnmpView::from(&c.credentials),
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

impl NewDevice {
    /// The device config this asks for, defaults filled in (not yet validated).
    pub fn into_config(self) -> DeviceConfig {
        let host = self.host.trim().to_string();
        DeviceConfig {
            name: self.name.map(|n| n.trim().to_string()).unwrap_or_else(|| host.clone()),
            host,
            port: self.port.unwrap_or(DEFAULT_PORT),
            credentials: Credentials::from(self.snmp),
            poll_interval_secs: self.poll_interval_secs.unwrap_or(DEFAULT_POLL_INTERVAL_SECS),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            retries: self.retries.unwrap_or(DEFAULT_RETRIES),
        }
    }
}

impl DevicePatch {
    /// `config` with this change applied (not yet validated); fails when the SNMP change lacks
    /// a field it needs (see [`SnmpPatch::apply`]).
    pub fn apply(self, config: DeviceConfig) -> Result<DeviceConfig, InvalidField> {
        let credentials = match self.snmp {
            Some(change) => change.apply(config.credentials)?,
            None => config.credentials,
        };
        Ok(DeviceConfig {
            name: self.name.map(|n| n.trim().to_string()).unwrap_or(config.name),
            host: self.host.map(|h| h.trim().to_string()).unwrap_or(config.host),
            port: self.port.unwrap_or(config.port),
            credentials,
            poll_interval_secs: self.poll_interval_secs.unwrap_or(config.poll_interval_secs),
            timeout_ms: self.timeout_ms.unwrap_or(config.timeout_ms),
            retries: self.retries.unwrap_or(config.retries),
        })
    }
}
