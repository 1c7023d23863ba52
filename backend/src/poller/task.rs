//! The life of one device's poller: wait for its turn (or a nudge), poll, record, tell the event
//! log what changed, repeat until cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::poll::{poll_once, PollMemory, Rated};
use super::scheduler::PollerStats;
use crate::device::{Device, DeviceState};
use crate::logs::Sink;
use crate::snmp::if_mib::IfStatus;
use crate::snmp::{Session, SnmpError};
use crate::store::logs::LogField;
use crate::store::{now_ms, Store};

/// Readings older than this many poll intervals are not used for a rate after a restart: the
/// rate would average over the whole outage.
const SEED_MAX_INTERVALS: i64 = 5;

/// Polls start on a grid of this step shared by all devices, so that polls due about the same
/// time share one wake-up of the runtime rather than one each; a poll moves by less than a step.
const SCHEDULE_GRID: Duration = Duration::from_millis(100);

/// The first point of the schedule grid at or after `at`.
fn on_grid(at: Instant) -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let grid = SCHEDULE_GRID.as_nanos();
    let steps = at.saturating_duration_since(epoch).as_nanos().div_ceil(grid);
    epoch + Duration::from_nanos((steps * grid) as u64)
}

/// What a device's poller works with.
pub(super) struct Task {
    pub device: Device,
    pub store: Arc<Store>,
    pub stats: Arc<PollerStats>,
    pub sink: Arc<Sink>,
    pub cancel: CancellationToken,
    /// Notified to poll at once (a linkDown/linkUp trap arrived).
    pub poke: Arc<Notify>,
    pub first_delay: Duration,
}

impl Task {
    pub(super) async fn run(self) {
        let config = &self.device.config;
        let interval = Duration::from_secs(u64::from(config.poll_interval_secs));
        let known = self.store.latest(&self.device.id);
        let mut state = known.as_ref().map(|l| l.status.state);
        let (latest, oper): (Vec<_>, HashMap<u32, IfStatus>) = known
            .map(|l| {
                let oper = l.interfaces.values().map(|i| (i.info.if_index, i.info.oper_status)).collect();
                (l.interfaces.into_values().filter_map(|i| i.latest).collect(), oper)
            })
            .unwrap_or_default();
        let mut memory = PollMemory::seeded(latest, oper, interval.as_millis() as i64 * SEED_MAX_INTERVALS);
        let mut session: Option<Session> = None;
        let mut ticker = tokio::time::interval_at(on_grid(Instant::now() + self.first_delay), interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                scheduled = ticker.tick() => {
                    if scheduled.elapsed() > interval / 10 {
                        self.stats.late();
                    }
                }
                _ = self.poke.notified() => {}
            }
            let started = std::time::Instant::now();
            let result = tokio::select! {
                _ = self.cancel.cancelled() => return,
                result = poll(&self.device, &mut session, &mut memory) => result,
            };
            match result {
                Ok(rated) => self.answered(rated, &mut state),
                Err(error) => {
                    session = None; // resolve the host again next time
                    self.failed(error, started.elapsed(), &mut state);
                }
            }
        }
    }

    fn answered(&self, rated: Rated, state: &mut Option<DeviceState>) {
        let c = &self.device.config;
        let id = Some(&self.device.id);
        self.stats.polled(rated.record.interfaces.len(), rated.dropped);
        if *state != Some(DeviceState::Up) {
            log::info!("Device {} ({}:{}) is up.", c.name, c.host, c.port);
            self.sink.event(id, 5, format!("{} is up", c.name), Vec::new());
            *state = Some(DeviceState::Up);
        }
        if rated.rebooted {
            log::info!("Device {} ({}) rebooted: its sysUpTime went backwards.", c.name, c.host);
            self.sink.event(id, 4, format!("{} rebooted (sysUpTime went backwards)", c.name), Vec::new());
        }
        if rated.dropped > 0 {
            log::info!("Device {}: {} rate(s) above interface speed dropped.", c.name, rated.dropped);
            let message = format!(
                "{}: {} counter sample(s) dropped as implausible (above the interface speed)",
                c.name, rated.dropped
            );
            self.sink.event(id, 4, message, Vec::new());
        }
        for (if_index, before, now) in &rated.oper_changes {
            let name =
                self.store.interface_name(&self.device.id, *if_index).unwrap_or_else(|| format!("ifIndex {if_index}"));
            let severity = if *now == IfStatus::Up { 5 } else { 4 };
            let fields = vec![
                LogField { name: "ifIndex".into(), value: if_index.to_string() },
                LogField { name: "ifName".into(), value: name.clone() },
            ];
            let message = format!("{}: interface {name} went {} (was {})", c.name, now.as_str(), before.as_str());
            self.sink.event(id, severity, message, fields);
        }
        if let Err(e) = self.store.record_poll(&self.device.id, rated.record) {
            log::error!("Device {}: cannot store its poll: {e}", c.name);
        }
    }

    fn failed(&self, error: SnmpError, took: Duration, state: &mut Option<DeviceState>) {
        let c = &self.device.config;
        self.stats.failed();
        if *state != Some(DeviceState::Down) {
            log::warn!("Device {} ({}:{}) is down: {error}", c.name, c.host, c.port);
            self.sink.event(Some(&self.device.id), 3, format!("{} is down: {error}", c.name), Vec::new());
            *state = Some(DeviceState::Down);
        }
        let at = now_ms().div_euclid(1000);
        if let Err(e) = self.store.record_failure(&self.device.id, at, took.as_millis() as u64, error.to_string()) {
            log::error!("Device {}: cannot store its status: {e}", c.name);
        }
    }
}

async fn poll(device: &Device, session: &mut Option<Session>, memory: &mut PollMemory) -> Result<Rated, SnmpError> {
    let c = &device.config;
    if session.is_none() {
        *session = Some(Session::open(&c.host, c.port, &c.credentials, u64::from(c.timeout_ms), c.retries).await?);
    }
    let session = session.as_mut().expect("opened above");
    let plan = memory.plan(now_ms());
    let outcome = poll_once(session, &plan).await?;
    let mut rated = memory.rate(outcome);
    rated.record.agent_addr = Some(session.target().ip());
    Ok(rated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_land_on_one_shared_grid_just_after_the_asked_time() {
        let base = Instant::now();
        let points: Vec<Instant> =
            [0, 1, 99, 100, 101, 250, 60_000].iter().map(|&ms| on_grid(base + Duration::from_millis(ms))).collect();
        for (point, ms) in points.iter().zip([0u64, 1, 99, 100, 101, 250, 60_000]) {
            let asked = base + Duration::from_millis(ms);
            assert!(*point >= asked && *point < asked + SCHEDULE_GRID, "{ms} ms");
        }
        let step = |a: Instant, b: Instant| (b - a).as_nanos() % SCHEDULE_GRID.as_nanos();
        assert!(points.windows(2).all(|w| step(w[0], w[1]) == 0), "all on the same grid");
    }
}
