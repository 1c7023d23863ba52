//! The alerting task: reads the store's event bus, looks at the conditions each event tells of,
//! lets time pass on a tick, and carries out what the engine answers (the event stream, the
//! event log, notifications). Runs under the supervisor; a panic restarts it with the engine's
//! state intact (it lives in [`Alerts`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio_util::sync::CancellationToken;

use super::conditions::{self, INCIDENT_FIELD};
use super::engine::{Change, ChangeKind, Observation};
use super::rule::Rule;
use super::{Alerts, World};
use crate::device::{Device, DeviceId, DeviceStatus, EchoStatus};
use crate::notify::Notification;
use crate::store::logs::{LogEntry, LogField, Severity};
use crate::store::{now_secs, DeviceLive, StoreEvent};

const STATE_KINDS: [&str; 2] = ["device_unreachable", "device_snmp_down"];
const INTERFACE_KINDS: [&str; 3] = ["interface_down", "utilization", "error_rate"];

impl Alerts {
    /// Follows the bus and the clock until cancelled, then writes the incidents. The bus is
    /// followed only while a rule exists (with none, no event can change anything, and every
    /// poll's sample would wake this task for nothing; with no listener the store does not
    /// even build the samples): adding a rule subscribes again, at once (nothing published
    /// after the rule exists is missed). The clock is followed only while
    /// time passing can change something (see [`Alerts::has_work`]): an idle Vigie without
    /// rules is not woken every tick.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut events: Option<Receiver<StoreEvent>> = None;
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let ticking = self.has_work();
            // The subscription taken when a rule was added, if any: from that moment on.
            let handed = self.subscription.lock().unwrap_or_else(|e| e.into_inner()).take();
            if !self.has_rules() {
                events = None;
            } else if events.is_none() {
                events = Some(handed.unwrap_or_else(|| self.store.subscribe()));
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                event = next_event(&mut events) => match event {
                    Ok(event) => self.on_event(&event),
                    Err(RecvError::Lagged(missed)) => {
                        self.events_lost.fetch_add(missed, Ordering::Relaxed);
                        log::warn!("Alerting fell behind the event bus and missed {missed} events; state rules catch up on the next tick.");
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = ticker.tick(), if ticking => self.on_tick().await,
                // Looks again at whether to follow the bus and the clock.
                _ = self.rules_changed.notified() => if !ticking {
                    ticker.reset_immediately();
                },
            }
        }
        self.write_incidents().await;
    }

    fn on_event(&self, event: &StoreEvent) {
        match event {
            StoreEvent::Status { device_id, status } => self.on_status(device_id, status),
            StoreEvent::Sample { device_id, .. } => self.on_sample(device_id),
            StoreEvent::Log(entry) => self.on_log(entry),
            StoreEvent::Echo { device_id, echo } => self.on_echo(device_id, echo),
            StoreEvent::Alert(_) | StoreEvent::Devices => {}
        }
    }

    fn on_status(&self, device_id: &DeviceId, status: &DeviceStatus) {
        let looks = self.looks(&STATE_KINDS, device_id, |rule, device, _| {
            conditions::device_state(rule, device_id, &device.config.name, &status.state).into_iter().collect()
        });
        self.observe(looks);
    }

    fn on_echo(&self, device_id: &DeviceId, echo: &EchoStatus) {
        let looks = self.looks(&["ping"], device_id, |rule, device, _| {
            conditions::ping(rule, device_id, &device.config.name, echo).into_iter().collect()
        });
        self.observe(looks);
    }

    /// A poll's samples: the interface rules, and the reboot rules by the agent's uptime (kept
    /// only while a reboot rule exists, so that one added later does not compare with a stale
    /// uptime).
    fn on_sample(&self, device_id: &DeviceId) {
        let mut looks = self.looks(&INTERFACE_KINDS, device_id, |rule, device, live| {
            conditions::interfaces(rule, device_id, &device.config.name, live)
        });
        let reboots = self.rules.read().unwrap_or_else(|e| e.into_inner()).has_kind(&["reboot"]);
        let mut uptimes = self.uptimes.lock().unwrap_or_else(|e| e.into_inner());
        if !reboots {
            uptimes.clear();
        } else if let Some(uptime) =
            self.store.with_device(device_id, |_, live| conditions::uptime_ticks(live)).flatten()
        {
            let before = uptimes.insert(device_id.clone(), uptime);
            drop(uptimes);
            if before.is_some_and(|before| conditions::restarted(before, uptime)) {
                looks.extend(self.looks(&["reboot"], device_id, |rule, device, _| {
                    let name = &device.config.name;
                    vec![moment(rule, device_id, name, format!("{name} restarted"))]
                }));
            }
        }
        self.observe(looks);
    }

    fn on_log(&self, entry: &LogEntry) {
        let Some(device_id) = &entry.entry.device_id else { return };
        let matching: Vec<_> = {
            let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
            index
                .of_kind(&["log_match"])
                .into_iter()
                .filter(|rule| conditions::log_matches(rule, index.patterns.get(&rule.id), entry))
                .map(|rule| rule.id.clone())
                .collect()
        };
        if matching.is_empty() {
            return;
        }
        let looks = self.looks(&["log_match"], device_id, |rule, device, _| {
            if !matching.contains(&rule.id) {
                return Vec::new();
            }
            let name = &device.config.name;
            let mut text = entry.entry.message.clone();
            crate::store::logs::cut_at_char(&mut text, 200);
            vec![moment(rule, device_id, name, format!("{name}: {text}"))]
        });
        self.observe(looks);
    }

    /// The looks of the rules of `kinds` whose scope covers the device, each given the device
    /// and its live view read in place. With no rule of these kinds (the usual case for most
    /// events), the device is not read at all: this runs on every poll.
    fn looks(
        &self,
        kinds: &[&str],
        device_id: &DeviceId,
        look: impl Fn(&Rule, &Device, &DeviceLive) -> Vec<Observation>,
    ) -> Vec<(super::rule::RuleId, Observation)> {
        let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
        if !index.has_kind(kinds) {
            return Vec::new();
        }
        let rules = index.of_kind(kinds);
        self.store
            .with_device(device_id, |device, live| {
                rules
                    .iter()
                    .filter(|rule| rule.scope.covers(device_id, &device.config.tags))
                    .flat_map(|rule| look(rule, device, live).into_iter().map(|o| (rule.id.clone(), o)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn observe(&self, looks: Vec<(super::rule::RuleId, Observation)>) {
        if looks.is_empty() {
            return;
        }
        let now = now_secs();
        let changes = {
            let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
            let windows = self.windows.read().unwrap_or_else(|e| e.into_inner());
            let world = World { windows: &windows, store: &self.store };
            let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
            let mut changes = Vec::new();
            for (rule_id, look) in looks {
                if let Some(rule) = index.by_id.get(&rule_id) {
                    changes.extend(engine.observe(rule, look, now, &world));
                }
            }
            changes
        };
        self.apply(changes);
    }

    /// Looks again at every device's state (events may have been missed, and a state that
    /// does not change sends none), lets time pass, and writes what changed.
    async fn on_tick(self: &Arc<Self>) {
        let watching_states = self.rules.read().unwrap_or_else(|e| e.into_inner()).has_kind(&STATE_KINDS);
        let ids = if watching_states { self.store.visit_devices(|device, _| device.id.clone()) } else { Vec::new() };
        let mut looks = Vec::new();
        for id in &ids {
            looks.extend(self.looks(&STATE_KINDS, id, |rule, device, live| {
                conditions::device_state(rule, id, &device.config.name, &live.status.state).into_iter().collect()
            }));
        }
        self.observe(looks);
        let changes = {
            let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
            let windows = self.windows.read().unwrap_or_else(|e| e.into_inner());
            let world = World { windows: &windows, store: &self.store };
            self.engine.lock().unwrap_or_else(|e| e.into_inner()).tick(&index.by_id, now_secs(), &world)
        };
        self.apply(changes);
        {
            let mut uptimes = self.uptimes.lock().unwrap_or_else(|e| e.into_inner());
            uptimes.retain(|id, _| self.store.with_device(id, |_, _| ()).is_some());
        }
        self.write_incidents().await;
    }

    /// Whether any rule exists: the bus is followed only then.
    fn has_rules(&self) -> bool {
        !self.rules.read().unwrap_or_else(|e| e.into_inner()).by_id.is_empty()
    }

    /// Whether a tick can change anything: a rule exists, the engine still tracks a condition
    /// (an incident of a removed rule resolves at the next tick), or incidents wait to be written.
    fn has_work(&self) -> bool {
        self.has_rules()
            || self.engine.lock().unwrap_or_else(|e| e.into_inner()).subject_count() > 0
            || self.dirty.load(Ordering::Acquire)
    }

    async fn write_incidents(self: &Arc<Self>) {
        if !self.dirty.load(Ordering::Acquire) {
            return;
        }
        // The engine's state is in memory; this only makes it survive a restart.
        let alerts = self.clone();
        match tokio::task::spawn_blocking(move || alerts.save_incidents()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                log::error!("Incidents could not be written ({e}); they are kept in memory and written again.")
            }
            Err(e) => log::error!("Writing the incidents failed: {e}"),
        }
    }

    /// Carries out what the engine answered: the event stream, the event log, notifications.
    pub(super) fn apply(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        self.dirty.store(true, Ordering::Release);
        for change in changes {
            let incident = &change.incident;
            self.store.publish_alert(incident.clone());
            let logged = match change.what {
                ChangeKind::Opened => Some((Severity::Warning, "opened")),
                ChangeKind::Resolved => Some((Severity::Notice, "resolved")),
                ChangeKind::Updated | ChangeKind::Acknowledged => None,
            };
            if let Some((severity, verb)) = logged {
                let message = format!("Incident {verb}: {} (rule {}).", incident.summary, incident.rule_name);
                log::info!("{}", crate::shown::Shown(&message));
                let field = LogField { name: INCIDENT_FIELD.into(), value: incident.id.clone() };
                self.sink.event(Some(&incident.device_id), severity, message, vec![field]);
            }
            let Some(event) = change.notify else { continue };
            let channels = {
                let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
                index.by_id.get(&incident.rule_id).map(|r| r.channel_ids.clone()).unwrap_or_default()
            };
            if channels.is_empty() {
                continue;
            }
            let detail = detail(incident);
            let summary = format!("[{}] {}", event.as_str(), incident.summary);
            self.notifier.send(&channels, Notification { event, incident: incident.to_json_map(), summary, detail });
        }
    }
}

/// The bus's next event; never ready while not subscribed.
async fn next_event(events: &mut Option<Receiver<StoreEvent>>) -> Result<StoreEvent, RecvError> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// A moment (a log entry, a restart) as a look at a condition.
fn moment(rule: &Rule, device_id: &DeviceId, name: &str, summary: String) -> Observation {
    Observation {
        subject: super::engine::Subject { rule: rule.id.clone(), device: device_id.clone(), if_index: None },
        device_name: name.to_string(),
        holding: true,
        summary,
    }
}

/// A few lines for humans about an incident.
fn detail(incident: &super::incident::Incident) -> String {
    let mut lines = vec![
        format!("Device: {} ({})", incident.device_name, incident.device_id),
        format!("Rule: {} ({})", incident.rule_name, incident.kind),
        format!("Opened at: {} (Unix seconds)", incident.opened_at),
    ];
    if let Some(if_index) = incident.if_index {
        lines.push(format!("Interface: ifIndex {if_index}"));
    }
    if let Some(at) = incident.resolved_at {
        lines.push(format!("Resolved at: {at} (Unix seconds)"));
    }
    if incident.flapping {
        lines.push("Flapping: the condition changed often; held as this one incident.".into());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{RuleId, RuleKind, RuleSettings, Scope};
    use crate::device::DeviceConfig;
    use crate::logs::Sink;
    use crate::notify::{Notifier, NotifySettings};
    use crate::store::logs::{LogSource, NewLogEntry};
    use crate::store::{Retention, Store};

    /// Lets the alerting task run until `done` holds (bounded: a test never waits for ever).
    async fn until(what: &str, done: impl Fn() -> bool) {
        for _ in 0..2_000 {
            if done() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("never: {what}");
    }

    #[tokio::test]
    async fn the_bus_is_followed_only_while_a_rule_exists_and_from_the_moment_it_is_added() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Retention::default()).unwrap());
        let device = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap();
        let notifier = Arc::new(Notifier::open(dir.path(), NotifySettings::default(), Sink::new()).unwrap());
        let tick = std::time::Duration::from_secs(3600);
        let alerts = Arc::new(Alerts::open(dir.path(), store.clone(), notifier, Sink::new(), tick).unwrap());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(alerts.clone().run(cancel.clone()));
        tokio::task::yield_now().await;
        // No rule: no listener, so not even the samples are built.
        assert_eq!(store.listeners(), 0);

        let rule = Rule {
            id: RuleId(String::new()),
            name: "Anything from r1".into(),
            created_at: 0,
            kind: RuleKind::LogMatch { max_severity: None, pattern: Some("fan".into()) },
            scope: Scope::All,
            settings: RuleSettings::default(),
            channel_ids: vec![],
        };
        let rule = alerts.create_rule(rule).unwrap();
        // A log entry at once, before the task has run again: it is not missed.
        let mut entry = NewLogEntry::new(now_secs() as f64, LogSource::Syslog, Severity::Error, "fan failed".into());
        entry.device_id = Some(device.id.clone());
        store.append_logs(vec![entry]).unwrap();
        until("the incident opens", || alerts.stats().open_incidents == 1).await;
        assert_eq!(store.listeners(), 1);

        alerts.remove_rule(&rule.id.0).unwrap();
        until("the bus is left", || store.listeners() == 0).await;
        cancel.cancel();
        task.await.unwrap();
    }
}
