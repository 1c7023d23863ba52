//! The alerting task: reads the store's event bus, looks at the conditions each event tells of,
//! lets time pass on a tick, and carries out what the engine answers (the event stream, the
//! event log, notifications). Runs under the supervisor; a panic restarts it with the engine's
//! state intact (it lives in [`Alerts`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::conditions::{self, INCIDENT_FIELD};
use super::engine::{Change, ChangeKind, Observation};
use super::rule::Rule;
use super::{device_tags, Alerts, World};
use crate::device::{DeviceId, DeviceStatus, EchoStatus};
use crate::notify::Notification;
use crate::store::logs::{LogEntry, LogField, Severity};
use crate::store::{now_secs, StoreEvent};

const STATE_KINDS: [&str; 2] = ["device_unreachable", "device_snmp_down"];
const INTERFACE_KINDS: [&str; 3] = ["interface_down", "utilization", "error_rate"];

impl Alerts {
    /// Follows the bus and the clock until cancelled, then writes the incidents.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut events = self.store.subscribe();
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                event = events.recv() => match event {
                    Ok(event) => self.on_event(&event),
                    Err(RecvError::Lagged(missed)) => {
                        self.events_lost.fetch_add(missed, Ordering::Relaxed);
                        log::warn!("Alerting fell behind the event bus and missed {missed} events; state rules catch up on the next tick.");
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = ticker.tick() => self.on_tick().await,
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
            StoreEvent::Alert(_) => {}
        }
    }

    fn on_status(&self, device_id: &DeviceId, status: &DeviceStatus) {
        let Ok(snapshot) = self.store.device(&device_id.0) else { return };
        let looks = self.looks(&STATE_KINDS, device_id, |rule| {
            conditions::device_state(rule, device_id, &snapshot.device.config.name, &status.state).into_iter().collect()
        });
        self.observe(looks);
    }

    fn on_echo(&self, device_id: &DeviceId, echo: &EchoStatus) {
        let Ok(snapshot) = self.store.device(&device_id.0) else { return };
        let name = &snapshot.device.config.name;
        let looks = self
            .looks(&["ping"], device_id, |rule| conditions::ping(rule, device_id, name, echo).into_iter().collect());
        self.observe(looks);
    }

    fn on_sample(&self, device_id: &DeviceId) {
        let Ok(snapshot) = self.store.device(&device_id.0) else { return };
        let name = snapshot.device.config.name.clone();
        let mut looks = self
            .looks(&INTERFACE_KINDS, device_id, |rule| conditions::interfaces(rule, device_id, &name, &snapshot.live));
        if let Some(uptime) = conditions::uptime_ticks(&snapshot.live) {
            let before = self.uptimes.lock().unwrap_or_else(|e| e.into_inner()).insert(device_id.clone(), uptime);
            if before.is_some_and(|before| conditions::restarted(before, uptime)) {
                looks.extend(self.looks(&["reboot"], device_id, |rule| {
                    vec![moment(rule, device_id, &name, format!("{name} restarted"))]
                }));
            }
        }
        self.observe(looks);
    }

    fn on_log(&self, entry: &LogEntry) {
        let Some(device_id) = &entry.entry.device_id else { return };
        let looks = {
            let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
            let tags = device_tags(&self.store, device_id);
            index
                .of_kind(&["log_match"])
                .into_iter()
                .filter(|rule| rule.scope.covers(device_id, &tags))
                .filter(|rule| conditions::log_matches(rule, index.patterns.get(&rule.id), entry))
                .map(|rule| {
                    let name = self.store.device(&device_id.0).map(|d| d.device.config.name).unwrap_or_default();
                    let mut text = entry.entry.message.clone();
                    crate::store::logs::cut_at_char(&mut text, 200);
                    moment(rule, device_id, &name, format!("{name}: {text}"))
                })
                .map(|look| (look.subject.rule.clone(), look))
                .collect::<Vec<_>>()
        };
        self.observe(looks);
    }

    /// The looks of the rules of `kinds` whose scope covers the device.
    fn looks(
        &self,
        kinds: &[&str],
        device_id: &DeviceId,
        look: impl Fn(&Rule) -> Vec<Observation>,
    ) -> Vec<(super::rule::RuleId, Observation)> {
        let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
        let tags = device_tags(&self.store, device_id);
        index
            .of_kind(kinds)
            .into_iter()
            .filter(|rule| rule.scope.covers(device_id, &tags))
            .flat_map(|rule| look(rule).into_iter().map(|o| (rule.id.clone(), o)))
            .collect()
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
        let states = self
            .store
            .visit_devices(|device, live| (device.id.clone(), device.config.name.clone(), live.status.state.clone()));
        let mut looks = Vec::new();
        for (id, name, state) in &states {
            looks.extend(
                self.looks(&STATE_KINDS, id, |rule| {
                    conditions::device_state(rule, id, name, state).into_iter().collect()
                }),
            );
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
            uptimes.retain(|id, _| states.iter().any(|(known, _, _)| known == id));
        }
        self.write_incidents().await;
    }

    async fn write_incidents(self: &Arc<Self>) {
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
