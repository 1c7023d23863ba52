//! The life of one device's poller: wait for its turn (or a nudge), poll within a deadline,
//! record, tell the event log what changed, repeat until cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::memory::{PollMemory, Rated};
use super::poll::{poll_once, PollPlan};
use super::stats::PollerStats;
use super::writer::{StoreWriter, Target, Write};
use crate::device::Device;
use crate::logs::Sink;
use crate::shown::Shown;
use crate::snmp::if_mib::IfStatus;
use crate::snmp::{Session, SnmpError};
use crate::store::logs::{LogField, Severity};
use crate::store::{now_ms, PollRecord, Store};

/// Readings older than this many poll intervals are not used for a rate after a restart: the
/// rate would average over the whole outage.
const SEED_MAX_INTERVALS: i64 = 5;

/// A nudge (a linkDown/linkUp trap) polls at once, but never sooner than this after the nudged
/// poll before: a device flapping its links, or anyone spoofing its traps, costs at most one
/// extra poll per gap. Nudges in the meantime make one poll at the end of the gap.
pub const NUDGE_MIN_GAP: Duration = Duration::from_secs(10);

/// How long one poll may take: most of the interval, so that the next poll starts on time, but
/// at least one whole exchange (timeout × (retries + 1)); never more than the interval. Every
/// exchange of the poll stops waiting then, with what it saw (garbage, another request id,
/// silence).
pub fn poll_deadline(interval: Duration, timeout_ms: u32, retries: u32) -> Duration {
    let exchange = Duration::from_millis(u64::from(timeout_ms) * (u64::from(retries) + 1));
    (interval * 9 / 10).max(exchange).min(interval)
}

/// The first turn of a poller whose turns fall on `first` and every `interval` after it: the
/// next from now on, or the one after when the poller polls at once and the next would come
/// within half an interval of that poll.
fn next_turn(first: Instant, interval: Duration, at_once: bool) -> Instant {
    let now = Instant::now();
    let behind = now.saturating_duration_since(first).as_nanos();
    let turn = first + interval * behind.div_ceil(interval.as_nanos()) as u32;
    match at_once && turn < now + interval / 2 {
        true => turn + interval,
        false => turn,
    }
}

/// The poll as a whole is stopped this long after its deadline if it has not ended by then
/// (name resolution, say, which does not heed the deadline).
const DEADLINE_BACKSTOP: Duration = Duration::from_secs(1);

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Snmp(#[from] SnmpError),
    #[error("the poll did not end within {after_ms} ms, its deadline and a second")]
    Backstop { after_ms: u64 },
}

/// What a device's poller works with.
#[derive(Clone)]
pub(super) struct Task {
    pub device: Device,
    pub store: Arc<Store>,
    pub stats: Arc<PollerStats>,
    pub sink: Arc<Sink>,
    /// Records polls in the store, in order, on a thread of its own.
    pub writer: Arc<StoreWriter>,
    /// Whom its writes are for (its slot in the store taken when it was started).
    pub target: Arc<Target>,
    pub cancel: CancellationToken,
    /// Notified to poll at once (a linkDown/linkUp trap arrived).
    pub poke: Arc<Notify>,
    /// Its first turn in its slot; the turns after it come every interval.
    pub first_turn: Instant,
    /// Polls at once, before its turns (a device added by hand, a poller started again).
    pub at_once: bool,
}

impl Task {
    pub(super) async fn run(self) {
        let config = &self.device.config;
        let interval = Duration::from_secs(u64::from(config.poll_interval_secs));
        let deadline = poll_deadline(interval, config.timeout_ms, config.retries);
        let known = self.store.latest(&self.device.id);
        let (latest, oper): (Vec<_>, HashMap<u32, IfStatus>) = known
            .map(|l| {
                let oper = l.interfaces.values().map(|i| (i.info.if_index, i.info.oper_status)).collect();
                (l.interfaces.into_values().filter_map(|i| i.latest).collect(), oper)
            })
            .unwrap_or_default();
        let mut memory = PollMemory::seeded(latest, oper, interval.as_millis() as i64 * SEED_MAX_INTERVALS);
        let mut session: Option<Session> = None;
        let mut at_once = self.at_once;
        let mut ticker = tokio::time::interval_at(next_turn(self.first_turn, interval, at_once), interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut last_nudged: Option<Instant> = None;
        // Made once for the poller's life, not twice a poll: each made and dropped took a place
        // in the token's and the nudge's lists of waiters, and gave it back.
        let cancelled = self.cancel.cancelled();
        let poked = self.poke.notified();
        tokio::pin!(cancelled, poked);
        loop {
            if !std::mem::take(&mut at_once) {
                tokio::select! {
                    _ = &mut cancelled => return,
                    scheduled = ticker.tick() => {
                        if scheduled.elapsed() > interval / 10 {
                            self.stats.late();
                        }
                    }
                    _ = &mut poked => {
                        // A nudge from now on (during the gap or the poll) is kept for the next turn.
                        poked.set(self.poke.notified());
                        if !self.wait_nudge_gap(last_nudged).await {
                            return;
                        }
                        last_nudged = Some(Instant::now());
                    }
                }
            }
            // Until its record is queued: the writer holds a burst's records for it.
            let _under_way = self.writer.poll_under_way();
            let started = std::time::Instant::now();
            let result = tokio::select! {
                _ = &mut cancelled => return,
                // Boxed: a poll's state (its walk's, about 2.7 KB) is held while it runs, not by
                // every device between its polls (one allocation a poll).
                result = tokio::time::timeout(deadline + DEADLINE_BACKSTOP, Box::pin(poll(&self.device, &mut session, &mut memory, deadline))) => {
                    result.unwrap_or(Err(PollError::Backstop { after_ms: (deadline + DEADLINE_BACKSTOP).as_millis() as u64 }))
                }
            };
            match result {
                Ok(rated) => self.answered(rated).await,
                Err(error) => {
                    session = None; // resolve the host again next time, and drop any exchange under way
                    self.failed(error, started.elapsed()).await;
                }
            }
        }
    }

    /// Waits until [`NUDGE_MIN_GAP`] has passed since the last nudged poll; false if cancelled
    /// meanwhile.
    async fn wait_nudge_gap(&self, last_nudged: Option<Instant>) -> bool {
        let Some(earliest) = last_nudged.map(|at| at + NUDGE_MIN_GAP).filter(|&at| at > Instant::now()) else {
            return true;
        };
        self.stats.nudge_deferred();
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep_until(earliest) => true,
        }
    }

    async fn answered(&self, rated: Rated) {
        let c = &self.device.config;
        let id = Some(&self.device.id);
        let took = Duration::from_millis(rated.record.duration_ms);
        self.stats.polled(rated.record.interfaces.len(), rated.dropped, took);
        if rated.rebooted {
            log::info!("Device {} ({}) rebooted: its sysUpTime went backwards.", Shown(&c.name), Shown(&c.host));
            self.sink.event(
                id,
                Severity::Warning,
                format!("{} rebooted (sysUpTime went backwards)", c.name),
                Vec::new(),
            );
        }
        if rated.dropped > 0 {
            log::info!("Device {}: {} rate(s) above interface speed dropped.", Shown(&c.name), rated.dropped);
            let message = format!(
                "{}: {} counter sample(s) dropped as implausible (above the interface speed)",
                c.name, rated.dropped
            );
            self.sink.event(id, Severity::Warning, message, Vec::new());
        }
        for (if_index, before, now) in &rated.oper_changes {
            let name =
                self.store.interface_name(&self.device.id, *if_index).unwrap_or_else(|| format!("ifIndex {if_index}"));
            let severity = if *now == IfStatus::Up { Severity::Notice } else { Severity::Warning };
            let fields = vec![
                LogField { name: "ifIndex".into(), value: if_index.to_string() },
                LogField { name: "ifName".into(), value: name.clone() },
            ];
            let message = format!("{}: interface {name} went {} (was {})", c.name, now.as_str(), before.as_str());
            self.sink.event(id, severity, message, fields);
        }
        self.record(rated.record).await;
    }

    /// Hands a poll to the store writer (see [`super::writer`]), which also decides the
    /// device's state again and announces a change; waits only when its queue is full.
    async fn record(&self, record: PollRecord) {
        self.writer.send_to(&self.target, Write::Poll(record)).await;
    }

    async fn failed(&self, error: PollError, took: Duration) {
        let over_deadline =
            matches!(error, PollError::Backstop { .. } | PollError::Snmp(SnmpError::PollDeadline { .. }));
        self.stats.failed(over_deadline, took);
        self.record_failure(took, error.to_string()).await;
    }

    /// Records a failed poll (or a poller that failed) as the device's status and `lastError`.
    pub(super) async fn record_failure(&self, took: Duration, error: String) {
        let write = Write::Failure { at_secs: now_ms().div_euclid(1000), took_ms: took.as_millis() as u64, error };
        self.writer.send_to(&self.target, write).await;
    }

    /// [`Task::record_failure`], returning once it is written (a supervisor's report: the
    /// device's `lastError` says the poller failed before it starts again).
    pub(super) async fn record_failure_now(&self, took: Duration, error: String) {
        let write = Write::Failure { at_secs: now_ms().div_euclid(1000), took_ms: took.as_millis() as u64, error };
        self.writer.send_and_wait(&self.target, write).await;
    }
}

async fn poll(
    device: &Device,
    session: &mut Option<Session>,
    memory: &mut PollMemory,
    deadline: Duration,
) -> Result<Rated, PollError> {
    let ends = Instant::now() + deadline;
    let c = &device.config;
    let session = match session {
        Some(session) => session,
        None => {
            session.insert(Session::open(&c.host, c.port, &c.credentials, u64::from(c.timeout_ms), c.retries).await?)
        }
    };
    let plan = PollPlan { deadline: Some(ends), ..memory.plan(now_ms()) };
    let outcome = poll_once(session, &plan).await?;
    let mut rated = memory.rate(outcome);
    rated.record.agent_addr = Some(session.target().ip());
    Ok(rated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_poller_polled_at_once_skips_a_turn_due_within_half_an_interval() {
        let secs = Duration::from_secs;
        let now = Instant::now() + secs(1_000);
        tokio::time::advance(secs(1_000)).await;
        assert_eq!(next_turn(now + secs(2), secs(10), false), now + secs(2));
        assert_eq!(next_turn(now + secs(2), secs(10), true), now + secs(12));
        assert_eq!(next_turn(now + secs(7), secs(10), true), now + secs(7));
        // Turns long past (a poller started again): the next from now on.
        assert_eq!(next_turn(now - secs(97), secs(10), false), now + secs(3));
        assert_eq!(next_turn(now - secs(97), secs(10), true), now + secs(13));
    }

    #[test]
    fn a_poll_ends_before_the_next_one_and_has_room_for_one_exchange() {
        let secs = Duration::from_secs;
        assert_eq!(poll_deadline(secs(60), 1_000, 1), secs(54));
        assert_eq!(poll_deadline(secs(10), 5_000, 1), secs(10), "one exchange, capped at the interval");
        assert_eq!(poll_deadline(secs(2), 300, 1), Duration::from_millis(1_800));
    }
}
