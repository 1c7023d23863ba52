//! The on-disk shapes of `devices.json` and each device's `state.json`. They hold secrets
//! (communities), so these types never leave the store.

use serde::{Deserialize, Serialize};

use crate::device::{Device, DeviceConfig, DeviceId, DeviceStatus};
use crate::snmp::if_mib::InterfaceInfo;
use crate::snmp::system::SystemInfo;
use crate::snmp::Credentials;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicesFile {
    pub version: u32,
    pub devices: Vec<DeviceRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub created_at: i64,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub snmp: SnmpRecord,
    pub poll_interval_secs: u32,
    pub timeout_ms: u32,
    pub retries: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "version", rename_all = "camelCase", deny_unknown_fields)]
pub enum SnmpRecord {
    V2c { community: String },
}

impl From<&Device> for DeviceRecord {
    fn from(d: &Device) -> Self {
        let c = &d.config;
        let Credentials::V2c { community } = &c.credentials;
        DeviceRecord {
            id: d.id.clone(),
            created_at: d.created_at,
            name: c.name.clone(),
            host: c.host.clone(),
            port: c.port,
            snmp: SnmpRecord::V2c { community: community.clone() },
            poll_interval_secs: c.poll_interval_secs,
            timeout_ms: c.timeout_ms,
            retries: c.retries,
        }
    }
}

impl From<DeviceRecord> for Device {
    fn from(r: DeviceRecord) -> Self {
        let SnmpRecord::V2c { community } = r.snmp;
        Device {
            id: r.id,
            created_at: r.created_at,
            config: DeviceConfig {
                name: r.name,
                host: r.host,
                port: r.port,
                credentials: Credentials::V2c { community },
                poll_interval_secs: r.poll_interval_secs,
                timeout_ms: r.timeout_ms,
                retries: r.retries,
            },
        }
    }
}

/// What Vigie knows of a device beyond its config, kept across restarts.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    pub status: DeviceStatus,
    pub system: Option<SystemInfo>,
    pub system_at: Option<i64>,
    pub interfaces: Vec<InterfaceInfo>,
}
