//! The alerting state machine, pure and clocked from outside: it is told, for one rule and one
//! subject (a device or one of its interfaces), whether the condition holds now, and answers the
//! incidents that opened, changed or resolved, each with the notification to send if any. `for`
//! before opening, a recovery delay before resolving (hysteresis), flapping held as one incident,
//! reminders until acknowledged, maintenance and parent suppression. Bounded: at most
//! [`MAX_SUBJECTS`] subjects are tracked (more are refused and counted) and [`MAX_RECENT`]
//! resolved incidents are kept. Knows nothing of the bus, the store or HTTP.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::incident::{new_incident_id, Incident, IncidentState};
use super::rule::{Rule, RuleId};
use crate::device::DeviceId;
use crate::notify::NotifyEvent;

/// Conditions tracked at once, at most.
pub const MAX_SUBJECTS: usize = 50_000;
/// Resolved incidents kept, newest first.
pub const MAX_RECENT: usize = 1000;

/// What a condition is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub rule: RuleId,
    pub device: DeviceId,
    pub if_index: Option<u32>,
}

/// One look at a condition.
pub struct Observation {
    pub subject: Subject,
    pub device_name: String,
    pub holding: bool,
    /// One line for humans, kept on the incident.
    pub summary: String,
}

/// What the engine asks of the world when it opens or reminds.
pub trait Facts {
    /// Whether a maintenance window covers the device now.
    fn in_maintenance(&self, device: &DeviceId, now: i64) -> bool;
    /// The name of an unreachable parent the device is behind, if any.
    fn unreachable_parent(&self, device: &DeviceId) -> Option<String>;
}

/// An incident that opened, changed or resolved, and the notification it calls for.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub what: ChangeKind,
    pub incident: Incident,
    pub notify: Option<NotifyEvent>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Opened,
    /// Flapping, maintenance, summary or a reminder.
    Updated,
    Acknowledged,
    Resolved,
}

struct Tracker {
    holding: bool,
    /// When `holding` last changed (or the last moment, for moment kinds).
    since: i64,
    /// When the condition changed, within the flapping window; at most `flapChanges + 1`.
    changes: VecDeque<i64>,
    incident: Option<String>,
    device_name: String,
    summary: String,
}

#[derive(Default)]
pub struct Engine {
    trackers: HashMap<Subject, Tracker>,
    open: BTreeMap<String, Incident>,
    recent: VecDeque<Incident>,
    /// Subjects refused because [`MAX_SUBJECTS`] were tracked.
    pub refused_subjects: u64,
}

impl Engine {
    /// Starts from the incidents open at the last stop: state conditions are taken as holding
    /// until told otherwise, moments as past.
    pub fn restore(open: Vec<Incident>, recent: Vec<Incident>, rules: &HashMap<RuleId, Rule>, now: i64) -> Engine {
        let mut engine = Engine { recent: recent.into_iter().take(MAX_RECENT).collect(), ..Engine::default() };
        for incident in open {
            let pulse = rules.get(&incident.rule_id).is_some_and(|r| r.kind.is_pulse());
            let subject = Subject {
                rule: incident.rule_id.clone(),
                device: incident.device_id.clone(),
                if_index: incident.if_index,
            };
            engine.trackers.insert(
                subject,
                Tracker {
                    holding: !pulse,
                    since: now,
                    changes: VecDeque::new(),
                    incident: Some(incident.id.clone()),
                    device_name: incident.device_name.clone(),
                    summary: incident.summary.clone(),
                },
            );
            engine.open.insert(incident.id.clone(), incident);
        }
        engine
    }

    /// Open incidents, by id.
    pub fn open_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.open.values()
    }

    /// Resolved incidents, newest first.
    pub fn recent_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.recent.iter()
    }

    pub fn subject_count(&self) -> usize {
        self.trackers.len()
    }

    /// Takes one look at a condition; answers what it changed.
    pub fn observe(&mut self, rule: &Rule, seen: Observation, now: i64, facts: &dyn Facts) -> Vec<Change> {
        if !self.trackers.contains_key(&seen.subject) {
            if !seen.holding {
                return Vec::new();
            }
            if self.trackers.len() >= MAX_SUBJECTS {
                self.refused_subjects += 1;
                return Vec::new();
            }
            let tracker = Tracker {
                holding: false,
                since: now,
                changes: VecDeque::new(),
                incident: None,
                device_name: String::new(),
                summary: String::new(),
            };
            self.trackers.insert(seen.subject.clone(), tracker);
        }
        let tracker = self.trackers.get_mut(&seen.subject).expect("tracker inserted above");
        tracker.device_name = seen.device_name;
        let pulse = rule.kind.is_pulse();
        if pulse {
            if seen.holding {
                tracker.since = now;
                tracker.summary = seen.summary;
            }
        } else if seen.holding != tracker.holding {
            tracker.holding = seen.holding;
            tracker.since = now;
            tracker.changes.push_back(now);
            if tracker.changes.len() > rule.settings.flap_changes as usize + 1 {
                tracker.changes.pop_front();
            }
            if seen.holding {
                tracker.summary = seen.summary;
            }
        } else if seen.holding {
            tracker.summary = seen.summary;
        }
        let moment = pulse && seen.holding;
        self.evaluate(rule, &seen.subject, moment, now, facts)
    }

    /// Lets time pass: opens what held long enough, resolves what was quiet long enough, sends
    /// reminders, and forgets what there is no more reason to track (a rule gone resolves its
    /// incidents, unannounced: its channels may be gone too).
    pub fn tick(&mut self, rules: &HashMap<RuleId, Rule>, now: i64, facts: &dyn Facts) -> Vec<Change> {
        let subjects: Vec<Subject> = self.trackers.keys().cloned().collect();
        let mut changes = Vec::new();
        for subject in subjects {
            match rules.get(&subject.rule) {
                Some(rule) => changes.extend(self.evaluate(rule, &subject, false, now, facts)),
                None => {
                    let tracker = self.trackers.remove(&subject).expect("listed above");
                    if let Some(id) = tracker.incident {
                        changes.extend(self.resolve(&id, now, false));
                    }
                }
            }
        }
        changes
    }

    /// Marks an incident acknowledged (open or recent): its reminders stop.
    pub fn acknowledge(&mut self, id: &str, who: &str, now: i64) -> Option<Change> {
        let incident = match self.open.get_mut(id) {
            Some(incident) => incident,
            None => self.recent.iter_mut().find(|i| i.id == id)?,
        };
        if !incident.acknowledged {
            incident.acknowledged = true;
            incident.acknowledged_by = Some(who.to_string());
            incident.acknowledged_at = Some(now);
        }
        Some(Change { what: ChangeKind::Acknowledged, incident: incident.clone(), notify: None })
    }

    fn evaluate(&mut self, rule: &Rule, subject: &Subject, moment: bool, now: i64, facts: &dyn Facts) -> Vec<Change> {
        let s = rule.settings;
        let Some(tracker) = self.trackers.get_mut(subject) else { return Vec::new() };
        let window_start = now - i64::from(s.flap_window_mins) * 60;
        while tracker.changes.front().is_some_and(|&at| at < window_start) {
            tracker.changes.pop_front();
        }
        let flapping = !rule.kind.is_pulse() && tracker.changes.len() > s.flap_changes as usize;
        let Some(id) = tracker.incident.clone() else {
            let held = tracker.holding && now - tracker.since >= i64::from(s.for_secs);
            if s.enabled && (moment || held || flapping) {
                let change = self.open_incident(rule, subject, flapping, now, facts);
                return vec![change];
            }
            if !tracker.holding && tracker.changes.is_empty() {
                self.trackers.remove(subject);
            }
            return Vec::new();
        };
        let quiet = !tracker.holding && now - tracker.since >= i64::from(s.recovery_secs) && !flapping;
        if quiet || !s.enabled {
            if tracker.changes.is_empty() {
                self.trackers.remove(subject);
            } else {
                tracker.incident = None;
            }
            return self.resolve(&id, now, true);
        }
        let summary = tracker.summary.clone();
        let incident = self.open.get_mut(&id).expect("a tracked incident is open");
        let mut changed = false;
        if flapping && !incident.flapping {
            incident.flapping = true;
            changed = true;
        }
        if incident.summary != summary {
            incident.summary = summary;
            changed = true;
        }
        let maintenance = facts.in_maintenance(&incident.device_id, now);
        if maintenance && !incident.in_maintenance {
            incident.in_maintenance = true;
            changed = true;
        }
        let remind_every = i64::from(s.reminder_mins) * 60;
        let due = incident.last_notified_at.is_some_and(|at| now - at >= remind_every);
        let mut notify = None;
        if remind_every > 0 && due && incident.notified && !incident.acknowledged && !maintenance {
            incident.last_notified_at = Some(now);
            notify = Some(NotifyEvent::Reminder);
            changed = true;
        }
        if changed {
            vec![Change { what: ChangeKind::Updated, incident: incident.clone(), notify }]
        } else {
            Vec::new()
        }
    }

    fn open_incident(&mut self, rule: &Rule, subject: &Subject, flapping: bool, now: i64, facts: &dyn Facts) -> Change {
        let tracker = self.trackers.get_mut(subject).expect("evaluated above");
        let in_maintenance = facts.in_maintenance(&subject.device, now);
        let suppressed_by = facts.unreachable_parent(&subject.device).map(|parent| format!("behind {parent}"));
        let notified = !in_maintenance && suppressed_by.is_none();
        let incident = Incident {
            id: new_incident_id(),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            kind: rule.kind.name().to_string(),
            device_id: subject.device.clone(),
            device_name: tracker.device_name.clone(),
            if_index: subject.if_index,
            state: IncidentState::Open,
            opened_at: now,
            resolved_at: None,
            flapping,
            acknowledged: false,
            acknowledged_by: None,
            acknowledged_at: None,
            in_maintenance,
            suppressed_by,
            summary: tracker.summary.clone(),
            last_notified_at: notified.then_some(now),
            notified,
        };
        tracker.incident = Some(incident.id.clone());
        self.open.insert(incident.id.clone(), incident.clone());
        Change { what: ChangeKind::Opened, incident, notify: notified.then_some(NotifyEvent::Open) }
    }

    /// Resolves an open incident; "resolved" goes out only where "open" did, and `announce`.
    fn resolve(&mut self, id: &str, now: i64, announce: bool) -> Vec<Change> {
        let Some(mut incident) = self.open.remove(id) else { return Vec::new() };
        incident.state = IncidentState::Resolved;
        incident.resolved_at = Some(now);
        let notify = (announce && incident.notified).then_some(NotifyEvent::Resolved);
        self.recent.push_front(incident.clone());
        self.recent.truncate(MAX_RECENT);
        vec![Change { what: ChangeKind::Resolved, incident, notify }]
    }
}

#[cfg(test)]
mod tests;
