//! The raw samples line: everything one poll of one device saw, as written to
//! `devices/<id>/samples/<date>.jsonl` — one array per field in `ifIndex` order, so each field
//! name is written once per poll rather than once per interface.

use serde::Deserialize;

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
/// the line by [`super::poll_delta::Encoder`], read through this struct.
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
    /// Only in a line that depends on the one before (see [`super::poll_delta`]): such a line
    /// is refused here, never read as if its deltas were counters.
    #[serde(default)]
    deltas: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    derived: Option<serde::de::IgnoredAny>,
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

/// Bytes a line may take per interface (the ifIndex and six 20-digit columns with their
/// commas), so that a line's buffer grows once at most.
pub(super) const MAX_BYTES_PER_INTERFACE: usize = 11 + 6 * 21;

impl PollLine {
    /// The line's JSON text (no newline), absolute: as the first line of a samples file.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        super::poll_delta::Encoder::write_absolute(self, &mut out);
        String::from_utf8(out).expect("a samples line is ASCII")
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
        if c.deltas.is_some() || c.derived.is_some() {
            return Err("a line of deltas is read after the line before it (poll_delta::Decoder)".into());
        }
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

/// For tests that write lines through serde (`seal`'s): what [`PollLine::to_json`] writes,
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
        let ragged = r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1,2],"inBps":[5]}"#;
        assert!(serde_json::from_str::<PollLine>(ragged).is_err(), "a ragged line is unreadable, not misread");
        for dependent in [
            r#"{"timestamp":2.0,"sysUpTime":1,"deltas":["ifHCInOctets"],"ifIndex":[3],"ifHCInOctets":[5]}"#,
            r#"{"timestamp":2.0,"sysUpTime":1,"derived":["inBps"],"ifIndex":[3]}"#,
        ] {
            assert!(serde_json::from_str::<PollLine>(dependent).is_err(), "deltas are not counters: {dependent}");
        }
    }
}
