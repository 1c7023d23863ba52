//! What Vigie currently knows of each device: status, system group, interfaces and their latest
//! readings. Kept in memory for the API; persisted in `state.json` when something changes.

use super::interface_list::InterfaceList;
use super::rate::Rate;
use super::records::StateFile;
use super::series::{InterfaceSample, PollLine};
use crate::device::DeviceStatus;
use crate::snmp::if_mib::{CounterBits, CounterRow, IfNames, IfStatus, InterfaceInfo};
use crate::snmp::system::SystemInfo;

/// What one poll that answered saw, rates included.
#[derive(Clone, Debug)]
pub struct PollRecord {
    pub at_ms: i64,
    pub duration_ms: u64,
    pub uptime_ticks: u32,
    /// Present when the poll walked the system group.
    pub system: Option<SystemInfo>,
    /// Present when the poll walked the interface table.
    pub inventory: Option<Vec<InterfaceInfo>>,
    pub interfaces: Vec<InterfaceReading>,
    /// The address the agent answered from (the host, resolved).
    pub agent_addr: Option<std::net::IpAddr>,
}

/// One interface's counters at one poll, and the rates since the poll before (kept for every
/// interface as its latest reading: [`Rate`]s, 8 bytes each).
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceReading {
    pub counters: CounterRow,
    pub in_bps: Rate,
    pub out_bps: Rate,
    pub in_errors_per_sec: Rate,
    pub out_errors_per_sec: Rate,
    pub in_discards_per_sec: Rate,
    pub out_discards_per_sec: Rate,
}

impl InterfaceReading {
    /// Counters with their traffic rates only (no error or discard rate).
    pub fn traffic(counters: CounterRow, in_bps: Option<f64>, out_bps: Option<f64>) -> InterfaceReading {
        InterfaceReading {
            counters,
            in_bps: in_bps.into(),
            out_bps: out_bps.into(),
            in_errors_per_sec: Rate::NONE,
            out_errors_per_sec: Rate::NONE,
            in_discards_per_sec: Rate::NONE,
            out_discards_per_sec: Rate::NONE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LatestSample {
    pub at_ms: i64,
    pub uptime_ticks: u32,
    pub reading: InterfaceReading,
}

#[derive(Clone, Debug)]
pub struct InterfaceLive {
    pub info: InterfaceInfo,
    pub latest: Option<LatestSample>,
}

/// A device's row in a list: interfaces, those up, and the sums of their latest rates (None when
/// no rate is known).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DeviceTotals {
    pub interfaces: usize,
    pub interfaces_up: usize,
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct DeviceLive {
    pub status: DeviceStatus,
    pub system: Option<SystemInfo>,
    /// Unix seconds when `system` was read; its sysUpTime is as of then.
    pub system_at: Option<i64>,
    pub interfaces: InterfaceList,
    /// The address the device last answered from.
    pub address: Option<std::net::IpAddr>,
}

impl PollRecord {
    /// A poll at `at_secs` that answered with no interface (for tests of what a poll records
    /// besides its samples).
    #[cfg(test)]
    pub(crate) fn answered_at(at_secs: i64) -> PollRecord {
        PollRecord {
            at_ms: at_secs * 1000,
            duration_ms: 1,
            uptime_ticks: 100,
            system: None,
            inventory: None,
            interfaces: Vec::new(),
            agent_addr: None,
        }
    }

    /// The raw-sample line this poll appends, its interfaces written in `samples` (emptied
    /// first: a vector kept from the line before, so that a steady poll allocates none).
    pub fn poll_line_in(&self, mut samples: Vec<InterfaceSample>) -> PollLine {
        samples.clear();
        samples.extend(self.interfaces.iter().map(|r| {
            let c = &r.counters;
            let (hc, small) = match c.bits {
                CounterBits::Bits64 => ((Some(c.in_octets), Some(c.out_octets)), (None, None)),
                CounterBits::Bits32 => ((None, None), (Some(c.in_octets), Some(c.out_octets))),
            };
            InterfaceSample {
                if_index: c.if_index,
                hc_in_octets: hc.0,
                hc_out_octets: hc.1,
                in_octets_32: small.0,
                out_octets_32: small.1,
                in_bps: r.in_bps.get(),
                out_bps: r.out_bps.get(),
            }
        }));
        PollLine { timestamp: self.at_ms as f64 / 1000.0, sys_up_time: self.uptime_ticks, interfaces: samples }
    }
}

impl DeviceLive {
    pub fn new() -> DeviceLive {
        DeviceLive {
            status: DeviceStatus::unknown(),
            system: None,
            system_at: None,
            interfaces: InterfaceList::default(),
            address: None,
        }
    }

    pub fn from_state(state: StateFile) -> DeviceLive {
        DeviceLive {
            status: state.status,
            system: state.system,
            system_at: state.system_at,
            interfaces: state.interfaces.into_iter().map(|info| InterfaceLive { info, latest: None }).collect(),
            address: None,
        }
    }

    /// What can be rebuilt when `state.json` is lost: status unknown, and the interfaces the
    /// newest sample names, with their ifIndex only (the next poll walks the inventory again), so
    /// that their samples are served meanwhile.
    pub fn rebuilt_from(newest: Option<&PollLine>) -> DeviceLive {
        let mut live = DeviceLive::new();
        for s in newest.map(|l| l.interfaces.as_slice()).unwrap_or_default() {
            let info = InterfaceInfo {
                if_index: s.if_index,
                names: IfNames::default(),
                if_type: 0,
                speed_bps: None,
                admin_status: IfStatus::Unknown,
                oper_status: IfStatus::Unknown,
            };
            live.interfaces.insert(InterfaceLive { info, latest: None });
        }
        live
    }

    pub fn to_state(&self) -> StateFile {
        StateFile {
            status: self.status.clone(),
            system: self.system.clone(),
            system_at: self.system_at,
            interfaces: self.interfaces.values().map(|i| i.info.clone()).collect(),
        }
    }

    /// Sets the latest readings from the last raw line on disk (after a restart).
    pub fn restore_latest(&mut self, line: &PollLine) {
        let at_ms = (line.timestamp * 1000.0).round() as i64;
        for s in &line.interfaces {
            let Some(iface) = self.interfaces.get_mut(&s.if_index) else { continue };
            let (in_octets, out_octets, bits) = match (s.hc_in_octets, s.hc_out_octets, s.in_octets_32, s.out_octets_32)
            {
                (Some(i), Some(o), _, _) => (i, o, CounterBits::Bits64),
                (_, _, Some(i), Some(o)) => (i, o, CounterBits::Bits32),
                _ => continue,
            };
            let reading = InterfaceReading::traffic(
                CounterRow::octets(s.if_index, in_octets, out_octets, bits),
                s.in_bps,
                s.out_bps,
            );
            iface.latest = Some(LatestSample { at_ms, uptime_ticks: line.sys_up_time, reading });
        }
    }

    /// Applies a poll that answered; answers whether something worth persisting changed. The
    /// state is decided after (see `Store::settle`).
    pub fn apply_poll(&mut self, record: PollRecord) -> bool {
        let at_secs = record.at_ms.div_euclid(1000);
        let mut changed = self.status.consecutive_failures > 0 || self.status.last_poll_at.is_none();
        self.status.last_poll_at = Some(at_secs);
        self.status.last_error = None;
        self.status.consecutive_failures = 0;
        self.status.last_poll_duration_ms = Some(record.duration_ms);
        self.address = record.agent_addr.or(self.address);
        if let Some(system) = record.system {
            changed |= !self.system_continues(&system, at_secs);
            self.system = Some(system);
            self.system_at = Some(at_secs);
        }
        if let Some(inventory) = record.inventory.filter(|walked| {
            // The inventory is walked again every hour; when it is the same, nothing is rebuilt
            // (a fleet's interfaces and names, allocated again and freed, left holes in the heap)
            // and state.json (two fsyncs) is not rewritten.
            !self.interfaces.values().map(|i| &i.info).eq(walked.iter())
        }) {
            changed = true;
            let mut old = std::mem::take(&mut self.interfaces);
            self.interfaces = inventory
                .into_iter()
                .map(|info| {
                    let latest = old.get_mut(&info.if_index).and_then(|i| i.latest.take());
                    InterfaceLive { info, latest }
                })
                .collect();
        }
        // The rows come in the list's order: found in step, searched for only when out of it.
        let mut cursor = 0;
        for reading in record.interfaces {
            let Some(iface) = self.interfaces.get_mut_in_step(&mut cursor, reading.counters.if_index) else { continue };
            if let Some(oper) = reading.counters.oper_status {
                changed |= iface.info.oper_status != oper;
                iface.info.oper_status = oper;
            }
            iface.latest = Some(LatestSample { at_ms: record.at_ms, uptime_ticks: record.uptime_ticks, reading });
        }
        changed
    }

    /// Applies a poll that failed; answers whether something worth persisting changed.
    pub fn apply_failure(&mut self, at_secs: i64, duration_ms: u64, error: String) -> bool {
        let changed = self.status.consecutive_failures == 0;
        self.status.last_poll_at = Some(at_secs);
        self.status.consecutive_failures += 1;
        self.status.last_poll_duration_ms = Some(duration_ms);
        let error_changed = self.status.last_error.as_deref() != Some(error.as_str());
        self.status.last_error = Some(error);
        changed || error_changed
    }

    /// Whether `system`, read at `at_secs`, says what the stored reading says: the same text, and
    /// a sysUpTime within a minute of where the stored one extrapolates (no reboot, no wrap).
    fn system_continues(&self, system: &SystemInfo, at_secs: i64) -> bool {
        let Some(old) = &self.system else { return false };
        let uptime_drift =
            self.uptime_secs(at_secs).map(|expected| i64::from(system.sys_up_time_ticks) / 100 - expected);
        let text = |s: &SystemInfo| SystemInfo { sys_up_time_ticks: 0, ..s.clone() };
        text(old) == text(system) && uptime_drift.is_some_and(|drift| drift.abs() <= 60)
    }

    /// The device's sysUpTime now, in seconds, extrapolated from the last reading.
    pub fn uptime_secs(&self, now_secs: i64) -> Option<i64> {
        uptime_secs(self.system.as_ref(), self.system_at, now_secs)
    }

    /// What a list shows of it (see [`DeviceSummary`]).
    pub fn summary(&self) -> DeviceSummary {
        DeviceSummary {
            status: self.status.clone(),
            system: self.system.clone(),
            system_at: self.system_at,
            totals: self.totals(),
        }
    }

    pub fn oper_up_count(&self) -> usize {
        self.interfaces.values().filter(|i| i.info.oper_status == IfStatus::Up).count()
    }

    /// The figures of the device's row in a list: interface counts and total rates.
    pub fn totals(&self) -> DeviceTotals {
        let sum = |pick: fn(&InterfaceReading) -> Option<f64>| {
            let rates = self.interfaces.values().filter_map(|i| pick(&i.latest.as_ref()?.reading));
            rates.fold(None, |total: Option<f64>, r| Some(total.unwrap_or(0.0) + r))
        };
        DeviceTotals {
            interfaces: self.interfaces.len(),
            interfaces_up: self.oper_up_count(),
            in_bps: sum(|r| r.in_bps.get()),
            out_bps: sum(|r| r.out_bps.get()),
        }
    }
}

/// What a list shows of a device's live state: all of it but the interfaces, which are counted
/// and summed. Lists of every device copy these, never the interfaces: a copy of the whole
/// fleet's live state for one request was about 2 GB at ten million interfaces, allocated and
/// freed in the middle of the heap, where the allocator kept it.
#[derive(Clone, Debug)]
pub struct DeviceSummary {
    pub status: DeviceStatus,
    pub system: Option<SystemInfo>,
    /// Unix seconds when `system` was read.
    pub system_at: Option<i64>,
    pub totals: DeviceTotals,
}

impl DeviceSummary {
    /// sysUpTime as of `now_secs`, counted on from when it was read.
    pub fn uptime_secs(&self, now_secs: i64) -> Option<i64> {
        uptime_secs(self.system.as_ref(), self.system_at, now_secs)
    }
}

fn uptime_secs(system: Option<&SystemInfo>, read_at: Option<i64>, now_secs: i64) -> Option<i64> {
    let up_at_read = i64::from(system?.sys_up_time_ticks) / 100;
    Some(up_at_read + (now_secs - read_at?).max(0))
}

impl Default for DeviceLive {
    fn default() -> Self {
        DeviceLive::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(uptime_secs: u32, name: &str) -> SystemInfo {
        SystemInfo {
            sys_name: Some(name.into()),
            sys_descr: Some("switch".into()),
            sys_object_id: Some("1.3.6.1.4.1.9".into()),
            sys_up_time_ticks: uptime_secs * 100,
            sys_location: None,
            sys_contact: Some(String::new()),
        }
    }

    fn info(alias: &str) -> InterfaceInfo {
        let mut info = InterfaceInfo { speed_bps: Some(1_000_000_000), ..InterfaceInfo::ethernet(1) };
        info.set_if_alias(alias);
        info
    }

    /// A poll at `at_secs` that walked the system group and the inventory.
    fn walked(at_secs: i64, system: SystemInfo, alias: &str) -> PollRecord {
        PollRecord {
            at_ms: at_secs * 1000,
            duration_ms: 1,
            uptime_ticks: system.sys_up_time_ticks,
            system: Some(system),
            inventory: Some(vec![info(alias)]),
            interfaces: Vec::new(),
            agent_addr: None,
        }
    }

    #[test]
    fn a_walk_that_finds_nothing_new_is_not_persisted() {
        let mut live = DeviceLive::new();
        assert!(live.apply_poll(walked(1000, system(500, "sw1"), "uplink")), "first contact");
        assert!(!live.apply_poll(walked(1600, system(1100, "sw1"), "uplink")), "ten minutes on, all the same");
        assert!(!live.apply_poll(walked(2200, system(1730, "sw1"), "uplink")), "uptime 30 s off: clock skew");
        assert!(live.apply_poll(walked(2800, system(1730, "sw1"), "to core")), "an alias changed");
        assert!(live.apply_poll(walked(3400, system(5, "sw1"), "to core")), "a reboot");
        assert!(live.apply_poll(walked(4000, system(605, "sw1-new"), "to core")), "a rename");
        assert_eq!(live.uptime_secs(4100), Some(705));
    }
}
