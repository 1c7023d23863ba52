//! Reading a device's series back, sealed frames then plain lines: raw polls in a window, the
//! newest poll (the last line, or the sealed file's last frame), and one interface's rollup points.

use std::path::Path;

use super::files::{last_line, read_raw_lines};
use super::poll_delta::{head, Decoder};
use super::poll_line::PollLine;
use super::query::StoredPoint;
use super::rollup_line::RollupLine;
use super::rollup_pick::bucket_of;
use super::seal;
use super::segments::{self, DAY_SECS};
use super::series::SeriesDir;
use super::tiers::{Tier, RAW_SEGMENT_SECS};

/// The start of the newest bucket in a rollup segment, plain or sealed.
pub(super) fn newest_rollup(path: &Path) -> std::io::Result<Option<i64>> {
    let plain =
        last_line(path)?.and_then(|bytes| serde_json::from_slice::<RollupLine>(&bytes).ok()).map(|l| l.timestamp);
    let sealed = seal::trailer(&seal::sealed_path(path))?.map(|t| t.last_ms.div_euclid(1000));
    Ok(plain.max(sealed))
}

impl SeriesDir {
    /// Reads raw poll lines with a timestamp in `[from, to]`, oldest first, sealed or not. A
    /// line not newer than the one before (sealed, and still in a plain file after a crash)
    /// is read once.
    pub fn read_polls(&self, from: i64, to: i64, mut each: impl FnMut(PollLine)) -> std::io::Result<()> {
        let mut last = f64::NEG_INFINITY;
        for path in segments::overlapping(&self.samples(), from, to, RAW_SEGMENT_SECS) {
            let mut decoder = Decoder::default();
            seal::read_segment(&path, |bytes| {
                let Some(line) = decoder.line(bytes) else { return false };
                let ts = line.timestamp.floor() as i64;
                if line.timestamp > last && ts >= from && ts <= to {
                    last = line.timestamp;
                    each(line)
                }
                true
            })?;
        }
        Ok(())
    }

    /// When the newest raw sample of the last week was taken (ms), read without decoding the
    /// lines: the head of the plain file's last line, else the sealed file's trailer (a last
    /// line in another shape: the file decoded).
    pub fn newest_ms(&self, now: i64) -> std::io::Result<Option<i64>> {
        let newest = segments::overlapping(&self.samples(), now - 7 * DAY_SECS, i64::MAX / 2, RAW_SEGMENT_SECS).pop();
        let Some(path) = newest else { return Ok(None) };
        match last_line(&path)? {
            Some(bytes) => match head(&bytes) {
                Some((ms, _)) => Ok(Some(ms)),
                None => Ok(self.newest_poll(now)?.map(|line| (line.timestamp * 1000.0).round() as i64)),
            },
            None => Ok(seal::trailer(&seal::sealed_path(&path))?.map(|t| t.last_ms)),
        }
    }

    /// The newest raw sample of the last week: the plain file's last readable line (read from
    /// the file's start, its lines being deltas), else the last line of the sealed file's last
    /// frame.
    pub fn newest_poll(&self, now: i64) -> std::io::Result<Option<PollLine>> {
        let newest = segments::overlapping(&self.samples(), now - 7 * DAY_SECS, i64::MAX / 2, RAW_SEGMENT_SECS).pop();
        let Some(path) = newest else { return Ok(None) };
        let (mut decoder, mut newest) = (Decoder::default(), None);
        // The last line that reads is the newest.
        let mut keep = |bytes: &[u8], newest: &mut Option<PollLine>| {
            let line = decoder.line(bytes);
            let read = line.is_some();
            *newest = line.or(newest.take());
            read
        };
        read_raw_lines(&path, |bytes| keep(bytes, &mut newest))?;
        if newest.is_none() {
            seal::read_last_frame(&seal::sealed_path(&path), |bytes| keep(bytes, &mut newest))?;
        }
        Ok(newest)
    }

    /// Points of one interface from one rollup tier in `[from, to]`.
    pub fn read_rollup(&self, tier: &Tier, if_index: u32, from: i64, to: i64) -> std::io::Result<Vec<StoredPoint>> {
        let mut points: Vec<StoredPoint> = Vec::new();
        for path in segments::overlapping(&self.rollup(tier), from, to, tier.segment_secs) {
            seal::read_segment(&path, |bytes| match bucket_of(bytes, if_index) {
                Ok(point) => {
                    let newer = |p: &StoredPoint| points.last().is_none_or(|last| last.timestamp < p.timestamp);
                    if let Some(p) = point.filter(|p| p.timestamp >= from && p.timestamp <= to && newer(p)) {
                        points.push(p);
                    }
                    true
                }
                Err(_) => false,
            })?;
        }
        Ok(points)
    }

    /// Whole rollup lines of one tier with a bucket start in `[from, to]`, oldest first.
    pub fn read_rollup_lines(
        &self,
        tier: &Tier,
        from: i64,
        to: i64,
        mut each: impl FnMut(RollupLine),
    ) -> std::io::Result<()> {
        let mut last = i64::MIN;
        for path in segments::overlapping(&self.rollup(tier), from, to, tier.segment_secs) {
            seal::read_segment(&path, |bytes| match serde_json::from_slice::<RollupLine>(bytes) {
                Ok(line) => {
                    if line.timestamp > last && line.timestamp >= from && line.timestamp <= to {
                        last = line.timestamp;
                        each(line);
                    }
                    true
                }
                Err(_) => false,
            })?;
        }
        Ok(())
    }
}
