//! SNMPv2-MIB system group: who the device says it is.

use std::net::SocketAddr;

use super::oids::system::*;
use super::{Oid, Session, SnmpError, Value};

/// The system group. An agent's view may leave out any of it but sysUpTime (which every poll
/// needs): what it leaves out is `None`, never a reason to stop watching the device.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    pub sys_name: Option<String>,
    pub sys_descr: Option<String>,
    pub sys_object_id: Option<String>,
    pub sys_up_time_ticks: u32,
    pub sys_location: Option<String>,
    pub sys_contact: Option<String>,
}

pub async fn get_system(session: &mut Session) -> Result<SystemInfo, SnmpError> {
    let oids = [SYS_NAME, SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME, SYS_LOCATION, SYS_CONTACT];
    let values = session.get_optional(&oids).await?;
    let text = |at: usize| values[at].as_ref().map(Value::as_text);
    let Some(uptime) = values[3].as_ref().and_then(Value::as_u64) else {
        return Err(SnmpError::NoSuchObject { target: session.target(), oid: Oid::from_slice(SYS_UP_TIME) });
    };
    Ok(SystemInfo {
        sys_name: text(0),
        sys_descr: text(1),
        sys_object_id: text(2),
        sys_up_time_ticks: uptime as u32,
        sys_location: text(4),
        sys_contact: text(5),
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
    pub fn from_values(target: SocketAddr, values: &[Option<Value>]) -> Result<Probe, SnmpError> {
        let number = |at: usize| values.get(at).and_then(Option::as_ref).and_then(Value::as_u64);
        let Some(uptime) = number(0) else {
            return Err(SnmpError::NoSuchObject { target, oid: Oid::from_slice(SYS_UP_TIME) });
        };
        Ok(Probe { uptime_ticks: uptime as u32, if_number: number(1).map(|n| n as u32) })
    }
}

/// The probe on its own, by GET.
pub async fn probe(session: &mut Session) -> Result<Probe, SnmpError> {
    // An SNMPv1-style agent fails the whole GET with noSuchName when ifNumber is missing.
    let values = match session.get_optional(&Probe::OIDS).await {
        Err(SnmpError::NoSuchObject { .. }) => vec![session.get(&[SYS_UP_TIME]).await?.pop(), None],
        other => other?,
    };
    Probe::from_values(session.target(), &values)
}
