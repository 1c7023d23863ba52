//! What a device's poller remembers between polls (each interface's last reading, speed and
//! state, when the inventory was walked), and how a poll's counters become rates with it.
//! Bounded by what the device has: interfaces the agent no longer lists are forgotten.

use std::collections::HashMap;
use std::num::NonZeroU64;

use super::poll::{PollOutcome, PollPlan, INVENTORY_REFRESH_SECS};
use super::rates::{self, RateOutcome, Reading};
use crate::snmp::if_mib::{CounterBits, CounterRow, IfStatus};
use crate::store::{now_ms, InterfaceReading, LatestSample, PollRecord};

/// What a device's poller remembers between polls.
#[derive(Default)]
pub struct PollMemory {
    /// One entry per interface, in ifIndex order: a poll's counters come in that order, so its
    /// lookups walk this list once, front to back. (Hash maps cost a cache miss per interface
    /// and map: the memory is cold after a minute, and this walk lets the CPU prefetch it.)
    interfaces: Vec<Remembered>,
    inventory_at_ms: Option<i64>,
    if_number: Option<u32>,
    uses_32bit: bool,
    force_inventory: bool,
}

/// What a poller remembers of one interface (64 B; it held the whole last reading, rates
/// included, in 192 B: the rates are never read again, the store keeps them for the API).
struct Remembered {
    if_index: u32,
    /// Whether the last inventory listed it, and the speed it gave (`None` for 0, which the
    /// inventory never gives: it says `None` for an agent's 0).
    inventoried: bool,
    speed_bps: Option<NonZeroU64>,
    oper: Option<IfStatus>,
    previous: Option<Previous>,
}

/// Bytes the poller keeps per interface (its entry in [`PollMemory`]), for the memory
/// measurements.
#[cfg(test)]
pub(crate) const REMEMBERED_BYTES: usize = std::mem::size_of::<Remembered>();

/// The last counters of an interface, what the next poll's rates are computed from: a
/// [`Reading`] and the error and discard counters, laid flat (48 B where the two structs and
/// four `Option<u32>` took 64).
struct Previous {
    at_ms: i64,
    in_octets: u64,
    out_octets: u64,
    uptime_ticks: u32,
    /// ifInErrors, ifOutErrors, ifInDiscards, ifOutDiscards; those the agent gave are the set
    /// bits of `events_given` (bit k for `events[k]`).
    events: [u32; 4],
    events_given: u8,
    bits: CounterBits,
}

/// The place of each error or discard counter in [`Previous::events`].
const IN_ERRORS: usize = 0;
const OUT_ERRORS: usize = 1;
const IN_DISCARDS: usize = 2;
const OUT_DISCARDS: usize = 3;

impl Previous {
    fn new(reading: Reading, counters: &CounterRow) -> Previous {
        let given = [counters.in_errors, counters.out_errors, counters.in_discards, counters.out_discards];
        Previous {
            at_ms: reading.at_ms,
            in_octets: reading.in_octets,
            out_octets: reading.out_octets,
            uptime_ticks: reading.uptime_ticks,
            events: given.map(Option::unwrap_or_default),
            events_given: (0..4).filter(|k| given[*k].is_some()).fold(0, |mask, k| mask | 1 << k),
            bits: reading.bits,
        }
    }

    fn reading(&self) -> Reading {
        Reading {
            at_ms: self.at_ms,
            uptime_ticks: self.uptime_ticks,
            in_octets: self.in_octets,
            out_octets: self.out_octets,
            bits: self.bits,
        }
    }

    /// Counter `k` of [`Previous::events`], if the agent gave it.
    fn event(&self, k: usize) -> Option<u32> {
        (self.events_given & 1 << k != 0).then_some(self.events[k])
    }

    fn of(sample: &LatestSample) -> Previous {
        let c = &sample.reading.counters;
        let reading = Reading {
            at_ms: sample.at_ms,
            uptime_ticks: sample.uptime_ticks,
            in_octets: c.in_octets,
            out_octets: c.out_octets,
            bits: c.bits,
        };
        Previous::new(reading, c)
    }
}

impl Remembered {
    fn new(if_index: u32) -> Remembered {
        Remembered { if_index, inventoried: false, speed_bps: None, oper: None, previous: None }
    }
}

/// Rates computed from one poll.
pub struct Rated {
    pub record: PollRecord,
    /// Rates dropped as implausible (above the interface speed).
    pub dropped: usize,
    pub rebooted: bool,
    /// Interfaces whose ifOperStatus changed since the poll before: (ifIndex, before, now).
    pub oper_changes: Vec<(u32, IfStatus, IfStatus)>,
}

impl PollMemory {
    /// Starts from the last readings kept in the store, if recent, so a restart costs no gap,
    /// and from the interface states last seen, so a change while Vigie was stopped is told.
    pub fn seeded(
        latest: impl IntoIterator<Item = LatestSample>,
        oper: HashMap<u32, IfStatus>,
        max_age_ms: i64,
    ) -> PollMemory {
        let now = now_ms();
        let mut memory = PollMemory::default();
        for sample in latest.into_iter().filter(|s| now - s.at_ms <= max_age_ms) {
            let at = memory.position(0, sample.reading.counters.if_index);
            memory.interfaces[at].previous = Some(Previous::of(&sample));
        }
        for (if_index, status) in oper {
            let at = memory.position(0, if_index);
            memory.interfaces[at].oper = Some(status);
        }
        memory
    }

    /// Where `if_index` is in `interfaces`, added if new. The search starts at `from` when the
    /// entry before it has a smaller ifIndex (the next counter of a poll is usually right there).
    fn position(&mut self, from: usize, if_index: u32) -> usize {
        let ordered = from > 0 && self.interfaces.get(from - 1).is_some_and(|r| r.if_index < if_index);
        let from = if ordered { from.min(self.interfaces.len()) } else { 0 };
        let at = self.interfaces[from..]
            .iter()
            .position(|r| r.if_index >= if_index)
            .map_or(self.interfaces.len(), |i| from + i);
        if self.interfaces.get(at).is_none_or(|r| r.if_index != if_index) {
            self.interfaces.insert(at, Remembered::new(if_index));
        }
        at
    }

    pub fn plan(&self, now_ms: i64) -> PollPlan {
        let stale = self.inventory_at_ms.is_none_or(|at| now_ms - at >= INVENTORY_REFRESH_SECS * 1000);
        PollPlan {
            walk_inventory: stale || self.force_inventory,
            want_32bit: self.uses_32bit,
            known_if_number: self.if_number,
            deadline: None,
        }
    }

    /// Turns a poll's counters into readings with rates, and remembers them for the next poll.
    pub fn rate(&mut self, outcome: PollOutcome) -> Rated {
        if let Some(inventory) = &outcome.inventory {
            for remembered in &mut self.interfaces {
                (remembered.inventoried, remembered.speed_bps) = (false, None);
            }
            let mut at = 0;
            for info in inventory {
                at = self.position(at, info.if_index);
                let speed_bps = info.speed_bps.and_then(NonZeroU64::new);
                (self.interfaces[at].inventoried, self.interfaces[at].speed_bps) = (true, speed_bps);
            }
            // Interfaces the agent no longer lists are forgotten: memory follows what the device
            // has, however many ifIndexes it went through.
            self.interfaces.retain(|r| r.inventoried);
            // Grown one interface at a time, the list had room for up to twice as many (256
            // places for 200 interfaces, 16 KB a device): kept exactly, and a steady inventory
            // (the same interfaces) changes nothing, so this reallocates once.
            self.interfaces.shrink_to_fit();
            self.inventory_at_ms = Some(outcome.at_ms);
            self.force_inventory = false;
        }
        self.if_number = outcome.if_number;
        self.uses_32bit = outcome.counters.iter().any(|c| c.bits == CounterBits::Bits32);

        let mut oper_changes = Vec::new();
        let mut dropped = 0;
        let mut rebooted = false;
        let mut readings = Vec::with_capacity(outcome.counters.len());
        let mut at = 0;
        for counters in outcome.counters {
            at = self.position(at, counters.if_index);
            let remembered = &mut self.interfaces[at];
            // An interface we have not inventoried yet: walk the table again next time.
            self.force_inventory |= !remembered.inventoried;
            if let Some(now) = counters.oper_status {
                match remembered.oper.replace(now) {
                    Some(before) if before != now => oper_changes.push((counters.if_index, before, now)),
                    _ => {}
                }
            }
            let cur = Reading {
                at_ms: outcome.at_ms,
                uptime_ticks: outcome.uptime_ticks,
                in_octets: counters.in_octets,
                out_octets: counters.out_octets,
                bits: counters.bits,
            };
            let prev = remembered.previous.as_ref();
            let speed_bps = remembered.speed_bps.map(NonZeroU64::get);
            let outcome_rate = prev.map(|p| rates::rate(&p.reading(), &cur, speed_bps));
            let (in_bps, out_bps) = match outcome_rate {
                Some(RateOutcome::Rate { in_bps, out_bps }) => (Some(in_bps), Some(out_bps)),
                Some(RateOutcome::Gap(reason)) => {
                    dropped += usize::from(reason == rates::GapReason::AboveSpeed);
                    rebooted |= reason == rates::GapReason::Reboot;
                    (None, None)
                }
                None => (None, None),
            };
            let elapsed_ms = prev.map(|p| cur.at_ms - p.at_ms).unwrap_or(0);
            let rebooted_since =
                prev.is_some_and(|p| rates::rebooted(p.uptime_ticks, cur.uptime_ticks, cur.at_ms - p.at_ms));
            let event_rate = |k: usize, now: Option<u32>| {
                if rebooted_since {
                    return None;
                }
                rates::event_rate(prev.and_then(|p| p.event(k)), now, elapsed_ms)
            };
            let reading = InterfaceReading {
                in_errors_per_sec: event_rate(IN_ERRORS, counters.in_errors).into(),
                out_errors_per_sec: event_rate(OUT_ERRORS, counters.out_errors).into(),
                in_discards_per_sec: event_rate(IN_DISCARDS, counters.in_discards).into(),
                out_discards_per_sec: event_rate(OUT_DISCARDS, counters.out_discards).into(),
                counters,
                in_bps: in_bps.into(),
                out_bps: out_bps.into(),
            };
            remembered.previous = Some(Previous::new(cur, &reading.counters));
            readings.push(reading);
        }
        if rebooted {
            self.force_inventory = true;
        }
        let record = PollRecord {
            at_ms: outcome.at_ms,
            duration_ms: outcome.duration_ms,
            uptime_ticks: outcome.uptime_ticks,
            system: outcome.system,
            inventory: outcome.inventory,
            interfaces: readings,
            agent_addr: None,
        };
        Rated { record, dropped, rebooted, oper_changes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::if_mib::InterfaceInfo;

    fn counters(if_index: u32, octets: u64, oper: IfStatus) -> CounterRow {
        let row = CounterRow::octets(if_index, octets, octets / 2, CounterBits::Bits64);
        CounterRow { in_errors: Some(0), oper_status: Some(oper), ..row }
    }

    fn outcome(at_secs: i64, inventory: Option<&[u32]>, counters: Vec<CounterRow>) -> PollOutcome {
        let info = |if_index: u32| InterfaceInfo {
            speed_bps: Some(if_index as u64 * 1_000_000),
            ..InterfaceInfo::ethernet(if_index)
        };
        PollOutcome {
            at_ms: 1_700_000_000_000 + at_secs * 1000,
            duration_ms: 1,
            uptime_ticks: 1000 + at_secs as u32 * 100,
            if_number: Some(3),
            system: None,
            inventory: inventory.map(|i| i.iter().copied().map(info).collect()),
            counters,
        }
    }

    #[test]
    fn the_last_counters_keep_which_error_counters_the_agent_gave() {
        let counters = CounterRow {
            in_errors: Some(7),
            out_discards: Some(u32::MAX),
            ..CounterRow::octets(1, 5, 6, CounterBits::Bits32)
        };
        let reading = Reading { at_ms: 9, uptime_ticks: 3, in_octets: 5, out_octets: 6, bits: CounterBits::Bits32 };
        let previous = Previous::new(reading, &counters);
        assert_eq!((0..4).map(|k| previous.event(k)).collect::<Vec<_>>(), [Some(7), None, None, Some(u32::MAX)]);
        assert_eq!(previous.reading(), reading);
        assert_eq!(REMEMBERED_BYTES, 64);
    }

    fn rates(rated: &Rated) -> Vec<(u32, Option<f64>)> {
        rated.record.interfaces.iter().map(|r| (r.counters.if_index, r.in_bps.get())).collect()
    }

    #[test]
    fn rates_follow_each_interface_whatever_the_order_gaps_and_newcomers() {
        use IfStatus::{Down, Up};
        let mut memory = PollMemory::default();
        let first =
            memory.rate(outcome(0, Some(&[1, 2, 3]), vec![counters(1, 0, Up), counters(2, 0, Up), counters(3, 0, Up)]));
        assert_eq!(rates(&first), [(1, None), (2, None), (3, None)]);
        assert!(!memory.plan(1_700_000_001_000).walk_inventory);

        // Out of order, 2 missing, 3 going down: 1,250 octets in 10 s = 1,000 bit/s.
        let second = memory.rate(outcome(10, None, vec![counters(3, 1250, Down), counters(1, 1250, Up)]));
        assert_eq!(rates(&second), [(3, Some(1000.0)), (1, Some(1000.0))]);
        assert_eq!(second.oper_changes, [(3, Up, Down)]);

        // 2 is back (its rate spans both intervals); 4 is new: no rate, and the inventory is due.
        let third =
            memory.rate(outcome(20, None, vec![counters(1, 2500, Up), counters(2, 5000, Up), counters(4, 9, Up)]));
        assert_eq!(rates(&third), [(1, Some(1000.0)), (2, Some(2000.0)), (4, None)]);
        assert!(memory.plan(1_700_000_021_000).walk_inventory, "ifIndex 4 is not inventoried");

        // Above its speed (1 Mbit/s for ifIndex 1): dropped, not stored.
        let fourth = memory.rate(outcome(30, Some(&[1, 2, 3, 4]), vec![counters(1, 2_500_000, Up)]));
        assert_eq!((rates(&fourth), fourth.dropped), (vec![(1, None)], 1));
        assert!(!memory.plan(1_700_000_031_000).walk_inventory);
    }

    #[test]
    fn a_seeded_memory_rates_the_first_poll_and_tells_state_changes() {
        let mut memory = PollMemory::default();
        let seed =
            memory.rate(outcome(0, Some(&[5, 7]), vec![counters(7, 0, IfStatus::Up), counters(5, 0, IfStatus::Up)]));
        let latest = seed.record.interfaces.iter().map(|r| LatestSample {
            at_ms: seed.record.at_ms,
            uptime_ticks: seed.record.uptime_ticks,
            reading: r.clone(),
        });
        let oper = HashMap::from([(5, IfStatus::Up), (7, IfStatus::Up)]);
        let mut restarted = PollMemory::seeded(latest.collect::<Vec<_>>(), oper, i64::MAX / 2);
        let rated = restarted.rate(outcome(
            10,
            Some(&[5, 7]),
            vec![counters(5, 1250, IfStatus::Up), counters(7, 2500, IfStatus::Down)],
        ));
        assert_eq!(rates(&rated), [(5, Some(1000.0)), (7, Some(2000.0))]);
        assert_eq!(rated.oper_changes, [(7, IfStatus::Up, IfStatus::Down)]);
    }

    #[test]
    fn interfaces_the_inventory_no_longer_lists_are_forgotten() {
        use IfStatus::Up;
        let mut memory = PollMemory::default();
        // A device that renumbers its interfaces at every inventory: memory holds only the last.
        for round in 0..50u32 {
            let indexes: Vec<u32> = (1..=3).map(|i| round * 10 + i).collect();
            let rows = indexes.iter().map(|&i| counters(i, 0, Up)).collect();
            memory.rate(outcome(i64::from(round) * 10, Some(&indexes), rows));
        }
        let remembered: Vec<u32> = memory.interfaces.iter().map(|r| r.if_index).collect();
        assert_eq!(remembered, [491, 492, 493]);
    }

    #[test]
    fn the_list_has_room_for_the_interfaces_inventoried_and_no_more() {
        let mut memory = PollMemory::default();
        let indexes: Vec<u32> = (1..=200).collect();
        memory.rate(outcome(0, Some(&indexes), Vec::new()));
        assert_eq!((memory.interfaces.len(), memory.interfaces.capacity()), (200, 200));
        let fewer: Vec<u32> = (1..=150).collect();
        memory.rate(outcome(60, Some(&fewer), Vec::new()));
        assert_eq!((memory.interfaces.len(), memory.interfaces.capacity()), (150, 150));
    }
}
