//! The exposition of a small fixed fleet, byte for byte: names to escape, an IPv6 host, a port
//! that is not 161, 64- and 32-bit counters, an interface without counters, columns the agent
//! did not give, a speed above ifSpeed's 32 bits, a device without interfaces nor system group.
//! The expected text was produced by the code before the per-scrape snapshot (main at 13fb577),
//! so a change to the rendering that changes one byte fails here.

use crate::device::{Device, DeviceConfig, DeviceId, DeviceState};
use crate::snmp::if_mib::{CounterBits, CounterRow, IfStatus, InterfaceInfo};
use crate::snmp::system::SystemInfo;
use crate::store::{DeviceLive, InterfaceLive, InterfaceReading, LatestSample};

/// The time of the scrape, Unix seconds.
pub const NOW_SECS: i64 = 2_000;

fn device(id: &str, name: &str, host: &str, port: u16) -> Device {
    Device { id: DeviceId(id.into()), created_at: 0, config: DeviceConfig::v2c(name, host, port, "public") }
}

fn interface(info: InterfaceInfo, counters: Option<CounterRow>) -> InterfaceLive {
    let latest =
        counters.map(|c| LatestSample { at_ms: 0, uptime_ticks: 0, reading: InterfaceReading::traffic(c, None, None) });
    InterfaceLive { info, latest }
}

fn system(ticks: u32) -> SystemInfo {
    SystemInfo {
        sys_name: None,
        sys_descr: None,
        sys_object_id: None,
        sys_up_time_ticks: ticks,
        sys_location: None,
        sys_contact: None,
    }
}

/// Three devices, in the store's order (by id).
pub fn fleet() -> Vec<(Device, DeviceLive)> {
    let mut a = DeviceLive::new();
    a.status.state = DeviceState::Up;
    a.system = Some(system(123_456));
    a.system_at = Some(1_000);
    let mut info = InterfaceInfo::ethernet(1);
    info.set_if_name("ge-0/0/1");
    info.set_if_alias("uplink \"core\"\\\nline 2");
    info.speed_bps = Some(10_000_000_000);
    let mut counters = CounterRow::octets(1, 1 << 40, 7, CounterBits::Bits64);
    (counters.in_errors, counters.out_errors, counters.in_discards) = (Some(3), Some(1), Some(0));
    a.interfaces.insert(interface(info, Some(counters)));
    let mut info = InterfaceInfo::ethernet(2);
    info.set_if_name("fe-0/0/2");
    info.set_if_descr("FastEthernet0/2");
    info.speed_bps = Some(100_000_000);
    info.oper_status = IfStatus::Down;
    a.interfaces.insert(interface(info, Some(CounterRow::octets(2, u64::from(u32::MAX), 12, CounterBits::Bits32))));
    let mut info = InterfaceInfo::ethernet(3);
    info.if_type = 161;
    info.speed_bps = Some(5_000_000_000);
    info.admin_status = IfStatus::Down;
    info.oper_status = IfStatus::LowerLayerDown;
    a.interfaces.insert(interface(info, None));

    let mut b = DeviceLive::new();
    b.status.state = DeviceState::Unreachable;

    let mut c = DeviceLive::new();
    c.status.state = DeviceState::SnmpDown;
    c.system = Some(system(500));
    c.system_at = Some(900);
    c.interfaces
        .insert(interface(InterfaceInfo::ethernet(10), Some(CounterRow::octets(10, u64::MAX, 0, CounterBits::Bits64))));
    c.interfaces
        .insert(interface(InterfaceInfo::ethernet(11), Some(CounterRow::octets(11, 5, 6, CounterBits::Bits64))));

    vec![
        (device("0000000a", "sw \"1\"\\back", "10.0.0.1", 161), a),
        (device("0000000b", "core\nrouter", "2001:db8::1", 1161), b),
        (device("0000000c", "edge", "edge.example", 1161), c),
    ]
}

/// The whole answer for [`fleet`] at [`NOW_SECS`] (without Vigie's own `vigie_*` counters), as the
/// code before the snapshot wrote it.
pub const EXPECTED: &str = r#"# HELP ifHCInOctets The total number of octets received on the interface, including framing characters - 1.3.6.1.2.1.31.1.1.1.6
# TYPE ifHCInOctets counter
ifHCInOctets{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 1099511627776
ifHCInOctets{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 18446744073709551615
ifHCInOctets{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 5
# HELP ifHCOutOctets The total number of octets transmitted out of the interface, including framing characters - 1.3.6.1.2.1.31.1.1.1.10
# TYPE ifHCOutOctets counter
ifHCOutOctets{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 7
ifHCOutOctets{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 0
ifHCOutOctets{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 6
# HELP ifInOctets The total number of octets received on the interface (32 bits, for agents without ifHCInOctets) - 1.3.6.1.2.1.2.2.1.10
# TYPE ifInOctets counter
ifInOctets{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 4294967295
# HELP ifOutOctets The total number of octets transmitted out of the interface (32 bits, for agents without ifHCOutOctets) - 1.3.6.1.2.1.2.2.1.16
# TYPE ifOutOctets counter
ifOutOctets{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 12
# HELP ifInErrors The number of inbound packets that contained errors - 1.3.6.1.2.1.2.2.1.14
# TYPE ifInErrors counter
ifInErrors{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 3
# HELP ifOutErrors The number of outbound packets that could not be transmitted because of errors - 1.3.6.1.2.1.2.2.1.20
# TYPE ifOutErrors counter
ifOutErrors{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 1
# HELP ifInDiscards The number of inbound packets chosen to be discarded although no errors had been detected - 1.3.6.1.2.1.2.2.1.13
# TYPE ifInDiscards counter
ifInDiscards{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 0
# HELP ifOutDiscards The number of outbound packets chosen to be discarded although no errors had been detected - 1.3.6.1.2.1.2.2.1.19
# TYPE ifOutDiscards counter
# HELP ifOperStatus The current operational state of the interface (1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown) - 1.3.6.1.2.1.2.2.1.8
# TYPE ifOperStatus gauge
ifOperStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 1
ifOperStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 2
ifOperStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="3",ifName="eth3",ifDescr="eth3",ifAlias=""} 7
ifOperStatus{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 1
ifOperStatus{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 1
# HELP ifAdminStatus The desired state of the interface (1 up, 2 down, 3 testing) - 1.3.6.1.2.1.2.2.1.7
# TYPE ifAdminStatus gauge
ifAdminStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 1
ifAdminStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 1
ifAdminStatus{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="3",ifName="eth3",ifDescr="eth3",ifAlias=""} 2
ifAdminStatus{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 1
ifAdminStatus{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 1
# HELP ifHighSpeed An estimate of the interface's current bandwidth in units of 1,000,000 bits per second - 1.3.6.1.2.1.31.1.1.1.15
# TYPE ifHighSpeed gauge
ifHighSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 10000
ifHighSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 100
ifHighSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="3",ifName="eth3",ifDescr="eth3",ifAlias=""} 5000
ifHighSpeed{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 0
ifHighSpeed{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 0
# HELP ifSpeed An estimate of the interface's current bandwidth in bits per second, at most 4294967295 - 1.3.6.1.2.1.2.2.1.5
# TYPE ifSpeed gauge
ifSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 4294967295
ifSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 100000000
ifSpeed{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="3",ifName="eth3",ifDescr="eth3",ifAlias=""} 4294967295
ifSpeed{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 0
ifSpeed{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 0
# HELP ifType The type of interface (IANAifType) - 1.3.6.1.2.1.2.2.1.3
# TYPE ifType gauge
ifType{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="1",ifName="ge-0/0/1",ifDescr="eth1",ifAlias="uplink \"core\"\\\nline 2"} 6
ifType{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="2",ifName="fe-0/0/2",ifDescr="FastEthernet0/2",ifAlias=""} 6
ifType{device="sw \"1\"\\back",instance="10.0.0.1",ifIndex="3",ifName="eth3",ifDescr="eth3",ifAlias=""} 161
ifType{device="edge",instance="edge.example:1161",ifIndex="10",ifName="eth10",ifDescr="eth10",ifAlias=""} 6
ifType{device="edge",instance="edge.example:1161",ifIndex="11",ifName="eth11",ifDescr="eth11",ifAlias=""} 6
# HELP sysUpTime The time (in hundredths of a second) since the network management portion of the system was last re-initialized - 1.3.6.1.2.1.1.3
# TYPE sysUpTime gauge
sysUpTime{device="sw \"1\"\\back",instance="10.0.0.1"} 223400
sysUpTime{device="edge",instance="edge.example:1161"} 110500
# HELP vigie_device_up 1 when the device's last poll answered, else 0.
# TYPE vigie_device_up gauge
vigie_device_up{device="sw \"1\"\\back",instance="10.0.0.1",device_id="0000000a"} 1
vigie_device_up{device="core\nrouter",instance="[2001:db8::1]:1161",device_id="0000000b"} 0
vigie_device_up{device="edge",instance="edge.example:1161",device_id="0000000c"} 0
# HELP vigie_device_state 1 for the device's state (up, snmp_down, unreachable, unknown), 0 for the others.
# TYPE vigie_device_state gauge
vigie_device_state{device="sw \"1\"\\back",instance="10.0.0.1",device_id="0000000a",state="up"} 1
vigie_device_state{device="sw \"1\"\\back",instance="10.0.0.1",device_id="0000000a",state="snmp_down"} 0
vigie_device_state{device="sw \"1\"\\back",instance="10.0.0.1",device_id="0000000a",state="unreachable"} 0
vigie_device_state{device="sw \"1\"\\back",instance="10.0.0.1",device_id="0000000a",state="unknown"} 0
vigie_device_state{device="core\nrouter",instance="[2001:db8::1]:1161",device_id="0000000b",state="up"} 0
vigie_device_state{device="core\nrouter",instance="[2001:db8::1]:1161",device_id="0000000b",state="snmp_down"} 0
vigie_device_state{device="core\nrouter",instance="[2001:db8::1]:1161",device_id="0000000b",state="unreachable"} 1
vigie_device_state{device="core\nrouter",instance="[2001:db8::1]:1161",device_id="0000000b",state="unknown"} 0
vigie_device_state{device="edge",instance="edge.example:1161",device_id="0000000c",state="up"} 0
vigie_device_state{device="edge",instance="edge.example:1161",device_id="0000000c",state="snmp_down"} 1
vigie_device_state{device="edge",instance="edge.example:1161",device_id="0000000c",state="unreachable"} 0
vigie_device_state{device="edge",instance="edge.example:1161",device_id="0000000c",state="unknown"} 0
"#;
