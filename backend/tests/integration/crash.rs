//! `kill -9` in the middle of things: the store comes back whole, a torn last line is skipped,
//! and later samples are not glued onto it.

use std::io::Write;
use std::time::Duration;

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

fn samples(vigie: &Vigie, id: &str) -> Vec<serde_json::Value> {
    let counters = vigie.get(&format!("/api/v1/devices/{id}/interfaces/1/counters")).body;
    counters.as_array().cloned().unwrap_or_default()
}

#[test]
fn a_kill_9_loses_nothing_written_and_a_torn_line_is_skipped() {
    let mut uplink = Interface::new(1, "eth0");
    uplink.in_octets_per_sec = 1_000;
    let agent = Snmpd::start(&[uplink]);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start(&data_dir);
    let id = vigie.add_device("crashy", agent.port());
    vigie.wait_until(Duration::from_secs(15), "three samples", |v| (samples(v, &id).len() >= 3).then_some(()));
    let status = vigie.kill9();
    assert!(!status.success());
    let before = samples(&Vigie::start(&data_dir), &id).len(); // a first restart reads them all back
    assert!(before >= 3);

    // Simulate a crash in the middle of a write: a torn last line.
    let sample_dir = data_dir.join("devices").join(&id).join("samples");
    let newest = std::fs::read_dir(&sample_dir).unwrap().map(|e| e.unwrap().path()).max().expect("a samples file");
    std::fs::OpenOptions::new().append(true).open(&newest).unwrap().write_all(b"{\"timestamp\":17956").unwrap();

    let vigie = Vigie::start(&data_dir);
    assert_eq!(vigie.device(&id)["name"], "crashy", "the device list survived");
    let mut vigie = vigie;
    vigie.wait_until(Duration::from_secs(15), "polling resumes", |v| {
        (samples(v, &id).len() >= before + 3).then_some(())
    });
    let text = std::fs::read_to_string(&newest).unwrap();
    let torn: Vec<&str> = text.lines().filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err()).collect();
    assert_eq!(torn, vec!["{\"timestamp\":17956"], "only the torn line is unreadable, on a line of its own");
    let timestamps: Vec<f64> = samples(&vigie, &id).iter().map(|s| s["timestamp"].as_f64().unwrap()).collect();
    assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "samples in order, none repeated: {timestamps:?}");
}
