//! What the store accepted, as the series remote-write sends (the series contract,
//! `briefs/series-contract.md`): per interface and poll the `/metrics` interface families under
//! snmp_exporter's names plus Vigie's computed rates; per device and poll `sysUpTime` and
//! `vigie_device_up`; per echo round the ping series. Labels: `device`, `instance`, `device_id`,
//! and for interfaces `ifIndex`, `ifName`, `ifDescr`, `ifAlias` (empty ones left out when sent).

use std::sync::Arc;

use crate::api::metrics::families::{instance, INTERFACE_FAMILIES};
use crate::device::{Device, EchoStatus};
use crate::store::DeviceLive;

/// The labels a group of points share (without `__name__`), sorted by name.
#[derive(Debug, PartialEq)]
pub struct LabelSet(pub Vec<(&'static str, String)>);

impl LabelSet {
    fn new(mut labels: Vec<(&'static str, String)>) -> Arc<LabelSet> {
        labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Arc::new(LabelSet(labels))
    }

    fn bytes(&self) -> usize {
        self.0.iter().map(|(n, v)| n.len() + v.len() + 16).sum()
    }
}

/// One sample of one series.
#[derive(Debug, PartialEq)]
pub struct Point {
    pub name: &'static str,
    pub labels: Arc<LabelSet>,
    pub value: f64,
    pub at_ms: i64,
}

/// What one accepted poll, failed poll or echo round gives remote-write.
#[derive(Debug, Default, PartialEq)]
pub struct Accepted {
    pub points: Vec<Point>,
}

impl Accepted {
    /// Its size in memory, roughly: what the hand-off counts against its bound.
    pub fn bytes(&self) -> usize {
        // Points sharing labels are next to each other: each label set is counted once.
        let mut previous = None;
        let mut bytes = self.points.len() * std::mem::size_of::<Point>();
        for point in &self.points {
            let labels = Arc::as_ptr(&point.labels);
            if previous != Some(labels) {
                bytes += point.labels.bytes();
                previous = Some(labels);
            }
        }
        bytes
    }

    pub fn oldest_ms(&self) -> Option<i64> {
        self.points.iter().map(|p| p.at_ms).min()
    }

    fn push(&mut self, name: &'static str, labels: &Arc<LabelSet>, value: f64, at_ms: i64) {
        self.points.push(Point { name, labels: labels.clone(), value, at_ms });
    }
}

fn device_labels(device: &Device) -> Vec<(&'static str, String)> {
    vec![("device", device.config.name.clone()), ("instance", instance(device)), ("device_id", device.id.0.clone())]
}

/// A poll that answered at `at_ms`, read from the device's live state once the store applied
/// it: the interfaces it read (their latest sample is this poll's) and the device's series.
pub fn poll(device: &Device, live: &DeviceLive, at_ms: i64) -> Accepted {
    let mut accepted = Accepted::default();
    let device_set = LabelSet::new(device_labels(device));
    let mut uptime = None;
    for interface in live.interfaces.values() {
        let Some(latest) = interface.latest.as_ref().filter(|l| l.at_ms == at_ms) else { continue };
        uptime = Some(latest.uptime_ticks);
        let info = &interface.info;
        // One label set per interface and poll, shared by its series: the exporter encodes it
        // once per target (the device's labels were formatted once for the poll).
        let mut labels = Vec::with_capacity(device_set.0.len() + 4);
        labels.extend(device_set.0.iter().cloned());
        labels.extend([
            ("ifIndex", info.if_index.to_string()),
            ("ifName", info.if_name.clone()),
            ("ifDescr", info.if_descr.clone()),
            ("ifAlias", info.if_alias.clone()),
        ]);
        let labels = LabelSet::new(labels);
        for family in INTERFACE_FAMILIES {
            if let Some(value) = (family.value)(interface) {
                accepted.push(family.name, &labels, value as f64, at_ms);
            }
        }
        // Rounded as the store writes them, so a TSDB holds what Vigie's own API answers.
        let rate = |bps: Option<f64>| bps.map(|bps| bps.round().max(0.0));
        if let Some(bps) = rate(latest.reading.in_bps) {
            accepted.push("vigie_interface_in_bps", &labels, bps, at_ms);
        }
        if let Some(bps) = rate(latest.reading.out_bps) {
            accepted.push("vigie_interface_out_bps", &labels, bps, at_ms);
        }
    }
    if let Some(ticks) = uptime {
        accepted.push("sysUpTime", &device_set, f64::from(ticks), at_ms);
    }
    accepted.push("vigie_device_up", &device_set, 1.0, at_ms);
    accepted
}

/// A poll that failed at `at_ms`: the device is not up.
pub fn failed_poll(device: &Device, at_ms: i64) -> Accepted {
    let mut accepted = Accepted::default();
    accepted.push("vigie_device_up", &LabelSet::new(device_labels(device)), 0.0, at_ms);
    accepted
}

/// A round of echo requests: the share lost, and the round-trip times when an echo came back.
pub fn echo(device: &Device, round: &EchoStatus) -> Accepted {
    let mut accepted = Accepted::default();
    if round.sent == 0 {
        return accepted;
    }
    let labels = LabelSet::new(device_labels(device));
    let at_ms = round.at * 1000;
    let loss = 1.0 - f64::from(round.received) / f64::from(round.sent);
    accepted.push("vigie_ping_loss_ratio", &labels, loss, at_ms);
    if round.received > 0 {
        let rtts = [
            ("vigie_ping_rtt_min_seconds", round.rtt_min_ms),
            ("vigie_ping_rtt_avg_seconds", round.rtt_avg_ms),
            ("vigie_ping_rtt_max_seconds", round.rtt_max_ms),
        ];
        for (name, ms) in rtts {
            if let Some(ms) = ms {
                accepted.push(name, &labels, ms / 1000.0, at_ms);
            }
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceConfig, DeviceId};
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};
    use crate::store::{InterfaceLive, InterfaceReading, LatestSample};

    fn device() -> Device {
        Device {
            id: DeviceId("0000abcd".into()),
            created_at: 0,
            config: DeviceConfig::v2c("sw1", "127.0.0.1", 1161, "public"),
        }
    }

    fn interface(if_index: u32, at_ms: i64, in_bps: Option<f64>) -> InterfaceLive {
        let counters = CounterRow::octets(if_index, 1000, 7, CounterBits::Bits64);
        let reading = InterfaceReading::traffic(counters, in_bps, Some(12.4));
        InterfaceLive {
            info: InterfaceInfo::ethernet(if_index),
            latest: Some(LatestSample { at_ms, uptime_ticks: 4200, reading }),
        }
    }

    fn names(accepted: &Accepted, labels: &str) -> Vec<&'static str> {
        accepted
            .points
            .iter()
            .filter(|p| p.labels.0.iter().any(|(n, v)| *n == "ifIndex" && v == labels))
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn a_poll_gives_the_metrics_families_and_the_rates_of_the_interfaces_it_read() {
        let mut live = DeviceLive::new();
        live.interfaces.insert(1, interface(1, 5000, Some(8000.6)));
        live.interfaces.insert(2, interface(2, 5000, None)); // first poll: no rate
        live.interfaces.insert(3, interface(3, 4000, Some(1.0))); // not read by this poll
        let accepted = poll(&device(), &live, 5000);
        let one = names(&accepted, "1");
        for name in [
            "ifHCInOctets",
            "ifHCOutOctets",
            "ifOperStatus",
            "ifHighSpeed",
            "vigie_interface_in_bps",
            "vigie_interface_out_bps",
        ] {
            assert!(one.contains(&name), "{name} in {one:?}");
        }
        assert!(!one.contains(&"ifInOctets"), "64-bit counters only under their own names");
        assert!(!names(&accepted, "2").contains(&"vigie_interface_in_bps"), "no rate, no sample");
        assert!(names(&accepted, "3").is_empty());
        let in_bps = accepted.points.iter().find(|p| p.name == "vigie_interface_in_bps").unwrap();
        assert_eq!(in_bps.value, 8001.0, "rounded as the store writes it");
        assert_eq!(in_bps.at_ms, 5000);
        let labels: Vec<&str> = in_bps.labels.0.iter().map(|(n, _)| *n).collect();
        assert_eq!(labels, ["device", "device_id", "ifAlias", "ifDescr", "ifIndex", "ifName", "instance"]);
        assert!(in_bps.labels.0.contains(&("instance", "127.0.0.1:1161".to_string())));
        let device_series: Vec<_> =
            accepted.points.iter().filter(|p| p.labels.0.len() == 3).map(|p| (p.name, p.value)).collect();
        assert_eq!(device_series, [("sysUpTime", 4200.0), ("vigie_device_up", 1.0)]);
        assert!(accepted.bytes() > 0);
    }

    #[test]
    fn echo_rounds_give_loss_and_round_trip_times_in_seconds() {
        let round = |received| EchoStatus {
            at: 100,
            sent: 4,
            received,
            rtt_min_ms: (received > 0).then_some(1.0),
            rtt_avg_ms: (received > 0).then_some(2.0),
            rtt_max_ms: (received > 0).then_some(4.0),
            error: None,
        };
        let some = echo(&device(), &round(3));
        let values: Vec<_> = some.points.iter().map(|p| (p.name, p.value, p.at_ms)).collect();
        assert_eq!(
            values,
            [
                ("vigie_ping_loss_ratio", 0.25, 100_000),
                ("vigie_ping_rtt_min_seconds", 0.001, 100_000),
                ("vigie_ping_rtt_avg_seconds", 0.002, 100_000),
                ("vigie_ping_rtt_max_seconds", 0.004, 100_000)
            ]
        );
        let none = echo(&device(), &round(0));
        assert_eq!(none.points.iter().map(|p| (p.name, p.value)).collect::<Vec<_>>(), [("vigie_ping_loss_ratio", 1.0)]);
        assert_eq!(failed_poll(&device(), 7).points[0].value, 0.0);
    }
}
