//! What the store accepted, as the series remote-write sends (the series contract,
//! `briefs/series-contract.md`): per interface and poll the `/metrics` interface families under
//! snmp_exporter's names plus Vigie's computed rates; per device and poll `sysUpTime` and
//! `vigie_device_up`; per echo round the ping series. Labels: `device`, `instance`, `device_id`,
//! and for interfaces `ifIndex`, `ifName`, `ifDescr`, `ifAlias` (empty ones left out when sent).
//!
//! An accepted poll holds values only: each interface's labels are a [`InterfaceLabels`] kept
//! in the device's [`LabelCache`] across polls, replaced only when the device's name or address
//! or the interface's names change, so a poll allocates one vector and formats no label. The
//! exporter encodes each label set once per target (see [`Encoded`]) and reuses the bytes for
//! as long as the set lives.

use std::sync::{Arc, Mutex, OnceLock};

use super::proto::EncodedLabels;
use crate::api::metrics::families::{instance, FAMILY_COUNT, INTERFACE_FAMILIES};
use crate::device::{Device, EchoStatus};
use crate::store::{DeviceLive, InterfaceLive};

/// The series of one interface at one poll: the `/metrics` families, then the two rates.
pub const INTERFACE_SERIES: usize = FAMILY_COUNT + 2;

/// The name of the interface series at `i` (as in [`InterfaceValues::values`]).
pub fn interface_series_name(i: usize) -> &'static str {
    match i.checked_sub(FAMILY_COUNT) {
        None => INTERFACE_FAMILIES[i].name,
        Some(0) => "vigie_interface_in_bps",
        Some(_) => "vigie_interface_out_bps",
    }
}

/// A label set encoded for each target, in the order of the targets (the exporter fills it the
/// first time it sends the set; the set never changes after).
pub type Encoded = OnceLock<Box<[EncodedLabels]>>;

/// A device's labels, sorted by name, and its interfaces' (sorted by ifIndex): shared by every
/// poll while none of them changes.
#[derive(Debug)]
pub struct DeviceLabels {
    /// What the labels are made of, to notice a change: name, host, port.
    key: (String, String, u16),
    pub labels: [(&'static str, String); 3],
    pub encoded: Encoded,
    interfaces: Vec<Arc<InterfaceLabels>>,
}

/// An interface's own labels (the device's are in its [`DeviceLabels`]).
#[derive(Debug)]
pub struct InterfaceLabels {
    pub if_index: u32,
    pub if_name: String,
    pub if_descr: String,
    pub if_alias: String,
    /// The device's labels, the interface's and the target's external labels, encoded.
    pub encoded: Encoded,
}

impl DeviceLabels {
    fn new(device: &Device) -> DeviceLabels {
        let c = &device.config;
        DeviceLabels {
            key: (c.name.clone(), c.host.clone(), c.port),
            labels: [("device", c.name.clone()), ("device_id", device.id.0.clone()), ("instance", instance(device))],
            encoded: Encoded::new(),
            interfaces: Vec::new(),
        }
    }

    fn describes(&self, device: &Device) -> bool {
        let c = &device.config;
        (self.key.0.as_str(), self.key.1.as_str(), self.key.2) == (c.name.as_str(), c.host.as_str(), c.port)
    }

    /// This device's labels with the interfaces of `live`: the interfaces' label sets kept
    /// where their names did not change.
    fn with_interfaces(&self, live: &DeviceLive) -> DeviceLabels {
        let interfaces = live
            .interfaces
            .values()
            .map(|interface| match self.interface(interface) {
                Some(kept) => kept.clone(),
                None => Arc::new(InterfaceLabels::new(interface)),
            })
            .collect();
        DeviceLabels { key: self.key.clone(), labels: self.labels.clone(), encoded: self.encoded.clone(), interfaces }
    }

    /// The kept label set of `interface`, when its names are those it was made of.
    fn interface(&self, interface: &InterfaceLive) -> Option<&Arc<InterfaceLabels>> {
        let i = self.interfaces.binary_search_by_key(&interface.info.if_index, |l| l.if_index).ok()?;
        Some(&self.interfaces[i]).filter(|labels| labels.describes(interface))
    }
}

impl InterfaceLabels {
    fn new(interface: &InterfaceLive) -> InterfaceLabels {
        let info = &interface.info;
        InterfaceLabels {
            if_index: info.if_index,
            if_name: info.if_name().to_string(),
            if_descr: info.if_descr().to_string(),
            if_alias: info.if_alias().to_string(),
            encoded: Encoded::new(),
        }
    }

    fn describes(&self, interface: &InterfaceLive) -> bool {
        let info = &interface.info;
        self.if_name == info.if_name() && self.if_descr == info.if_descr() && self.if_alias == info.if_alias()
    }
}

/// One device's label sets, kept across polls (it lives and goes with the device in the store).
#[derive(Debug, Default)]
pub struct LabelCache(Mutex<Option<Arc<DeviceLabels>>>);

impl LabelCache {
    /// The device's labels as they are now (made again only when they changed).
    fn device(&self, device: &Device) -> Arc<DeviceLabels> {
        let mut cached = self.0.lock().expect("label cache lock");
        match cached.as_ref().filter(|labels| labels.describes(device)) {
            Some(labels) => labels.clone(),
            None => cached.insert(Arc::new(DeviceLabels::new(device))).clone(),
        }
    }

    /// The device's labels with those of every interface in `live`.
    fn interfaces(&self, device: &Device, live: &DeviceLive) -> Arc<DeviceLabels> {
        let labels = self.device(device);
        let current = labels.interfaces.len() == live.interfaces.len()
            && live
                .interfaces
                .values()
                .zip(&labels.interfaces)
                .all(|(interface, kept)| interface.info.if_index == kept.if_index && kept.describes(interface));
        if current {
            return labels;
        }
        let renewed = Arc::new(labels.with_interfaces(live));
        *self.0.lock().expect("label cache lock") = Some(renewed.clone());
        renewed
    }
}

/// One interface's samples at one poll: bit `i` of `present` says `values[i]` is sent. Its
/// labels are those at `index` in the poll's [`DeviceLabels`] (see [`Accepted::labels`]): an
/// index, not a reference count taken and dropped on another thread per interface and poll.
#[derive(Debug, PartialEq)]
pub struct InterfaceValues {
    pub index: u32,
    pub present: u32,
    pub values: [f64; INTERFACE_SERIES],
}

impl InterfaceValues {
    /// The series sent, with their values, in order.
    pub fn samples(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        let mut left = self.present;
        std::iter::from_fn(move || {
            let i = left.trailing_zeros() as usize;
            left &= left.wrapping_sub(1);
            (i < INTERFACE_SERIES).then(|| (interface_series_name(i), self.values[i]))
        })
    }
}

impl PartialEq for InterfaceLabels {
    fn eq(&self, other: &Self) -> bool {
        (self.if_index, &self.if_name, &self.if_descr, &self.if_alias)
            == (other.if_index, &other.if_name, &other.if_descr, &other.if_alias)
    }
}

impl PartialEq for DeviceLabels {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
    }
}

/// What one accepted poll, failed poll or echo round gives remote-write.
#[derive(Debug, PartialEq)]
pub enum What {
    /// A poll that answered: its interfaces, and the device's sysUpTime when one was read.
    Poll { interfaces: Vec<InterfaceValues>, uptime_ticks: Option<u32> },
    /// A poll that failed: `vigie_device_up` 0.
    Failed,
    /// An echo round: the share lost, and the round-trip times (seconds) when an echo came back.
    Echo { loss: f64, rtts: [Option<f64>; 3] },
}

/// The ping series of an echo round, in the order of [`What::Echo`]'s `rtts`.
const RTT_SERIES: [&str; 3] =
    ["vigie_ping_rtt_min_seconds", "vigie_ping_rtt_avg_seconds", "vigie_ping_rtt_max_seconds"];

#[derive(Debug, PartialEq)]
pub struct Accepted {
    pub device: Arc<DeviceLabels>,
    pub at_ms: i64,
    pub what: What,
}

/// A series of a device (not of an interface): `sysUpTime`, `vigie_device_up`, the ping ones.
pub type DeviceSample = (&'static str, f64);

impl Accepted {
    /// Its size in memory, roughly: what the hand-off counts against its bound (label sets
    /// are shared with the device's cache and counted there, not here).
    pub fn bytes(&self) -> usize {
        let interfaces = match &self.what {
            What::Poll { interfaces, .. } => interfaces.len(),
            _ => 0,
        };
        std::mem::size_of::<Accepted>() + interfaces * std::mem::size_of::<InterfaceValues>()
    }

    /// Series samples it holds.
    pub fn samples(&self) -> usize {
        match &self.what {
            What::Poll { interfaces, uptime_ticks } => {
                interfaces.iter().map(|i| i.present.count_ones() as usize).sum::<usize>()
                    + usize::from(uptime_ticks.is_some())
                    + 1
            }
            What::Failed => 1,
            What::Echo { rtts, .. } => 1 + rtts.iter().flatten().count(),
        }
    }

    /// The device's own series, in the order they are sent (after its interfaces').
    pub fn device_samples(&self) -> impl Iterator<Item = DeviceSample> {
        let mut samples: [Option<DeviceSample>; 4] = [None; 4];
        match &self.what {
            What::Poll { uptime_ticks, .. } => {
                samples[0] = uptime_ticks.map(|ticks| ("sysUpTime", f64::from(ticks)));
                samples[1] = Some(("vigie_device_up", 1.0));
            }
            What::Failed => samples[0] = Some(("vigie_device_up", 0.0)),
            What::Echo { loss, rtts } => {
                samples[0] = Some(("vigie_ping_loss_ratio", *loss));
                for (slot, (name, rtt)) in samples[1..].iter_mut().zip(RTT_SERIES.iter().zip(rtts)) {
                    *slot = rtt.map(|seconds| (*name, seconds));
                }
            }
        }
        samples.into_iter().flatten()
    }

    /// The labels of one of its interfaces.
    pub fn labels(&self, interface: &InterfaceValues) -> &Arc<InterfaceLabels> {
        &self.device.interfaces[interface.index as usize]
    }

    /// Its interfaces' samples (none but for a poll that answered).
    pub fn interfaces(&self) -> &[InterfaceValues] {
        match &self.what {
            What::Poll { interfaces, .. } => interfaces,
            _ => &[],
        }
    }
}

/// A poll that answered at `at_ms`, read from the device's live state once the store applied
/// it: the interfaces it read (their latest sample is this poll's) and the device's series.
pub fn poll(device: &Device, live: &DeviceLive, at_ms: i64, cache: &LabelCache) -> Accepted {
    let labels = cache.interfaces(device, live);
    let mut interfaces = Vec::with_capacity(live.interfaces.len());
    let mut uptime_ticks = None;
    for (index, interface) in (0..).zip(live.interfaces.values()) {
        let Some(latest) = interface.latest.as_ref().filter(|l| l.at_ms == at_ms) else { continue };
        uptime_ticks = Some(latest.uptime_ticks);
        let mut sample = InterfaceValues { index, present: 0, values: [0.0; INTERFACE_SERIES] };
        for (i, family) in INTERFACE_FAMILIES.iter().enumerate() {
            if let Some(value) = (family.value)(interface) {
                sample.present |= 1 << i;
                sample.values[i] = value as f64;
            }
        }
        // Rounded as the store writes them, so a TSDB holds what Vigie's own API answers.
        let rates = [latest.reading.in_bps.get(), latest.reading.out_bps.get()];
        for (i, bps) in (FAMILY_COUNT..).zip(rates) {
            if let Some(bps) = bps {
                sample.present |= 1 << i;
                sample.values[i] = bps.round().max(0.0);
            }
        }
        interfaces.push(sample);
    }
    Accepted { device: labels, at_ms, what: What::Poll { interfaces, uptime_ticks } }
}

/// A poll that failed at `at_ms`: the device is not up.
pub fn failed_poll(device: &Device, at_ms: i64, cache: &LabelCache) -> Accepted {
    Accepted { device: cache.device(device), at_ms, what: What::Failed }
}

/// A round of echo requests: the share lost, and the round-trip times when an echo came back
/// (none for a round that sent nothing).
pub fn echo(device: &Device, round: &EchoStatus, cache: &LabelCache) -> Option<Accepted> {
    if round.sent == 0 {
        return None;
    }
    let loss = 1.0 - f64::from(round.received) / f64::from(round.sent);
    let seconds = |ms: Option<f64>| ms.filter(|_| round.received > 0).map(|ms| ms / 1000.0);
    let rtts = [seconds(round.rtt_min_ms), seconds(round.rtt_avg_ms), seconds(round.rtt_max_ms)];
    Some(Accepted { device: cache.device(device), at_ms: round.at * 1000, what: What::Echo { loss, rtts } })
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

    fn names(accepted: &Accepted, if_index: u32) -> Vec<&'static str> {
        let interface = accepted.interfaces().iter().find(|i| accepted.labels(i).if_index == if_index);
        interface.map(|i| i.samples().map(|(name, _)| name).collect()).unwrap_or_default()
    }

    #[test]
    fn a_poll_gives_the_metrics_families_and_the_rates_of_the_interfaces_it_read() {
        let mut live = DeviceLive::new();
        live.interfaces.insert(interface(1, 5000, Some(8000.6)));
        live.interfaces.insert(interface(2, 5000, None)); // first poll: no rate
        live.interfaces.insert(interface(3, 4000, Some(1.0))); // not read by this poll
        let accepted = poll(&device(), &live, 5000, &LabelCache::default());
        let one = names(&accepted, 1);
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
        assert!(!names(&accepted, 2).contains(&"vigie_interface_in_bps"), "no rate, no sample");
        assert!(names(&accepted, 3).is_empty());
        let (_, in_bps) = accepted.interfaces()[0].samples().find(|(n, _)| *n == "vigie_interface_in_bps").unwrap();
        assert_eq!(in_bps, 8001.0, "rounded as the store writes it");
        assert_eq!(accepted.at_ms, 5000);
        assert_eq!(
            accepted.device.labels,
            [("device", "sw1".into()), ("device_id", "0000abcd".into()), ("instance", "127.0.0.1:1161".into())]
        );
        assert_eq!(accepted.device_samples().collect::<Vec<_>>(), [("sysUpTime", 4200.0), ("vigie_device_up", 1.0)]);
        let per_interface: usize = accepted.interfaces().iter().map(|i| i.samples().count()).sum();
        assert_eq!(accepted.samples(), per_interface + 2);
        assert!(accepted.bytes() > 0);
    }

    #[test]
    fn label_sets_are_kept_across_polls_and_made_again_when_a_name_changes() {
        let cache = LabelCache::default();
        let mut live = DeviceLive::new();
        live.interfaces.insert(interface(1, 5000, None));
        live.interfaces.insert(interface(2, 5000, None));
        let first = poll(&device(), &live, 5000, &cache);
        for i in live.interfaces.values_mut() {
            i.latest.as_mut().unwrap().at_ms = 6000;
        }
        let second = poll(&device(), &live, 6000, &cache);
        assert!(Arc::ptr_eq(&first.device, &second.device), "nothing changed: the same labels");
        live.interfaces.get_mut(&2).unwrap().info.set_if_alias("uplink");
        let third = poll(&device(), &live, 6000, &cache);
        let labels = |accepted: &Accepted, i: usize| accepted.labels(&accepted.interfaces()[i]).clone();
        assert!(Arc::ptr_eq(&labels(&second, 0), &labels(&third, 0)), "the unchanged interface keeps its set");
        assert_eq!(labels(&third, 1).if_alias, "uplink");
        assert!(!Arc::ptr_eq(&labels(&second, 1), &labels(&third, 1)));
        live.interfaces.insert(interface(7, 6000, None));
        let fourth = poll(&device(), &live, 6000, &cache);
        assert_eq!(fourth.interfaces().iter().map(|i| fourth.labels(i).if_index).collect::<Vec<_>>(), [1, 2, 7]);
        let mut renamed = device();
        renamed.config.name = "sw1-lyon".into();
        let fifth = poll(&renamed, &live, 6000, &cache);
        assert_eq!(fifth.device.labels[0], ("device", "sw1-lyon".to_string()));
        assert!(!Arc::ptr_eq(&labels(&fourth, 0), &labels(&fifth, 0)), "all made again");
        assert!(Arc::ptr_eq(&failed_poll(&renamed, 7, &cache).device, &fifth.device));
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
        let cache = LabelCache::default();
        let some = echo(&device(), &round(3), &cache).unwrap();
        assert_eq!(some.at_ms, 100_000);
        assert_eq!(
            some.device_samples().collect::<Vec<_>>(),
            [
                ("vigie_ping_loss_ratio", 0.25),
                ("vigie_ping_rtt_min_seconds", 0.001),
                ("vigie_ping_rtt_avg_seconds", 0.002),
                ("vigie_ping_rtt_max_seconds", 0.004)
            ]
        );
        assert_eq!(some.samples(), 4);
        let none = echo(&device(), &round(0), &cache).unwrap();
        assert_eq!(none.device_samples().collect::<Vec<_>>(), [("vigie_ping_loss_ratio", 1.0)]);
        let nothing_sent = EchoStatus { sent: 0, ..round(0) };
        assert!(echo(&device(), &nothing_sent, &cache).is_none());
        assert_eq!(failed_poll(&device(), 7, &cache).device_samples().collect::<Vec<_>>(), [("vigie_device_up", 0.0)]);
    }
}
