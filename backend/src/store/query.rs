//! Downsampling for the traffic API: which resolution serves a window, and average plus maximum
//! per step. Pure functions: no I/O.

/// One stored point: a raw rate (weight 1) or a rollup bucket (average over `weight` samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredPoint {
    pub timestamp: i64,
    pub in_bps: f64,
    pub out_bps: f64,
    pub in_bps_max: f64,
    pub out_bps_max: f64,
    pub weight: u32,
}

/// One step of the answer; `None` where no sample fell in the step (a gap stays a gap).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepPoint {
    pub timestamp: i64,
    pub in_bps: Option<f64>,
    pub out_bps: Option<f64>,
    pub in_bps_max: Option<f64>,
    pub out_bps_max: Option<f64>,
}

/// The step for a window: at least the data's resolution, a multiple of it, and small enough
/// that `[from, to]` cut at multiples of the step gives at most `max_points` steps.
pub fn step_secs(from: i64, to: i64, max_points: u32, resolution_secs: i64) -> i64 {
    let max_points = i64::from(max_points.max(1));
    let wanted = ((to - from).max(1) + max_points - 1) / max_points;
    let wanted = wanted.max(resolution_secs);
    let mut step = (wanted + resolution_secs - 1) / resolution_secs * resolution_secs;
    while steps(from, to, step) > max_points {
        step += resolution_secs;
    }
    step
}

/// How many steps `[from, to]` cut at multiples of `step` makes (the first starts at or before `from`).
pub fn steps(from: i64, to: i64, step: i64) -> i64 {
    let first = from.div_euclid(step) * step;
    (to - first) / step + 1
}

/// Average (weighted by samples) and maximum per step over `[from, to]`; every step is present.
pub fn downsample(points: &[StoredPoint], from: i64, to: i64, step: i64) -> Vec<StepPoint> {
    let first = from.div_euclid(step) * step;
    let count = steps(from, to, step).max(0) as usize;
    #[derive(Clone, Copy, Default)]
    struct Acc {
        weight: u64,
        sum_in: f64,
        sum_out: f64,
        max_in: f64,
        max_out: f64,
    }
    let mut accs = vec![Acc::default(); count];
    for p in points.iter().filter(|p| p.timestamp >= from && p.timestamp <= to) {
        let acc = &mut accs[((p.timestamp - first) / step) as usize];
        let w = u64::from(p.weight.max(1));
        acc.weight += w;
        acc.sum_in += p.in_bps * w as f64;
        acc.sum_out += p.out_bps * w as f64;
        acc.max_in = acc.max_in.max(p.in_bps_max);
        acc.max_out = acc.max_out.max(p.out_bps_max);
    }
    accs.iter()
        .enumerate()
        .map(|(i, acc)| {
            let has = acc.weight > 0;
            StepPoint {
                timestamp: first + i as i64 * step,
                in_bps: has.then(|| acc.sum_in / acc.weight as f64),
                out_bps: has.then(|| acc.sum_out / acc.weight as f64),
                in_bps_max: has.then_some(acc.max_in),
                out_bps_max: has.then_some(acc.max_out),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(timestamp: i64, bps: f64) -> StoredPoint {
        StoredPoint { timestamp, in_bps: bps, out_bps: bps / 2.0, in_bps_max: bps, out_bps_max: bps / 2.0, weight: 1 }
    }

    #[test]
    fn the_step_respects_max_points_and_resolution() {
        assert_eq!(step_secs(0, 3600, 500, 60), 60);
        let day = step_secs(1_000_000, 1_086_400, 500, 300);
        assert_eq!(day % 300, 0);
        assert!(steps(1_000_000, 1_086_400, day) <= 500);
        let year = step_secs(0, 365 * 86_400, 500, 3600);
        assert!(steps(0, 365 * 86_400, year) <= 500);
    }

    #[test]
    fn downsampling_averages_and_keeps_the_peak() {
        let points = [raw(0, 100.0), raw(60, 300.0), raw(120, 50.0), raw(180, 50.0)];
        let out = downsample(&points, 0, 239, 120);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].in_bps, Some(200.0));
        assert_eq!(out[0].in_bps_max, Some(300.0));
        assert_eq!(out[1].out_bps, Some(25.0));
    }

    #[test]
    fn rollups_are_weighted_by_their_sample_count() {
        let a = StoredPoint { weight: 3, ..raw(0, 100.0) };
        let b = StoredPoint { weight: 1, ..raw(300, 500.0) };
        let out = downsample(&[a, b], 0, 599, 600);
        assert_eq!(out[0].in_bps, Some(200.0));
    }

    #[test]
    fn a_gap_stays_a_gap() {
        let points = [raw(0, 100.0), raw(300, 100.0)];
        let out = downsample(&points, 0, 359, 60);
        assert_eq!(out.len(), 6);
        assert!(out[1..5].iter().all(|p| p.in_bps.is_none() && p.in_bps_max.is_none()));
        assert_eq!(out[5].in_bps, Some(100.0));
    }
}
