//! Honest and misbehaving agents polled together by the real `vigie serve`: honest devices are
//! polled on schedule, each misbehaving one every interval with a reason naming its fault, no
//! poller panics and memory stays bounded.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigie::sim::{AgentSpec, Misbehave};

use crate::sim::Background;
use crate::vigie::Vigie;

const INTERVAL_SECS: u64 = 2;

/// What each fault must leave in the device's `lastError` (None: the device stays up).
fn expected_error(fault: Misbehave) -> Option<&'static str> {
    match fault {
        Misbehave::ExtraVarbinds => Some("more values than the 2 asked for"),
        Misbehave::EndlessColumns => Some("rows for column"),
        Misbehave::RepeatedOids => Some("OID not increasing"),
        Misbehave::Garbage | Misbehave::HugeLengths => Some("undecodable reply"),
        Misbehave::WrongRequestIds => Some("another request id"),
        Misbehave::Slow => Some("before the poll's deadline"),
        Misbehave::PartialSystem => None,
    }
}

fn add(vigie: &Vigie, name: &str, port: u16) -> String {
    let body = json!({"name": name, "host": "127.0.0.1", "port": port,
                      "snmp": {"version": "v2c", "community": "public"},
                      "pollIntervalSecs": INTERVAL_SECS, "timeoutMs": 1000, "retries": 1});
    let answer = vigie.post_json("/api/v1/devices", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().expect("id").to_string()
}

fn devices(vigie: &Vigie) -> HashMap<String, Value> {
    let list = vigie.get("/api/v1/devices").body;
    list.as_array().expect("a list").iter().map(|d| (d["name"].as_str().unwrap().to_string(), d.clone())).collect()
}

#[test]
fn misbehaving_agents_fail_alone_and_honest_ones_are_polled_on_time() {
    let mut specs: Vec<AgentSpec> = (0..4).map(|i| AgentSpec::new(format!("honest-{i}"), 48)).collect();
    specs.extend(Misbehave::ALL.map(|m| AgentSpec { misbehave: Some(m), ..AgentSpec::new(m.as_str(), 48) }));
    let sim = Background::start(specs);
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let agents = sim.fleet().agents().to_vec();
    for (i, agent) in agents.iter().enumerate() {
        add(&vigie, &agent.name, sim.port(i));
    }

    // Every device reaches the state its agent deserves, with the reason its fault gives.
    let unsettled = |all: &HashMap<String, Value>| -> Vec<String> {
        let wrong = agents.iter().filter(|a| {
            let d = &all[&a.name];
            let error = d["status"]["lastError"].as_str().unwrap_or_default();
            match a.misbehave.and_then(expected_error) {
                None => d["status"]["state"] != "up" || d["interfaceCount"] != 48,
                Some(text) => {
                    !["snmp_down", "unreachable"].contains(&d["status"]["state"].as_str().unwrap_or_default())
                        || !error.contains(text)
                }
            }
        });
        wrong.map(|a| format!("{}: {}", a.name, all[&a.name]["status"])).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let all = devices(&vigie);
        let wrong = unsettled(&all);
        if wrong.is_empty() {
            break all;
        }
        assert!(Instant::now() < deadline, "not in their expected state after 30 s: {wrong:#?}");
        std::thread::sleep(Duration::from_millis(200));
    };

    // Three intervals later every device has been polled again, with the same reason.
    std::thread::sleep(Duration::from_secs(3 * INTERVAL_SECS));
    let later = devices(&vigie);
    assert_eq!(unsettled(&later), Vec::<String>::new());
    for agent in &agents {
        let (before, after) = (&first[&agent.name]["status"], &later[&agent.name]["status"]);
        let polled = |s: &Value| s["lastPollAt"].as_f64().unwrap_or(0.0);
        assert!(polled(after) >= polled(before) + 2.0 * INTERVAL_SECS as f64, "{}: {before} then {after}", agent.name);
    }
    let partial = &later["partial-system"];
    assert_eq!(partial["system"]["sysName"], Value::Null, "{partial}");
    assert!(partial["system"]["sysUpTimeSecs"].is_number(), "{partial}");

    let status = vigie.get("/api/v1/status").body;
    assert_eq!(status["poller"]["pollsPanicked"], 0, "{status}");
    assert!(status["poller"]["pollsOverDeadline"].as_u64().unwrap() >= 2, "the slow agent's polls: {status}");
    assert!(!vigie.log().contains("panicked"), "a panic in the log:\n{}", vigie.log());
    let rss_mib = vigie.rss_kib() / 1024;
    assert!(rss_mib < 150, "vigie uses {rss_mib} MiB with 12 devices");
}

#[test]
fn a_flood_of_link_traps_polls_a_device_once_per_ten_seconds_at_most() {
    let sim = Background::start(vec![AgentSpec::new("flapping", 4)]);
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let body = json!({"name": "flapping", "host": "127.0.0.1", "port": sim.port(0),
                      "snmp": {"version": "v2c", "community": "public"}, "pollIntervalSecs": 600});
    assert_eq!(vigie.post_json("/api/v1/devices", &body).status, 201);
    let poller = |v: &Vigie| v.get("/api/v1/status").body["poller"].clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    while poller(&vigie)["pollsTotal"] != 1 {
        assert!(Instant::now() < deadline, "the first poll: {}", poller(&vigie));
        std::thread::sleep(Duration::from_millis(100));
    }
    // 20 linkDown traps, as fast as net-snmp's snmptrap sends them.
    let target = format!("127.0.0.1:{}", vigie.trap_port);
    for _ in 0..20 {
        let sent = std::process::Command::new("snmptrap")
            .args(["-v", "2c", "-c", "public", "-m", "", &target, "", "1.3.6.1.6.3.1.1.5.3"])
            .args(["1.3.6.1.2.1.2.2.1.1.2", "i", "2"])
            .status()
            .expect("run snmptrap");
        assert!(sent.success());
    }
    let deadline = Instant::now() + Duration::from_secs(8);
    while poller(&vigie)["nudgesDeferred"] == 0 {
        assert!(Instant::now() < deadline, "no nudge was put off: {}", poller(&vigie));
        std::thread::sleep(Duration::from_millis(100));
    }
    // The first trap polled at once; the others wait for the end of the 10 s gap.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(poller(&vigie)["pollsTotal"], 2, "{}", poller(&vigie));
}
