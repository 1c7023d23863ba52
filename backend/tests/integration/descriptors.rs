//! The real `vigie serve` polling simulated agents holds a bounded number of descriptors: its
//! SNMP requests share a few sockets, and the samples and raw latency files kept open are bounded
//! by `[storage] max_open_samples_files` and `max_open_latency_files`, so ten times the devices
//! (pinged, the default) take no more descriptors.

use std::time::Duration;

use serde_json::json;
use vigie::sim::AgentSpec;

use crate::sim::Background;
use crate::vigie::Vigie;

/// Samples files, and latency files, kept open: set low so that the fleet passes the bounds at once.
const SAMPLES_FILES: usize = 16;
const LATENCY_FILES: usize = 16;

fn add(vigie: &Vigie, name: &str, port: u16) {
    let body = json!({"name": name, "host": "127.0.0.1", "port": port,
                      "snmp": {"version": "v2c", "community": "public"},
                      "pollIntervalSecs": 5, "timeoutMs": 2000, "retries": 1});
    let answer = vigie.post_json("/api/v1/devices", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
}

/// Waits until every device was polled and is up.
fn wait_all_up(vigie: &mut Vigie, devices: u64) {
    vigie.wait_until(Duration::from_secs(120), &format!("{devices} devices are up"), |v| {
        let status = v.get("/api/v1/status").body;
        (status["up"].as_u64() == Some(devices)).then_some(())
    });
}

/// The process's open descriptors, each as what it points to (`socket:[…]`, a path, `anon_inode:…`).
/// Waits until the kept samples and latency files are as many as their bounds allow.
fn wait_files_at_their_bounds(vigie: &mut Vigie) {
    vigie.wait_until(Duration::from_secs(60), "the kept files reach their bounds", |v| {
        let storage = &v.get("/api/v1/status").body["storage"];
        let at = |key: &str, bound: usize| storage[key].as_u64() == Some(bound as u64);
        (at("samplesFilesOpen", SAMPLES_FILES) && at("latencyFilesOpen", LATENCY_FILES)).then_some(())
    });
}

fn descriptors(vigie: &Vigie) -> Vec<String> {
    let dir = std::fs::read_dir(format!("/proc/{}/fd", vigie.pid())).expect("/proc/PID/fd");
    let links = dir.flatten().map(|fd| std::fs::read_link(fd.path()).map(|l| l.display().to_string()));
    links.map(|l| l.unwrap_or_else(|e| format!("gone ({e})"))).collect()
}

#[test]
fn descriptors_do_not_grow_with_the_fleet() {
    let specs: Vec<AgentSpec> = (0..500).map(|i| AgentSpec::new(format!("sw-{i}"), 4)).collect();
    let sim = Background::start(specs);
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("vigie.toml");
    let storage =
        format!("[storage]\nmax_open_samples_files = {SAMPLES_FILES}\nmax_open_latency_files = {LATENCY_FILES}\n");
    std::fs::write(&config, storage).unwrap();
    let mut vigie = Vigie::start_with(&data.path().join("data"), &["--config", config.to_str().unwrap()]);

    for i in 0..50 {
        add(&vigie, &format!("sw-{i}"), sim.port(i));
    }
    wait_all_up(&mut vigie, 50);
    // Up comes with the first poll; the first echo round, which opens the latency files, may come later.
    wait_files_at_their_bounds(&mut vigie);
    let with_50 = descriptors(&vigie);
    for i in 50..500 {
        add(&vigie, &format!("sw-{i}"), sim.port(i));
    }
    wait_all_up(&mut vigie, 500);
    let with_500 = descriptors(&vigie);
    // A few may come and go (HTTP connections, a file opened for a moment): not one a device.
    assert!(
        with_500.len() <= with_50.len() + 16,
        "{} descriptors with 50 devices, {} with 500:\n{with_50:#?}\n{with_500:#?}",
        with_50.len(),
        with_500.len()
    );

    let status = vigie.get("/api/v1/status").body;
    let sockets = &status["snmpSockets"];
    assert!((1..=vigie::open_files::SHARED_SOCKETS).contains(&sockets["open"].as_u64().unwrap()), "{status}");
    assert!(sockets["strayDatagrams"].is_u64() && sockets["sendsDropped"].is_u64(), "{status}");
    assert_eq!(status["files"]["devicesSupported"], serde_json::Value::Null, "{status}");
    let storage = &status["storage"];
    assert!(storage["samplesFilesOpen"].as_u64().unwrap() <= SAMPLES_FILES as u64, "{status}");
    assert!(storage["latencyFilesOpen"].as_u64().unwrap() <= LATENCY_FILES as u64, "{status}");
    assert_eq!(storage["latencyFilesMaxOpen"], LATENCY_FILES, "{status}");
}
