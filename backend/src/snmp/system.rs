//! SNMPv2-MIB system group: who the device says it is.

use super::oids::system::*;
use super::{Session, SnmpError};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    pub sys_name: String,
    pub sys_descr: String,
    pub sys_object_id: String,
    pub sys_up_time_ticks: u32,
    pub sys_location: String,
    pub sys_contact: String,
}

pub async fn get_system(session: &mut Session) -> Result<SystemInfo, SnmpError> {
    let values = session.get(&[SYS_NAME, SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME, SYS_LOCATION, SYS_CONTACT]).await?;
    Ok(SystemInfo {
        sys_name: values[0].as_text(),
        sys_descr: values[1].as_text(),
        sys_object_id: values[2].as_text(),
        sys_up_time_ticks: values[3].as_u64().unwrap_or(0) as u32,
        sys_location: values[4].as_text(),
        sys_contact: values[5].as_text(),
    })
}

/// sysUpTime.0 (hundredths of a second) and ifNumber.0, the cheap per-poll probe that tells a
/// reboot and a changed interface table; ifNumber is `None` on agents without it.
pub async fn get_uptime_and_if_number(session: &mut Session) -> Result<(u32, Option<u32>), SnmpError> {
    match session.get(&[SYS_UP_TIME, super::oids::if_mib::IF_NUMBER]).await {
        Ok(values) => Ok((values[0].as_u64().unwrap_or(0) as u32, values[1].as_u64().map(|n| n as u32))),
        Err(SnmpError::NoSuchObject { .. }) => {
            let values = session.get(&[SYS_UP_TIME]).await?;
            Ok((values[0].as_u64().unwrap_or(0) as u32, None))
        }
        Err(e) => Err(e),
    }
}
