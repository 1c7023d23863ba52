//! The rollup lines of one device still in memory: the bucket of each tier that is filling, and
//! the closed ones waiting for the device's own delay past their end to be appended together,
//! packed meanwhile (see `packed_line`).

use super::packed_line::ClosedLine;
use super::poll_line::PollLine;
use super::query::StoredPoint;
use super::rollup_line::RollupLine;
use super::tiers::Tier;

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
/// the 2,000-device soak).
/// Seals wait for the whole delay past the hour.
#[derive(Default)]
pub struct OpenBuckets {
    /// Per tier, the line still filling.
    open: Vec<Option<RollupLine>>,
    /// Closed lines with their tier, in the order they closed.
    closed: Vec<(usize, ClosedLine)>,
    flush_delay_secs: i64,
    /// The last write of closed lines failed (disk full): they are back in `closed`, and the
    /// next write leaves out those a file already holds.
    pub(super) retry: bool,
    /// The sealing period of the last seal (`None` until the first poll after a start).
    pub(super) sealed_period: Option<i64>,
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

    /// Adds a poll's rates; a line it closes joins the waiting ones.
    pub(super) fn add(&mut self, tiers: &[Tier], poll: &PollLine) {
        let ts = poll.timestamp.floor() as i64;
        self.open.resize_with(tiers.len(), || None);
        for (t, tier) in tiers.iter().enumerate() {
            let start = ts.div_euclid(tier.resolution_secs) * tier.resolution_secs;
            let open = self.open[t].get_or_insert_with(|| RollupLine { timestamp: start, buckets: Vec::new() });
            if open.timestamp > start {
                continue; // out of order: ignore, never rewrite
            }
            if open.timestamp < start {
                if !open.buckets.is_empty() {
                    // The line's block is kept for the next one.
                    self.closed.push((t, ClosedLine::take(open)));
                }
                open.timestamp = start;
            }
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

    /// Folds rollup lines of a finer tier (already on disk) into tier `t`'s open line: after a
    /// restart, the part of a coarse bucket from before the raw samples read again.
    pub(super) fn fold_lines(&mut self, tiers: &[Tier], t: usize, lines: &[RollupLine]) {
        self.open.resize_with(tiers.len(), || None);
        for line in lines {
            let start = line.timestamp.div_euclid(tiers[t].resolution_secs) * tiers[t].resolution_secs;
            let open = self.open[t].get_or_insert_with(|| RollupLine { timestamp: start, buckets: Vec::new() });
            if open.timestamp == start {
                open.merge(line);
            }
        }
    }

    /// Bytes the lines in memory hold (their buckets), for the memory measurements.
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        let line = |l: &RollupLine| l.buckets.capacity() * std::mem::size_of::<super::rollup_line::Bucket>();
        self.open.iter().flatten().map(line).sum::<usize>()
            + self.closed.iter().map(|(_, l)| l.held_bytes()).sum::<usize>()
    }

    /// The points of one interface in one tier that are not on disk yet, oldest first.
    pub fn unwritten_points(&self, if_index: u32, tier: usize) -> Vec<StoredPoint> {
        let closed = self.closed.iter().filter(|(t, _)| *t == tier).filter_map(|(_, l)| l.point(if_index));
        let open = self.open.get(tier).and_then(Option::as_ref).and_then(|l| l.point(if_index));
        closed.chain(open).collect()
    }
}
