//! Each device's ICMP latency on disk, stored like traffic: one line per echo round (raw, kept
//! as long as raw samples), and 5-minute, hourly and 6-hour rollups (kept as long as traffic
//! rollups).
//!
//! ```text
//! devices/<id>/latency/raw/<date>.jsonl  {"timestamp":..,"sent":3,"received":3,"rttMinMs":..,"rttAvgMs":..,"rttMaxMs":..}
//! devices/<id>/latency/5m/<date>.jsonl   the same shape per bucket: sums of sent and received,
//! devices/<id>/latency/1h/<date>.jsonl   min of minima, average weighted by replies, max of maxima
//! devices/<id>/latency/6h/<date>.jsonl
//! ```
//! The bucket still filling is in memory; it is written when a round falls in a later bucket.
//! After a restart the buckets not written are rebuilt from the raw lines (from the bucket after
//! the last one written), so nothing is counted twice or lost.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{last_line, read_lines, KeptKind};
use super::query::step_secs;
use super::segments::{self, DAY_SECS};
use super::series::{Tier, RAW_SEGMENT_SECS};
use super::{io_error, parse_id, Store, StoreError};
use crate::device::DeviceId;

/// One round (raw) or one bucket of rounds (rollup).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyLine {
    pub timestamp: i64,
    pub sent: u32,
    pub received: u32,
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
}

impl LatencyLine {
    /// Adds `other`'s rounds to this line (its timestamp is kept).
    fn merge(&mut self, other: &LatencyLine) {
        let replies = f64::from(self.received) + f64::from(other.received);
        self.rtt_avg_ms = match (self.rtt_avg_ms, other.rtt_avg_ms) {
            (Some(a), Some(b)) => Some((a * f64::from(self.received) + b * f64::from(other.received)) / replies),
            (a, b) => a.or(b),
        };
        self.rtt_min_ms = pick(self.rtt_min_ms, other.rtt_min_ms, f64::min);
        self.rtt_max_ms = pick(self.rtt_max_ms, other.rtt_max_ms, f64::max);
        self.sent += other.sent;
        self.received += other.received;
    }
}

fn pick(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// One step of a latency answer; all null where no round fell in the step (a gap stays a gap),
/// the times null where no echo came back (loss 100 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyPoint {
    pub timestamp: i64,
    pub loss_percent: Option<f64>,
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Latency {
    pub step_secs: i64,
    pub points: Vec<LatencyPoint>,
}

/// The lines in `[from, to]` merged per step; every step is present.
pub fn downsample(lines: &[LatencyLine], from: i64, to: i64, step: i64) -> Vec<LatencyPoint> {
    let first = from.div_euclid(step) * step;
    let count = ((to - first) / step + 1).max(0) as usize;
    let mut steps: Vec<Option<LatencyLine>> = vec![None; count];
    for line in lines.iter().filter(|l| l.timestamp >= from && l.timestamp <= to) {
        let slot = &mut steps[((line.timestamp - first) / step) as usize];
        match slot {
            Some(acc) => acc.merge(line),
            None => *slot = Some(*line),
        }
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, acc)| LatencyPoint {
            timestamp: first + i as i64 * step,
            loss_percent: acc
                .filter(|a| a.sent > 0)
                .map(|a| 100.0 * f64::from(a.sent - a.received.min(a.sent)) / f64::from(a.sent)),
            rtt_min_ms: acc.and_then(|a| a.rtt_min_ms),
            rtt_avg_ms: acc.and_then(|a| a.rtt_avg_ms),
            rtt_max_ms: acc.and_then(|a| a.rtt_max_ms),
        })
        .collect()
}

/// A device's rollup buckets still filling, one per tier.
pub(super) type OpenLatency = [Option<LatencyLine>; super::tiers::TIERS];

impl Store {
    fn latency_dir(&self, id: &DeviceId, tier: &str) -> PathBuf {
        self.device_dir(id).join("latency").join(tier)
    }

    /// Appends one round and folds it into the rollups (disk I/O). The day's raw file stays open
    /// for the device (`dir`, its directory) between rounds, within `[storage]
    /// max_open_latency_files`: a round is one `write`, no path lookup nor `fstat`.
    pub(super) fn append_latency(&self, id: &DeviceId, dir: &Path, line: LatencyLine) -> Result<(), StoreError> {
        let segment = line.timestamp.div_euclid(RAW_SEGMENT_SECS);
        let raw = || segments::path_for(&self.latency_dir(id, "raw"), line.timestamp, RAW_SEGMENT_SECS);
        let text = |_, out: &mut Vec<u8>| {
            serde_json::to_writer(&mut *out, &line).expect("a latency line serializes");
            out.push(b'\n');
        };
        let appended = self
            .appender
            .append_kept(KeptKind::Latency, dir, segment, raw, text)
            .map(drop)
            .map_err(|source| StoreError::Io { path: raw(), source });
        self.health.note(&appended);
        appended?;
        // The entry is taken out while its files are written: no lock shared by devices is
        // held across disk I/O (a device has one round at a time).
        let taken = self.latency_open.lock().expect("latency lock").remove(id);
        let mut open = match taken {
            Some(open) => open,
            None => self.rebuild_latency(id, line.timestamp)?,
        };
        let written = self.fold_latency(id, &mut open, &line);
        self.latency_open.lock().expect("latency lock").insert(id.clone(), open);
        self.health.note(&written);
        written
    }

    /// Adds `line` to each tier's open bucket, writing a bucket that `line` closes.
    fn fold_latency(&self, id: &DeviceId, open: &mut OpenLatency, line: &LatencyLine) -> Result<(), StoreError> {
        let mut result = Ok(());
        for (t, slot) in open.iter_mut().enumerate() {
            result = result.and(self.fold_tier(id, t, slot, line));
        }
        result
    }

    /// Adds `line` to tier `t`'s open bucket `slot`, first writing the bucket if `line` is past it.
    fn fold_tier(
        &self,
        id: &DeviceId,
        t: usize,
        slot: &mut Option<LatencyLine>,
        line: &LatencyLine,
    ) -> Result<(), StoreError> {
        let tier = &self.tiers[t];
        let bucket = line.timestamp.div_euclid(tier.resolution_secs) * tier.resolution_secs;
        if let Some(acc) = slot.as_mut().filter(|acc| acc.timestamp == bucket) {
            acc.merge(line);
            return Ok(());
        }
        let mut result = Ok(());
        if let Some(closed) = slot.take() {
            let path = segments::path_for(&self.latency_dir(id, tier.name), closed.timestamp, tier.segment_secs);
            result = self.appender.append(&path, &json(&closed)).map_err(io_error(&path));
        }
        *slot = Some(LatencyLine { timestamp: bucket, ..*line });
        result
    }

    /// The open buckets after a restart: the raw lines after the last bucket written of each
    /// tier, folded again (closed buckets met on the way are written).
    fn rebuild_latency(&self, id: &DeviceId, now: i64) -> Result<OpenLatency, StoreError> {
        let mut open: OpenLatency = Default::default();
        for (t, tier) in self.tiers.iter().enumerate() {
            let dir = self.latency_dir(id, tier.name);
            let newest =
                segments::overlapping(&dir, now - 2 * tier.segment_secs, i64::MAX / 2, tier.segment_secs).pop();
            let last = match newest {
                Some(path) => last_line(&path).map_err(io_error(&path))?,
                None => None,
            };
            let last = last.and_then(|bytes| serde_json::from_slice::<LatencyLine>(&bytes).ok());
            let from = last.map_or(now - 2 * DAY_SECS, |l| l.timestamp + tier.resolution_secs).max(now - 2 * DAY_SECS);
            let mut lines = Vec::new();
            // The round being appended is folded by the caller.
            self.read_latency_dir(&self.latency_dir(id, "raw"), RAW_SEGMENT_SECS, from, now - 1, &mut lines)?;
            for line in &lines {
                self.fold_tier(id, t, &mut open[t], line)?;
            }
        }
        Ok(open)
    }

    fn read_latency_dir(
        &self,
        dir: &std::path::Path,
        segment_secs: i64,
        from: i64,
        to: i64,
        out: &mut Vec<LatencyLine>,
    ) -> Result<(), StoreError> {
        for path in segments::overlapping(dir, from, to, segment_secs) {
            read_lines::<LatencyLine>(&path, |l| {
                if l.timestamp >= from && l.timestamp <= to {
                    out.push(l)
                }
            })
            .map_err(io_error(&path))?;
        }
        Ok(())
    }

    /// A device's latency in `[from, to]` (Unix seconds), at most `max_points` steps, from the
    /// resolution that serves the window best (as for traffic).
    pub fn latency(&self, id: &str, from: i64, to: i64, max_points: u32) -> Result<Latency, StoreError> {
        let device = self.device(id)?.device;
        let id = parse_id(id)?;
        let raw_resolution = i64::from(device.config.ping_interval_secs.max(1));
        let (resolution, source) = self.serving(raw_resolution, from, to, max_points);
        let mut lines = Vec::new();
        match source {
            None => self.read_latency_dir(&self.latency_dir(&id, "raw"), RAW_SEGMENT_SECS, from, to, &mut lines)?,
            Some(t) => {
                // History from before the 6-hour tier (an older Vigie's data dir) is in the hourly one.
                let dir = |tier: &Tier| self.latency_dir(&id, tier.name);
                let older = self.older_history(t, dir).map_err(io_error(&dir(&self.tiers[t])))?;
                let t = match older {
                    Some((finer, None)) => finer,
                    Some((finer, Some(end))) if end > from => {
                        let finer = &self.tiers[finer];
                        self.read_latency_dir(&dir(finer), finer.segment_secs, from, end.min(to + 1) - 1, &mut lines)?;
                        t
                    }
                    _ => t,
                };
                let tier = &self.tiers[t];
                self.read_latency_dir(&dir(tier), tier.segment_secs, from, to, &mut lines)?;
                let open = self.latency_open.lock().expect("latency lock").get(&id).and_then(|o| o[t]);
                lines.extend(open.filter(|o| lines.last().is_none_or(|l| l.timestamp < o.timestamp)));
            }
        }
        let step = step_secs(from, to, max_points, resolution);
        Ok(Latency { step_secs: step, points: downsample(&lines, from, to, step) })
    }

    /// Deletes a device's expired latency segments; answers the bytes freed.
    pub(super) fn latency_retention(&self, id: &DeviceId, now: i64) -> u64 {
        let raw =
            segments::delete_before(&self.latency_dir(id, "raw"), now - self.retention.raw_secs, RAW_SEGMENT_SECS);
        let tiers: u64 = self
            .tiers
            .iter()
            .map(|t| segments::delete_before(&self.latency_dir(id, t.name), now - t.retention_secs, t.segment_secs))
            .sum();
        raw + tiers
    }
}

fn json(line: &LatencyLine) -> String {
    serde_json::to_string(line).expect("a latency line serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(timestamp: i64, sent: u32, received: u32, rtt: Option<f64>) -> LatencyLine {
        LatencyLine { timestamp, sent, received, rtt_min_ms: rtt, rtt_avg_ms: rtt, rtt_max_ms: rtt }
    }

    #[test]
    fn steps_merge_rounds_and_gaps_stay_gaps() {
        let lines = [round(0, 3, 3, Some(1.0)), round(30, 3, 1, Some(4.0)), round(120, 3, 0, None)];
        let points = downsample(&lines, 0, 179, 60);
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].loss_percent, Some(100.0 * 2.0 / 6.0));
        assert_eq!((points[0].rtt_min_ms, points[0].rtt_max_ms), (Some(1.0), Some(4.0)));
        assert_eq!(points[0].rtt_avg_ms, Some((3.0 * 1.0 + 4.0) / 4.0), "weighted by replies");
        assert_eq!(
            points[1],
            LatencyPoint { timestamp: 60, loss_percent: None, rtt_min_ms: None, rtt_avg_ms: None, rtt_max_ms: None }
        );
        assert_eq!((points[2].loss_percent, points[2].rtt_avg_ms), (Some(100.0), None), "all lost: no times");
    }

    #[test]
    fn a_store_bounded_to_four_latency_files_keeps_every_round_of_twenty_devices_and_passes_a_torn_line() {
        use crate::device::{DeviceConfig, EchoStatus};
        use crate::store::{now_secs, Retention};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        store.set_max_open_latency_files(4);
        let ids: Vec<_> = (0..20)
            .map(|d| store.add_device(DeviceConfig::v2c(&format!("r{d}"), "127.0.0.1", 2000 + d, "p")).unwrap().id)
            .collect();
        // Rounds within one hour of one day; the first device's file was torn by a crash.
        let start = (now_secs() - 7200).div_euclid(3600) * 3600 + 120;
        let torn = segments::path_for(&store.latency_dir(&ids[0], "raw"), start, RAW_SEGMENT_SECS);
        std::fs::create_dir_all(torn.parent().unwrap()).unwrap();
        let before = json(&round(start - 60, 3, 3, Some(1.0)));
        std::fs::write(&torn, format!("{before}\n{{\"timestamp\":{start},\"sen")).unwrap();
        for k in 0..5 {
            for id in &ids {
                let at = start + 30 * k;
                let echo = EchoStatus {
                    at,
                    sent: 3,
                    received: 3,
                    rtt_min_ms: Some(1.0),
                    rtt_avg_ms: Some(1.0),
                    rtt_max_ms: Some(1.0),
                    error: None,
                };
                store.record_echo(id, Some(echo));
                assert!(store.storage_status().latency_files_open <= 4);
            }
        }
        for id in &ids {
            let read = store.latency(&id.0, start, start + 149, 1000).unwrap();
            assert_eq!(read.step_secs, 30);
            let loss: Vec<Option<f64>> = read.points.iter().map(|p| p.loss_percent).collect();
            assert_eq!(loss, [Some(0.0); 5], "device {id:?}");
        }
        let mut lines = Vec::new();
        read_lines::<LatencyLine>(&torn, |l| lines.push(l.timestamp)).unwrap();
        assert_eq!(
            lines,
            [start - 60, start, start + 30, start + 60, start + 90, start + 120],
            "torn line passed over"
        );
        let status = store.storage_status();
        assert_eq!((status.latency_files_open, status.latency_files_max_open), (4, 4));
        assert!(status.latency_files_reopened >= 4 * 16, "{status:?}");
        assert_eq!(status.samples_files_open, 0, "the samples files are bounded apart");
    }
}
