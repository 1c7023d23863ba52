//! How the API's steps map onto PromQL evaluations. An API step starting at `T` holds the samples
//! whose whole second is in `[T, T + step)`, clipped to the window `[from, to]` (as the local
//! store reads them); a PromQL range `[w]` evaluated at `t` holds those in `(t - w, t]`. So a step
//! is evaluated at its end minus one millisecond, over its own length: the full steps by one
//! `query_range`, the clipped ones (the first when `from` is not on a step, the last when `to`
//! does not end one) by instant queries. Pure arithmetic, no I/O.

use crate::store::query::steps;

/// How far from now a query is moved back (see [`shift_secs`]).
pub const LATENCY_MARGIN_SECS: i64 = 300;

/// The steps of one answer: `count` steps of `step` seconds from `first`, over `[from, to]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepPlan {
    pub first: i64,
    pub step: i64,
    pub count: usize,
    from: i64,
    to: i64,
}

/// The samples one step holds: `[start_ms, end_ms)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Window {
    /// Where PromQL evaluates the step: its range then ends on the step's last millisecond.
    pub fn eval_ms(&self) -> i64 {
        self.end_ms - 1
    }

    pub fn range_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }
}

impl StepPlan {
    /// The steps of `[from, to]` (`from` before `to`) at `step` seconds, as the local store cuts them.
    pub fn new(from: i64, to: i64, step: i64) -> StepPlan {
        let first = from.div_euclid(step) * step;
        StepPlan { first, step, count: steps(from, to, step).max(0) as usize, from, to }
    }

    /// The start of step `k`: the timestamp the API gives it.
    pub fn timestamp(&self, k: usize) -> i64 {
        self.first + k as i64 * self.step
    }

    /// The samples step `k` holds.
    pub fn window(&self, k: usize) -> Window {
        let start = self.timestamp(k);
        Window { start_ms: start.max(self.from) * 1000, end_ms: (start + self.step).min(self.to + 1) * 1000 }
    }

    fn is_full(&self, k: usize) -> bool {
        self.window(k).range_ms() == self.step * 1000
    }

    /// The steps not clipped by the window: one run, evaluated by `query_range`.
    pub fn full_steps(&self) -> std::ops::Range<usize> {
        if self.count == 0 {
            return 0..0;
        }
        let start = if self.is_full(0) { 0 } else { 1 };
        let end = if self.is_full(self.count - 1) { self.count } else { self.count - 1 };
        start..end.max(start)
    }

    /// The steps the window clips (none, one or two), each evaluated by an instant query.
    pub fn clipped_steps(&self) -> Vec<usize> {
        let full = self.full_steps();
        (0..self.count).filter(|k| !full.contains(k)).collect()
    }

    /// The full step evaluated at `eval_ms`, if that is one of theirs.
    pub fn full_step_at(&self, eval_ms: i64) -> Option<usize> {
        let step_ms = self.step * 1000;
        let since = eval_ms + 1 - (self.first + self.step) * 1000;
        if since < 0 || since % step_ms != 0 {
            return None;
        }
        let k = usize::try_from(since / step_ms).ok()?;
        self.full_steps().contains(&k).then_some(k)
    }
}

/// Seconds by which to evaluate a query earlier (with `offset -N s` in its selectors, so the same
/// samples are read): VictoriaMetrics replaces `query_range` points less than
/// `-search.latencyOffset` (30 s) from now by the point before them when the step is under a
/// minute — an interpolation the API must never show. Moved back so that its latest evaluation
/// is `LATENCY_MARGIN_SECS` before now, a query is answered as it stands. Zero for older windows.
pub fn shift_secs(latest_eval_ms: i64, now_ms: i64) -> i64 {
    let ahead_ms = latest_eval_ms - (now_ms - LATENCY_MARGIN_SECS * 1000);
    if ahead_ms <= 0 {
        0
    } else {
        (ahead_ms + 999) / 1000
    }
}

/// A time in milliseconds as the HTTP API takes it: Unix seconds with three decimals.
pub fn seconds_text(ms: i64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_on_step_boundaries_is_all_full_steps() {
        // [600, 899]: steps 600, 660, ... 840, each whole.
        let plan = StepPlan::new(600, 899, 60);
        assert_eq!((plan.first, plan.count), (600, 5));
        assert_eq!(plan.full_steps(), 0..5);
        assert!(plan.clipped_steps().is_empty());
        assert_eq!(plan.window(0), Window { start_ms: 600_000, end_ms: 660_000 });
        assert_eq!(plan.window(0).eval_ms(), 659_999, "(t - 60 s, t] is [600 s, 660 s)");
        assert_eq!(plan.full_step_at(659_999), Some(0));
        assert_eq!(plan.full_step_at(899_999), Some(4));
        assert_eq!(plan.full_step_at(900_000), None, "not an evaluation time");
        assert_eq!(plan.full_step_at(959_999), None, "past the last step");
    }

    #[test]
    fn clipped_steps_at_both_ends_are_evaluated_over_what_the_window_holds() {
        // [630, 870]: 600 is cut to [630, 660), 840 to [840, 871).
        let plan = StepPlan::new(630, 870, 60);
        assert_eq!(plan.count, 5);
        assert_eq!(plan.timestamp(0), 600, "the step's start, as the local store gives it");
        assert_eq!(plan.full_steps(), 1..4);
        assert_eq!(plan.clipped_steps(), vec![0, 4]);
        assert_eq!(plan.window(0), Window { start_ms: 630_000, end_ms: 660_000 });
        assert_eq!(plan.window(4), Window { start_ms: 840_000, end_ms: 871_000 });
        assert_eq!(plan.window(4).range_ms(), 31_000);
        assert_eq!(plan.full_step_at(659_999), None, "step 0 is not in the range query");
        assert_eq!(plan.full_step_at(719_999), Some(1));
    }

    #[test]
    fn a_window_inside_one_step_is_one_clipped_step() {
        let plan = StepPlan::new(610, 620, 60);
        assert_eq!(plan.count, 1);
        assert!(plan.full_steps().is_empty());
        assert_eq!(plan.clipped_steps(), vec![0]);
        assert_eq!(plan.window(0), Window { start_ms: 610_000, end_ms: 621_000 });
        // Two clipped steps and nothing between.
        let plan = StepPlan::new(630, 700, 60);
        assert_eq!((plan.count, plan.full_steps().len()), (2, 0));
        assert_eq!(plan.clipped_steps(), vec![0, 1]);
    }

    #[test]
    fn the_step_count_is_the_local_stores() {
        for (from, to, step) in [(1_000_000, 1_086_400, 300), (17, 3617, 60), (0, 59, 60), (59, 60, 60)] {
            let plan = StepPlan::new(from, to, step);
            let local = crate::store::query::downsample(&[], from, to, step);
            assert_eq!(plan.count, local.len());
            assert!((0..plan.count).all(|k| plan.timestamp(k) == local[k].timestamp));
        }
    }

    #[test]
    fn queries_near_now_are_moved_back_past_the_latency_margin() {
        let now_ms = 10_000_000;
        assert_eq!(shift_secs(now_ms - 301_000, now_ms), 0, "old enough");
        assert_eq!(shift_secs(now_ms - 300_000, now_ms), 0);
        assert_eq!(shift_secs(now_ms - 299_999, now_ms), 1);
        assert_eq!(shift_secs(now_ms + 59_999, now_ms), 360, "a step ending in the future");
        assert_eq!(seconds_text(1_796_078_699_999), "1796078699.999");
        assert_eq!(seconds_text(5), "0.005");
    }
}
