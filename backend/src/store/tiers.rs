//! The resolutions a device's traffic is kept at: raw samples in day files, and the rollup
//! tiers (5-minute and hourly buckets) with how long each is kept and how long its files are.

use super::segments::DAY_SECS;

/// Raw samples: one file per day.
pub const RAW_SEGMENT_SECS: i64 = DAY_SECS;
/// Plain samples files are sealed at the first poll of each period this long (rollups at the
/// first poll of each day).
pub const SEAL_EVERY_SECS: i64 = 3600;

/// The sealing period: [`SEAL_EVERY_SECS`], or `VIGIE_TEST_SEAL_EVERY_SECS` (whole seconds
/// from 1 to 3600) so that tests see seals without waiting an hour.
pub(super) fn seal_every_secs() -> i64 {
    static SECS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *SECS.get_or_init(|| {
        std::env::var("VIGIE_TEST_SEAL_EVERY_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|s| (1..=SEAL_EVERY_SECS).contains(s))
            .unwrap_or(SEAL_EVERY_SECS)
    })
}

/// A rollup resolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub name: &'static str,
    pub resolution_secs: i64,
    pub retention_secs: i64,
    /// Length of one file: a few thousand lines per interface.
    pub segment_secs: i64,
}

/// How long each resolution is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retention {
    pub raw_secs: i64,
    pub five_minute_secs: i64,
    pub hourly_secs: i64,
    /// Device logs (syslog, traps, events): by age and by total size.
    pub logs_secs: i64,
    pub logs_max_bytes: u64,
}

impl Default for Retention {
    /// The defaults of the configuration: 48 hours of raw samples, 30 days of 5-minute and 730
    /// of hourly rollups, 30 days and 1 GiB of logs.
    fn default() -> Self {
        Retention {
            raw_secs: 48 * 3600,
            five_minute_secs: 30 * DAY_SECS,
            hourly_secs: 730 * DAY_SECS,
            logs_secs: 30 * DAY_SECS,
            logs_max_bytes: 1 << 30,
        }
    }
}

/// How many rollup tiers there are.
pub const TIERS: usize = 3;

impl Retention {
    /// The rollup tiers, finest first. The 6-hour tier is kept as long as the hourly one: it is
    /// what a window of a year or more is read from (1,464 lines a year instead of 8,784).
    pub fn tiers(&self) -> [Tier; TIERS] {
        [
            Tier {
                name: "5m",
                resolution_secs: 300,
                retention_secs: self.five_minute_secs,
                segment_secs: 10 * DAY_SECS,
            },
            Tier { name: "1h", resolution_secs: 3600, retention_secs: self.hourly_secs, segment_secs: 100 * DAY_SECS },
            Tier {
                name: "6h",
                resolution_secs: 6 * 3600,
                retention_secs: self.hourly_secs,
                segment_secs: 400 * DAY_SECS,
            },
        ]
    }
}
