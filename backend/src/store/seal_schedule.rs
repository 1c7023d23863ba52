//! When a device's plain files are sealed. Periods are hours shifted by the device's own delay
//! (so a fleet's seals spread over the hour); a seal can happen only at the first poll of a
//! period, and happens when
//! - it is the first poll after a start, or the (shifted) day changed since the last seal: the
//!   samples and the rollups are sealed (rollups once a day: a day's lines make a better frame);
//! - the plain samples file holds at least [`SEAL_PLAIN_BYTES`], or [`SEAL_AT_MOST_PERIODS`]
//!   periods have passed since the last seal: the samples are sealed.
//!
//! A seal's cost is mostly fixed (two `fsync`s, a truncation, the files opened, the directory
//! listed), so a device polled every 10 s with 48 interfaces (about 830 KB of plain lines an
//! hour) still seals every hour, and the same device polled every 60 s (about 140 KB an hour)
//! every 4 hours: a quarter of the seals for the same lines.

use super::segments::DAY_SECS;
use super::tiers::{seal_every_secs, SEAL_EVERY_SECS};

/// Plain bytes at which the samples file is sealed at the next period's first poll.
pub const SEAL_PLAIN_BYTES: u64 = 512 * 1024;

/// Periods after which the samples are sealed whatever their size.
pub const SEAL_AT_MOST_PERIODS: i64 = 6;

/// What a poll seals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SealDue {
    Nothing,
    Samples,
    SamplesAndRollups,
}

/// The periods of a device's last seal and of its last poll (`None` until the first poll after
/// a start).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SealSchedule {
    sealed: Option<i64>,
    polled: Option<i64>,
}

/// [`SEAL_PLAIN_BYTES`] for the sealing period in force: scaled down with
/// `VIGIE_TEST_SEAL_EVERY_SECS` so that tests see the same seals sooner.
fn plain_bytes_due(every: i64) -> u64 {
    SEAL_PLAIN_BYTES * every as u64 / SEAL_EVERY_SECS as u64
}

impl SealSchedule {
    /// What the poll at `ts` seals for a device `delay_secs` past the hour whose plain samples
    /// file holds `plain_bytes`; a seal due is counted as done (a failed one is tried again at
    /// the next period's first poll, its lines still plain and over the size).
    pub fn due(&mut self, ts: i64, delay_secs: i64, plain_bytes: u64) -> SealDue {
        self.due_every(ts, delay_secs, plain_bytes, seal_every_secs())
    }

    fn due_every(&mut self, ts: i64, delay_secs: i64, plain_bytes: u64, every: i64) -> SealDue {
        let shifted = ts - delay_secs.rem_euclid(every);
        let period = shifted.div_euclid(every);
        if self.polled.replace(period) == Some(period) {
            return SealDue::Nothing;
        }
        let due = match self.sealed {
            None => SealDue::SamplesAndRollups,
            Some(last) if (last * every).div_euclid(DAY_SECS) != shifted.div_euclid(DAY_SECS) => {
                SealDue::SamplesAndRollups
            }
            Some(last) if plain_bytes >= plain_bytes_due(every) || period - last >= SEAL_AT_MOST_PERIODS => {
                SealDue::Samples
            }
            Some(_) => SealDue::Nothing,
        };
        if due != SealDue::Nothing {
            self.sealed = Some(period);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    /// The hours (from `base`) at which a device polled every `interval` seconds, writing
    /// `line_bytes` a poll, seals its samples over two days, and whether rollups went too.
    fn seals(interval: i64, line_bytes: u64, delay: i64) -> Vec<(i64, SealDue)> {
        let base = 1_700_000_000 - 1_700_000_000 % DAY_SECS;
        let (mut schedule, mut plain, mut out) = (SealSchedule::default(), 0, Vec::new());
        for ts in (base..base + 2 * DAY_SECS).step_by(interval as usize) {
            let due = schedule.due_every(ts, delay, plain, HOUR);
            if due != SealDue::Nothing {
                out.push(((ts - base) / HOUR, due));
                plain = 0;
            }
            plain += line_bytes;
        }
        out
    }

    fn hours(seals: &[(i64, SealDue)]) -> Vec<i64> {
        seals.iter().map(|(h, _)| *h).collect()
    }

    #[test]
    fn a_device_polled_every_10_s_seals_every_hour() {
        let at = seals(10, 2_300, 0);
        assert_eq!(hours(&at), (0..48).collect::<Vec<_>>());
        assert_eq!(at[0].1, SealDue::SamplesAndRollups, "the first poll after a start");
        assert_eq!(at[1].1, SealDue::Samples);
        assert_eq!(at[24].1, SealDue::SamplesAndRollups, "the day changed");
    }

    #[test]
    fn a_device_polled_every_60_s_seals_once_its_plain_file_holds_512_kib() {
        // 140 KB an hour: over 512 KiB after the fourth hour.
        let at = seals(60, 2_300, 0);
        assert_eq!(hours(&at), [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44]);
        assert_eq!(at[6].1, SealDue::SamplesAndRollups, "midnight still seals the rollups");
    }

    #[test]
    fn a_small_device_seals_at_least_every_six_hours_and_at_midnight() {
        let at = seals(300, 300, 0);
        assert_eq!(hours(&at), [0, 6, 12, 18, 24, 30, 36, 42]);
        assert_eq!(at.iter().filter(|(_, d)| *d == SealDue::SamplesAndRollups).count(), 2);
    }

    #[test]
    fn periods_start_at_the_device_delay() {
        // 600 s past the hour: the start at 00:00 falls in the day before's last period, so
        // 00:10 seals again (a new day); then 04:10, 08:10, ...
        let at = seals(60, 2_300, 600);
        assert_eq!(hours(&at)[..4], [0, 0, 4, 8]);
        let base = 1_700_000_000 - 1_700_000_000 % DAY_SECS + HOUR;
        let mut schedule = SealSchedule::default();
        assert_eq!(schedule.due_every(base + 590, 600, 0, HOUR), SealDue::SamplesAndRollups);
        assert_eq!(schedule.due_every(base + 650, 600, SEAL_PLAIN_BYTES, HOUR), SealDue::Samples);
        assert_eq!(schedule.due_every(base + HOUR + 590, 600, SEAL_PLAIN_BYTES, HOUR), SealDue::Nothing);
        assert_eq!(schedule.due_every(base + HOUR + 600, 600, SEAL_PLAIN_BYTES, HOUR), SealDue::Samples);
        assert_eq!(schedule.due_every(base + 2 * HOUR + 600, 600, SEAL_PLAIN_BYTES - 1, HOUR), SealDue::Nothing);
    }

    #[test]
    fn a_shorter_test_period_scales_the_size() {
        let mut schedule = SealSchedule::default();
        let every = 36; // a hundredth of an hour: 5,242 bytes
        assert_eq!(schedule.due_every(0, 0, 0, every), SealDue::SamplesAndRollups);
        assert_eq!(schedule.due_every(36, 0, 5_000, every), SealDue::Nothing);
        assert_eq!(schedule.due_every(72, 0, 5_300, every), SealDue::Samples);
    }
}
