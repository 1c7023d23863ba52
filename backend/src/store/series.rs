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
//! Rollup lines fill in memory. A device's closed lines are appended once its own delay (modulo
//! 5 minutes) has passed since they closed: each 5-minute line in one write, the hourly line
//! (every 6 hours, the 6-hour line too) with the first after the hour, so a device costs twelve
//! appends an hour; until then queries read them from memory. After a restart the lines not yet on disk are rebuilt from the raw
//! samples, so nothing is counted twice or lost.
//!
//! Sealing: at the first poll of each hour past the device's own delay (the one its rollup lines
//! wait for; and at the first poll after a start; every `VIGIE_TEST_SEAL_EVERY_SECS` seconds if
//! that is set, for tests), the device's plain samples files are sealed into their
//! `<date>.jsonl.zst` twins as one more zstd frame appended, written as deltas (see
//! [`super::seal`]); its rollup files likewise at the first poll of each UTC day past that delay.
//! A fleet's seals thus spread over the hour: at ten million interfaces an hour's seals are
//! several minutes of one core, which in the hour's first minute made the writer late. Readers read a segment's sealed lines, then its plain ones.
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
        // Periods start at the device's own delay past the hour (the day): a fleet's seals
        // spread over the hour instead of all falling in its first minute.
        let shifted = ts - open.delay_secs().rem_euclid(every);
        let period = shifted.div_euclid(every);
        let sealed = match open.sealed_period.replace(period) {
            Some(last) if last == period => Ok(()),
            // Rollups once a day: a frame of a day's lines compresses better than an hour's.
            Some(last) if (last * every).div_euclid(DAY_SECS) == shifted.div_euclid(DAY_SECS) => {
                self.seal(appender, &[])
            }
            _ => self.seal(appender, tiers),
        };
        let segment = ts.div_euclid(RAW_SEGMENT_SECS);
        let path = || segments::path_for(&self.samples(), ts, RAW_SEGMENT_SECS);
        let chain = &mut open.samples;
        let text = |at, out: &mut Vec<u8>| chain.write(segment, at, line, out);
        let appended = appender.append_kept(KeptKind::Samples, &self.root, segment, path, text);
        open.samples.written(segment, appended.as_ref().ok().copied());
        appended?;
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
    /// `.zst` twins. The kept samples file stays open if the seal emptied it (the day's file,
    /// appended to from its start again), and is closed if it deleted it (an older day's).
    pub fn seal(&self, appender: &Appender, tiers: &[Tier]) -> std::io::Result<()> {
        let kept = appender.kept.take(&self.root);
        seal::seal_dir(&self.samples(), Content::Polls)?;
        if let Some(mut kept) = kept {
            use std::os::unix::fs::MetadataExt;
            if kept.file.metadata().is_ok_and(|m| m.len() == 0 && m.nlink() > 0) {
                kept.len = 0;
                appender.kept.put(kept);
            }
        }
        for tier in tiers {
            seal::seal_dir(&self.rollup(tier), Content::Lines)?;
        }
        Ok(())
    }

    /// Rebuilds the buckets not on disk from the raw samples after a restart, and answers them
    /// with the newest sample (read on the way: the plain file's lines are deltas, read from its
    /// start). It starts an hour before the newest sample's hour (a stop may fall between a
    /// sample closing an hour and its rollups being written) and writes what closes on the way
    /// unless already written. A 6-hour bucket starts from the hourly lines on disk for its
    /// hours before that.
    pub fn rebuild_open_buckets(
        &self,
        appender: &Appender,
        tiers: &[Tier],
        now: i64,
        flush_delay_secs: i64,
    ) -> std::io::Result<(OpenBuckets, Option<PollLine>)> {
        const HOUR: i64 = 3600;
        let mut open = OpenBuckets::new(flush_delay_secs);
        let Some(newest_ms) = self.newest_ms(now)? else { return Ok((open, None)) };
        let from = newest_ms.div_euclid(1000).div_euclid(HOUR) * HOUR - HOUR;
        // A tier coarser than an hour starts from the hourly lines of its bucket before `from`.
        if let Some(hourly) = tiers.iter().find(|t| t.resolution_secs == HOUR) {
            for (t, tier) in tiers.iter().enumerate().filter(|(_, t)| t.resolution_secs > HOUR) {
                let start = from.div_euclid(tier.resolution_secs) * tier.resolution_secs;
                let mut lines = Vec::new();
                self.read_rollup_lines(hourly, start, from - 1, |line| lines.push(line))?;
                open.fold_lines(tiers, t, &lines);
            }
        }
        let (mut result, mut newest) = (Ok(()), None);
        self.read_polls(from, now.max((newest_ms + 999).div_euclid(1000)), |line| {
            open.add(tiers, &line);
            let due = open.take_due(tiers, line.timestamp.floor() as i64);
            if result.is_ok() {
                result = self.write_rollups(appender, tiers, &due, true);
            }
            newest = Some(line);
        })?;
        result.map(|()| (open, newest))
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
mod tests;
