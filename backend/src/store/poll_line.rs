//! The raw samples line: everything one poll of one device saw, as written to
//! `devices/<id>/samples/<date>.jsonl` — one array per field in `ifIndex` order, so each field
//! name is written once per poll rather than once per interface.

use serde::Deserialize;

use super::line_reader::with_kept_buffer;

/// One line of a raw samples file: everything one poll of one device saw.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "PollColumns")]
pub struct PollLine {
    /// Unix seconds, millisecond precision: when the counters answer arrived.
    pub timestamp: f64,
    /// sysUpTime.0 in hundredths of a second, to tell reboots.
    pub sys_up_time: u32,
    pub interfaces: Vec<InterfaceSample>,
}

/// One interface in a [`PollLine`]: its counters (64-bit where the agent has them, 32-bit
/// otherwise) and the rate since the previous poll (absent where there is a gap).
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceSample {
    pub if_index: u32,
    pub hc_in_octets: Option<u64>,
    pub hc_out_octets: Option<u64>,
    pub in_octets_32: Option<u64>,
    pub out_octets_32: Option<u64>,
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
}

/// A [`PollLine`] as written: one array per field, in `ifIndex` order, so each field name is
/// written once per poll rather than once per interface (about half the bytes). Columns that
/// would hold only nulls are left out; rates are whole bits per second. Written straight from
/// the line by [`PollLine::write_json`], read through this struct.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollColumns {
    timestamp: f64,
    sys_up_time: u32,
    if_index: Vec<u32>,
    #[serde(rename = "ifHCInOctets", default)]
    hc_in_octets: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifHCOutOctets", default)]
    hc_out_octets: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifInOctets", default)]
    in_octets_32: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifOutOctets", default)]
    out_octets_32: Option<Vec<Option<u64>>>,
    #[serde(default)]
    in_bps: Option<Vec<Option<u64>>>,
    #[serde(default)]
    out_bps: Option<Vec<Option<u64>>>,
}

impl InterfaceSample {
    /// An interface with no value yet, as a reader starts it.
    pub fn empty(if_index: u32) -> InterfaceSample {
        InterfaceSample {
            if_index,
            hc_in_octets: None,
            hc_out_octets: None,
            in_octets_32: None,
            out_octets_32: None,
            in_bps: None,
            out_bps: None,
        }
    }
}

/// Picks one interface's value of a column.
type Pick<T> = fn(&InterfaceSample) -> T;

/// Sets one interface's value of a column, as read back.
type Put = fn(&mut InterfaceSample, Option<u64>);

/// The optional columns, in the order written: name, value written, value read back.
pub(super) const OPTIONAL_COLUMNS: [(&str, Pick<Option<u64>>, Put); 6] = [
    ("ifHCInOctets", |i| i.hc_in_octets, |i, v| i.hc_in_octets = v),
    ("ifHCOutOctets", |i| i.hc_out_octets, |i, v| i.hc_out_octets = v),
    ("ifInOctets", |i| i.in_octets_32, |i, v| i.in_octets_32 = v),
    ("ifOutOctets", |i| i.out_octets_32, |i, v| i.out_octets_32 = v),
    ("inBps", |i| rate(i.in_bps), |i, v| i.in_bps = v.map(|v| v as f64)),
    ("outBps", |i| rate(i.out_bps), |i, v| i.out_bps = v.map(|v| v as f64)),
];

fn rate(bps: Option<f64>) -> Option<u64> {
    bps.map(|bps| bps.round().max(0.0) as u64)
}

/// Bytes a line may take per interface (the ifIndex and six 20-digit columns with their
/// commas), so that a line's buffer grows once at most.
const MAX_BYTES_PER_INTERFACE: usize = 11 + 6 * 21;

/// A line's text is written in a buffer kept by the thread (the pollers' store writer), emptied
/// after each line; one grown past this size is let go.
const TEXT_BUFFER_KEPT_BYTES: usize = 1 << 20;

thread_local! {
    static TEXT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl PollLine {
    /// Appends the line's JSON text to `out` (no newline): the same bytes `serde_json` wrote
    /// from the columns before, written straight into `out` (numbers with `itoa`, keys as
    /// they are, the timestamp as `serde_json` writes an `f64`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let s = &self.interfaces;
        out.reserve(64 + s.len() * MAX_BYTES_PER_INTERFACE);
        write_head(out, self.timestamp, self.sys_up_time);
        write_column(out, "ifIndex", s.iter().map(|i| Some(i.if_index)));
        for (key, pick, _) in OPTIONAL_COLUMNS {
            if s.iter().any(|i| pick(i).is_some()) {
                write_column(out, key, s.iter().map(pick));
            }
        }
        out.push(b'}');
    }

    /// The line's JSON text (no newline).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out);
        String::from_utf8(out).expect("a poll line is ASCII")
    }

    /// Calls `write` with the line's text and its newline, written in a buffer the thread
    /// keeps: a steady poll's line allocates nothing.
    pub fn with_text<T>(&self, write: impl FnOnce(&[u8]) -> T) -> T {
        with_kept_buffer(&TEXT_BUFFER, TEXT_BUFFER_KEPT_BYTES, |text| {
            text.clear();
            self.write_json(text);
            text.push(b'\n');
            write(text)
        })
    }
}

/// `{"timestamp":…,"sysUpTime":…`: how a samples line starts, plain or sealed (the timestamp as
/// `serde_json` writes an `f64`).
pub(super) fn write_head(out: &mut Vec<u8>, timestamp: f64, sys_up_time: u32) {
    out.extend_from_slice(br#"{"timestamp":"#);
    serde_json::to_writer(&mut *out, &timestamp).expect("a number serializes");
    out.extend_from_slice(br#","sysUpTime":"#);
    out.extend_from_slice(itoa::Buffer::new().format(sys_up_time).as_bytes());
}

/// `,"key":[1,null,-2]`: one column of a samples line.
pub(super) fn write_column<T: itoa::Integer>(out: &mut Vec<u8>, key: &str, values: impl Iterator<Item = Option<T>>) {
    write_key(out, key);
    let mut number = itoa::Buffer::new();
    for (n, value) in values.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match value {
            Some(v) => out.extend_from_slice(number.format(v).as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
}

/// `,"key":[` (the keys are ours: nothing to escape).
pub(super) fn write_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":[");
}

impl TryFrom<PollColumns> for PollLine {
    type Error = String;

    fn try_from(c: PollColumns) -> Result<Self, String> {
        let n = c.if_index.len();
        let columns = [&c.hc_in_octets, &c.hc_out_octets, &c.in_octets_32, &c.out_octets_32, &c.in_bps, &c.out_bps];
        if columns.iter().any(|col| col.as_ref().is_some_and(|v| v.len() != n)) {
            return Err(format!("every column must have {n} values, one per ifIndex"));
        }
        let at = |col: &Option<Vec<Option<u64>>>, i: usize| col.as_ref().and_then(|v| v[i]);
        let interfaces = (0..n)
            .map(|i| InterfaceSample {
                if_index: c.if_index[i],
                hc_in_octets: at(&c.hc_in_octets, i),
                hc_out_octets: at(&c.hc_out_octets, i),
                in_octets_32: at(&c.in_octets_32, i),
                out_octets_32: at(&c.out_octets_32, i),
                in_bps: at(&c.in_bps, i).map(|v| v as f64),
                out_bps: at(&c.out_bps, i).map(|v| v as f64),
            })
            .collect();
        Ok(PollLine { timestamp: c.timestamp, sys_up_time: c.sys_up_time, interfaces })
    }
}

/// For tests that write lines through serde (`seal`'s): what [`PollLine::write_json`] writes,
/// read back as a JSON value (its keys then sorted).
#[cfg(test)]
impl serde::Serialize for PollLine {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_str(&self.to_json()).map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

/// A line of one interface (ifIndex 3) with that rate, for tests.
#[cfg(test)]
pub(super) fn test_line(ts: f64, bps: Option<f64>) -> PollLine {
    PollLine {
        timestamp: ts,
        sys_up_time: 100,
        interfaces: vec![InterfaceSample {
            if_index: 3,
            hc_in_octets: Some(1),
            hc_out_octets: Some(2),
            in_octets_32: None,
            out_octets_32: None,
            in_bps: bps,
            out_bps: bps,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_line as poll;

    #[test]
    fn poll_lines_are_columns_and_read_back_the_same() {
        let mut line = poll(1_795_611_861.204, Some(8000.0));
        line.interfaces.push(InterfaceSample {
            if_index: 7,
            hc_in_octets: None,
            hc_out_octets: None,
            in_octets_32: Some(1200),
            out_octets_32: Some(800),
            in_bps: None,
            out_bps: None,
        });
        let text = line.to_json();
        assert_eq!(
            text,
            r#"{"timestamp":1795611861.204,"sysUpTime":100,"ifIndex":[3,7],"ifHCInOctets":[1,null],"ifHCOutOctets":[2,null],"ifInOctets":[null,1200],"ifOutOctets":[null,800],"inBps":[8000,null],"outBps":[8000,null]}"#
        );
        assert_eq!(serde_json::from_str::<PollLine>(&text).unwrap(), line);
        assert_eq!(line.with_text(|t| t.to_vec()), format!("{text}\n").into_bytes(), "the same, with its newline");
        let ragged = r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1,2],"inBps":[5]}"#;
        assert!(serde_json::from_str::<PollLine>(ragged).is_err(), "a ragged line is unreadable, not misread");
    }
}
