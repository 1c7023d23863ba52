//! Time series on disk: one JSON line per device poll (raw samples, kept 48 h by default), and
//! per-device rollups in the manner of RRD (5-minute, 1-hour and 6-hour average and maximum of
//! every interface, one line per bucket).
//!
//! ```text
//! devices/<id>/samples/<date>.jsonl    {"timestamp":..,"sysUpTime":..,"ifIndex":[..],"ifHCInOctets":[..],..}
//! devices/<id>/rollup/5m/<date>.jsonl  {"timestamp":..,"ifIndex":[..],"inBps":[..],..,"samples":[..]}
//! devices/<id>/rollup/1h/<date>.jsonl
//! devices/<id>/rollup/6h/<date>.jsonl
//! ```
//! Rollup lines fill in memory. A device's closed lines are appended together once the hour in
//! which the first of them ended has ended too (plus a delay of the device's own): twelve
//! 5-minute lines in one write, the hourly line in another (every 6 hours, the 6-hour line in a
//! third), so a device costs two appends an hour; until then queries read them from memory. After a restart the lines not yet on disk are rebuilt from the raw samples,
//! so nothing is counted twice or lost.
//!
//! Sealing: at the first poll of each hour (and the first after a start; every
//! `VIGIE_TEST_SEAL_EVERY_SECS` seconds if that is set, for tests), the device's plain samples
//! files are sealed into their `<date>.jsonl.zst` twins as one more zstd frame appended,
//! written as deltas (see [`super::seal`]); its rollup files likewise at the first poll of
//! each UTC day. Readers read a segment's sealed lines, then its plain ones.
//!
//! This module writes (appends, seals, rebuilds after a restart, retention); the reads are in
//! [`super::series_read`], the tiers in [`super::tiers`], the lines in memory in
//! [`super::open_buckets`].

use std::path::{Path, PathBuf};

pub use super::open_buckets::OpenBuckets;
pub use super::poll_line::{InterfaceSample, PollLine};
pub use super::tiers::{Retention, Tier, RAW_SEGMENT_SECS, SEAL_EVERY_SECS};

use super::files::{Appender, KeptKind};
use super::rollup_line::RollupLine;
use super::seal::{self, Content};
use super::segments::{self, DAY_SECS};
use super::series_read::newest_rollup;
use super::tiers::seal_every_secs;

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

    pub fn rollup(&self, tier: &Tier) -> PathBuf {
        self.root.join("rollup").join(tier.name)
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
        let every = seal_every_secs();
        let period = ts.div_euclid(every);
        let sealed = match open.sealed_period.replace(period) {
            Some(last) if last == period => Ok(()),
            // Rollups once a day: a frame of a day's lines compresses better than an hour's.
            Some(last) if (last * every).div_euclid(DAY_SECS) == ts.div_euclid(DAY_SECS) => self.seal(appender, &[]),
            _ => self.seal(appender, tiers),
        };
        let segment = ts.div_euclid(RAW_SEGMENT_SECS);
        let path = || segments::path_for(&self.samples(), ts, RAW_SEGMENT_SECS);
        line.with_text(|text| appender.append_kept(KeptKind::Samples, &self.root, segment, path, text))?;
        sealed?;
        open.add(tiers, line);
        let due = open.take_due(tiers, ts);
        if due.is_empty() {
            return Ok(());
        }
        match self.write_rollups(appender, tiers, &due, open.retry) {
            Ok(()) => {
                open.retry = false;
                Ok(())
            }
            Err(e) => {
                // Kept for the next poll; nothing is lost while memory holds them.
                open.put_back(due);
                open.retry = true;
                Err(e)
            }
        }
    }

    /// Appends closed lines, one write per file. With `skip_written`, lines not newer than a
    /// file's last line are left out (they were written before a restart).
    fn write_rollups(
        &self,
        appender: &Appender,
        tiers: &[Tier],
        lines: &[(usize, RollupLine)],
        skip_written: bool,
    ) -> std::io::Result<()> {
        let flush = |batch: Option<(PathBuf, String)>| match batch {
            Some((path, text)) if !text.is_empty() => appender.append(&path, &text),
            _ => Ok(()),
        };
        for (t, tier) in tiers.iter().enumerate() {
            let mut batch: Option<(PathBuf, String)> = None;
            for line in lines.iter().filter(|(lt, _)| *lt == t).map(|(_, l)| l) {
                let path = segments::path_for(&self.rollup(tier), line.timestamp, tier.segment_secs);
                if batch.as_ref().is_some_and(|(p, _)| *p != path) {
                    flush(batch.take())?;
                }
                let (path, text) = batch.get_or_insert_with(|| (path, String::new()));
                if skip_written
                    && text.is_empty()
                    && newest_rollup(path)?.is_some_and(|newest| newest >= line.timestamp)
                {
                    continue;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&serde_json::to_string(line).expect("rollups serialize"));
            }
            flush(batch)?;
        }
        Ok(())
    }

    /// Seals the device's plain samples files, and the rollup files of `tiers`, into their
    /// `.zst` twins. The kept samples file is closed first: the next append opens a new one.
    pub fn seal(&self, appender: &Appender, tiers: &[Tier]) -> std::io::Result<()> {
        appender.kept.forget(&self.root);
        seal::seal_dir(&self.samples(), Content::Polls)?;
        for tier in tiers {
            seal::seal_dir(&self.rollup(tier), Content::Lines)?;
        }
        Ok(())
    }

    /// Rebuilds the buckets not on disk from the raw samples after a restart. It starts an hour
    /// before the newest sample's hour (a stop may fall between a sample closing an hour and
    /// its rollups being written) and writes what closes on the way unless already written. A
    /// 6-hour bucket starts from the hourly lines on disk for its hours before that.
    pub fn rebuild_open_buckets(
        &self,
        appender: &Appender,
        tiers: &[Tier],
        now: i64,
        flush_delay_secs: i64,
    ) -> std::io::Result<OpenBuckets> {
        const HOUR: i64 = 3600;
        let mut open = OpenBuckets::new(flush_delay_secs);
        let Some(newest) = self.newest_poll(now)? else { return Ok(open) };
        let from = (newest.timestamp.floor() as i64).div_euclid(HOUR) * HOUR - HOUR;
        // A tier coarser than an hour starts from the hourly lines of its bucket before `from`.
        if let Some(hourly) = tiers.iter().find(|t| t.resolution_secs == HOUR) {
            for (t, tier) in tiers.iter().enumerate().filter(|(_, t)| t.resolution_secs > HOUR) {
                let start = from.div_euclid(tier.resolution_secs) * tier.resolution_secs;
                let mut lines = Vec::new();
                self.read_rollup_lines(hourly, start, from - 1, |line| lines.push(line))?;
                open.fold_lines(tiers, t, &lines);
            }
        }
        let mut result = Ok(());
        self.read_polls(from, now.max(newest.timestamp.ceil() as i64), |line| {
            open.add(tiers, &line);
            let due = open.take_due(tiers, line.timestamp.floor() as i64);
            if result.is_ok() {
                result = self.write_rollups(appender, tiers, &due, true);
            }
        })?;
        result.map(|()| open)
    }

    /// Deletes expired segments; answers the bytes freed.
    pub fn enforce_retention(&self, retention: &Retention, now: i64) -> u64 {
        let mut freed = segments::delete_before(&self.samples(), now - retention.raw_secs, RAW_SEGMENT_SECS);
        for tier in retention.tiers() {
            freed += segments::delete_before(&self.rollup(&tier), now - tier.retention_secs, tier.segment_secs);
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retention() -> Retention {
        Retention::default()
    }

    use super::super::poll_line::test_line as poll;

    /// A device's series in a temp dir, the default tiers, an appender, open buckets, and the
    /// start of an hour to poll from.
    struct Fixture {
        _dir: tempfile::TempDir,
        series: SeriesDir,
        tiers: [Tier; super::super::tiers::TIERS],
        appender: Appender,
        open: OpenBuckets,
        base: i64,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let series = SeriesDir::new(dir.path());
        let base = 1_700_000_000 - 1_700_000_000 % 3600;
        let (tiers, appender, open) = (retention().tiers(), Appender::default(), OpenBuckets::default());
        Fixture { _dir: dir, series, tiers, appender, open, base }
    }

    fn rollup_lines(series: &SeriesDir, tier: &Tier, from: i64) -> Vec<(i64, u32)> {
        let points = series.read_rollup(tier, 3, from, from + 100 * 3600).unwrap();
        points.iter().map(|p| (p.timestamp - from, p.weight)).collect()
    }

    #[test]
    fn closed_buckets_wait_for_their_hour_then_go_to_disk_together() {
        let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
        for (i, bps) in [Some(100.0), Some(300.0), None, Some(500.0)].into_iter().enumerate() {
            // Three polls in the first 5-minute bucket (one without a rate), one in the next.
            let ts = base + [0, 60, 120, 300][i];
            series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, bps)).unwrap();
        }
        assert!(rollup_lines(&series, &tiers[0], base).is_empty(), "nothing written before the hour closes");
        let waiting = open.unwritten_points(3, 0);
        assert_eq!(waiting.iter().map(|p| (p.timestamp - base, p.weight)).collect::<Vec<_>>(), [(0, 2), (300, 1)]);
        assert_eq!((waiting[0].in_bps, waiting[0].in_bps_max), (200.0, 300.0));
        assert_eq!(open.unwritten_points(3, 1).len(), 1, "the open hour");

        series.append_poll(&appender, &tiers, &mut open, &poll((base + 3600) as f64, Some(700.0))).unwrap();
        assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 2), (300, 1)]);
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 3)]);
        assert_eq!(open.unwritten_points(3, 0).len(), 1, "only the new open bucket is left");
    }

    #[test]
    fn a_device_writes_its_closed_lines_after_its_own_delay_even_for_an_interface_gone_since() {
        let dir = tempfile::tempdir().unwrap();
        let series = SeriesDir::new(dir.path());
        let tiers = retention().tiers();
        let appender = Appender::default();
        let mut open = OpenBuckets::new(600);
        let base = 1_700_000_000 - 1_700_000_000 % 3600;
        for ts in [base, base + 300] {
            series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, Some(100.0))).unwrap();
        }
        // ifIndex 3 is gone after that; the polls go on without it.
        let empty = |ts: i64| PollLine { timestamp: ts as f64, sys_up_time: 100, interfaces: Vec::new() };
        series.append_poll(&appender, &tiers, &mut open, &poll((base + 3600) as f64, Some(100.0))).unwrap();
        series.append_poll(&appender, &tiers, &mut open, &empty(base + 4000)).unwrap();
        assert!(rollup_lines(&series, &tiers[0], base).is_empty(), "not before the hour's end + 600 s");
        assert_eq!(open.unwritten_points(3, 0).len(), 3, "three closed 5-minute buckets");
        series.append_poll(&appender, &tiers, &mut open, &empty(base + 4200)).unwrap();
        // Every closed line goes with the oldest: the one of 3600 too.
        assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1), (300, 1), (3600, 1)]);
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 2)]);
        let spread: std::collections::BTreeSet<i64> =
            (0..100).map(|i| OpenBuckets::delay_for(&format!("d{i}"))).collect();
        assert!(spread.len() > 90 && spread.iter().all(|d| (0..3_000).contains(d)), "delays spread below 50 min");
    }

    #[test]
    fn a_restart_rebuilds_what_is_not_on_disk_and_writes_nothing_twice() {
        let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
        let polls: Vec<PollLine> = (0..20).map(|i| poll((base + 3000 + i * 60) as f64, Some(100.0))).collect();
        for line in &polls[..12] {
            series.append_poll(&appender, &tiers, &mut open, line).unwrap();
        }
        // The 12th poll (at base + 3660) closed the first hour: its rollups are on disk.
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10)]);

        // A restart rebuilds the same buckets and writes nothing again.
        let now = base + 3700;
        let rebuilt = series.rebuild_open_buckets(&appender, &tiers, now, 0).unwrap();
        for tier in 0..3 {
            assert_eq!(rebuilt.unwritten_points(3, tier), open.unwritten_points(3, tier), "tier {tier}");
        }
        assert_eq!(rollup_lines(&series, &tiers[0], base), [(3000, 5), (3300, 5)]);

        // A stop between a sample that closes an hour and its rollups: the raw line is there,
        // the rollups are not; the restart writes them.
        let mut open = rebuilt;
        for line in &polls[12..19] {
            series.append_poll(&appender, &tiers, &mut open, line).unwrap();
        }
        let closing = poll((base + 7200) as f64, Some(100.0));
        appender
            .append(
                &segments::path_for(&series.samples(), base + 7200, RAW_SEGMENT_SECS),
                &serde_json::to_string(&closing).unwrap(),
            )
            .unwrap();
        series.rebuild_open_buckets(&appender, &tiers, base + 7210, 0).unwrap();
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10), (3600, 9)]);
        assert_eq!(rollup_lines(&series, &tiers[0], base).len(), 2 + 2, "two buckets of each hour");

        // Buckets still waiting at a stop are rebuilt however long the stop, and written once
        // when the first poll after it closes their hour.
        let mut open = series.rebuild_open_buckets(&appender, &tiers, base + 7210, 0).unwrap();
        series.append_poll(&appender, &tiers, &mut open, &poll((base + 7500) as f64, Some(100.0))).unwrap();
        let mut open = series.rebuild_open_buckets(&appender, &tiers, base + 30_000, 0).unwrap();
        assert_eq!(open.unwritten_points(3, 0).len(), 2, "buckets 7200 and 7500, the latter open");
        series.append_poll(&appender, &tiers, &mut open, &poll((base + 30_000) as f64, Some(100.0))).unwrap();
        assert_eq!(rollup_lines(&series, &tiers[0], base).len(), 6);
        let text =
            std::fs::read_to_string(segments::path_for(&series.rollup(&tiers[0]), base + 3600, tiers[0].segment_secs))
                .unwrap();
        assert!(!text.contains("\n\n"), "no blank line: {text}");
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10), (3600, 9), (7200, 2)]);
    }

    #[test]
    fn the_six_hour_line_is_the_same_with_a_restart_in_its_middle() {
        let six_hours = |restart_at: Option<usize>| {
            let Fixture { _dir, series, tiers, appender, mut open, .. } = fixture();
            let base = 1_700_000_000 - 1_700_000_000 % 21_600;
            for k in 0..(7 * 12) {
                let ts = base + 300 * k as i64;
                if restart_at == Some(k) {
                    open = series.rebuild_open_buckets(&appender, &tiers, ts - 1, 0).unwrap();
                }
                let bps = Some(1_000.0 + 10.0 * (k % 17) as f64);
                series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, bps)).unwrap();
            }
            let mut open_points = open.unwritten_points(3, 2);
            let mut points = series.read_rollup(&tiers[2], 3, base, base + 7 * 3600).unwrap();
            points.append(&mut open_points);
            (points, base)
        };
        let (whole, base) = six_hours(None);
        assert_eq!(whole.iter().map(|p| (p.timestamp - base, p.weight)).collect::<Vec<_>>(), [(0, 72), (21_600, 12)]);
        // A restart 4 h 30 in: hours 0 to 2 come back from the hourly lines on disk, the rest from
        // the raw samples.
        let (restarted, _) = six_hours(Some(54));
        assert_eq!(restarted.len(), 2);
        for (a, b) in whole.iter().zip(&restarted) {
            assert_eq!((a.timestamp, a.weight, a.in_bps_max), (b.timestamp, b.weight, b.in_bps_max));
            assert!((a.in_bps - b.in_bps).abs() < 0.1, "{a:?} {b:?}");
        }
    }

    #[test]
    fn rollup_lines_that_cannot_be_written_are_kept_and_written_once_later() {
        let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
        series.append_poll(&appender, &tiers, &mut open, &poll(base as f64, Some(100.0))).unwrap();
        // A file where the hourly directory should be: the 5-minute lines are written, the
        // hourly one fails, like a disk that fills up between the two.
        std::fs::create_dir_all(series.rollup(&tiers[0]).parent().unwrap()).unwrap();
        std::fs::write(series.rollup(&tiers[1]), b"in the way").unwrap();
        assert!(series.append_poll(&appender, &tiers, &mut open, &poll((base + 3600) as f64, Some(100.0))).is_err());
        assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)]);
        assert_eq!(open.unwritten_points(3, 1).len(), 2, "the closed hour is kept, with the open one");

        std::fs::remove_file(series.rollup(&tiers[1])).unwrap();
        series.append_poll(&appender, &tiers, &mut open, &poll((base + 3660) as f64, Some(100.0))).unwrap();
        assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)], "not written twice");
        assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 1)]);
        assert_eq!(open.unwritten_points(3, 1).len(), 1, "only the open hour is left");
    }

    /// CPU of the hourly rollup appends for 2,000 devices × 48 interfaces: the first hour of a
    /// device creates its rollup directories and files, later hours append to them. Prints, asserts
    /// nothing: `cargo test --release -p vigie --lib hourly_rollup_cost -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn hourly_rollup_cost() {
        fn thread_cpu_secs() -> f64 {
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
            let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / 100.0
        }
        let dir = tempfile::tempdir().unwrap();
        let tiers = retention().tiers();
        let appender = Appender::default();
        let devices: Vec<SeriesDir> = (0..2_000).map(|i| SeriesDir::new(&dir.path().join(i.to_string()))).collect();
        let mut open: Vec<OpenBuckets> = devices.iter().map(|_| OpenBuckets::default()).collect();
        let line = |ts: i64| PollLine {
            timestamp: ts as f64,
            sys_up_time: 100,
            interfaces: (1..=48)
                .map(|i| InterfaceSample { if_index: i, ..poll(0.0, Some(1e6)).interfaces[0].clone() })
                .collect(),
        };
        let base = 1_700_000_000 - 1_700_000_000 % 3600;
        let mut hour_closing = Vec::new();
        let mut other = (0.0, 0);
        for k in 0..=24 {
            let poll_line = line(base + 300 * k);
            let started = thread_cpu_secs();
            for (series, open) in devices.iter().zip(open.iter_mut()) {
                series.append_poll(&appender, &tiers, open, &poll_line).unwrap();
            }
            let cpu = thread_cpu_secs() - started;
            if k % 12 == 0 && k > 0 {
                hour_closing.push(cpu);
            } else {
                other = (other.0 + cpu, other.1 + 1);
            }
        }
        let per_poll = other.0 / f64::from(other.1);
        println!("2,000 devices × 48 interfaces, CPU-seconds for one poll of every device:");
        println!("  a poll that closes no hour: {per_poll:.2} s (raw line only)");
        println!("  the first hour closing (creates 4,000 rollup files, two per device): {:.2} s", hour_closing[0]);
        println!("  a later hour closing (appends to existing files): {:.2} s", hour_closing[1]);
    }
}
