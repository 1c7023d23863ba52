//! The engine on an injected clock: every `now` below is a number of seconds the test chooses.

use std::cell::RefCell;
use std::collections::HashMap;

use super::*;
use crate::alerts::rule::{RuleKind, RuleSettings, Scope};

#[derive(Default)]
struct World {
    maintenance: RefCell<bool>,
    parent_down: RefCell<Option<String>>,
}

impl Facts for World {
    fn in_maintenance(&self, _: &DeviceId, _: i64) -> bool {
        *self.maintenance.borrow()
    }
    fn unreachable_parent(&self, _: &DeviceId) -> Option<String> {
        self.parent_down.borrow().clone()
    }
}

fn rule(kind: RuleKind, settings: RuleSettings) -> Rule {
    Rule {
        id: RuleId("0000000a".into()),
        name: "Core down".into(),
        created_at: 0,
        kind,
        scope: Scope::All,
        settings,
        channel_ids: vec![],
    }
}

fn timing(for_secs: u32, recovery_secs: u32) -> RuleSettings {
    RuleSettings { for_secs, recovery_secs, ..RuleSettings::default() }
}

fn seen(holding: bool) -> Observation {
    Observation {
        subject: Subject { rule: RuleId("0000000a".into()), device: DeviceId("000000d1".into()), if_index: None },
        device_name: "core-sw1".into(),
        holding,
        summary: "core-sw1 is down".into(),
    }
}

fn events(changes: &[Change]) -> Vec<Option<NotifyEvent>> {
    changes.iter().map(|c| c.notify).collect()
}

struct Run {
    engine: Engine,
    rule: Rule,
    rules: HashMap<RuleId, Rule>,
    world: World,
    sent: Vec<(i64, NotifyEvent)>,
}

impl Run {
    fn new(rule: Rule) -> Run {
        let rules = HashMap::from([(rule.id.clone(), rule.clone())]);
        Run { engine: Engine::default(), rule, rules, world: World::default(), sent: Vec::new() }
    }
    fn note(&mut self, now: i64, changes: Vec<Change>) -> Vec<Change> {
        self.sent.extend(changes.iter().filter_map(|c| c.notify.map(|n| (now, n))));
        changes
    }
    fn observe(&mut self, now: i64, holding: bool) -> Vec<Change> {
        let changes = self.engine.observe(&self.rule, seen(holding), now, &self.world);
        self.note(now, changes)
    }
    fn tick(&mut self, now: i64) -> Vec<Change> {
        let changes = self.engine.tick(&self.rules, now, &self.world);
        self.note(now, changes)
    }
}

#[test]
fn opens_only_after_for_and_resolves_only_after_recovery() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(60, 30)));
    assert!(run.observe(0, true).is_empty());
    assert!(run.tick(59).is_empty(), "not before forSecs");
    let opened = run.tick(60);
    assert_eq!(events(&opened), vec![Some(NotifyEvent::Open)]);
    assert_eq!(opened[0].incident.opened_at, 60);
    assert!(run.tick(61).is_empty(), "opens once");
    run.observe(100, false);
    assert!(run.tick(129).is_empty(), "not before the recovery delay");
    let resolved = run.tick(130);
    assert_eq!(events(&resolved), vec![Some(NotifyEvent::Resolved)]);
    assert_eq!(resolved[0].incident.state, IncidentState::Resolved);
    assert_eq!(resolved[0].incident.resolved_at, Some(130));
    assert_eq!(run.engine.open_incidents().count(), 0);
    assert_eq!(run.engine.recent_incidents().count(), 1);
    assert_eq!(run.engine.subject_count(), 1, "the change stays within the flapping window");
    run.tick(100 + 11 * 60);
    assert_eq!(run.engine.subject_count(), 0, "then the subject is forgotten");
}

#[test]
fn a_short_blip_opens_nothing_and_a_short_recovery_resolves_nothing() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(60, 30)));
    run.observe(0, true);
    run.observe(30, false);
    assert!(run.tick(200).is_empty());
    run.observe(300, true);
    run.tick(360);
    run.observe(400, false);
    run.observe(420, true);
    assert!(run.tick(500).is_empty(), "20 s of recovery is under 30");
    assert_eq!(run.sent, vec![(360, NotifyEvent::Open)]);
}

#[test]
fn flapping_is_one_incident_marked_flapping() {
    let settings = RuleSettings { flap_changes: 4, flap_window_mins: 10, ..timing(60, 60) };
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, settings));
    // Down 20 s, up 20 s, for 10 minutes: never down for 60 s in a row.
    let mut flagged = false;
    for i in 0..30 {
        let changes = run.observe(i * 20, i % 2 == 0);
        flagged |= changes.iter().any(|c| c.incident.flapping);
        run.tick(i * 20 + 10);
    }
    assert!(flagged);
    // The fifth change within 10 minutes (at 80 s) is flapping: one open, no storm.
    assert_eq!(run.sent, vec![(80, NotifyEvent::Open)], "one open, no storm");
    assert_eq!(run.engine.open_incidents().count(), 1);
    // Settles up: resolved once the window holds no more than 4 changes and 60 s are quiet.
    run.observe(600, false);
    for now in (610..2000).step_by(10) {
        run.tick(now);
    }
    assert_eq!(run.sent.len(), 2);
    assert_eq!(run.sent[1].1, NotifyEvent::Resolved);
    let resolved = run.engine.recent_incidents().next().unwrap();
    assert!(resolved.flapping);
}

#[test]
fn reminders_until_acknowledged() {
    let settings = RuleSettings { reminder_mins: 5, ..timing(0, 0) };
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, settings));
    let id = run.observe(0, true)[0].incident.id.clone();
    for now in (10..=900).step_by(10) {
        run.tick(now);
    }
    let reminders = |run: &Run| run.sent.iter().filter(|(_, e)| *e == NotifyEvent::Reminder).count();
    assert_eq!(reminders(&run), 3, "at 300, 600 and 900 s");
    let acked = run.engine.acknowledge(&id, "user alice", 905).unwrap();
    assert!(acked.incident.acknowledged);
    assert_eq!(acked.incident.acknowledged_by.as_deref(), Some("user alice"));
    for now in (910..=3000).step_by(10) {
        run.tick(now);
    }
    assert_eq!(reminders(&run), 3, "none after the ack");
}

#[test]
fn maintenance_marks_and_tells_nobody() {
    let settings = RuleSettings { reminder_mins: 1, ..timing(0, 0) };
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, settings));
    *run.world.maintenance.borrow_mut() = true;
    let opened = run.observe(0, true);
    assert!(opened[0].incident.in_maintenance);
    assert_eq!(events(&opened), vec![None]);
    run.tick(600);
    let resolved = run.observe(700, false);
    assert_eq!(events(&resolved), vec![None], "no resolved without an open");
    assert!(run.sent.is_empty());
}

#[test]
fn maintenance_starting_during_an_incident_stops_reminders_but_not_the_resolve() {
    let settings = RuleSettings { reminder_mins: 1, ..timing(0, 0) };
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, settings));
    run.observe(0, true);
    *run.world.maintenance.borrow_mut() = true;
    let marked = run.tick(10);
    assert!(marked[0].incident.in_maintenance);
    run.tick(300);
    run.observe(310, false);
    run.tick(310);
    assert_eq!(run.sent, vec![(0, NotifyEvent::Open), (310, NotifyEvent::Resolved)]);
}

#[test]
fn a_device_behind_an_unreachable_parent_is_not_announced() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(0, 0)));
    *run.world.parent_down.borrow_mut() = Some("core-sw1".into());
    let opened = run.observe(0, true);
    assert_eq!(opened[0].incident.suppressed_by.as_deref(), Some("behind core-sw1"));
    assert_eq!(events(&opened), vec![None]);
    run.observe(5, false);
    run.tick(5);
    assert!(run.sent.is_empty());
}

#[test]
fn moments_open_at_once_and_resolve_after_a_quiet_recovery() {
    let kind = RuleKind::LogMatch { max_severity: None, pattern: Some("LINK".into()) };
    let mut run = Run::new(rule(kind, timing(600, 120)));
    assert_eq!(events(&run.observe(0, true)), vec![Some(NotifyEvent::Open)], "forSecs does not apply to moments");
    assert!(run.observe(100, true).is_empty(), "a second match keeps the same incident");
    assert!(run.tick(219).is_empty());
    assert_eq!(events(&run.tick(220)), vec![Some(NotifyEvent::Resolved)]);
}

#[test]
fn a_rule_removed_resolves_its_incidents_silently() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(0, 0)));
    run.observe(0, true);
    run.rules.clear();
    let resolved = run.tick(10);
    assert_eq!(resolved[0].incident.state, IncidentState::Resolved);
    assert_eq!(events(&resolved), vec![None]);
    assert_eq!(run.engine.subject_count(), 0);
}

#[test]
fn open_incidents_survive_a_restart_and_resolve_when_the_condition_clears() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(0, 30)));
    run.observe(0, true);
    let open: Vec<Incident> = run.engine.open_incidents().cloned().collect();
    let mut engine = Engine::restore(open, vec![], &run.rules, 1000);
    assert!(engine.tick(&run.rules, 2000, &run.world).is_empty(), "still held");
    engine.observe(&run.rule, seen(false), 2000, &run.world);
    let resolved = engine.tick(&run.rules, 2030, &run.world);
    assert_eq!(events(&resolved), vec![Some(NotifyEvent::Resolved)]);
}

#[test]
fn subjects_are_bounded() {
    let mut run = Run::new(rule(RuleKind::DeviceUnreachable, timing(60, 0)));
    for i in 0..MAX_SUBJECTS as u32 + 5 {
        let mut look = seen(true);
        look.subject.if_index = Some(i);
        run.engine.observe(&run.rule, look, 0, &run.world);
    }
    assert_eq!(run.engine.subject_count(), MAX_SUBJECTS);
    assert_eq!(run.engine.refused_subjects, 5);
}

/// A `ping` rule fed echo rounds every 10 s, each 100 % lost (`lost`) or all answered in 1 ms.
fn ping_round(run: &mut Run, now: i64, lost: bool) -> Vec<Change> {
    let echo = crate::device::EchoStatus {
        at: now,
        sent: 3,
        received: if lost { 0 } else { 3 },
        rtt_min_ms: (!lost).then_some(1.0),
        rtt_avg_ms: (!lost).then_some(1.0),
        rtt_max_ms: (!lost).then_some(1.0),
        error: None,
    };
    let look = crate::alerts::conditions::ping(&run.rule, &DeviceId("000000d1".into()), "edge", &echo)
        .expect("a loss rule judges every round that sent echoes");
    let mut changes = run.engine.observe(&run.rule, look, now, &run.world);
    changes.extend(run.engine.tick(&run.rules, now, &run.world));
    run.note(now, changes)
}

fn ping_rule(for_secs: u32, recovery_secs: u32) -> Rule {
    rule(RuleKind::Ping { loss_percent: Some(50.0), rtt_avg_ms: None }, timing(for_secs, recovery_secs))
}

#[test]
fn a_ping_rule_fires_after_its_duration_and_recovers_with_hysteresis() {
    let mut run = Run::new(ping_rule(120, 60));
    for now in (0..120).step_by(10) {
        assert!(ping_round(&mut run, now, true).is_empty(), "not before forSecs ({now} s)");
    }
    let opened = ping_round(&mut run, 120, true);
    assert_eq!(events(&opened), vec![Some(NotifyEvent::Open)]);
    assert_eq!(opened[0].incident.kind, "ping");
    assert_eq!(opened[0].incident.summary, "edge: 100 % of echoes lost");
    // Answered again, but one lossy round 30 s later restarts the recovery delay.
    ping_round(&mut run, 200, false);
    ping_round(&mut run, 230, true);
    for now in (240..300).step_by(10) {
        assert!(ping_round(&mut run, now, false).is_empty(), "not before recoverySecs ({now} s)");
    }
    assert_eq!(events(&ping_round(&mut run, 300, false)), vec![Some(NotifyEvent::Resolved)]);
    assert_eq!(run.sent, vec![(120, NotifyEvent::Open), (300, NotifyEvent::Resolved)]);
}

#[test]
fn a_lossy_round_now_and_then_opens_nothing() {
    // One lossy round every 400 s: shorter than forSecs, and too rare to be flapping (4 changes
    // at most in any 10 minutes).
    let mut run = Run::new(ping_rule(60, 60));
    for now in (0..3600).step_by(10) {
        ping_round(&mut run, now, now % 400 == 0);
    }
    assert!(run.sent.is_empty());
    assert_eq!(run.engine.open_incidents().count(), 0);
}

#[test]
fn a_ping_incident_behind_an_unreachable_parent_is_suppressed() {
    let mut run = Run::new(ping_rule(30, 30));
    *run.world.parent_down.borrow_mut() = Some("core-sw1".into());
    for now in (0..=30).step_by(10) {
        ping_round(&mut run, now, true);
    }
    let incident = run.engine.open_incidents().next().expect("opened, marked").clone();
    assert_eq!(incident.suppressed_by.as_deref(), Some("behind core-sw1"));
    for now in (40..=100).step_by(10) {
        ping_round(&mut run, now, false);
    }
    assert_eq!(run.engine.open_incidents().count(), 0, "resolved");
    assert!(run.sent.is_empty(), "nobody told of either");
}

/// Prints what one look costs with 10,000 conditions tracked (a figure, not an assertion):
/// `cargo test -p vigie --lib alerts::engine::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_the_cost_of_a_look() {
    let mut run = Run::new(rule(RuleKind::Utilization { threshold_percent: 80.0 }, timing(120, 60)));
    let looks = 10_000u32;
    let started = std::time::Instant::now();
    for round in 0..10i64 {
        for i in 0..looks {
            let mut look = seen(i % 3 == 0);
            look.subject.if_index = Some(i);
            run.engine.observe(&run.rule, look, round * 10, &run.world);
        }
    }
    let per_look = started.elapsed() / (10 * looks);
    let started = std::time::Instant::now();
    run.tick(200);
    println!(
        "observe: {per_look:?} per look with {} conditions tracked; one tick over them: {:?}",
        run.engine.subject_count(),
        started.elapsed()
    );
}
