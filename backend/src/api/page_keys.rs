//! What the paged list endpoints (`/fleet/devices`, `/devices/{id}/interface-page`) filter and sort
//! on, taken from the store's devices and interfaces without building their views: a page is cut
//! from the sorted keys first, and views are built only for the rows on it (a page of 100 out of
//! 2,000 devices or 4,000 interfaces). Must not decide order or matching (`list_query` does).

use crate::api::views::{InterfaceView, OperFilter, StateView};
use crate::device::{Device, DeviceId};
use crate::snmp::if_mib::IfStatus;
use crate::store::{DeviceLive, InterfaceLive};

/// One device's filter and sort keys (owned: they are collected under the store's locks, which are
/// released before sorting).
#[derive(Debug, Clone)]
pub struct DeviceKeys {
    pub id: DeviceId,
    pub name: String,
    /// `name` lowercased once, for the name order (not once per comparison).
    pub name_lower: String,
    pub host: String,
    pub tags: Vec<String>,
    pub state: StateView,
    pub since: Option<i64>,
    /// The last 24 hours' availability; read only when the sort asks for it (it may need the disk).
    pub availability_day: Option<f64>,
    pub interface_count: usize,
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
}

impl DeviceKeys {
    pub fn new(device: &Device, live: &DeviceLive) -> DeviceKeys {
        let c = &device.config;
        let totals = live.totals();
        DeviceKeys {
            id: device.id.clone(),
            name: c.name.clone(),
            name_lower: c.name.to_lowercase(),
            host: c.host.clone(),
            tags: c.tags.clone(),
            state: StateView::from(live.status.state),
            since: live.status.since,
            availability_day: None,
            interface_count: totals.interfaces,
            in_bps: totals.in_bps,
            out_bps: totals.out_bps,
        }
    }
}

/// One interface's filter and sort keys, borrowed from the interface (the view is built from
/// `live` once the interface is on the page).
#[derive(Debug, Clone)]
pub struct InterfaceKeys<'a> {
    pub live: &'a InterfaceLive,
    /// ifName, or ifDescr when the agent gives no name, lowercased once for the name order.
    pub name_lower: String,
    pub oper: OperFilter,
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
    pub utilization: Option<f64>,
}

impl<'a> InterfaceKeys<'a> {
    pub fn new(live: &'a InterfaceLive) -> InterfaceKeys<'a> {
        let info = &live.info;
        let reading = live.latest.as_ref().map(|l| &l.reading);
        let (in_bps, out_bps) = (reading.and_then(|r| r.in_bps.get()), reading.and_then(|r| r.out_bps.get()));
        let name = info.display_name();
        InterfaceKeys {
            live,
            name_lower: name.to_lowercase(),
            oper: match info.oper_status {
                IfStatus::Up => OperFilter::Up,
                IfStatus::Down => OperFilter::Down,
                _ => OperFilter::Other,
            },
            in_bps,
            out_bps,
            utilization: InterfaceView::utilization(info.speed_bps, in_bps, out_bps),
        }
    }

    pub fn if_index(&self) -> u32 {
        self.live.info.if_index
    }

    /// ifName, ifDescr and ifAlias: what `q` searches.
    pub fn texts(&self) -> [&'a str; 3] {
        let info = &self.live.info;
        [info.if_name(), info.if_descr(), info.if_alias()]
    }
}
