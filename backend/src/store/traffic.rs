//! Reading time series back: raw counters, and traffic downsampled from the resolution that
//! serves the window best (raw polls, 5-minute or hourly rollups).

use super::query::{downsample, step_secs, StepPoint, StoredPoint};
use super::{now_secs, parse_id, DeviceSnapshot, Store, StoreError};
use crate::device::DeviceId;

/// Traffic of one interface over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub step_secs: i64,
    pub points: Vec<StepPoint>,
}

/// One raw reading of an interface's octet counters.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterPoint {
    pub timestamp: f64,
    pub hc_in_octets: Option<u64>,
    pub hc_out_octets: Option<u64>,
    pub in_octets_32: Option<u64>,
    pub out_octets_32: Option<u64>,
}

/// Where a window's points come from.
enum Source {
    Raw,
    Rollup(usize),
}

impl Store {
    fn interface_snapshot(&self, id: &str, if_index: u32) -> Result<(DeviceSnapshot, DeviceId), StoreError> {
        let snapshot = self.device(id)?;
        let id = parse_id(id)?;
        if !snapshot.live.interfaces.contains_key(&if_index) {
            return Err(StoreError::InterfaceNotFound { id, if_index });
        }
        Ok((snapshot, id))
    }

    /// Traffic of one interface in `[from, to]` (Unix seconds), at most `max_points` steps.
    pub fn traffic(&self, id: &str, if_index: u32, from: i64, to: i64, max_points: u32) -> Result<Traffic, StoreError> {
        let (snapshot, id) = self.interface_snapshot(id, if_index)?;
        let now = now_secs();
        let raw_resolution = i64::from(snapshot.device.config.poll_interval_secs);
        // (resolution, oldest data kept, source), finest first.
        let mut sources = vec![(raw_resolution, now - self.retention.raw_secs, Source::Raw)];
        for (t, tier) in self.tiers.iter().enumerate() {
            sources.push((tier.resolution_secs, now - tier.retention_secs, Source::Rollup(t)));
        }
        // Among the resolutions still holding `from` (else the longest kept), the coarsest that
        // is still at least as fine as the step the window asks for.
        let covering: Vec<&(i64, i64, Source)> = sources.iter().filter(|s| s.1 <= from).collect();
        let covering = if covering.is_empty() { vec![sources.last().expect("tiers")] } else { covering };
        let wanted = ((to - from).max(1) + i64::from(max_points) - 1) / i64::from(max_points.max(1));
        let (resolution, _, source) = covering.iter().rev().find(|s| s.0 <= wanted).unwrap_or(&covering[0]);
        let points = match source {
            Source::Raw => self.raw_points(&id, if_index, from, to)?,
            Source::Rollup(t) => self.rollup_points(&id, if_index, *t, from, to)?,
        };
        let step = step_secs(from, to, max_points, *resolution);
        Ok(Traffic { step_secs: step, points: downsample(&points, from, to, step) })
    }

    fn raw_points(&self, id: &DeviceId, if_index: u32, from: i64, to: i64) -> Result<Vec<StoredPoint>, StoreError> {
        let mut points = Vec::new();
        let series = self.series(id);
        series
            .read_polls(from, to, |line| {
                let ts = line.timestamp.floor() as i64;
                let sample = line.interfaces.iter().find(|s| s.if_index == if_index);
                if let Some((Some(i), Some(o))) = sample.map(|s| (s.in_bps, s.out_bps)) {
                    points.push(StoredPoint {
                        timestamp: ts,
                        in_bps: i,
                        out_bps: o,
                        in_bps_max: i,
                        out_bps_max: o,
                        weight: 1,
                    });
                }
            })
            .map_err(super::io_error(&series.samples()))?;
        Ok(points)
    }

    fn rollup_points(
        &self,
        id: &DeviceId,
        if_index: u32,
        tier: usize,
        from: i64,
        to: i64,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let series = self.series(id);
        let t = &self.tiers[tier];
        let mut points =
            series.read_rollup(t, if_index, from, to).map_err(super::io_error(&series.rollup(t, if_index)))?;
        // The bucket still filling, and closed ones waiting for their hour, are in memory only.
        let unwritten = self.buckets.lock().expect("buckets lock").get(id).map(|b| b.unwritten_points(if_index, tier));
        for p in unwritten.into_iter().flatten().filter(|p| p.timestamp >= from && p.timestamp <= to) {
            if points.last().is_none_or(|last| last.timestamp < p.timestamp) {
                points.push(p);
            }
        }
        Ok(points)
    }

    /// Raw counter readings of one interface in `[from, to]`, oldest first.
    pub fn counters(&self, id: &str, if_index: u32, from: i64, to: i64) -> Result<Vec<CounterPoint>, StoreError> {
        let (_, id) = self.interface_snapshot(id, if_index)?;
        let series = self.series(&id);
        let mut points = Vec::new();
        series
            .read_polls(from, to, |line| {
                if let Some(s) = line.interfaces.iter().find(|s| s.if_index == if_index) {
                    points.push(CounterPoint {
                        timestamp: line.timestamp,
                        hc_in_octets: s.hc_in_octets,
                        hc_out_octets: s.hc_out_octets,
                        in_octets_32: s.in_octets_32,
                        out_octets_32: s.out_octets_32,
                    });
                }
            })
            .map_err(super::io_error(&series.samples()))?;
        Ok(points)
    }
}
