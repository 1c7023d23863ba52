//! A fixed-bucket histogram of poll durations, lock-free, read by `/metrics` as Prometheus's
//! cumulative `_bucket`/`_sum`/`_count` series.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (the last bucket, +Inf, is implied).
pub const BOUNDS_SECS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last one counts those above every bound.
    buckets: [AtomicU64; BOUNDS_SECS.len() + 1],
    sum_micros: AtomicU64,
}

/// A copy of a [`Histogram`] at one moment, with cumulative buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// `(upper bound in seconds, observations at or below it)`, ending with `(+Inf, count)`.
    pub cumulative: Vec<(f64, u64)>,
    pub sum_secs: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let at = BOUNDS_SECS.iter().position(|&bound| secs <= bound).unwrap_or(BOUNDS_SECS.len());
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(took.as_micros().min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut total = 0;
        let bounds = BOUNDS_SECS.iter().copied().chain([f64::INFINITY]);
        let cumulative = bounds
            .zip(&self.buckets)
            .map(|(bound, n)| {
                total += n.load(Ordering::Relaxed);
                (bound, total)
            })
            .collect();
        HistogramSnapshot { cumulative, sum_secs: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6, count: total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_with_the_count() {
        let h = Histogram::default();
        for ms in [3, 7, 7, 400, 60_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.cumulative[0], (0.005, 1));
        assert_eq!(s.cumulative[1], (0.01, 3));
        assert_eq!(s.cumulative[6], (0.5, 4));
        assert_eq!(s.cumulative[11], (30.0, 4));
        assert_eq!(*s.cumulative.last().unwrap(), (f64::INFINITY, 5));
        assert_eq!(s.count, 5);
        assert!((s.sum_secs - 60.417).abs() < 1e-9, "{}", s.sum_secs);
    }
}
