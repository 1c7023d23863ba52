//! The raw samples line: everything one poll of one device saw, as written to
//! `devices/<id>/samples/<date>.jsonl` — one array per field in `ifIndex` order, so each field
//! name is written once per poll rather than once per interface.

use serde::{Deserialize, Serialize};

/// One line of a raw samples file: everything one poll of one device saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "PollColumns", try_from = "PollColumns")]
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
/// would hold only nulls are left out; rates are whole bits per second.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollColumns {
    timestamp: f64,
    sys_up_time: u32,
    if_index: Vec<u32>,
    #[serde(rename = "ifHCInOctets", default, skip_serializing_if = "Option::is_none")]
    hc_in_octets: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifHCOutOctets", default, skip_serializing_if = "Option::is_none")]
    hc_out_octets: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifInOctets", default, skip_serializing_if = "Option::is_none")]
    in_octets_32: Option<Vec<Option<u64>>>,
    #[serde(rename = "ifOutOctets", default, skip_serializing_if = "Option::is_none")]
    out_octets_32: Option<Vec<Option<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_bps: Option<Vec<Option<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    out_bps: Option<Vec<Option<u64>>>,
}

/// A column, or `None` when every value is missing.
fn column<T: Copy>(
    samples: &[InterfaceSample],
    pick: impl Fn(&InterfaceSample) -> Option<T>,
) -> Option<Vec<Option<T>>> {
    let values: Vec<Option<T>> = samples.iter().map(pick).collect();
    values.iter().any(Option::is_some).then_some(values)
}

impl From<PollLine> for PollColumns {
    fn from(line: PollLine) -> Self {
        let s = &line.interfaces;
        let rate = |r: Option<f64>| r.map(|bps| bps.round().max(0.0) as u64);
        PollColumns {
            timestamp: line.timestamp,
            sys_up_time: line.sys_up_time,
            if_index: s.iter().map(|i| i.if_index).collect(),
            hc_in_octets: column(s, |i| i.hc_in_octets),
            hc_out_octets: column(s, |i| i.hc_out_octets),
            in_octets_32: column(s, |i| i.in_octets_32),
            out_octets_32: column(s, |i| i.out_octets_32),
            in_bps: column(s, |i| rate(i.in_bps)),
            out_bps: column(s, |i| rate(i.out_bps)),
        }
    }
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
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(
            text,
            r#"{"timestamp":1795611861.204,"sysUpTime":100,"ifIndex":[3,7],"ifHCInOctets":[1,null],"ifHCOutOctets":[2,null],"ifInOctets":[null,1200],"ifOutOctets":[null,800],"inBps":[8000,null],"outBps":[8000,null]}"#
        );
        assert_eq!(serde_json::from_str::<PollLine>(&text).unwrap(), line);
        let ragged = r#"{"timestamp":1.0,"sysUpTime":1,"ifIndex":[1,2],"inBps":[5]}"#;
        assert!(serde_json::from_str::<PollLine>(ragged).is_err(), "a ragged line is unreadable, not misread");
    }
}
