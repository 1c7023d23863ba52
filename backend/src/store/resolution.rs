//! Which resolution serves a downsampled window (raw samples, 5-minute, hourly or 6-hour rollups), and
//! so the step of a traffic or latency answer. One place, used by the local reads and by the
//! other history backends (`history/`), so that every backend answers with the same steps.

use std::path::PathBuf;

use super::query::step_secs;
use super::series::Tier;
use super::{now_secs, parse_id, Store, StoreError};
use super::{seal, segments};
use crate::device::{Device, DeviceId};

impl Store {
    /// The resolution serving `[from, to]` at `max_points` for data sampled every `raw_secs`:
    /// among the resolutions still holding `from` (else the longest kept), the coarsest that is
    /// still at least as fine as the step the window asks for. With `None` for the raw samples,
    /// else the index of the rollup tier.
    pub(super) fn serving(&self, raw_secs: i64, from: i64, to: i64, max_points: u32) -> (i64, Option<usize>) {
        let now = now_secs();
        // (resolution, oldest kept, tier index or None for raw), finest first.
        let mut sources = vec![(raw_secs, now - self.retention.raw_secs, None)];
        for (t, tier) in self.tiers.iter().enumerate() {
            sources.push((tier.resolution_secs, now - tier.retention_secs, Some(t)));
        }
        let covering: Vec<_> = sources.iter().filter(|s| s.1 <= from).collect();
        let covering = if covering.is_empty() { vec![sources.last().expect("tiers")] } else { covering };
        let wanted = ((to - from).max(1) + i64::from(max_points) - 1) / i64::from(max_points.max(1));
        let (resolution, _, source) = **covering.iter().rev().find(|s| s.0 <= wanted).unwrap_or(&covering[0]);
        (resolution, source)
    }

    /// For a tier coarser than an hour (added after the others), whether the hourly tier holds
    /// history it lacks: a data dir written by an older Vigie has hourly lines from before it.
    /// `Some((hourly, Some(t)))`: the hourly lines before `t` (the tier's oldest line) are not
    /// in it; `Some((hourly, None))`: it has no line on disk yet (read the hourly tier instead).
    /// `dir` names a tier's directory. Reads the first line of the oldest file of each tier.
    pub(super) fn older_history(
        &self,
        tier: usize,
        dir: impl Fn(&Tier) -> PathBuf,
    ) -> std::io::Result<Option<(usize, Option<i64>)>> {
        if self.tiers[tier].resolution_secs <= 3600 {
            return Ok(None);
        }
        let oldest = |t: &Tier| match segments::overlapping(&dir(t), i64::MIN / 2, i64::MAX / 2, t.segment_secs).first()
        {
            Some(path) => seal::first_timestamp(path),
            None => Ok(None),
        };
        let finer = tier - 1;
        let Some(finer_oldest) = oldest(&self.tiers[finer])? else { return Ok(None) };
        Ok(match oldest(&self.tiers[tier])? {
            None => Some((finer, None)),
            Some(own) if finer_oldest < own => Some((finer, Some(own))),
            Some(_) => None,
        })
    }

    /// The device (it must exist) and the step of its traffic answer over `[from, to]`.
    pub fn traffic_step(&self, id: &str, from: i64, to: i64, max_points: u32) -> Result<(DeviceId, i64), StoreError> {
        let device = self.registered_device(id)?;
        let (resolution, _) = self.serving(i64::from(device.config.poll_interval_secs), from, to, max_points);
        Ok((device.id, step_secs(from, to, max_points, resolution)))
    }

    /// The device (it must exist) and the step of its latency answer over `[from, to]`.
    pub fn latency_step(&self, id: &str, from: i64, to: i64, max_points: u32) -> Result<(DeviceId, i64), StoreError> {
        let device = self.registered_device(id)?;
        let (resolution, _) = self.serving(i64::from(device.config.ping_interval_secs.max(1)), from, to, max_points);
        Ok((device.id, step_secs(from, to, max_points, resolution)))
    }

    /// The device as registered (memory only; its live state is not copied).
    pub fn registered_device(&self, id: &str) -> Result<Device, StoreError> {
        let id = parse_id(id)?;
        self.registry.get(&id).ok_or_else(|| super::not_found(&id))
    }
}
