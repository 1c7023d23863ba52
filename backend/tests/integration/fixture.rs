//! Checks the snmpd fixture itself with net-snmp's own `snmpget`, so a failure here points at the
//! fixture rather than at Vigie's SNMP client.

use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::snmpd::{Interface, Snmpd, SYS_NAME};

const SYS_UPTIME: &str = "1.3.6.1.2.1.1.3.0";
const SYS_NAME_OID: &str = "1.3.6.1.2.1.1.5.0";
const IF_NUMBER: &str = "1.3.6.1.2.1.2.1.0";
const IF_IN_OCTETS: &str = "1.3.6.1.2.1.2.2.1.10";
const IF_HC_IN_OCTETS: &str = "1.3.6.1.2.1.31.1.1.1.6";
const IF_NAME: &str = "1.3.6.1.2.1.31.1.1.1.1";
const IF_HIGH_SPEED: &str = "1.3.6.1.2.1.31.1.1.1.15";

/// The value of one OID as `snmpget -Oqv` prints it, or None when the agent does not answer.
fn snmpget(snmpd: &Snmpd, oid: &str) -> Option<String> {
    let output = Command::new("snmpget")
        .args(["-v2c", "-c", "public", "-m", "", "-On", "-Oqvt", "-t", "0.5", "-r", "1"])
        .arg(format!("127.0.0.1:{}", snmpd.port()))
        .arg(oid)
        .output()
        .expect("run snmpget");
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn get(snmpd: &Snmpd, oid: &str) -> String {
    snmpget(snmpd, oid).unwrap_or_else(|| panic!("no answer for {oid}:\n{}", snmpd.log()))
}

fn uptime_ticks(snmpd: &Snmpd) -> u64 {
    get(snmpd, SYS_UPTIME).parse().expect("sysUpTime in ticks")
}

#[test]
fn snmpd_fixture_serves_counters() {
    let mut hc = Interface::new(1, "eth0");
    hc.in_octets = u64::MAX - 4; // 2^64 - 5
    hc.speed_bps = 10_000_000_000;
    let mut legacy = Interface::new(2, "eth1");
    legacy.hc = false;
    legacy.in_octets = (1 << 32) + 7;
    let mut snmpd = Snmpd::start(&[hc.clone(), legacy.clone()]);

    assert_eq!(get(&snmpd, SYS_NAME_OID), format!("\"{SYS_NAME}\""));
    assert_eq!(get(&snmpd, IF_NUMBER), "2");
    assert_eq!(get(&snmpd, &format!("{IF_NAME}.2")), "\"eth1\"");
    assert_eq!(get(&snmpd, &format!("{IF_HIGH_SPEED}.1")), "10000");
    assert_eq!(get(&snmpd, &format!("{IF_HC_IN_OCTETS}.1")), (u64::MAX - 4).to_string());
    assert_eq!(get(&snmpd, &format!("{IF_IN_OCTETS}.1")), ((u64::MAX - 4) % (1 << 32)).to_string());
    assert_eq!(get(&snmpd, &format!("{IF_IN_OCTETS}.2")), "7");
    assert!(
        get(&snmpd, &format!("{IF_HC_IN_OCTETS}.2")).starts_with("No Such Instance"),
        "a non-hc interface has no ifHCInOctets row"
    );

    // Counters change without restarting the agent.
    hc.in_octets = 3;
    snmpd.set_interfaces(&[hc.clone(), legacy.clone()]);
    assert_eq!(get(&snmpd, &format!("{IF_HC_IN_OCTETS}.1")), "3");

    // A restart is a reboot: same port, sysUpTime starts again near 0.
    while uptime_ticks(&snmpd) < 50 {
        thread::sleep(Duration::from_millis(50));
    }
    let before = uptime_ticks(&snmpd);
    let port = snmpd.port();
    snmpd.restart();
    assert_eq!(snmpd.port(), port);
    assert!(uptime_ticks(&snmpd) < before, "sysUpTime did not drop after a restart");
    assert_eq!(get(&snmpd, &format!("{IF_HC_IN_OCTETS}.1")), "3");

    snmpd.stop();
    assert_eq!(snmpget(&snmpd, SYS_UPTIME), None, "a stopped agent must not answer");
}
