//! What `/metrics` exposes, family by family. Interface families carry the names and labels of
//! snmp_exporter's `if_mib` module (`ifHCInOctets{ifIndex,ifName,ifDescr,ifAlias}` …), so the
//! Grafana dashboards written for snmp_exporter work unchanged; each sample also names its
//! device (`device`, and `instance` = the host, with `:port` when it is not 161, as a
//! snmp_exporter target would be named). Vigie's own health follows under `vigie_*`.

use crate::device::{Device, DeviceState};
use crate::snmp::if_mib::{CounterBits, IfStatus};
use crate::store::{DeviceLive, InterfaceLive};

use std::ops::Range;

use super::exposition::{push_labels, Exposition, Kind};

/// One interface family: its name, help, type and how to read it off an interface (`None`:
/// no sample for that interface).
pub struct InterfaceFamily {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub value: fn(&InterfaceLive) -> Option<u64>,
}

fn octets(i: &InterfaceLive, bits: CounterBits, pick: fn(&crate::snmp::if_mib::CounterRow) -> u64) -> Option<u64> {
    let counters = &i.latest.as_ref()?.reading.counters;
    (counters.bits == bits).then(|| pick(counters))
}

fn column(i: &InterfaceLive, pick: fn(&crate::snmp::if_mib::CounterRow) -> Option<u32>) -> Option<u64> {
    pick(&i.latest.as_ref()?.reading.counters).map(u64::from)
}

/// IF-MIB's numeric code of a status.
fn status_code(status: IfStatus) -> u64 {
    match status {
        IfStatus::Up => 1,
        IfStatus::Down => 2,
        IfStatus::Testing => 3,
        IfStatus::Unknown => 4,
        IfStatus::Dormant => 5,
        IfStatus::NotPresent => 6,
        IfStatus::LowerLayerDown => 7,
    }
}

pub const INTERFACE_FAMILIES: &[InterfaceFamily] = &[
    InterfaceFamily {
        name: "ifHCInOctets",
        help: "The total number of octets received on the interface, including framing characters - 1.3.6.1.2.1.31.1.1.1.6",
        kind: Kind::Counter,
        value: |i| octets(i, CounterBits::Bits64, |c| c.in_octets),
    },
    InterfaceFamily {
        name: "ifHCOutOctets",
        help: "The total number of octets transmitted out of the interface, including framing characters - 1.3.6.1.2.1.31.1.1.1.10",
        kind: Kind::Counter,
        value: |i| octets(i, CounterBits::Bits64, |c| c.out_octets),
    },
    InterfaceFamily {
        name: "ifInOctets",
        help: "The total number of octets received on the interface (32 bits, for agents without ifHCInOctets) - 1.3.6.1.2.1.2.2.1.10",
        kind: Kind::Counter,
        value: |i| octets(i, CounterBits::Bits32, |c| c.in_octets),
    },
    InterfaceFamily {
        name: "ifOutOctets",
        help: "The total number of octets transmitted out of the interface (32 bits, for agents without ifHCOutOctets) - 1.3.6.1.2.1.2.2.1.16",
        kind: Kind::Counter,
        value: |i| octets(i, CounterBits::Bits32, |c| c.out_octets),
    },
    InterfaceFamily {
        name: "ifInErrors",
        help: "The number of inbound packets that contained errors - 1.3.6.1.2.1.2.2.1.14",
        kind: Kind::Counter,
        value: |i| column(i, |c| c.in_errors),
    },
    InterfaceFamily {
        name: "ifOutErrors",
        help: "The number of outbound packets that could not be transmitted because of errors - 1.3.6.1.2.1.2.2.1.20",
        kind: Kind::Counter,
        value: |i| column(i, |c| c.out_errors),
    },
    InterfaceFamily {
        name: "ifInDiscards",
        help: "The number of inbound packets chosen to be discarded although no errors had been detected - 1.3.6.1.2.1.2.2.1.13",
        kind: Kind::Counter,
        value: |i| column(i, |c| c.in_discards),
    },
    InterfaceFamily {
        name: "ifOutDiscards",
        help: "The number of outbound packets chosen to be discarded although no errors had been detected - 1.3.6.1.2.1.2.2.1.19",
        kind: Kind::Counter,
        value: |i| column(i, |c| c.out_discards),
    },
    InterfaceFamily {
        name: "ifOperStatus",
        help: "The current operational state of the interface (1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown) - 1.3.6.1.2.1.2.2.1.8",
        kind: Kind::Gauge,
        value: |i| Some(status_code(i.info.oper_status)),
    },
    InterfaceFamily {
        name: "ifAdminStatus",
        help: "The desired state of the interface (1 up, 2 down, 3 testing) - 1.3.6.1.2.1.2.2.1.7",
        kind: Kind::Gauge,
        value: |i| Some(status_code(i.info.admin_status)),
    },
    InterfaceFamily {
        name: "ifHighSpeed",
        help: "An estimate of the interface's current bandwidth in units of 1,000,000 bits per second - 1.3.6.1.2.1.31.1.1.1.15",
        kind: Kind::Gauge,
        value: |i| Some(i.info.speed_bps.unwrap_or(0) / 1_000_000),
    },
    InterfaceFamily {
        name: "ifSpeed",
        help: "An estimate of the interface's current bandwidth in bits per second, at most 4294967295 - 1.3.6.1.2.1.2.2.1.5",
        kind: Kind::Gauge,
        value: |i| Some(i.info.speed_bps.unwrap_or(0).min(u64::from(u32::MAX))),
    },
    InterfaceFamily {
        name: "ifType",
        help: "The type of interface (IANAifType) - 1.3.6.1.2.1.2.2.1.3",
        kind: Kind::Gauge,
        value: |i| u64::try_from(i.info.if_type).ok(),
    },
];

/// The `instance` label of a device: its host, with the port unless it is SNMP's 161.
pub fn instance(device: &Device) -> String {
    let c = &device.config;
    match (c.port, c.host.contains(':')) {
        (161, _) => c.host.clone(),
        (port, true) => format!("[{}]:{port}", c.host),
        (port, false) => format!("{}:{port}", c.host),
    }
}

/// How many interface families there are.
pub const FAMILY_COUNT: usize = INTERFACE_FAMILIES.len();

/// Every interface as a scrape sees it: the label blocks, escaped once, end to end in one string
/// (no allocation per interface), and each interface's value in each family (in
/// [`INTERFACE_FAMILIES`]' order).
#[derive(Default)]
pub struct InterfaceRows {
    labels: String,
    rows: Vec<InterfaceRow>,
}

struct InterfaceRow {
    /// Where its label block is in `labels`.
    block: Range<usize>,
    values: [Option<u64>; FAMILY_COUNT],
}

impl InterfaceRows {
    /// How many interfaces were read.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Reads every interface of one device.
    pub fn read(&mut self, device: &Device, live: &DeviceLive) {
        if live.interfaces.is_empty() {
            return;
        }
        // The device's labels are escaped once, then copied for each interface.
        let device_start = self.labels.len();
        push_labels(&mut self.labels, &[("device", &device.config.name), ("instance", &instance(device))]);
        let device_block = device_start..self.labels.len();
        let mut index = itoa::Buffer::new();
        for (n, interface) in live.interfaces.values().enumerate() {
            let info = &interface.info;
            let start = if n == 0 {
                device_start
            } else {
                let start = self.labels.len();
                self.labels.extend_from_within(device_block.clone());
                start
            };
            self.labels.push_str(",ifIndex=\"");
            self.labels.push_str(index.format(info.if_index));
            self.labels.push_str("\",");
            push_labels(
                &mut self.labels,
                &[("ifName", &info.if_name), ("ifDescr", &info.if_descr), ("ifAlias", &info.if_alias)],
            );
            let values = std::array::from_fn(|family| (INTERFACE_FAMILIES[family].value)(interface));
            self.rows.push(InterfaceRow { block: start..self.labels.len(), values });
        }
    }

    /// Writes the samples of the interface family at `family` in [`INTERFACE_FAMILIES`] for the
    /// interfaces in `range` (in reading order).
    pub fn write(&self, out: &mut Exposition, family: usize, range: Range<usize>) {
        let name = INTERFACE_FAMILIES[family].name;
        for row in &self.rows[range] {
            if let Some(value) = row.values[family] {
                out.sample_block(name, &self.labels[row.block.clone()], value);
            }
        }
    }
}

/// `sysUpTime` in hundredths of a second, as of `now_secs`, for a device whose system group is known.
pub fn write_uptime(out: &mut Exposition, device: &Device, live: &DeviceLive, now_secs: i64) {
    if let Some(secs) = live.uptime_secs(now_secs) {
        let instance = instance(device);
        let labels = [("device", device.config.name.as_str()), ("instance", instance.as_str())];
        out.sample("sysUpTime", &labels, (secs.max(0) as u64) * 100);
    }
}

/// `vigie_device_up`: 1 when the device's last poll answered, else 0.
pub fn write_device_up(out: &mut Exposition, device: &Device, live: &DeviceLive) {
    let instance = instance(device);
    let labels =
        [("device", device.config.name.as_str()), ("instance", instance.as_str()), ("device_id", device.id.0.as_str())];
    out.sample("vigie_device_up", &labels, u64::from(live.status.state == DeviceState::Up));
}

/// `vigie_device_state{state=…}`: one sample per state, 1 for the device's.
pub fn write_device_state(out: &mut Exposition, device: &Device, live: &DeviceLive) {
    let instance = instance(device);
    for state in DeviceState::ALL {
        let labels = [
            ("device", device.config.name.as_str()),
            ("instance", instance.as_str()),
            ("device_id", device.id.0.as_str()),
            ("state", state.as_str()),
        ];
        out.sample("vigie_device_state", &labels, u64::from(live.status.state == state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceId};
    use crate::snmp::if_mib::{CounterRow, InterfaceInfo};
    use crate::store::{InterfaceReading, LatestSample};

    fn device(host: &str, port: u16) -> Device {
        Device {
            id: DeviceId("0000abcd".into()),
            created_at: 0,
            config: DeviceConfig::v2c("sw \"1\"", host, port, "public"),
        }
    }

    fn interface(if_index: u32, bits: CounterBits) -> InterfaceLive {
        let counters = CounterRow::octets(if_index, 1000 + u64::from(if_index), 7, bits);
        let reading = InterfaceReading::traffic(counters, None, None);
        InterfaceLive {
            info: InterfaceInfo::ethernet(if_index),
            latest: Some(LatestSample { at_ms: 0, uptime_ticks: 0, reading }),
        }
    }

    /// The samples of family `name` for one device.
    fn written(name: &str, device: &Device, live: &DeviceLive) -> String {
        let mut rows = InterfaceRows::default();
        rows.read(device, live);
        rows.read(device, live); // a second device: its labels follow the first's
        let mut out = Exposition::default();
        rows.write(&mut out, INTERFACE_FAMILIES.iter().position(|f| f.name == name).unwrap(), 0..rows.len() / 2);
        let mut again = Exposition::default();
        rows.write(
            &mut again,
            INTERFACE_FAMILIES.iter().position(|f| f.name == name).unwrap(),
            rows.len() / 2..rows.len(),
        );
        assert_eq!(out.buf, again.buf, "the second device reads the same");
        out.buf
    }

    #[test]
    fn the_instance_is_the_host_with_its_port_unless_161() {
        assert_eq!(instance(&device("10.0.0.1", 161)), "10.0.0.1");
        assert_eq!(instance(&device("10.0.0.1", 1161)), "10.0.0.1:1161");
        assert_eq!(instance(&device("2001:db8::1", 1161)), "[2001:db8::1]:1161");
    }

    #[test]
    fn octets_go_to_the_family_of_their_width_and_names_are_escaped() {
        let mut live = DeviceLive::new();
        live.interfaces.insert(1, interface(1, CounterBits::Bits64));
        live.interfaces.insert(2, interface(2, CounterBits::Bits32));
        let mut no_counters = interface(3, CounterBits::Bits64);
        no_counters.latest = None;
        live.interfaces.insert(3, no_counters);
        let device = device("10.0.0.1", 161);
        assert_eq!(
            written("ifHCInOctets", &device, &live),
            "ifHCInOctets{device=\"sw \\\"1\\\"\",instance=\"10.0.0.1\",ifIndex=\"1\",ifName=\"eth1\",ifDescr=\"eth1\",ifAlias=\"\"} 1001\n"
        );
        let out = written("ifInOctets", &device, &live);
        assert!(out.starts_with("ifInOctets{") && out.contains("ifIndex=\"2\",") && out.ends_with("} 1002\n"), "{out}");
        assert_eq!(out.lines().count(), 1, "only the 32-bit interface");
        assert_eq!(
            written("ifOperStatus", &device, &live).lines().count(),
            3,
            "a status for every interface, counters or not"
        );
        assert_eq!(written("ifInErrors", &device, &live), "", "no sample for a column the agent did not give");
    }
}
