//! Where in its interval each running device is polled, so that devices started together (at
//! start, by an import, by a sharded poller's feed) are spread over the interval whoever started
//! them, and whatever was running before. Each interval is cut into slots (one per poll grid
//! step, at most [`MAX_SLOTS`]); a device spread by [`Phases::take_least`] gets the slot with
//! the fewest devices, the soonest of those, and gives it back when it stops.
//!
//! Before, each caller spread only its own devices: 50 imports of 1,000 devices within 30 s
//! started them all within the first 50 s of a 60 s interval, a third of them in the same 20 s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Most slots an interval is cut into (a day's interval: slots of 21 s).
pub const MAX_SLOTS: u64 = 4096;

/// A device's place: its interval and the slot of it its polls fall in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    interval_secs: u32,
    index: usize,
}

/// The devices in each slot, for every interval in use.
pub struct Phases {
    /// Slot 0 of every interval starts here (and every interval after it).
    origin: Instant,
    /// The poll grid: no slot is narrower.
    grid: Duration,
    taken: HashMap<u32, Vec<u32>>,
}

impl Phases {
    pub fn new(grid: Duration) -> Phases {
        Phases { origin: Instant::now(), grid: grid.max(Duration::from_millis(1)), taken: HashMap::new() }
    }

    /// The width of `interval_secs`'s slots and how many there are.
    fn slots(&self, interval_secs: u32) -> (Duration, usize) {
        let interval = Duration::from_secs(u64::from(interval_secs.max(1)));
        let count = (interval.as_nanos() / self.grid.as_nanos()).clamp(1, u128::from(MAX_SLOTS)) as usize;
        (interval / count as u32, count)
    }

    /// The slot of `interval_secs` that `at` falls in.
    fn slot_at(&self, interval_secs: u32, at: Instant) -> usize {
        let (width, count) = self.slots(interval_secs);
        let since = at.saturating_duration_since(self.origin).as_nanos();
        ((since / width.as_nanos()) % count as u128) as usize
    }

    /// Takes the slot a first poll `delay` from `now` falls in (a device polled at once).
    pub fn take_at(&mut self, interval_secs: u32, now: Instant, delay: Duration) -> Slot {
        let index = self.slot_at(interval_secs, now + delay);
        self.add(interval_secs, index);
        Slot { interval_secs, index }
    }

    /// Takes the slot of `interval_secs` with the fewest devices, the soonest of those after
    /// `now`, and answers when the device's first poll is due: within one interval.
    pub fn take_least(&mut self, interval_secs: u32, now: Instant) -> (Slot, Duration) {
        let (width, count) = self.slots(interval_secs);
        let current = self.slot_at(interval_secs, now);
        let taken = self.taken.entry(interval_secs).or_insert_with(|| vec![0; count]);
        // The soonest of the emptiest, counting from the slot `now` is in.
        let steps = (0..count).min_by_key(|step| (taken[(current + step) % count], *step)).expect("at least one slot");
        let index = (current + steps) % count;
        taken[index] += 1;
        let delay = if steps == 0 {
            Duration::ZERO
        } else {
            // From `now` to the start of the slot `steps` ahead.
            let since = now.saturating_duration_since(self.origin).as_nanos();
            let into_current = Duration::from_nanos((since % width.as_nanos()) as u64);
            (width * steps as u32).saturating_sub(into_current)
        };
        (Slot { interval_secs, index }, delay)
    }

    /// Gives a stopped device's slot back; an interval no device uses any more is forgotten, so
    /// what is kept is bounded by the intervals in use (at most 16 KiB each).
    pub fn give_back(&mut self, slot: Slot) {
        let Some(taken) = self.taken.get_mut(&slot.interval_secs) else { return };
        if let Some(count) = taken.get_mut(slot.index) {
            *count = count.saturating_sub(1);
        }
        if taken.iter().all(|&count| count == 0) {
            self.taken.remove(&slot.interval_secs);
        }
    }

    fn add(&mut self, interval_secs: u32, index: usize) {
        let (_, count) = self.slots(interval_secs);
        self.taken.entry(interval_secs).or_insert_with(|| vec![0; count])[index] += 1;
    }

    /// Devices in each slot of `interval_secs` (for tests and figures).
    #[cfg(test)]
    fn counts(&self, interval_secs: u32) -> Vec<u32> {
        self.taken.get(&interval_secs).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Duration = Duration::from_millis(100);

    #[test]
    fn devices_started_in_several_batches_fill_every_slot_before_any_gets_a_second() {
        let mut phases = Phases::new(GRID);
        let start = Instant::now();
        // 50 imports of 1,000 devices polled every 60 s (600 slots), 0.6 s apart.
        let mut first_polls = Vec::new();
        for batch in 0..50u32 {
            let now = start + Duration::from_millis(600) * batch;
            for _ in 0..1000 {
                let (_, delay) = phases.take_least(60, now);
                assert!(delay < Duration::from_secs(60), "{delay:?}");
                first_polls.push(now + delay);
            }
        }
        let counts = phases.counts(60);
        assert_eq!(counts.len(), 600);
        let (least, most) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(most - least <= 1, "50,000 devices over 600 slots: {least} to {most} per slot");
        // Each slot's devices are first polled in that slot, whichever batch took them.
        for at in first_polls {
            assert!(phases.slot_at(60, at) < 600);
        }
    }

    #[test]
    fn the_first_device_of_an_empty_schedule_is_polled_at_once_and_the_next_a_slot_later() {
        let mut phases = Phases::new(GRID);
        let now = Instant::now() + Duration::from_millis(250);
        let (first, delay) = phases.take_least(10, now);
        assert_eq!(delay, Duration::ZERO);
        let (second, delay) = phases.take_least(10, now);
        assert_ne!(first, second);
        assert!(delay > Duration::ZERO && delay <= GRID, "{delay:?}");
        // The second's first poll falls in the slot it was given.
        assert_eq!(phases.slot_at(10, now + delay), second.index);
    }

    #[test]
    fn a_slot_given_back_is_the_next_one_taken() {
        let mut phases = Phases::new(GRID);
        let now = Instant::now();
        let slots: Vec<Slot> = (0..100).map(|_| phases.take_least(10, now).0).collect();
        assert!(phases.counts(10).iter().all(|&c| c == 1));
        phases.give_back(slots[42]);
        let (again, _) = phases.take_least(10, now);
        assert_eq!(again, slots[42]);
        // Taking at a moment counts too: the slot of `now` is then the fullest.
        let at = phases.take_at(10, now, Duration::ZERO);
        assert_eq!(phases.counts(10)[at.index], 2);
        // An interval no device uses any more is forgotten.
        let lone = phases.take_at(300, now, Duration::ZERO);
        assert_eq!(phases.counts(300).len(), 3000);
        phases.give_back(lone);
        assert!(phases.counts(300).is_empty());
    }

    #[test]
    fn a_long_interval_is_cut_into_at_most_max_slots() {
        let phases = Phases::new(GRID);
        let (width, count) = phases.slots(86_400);
        assert_eq!(count as u64, MAX_SLOTS);
        assert!(width > Duration::from_secs(21) && width < Duration::from_secs(22), "{width:?}");
        assert_eq!(phases.slots(1), (GRID, 10));
    }
}
