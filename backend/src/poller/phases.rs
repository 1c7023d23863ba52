//! Where and when in its interval each running device is polled. Polls start on a grid shared
//! by all devices of an interval ([`on_grid`]), so that polls due about the same time share one
//! wake-up of the runtime (and their replies, writes and events arrive in bursts each thread
//! drains in one wake-up) rather than one each. The grid is coarser when polls are sparse: a
//! 60th of the interval, between [`FINEST_GRID`] and [`COARSEST_GRID`] (100 ms at 6 s and
//! below, 1 s at 60 s and above); a poll moves by less than a step, so by less than a tenth of
//! its interval (never late).
//!
//! Devices started together (at start, by an import, by a sharded poller's feed) are spread
//! over the interval whoever started them, and whatever was running before. Each interval is
//! cut into slots (one per grid step, at most [`MAX_SLOTS`]); a device spread by
//! [`Phases::take_least`] gets the slot with the fewest devices, the soonest of those, and
//! gives it back when it stops.
//!
//! A fleet is not spread thinner than it needs: slots are opened a few at a time, and a slot
//! takes up to [`POLLS_PER_STEP`] devices before more are opened. The first device of an
//! interval opens the slot it falls in; then 5, 10, 20, 60 slots evenly spaced from it (a
//! 60-slot interval: the open slots of each stage are among the next's). 500 devices are polled
//! on 5 steps of 100, 2,000 on 20, not 60 of 8 or 33: each wake-up of the poller, of the writer
//! and for the replies serves a burst of polls, and costs less a poll the more polls it serves
//! (README, Performance). 6,000 devices and more fill every slot evenly.
//!
//! Before, each caller spread only its own devices: 50 imports of 1,000 devices within 30 s
//! started them all within the first 50 s of a 60 s interval, a third of them in the same 20 s.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// Most slots an interval is cut into (a day's interval: slots of 21 s).
pub const MAX_SLOTS: u64 = 4096;

/// The finest step of the poll grid (intervals of 6 s and less).
pub const FINEST_GRID: Duration = Duration::from_millis(100);

/// The coarsest step of the poll grid (intervals of 60 s and more).
pub const COARSEST_GRID: Duration = Duration::from_secs(1);

/// Grid steps per interval, between the finest and coarsest steps.
const STEPS_PER_INTERVAL: u32 = 60;

/// Devices a slot takes before more slots of its interval are opened. 32 before 2026-12-05:
/// bursts of 100 cost less CPU a poll at 60 s (README, Performance, "Bursts of 100 polls"). A
/// burst's replies, about 6 KB each for 48 interfaces, arrive at once; the poller's sockets
/// (`snmp::socket_pool::OWN_SOCKETS_PER_FAMILY`) are enough for them at a stock
/// `net.core.rmem_max` (212,992 bytes each).
pub const POLLS_PER_STEP: u32 = 100;

/// The step of the grid the polls of every `interval` start on.
pub fn grid(interval: Duration) -> Duration {
    (interval / STEPS_PER_INTERVAL).clamp(FINEST_GRID, COARSEST_GRID)
}

/// Where every grid and every interval's slot 0 start: the first time it is asked.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The first point of the grid of polls every `interval` at or after `at`.
pub fn on_grid(interval: Duration, at: Instant) -> Instant {
    let step = grid(interval).as_nanos();
    let steps = at.saturating_duration_since(epoch()).as_nanos().div_ceil(step);
    epoch() + Duration::from_nanos((steps * step) as u64)
}

/// A device's place: its interval and the slot of it its polls fall in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    interval_secs: u32,
    index: usize,
}

/// The devices in each slot of one interval, and the slot its first device opened.
struct Schedule {
    taken: Vec<u32>,
    anchor: usize,
}

impl Schedule {
    /// Every how many slots, from the anchor, a slot is open: the fewest open slots in which
    /// one still has room, of the stages [`stage_factors`] make (60 slots: 1, 5, 10, 20, 60;
    /// a stage's slots are among the next's); every slot once all are full.
    fn stride(&self) -> usize {
        let count = self.taken.len();
        let room =
            |stride: usize| (self.anchor % stride..count).step_by(stride).any(|i| self.taken[i] < POLLS_PER_STEP);
        let mut stride = count;
        for factor in stage_factors(count) {
            if room(stride) {
                break;
            }
            stride /= factor;
        }
        stride
    }
}

/// What each stage multiplies the open slots by: the prime factors of `count`, the largest
/// first (a fleet past one slot spreads over the interval at once), then the others smallest
/// first (each stage opens as few slots as it can). 60: 5, 2, 2, 3; 300: 5, 2, 2, 3, 5.
fn stage_factors(count: usize) -> Vec<usize> {
    let (mut factors, mut rest, mut factor) = (Vec::new(), count, 2);
    while rest > 1 {
        while rest % factor != 0 {
            factor += 1;
        }
        factors.push(factor);
        rest /= factor;
    }
    if let Some(largest) = factors.pop() {
        factors.insert(0, largest);
    }
    factors
}

/// The devices in each slot, for every interval in use.
pub struct Phases {
    /// Slot 0 of every interval starts here (and every interval after it).
    origin: Instant,
    schedules: HashMap<u32, Schedule>,
}

impl Phases {
    pub fn new() -> Phases {
        Phases { origin: epoch(), schedules: HashMap::new() }
    }

    /// The width of `interval_secs`'s slots (one step of its grid, or more for a long interval)
    /// and how many there are.
    fn slots(&self, interval_secs: u32) -> (Duration, usize) {
        let interval = Duration::from_secs(u64::from(interval_secs.max(1)));
        let count = (interval.as_nanos() / grid(interval).as_nanos()).clamp(1, u128::from(MAX_SLOTS)) as usize;
        (interval / count as u32, count)
    }

    /// The slot of `interval_secs` that `at` falls in.
    fn slot_at(&self, interval_secs: u32, at: Instant) -> usize {
        let (width, count) = self.slots(interval_secs);
        let since = at.saturating_duration_since(self.origin).as_nanos();
        ((since / width.as_nanos()) % count as u128) as usize
    }

    /// Takes the open slot of `interval_secs` with the fewest devices, the soonest of those to
    /// start after `now` (the slot `now` is in starts again an interval later), and answers
    /// when the device's first poll is due: at the start of that slot, within one interval.
    /// The first device of an interval opens the next slot to start.
    pub fn take_least(&mut self, interval_secs: u32, now: Instant) -> (Slot, Duration) {
        let (width, count) = self.slots(interval_secs);
        let current = self.slot_at(interval_secs, now);
        let since = now.saturating_duration_since(self.origin).as_nanos();
        let into_current = Duration::from_nanos((since % width.as_nanos()) as u64);
        // Counting from the next slot to start; the slot `now` is in only if `now` is its start.
        let first = if into_current.is_zero() { 0 } else { 1 };
        let schedule = self
            .schedules
            .entry(interval_secs)
            .or_insert_with(|| Schedule { taken: vec![0; count], anchor: (current + first) % count });
        let stride = schedule.stride();
        let steps = (first..first + count)
            .filter(|step| (current + step) % stride == schedule.anchor % stride)
            .min_by_key(|step| (schedule.taken[(current + step) % count], *step))
            .expect("the anchor's slot is open");
        let index = (current + steps) % count;
        schedule.taken[index] += 1;
        // From `now` to the start of the slot `steps` ahead.
        let delay = (width * steps as u32).saturating_sub(into_current);
        (Slot { interval_secs, index }, delay)
    }

    /// Gives a stopped device's slot back; an interval no device uses any more is forgotten, so
    /// what is kept is bounded by the intervals in use (at most 16 KiB each).
    pub fn give_back(&mut self, slot: Slot) {
        let Some(schedule) = self.schedules.get_mut(&slot.interval_secs) else { return };
        if let Some(count) = schedule.taken.get_mut(slot.index) {
            *count = count.saturating_sub(1);
        }
        if schedule.taken.iter().all(|&count| count == 0) {
            self.schedules.remove(&slot.interval_secs);
        }
    }

    /// Devices in each slot of `interval_secs` (for tests and figures).
    #[cfg(test)]
    fn counts(&self, interval_secs: u32) -> Vec<u32> {
        self.schedules.get(&interval_secs).map(|s| s.taken.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid of a 10 s interval: a 60th of it.
    const GRID_10S: Duration = Duration::from_nanos(166_666_666);

    #[test]
    fn the_grid_is_a_60th_of_the_interval_between_100_ms_and_1_s() {
        let secs = Duration::from_secs;
        assert_eq!(grid(secs(1)), FINEST_GRID);
        assert_eq!(grid(secs(6)), FINEST_GRID);
        assert_eq!(grid(secs(10)), GRID_10S);
        assert_eq!(grid(secs(60)), COARSEST_GRID);
        assert_eq!(grid(secs(86_400)), COARSEST_GRID);
    }

    #[test]
    fn schedules_land_on_one_shared_grid_just_after_the_asked_time() {
        let base = Instant::now();
        for interval in [1, 10, 60, 300].map(Duration::from_secs) {
            let step = grid(interval);
            let asked: Vec<Instant> =
                [0, 1, 99, 100, 101, 250, 999, 60_000].iter().map(|&ms| base + Duration::from_millis(ms)).collect();
            let points: Vec<Instant> = asked.iter().map(|&at| on_grid(interval, at)).collect();
            for (point, at) in points.iter().zip(&asked) {
                assert!(*point >= *at && *point < *at + step, "{interval:?}: {at:?} -> {point:?}");
            }
            let off_grid = |a: Instant, b: Instant| (b - a).as_nanos() % step.as_nanos();
            assert!(points.windows(2).all(|w| off_grid(w[0], w[1]) == 0), "{interval:?}: all on the same grid");
        }
    }

    #[test]
    fn devices_started_in_several_batches_fill_every_slot_before_any_gets_a_second() {
        let mut phases = Phases::new();
        let start = Instant::now();
        // 50 imports of 1,000 devices polled every 60 s (60 slots of 1 s), 0.6 s apart.
        let mut first_polls = Vec::new();
        for batch in 0..50u32 {
            let now = start + Duration::from_millis(600) * batch;
            for _ in 0..1000 {
                let (slot, delay) = phases.take_least(60, now);
                assert!(delay < Duration::from_secs(60), "{delay:?}");
                first_polls.push((slot, now + delay));
            }
        }
        let counts = phases.counts(60);
        assert_eq!(counts.len(), 60);
        let (least, most) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(most - least <= 1, "50,000 devices over 60 slots: {least} to {most} per slot");
        // Each slot's devices are first polled in that slot, at its start (on the grid), whichever
        // batch took them.
        for (slot, at) in first_polls {
            assert_eq!(phases.slot_at(60, at), slot.index);
            assert_eq!(on_grid(Duration::from_secs(60), at), at);
        }
    }

    #[test]
    fn a_small_fleet_shares_the_slot_its_first_device_opened() {
        let mut phases = Phases::new();
        let now = Instant::now() + Duration::from_millis(250);
        let (first, delay) = phases.take_least(10, now);
        assert!(delay <= GRID_10S, "the first device is polled at the next step: {delay:?}");
        assert_eq!(on_grid(Duration::from_secs(10), now), now + delay);
        assert_eq!(phases.slot_at(10, now + delay), first.index);
        for _ in 1..POLLS_PER_STEP {
            assert_eq!(phases.take_least(10, now), (first, delay));
        }
        // The slot is full: the next device opens the slot a fifth of an interval away.
        let (second, later) = phases.take_least(10, now);
        assert_eq!(second.index, (first.index + 12) % 60);
        assert_eq!(phases.slot_at(10, now + later), second.index);
        assert!(later > delay && later < Duration::from_secs(10), "{later:?}");
    }

    #[test]
    fn slots_open_in_stages_and_a_large_fleet_fills_them_all_evenly() {
        let open =
            |counts: &[u32]| counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, _)| i).collect::<Vec<_>>();
        let mut phases = Phases::new();
        let now = Instant::now();
        let anchor = phases.take_least(10, now).0.index;
        for _ in 1..200 {
            phases.take_least(10, now);
        }
        // 200 devices: the first slot's 100, then the other 100 over the 4 more slots of the
        // next stage (a fifth of an interval apart).
        let counts = phases.counts(10);
        let five: Vec<usize> = (0..5).map(|k| (anchor + 12 * k) % 60).collect();
        let mut sorted = five.clone();
        sorted.sort();
        assert_eq!(open(&counts), sorted, "{counts:?}");
        for (k, slot) in five.iter().enumerate() {
            assert_eq!(counts[*slot], if k == 0 { POLLS_PER_STEP } else { 25 }, "slot {slot}: {counts:?}");
        }
        // 2,000 devices: 20 slots of 100 (every third); past 6,000 every slot, evenly.
        for _ in 200..2000 {
            phases.take_least(10, now);
        }
        let counts = phases.counts(10);
        let twenty: Vec<usize> = (0..20).map(|k| (anchor + 3 * k) % 60).collect();
        assert!(twenty.iter().all(|&slot| counts[slot] == POLLS_PER_STEP), "{counts:?}");
        assert_eq!(open(&counts).len(), 20, "{counts:?}");
        for _ in 2000..6060 {
            phases.take_least(10, now);
        }
        let counts = phases.counts(10);
        assert!(counts.iter().all(|&c| c == 101), "{counts:?}");
        // A 300-slot interval opens 1, 5, 10, 20, 60, then 300 slots.
        let mut long = Phases::new();
        for _ in 0..(20 * POLLS_PER_STEP + 1) {
            long.take_least(300, now);
        }
        assert_eq!(open(&long.counts(300)).len(), 21);
        assert_eq!(stage_factors(60), [5, 2, 2, 3]);
        assert_eq!(stage_factors(300), [5, 2, 2, 3, 5]);
        assert_eq!(stage_factors(4096), [2; 12]);
        assert!(stage_factors(1).is_empty());
    }

    #[test]
    fn a_slot_given_back_is_the_next_one_taken() {
        let mut phases = Phases::new();
        let now = Instant::now();
        let slots: Vec<Slot> = (0..60 * POLLS_PER_STEP).map(|_| phases.take_least(10, now).0).collect();
        assert!(phases.counts(10).iter().all(|&c| c == POLLS_PER_STEP));
        phases.give_back(slots[42]);
        let (again, _) = phases.take_least(10, now);
        assert_eq!(again, slots[42]);
        // An interval no device uses any more is forgotten.
        let (lone, _) = phases.take_least(300, now);
        assert_eq!(phases.counts(300).len(), 300);
        phases.give_back(lone);
        assert!(phases.counts(300).is_empty());
    }

    #[test]
    fn a_long_interval_is_cut_into_at_most_max_slots() {
        let phases = Phases::new();
        let (width, count) = phases.slots(86_400);
        assert_eq!(count as u64, MAX_SLOTS);
        assert!(width > Duration::from_secs(21) && width < Duration::from_secs(22), "{width:?}");
        assert_eq!(phases.slots(1), (FINEST_GRID, 10));
        assert_eq!(phases.slots(10), (GRID_10S, 60));
        assert_eq!(phases.slots(60), (COARSEST_GRID, 60));
    }
}
