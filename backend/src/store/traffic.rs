//! Reading time series back: raw counters, and traffic downsampled from the resolution that
//! serves the window best (raw polls, 5-minute or hourly rollups).

use super::query::{downsample, step_secs, StepPoint, StoredPoint};
use super::{not_found, parse_id, Store, StoreError};
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

impl Store {
    /// The device's id and poll interval, if it has the interface (read in place, not copied).
    fn interface_of(&self, id: &str, if_index: u32) -> Result<(DeviceId, u32), StoreError> {
        let id = parse_id(id)?;
        let found = self.with_device(&id, |device, live| {
            live.interfaces.contains_key(&if_index).then_some(device.config.poll_interval_secs)
        });
        match found {
            None => Err(not_found(&id)),
            Some(None) => Err(StoreError::InterfaceNotFound { id, if_index }),
            Some(Some(interval)) => Ok((id, interval)),
        }
    }

    /// Traffic of one interface in `[from, to]` (Unix seconds), at most `max_points` steps.
    pub fn traffic(&self, id: &str, if_index: u32, from: i64, to: i64, max_points: u32) -> Result<Traffic, StoreError> {
        let (id, interval) = self.interface_of(id, if_index)?;
        let raw_resolution = i64::from(interval);
        let (resolution, tier) = self.serving(raw_resolution, from, to, max_points);
        let points = match tier {
            None => self.raw_points(&id, if_index, from, to)?,
            Some(t) => self.rollup_points(&id, if_index, t, from, to)?,
        };
        let step = step_secs(from, to, max_points, resolution);
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
        // History from before the 6-hour tier (a data dir of an older Vigie) is in the hourly one.
        let older = self.older_history(tier, |t| series.rollup(t)).map_err(super::io_error(&series.rollup(t)))?;
        let mut points = match older {
            Some((finer, None)) => return self.rollup_points(id, if_index, finer, from, to),
            Some((finer, Some(end))) if end > from => {
                let finer = &self.tiers[finer];
                series
                    .read_rollup(finer, if_index, from, end.min(to + 1) - 1)
                    .map_err(super::io_error(&series.rollup(finer)))?
            }
            _ => Vec::new(),
        };
        points.extend(series.read_rollup(t, if_index, from, to).map_err(super::io_error(&series.rollup(t)))?);
        // The bucket still filling, and closed ones waiting for their hour, are in memory only.
        let unwritten = self.polled(id).map(|device| {
            device.disk.lock().expect("device disk lock").buckets.unwritten_points(&self.tiers, if_index, tier)
        });
        for p in unwritten.into_iter().flatten().filter(|p| p.timestamp >= from && p.timestamp <= to) {
            if points.last().is_none_or(|last| last.timestamp < p.timestamp) {
                points.push(p);
            }
        }
        Ok(points)
    }

    /// Raw counter readings of one interface in `[from, to]`, oldest first.
    pub fn counters(&self, id: &str, if_index: u32, from: i64, to: i64) -> Result<Vec<CounterPoint>, StoreError> {
        let (id, _) = self.interface_of(id, if_index)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceConfig;
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};
    use crate::store::{now_secs, InterfaceReading, PollRecord, Retention};

    const DAY: i64 = 86_400;

    fn retention() -> Retention {
        Retention {
            raw_secs: DAY,
            five_minute_secs: 2 * DAY,
            hourly_secs: 30 * DAY,
            logs_secs: DAY,
            logs_max_bytes: 1 << 20,
        }
    }

    /// A poll of interfaces 1 and 2 at `at`, at 1,000 and 2,000 bit/s in (half that out).
    fn record(at: i64, first: bool) -> PollRecord {
        let reading = |if_index: u32| {
            let counters = CounterRow::octets(if_index, 0, 0, CounterBits::Bits64);
            InterfaceReading::traffic(counters, Some(1000.0 * f64::from(if_index)), Some(500.0 * f64::from(if_index)))
        };
        let info = InterfaceInfo::ethernet;
        PollRecord {
            at_ms: at * 1000,
            duration_ms: 1,
            uptime_ticks: 100,
            system: None,
            inventory: first.then(|| vec![info(1), info(2)]),
            interfaces: vec![reading(1), reading(2)],
            agent_addr: None,
        }
    }

    /// The step of the answer, and the average in-rate of each step that has data.
    fn rates(store: &Store, id: &str, if_index: u32, from: i64, to: i64, max_points: u32) -> (i64, Vec<f64>) {
        let traffic = store.traffic(id, if_index, from, to, max_points).unwrap();
        (traffic.step_secs, traffic.points.iter().filter_map(|p| p.in_bps).collect())
    }

    #[test]
    fn each_window_is_read_from_the_resolution_that_serves_it_for_the_right_interface() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), retention()).unwrap();
        let config = DeviceConfig { poll_interval_secs: 300, ..DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public") };
        let id = store.add_device(config).unwrap().id;
        let now = now_secs();
        let start = (now - 20 * DAY).div_euclid(3600) * 3600;
        let polls: Vec<i64> = (0..).map(|k| start + 300 * k).take_while(|t| *t <= now).collect();
        for at in &polls {
            store.record_poll(&id, record(*at, *at == start)).unwrap();
        }
        let check = |store: &Store| {
            // 20 days at 100 points: hourly rollups, most on disk, the last hours in memory.
            let (step, in_bps) = rates(store, &id.0, 2, start, now, 100);
            assert_eq!(step % 3600, 0);
            assert!(in_bps.len() as i64 >= (now - start) / step, "every step has data: {}", in_bps.len());
            assert!(in_bps.iter().all(|bps| *bps == 2000.0), "{in_bps:?}");
            // A day at 500 points: 5-minute rollups.
            let (step, in_bps) = rates(store, &id.0, 1, now - DAY, now, 500);
            assert_eq!(step, 300);
            assert!(in_bps.len() >= 287 && in_bps.iter().all(|bps| *bps == 1000.0), "{in_bps:?}");
            // An hour: the raw polls.
            let (step, in_bps) = rates(store, &id.0, 2, now - 3600, now, 500);
            assert_eq!(step, 300);
            assert_eq!(in_bps, vec![2000.0; in_bps.len()]);
            assert!(in_bps.len() >= 12);
        };
        check(&store);
        let on_disk = std::fs::read_dir(dir.path().join("devices").join(&id.0).join("rollup/1h")).unwrap().count();
        assert!(on_disk >= 1, "the hourly lines went to disk");
        drop(store);
        // Reopened, the buckets not on disk are rebuilt from the raw samples: the same answers.
        check(&Store::open(dir.path(), retention()).unwrap());
    }

    #[test]
    fn a_data_dir_from_before_the_six_hour_tier_answers_long_windows_from_its_hourly_lines() {
        use crate::store::rollup_line::{Bucket, RollupLine};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), retention()).unwrap();
        let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap().id;
        let now = now_secs();
        store.record_poll(&id, record(now, true)).unwrap();
        // Ten days of hourly lines, written as an older Vigie did: no 6-hour lines.
        let hourly = retention().tiers()[1];
        // From the first midnight in the window: all ten days are in it, whatever the time of day.
        let start = (now - 20 * DAY).div_euclid(DAY) * DAY + DAY;
        let appender = crate::store::files::Appender::default();
        for h in 0..240 {
            let ts = start + h * 3600;
            let line = RollupLine { timestamp: ts, buckets: vec![Bucket::new(1, 3000.0, 1500.0)] };
            let path = crate::store::segments::path_for(&store.series(&id).rollup(&hourly), ts, hourly.segment_secs);
            appender.append(&path, &serde_json::to_string(&line).unwrap()).unwrap();
        }
        let (step, in_bps) = rates(&store, &id.0, 1, now - 20 * DAY, now, 50);
        assert_eq!(step % (6 * 3600), 0, "served by the 6-hour tier");
        assert!(in_bps.len() as i64 >= 10 * DAY / step, "the old hourly lines are read: {in_bps:?}");
        assert!(in_bps.contains(&3000.0), "{in_bps:?}");

        // Once 6-hour lines are on disk (from the upgrade on), the window reads the hourly
        // lines before the first of them, then the 6-hour lines.
        let six = retention().tiers()[2];
        for q in 0..8 {
            let ts = start + 15 * DAY + q * 6 * 3600;
            let line = RollupLine { timestamp: ts, buckets: vec![Bucket::new(1, 6000.0, 3000.0)] };
            let path = crate::store::segments::path_for(&store.series(&id).rollup(&six), ts, six.segment_secs);
            appender.append(&path, &serde_json::to_string(&line).unwrap()).unwrap();
        }
        let (_, in_bps) = rates(&store, &id.0, 1, now - 20 * DAY, now, 50);
        let old = in_bps.iter().filter(|bps| **bps == 3000.0).count();
        let new = in_bps.iter().filter(|bps| **bps == 6000.0).count();
        assert!(old as i64 >= 9 * DAY / step && new >= 1, "{in_bps:?}");
    }
}
