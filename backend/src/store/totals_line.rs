//! The open line of a coarser rollup tier (an hour, 6 hours), made of the closed lines of the
//! tier below rather than of every poll. Closed lines hold whole bits per second, so an
//! interface's averages times its samples, summed, are whole numbers: the line keeps those
//! totals packed in varints ([`ClosedLine`]), about 22 B per interface where an open [`Bucket`]
//! takes 40, and its averages are the exact means of the finer lines' (so within a bit per
//! second of the polls' own mean).

use super::packed_line::ClosedLine;
use super::query::StoredPoint;
use super::rollup_line::{Bucket, RollupLine};

/// A coarser tier's line still filling: per interface, the sums of the finer lines' averages
/// times their samples, their maxima and samples.
#[derive(Debug)]
pub struct TotalsLine(ClosedLine);

impl TotalsLine {
    /// A line starting at `timestamp` made of `finer`.
    pub fn new(timestamp: i64, finer: &RollupLine) -> TotalsLine {
        let mut totals = RollupLine { timestamp, buckets: Vec::with_capacity(finer.buckets.len()) };
        add_to(&mut totals, finer);
        TotalsLine(ClosedLine::new(totals))
    }

    pub fn timestamp(&self) -> i64 {
        self.0.timestamp()
    }

    /// Adds a closed line of the tier below (within this line's span).
    pub fn add(&mut self, finer: &RollupLine) {
        let mut totals = self.0.unpack();
        add_to(&mut totals, finer);
        self.0 = ClosedLine::new(totals);
    }

    /// The line of averages, as it will be written (rounded when it is closed).
    pub fn line(&self) -> RollupLine {
        let mut line = self.0.unpack();
        line.buckets.iter_mut().for_each(to_means);
        line
    }

    pub fn point(&self, if_index: u32) -> Option<StoredPoint> {
        let mut point = self.0.point(if_index)?;
        let n = f64::from(point.weight.max(1));
        (point.in_bps, point.out_bps) = (point.in_bps / n, point.out_bps / n);
        Some(point)
    }

    /// Bytes it holds on the heap, for the memory measurements.
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        self.0.held_bytes()
    }
}

/// Adds `finer`'s buckets to the totals of `totals`, both in ifIndex order.
fn add_to(totals: &mut RollupLine, finer: &RollupLine) {
    for bucket in &finer.buckets {
        let mut sums = *bucket;
        let n = f64::from(sums.samples);
        (sums.in_bps, sums.out_bps) = (sums.in_bps * n, sums.out_bps * n);
        match totals.buckets.binary_search_by_key(&bucket.if_index, |b| b.if_index) {
            Ok(i) => {
                let b = &mut totals.buckets[i];
                (b.in_bps, b.out_bps) = (b.in_bps + sums.in_bps, b.out_bps + sums.out_bps);
                b.in_bps_max = b.in_bps_max.max(sums.in_bps_max);
                b.out_bps_max = b.out_bps_max.max(sums.out_bps_max);
                b.samples = b.samples.saturating_add(sums.samples);
            }
            Err(i) => totals.buckets.insert(i, sums),
        }
    }
}

fn to_means(b: &mut Bucket) {
    let n = f64::from(b.samples.max(1));
    (b.in_bps, b.out_bps) = (b.in_bps / n, b.out_bps / n);
}

/// Merges two points of the same bucket (samples-weighted averages, the larger maxima), at
/// `timestamp`.
pub fn merge_points(a: Option<StoredPoint>, b: Option<StoredPoint>, timestamp: i64) -> Option<StoredPoint> {
    let bucket = |p: StoredPoint| Bucket {
        if_index: 0,
        in_bps: p.in_bps,
        out_bps: p.out_bps,
        in_bps_max: p.in_bps_max,
        out_bps_max: p.out_bps_max,
        samples: p.weight,
    };
    let merged = match (a, b) {
        (Some(a), Some(b)) => {
            let mut merged = bucket(a);
            merged.merge(&bucket(b));
            merged
        }
        (Some(p), None) | (None, Some(p)) => bucket(p),
        (None, None) => return None,
    };
    Some(merged.point(timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(timestamp: i64, buckets: &[(u32, f64, f64, u32)]) -> RollupLine {
        let buckets = buckets
            .iter()
            .map(|&(if_index, avg, max, samples)| Bucket {
                if_index,
                in_bps: avg,
                out_bps: avg * 2.0,
                in_bps_max: max,
                out_bps_max: max * 2.0,
                samples,
            })
            .collect();
        RollupLine { timestamp, buckets }
    }

    #[test]
    fn totals_give_the_exact_mean_of_the_finer_lines() {
        // Twelve 5-minute lines of 5 polls, one interface missing from some, one with 4 polls.
        let mut totals = TotalsLine::new(3600, &line(3600, &[(1, 1e9 + 7.0, 2e9, 5), (2, 3.0, 4.0, 5)]));
        let (mut sum, mut n) = ((1e9 + 7.0) * 5.0, 5.0);
        for k in 1..12u32 {
            let avg = 1e9 + f64::from(k * 13 % 7);
            let samples = if k == 5 { 4 } else { 5 };
            let finer =
                if k % 3 == 0 { vec![(1, avg, 3e9, samples)] } else { vec![(1, avg, 2e9, samples), (2, 1.0, 9.0, 5)] };
            totals.add(&line(3600 + 300 * i64::from(k), &finer));
            (sum, n) = (sum + avg * f64::from(samples), n + f64::from(samples));
        }
        let written = totals.line();
        assert_eq!(written.timestamp, 3600);
        let b = written.buckets[0];
        assert_eq!((b.if_index, b.samples, b.in_bps_max, b.out_bps_max), (1, 59, 3e9, 6e9));
        assert_eq!((b.in_bps, b.out_bps), (sum / n, 2.0 * sum / n), "the mean of every poll the lines stand for");
        let c = written.buckets[1];
        assert_eq!((c.if_index, c.samples, c.in_bps, c.in_bps_max), (2, 45, (15.0 + 8.0 * 5.0) / 45.0, 9.0));
        let point = totals.point(1).unwrap();
        assert_eq!((point.timestamp, point.in_bps, point.weight), (3600, sum / n, 59));
        assert!(totals.point(3).is_none());
        assert!(matches!(totals.0, ClosedLine::Packed { .. }), "whole totals pack");
    }

    #[test]
    fn odd_values_keep_the_line_as_it_is() {
        let mut totals = TotalsLine::new(0, &line(0, &[(1, f64::NAN, 5.0, 1)]));
        totals.add(&line(300, &[(1, 2.0, 5.0, 1), (4, 6.0, 6.0, 2)]));
        let written = totals.line();
        assert!(written.buckets[0].in_bps.is_nan());
        assert_eq!((written.buckets[1].in_bps, written.buckets[1].samples), (6.0, 2));
    }

    #[test]
    fn points_merge_by_their_samples() {
        let p = |avg: f64, max: f64, weight: u32| StoredPoint {
            timestamp: 0,
            in_bps: avg,
            out_bps: avg,
            in_bps_max: max,
            out_bps_max: max,
            weight,
        };
        let merged = merge_points(Some(p(10.0, 20.0, 3)), Some(p(30.0, 15.0, 1)), 3600).unwrap();
        assert_eq!((merged.timestamp, merged.in_bps, merged.in_bps_max, merged.weight), (3600, 15.0, 20.0, 4));
        assert_eq!(merge_points(None, Some(p(1.0, 2.0, 1)), 7).map(|p| (p.timestamp, p.in_bps)), Some((7, 1.0)));
        assert!(merge_points(None, None, 0).is_none());
    }
}
