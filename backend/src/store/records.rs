//! The on-disk shapes of `devices.json` and each device's `state.json`. They hold secrets
//! (communities, SNMPv3 passwords), so these types never leave the store.

use serde::{Deserialize, Serialize};

use crate::device::{Device, DeviceConfig, DeviceId, DeviceStatus};
use crate::snmp::if_mib::InterfaceInfo;
use crate::snmp::system::SystemInfo;
use crate::snmp::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, UsmCredentials};

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
    /// Written only when it differs from the default, so older files read (and write) unchanged.
    #[serde(default = "default_ping", skip_serializing_if = "is_default_ping")]
    pub ping_interval_secs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<DeviceId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn default_ping() -> u32 {
    crate::device::DEFAULT_PING_INTERVAL_SECS
}

fn is_default_ping(secs: &u32) -> bool {
    *secs == default_ping()
}

/// The credentials as stored. Version 1 files knew only `v2c`, which reads unchanged.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum SnmpRecord {
    V1 {
        community: String,
    },
    V2c {
        community: String,
    },
    V3 {
        user: String,
        security_level: SecurityLevel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_protocol: Option<AuthProtocol>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_password: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priv_protocol: Option<PrivProtocol>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priv_password: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        context_name: String,
    },
}

impl From<&Credentials> for SnmpRecord {
    fn from(credentials: &Credentials) -> Self {
        let text = |secret: &Option<crate::secret::Secret>| secret.as_ref().map(|s| s.expose().to_string());
        match credentials {
            Credentials::V1 { community } => SnmpRecord::V1 { community: community.expose().to_string() },
            Credentials::V2c { community } => SnmpRecord::V2c { community: community.expose().to_string() },
            Credentials::V3(usm) => SnmpRecord::V3 {
                user: usm.user.clone(),
                security_level: usm.level,
                auth_protocol: usm.auth_protocol,
                auth_password: text(&usm.auth_password),
                priv_protocol: usm.priv_protocol,
                priv_password: text(&usm.priv_password),
                context_name: usm.context_name.clone(),
            },
        }
    }
}

impl From<SnmpRecord> for Credentials {
    fn from(record: SnmpRecord) -> Self {
        match record {
            SnmpRecord::V1 { community } => Credentials::V1 { community: community.into() },
            SnmpRecord::V2c { community } => Credentials::V2c { community: community.into() },
            SnmpRecord::V3 {
                user,
                security_level,
                auth_protocol,
                auth_password,
                priv_protocol,
                priv_password,
                context_name,
            } => Credentials::V3(UsmCredentials {
                user,
                level: security_level,
                auth_protocol,
                auth_password: auth_password.map(Into::into),
                priv_protocol,
                priv_password: priv_password.map(Into::into),
                context_name,
            }),
        }
    }
}

impl From<&Device> for DeviceRecord {
    fn from(d: &Device) -> Self {
        let c = &d.config;
        DeviceRecord {
            id: d.id.clone(),
            created_at: d.created_at,
            name: c.name.clone(),
            host: c.host.clone(),
            port: c.port,
            snmp: SnmpRecord::from(&c.credentials),
            poll_interval_secs: c.poll_interval_secs,
            timeout_ms: c.timeout_ms,
            retries: c.retries,
            ping_interval_secs: c.ping_interval_secs,
            parent_id: c.parent_id.clone(),
            tags: c.tags.clone(),
        }
    }
}

impl From<DeviceRecord> for Device {
    fn from(r: DeviceRecord) -> Self {
        Device {
            id: r.id,
            created_at: r.created_at,
            config: DeviceConfig {
                name: r.name,
                host: r.host,
                port: r.port,
                credentials: Credentials::from(r.snmp),
                poll_interval_secs: r.poll_interval_secs,
                timeout_ms: r.timeout_ms,
                retries: r.retries,
                ping_interval_secs: r.ping_interval_secs,
                parent_id: r.parent_id,
                tags: r.tags,
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
