//! SNMPv2-MIB system group: who the device says it is.

use super::oids::system::*;
use super::{Oid, Session, SnmpError, Value};

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
/// reboot and a changed interface table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub uptime_ticks: u32,
    /// `None` on agents without ifNumber.
    pub if_number: Option<u32>,
}

impl Probe {
    pub const OIDS: [&'static [u32]; 2] = [SYS_UP_TIME, super::oids::if_mib::IF_NUMBER];

    /// From the values of [`Probe::OIDS`], in order; sysUpTime must be there.
    pub fn from_values(session: &Session, values: &[Option<Value>]) -> Result<Probe, SnmpError> {
        let number = |at: usize| values.get(at).and_then(Option::as_ref).and_then(Value::as_u64);
        let Some(uptime) = number(0) else {
            return Err(SnmpError::NoSuchObject { target: session.target(), oid: Oid::from_slice(SYS_UP_TIME) });
        };
        Ok(Probe { uptime_ticks: uptime as u32, if_number: number(1).map(|n| n as u32) })
    }
}

/// The probe on its own, by GET.
pub async fn probe(session: &mut Session) -> Result<Probe, SnmpError> {
    let values = match session.get(&Probe::OIDS).await {
        Ok(values) => values.into_iter().map(Some).collect(),
        Err(SnmpError::NoSuchObject { .. }) => vec![Some(session.get(&[SYS_UP_TIME]).await?.remove(0)), None],
        Err(e) => return Err(e),
    };
    Probe::from_values(session, &values)
}
