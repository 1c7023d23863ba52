//! Devices on the wire: what a client sends to add or change one, and how one is shown.
//! Secrets are write-only: inputs carry communities, views never do.

use serde::{Deserialize, Serialize};

use super::json_shape::{object, optional_object, whole_number};
use utoipa::ToSchema;

use super::device_status::{AvailabilityView, StatusView};
use super::snmp::{SnmpInput, SnmpPatch, SnmpView};
use crate::device::Device;
use crate::device::InvalidField;
use crate::device::{
    DeviceConfig, DeviceId, DEFAULT_PING_INTERVAL_SECS, DEFAULT_POLL_INTERVAL_SECS, DEFAULT_PORT, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_MS,
};
use crate::snmp::Credentials;
use crate::store::DeviceSummary;

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
    /// Seconds between two rounds of ICMP echo requests: 0 (off) or 2 to 3600; default 30.
    #[schema(example = 30, minimum = 0, maximum = 3600)]
    #[serde(default, deserialize_with = "whole_number")]
    pub ping_interval_secs: Option<u32>,
    /// The id of the device this one is reached through: when that one is unreachable, this one
    /// is `unreachable` "behind <parent>" and its alerts are suppressed.
    #[schema(example = "3f9a2c1b")]
    pub parent_id: Option<String>,
    /// Short labels (alert scopes, `GET /devices?tag=`): at most 16, each 1 to 32 letters,
    /// digits or `-_.:/`.
    #[schema(example = json!(["core", "paris"]))]
    pub tags: Option<Vec<String>>,
}

/// Filters of the device list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DevicesQuery {
    /// Only the devices with this tag.
    #[param(example = "core")]
    pub tag: Option<String>,
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
    /// Seconds between two rounds of echo requests: 0 (off) or 2 to 3600.
    #[schema(example = 30, minimum = 0, maximum = 3600)]
    #[serde(default, deserialize_with = "whole_number")]
    pub ping_interval_secs: Option<u32>,
    /// The parent's id; null removes the parent.
    #[schema(value_type = Option<String>, example = "3f9a2c1b")]
    #[serde(default, deserialize_with = "present")]
    pub parent_id: Option<Option<String>>,
    /// The device's tags, replacing those it had.
    #[schema(example = json!(["core"]))]
    pub tags: Option<Vec<String>>,
}

/// A field written, even as null (`Some(None)`), as opposed to left out (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
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
    /// Seconds between two rounds of echo requests; 0: not pinged.
    #[schema(example = 30)]
    pub ping_interval_secs: u32,
    /// The device this one is reached through; null when none.
    #[schema(example = json!(null))]
    pub parent_id: Option<String>,
    /// The device's tags, sorted.
    #[schema(example = json!(["core"]))]
    pub tags: Vec<String>,
    /// Unix seconds when the device was added.
    #[schema(example = 1764070000)]
    pub created_at: i64,
    pub status: StatusView,
    pub availability: AvailabilityView,
    /// Null until the device first answers.
    pub system: Option<SystemView>,
    #[serde(flatten)]
    pub totals: DeviceTotalsView,
}

/// A device's interface totals after its last poll that answered: in its row (DeviceView) and in
/// the events that patch that row.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceTotalsView {
    /// Interfaces found in IF-MIB.
    #[schema(example = 48)]
    pub interface_count: usize,
    /// Interfaces whose ifOperStatus is up; when it moves, the device's interface table has
    /// changed status.
    #[schema(example = 12)]
    pub interfaces_up: usize,
    /// Sum of the interfaces' latest inbound rates, bits per second; null when none is known.
    #[schema(example = 1250000.0)]
    pub in_bps: Option<f64>,
    /// Sum of the interfaces' latest outbound rates, bits per second.
    #[schema(example = 830000.0)]
    pub out_bps: Option<f64>,
}

impl From<&crate::store::DeviceTotals> for DeviceTotalsView {
    fn from(totals: &crate::store::DeviceTotals) -> Self {
        DeviceTotalsView {
            interface_count: totals.interfaces,
            interfaces_up: totals.interfaces_up,
            in_bps: totals.in_bps,
            out_bps: totals.out_bps,
        }
    }
}

impl DeviceView {
    pub fn new(device: &Device, live: &DeviceSummary, availability: AvailabilityView, now_secs: i64) -> DeviceView {
        let c = &device.config;
        DeviceView {
            id: device.id.0.clone(),
            name: c.name.clone(),
            host: c.host.clone(),
            port: c.port,
            snmp: SnmpView::from(&c.credentials),
            poll_interval_secs: c.poll_interval_secs,
            timeout_ms: c.timeout_ms,
            retries: c.retries,
            ping_interval_secs: c.ping_interval_secs,
            parent_id: c.parent_id.as_ref().map(|p| p.0.clone()),
            tags: c.tags.clone(),
            created_at: device.created_at,
            status: StatusView::from(&live.status),
            availability,
            system: live.system.as_ref().map(|s| SystemView {
                sys_name: s.sys_name.clone(),
                sys_descr: s.sys_descr.clone(),
                sys_object_id: s.sys_object_id.clone(),
                sys_up_time_secs: live.uptime_secs(now_secs).unwrap_or(0),
                sys_location: s.sys_location.clone(),
                sys_contact: s.sys_contact.clone(),
            }),
            totals: DeviceTotalsView::from(&live.totals),
        }
    }
}

/// A parent id as written; one that cannot be an id names the field.
fn parent(text: String) -> Result<DeviceId, InvalidField> {
    DeviceId::parse(text.trim()).ok_or_else(|| InvalidField {
        field: "parentId",
        reason: format!("'{}' is not a device id (8 lowercase hex digits)", text.escape_debug()),
    })
}

/// Tags trimmed and sorted (duplicates are left for validation to name).
fn tags(tags: Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = tags.into_iter().map(|t| t.trim().to_string()).collect();
    tags.sort();
    tags
}

impl NewDevice {
    /// The device config this asks for, defaults filled in (not yet validated).
    pub fn into_config(self) -> Result<DeviceConfig, InvalidField> {
        let host = self.host.trim().to_string();
        Ok(DeviceConfig {
            name: self.name.map(|n| n.trim().to_string()).unwrap_or_else(|| host.clone()),
            host,
            port: self.port.unwrap_or(DEFAULT_PORT),
            credentials: Credentials::from(self.snmp),
            poll_interval_secs: self.poll_interval_secs.unwrap_or(DEFAULT_POLL_INTERVAL_SECS),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            retries: self.retries.unwrap_or(DEFAULT_RETRIES),
            ping_interval_secs: self.ping_interval_secs.unwrap_or(DEFAULT_PING_INTERVAL_SECS),
            parent_id: self.parent_id.map(parent).transpose()?,
            tags: tags(self.tags.unwrap_or_default()),
        })
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
            ping_interval_secs: self.ping_interval_secs.unwrap_or(config.ping_interval_secs),
            parent_id: match self.parent_id {
                Some(written) => written.map(parent).transpose()?,
                None => config.parent_id,
            },
            tags: self.tags.map(tags).unwrap_or(config.tags),
        })
    }
}
