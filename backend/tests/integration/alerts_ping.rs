//! The `ping` rule end to end: a host in a network namespace the test creates (`netns`), pinged
//! every 2 s by the real binary; cutting its link loses every echo and opens one incident with
//! one signed "open" webhook to a real loopback HTTP sink; restoring it resolves the incident
//! with one "resolved". Needs root (skipped otherwise, like the availability test).

use std::time::Duration;

use serde_json::json;

use crate::alerts::{events, rule, signed, webhook, SECRET};
use crate::netns::{self, NetnsHost};
use crate::notify::sink::HttpSink;
use crate::vigie::Vigie;

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn a_cut_link_opens_one_ping_incident_and_its_return_resolves_it() {
    if !netns::available() {
        eprintln!("skipped: network namespaces need root");
        return;
    }
    let host = NetnsHost::create();
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(data.path());
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    // Nobody serves SNMP there: only the echoes matter to this rule.
    let answer = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "ns-lossy", "host": host.host_v4.to_string(), "port": 1161,
                "snmp": {"version": "v2c", "community": "public"},
                "pollIntervalSecs": 5, "timeoutMs": 300, "retries": 0, "pingIntervalSecs": 2}),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let device = answer.body["id"].as_str().unwrap().to_string();
    let rule_id = rule(
        &vigie,
        json!({"name": "Lossy", "kind": "ping", "lossPercent": 100, "forSecs": 4, "recoverySecs": 4,
               "scope": {"deviceIds": [device]}, "channelIds": [channel]}),
    );
    vigie.wait_until(WAIT, "an answered echo round", |v| {
        (v.device(&device)["status"]["echo"]["received"].as_u64() > Some(0)).then_some(())
    });
    assert!(sink.received().is_empty(), "answered rounds open nothing");

    host.cut();
    let opened = sink.wait_for(1, WAIT).remove(0);
    assert_eq!(opened.header("x-vigie-signature"), Some(signed(SECRET, &opened.body).as_str()));
    let body = opened.json();
    assert_eq!((body["event"].as_str(), body["kind"].as_str()), (Some("open"), Some("ping")));
    assert_eq!((body["ruleId"].as_str(), body["deviceId"].as_str()), (Some(rule_id.as_str()), Some(device.as_str())));
    assert_eq!(body["summary"], "[open] ns-lossy: 100 % of echoes lost", "{body}");

    host.restore();
    let both = sink.wait_for(2, WAIT);
    let resolved = both[1].json();
    assert_eq!((resolved["event"].as_str(), resolved["id"].as_str()), (Some("resolved"), body["id"].as_str()));
    // More rounds and ticks: nothing more is sent.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(events(&sink), ["open", "resolved"]);
}
