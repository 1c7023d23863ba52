//! The life of one device's poller: wait for its turn, poll, record, repeat until cancelled.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::poll::{poll_once, PollMemory};
use super::scheduler::PollerStats;
use crate::device::{Device, DeviceState};
use crate::snmp::{Session, SnmpError};
use crate::store::{now_ms, Store};

/// Readings older than this many poll intervals are not used for a rate after a restart: the
/// rate would average over the whole outage.
const SEED_MAX_INTERVALS: i64 = 5;

pub(super) async fn run(
    device: Device,
    store: Arc<Store>,
    stats: Arc<PollerStats>,
    cancel: CancellationToken,
    first_delay: Duration,
) {
    let config = &device.config;
    let interval = Duration::from_secs(u64::from(config.poll_interval_secs));
    let latest =
        store.latest(&device.id).map(|l| l.interfaces.into_values().filter_map(|i| i.latest).collect::<Vec<_>>());
    let mut memory = PollMemory::seeded(latest.unwrap_or_default(), interval.as_millis() as i64 * SEED_MAX_INTERVALS);
    let mut state = store.latest(&device.id).map(|l| l.status.state);
    let mut session: Option<Session> = None;
    let mut ticker = tokio::time::interval_at(Instant::now() + first_delay, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        let scheduled = tokio::select! {
            _ = cancel.cancelled() => return,
            scheduled = ticker.tick() => scheduled,
        };
        if scheduled.elapsed() > interval / 10 {
            stats.late();
        }
        let started = std::time::Instant::now();
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            result = poll(&device, &mut session, &mut memory) => result,
        };
        match result {
            Ok(rated) => {
                stats.polled(rated.record.interfaces.len(), rated.dropped);
                if rated.rebooted {
                    log::info!("Device {} ({}) rebooted: its sysUpTime went backwards.", config.name, config.host);
                }
                if rated.dropped > 0 {
                    log::info!("Device {}: {} rate(s) above interface speed dropped.", config.name, rated.dropped);
                }
                if state != Some(DeviceState::Up) {
                    log::info!("Device {} ({}:{}) is up.", config.name, config.host, config.port);
                    state = Some(DeviceState::Up);
                }
                if let Err(e) = store.record_poll(&device.id, rated.record) {
                    log::error!("Device {}: cannot store its poll: {e}", config.name);
                }
            }
            Err(error) => {
                stats.failed();
                session = None; // resolve the host again next time
                if state != Some(DeviceState::Down) {
                    log::warn!("Device {} ({}:{}) is down: {error}", config.name, config.host, config.port);
                    state = Some(DeviceState::Down);
                }
                let duration_ms = started.elapsed().as_millis() as u64;
                if let Err(e) =
                    store.record_failure(&device.id, now_ms().div_euclid(1000), duration_ms, error.to_string())
                {
                    log::error!("Device {}: cannot store its status: {e}", config.name);
                }
            }
        }
    }
}

async fn poll(
    device: &Device,
    session: &mut Option<Session>,
    memory: &mut PollMemory,
) -> Result<super::poll::Rated, SnmpError> {
    let c = &device.config;
    if session.is_none() {
        *session = Some(Session::open(&c.host, c.port, &c.credentials, u64::from(c.timeout_ms), c.retries).await?);
    }
    let session = session.as_mut().expect("opened above");
    let outcome = poll_once(session, &memory.plan(now_ms())).await?;
    Ok(memory.rate(outcome))
}
