//! What one scrape reads from the store, in one pass, and how it is written out in parts. Every
//! label block is escaped once and kept end to end in one string (no allocation per interface
//! nor per sample), each interface's values in a fixed array, so that writing a sample is a few
//! copies and an integer. A snapshot holds 128 bytes per interface plus its label text (about
//! 100 bytes): some 23 MB for 100,000 interfaces, against 1.6 kB of text per interface.

use std::ops::Range;

use crate::device::{Device, DeviceState};
use crate::store::DeviceLive;

use super::exposition::{escape_into, push_labels, Exposition, Kind};
use super::families::{instance, FAMILY_COUNT, INTERFACE_FAMILIES};

/// A run of samples of one family, in the answer's order: every interface family, then the
/// device families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The interface family at this index of [`INTERFACE_FAMILIES`].
    Interface(usize),
    Uptime,
    DeviceUp,
    DeviceState,
}

impl Section {
    /// Every section, in the answer's order.
    pub fn all() -> impl Iterator<Item = Section> {
        (0..FAMILY_COUNT).map(Section::Interface).chain([Section::Uptime, Section::DeviceUp, Section::DeviceState])
    }

    fn header(self) -> (&'static str, Kind, &'static str) {
        match self {
            Section::Interface(index) => {
                let family = &INTERFACE_FAMILIES[index];
                (family.name, family.kind, family.help)
            }
            Section::Uptime => (
                "sysUpTime",
                Kind::Gauge,
                "The time (in hundredths of a second) since the network management portion of the system was last re-initialized - 1.3.6.1.2.1.1.3",
            ),
            Section::DeviceUp => ("vigie_device_up", Kind::Gauge, "1 when the device's last poll answered, else 0."),
            Section::DeviceState => (
                "vigie_device_state",
                Kind::Gauge,
                "1 for the device's state (up, snmp_down, unreachable, unknown), 0 for the others.",
            ),
        }
    }
}

/// The fleet as one scrape sees it.
#[derive(Default)]
pub struct Snapshot {
    /// Label blocks end to end: per device `device="…",instance="…",device_id="…"`, then per
    /// interface its own copy of `device="…",instance="…"` followed by
    /// `,ifIndex="…",ifName="…",ifDescr="…",ifAlias="…"`.
    labels: String,
    devices: Vec<DeviceRow>,
    interfaces: Vec<InterfaceRow>,
}

struct DeviceRow {
    /// `device` and `instance` in `labels`; `device_id` follows up to `id_end`.
    start: usize,
    instance_end: usize,
    id_end: usize,
    uptime_ticks: Option<u64>,
    state: DeviceState,
}

struct InterfaceRow {
    /// Where its label block is in `labels`.
    block: Range<usize>,
    /// Its value in each family of [`INTERFACE_FAMILIES`], where bit `family` of `present` is set.
    values: [u64; FAMILY_COUNT],
    present: u16,
}

const _: () = assert!(FAMILY_COUNT <= 16, "one bit of InterfaceRow::present per family");

impl Snapshot {
    /// Reads one device and its interfaces; sysUpTime as of `now_secs`.
    pub fn read(&mut self, device: &Device, live: &DeviceLive, now_secs: i64) {
        let start = self.labels.len();
        push_labels(&mut self.labels, &[("device", &device.config.name), ("instance", &instance(device))]);
        let instance_end = self.labels.len();
        self.labels.push_str(",device_id=\"");
        escape_into(&mut self.labels, &device.id.0);
        self.labels.push('"');
        let uptime_ticks = live.uptime_secs(now_secs).map(|secs| (secs.max(0) as u64) * 100);
        self.devices.push(DeviceRow {
            start,
            instance_end,
            id_end: self.labels.len(),
            uptime_ticks,
            state: live.status.state,
        });

        let mut index = itoa::Buffer::new();
        for interface in live.interfaces.values() {
            let info = &interface.info;
            let block_start = self.labels.len();
            self.labels.extend_from_within(start..instance_end);
            self.labels.push_str(",ifIndex=\"");
            self.labels.push_str(index.format(info.if_index));
            self.labels.push_str("\",");
            push_labels(
                &mut self.labels,
                &[("ifName", info.if_name()), ("ifDescr", info.if_descr()), ("ifAlias", info.if_alias())],
            );
            let mut row = InterfaceRow { block: block_start..self.labels.len(), values: [0; FAMILY_COUNT], present: 0 };
            for (family, definition) in INTERFACE_FAMILIES.iter().enumerate() {
                if let Some(value) = (definition.value)(interface) {
                    row.values[family] = value;
                    row.present |= 1 << family;
                }
            }
            self.interfaces.push(row);
        }
    }

    /// Gives back what the reading reserved beyond its needs (strings and vectors grow by doubling).
    pub fn shrink(&mut self) {
        self.labels.shrink_to_fit();
        self.devices.shrink_to_fit();
        self.interfaces.shrink_to_fit();
    }

    /// How many rows (interfaces, or devices) a section has.
    pub fn rows(&self, section: Section) -> usize {
        match section {
            Section::Interface(_) => self.interfaces.len(),
            Section::Uptime | Section::DeviceUp | Section::DeviceState => self.devices.len(),
        }
    }

    /// Bytes held (the labels and the rows).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.labels.capacity()
            + self.devices.capacity() * std::mem::size_of::<DeviceRow>()
            + self.interfaces.capacity() * std::mem::size_of::<InterfaceRow>()
    }

    /// Writes the samples of `section` for its rows in `rows`, preceded by the family's `# HELP`
    /// and `# TYPE` when `rows` starts at 0.
    pub fn write(&self, out: &mut Exposition, section: Section, rows: Range<usize>) {
        let (name, kind, help) = section.header();
        if rows.start == 0 {
            out.family(name, kind, help);
        }
        match section {
            Section::Interface(family) => {
                for row in &self.interfaces[rows] {
                    if row.present & (1 << family) != 0 {
                        out.sample_block(name, &self.labels[row.block.clone()], row.values[family]);
                    }
                }
            }
            Section::Uptime => {
                for device in &self.devices[rows] {
                    if let Some(ticks) = device.uptime_ticks {
                        out.sample_block(name, &self.labels[device.start..device.instance_end], ticks);
                    }
                }
            }
            Section::DeviceUp => {
                for device in &self.devices[rows] {
                    let block = &self.labels[device.start..device.id_end];
                    out.sample_block(name, block, u64::from(device.state == DeviceState::Up));
                }
            }
            Section::DeviceState => {
                for device in &self.devices[rows] {
                    let block = &self.labels[device.start..device.id_end];
                    for state in DeviceState::ALL {
                        out.sample_labelled(name, block, "state", state.as_str(), u64::from(device.state == state));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    fn text(snapshot: &Snapshot, chunk: usize) -> String {
        let mut out = Exposition::default();
        for section in Section::all() {
            let rows = snapshot.rows(section);
            let mut start = 0;
            loop {
                let end = (start + chunk).min(rows);
                snapshot.write(&mut out, section, start..end);
                if end == rows {
                    break;
                }
                start = end;
            }
        }
        out.buf
    }

    #[test]
    fn a_fleet_is_written_byte_for_byte_as_before_whatever_the_chunks() {
        let mut snapshot = Snapshot::default();
        for (device, live) in golden::fleet() {
            snapshot.read(&device, &live, golden::NOW_SECS);
        }
        for chunk in [1, 2, 1000] {
            let got = text(&snapshot, chunk);
            if got != golden::EXPECTED {
                let diff = got.lines().zip(golden::EXPECTED.lines()).find(|(a, b)| a != b);
                panic!("chunks of {chunk}: the exposition changed; first differing line: {diff:?}\n{got}");
            }
        }
    }

    #[test]
    fn a_snapshot_holds_its_label_text_and_128_bytes_per_interface() {
        let (device, mut live) = golden::fleet().remove(2);
        for if_index in 100..1100 {
            let mut copy = live.interfaces[&10].clone();
            copy.info.if_index = if_index;
            live.interfaces.insert(copy);
        }
        let mut snapshot = Snapshot::default();
        snapshot.read(&device, &live, golden::NOW_SECS);
        snapshot.shrink();
        let label_text = snapshot.labels.len();
        assert_eq!(std::mem::size_of::<InterfaceRow>(), 128);
        assert_eq!(snapshot.bytes(), label_text + 1002 * 128 + std::mem::size_of::<DeviceRow>());
        // The text of an interface's 13 samples is several times its labels and row.
        let text = text(&snapshot, 8192).len();
        assert!(text > 3 * snapshot.bytes(), "{text} bytes of text from {} of snapshot", snapshot.bytes());
    }

    #[test]
    fn an_empty_fleet_has_every_family_header_and_no_sample() {
        let snapshot = Snapshot::default();
        let got = text(&snapshot, 10);
        assert_eq!(got.lines().filter(|l| l.starts_with("# TYPE ")).count(), FAMILY_COUNT + 3);
        assert!(got.lines().all(|l| l.starts_with('#')), "{got}");
    }
}
