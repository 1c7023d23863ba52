//! The server-sent-events stream: a viewer sees the device come up, each new sample arrive, and
//! the event log's entries.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

#[test]
fn the_event_stream_pushes_status_changes_and_samples() {
    let mut uplink = Interface::new(1, "eth0");
    uplink.in_octets_per_sec = 10_000;
    let agent = Snmpd::start(&[uplink]);
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let other = vigie.add_device("other", 9); // never answers; filtered out below
    let response = http.get(vigie.url("/api/v1/events")).send().unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let id = vigie.add_device("streamed", agent.port());
    let mut lines = BufReader::new(response).lines();
    let (mut saw_up, mut samples_with_rate, mut saw_log, mut saw_row) = (false, 0, false, false);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut event = String::new();
    while Instant::now() < deadline && !(saw_up && samples_with_rate >= 2 && saw_log && saw_row) {
        let line = lines.next().expect("the stream stays open").expect("read the stream");
        if let Some(name) = line.strip_prefix("event: ") {
            event = name.to_string();
        } else if let Some(data) = line.strip_prefix("data: ") {
            let data: serde_json::Value = serde_json::from_str(data).expect("data is JSON");
            if data["deviceId"] != id.as_str() {
                continue;
            }
            match event.as_str() {
                "status" => saw_up |= data["status"]["state"] == "up",
                "sample" => {
                    samples_with_rate += usize::from(data["interfaces"][0]["inBps"].as_f64().is_some());
                    assert_eq!((&data["interfaceCount"], &data["interfacesUp"]), (&1.into(), &1.into()), "{data}");
                }
                // The row's totals without the interfaces.
                "device" => {
                    saw_row |= data["interfaceCount"] == 1 && data["inBps"].as_f64().is_some();
                    assert!(data.get("interfaces").is_none(), "{data}");
                }
                "log" => saw_log |= data["source"] == "event",
                other => panic!("unknown event {other}"),
            }
        }
    }
    assert!(
        saw_up && samples_with_rate >= 2 && saw_log && saw_row,
        "up: {saw_up}, samples with a rate: {samples_with_rate}, event log entry: {saw_log}, row: {saw_row}"
    );

    // The device filter: the other device (down, quiet) is left out.
    let filtered = http.get(vigie.url(&format!("/api/v1/events?deviceId={id}"))).send().unwrap();
    let mut lines = BufReader::new(filtered).lines();
    let data: Vec<serde_json::Value> = (&mut lines)
        .map_while(Result::ok)
        .filter_map(|l| l.strip_prefix("data: ").map(|d| serde_json::from_str(d).unwrap()))
        .take(3)
        .collect();
    assert!(data.iter().all(|d| d["deviceId"] == id.as_str()), "{data:?}");
    assert_ne!(other, id);

    // The kinds filter: status and log only, no samples.
    let kinds = http.get(vigie.url(&format!("/api/v1/events?deviceId={id}&types=status,log"))).send().unwrap();
    vigie.patch_json(&format!("/api/v1/devices/{id}"), &serde_json::json!({"name": "renamed"})); // an event
    let mut lines = BufReader::new(kinds).lines();
    let first_event = (&mut lines).map_while(Result::ok).find_map(|l| l.strip_prefix("event: ").map(str::to_owned));
    assert_eq!(first_event.as_deref(), Some("log"), "samples are filtered out");
}
