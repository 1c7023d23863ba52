//! What `/metrics` exposes, family by family. Interface families carry the names and labels of
//! snmp_exporter's `if_mib` module (`ifHCInOctets{ifIndex,ifName,ifDescr,ifAlias}` …), so the
//! Grafana dashboards written for snmp_exporter work unchanged; each sample also names its
//! device (`device`, and `instance` = the host, with `:port` when it is not 161, as a
//! snmp_exporter target would be named). Vigie's own health follows under `vigie_*`.

use crate::device::Device;
use crate::snmp::if_mib::{CounterBits, IfStatus};
use crate::store::InterfaceLive;

use super::exposition::Kind;

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
pub fn status_code(status: IfStatus) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceId};

    fn device(host: &str, port: u16) -> Device {
        Device { id: DeviceId("0000abcd".into()), created_at: 0, config: DeviceConfig::v2c("sw", host, port, "public") }
    }

    #[test]
    fn the_instance_is_the_host_with_its_port_unless_161() {
        assert_eq!(instance(&device("10.0.0.1", 161)), "10.0.0.1");
        assert_eq!(instance(&device("10.0.0.1", 1161)), "10.0.0.1:1161");
        assert_eq!(instance(&device("2001:db8::1", 1161)), "[2001:db8::1]:1161");
    }
}
