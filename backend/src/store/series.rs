//! Time series on disk: one JSON line per device poll (raw samples, kept 48 h by default), and
//! per-interface rollups in the manner of RRD (5-minute and 1-hour average and maximum).
//!
//! ```text
//! devices/<id>/samples/<date>.jsonl            {"timestamp":..,"sysUpTime":..,"ifIndex":[..],"ifHCInOctets":[..],..}
//! devices/<id>/rollup/5m/<ifIndex>/<date>.jsonl {"timestamp":..,"inBps":..,"inBpsMax":..,"samples":5}
//! devices/<id>/rollup/1h/<ifIndex>/<date>.jsonl
//! ```
//! Rollup buckets accumulate in memory and are appended when they close; after a restart the
//! open buckets are rebuilt from the raw samples, so nothing is counted twice or lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{read_lines, Appender};
use super::query::StoredPoint;
use super::segments::{self, DAY_SECS};

/// Raw samples: one file per day.
pub const RAW_SEGMENT_SECS: i64 = DAY_SECS;

/// A rollup resolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub name: &'static str,
    pub resolution_secs: i64,
    pub retention_secs: i64,
    /// Length of one file: a few thousand lines per interface.
    pub segment_secs: i64,
}

/// How long each resolution is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retention {
    pub raw_secs: i64,
    pub five_minute_secs: i64,
    pub hourly_secs: i64,
    /// Device logs (syslog, traps, events): by age and by total size.
    pub logs_secs: i64,
    pub logs_max_bytes: u64,
}

impl Retention {
    pub fn tiers(&self) -> [Tier; 2] {
        [
            Tier {
                name: "5m",
                resolution_secs: 300,
                retention_secs: self.five_minute_secs,
                segment_secs: 10 * DAY_SECS,
            },
            Tier { name: "1h", resolution_secs: 3600, retention_secs: self.hourly_secs, segment_secs: 100 * DAY_SECS },
        ]
    }
}

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

/// One closed rollup bucket.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupLine {
    /// Start of the bucket, Unix seconds.
    pub timestamp: i64,
    pub in_bps: f64,
    pub out_bps: f64,
    pub in_bps_max: f64,
    pub out_bps_max: f64,
    pub samples: u32,
}

impl From<RollupLine> for StoredPoint {
    fn from(l: RollupLine) -> Self {
        StoredPoint {
            timestamp: l.timestamp,
            in_bps: l.in_bps,
            out_bps: l.out_bps,
            in_bps_max: l.in_bps_max,
            out_bps_max: l.out_bps_max,
            weight: l.samples,
        }
    }
}

/// An open rollup bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    line: RollupLine,
}

impl Bucket {
    fn new(start: i64, in_bps: f64, out_bps: f64) -> Bucket {
        Bucket {
            line: RollupLine {
                timestamp: start,
                in_bps,
                out_bps,
                in_bps_max: in_bps,
                out_bps_max: out_bps,
                samples: 1,
            },
        }
    }

    fn add(&mut self, in_bps: f64, out_bps: f64) {
        let l = &mut self.line;
        let n = f64::from(l.samples);
        l.in_bps = (l.in_bps * n + in_bps) / (n + 1.0);
        l.out_bps = (l.out_bps * n + out_bps) / (n + 1.0);
        l.in_bps_max = l.in_bps_max.max(in_bps);
        l.out_bps_max = l.out_bps_max.max(out_bps);
        l.samples += 1;
    }
}

/// The open buckets of one device: per interface, one per tier.
#[derive(Default)]
pub struct OpenBuckets {
    buckets: HashMap<(u32, usize), Bucket>,
}

impl OpenBuckets {
    /// Adds a rate; answers the buckets it closed, with their tier index.
    fn add(&mut self, tiers: &[Tier], ts: i64, if_index: u32, in_bps: f64, out_bps: f64) -> Vec<(usize, RollupLine)> {
        let mut closed = Vec::new();
        for (t, tier) in tiers.iter().enumerate() {
            let start = ts.div_euclid(tier.resolution_secs) * tier.resolution_secs;
            match self.buckets.get_mut(&(if_index, t)) {
                Some(b) if b.line.timestamp == start => b.add(in_bps, out_bps),
                Some(b) if b.line.timestamp > start => {} // out of order: ignore, never rewrite
                slot => {
                    if let Some(old) = slot {
                        closed.push((t, old.line));
                    }
                    self.buckets.insert((if_index, t), Bucket::new(start, in_bps, out_bps));
                }
            }
        }
        closed
    }

    /// The open bucket of one interface in one tier, as a point for queries.
    pub fn open_point(&self, if_index: u32, tier: usize) -> Option<StoredPoint> {
        self.buckets.get(&(if_index, tier)).map(|b| b.line.into())
    }
}

/// Paths of one device's series.
pub struct SeriesDir {
    root: PathBuf,
}

impl SeriesDir {
    pub fn new(device_dir: &Path) -> SeriesDir {
        SeriesDir { root: device_dir.to_path_buf() }
    }

    pub fn samples(&self) -> PathBuf {
        self.root.join("samples")
    }

    pub fn rollup(&self, tier: &Tier, if_index: u32) -> PathBuf {
        self.root.join("rollup").join(tier.name).join(if_index.to_string())
    }

    /// Appends a poll and the rollup buckets it closes.
    pub fn append_poll(
        &self,
        appender: &Appender,
        tiers: &[Tier],
        open: &mut OpenBuckets,
        line: &PollLine,
    ) -> std::io::Result<()> {
        let ts = line.timestamp.floor() as i64;
        let text = serde_json::to_string(line).expect("poll lines serialize");
        appender.append(&segments::path_for(&self.samples(), ts, RAW_SEGMENT_SECS), &text)?;
        for sample in &line.interfaces {
            let (Some(in_bps), Some(out_bps)) = (sample.in_bps, sample.out_bps) else { continue };
            for (t, closed) in open.add(tiers, ts, sample.if_index, in_bps, out_bps) {
                let tier = &tiers[t];
                let path = segments::path_for(&self.rollup(tier, sample.if_index), closed.timestamp, tier.segment_secs);
                appender.append(&path, &serde_json::to_string(&closed).expect("rollups serialize"))?;
            }
        }
        Ok(())
    }

    /// Reads raw poll lines with a timestamp in `[from, to]`, oldest first.
    pub fn read_polls(&self, from: i64, to: i64, mut each: impl FnMut(PollLine)) -> std::io::Result<()> {
        for path in segments::overlapping(&self.samples(), from, to, RAW_SEGMENT_SECS) {
            read_lines::<PollLine>(&path, |line| {
                let ts = line.timestamp.floor() as i64;
                if ts >= from && ts <= to {
                    each(line)
                }
            })?;
        }
        Ok(())
    }

    /// Rebuilds the open buckets from the raw samples after a restart (no file is written).
    pub fn rebuild_open_buckets(&self, tiers: &[Tier], now: i64) -> std::io::Result<OpenBuckets> {
        let coarsest = tiers.iter().map(|t| t.resolution_secs).max().unwrap_or(3600);
        let mut open = OpenBuckets::default();
        self.read_polls(now.div_euclid(coarsest) * coarsest, now, |line| {
            let ts = line.timestamp.floor() as i64;
            for s in &line.interfaces {
                if let (Some(i), Some(o)) = (s.in_bps, s.out_bps) {
                    open.add(tiers, ts, s.if_index, i, o);
                }
            }
        })?;
        Ok(open)
    }

    /// Points of one interface from one rollup tier in `[from, to]`.
    pub fn read_rollup(&self, tier: &Tier, if_index: u32, from: i64, to: i64) -> std::io::Result<Vec<StoredPoint>> {
        let mut points = Vec::new();
        for path in segments::overlapping(&self.rollup(tier, if_index), from, to, tier.segment_secs) {
            read_lines::<RollupLine>(&path, |l| {
                if l.timestamp >= from && l.timestamp <= to {
                    points.push(l.into())
                }
            })?;
        }
        Ok(points)
    }

    /// Deletes expired segments; answers the bytes freed.
    pub fn enforce_retention(&self, retention: &Retention, now: i64) -> u64 {
        let mut freed = segments::delete_before(&self.samples(), now - retention.raw_secs, RAW_SEGMENT_SECS);
        for tier in retention.tiers() {
            let Ok(entries) = std::fs::read_dir(self.root.join("rollup").join(tier.name)) else { continue };
            for entry in entries.filter_map(Result::ok) {
                freed += segments::delete_before(&entry.path(), now - tier.retention_secs, tier.segment_secs);
            }
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retention() -> Retention {
        Retention {
            raw_secs: 48 * 3600,
            five_minute_secs: 30 * DAY_SECS,
            hourly_secs: 730 * DAY_SECS,
            logs_secs: 30 * DAY_SECS,
            logs_max_bytes: 1 << 30,
        }
    }

    fn poll(ts: f64, bps: Option<f64>) -> PollLine {
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

    #[test]
    fn rollups_close_buckets_and_rebuild_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        let series = SeriesDir::new(dir.path());
        let tiers = retention().tiers();
        let appender = Appender::default();
        let mut open = OpenBuckets::default();
        let base = 1_700_000_000 - 1_700_000_000 % 3600;
        for (i, bps) in [Some(100.0), Some(300.0), None, Some(500.0)].into_iter().enumerate() {
            // Three polls in the first 5-minute bucket, one in the next.
            let ts = base + [0, 60, 120, 300][i];
            series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, bps)).unwrap();
        }
        let closed = series.read_rollup(&tiers[0], 3, base, base + 3600).unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!((closed[0].in_bps, closed[0].in_bps_max, closed[0].weight), (200.0, 300.0, 2));
        assert!(series.read_rollup(&tiers[1], 3, base, base + 3600).unwrap().is_empty(), "hour still open");
        assert_eq!(open.open_point(3, 1).unwrap().weight, 3);

        let rebuilt = series.rebuild_open_buckets(&tiers, base + 301).unwrap();
        assert_eq!(rebuilt.open_point(3, 1), open.open_point(3, 1));
        assert_eq!(rebuilt.open_point(3, 0), open.open_point(3, 0));
    }
}
