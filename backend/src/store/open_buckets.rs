//! The rollup lines of one device still in memory: the 5-minute line filling with every poll,
//! the coarser lines filling with the closed lines of the tier below (see `totals_line`), and
//! the closed ones waiting for the device's own delay past their end to be appended together,
//! packed meanwhile (see `packed_line`).

use super::packed_line::ClosedLine;
use super::poll_delta::Chain;
use super::poll_line::PollLine;
use super::query::StoredPoint;
use super::rollup_line::RollupLine;
use super::tiers::Tier;
use super::totals_line::{merge_points, TotalsLine};

/// Closed lines wait for the end of the 5 minutes in which the first of them ended (plus the
/// device's delay modulo 5 minutes): at most one 5-minute line per interface in memory (and an
/// hourly and a 6-hour one after the hour), half the time none; twelve appends an hour per
/// device. Waiting for the quarter of an hour kept up to five (about 120 B more per interface),
/// for the hour up to 22.
const FLUSH_EVERY_SECS: i64 = 300;

/// The rollup lines of one device not yet on disk: the open one of each tier, and the closed
/// ones waiting to be written. Closed lines are written together once the 5 minutes in which
/// the oldest ended have ended too, plus the device's own delay (`flush_delay_secs`, below an
/// hour, taken modulo 5 minutes), so that a fleet's rollup appends spread over the 5 minutes
/// instead of all landing in the first seconds after a bucket closes (which made polls late in
/// the 2,000-device soak). Seals wait for the whole delay past the hour.
///
/// Only the finest tier's line takes every poll; a coarser tier's line is the sum of the closed
/// lines of the tier below (tiers nest: 5 minutes, an hour, 6 hours), packed, about half the
/// memory of open buckets; what it answers before it closes adds the open finer line's part.
#[derive(Default)]
pub struct OpenBuckets {
    /// The finest tier's line still filling.
    open: Option<RollupLine>,
    /// Per coarser tier (tier `t` at `t - 1`), its line still filling.
    coarse: Vec<Option<TotalsLine>>,
    /// Closed lines with their tier, in the order they closed.
    closed: Vec<(usize, ClosedLine)>,
    flush_delay_secs: i64,
    /// The last write of closed lines failed (disk full): they are back in `closed`, and the
    /// next write leaves out those a file already holds.
    pub(super) retry: bool,
    /// The sealing period of the last seal (`None` until the first poll after a start).
    pub(super) sealed_period: Option<i64>,
    /// Where the samples file goes on from (its lines are deltas from the line before).
    pub(super) samples: Chain,
}

/// The start of the bucket of `tier` holding `ts`.
fn bucket_start(ts: i64, tier: &Tier) -> i64 {
    ts.div_euclid(tier.resolution_secs) * tier.resolution_secs
}

impl OpenBuckets {
    pub fn new(flush_delay_secs: i64) -> OpenBuckets {
        OpenBuckets { flush_delay_secs, ..OpenBuckets::default() }
    }

    /// The device's delay past each hour, in seconds (below an hour).
    pub(super) fn delay_secs(&self) -> i64 {
        self.flush_delay_secs
    }

    /// A delay below an hour, the same for a device every time (a hash of its id).
    pub fn delay_for(device_id: &str) -> i64 {
        let hash =
            device_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        (hash % 3_000) as i64
    }

    /// Adds a poll's rates; a line it closes joins the waiting ones. A poll older than the
    /// finest line filling is ignored (lines are never rewritten).
    pub(super) fn add(&mut self, tiers: &[Tier], poll: &PollLine) {
        let Some(finest) = tiers.first() else { return };
        let ts = poll.timestamp.floor() as i64;
        let start = bucket_start(ts, finest);
        let open = self.open.get_or_insert_with(|| RollupLine { timestamp: start, buckets: Vec::new() });
        if open.timestamp > start {
            return;
        }
        let mut closed = None;
        if open.timestamp < start {
            // The line's block is kept for the next one.
            closed = (!open.buckets.is_empty()).then(|| ClosedLine::take(open));
            open.timestamp = start;
        }
        if let Some(line) = closed {
            self.close(tiers, 0, line);
        }
        for t in 1..tiers.len() {
            self.roll(tiers, t, bucket_start(ts, &tiers[t]));
        }
        let open = self.open.as_mut().expect("opened above");
        if open.buckets.is_empty() {
            // Room for this poll's interfaces, no more (a device may have had more).
            open.buckets.shrink_to(poll.interfaces.len());
            open.buckets.reserve_exact(poll.interfaces.len());
        }
        for (i, sample) in poll.interfaces.iter().enumerate() {
            if let (Some(in_bps), Some(out_bps)) = (sample.in_bps, sample.out_bps) {
                open.add(i, sample.if_index, in_bps, out_bps);
            }
        }
    }

    /// A line of tier `t` closed: it waits to be written, and joins the line of the tier above.
    fn close(&mut self, tiers: &[Tier], t: usize, line: ClosedLine) {
        let finer = tiers.get(t + 1).map(|_| line.unpack());
        self.closed.push((t, line));
        if let Some(finer) = finer {
            self.join(tiers, t + 1, &finer);
        }
    }

    /// Adds a closed line of the tier below to tier `t`'s line (closing first a line of an
    /// earlier bucket).
    fn join(&mut self, tiers: &[Tier], t: usize, finer: &RollupLine) {
        let start = bucket_start(finer.timestamp, &tiers[t]);
        self.roll(tiers, t, start);
        self.coarse.resize_with(tiers.len() - 1, || None);
        match &mut self.coarse[t - 1] {
            Some(line) if line.timestamp() == start => line.add(finer),
            Some(_) => {} // older than the line filling: ignored, as a late poll is
            empty => *empty = Some(TotalsLine::new(start, finer)),
        }
    }

    /// Closes tier `t`'s line if its bucket started before `start`.
    fn roll(&mut self, tiers: &[Tier], t: usize, start: i64) {
        let Some(slot) = self.coarse.get_mut(t - 1) else { return };
        if slot.as_ref().is_some_and(|line| line.timestamp() < start) {
            let line = slot.take().expect("checked above").line();
            self.close(tiers, t, ClosedLine::new(line));
        }
    }

    /// Takes the waiting lines, with their tier index, if they are due on disk at `now`: once
    /// the 5 minutes in which the first of them ended have ended too, plus the device's delay
    /// (modulo 5 minutes).
    pub(super) fn take_due(&mut self, tiers: &[Tier], now: i64) -> Vec<(usize, RollupLine)> {
        const EVERY: i64 = FLUSH_EVERY_SECS;
        let ended = |(t, line): &(usize, ClosedLine)| line.timestamp() + tiers[*t].resolution_secs;
        let first = self.closed.iter().map(ended).min();
        let delay = self.flush_delay_secs.rem_euclid(EVERY);
        if first.is_some_and(|end| now >= (end + EVERY - 1).div_euclid(EVERY) * EVERY + delay) {
            std::mem::take(&mut self.closed).into_iter().map(|(t, line)| (t, line.unpack())).collect()
        } else {
            Vec::new()
        }
    }

    /// Puts back lines [`OpenBuckets::take_due`] gave whose write failed, before the others.
    pub(super) fn put_back(&mut self, lines: Vec<(usize, RollupLine)>) {
        let lines = lines.into_iter().map(|(t, line)| (t, ClosedLine::new(line)));
        self.closed.splice(0..0, lines);
    }

    /// Folds rollup lines of a finer tier (already on disk) into tier `t`'s line (`t` > 0):
    /// after a restart, the part of a coarse bucket from before the raw samples read again.
    pub(super) fn fold_lines(&mut self, tiers: &[Tier], t: usize, lines: &[RollupLine]) {
        for line in lines {
            self.join(tiers, t, line);
        }
    }

    /// Bytes the lines in memory hold (their buckets), for the memory measurements.
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        let open =
            self.open.as_ref().map_or(0, |l| l.buckets.capacity() * std::mem::size_of::<super::rollup_line::Bucket>());
        open + self.coarse.iter().flatten().map(TotalsLine::held_bytes).sum::<usize>()
            + self.closed.iter().map(|(_, l)| l.held_bytes()).sum::<usize>()
    }

    /// The points of one interface in one tier that are not on disk yet, oldest first.
    pub fn unwritten_points(&self, tiers: &[Tier], if_index: u32, tier: usize) -> Vec<StoredPoint> {
        let closed = self.closed.iter().filter(|(t, _)| *t == tier).filter_map(|(_, l)| l.point(if_index));
        closed.chain(self.open_point(tiers, if_index, tier)).collect()
    }

    /// Tier `t`'s point still filling: its line's, and the part of it still in finer lines.
    fn open_point(&self, tiers: &[Tier], if_index: u32, t: usize) -> Option<StoredPoint> {
        if t == 0 {
            return self.open.as_ref().and_then(|l| l.point(if_index));
        }
        let line = self.coarse.get(t - 1).and_then(Option::as_ref);
        let finer = self.open_point(tiers, if_index, t - 1);
        let tier = tiers.get(t)?;
        match (line, finer) {
            (Some(line), Some(f)) if bucket_start(f.timestamp, tier) == line.timestamp() => {
                merge_points(line.point(if_index), finer, line.timestamp())
            }
            (Some(line), _) => line.point(if_index),
            (None, Some(f)) => merge_points(finer, None, bucket_start(f.timestamp, tier)),
            (None, None) => None,
        }
    }
}
