//! Alerting: rules, the incidents they open, maintenance windows, and the notifications handed
//! to [`crate::notify`]. [`Alerts::run`] subscribes to the store's event bus (the one the event
//! stream reads: status changes, samples, log entries) and ticks the [`engine`] on a clock;
//! when it falls behind the bus it loses its own events, counted, and never slows polling (the
//! state rules are looked at again on every tick from what the store holds). Rules are indexed
//! by kind, so an event costs only the rules that can use it. Open and recent incidents are
//! written to the store after each tick that changed them, and read back at start.

pub mod conditions;
pub mod engine;
pub mod incident;
pub mod maintenance;
pub mod rule;
mod watch;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use regex::Regex;

use crate::device::{DeviceId, InvalidField};
use crate::logs::Sink;
use crate::notify::{ChannelId, Notifier};
use crate::store::alerts_file::{AlertFiles, IncidentsRecord};
use crate::store::{now_secs, Store, StoreError};
use engine::{Engine, Facts};
use incident::{Incident, IncidentState};
use maintenance::{Window, WindowId, MAX_WINDOWS};
use rule::{Rule, RuleId, MAX_RULES};

/// How often time is let pass: durations (`forSecs`, `recoverySecs`, reminders) are met to
/// within it, and device states are looked at again.
pub const TICK: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("no alert rule with id {id}")]
    RuleNotFound { id: String },
    #[error("no maintenance window with id {id}")]
    WindowNotFound { id: String },
    #[error("no incident with id {id}")]
    IncidentNotFound { id: String },
    #[error("there are already {limit} alert rules; remove one first")]
    TooManyRules { limit: usize },
    #[error("there are already {limit} maintenance windows; remove one first")]
    TooManyWindows { limit: usize },
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which incidents a listing wants; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct IncidentFilter {
    pub state: Option<IncidentState>,
    pub device_id: Option<DeviceId>,
    pub rule_id: Option<RuleId>,
    /// Opened at or after, Unix seconds.
    pub from: Option<i64>,
    /// Opened before.
    pub to: Option<i64>,
    pub limit: usize,
}

/// What `/status` shows of alerting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertStats {
    pub rules: usize,
    pub windows: usize,
    pub open_incidents: usize,
    pub tracked_conditions: usize,
    /// Bus events alerting missed because it fell behind (since start).
    pub events_lost: u64,
    /// Conditions not tracked because too many were (since start).
    pub conditions_refused: u64,
}

/// Rules by id, and by kind for the events.
#[derive(Default)]
struct RuleIndex {
    by_id: HashMap<RuleId, Rule>,
    by_kind: HashMap<&'static str, Vec<RuleId>>,
    patterns: HashMap<RuleId, Regex>,
}

impl RuleIndex {
    fn build(rules: Vec<Rule>) -> RuleIndex {
        let mut index = RuleIndex::default();
        for rule in rules {
            if let rule::RuleKind::LogMatch { pattern: Some(p), .. } = &rule.kind {
                match rule::compile(p) {
                    Ok(regex) => {
                        index.patterns.insert(rule.id.clone(), regex);
                    }
                    Err(e) => log::warn!("Alert rule {} has a pattern that does not compile ({e}).", rule.name),
                }
            }
            index.by_kind.entry(rule.kind.name()).or_default().push(rule.id.clone());
            index.by_id.insert(rule.id.clone(), rule);
        }
        index
    }

    /// Whether any rule is of one of `kinds` (checked before a device is read at all).
    fn has_kind(&self, kinds: &[&str]) -> bool {
        kinds.iter().any(|k| self.by_kind.get(k).is_some_and(|ids| !ids.is_empty()))
    }

    fn of_kind(&self, kinds: &[&str]) -> Vec<&Rule> {
        kinds
            .iter()
            .flat_map(|k| self.by_kind.get(k).into_iter().flatten())
            .filter_map(|id| self.by_id.get(id))
            .collect()
    }

    fn sorted(&self) -> Vec<Rule> {
        let mut rules: Vec<Rule> = self.by_id.values().cloned().collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    }
}

/// The engine's view of maintenance and device dependencies.
struct World<'a> {
    windows: &'a BTreeMap<WindowId, Window>,
    store: &'a Store,
}

impl Facts for World<'_> {
    fn in_maintenance(&self, device: &DeviceId, now: i64) -> bool {
        let tags = device_tags(self.store, device);
        self.windows.values().any(|w| w.covers(device, &tags, now))
    }

    /// The parent the device's state says it is behind ("behind <parent>"), by name.
    fn unreachable_parent(&self, device: &DeviceId) -> Option<String> {
        let parent = self.store.with_device(device, |_, live| live.status.behind_parent_id.clone())??;
        Some(self.store.with_device(&parent, |p, _| p.config.name.clone()).unwrap_or(parent.0))
    }
}

/// A device's tags (none for a device that is gone).
fn device_tags(store: &Store, device: &DeviceId) -> Vec<String> {
    store.with_device(device, |d, _| d.config.tags.clone()).unwrap_or_default()
}

pub struct Alerts {
    store: Arc<Store>,
    notifier: Arc<Notifier>,
    sink: Arc<Sink>,
    files: AlertFiles,
    rules: RwLock<RuleIndex>,
    windows: RwLock<BTreeMap<WindowId, Window>>,
    engine: Mutex<Engine>,
    /// Serialises the writers of the rules and windows files.
    writer: Mutex<()>,
    /// Incidents changed since they were last written.
    dirty: AtomicBool,
    /// Each device's last uptime, for `reboot` rules.
    uptimes: Mutex<HashMap<DeviceId, u32>>,
    events_lost: AtomicU64,
    tick: Duration,
    /// Woken when a rule is added, changed or removed, so that the alerting task looks again
    /// at whether to follow the bus (only while a rule exists) and the clock.
    rules_changed: tokio::sync::Notify,
    /// The bus from the moment rules were last changed, while any exists: the alerting task
    /// follows it if it was not following the bus already.
    subscription: Mutex<Option<tokio::sync::broadcast::Receiver<crate::store::StoreEvent>>>,
}

impl Alerts {
    /// Loads rules, windows and incidents from `data_dir` (blocking). `tick` is how often time is
    /// let pass (durations are checked to within it).
    pub fn open(
        data_dir: &std::path::Path,
        store: Arc<Store>,
        notifier: Arc<Notifier>,
        sink: Arc<Sink>,
        tick: Duration,
    ) -> Result<Alerts, StoreError> {
        let files = AlertFiles::new(data_dir);
        let rules = RuleIndex::build(files.load_rules()?);
        let windows = files.load_windows()?.into_iter().map(|w| (w.id.clone(), w)).collect();
        let IncidentsRecord { open, recent } = files.load_incidents()?;
        if !open.is_empty() {
            log::info!(
                "{} incidents were open at the last stop; they stay open until their conditions clear.",
                open.len()
            );
        }
        let engine = Engine::restore(open, recent, &rules.by_id, now_secs());
        Ok(Alerts {
            store,
            notifier,
            sink,
            files,
            rules: RwLock::new(rules),
            windows: RwLock::new(windows),
            engine: Mutex::new(engine),
            writer: Mutex::new(()),
            dirty: AtomicBool::new(false),
            uptimes: Mutex::new(HashMap::new()),
            events_lost: AtomicU64::new(0),
            tick,
            rules_changed: tokio::sync::Notify::new(),
            subscription: Mutex::new(None),
        })
    }

    pub fn stats(&self) -> AlertStats {
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        AlertStats {
            rules: self.rules.read().unwrap_or_else(|e| e.into_inner()).by_id.len(),
            windows: self.windows.read().unwrap_or_else(|e| e.into_inner()).len(),
            open_incidents: engine.open_incidents().count(),
            tracked_conditions: engine.subject_count(),
            events_lost: self.events_lost.load(Ordering::Relaxed),
            conditions_refused: engine.refused_subjects,
        }
    }

    // ---- rules ----

    /// Every rule, ordered by id.
    pub fn rules(&self) -> Vec<Rule> {
        self.rules.read().unwrap_or_else(|e| e.into_inner()).sorted()
    }

    pub fn rule(&self, id: &str) -> Result<Rule, AlertError> {
        let index = self.rules.read().unwrap_or_else(|e| e.into_inner());
        RuleId::parse(id).and_then(|id| index.by_id.get(&id).cloned()).ok_or_else(|| rule_not_found(id))
    }

    /// Adds a rule (blocking: writes the rules file).
    pub fn create_rule(&self, mut rule: Rule) -> Result<Rule, AlertError> {
        rule.id = RuleId::random();
        rule.created_at = now_secs();
        self.change_rules(|rules| {
            if rules.len() >= MAX_RULES {
                return Err(AlertError::TooManyRules { limit: MAX_RULES });
            }
            rules.push(rule.clone());
            Ok(rule)
        })
    }

    /// Changes a rule with `edit` (blocking).
    pub fn update_rule(
        &self,
        id: &str,
        edit: impl FnOnce(&mut Rule) -> Result<(), InvalidField>,
    ) -> Result<Rule, AlertError> {
        self.change_rules(|rules| {
            let rule = rules.iter_mut().find(|r| r.id.0 == id).ok_or_else(|| rule_not_found(id))?;
            edit(rule)?;
            Ok(rule.clone())
        })
    }

    /// Removes a rule; its open incidents resolve at the next tick, unannounced (blocking).
    pub fn remove_rule(&self, id: &str) -> Result<Rule, AlertError> {
        self.change_rules(|rules| {
            let at = rules.iter().position(|r| r.id.0 == id).ok_or_else(|| rule_not_found(id))?;
            Ok(rules.remove(at))
        })
    }

    fn change_rules(
        &self,
        change: impl FnOnce(&mut Vec<Rule>) -> Result<Rule, AlertError>,
    ) -> Result<Rule, AlertError> {
        let _writing = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut rules = self.rules();
        let changed = change(&mut rules)?;
        if rules.iter().any(|r| r.id == changed.id) {
            changed.validate()?;
            self.check_channels(&changed.channel_ids)?;
        }
        self.files.save_rules(&rules)?;
        let listen = !rules.is_empty();
        *self.rules.write().unwrap_or_else(|e| e.into_inner()) = RuleIndex::build(rules);
        *self.subscription.lock().unwrap_or_else(|e| e.into_inner()) = listen.then(|| self.store.subscribe());
        self.rules_changed.notify_one();
        Ok(changed)
    }

    fn check_channels(&self, ids: &[ChannelId]) -> Result<(), InvalidField> {
        match ids.iter().find(|id| self.notifier.channel(id).is_none()) {
            Some(id) => Err(InvalidField { field: "channelIds", reason: format!("no alert channel with id {id}") }),
            None => Ok(()),
        }
    }

    // ---- maintenance windows ----

    pub fn windows(&self) -> Vec<Window> {
        self.windows.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub fn window(&self, id: &str) -> Result<Window, AlertError> {
        let windows = self.windows.read().unwrap_or_else(|e| e.into_inner());
        WindowId::parse(id).and_then(|id| windows.get(&id).cloned()).ok_or_else(|| window_not_found(id))
    }

    pub fn create_window(&self, mut window: Window) -> Result<Window, AlertError> {
        window.id = WindowId::random();
        window.created_at = now_secs();
        self.change_windows(|windows| {
            if windows.len() >= MAX_WINDOWS {
                return Err(AlertError::TooManyWindows { limit: MAX_WINDOWS });
            }
            windows.insert(window.id.clone(), window.clone());
            Ok(window)
        })
    }

    pub fn update_window(
        &self,
        id: &str,
        edit: impl FnOnce(&mut Window) -> Result<(), InvalidField>,
    ) -> Result<Window, AlertError> {
        self.change_windows(|windows| {
            let window = WindowId::parse(id).and_then(|id| windows.get_mut(&id)).ok_or_else(|| window_not_found(id))?;
            edit(window)?;
            Ok(window.clone())
        })
    }

    pub fn remove_window(&self, id: &str) -> Result<Window, AlertError> {
        self.change_windows(|windows| {
            WindowId::parse(id).and_then(|id| windows.remove(&id)).ok_or_else(|| window_not_found(id))
        })
    }

    fn change_windows(
        &self,
        change: impl FnOnce(&mut BTreeMap<WindowId, Window>) -> Result<Window, AlertError>,
    ) -> Result<Window, AlertError> {
        let _writing = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut windows = self.windows.read().unwrap_or_else(|e| e.into_inner()).clone();
        let changed = change(&mut windows)?;
        if windows.contains_key(&changed.id) {
            changed.validate()?;
        }
        self.files.save_windows(&windows.values().cloned().collect::<Vec<_>>())?;
        *self.windows.write().unwrap_or_else(|e| e.into_inner()) = windows;
        Ok(changed)
    }

    // ---- incidents ----

    /// Open incidents first (newest first), then resolved ones (newest first), filtered.
    pub fn incidents(&self, filter: &IncidentFilter) -> Vec<Incident> {
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let mut open: Vec<&Incident> = engine.open_incidents().collect();
        open.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then_with(|| a.id.cmp(&b.id)));
        open.into_iter()
            .chain(engine.recent_incidents())
            .filter(|i| filter.state.is_none_or(|s| i.state == s))
            .filter(|i| filter.device_id.as_ref().is_none_or(|d| &i.device_id == d))
            .filter(|i| filter.rule_id.as_ref().is_none_or(|r| &i.rule_id == r))
            .filter(|i| filter.from.is_none_or(|from| i.opened_at >= from))
            .filter(|i| filter.to.is_none_or(|to| i.opened_at < to))
            .take(filter.limit)
            .cloned()
            .collect()
    }

    pub fn incident(&self, id: &str) -> Result<Incident, AlertError> {
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let found = engine.open_incidents().chain(engine.recent_incidents()).find(|i| i.id == id).cloned();
        found.ok_or_else(|| AlertError::IncidentNotFound { id: id.to_string() })
    }

    /// Acknowledges an incident for `who`: its reminders stop.
    pub fn acknowledge(&self, id: &str, who: &str) -> Result<Incident, AlertError> {
        let change = self.engine.lock().unwrap_or_else(|e| e.into_inner()).acknowledge(id, who, now_secs());
        let change = change.ok_or_else(|| AlertError::IncidentNotFound { id: id.to_string() })?;
        let incident = change.incident.clone();
        self.apply(vec![change]);
        Ok(incident)
    }

    /// Writes the incidents if they changed since the last write (blocking).
    pub fn save_incidents(&self) -> Result<(), StoreError> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let record = {
            let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
            IncidentsRecord {
                open: engine.open_incidents().cloned().collect(),
                recent: engine.recent_incidents().cloned().collect(),
            }
        };
        let saved = self.files.save_incidents(&record);
        if saved.is_err() {
            self.dirty.store(true, Ordering::Release);
        }
        saved
    }
}

fn rule_not_found(id: impl std::fmt::Display) -> AlertError {
    AlertError::RuleNotFound { id: id.to_string() }
}

fn window_not_found(id: impl std::fmt::Display) -> AlertError {
    AlertError::WindowNotFound { id: id.to_string() }
}
