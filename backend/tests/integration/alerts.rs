//! Alerting end to end: the real binary, a real net-snmp agent stopped and started, a real
//! HTTP sink (the one the notification tests use) receiving signed webhooks and a real SMTP
//! server (aiosmtpd) receiving the emails. Durations are in
//! seconds in the API (`forSecs`, `recoverySecs`), so these tests use a few seconds where a
//! deployment would use minutes: the rules are the same.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::notify::sink::{HttpSink, SmtpSink};
use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

const WAIT: Duration = Duration::from_secs(30);
pub const SECRET: &str = "whsec-Alerts-1c9e";

pub fn webhook(vigie: &Vigie, sink: &HttpSink) -> String {
    let body = json!({"name": "NOC", "type": "webhook", "url": sink.url("/hook"), "secret": SECRET});
    let answer = vigie.post_json("/api/v1/alert-channels", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

pub fn rule(vigie: &Vigie, body: Value) -> String {
    let answer = vigie.post_json("/api/v1/alert-rules", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

/// A device polled every second and not pinged: when SNMP falls silent it is `unreachable`
/// (nothing shows the host alive), whatever loopback echoes would say.
fn add_device(vigie: &Vigie, name: &str, port: u16) -> String {
    let answer = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": name, "host": "127.0.0.1", "port": port,
                "snmp": {"version": "v2c", "community": "public"},
                "pollIntervalSecs": 1, "timeoutMs": 300, "retries": 0, "pingIntervalSecs": 0}),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

fn incidents(vigie: &Vigie, query: &str) -> Vec<Value> {
    let answer = vigie.get(&format!("/api/v1/alerts{query}"));
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body.as_array().unwrap().clone()
}

pub fn events(sink: &HttpSink) -> Vec<String> {
    sink.received().iter().map(|r| r.json()["event"].as_str().unwrap_or("?").to_string()).collect()
}

pub fn signed(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[test]
fn a_device_down_then_back_gives_exactly_one_open_and_one_resolved_webhook_and_email() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&dir.path().join("vigie"));
    let mut agent = Snmpd::start(&[Interface::new(1, "uplink")]);
    let sink = HttpSink::start(&[]);
    let smtp = SmtpSink::start(dir.path());
    let channel = webhook(&vigie, &sink);
    let mail = vigie.post_json(
        "/api/v1/alert-channels",
        &json!({"name": "NOC mail", "type": "email", "smtpHost": "127.0.0.1", "smtpPort": smtp.port, "tls": "none",
                "from": "vigie@example.net", "to": ["noc@example.net"]}),
    );
    assert_eq!(mail.status, 201, "{}", mail.text);
    let mail = mail.body["id"].as_str().unwrap().to_string();
    let device = add_device(&vigie, "core-sw1", agent.port());
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    let rule_id = rule(
        &vigie,
        json!({"name": "Core down", "kind": "device_unreachable", "forSecs": 2, "recoverySecs": 3,
               "scope": {"deviceIds": [device]}, "channelIds": [channel, mail]}),
    );

    agent.stop();
    let opened = sink.wait_for(1, WAIT).remove(0);
    assert_eq!(opened.header("x-vigie-signature"), Some(signed(SECRET, &opened.body).as_str()));
    let body = opened.json();
    assert_eq!(body["event"], "open");
    assert_eq!((body["ruleId"].as_str(), body["deviceId"].as_str()), (Some(rule_id.as_str()), Some(device.as_str())));
    assert_eq!((body["state"].as_str(), body["deviceName"].as_str()), (Some("open"), Some("core-sw1")));
    let open = incidents(&vigie, "?state=open");
    assert_eq!(open.len(), 1, "{open:?}");

    agent.restart();
    let both = sink.wait_for(2, WAIT);
    let resolved = both[1].json();
    assert_eq!((resolved["event"].as_str(), resolved["state"].as_str()), (Some("resolved"), Some("resolved")));
    assert_eq!(resolved["id"], body["id"], "the same incident");
    // Several more ticks and polls: nothing more is sent.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(events(&sink), ["open", "resolved"]);
    let id = body["id"].as_str().unwrap();
    let incident = vigie.wait_until(WAIT, "the four deliveries are recorded", |v| {
        let got = v.get(&format!("/api/v1/alerts/{id}")).body;
        (got["deliveries"].as_array().map_or(0, |d| d.len()) == 4).then_some(got)
    });
    assert_eq!(incident["state"], "resolved");
    assert!(incident["deliveries"].as_array().unwrap().iter().all(|d| d["state"] == "delivered"), "{incident}");
    // The email channel got the same two, one message each.
    let mut subjects: Vec<String> = smtp
        .messages()
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")).map(str::to_string))
        .collect();
    subjects.sort();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].starts_with("Subject: [Vigie] OPEN: ") && subjects[0].contains("core-sw1"), "{subjects:?}");
    assert!(subjects[1].starts_with("Subject: [Vigie] RESOLVED: "), "{subjects:?}");
    // The event log has both, with the device.
    let logs = vigie.get(&format!("/api/v1/devices/{device}/logs?source=event")).body;
    let text = logs.to_string();
    assert!(text.contains("Incident opened") && text.contains("Incident resolved"), "{text}");
}

#[test]
fn a_flapping_agent_gives_one_incident_not_a_storm() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(dir.path());
    let mut agent = Snmpd::start(&[Interface::new(1, "uplink")]);
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    let device = add_device(&vigie, "edge-1", agent.port());
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    // Never down for 30 s in a row, but it changes every few seconds.
    rule(
        &vigie,
        json!({"name": "Edge down", "kind": "device_unreachable", "forSecs": 30, "recoverySecs": 30,
               "flapChanges": 3, "flapWindowMins": 5, "scope": {"all": true}, "channelIds": [channel]}),
    );
    for _ in 0..5 {
        agent.stop();
        vigie.wait_until(WAIT, "down", |v| (v.device(&device)["status"]["state"] == "unreachable").then_some(()));
        agent.restart();
        vigie.wait_until(WAIT, "up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(events(&sink), ["open"], "one notification for all those changes");
    let all = incidents(&vigie, "");
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0]["flapping"].as_bool(), all[0]["state"].as_str()), (Some(true), Some("open")));
}

#[test]
fn a_maintenance_window_marks_the_incident_and_tells_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(dir.path());
    let mut agent = Snmpd::start(&[Interface::new(1, "uplink")]);
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    let device = add_device(&vigie, "core-sw2", agent.port());
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let window = vigie.post_json(
        "/api/v1/maintenance-windows",
        &json!({"name": "Upgrade", "scope": {"deviceIds": [device]},
                "schedule": {"type": "one_off", "from": now - 60, "to": now + 3600}}),
    );
    assert_eq!((window.status, window.body["active"].as_bool()), (201, Some(true)), "{}", window.text);
    rule(
        &vigie,
        json!({"name": "Core down", "kind": "device_unreachable", "forSecs": 1, "recoverySecs": 1,
               "scope": {"all": true}, "channelIds": [channel]}),
    );
    agent.stop();
    let incident = vigie.wait_until(WAIT, "an incident opens", |v| incidents(v, "?state=open").into_iter().next());
    assert_eq!(incident["inMaintenance"], true);
    agent.restart();
    vigie.wait_until(WAIT, "it resolves", |v| incidents(v, "?state=resolved").into_iter().next());
    std::thread::sleep(Duration::from_secs(3));
    assert!(sink.received().is_empty(), "nothing sent: {:?}", events(&sink));
}

#[test]
fn utilisation_over_80_percent_fires_after_its_duration_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(dir.path());
    let mut uplink = Interface::new(1, "uplink");
    uplink.speed_bps = 1_000_000;
    let agent = Snmpd::start(std::slice::from_ref(&uplink));
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    let device = add_device(&vigie, "core-sw3", agent.port());
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    const FOR_SECS: i64 = 8;
    rule(
        &vigie,
        json!({"name": "Uplink busy", "kind": "utilization", "thresholdPercent": 80, "forSecs": FOR_SECS,
               "recoverySecs": 2, "scope": {"all": true}, "channelIds": [channel]}),
    );
    // 60 % of 1 Mbit/s first: under the threshold, nothing opens.
    uplink.in_octets_per_sec = 75_000;
    agent.set_interfaces(std::slice::from_ref(&uplink));
    std::thread::sleep(Duration::from_secs(FOR_SECS as u64 + 3));
    assert!(incidents(&vigie, "").is_empty(), "60 % is under 80 %");
    // 90 %: opens once it has held for forSecs.
    let driven_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    uplink.in_octets_per_sec = 112_500;
    agent.set_interfaces(std::slice::from_ref(&uplink));
    let opened = sink.wait_for(1, WAIT).remove(0).json();
    assert_eq!((opened["event"].as_str(), opened["ifIndex"].as_u64()), (Some("open"), Some(1)));
    let opened_at = opened["openedAt"].as_i64().unwrap();
    assert!(opened_at >= driven_at + FOR_SECS, "opened at {opened_at}, traffic driven at {driven_at}");
    assert!(opened["summary"].as_str().unwrap().contains("uplink"), "{opened}");
}

#[test]
fn an_agent_that_restarts_opens_one_reboot_incident() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(dir.path());
    let mut agent = Snmpd::start(&[Interface::new(1, "uplink")]);
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    let device = add_device(&vigie, "core-sw4", agent.port());
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&device)["status"]["state"] == "up").then_some(()));
    rule(
        &vigie,
        json!({"name": "Restarted", "kind": "reboot", "recoverySecs": 2, "scope": {"all": true}, "channelIds": [channel]}),
    );
    // Polls with the rule in place: the agent's uptime is known and grows; nothing opens.
    std::thread::sleep(Duration::from_secs(5));
    assert!(events(&sink).is_empty(), "{:?}", events(&sink));

    agent.restart();
    let opened = sink.wait_for(1, WAIT).remove(0).json();
    assert_eq!((opened["event"].as_str(), opened["deviceId"].as_str()), (Some("open"), Some(device.as_str())));
    assert!(opened["summary"].as_str().unwrap().contains("core-sw4 restarted"), "{opened}");
    // Later polls see the uptime grow again: no second incident.
    std::thread::sleep(Duration::from_secs(5));
    let opens = events(&sink).iter().filter(|e| *e == "open").count();
    assert_eq!(opens, 1, "{:?}", events(&sink));
}
