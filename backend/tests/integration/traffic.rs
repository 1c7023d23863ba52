//! A device's whole life against a real net-snmp agent: it comes up, its interfaces show the
//! agent's exact counters, traffic shows the rates the test drives across 32- and 64-bit wraps,
//! a reboot gives a gap and no spike, a closed port turns it down with a reason, and a restart
//! of vigie keeps the device and its history.

use std::time::Duration;

use serde_json::Value;

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

const SECOND: Duration = Duration::from_secs(1);

fn interfaces(in_start: (u64, u64), per_sec: (u64, u64)) -> Vec<Interface> {
    let mut uplink = Interface::new(1, "uplink0");
    uplink.alias = "to core".into();
    uplink.in_octets = in_start.0;
    uplink.out_octets = 7;
    uplink.in_octets_per_sec = per_sec.0;
    uplink.out_octets_per_sec = 2 * per_sec.0;
    let mut old = Interface::new(2, "fe0");
    old.hc = false;
    old.speed_bps = 100_000_000;
    old.in_octets = in_start.1;
    old.in_octets_per_sec = per_sec.1;
    vec![uplink, old]
}

fn interface(vigie: &Vigie, id: &str, if_index: u64) -> Value {
    let list = vigie.get(&format!("/api/v1/devices/{id}/interfaces")).body;
    list.as_array().expect("array").iter().find(|i| i["ifIndex"] == if_index).cloned().expect("interface listed")
}

/// Average inbound rates from `from` until now, one per second (None for a gap).
fn in_rates(vigie: &Vigie, id: &str, if_index: u32, from: i64) -> Vec<Option<f64>> {
    let now = now_secs();
    let traffic = vigie
        .get(&format!("/api/v1/devices/{id}/interfaces/{if_index}/traffic?from={from}&to={now}&maxPoints=1000"))
        .body;
    assert_eq!(traffic["stepSecs"], 1, "1 s polls are served at 1 s steps: {traffic}");
    traffic["points"].as_array().expect("points").iter().map(|p| p["inBps"].as_f64()).collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn close_to(value: f64, expected: f64) -> bool {
    (value - expected).abs() <= expected * 0.05
}

#[test]
fn a_device_lifecycle_against_net_snmp() {
    // Still counters first, to compare exact values.
    let near_2_64 = u64::MAX - 1_000_000;
    let near_2_32 = (1u64 << 32) - 120_000;
    let mut agent = Snmpd::start(&interfaces((near_2_64, near_2_32), (0, 0)));
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start(&data_dir);
    let id = vigie.add_device("edge-1", agent.port());

    vigie.wait_until(10 * SECOND, "the device is up with its interfaces", |v| {
        let d = v.device(&id);
        (d["status"]["state"] == "up" && d["interfaceCount"] == 2).then_some(())
    });
    let device = vigie.device(&id);
    assert_eq!(device["system"]["sysName"], crate::snmpd::SYS_NAME);
    assert_eq!(device["snmp"], serde_json::json!({"version": "v2c", "communitySet": true}));
    let uplink = interface(&vigie, &id, 1);
    assert_eq!(uplink["ifName"], "uplink0");
    assert_eq!(uplink["ifAlias"], "to core");
    assert_eq!(uplink["speedBps"], 1_000_000_000u64);
    assert_eq!(uplink["counterBits"], 64);
    assert_eq!(uplink["ifHCInOctets"].as_u64(), Some(near_2_64), "the agent's exact 64-bit counter");
    let old = interface(&vigie, &id, 2);
    assert_eq!(old["counterBits"], 32, "no HC columns: 32-bit fallback");
    assert_eq!(old["ifHCInOctets"].as_u64(), Some(near_2_32));
    assert_eq!(old["speedBps"], 100_000_000u64);

    // Now drive traffic: 1 Mbit/s in and 2 Mbit/s out on the uplink, 100 kbit/s in on fe0.
    // The 64-bit counter wraps after about 8 s, the 32-bit one after about 10 s.
    agent.set_interfaces(&interfaces((near_2_64, near_2_32), (125_000, 12_500)));
    // The first interval straddles the change; rates are exact from the next one on.
    let driven_from = now_secs() + 2;
    vigie.wait_until(40 * SECOND, "both counters wrapped", |v| {
        let up = interface(v, &id, 1)["ifHCInOctets"].as_u64()?;
        let fe = interface(v, &id, 2)["ifHCInOctets"].as_u64()?;
        (up < near_2_64 && fe < near_2_32).then_some(())
    });
    std::thread::sleep(3 * SECOND);
    let uplink_rates = in_rates(&vigie, &id, 1, driven_from);
    let fe_rates = in_rates(&vigie, &id, 2, driven_from);
    for (name, rates, expected) in [("uplink", &uplink_rates, 1_000_000.0), ("fe0", &fe_rates, 100_000.0)] {
        let seen: Vec<f64> = rates.iter().flatten().copied().collect();
        assert!(seen.len() >= 8, "{name}: a rate every second or so: {rates:?}");
        assert!(
            seen.iter().all(|&r| close_to(r, expected)),
            "{name}: every rate near {expected}, wraps included: {rates:?}"
        );
    }
    let out = interface(&vigie, &id, 1)["outBps"].as_f64().expect("out rate");
    assert!(close_to(out, 2_000_000.0), "out rate {out}");

    // Reboot: sysUpTime and counters start again near zero. A gap, never a spike.
    agent.set_interfaces(&interfaces((1_000, 1_000), (125_000, 12_500)));
    agent.restart();
    let reboot_at = now_secs();
    vigie.wait_until(15 * SECOND, "polls after the reboot", |v| {
        let counters = v.get(&format!("/api/v1/devices/{id}/interfaces/1/counters?from={reboot_at}")).body;
        (counters.as_array()?.len() >= 4).then_some(())
    });
    let rates = in_rates(&vigie, &id, 1, driven_from);
    let seen: Vec<f64> = rates.iter().flatten().copied().collect();
    assert!(seen.iter().all(|&r| close_to(r, 1_000_000.0)), "no spike across the reboot: {rates:?}");
    let counters = vigie.get(&format!("/api/v1/devices/{id}/interfaces/1/counters?from={}", reboot_at - 10)).body;
    let samples = counters.as_array().unwrap();
    let first_after = samples
        .windows(2)
        .find(|w| w[1]["ifHCInOctets"].as_u64() < w[0]["ifHCInOctets"].as_u64())
        .map(|w| w[1]["timestamp"].as_f64().unwrap().floor() as i64)
        .expect("the counters went back at the reboot");
    let traffic = vigie
        .get(&format!("/api/v1/devices/{id}/interfaces/1/traffic?from={first_after}&to={first_after}&maxPoints=1"))
        .body;
    assert_eq!(traffic["points"][0]["inBps"], Value::Null, "the poll after a reboot is a gap: {traffic}");

    // A closed port: down at once, with the reason (not after the timeout).
    agent.stop();
    // On loopback the host answers pings: snmp_down (unreachable where ICMP is unavailable).
    let down = |state: &Value| state == "snmp_down" || state == "unreachable";
    vigie.wait_until(10 * SECOND, "the device is down", |v| down(&v.device(&id)["status"]["state"]).then_some(()));
    let status = &vigie.device(&id)["status"];
    let error = status["lastError"].as_str().expect("a reason");
    assert!(
        error.contains("refused SNMP") && error.contains("ICMP port unreachable"),
        "a closed port, seen as such: {error}"
    );
    assert!(status["consecutiveFailures"].as_u64() >= Some(1));

    // Restart vigie: the device and its history are still there.
    let exit = vigie.terminate();
    assert!(exit.success(), "SIGTERM exits 0: {exit:?}\n{}", vigie.log());
    let mut vigie = Vigie::start(&data_dir);
    let device = vigie.device(&id);
    assert_eq!(device["name"], "edge-1");
    assert!(down(&device["status"]["state"]), "{}", device["status"]);
    assert_eq!(device["interfaceCount"], 2);
    let history = in_rates(&vigie, &id, 1, driven_from);
    assert!(history.iter().flatten().count() >= 10, "history survives a restart: {history:?}");

    // Removal stops polling and deletes the history.
    assert_eq!(vigie.delete(&format!("/api/v1/devices/{id}")).status, 204);
    assert_eq!(vigie.get(&format!("/api/v1/devices/{id}")).status, 404);
    assert_eq!(vigie.get("/api/v1/devices").body, serde_json::json!([]));
    vigie.wait_until(5 * SECOND, "its data is deleted", |_| {
        (!data_dir.join("devices").join(&id).exists()).then_some(())
    });
}
