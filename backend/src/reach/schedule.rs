//! When devices are pinged: each device gets one round ([`ProbePlan`]) every
//! `pingIntervalSecs`, its first round at a random point of its first interval so that a fleet
//! is spread over the interval. One supervised task on the pollers' runtime reads the device
//! list again when told it changed (the pollers' scheduler says so when a device is started or
//! stopped), sleeps until the next round is due (rounds due within [`TICK`] share one wake-up;
//! with no device, or ping off everywhere, it sleeps until a change), and starts the rounds
//! that are due, at most [`MAX_IN_FLIGHT`] at once and one per device: those to IP addresses as
//! one batch (one task, see [`Pinger`]), those to host names each in a task that resolves the
//! name first. A round never blocks polling (they share the runtime and the store writer,
//! nothing else) and its result is handed to the pollers' store writer thread
//! ([`StoreWriter`]), which writes it in the device's order with its polls, within the same byte
//! budget, and announces a change of state.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{EchoRound, IcmpMode, Pinger, ProbePlan, ReachStats};
use crate::device::{Device, DeviceId, EchoStatus};
use crate::poller::writer::{StoreWriter, Write};
use crate::shown::Shown;
use crate::store::{now_secs, Store};

/// Rounds running at once, across the fleet (each holds its echoes in the pinger's table, so that
/// table holds at most this many × echoes).
pub const MAX_IN_FLIGHT: usize = 512;
/// How long resolving a host name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Rounds due within this of each other start on one wake-up of the scheduler.
const TICK: Duration = Duration::from_secs(1);

/// The running scheduler: cancel it and await it at shutdown.
pub struct Reach {
    stats: Arc<ReachStats>,
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

#[derive(Clone)]
struct Context {
    store: Arc<Store>,
    writer: Arc<StoreWriter>,
    stats: Arc<ReachStats>,
    plan: ProbePlan,
    cancel: CancellationToken,
    /// Notified when a device was added, changed or removed.
    changes: Arc<Notify>,
}

impl Reach {
    /// Starts pinging on `runtime` (the pollers' runtime); rounds are recorded through `writer`
    /// (the pollers'); `changes` is notified whenever a device is added, changed or removed.
    pub fn start(
        store: Arc<Store>,
        writer: Arc<StoreWriter>,
        runtime: &tokio::runtime::Handle,
        plan: ProbePlan,
        changes: Arc<Notify>,
    ) -> Reach {
        let stats = Arc::new(ReachStats::default());
        let cancel = CancellationToken::new();
        let context = Context { store, writer, stats: stats.clone(), plan, cancel: cancel.clone(), changes };
        let handle = runtime.spawn(crate::supervisor::supervise(
            cancel.clone(),
            move || run(context.clone()),
            |message, backoff| async move {
                log::error!(
                    "The reachability scheduler failed ({message}); it starts again in {} s.",
                    backoff.as_secs()
                );
            },
        ));
        Reach { stats, cancel, handle }
    }

    pub fn stats(&self) -> Arc<ReachStats> {
        self.stats.clone()
    }

    /// Stops the scheduler and waits for it, at most `deadline`.
    pub async fn shutdown(self, deadline: Duration) {
        self.cancel.cancel();
        if tokio::time::timeout(deadline, self.handle).await.is_err() {
            log::warn!("The reachability scheduler did not stop within {deadline:?}.");
        }
    }
}

/// One device's place in the schedule.
struct Slot {
    interval_secs: u32,
    next: Instant,
}

async fn run(context: Context) {
    let pinger = Arc::new(Pinger::open());
    let v4 = pinger.mode("0.0.0.0".parse().expect("an address")).clone();
    let v6 = pinger.mode("::".parse().expect("an address")).clone();
    let unavailable = match (&v4, &v6) {
        (IcmpMode::Unavailable { reason }, IcmpMode::Unavailable { .. }) => Some(reason.clone()),
        _ => None,
    };
    context.store.set_icmp_unavailable(unavailable);
    context.stats.opened(v4, v6);
    let mut slots: HashMap<DeviceId, Slot> = HashMap::new();
    let mut cleared: HashSet<DeviceId> = HashSet::new();
    let mut rounds = Rounds::default();
    let mut devices = Vec::new();
    // The first pass reads the device list; later ones when told it changed.
    let mut changed = true;
    let mut wake: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if changed {
            devices = context.store.device_list();
            let present: HashSet<&DeviceId> = devices.iter().map(|d| &d.id).collect();
            slots.retain(|id, _| present.contains(id));
            cleared.retain(|id| present.contains(id));
        }
        if changed || wake.is_some_and(|at| at <= now) {
            start_due(&context, &pinger, &devices, (&mut slots, &mut cleared), &mut rounds);
            // The next wake-up: when the next round is due, but not sooner than a tick from now
            // (a round deferred for room is due already).
            wake = slots.values().map(|slot| slot.next).min().map(|next| next.max(now + TICK));
        }
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        changed = false;
        tokio::select! {
            _ = context.cancel.cancelled() => return,
            Some(done) = rounds.tasks.join_next_with_id() => rounds.ended(done),
            _ = context.changes.notified() => changed = true,
            _ = sleep => {}
        }
    }
}

/// The rounds in flight: one task per batch of rounds to IP addresses, one per round to a host
/// name (resolved first, so that a slow resolver holds up no batch).
#[derive(Default)]
struct Rounds {
    tasks: JoinSet<()>,
    /// The devices of each task, so that a task that panicked (a bug of ours) frees them too.
    devices: HashMap<tokio::task::Id, Vec<DeviceId>>,
    in_flight: HashSet<DeviceId>,
}

impl Rounds {
    fn spawn(&mut self, devices: Vec<DeviceId>, task: impl Future<Output = ()> + Send + 'static) {
        self.in_flight.extend(devices.iter().cloned());
        let handle = self.tasks.spawn(task);
        self.devices.insert(handle.id(), devices);
    }

    /// A task ended: its devices may be pinged again. A panic is that batch's loss, logged; the
    /// devices keep their places in the schedule.
    fn ended(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let (id, failure) = match done {
            Ok((id, _)) => (id, None),
            Err(e) => (e.id(), Some(e)),
        };
        let devices = self.devices.remove(&id).unwrap_or_default();
        if let Some(e) = failure {
            log::error!("Echo rounds to {} device(s) failed: {e}", devices.len());
        }
        for device in devices {
            self.in_flight.remove(&device);
        }
    }
}

/// Starts the rounds of `devices` that are due, and gives new devices their first slot.
fn start_due(
    context: &Context,
    pinger: &Arc<Pinger>,
    devices: &[Device],
    (slots, cleared): (&mut HashMap<DeviceId, Slot>, &mut HashSet<DeviceId>),
    rounds: &mut Rounds,
) {
    let now = Instant::now();
    // Only what a round needs (not the whole device: its credentials, tags...).
    let mut batch: Vec<(DeviceId, Arc<str>, IpAddr)> = Vec::new();
    for device in devices {
        let interval_secs = device.config.ping_interval_secs;
        if interval_secs == 0 {
            slots.remove(&device.id);
            if cleared.insert(device.id.clone()) {
                forget_echo(context, device.clone());
            }
            continue;
        }
        cleared.remove(&device.id);
        let slot = slots.entry(device.id.clone()).or_insert_with(|| first_slot(interval_secs, now));
        if slot.interval_secs != interval_secs {
            *slot = first_slot(interval_secs, now);
        }
        if slot.next > now {
            continue;
        }
        if rounds.in_flight.contains(&device.id) || rounds.in_flight.len() + batch.len() >= MAX_IN_FLIGHT {
            context.stats.deferred();
            continue;
        }
        let interval = Duration::from_secs(u64::from(interval_secs));
        slot.next = (slot.next + interval).max(now + interval / 2);
        match device.config.host.parse::<IpAddr>() {
            Ok(addr) => batch.push((device.id.clone(), Arc::from(device.config.name.as_str()), addr)),
            Err(_) => {
                let (context, pinger, device) = (context.clone(), pinger.clone(), device.clone());
                rounds.spawn(vec![device.id.clone()], async move { named_round(&context, &pinger, device).await });
            }
        }
    }
    if !batch.is_empty() {
        let (context, pinger) = (context.clone(), pinger.clone());
        let ids = batch.iter().map(|(id, ..)| id.clone()).collect();
        rounds.spawn(ids, async move { batch_rounds(&context, &pinger, batch).await });
    }
}

fn first_slot(interval_secs: u32, now: Instant) -> Slot {
    let spread_ms = u64::from(interval_secs) * 1000;
    Slot { interval_secs, next: now + Duration::from_millis(rand::random_range(0..spread_ms.max(1))) }
}

/// The rounds of a batch, to devices known by address, recorded in the store in turn.
async fn batch_rounds(context: &Context, pinger: &Pinger, batch: Vec<(DeviceId, Arc<str>, IpAddr)>) {
    let addrs: Vec<IpAddr> = batch.iter().map(|(.., addr)| *addr).collect();
    let echoes = pinger.probe_all(&addrs, &context.plan).await;
    for ((id, name, _), echo) in batch.into_iter().zip(echoes) {
        record(context, &id, &name, echo.map(|round| status(context, round))).await;
    }
}

/// One round to a device known by name, resolved first, recorded in the store.
async fn named_round(context: &Context, pinger: &Pinger, device: Device) {
    let c = &device.config;
    let addr = match tokio::time::timeout(RESOLVE_TIMEOUT, crate::snmp::resolve(&c.host, c.port)).await {
        Ok(Ok(addr)) => Some(addr.ip()),
        Ok(Err(e)) => {
            log::debug!("Device {}: cannot resolve its host for a ping: {e}", Shown(&c.name));
            None
        }
        Err(_) => None,
    };
    let echo = match addr {
        Some(addr) => pinger.probe(addr, &context.plan).await.map(|round| status(context, round)),
        None => {
            context.stats.resolve_failed();
            Some(EchoStatus {
                at: now_secs(),
                sent: 0,
                received: 0,
                rtt_min_ms: None,
                rtt_avg_ms: None,
                rtt_max_ms: None,
                error: Some(format!("cannot resolve {}", c.host)),
            })
        }
    };
    record(context, &device.id, &Arc::from(c.name.as_str()), echo).await;
}

/// A finished round, counted, as stored.
fn status(context: &Context, round: EchoRound) -> EchoStatus {
    context.stats.round(round.answered());
    EchoStatus {
        at: now_secs(),
        sent: round.sent,
        received: round.received,
        rtt_min_ms: round.rtt_min_ms,
        rtt_avg_ms: round.rtt_avg_ms,
        rtt_max_ms: round.rtt_max_ms,
        error: round.error,
    }
}

/// Hands the round to the store writer, which stores it, decides the state again and
/// announces a change; waits only when the writer's queue is full.
async fn record(context: &Context, id: &DeviceId, name: &Arc<str>, echo: Option<EchoStatus>) {
    context.writer.send(id, name, Write::Echo(echo)).await;
}

/// A device no longer pinged forgets its last round, so that its state no longer leans on it.
fn forget_echo(context: &Context, device: Device) {
    let context = context.clone();
    let name = Arc::from(device.config.name.as_str());
    tokio::spawn(async move { record(&context, &device.id, &name, None).await });
}
