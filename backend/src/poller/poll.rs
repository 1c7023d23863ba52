//! One poll of one device: the sysUpTime/ifNumber probe, the inventory when needed, and the
//! traffic counters. Testable alone against any agent; knows nothing of schedules or storage.

use std::collections::{BTreeSet, HashMap};

use foldhash::HashMap as FastMap;
use std::time::Instant;

use super::rates::{self, RateOutcome, Reading};
use crate::snmp::if_mib::{self, CounterBits, CounterRow, IfStatus, InterfaceInfo};
use crate::snmp::system::{self, Probe, SystemInfo};
use crate::snmp::{Session, SnmpError};
use crate::store::{now_ms, InterfaceReading, LatestSample, PollRecord};

/// The inventory (names, speeds, aliases) and system group are walked again this often even
/// when nothing suggests a change.
pub const INVENTORY_REFRESH_SECS: i64 = 600;

/// What a poll must fetch beyond the counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollPlan {
    pub walk_inventory: bool,
    pub want_32bit: bool,
    pub known_if_number: Option<u32>,
}

/// What one poll saw, before any rate is computed.
#[derive(Clone, Debug)]
pub struct PollOutcome {
    pub at_ms: i64,
    pub duration_ms: u64,
    pub uptime_ticks: u32,
    pub if_number: Option<u32>,
    pub system: Option<SystemInfo>,
    pub inventory: Option<Vec<InterfaceInfo>>,
    pub counters: Vec<CounterRow>,
}

/// Polls one device once. Usually one walk: the probe (sysUpTime, ifNumber) rides in the
/// counters' first request. When the inventory is due, or the probe shows the interface table
/// changed, the system group and the inventory are walked, then the counters again (with the
/// 32-bit columns: which interfaces lack the 64-bit ones is not known yet).
pub async fn poll_once(session: &mut Session, plan: &PollPlan) -> Result<PollOutcome, SnmpError> {
    let started = Instant::now();
    let outcome = |probe: Probe, system, inventory, counters| PollOutcome {
        at_ms: now_ms(),
        duration_ms: started.elapsed().as_millis() as u64,
        uptime_ticks: probe.uptime_ticks,
        if_number: probe.if_number,
        system,
        inventory,
        counters,
    };
    if !plan.walk_inventory {
        let (probe, counters) = if_mib::walk_counters_and_probe(session, plan.want_32bit, plan.known_if_number).await?;
        if probe.if_number == plan.known_if_number {
            return Ok(outcome(probe, None, None, counters));
        }
    }
    let probe = system::probe(session).await?;
    let system = system::get_system(session).await?;
    let inventory = if_mib::walk_inventory(session, probe.if_number).await?;
    let counters = if_mib::walk_counters(session, true, probe.if_number).await?;
    Ok(outcome(probe, Some(system), Some(inventory), counters))
}

/// What a device's poller remembers between polls.
#[derive(Default)]
pub struct PollMemory {
    previous: FastMap<u32, LatestSample>,
    speeds: FastMap<u32, Option<u64>>,
    indexes: BTreeSet<u32>,
    inventory_at_ms: Option<i64>,
    if_number: Option<u32>,
    uses_32bit: bool,
    force_inventory: bool,
    oper: FastMap<u32, IfStatus>,
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
        let previous = latest
            .into_iter()
            .filter(|s| now - s.at_ms <= max_age_ms)
            .map(|s| (s.reading.counters.if_index, s))
            .collect();
        PollMemory { previous, oper: oper.into_iter().collect(), ..PollMemory::default() }
    }

    pub fn plan(&self, now_ms: i64) -> PollPlan {
        let stale = self.inventory_at_ms.is_none_or(|at| now_ms - at >= INVENTORY_REFRESH_SECS * 1000);
        PollPlan {
            walk_inventory: stale || self.force_inventory,
            want_32bit: self.uses_32bit,
            known_if_number: self.if_number,
        }
    }

    /// Turns a poll's counters into readings with rates, and remembers them for the next poll.
    pub fn rate(&mut self, outcome: PollOutcome) -> Rated {
        if let Some(inventory) = &outcome.inventory {
            self.speeds = inventory.iter().map(|i| (i.if_index, i.speed_bps)).collect();
            self.indexes = inventory.iter().map(|i| i.if_index).collect();
            self.inventory_at_ms = Some(outcome.at_ms);
            self.force_inventory = false;
        }
        self.if_number = outcome.if_number;
        self.uses_32bit = outcome.counters.iter().any(|c| c.bits == CounterBits::Bits32);
        // An interface we have not inventoried yet: walk the table again next time.
        self.force_inventory |= outcome.counters.iter().any(|c| !self.indexes.contains(&c.if_index));

        let mut oper_changes = Vec::new();
        for c in &outcome.counters {
            if let Some(now) = c.oper_status {
                match self.oper.insert(c.if_index, now) {
                    Some(before) if before != now => oper_changes.push((c.if_index, before, now)),
                    _ => {}
                }
            }
        }
        let mut dropped = 0;
        let mut rebooted = false;
        let mut readings = Vec::with_capacity(outcome.counters.len());
        for counters in outcome.counters {
            let cur = Reading {
                at_ms: outcome.at_ms,
                uptime_ticks: outcome.uptime_ticks,
                in_octets: counters.in_octets,
                out_octets: counters.out_octets,
                bits: counters.bits,
            };
            let prev = self.previous.get(&counters.if_index);
            let speed = self.speeds.get(&counters.if_index).copied().flatten();
            let outcome_rate = prev.map(|p| rates::rate(&reading_of(p), &cur, speed));
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
            let prev_counters = prev.map(|p| &p.reading.counters);
            let event_rate = |pick: fn(&CounterRow) -> Option<u32>| {
                if rebooted_between(prev, &cur) {
                    return None;
                }
                rates::event_rate(prev_counters.and_then(pick), pick(&counters), elapsed_ms)
            };
            let reading = InterfaceReading {
                in_errors_per_sec: event_rate(|c| c.in_errors),
                out_errors_per_sec: event_rate(|c| c.out_errors),
                in_discards_per_sec: event_rate(|c| c.in_discards),
                out_discards_per_sec: event_rate(|c| c.out_discards),
                counters,
                in_bps,
                out_bps,
            };
            self.previous.insert(
                reading.counters.if_index,
                LatestSample { at_ms: cur.at_ms, uptime_ticks: cur.uptime_ticks, reading: reading.clone() },
            );
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

fn reading_of(sample: &LatestSample) -> Reading {
    let c = &sample.reading.counters;
    Reading {
        at_ms: sample.at_ms,
        uptime_ticks: sample.uptime_ticks,
        in_octets: c.in_octets,
        out_octets: c.out_octets,
        bits: c.bits,
    }
}

fn rebooted_between(prev: Option<&LatestSample>, cur: &Reading) -> bool {
    prev.is_some_and(|p| rates::rebooted(p.uptime_ticks, cur.uptime_ticks, cur.at_ms - p.at_ms))
}
