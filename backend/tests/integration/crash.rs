//! `kill -9` in the middle of things: the store comes back whole, a torn last line is skipped,
//! and later samples are not glued onto it; and the torture test: many kills at random moments
//! under a 200-device fleet and a stream of syslog.

use std::io::Write;
use std::time::Duration;

use crate::sim_process::{jsonl_lines, SimProcess};
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
    // The open (plain) file: a restart's first poll seals the plain lines before it into the
    // `.zst` twin and empties the plain file, then appends to it, so there is always one.
    let newest = std::fs::read_dir(&sample_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .max()
        .expect("a plain samples file");
    const TORN: &str = "{\"timestamp\":17956";
    std::fs::OpenOptions::new().append(true).open(&newest).unwrap().write_all(TORN.as_bytes()).unwrap();

    let vigie = Vigie::start(&data_dir);
    assert_eq!(vigie.device(&id)["name"], "crashy", "the device list survived");
    let mut vigie = vigie;
    vigie.wait_until(Duration::from_secs(15), "polling resumes", |v| {
        (samples(v, &id).len() >= before + 3).then_some(())
    });
    // The restart sealed the day's plain file (its first poll seals what an earlier run left):
    // the torn line was dropped there, and nothing was glued onto it. Every line on disk,
    // plain or sealed, is whole JSON, and none starts with the torn fragment.
    let lines = sample_lines(&sample_dir);
    let torn: Vec<&String> =
        lines.iter().filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err() || l.starts_with(TORN)).collect();
    assert!(torn.is_empty(), "only whole lines on disk, the torn one dropped: {torn:?}");
    assert!(lines.len() >= before + 3, "{} lines on disk, {before} before the crash", lines.len());
    let timestamps: Vec<f64> = samples(&vigie, &id).iter().map(|s| s["timestamp"].as_f64().unwrap()).collect();
    assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "samples in order, none repeated: {timestamps:?}");
}

/// Every line of a device's samples files, plain (`.jsonl`) and sealed (`.jsonl.zst`, read as
/// `zstdcat` would).
fn sample_lines(dir: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = if path.extension().is_some_and(|e| e == "zst") {
            String::from_utf8(zstd::stream::decode_all(&bytes[..]).unwrap()).unwrap()
        } else {
            String::from_utf8(bytes).unwrap()
        };
        lines.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    lines
}

/// Devices polled in the torture test, their interfaces, and their poll interval.
const TORTURE_DEVICES: usize = 200;
const TORTURE_INTERFACES: u32 = 8;
const TORTURE_INTERVAL_SECS: u32 = 2;
/// Devices whose served samples are compared before and after each kill.
const TORTURE_WATCHED: usize = 12;

/// `kill -9` at random moments while 200 simulated devices are polled and syslog arrives.
/// After each restart: Vigie starts, `devices.json` is whole, no sample served more than one
/// interval before the kill is lost, no log entry written then is lost; at the end no JSONL
/// line is duplicated or glued (a line torn by a kill stays alone on its line, skipped).
fn torture(kills: usize) {
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    println!("crash torture: {kills} kills, seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = SimProcess::start(TORTURE_DEVICES, TORTURE_INTERFACES);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let syslog = Syslog::start();

    let mut vigie = Vigie::start(&data_dir);
    let ids: Vec<String> = (0..TORTURE_DEVICES).map(|i| sim.add_to(&vigie, i, TORTURE_INTERVAL_SECS)).collect();
    let interval = f64::from(TORTURE_INTERVAL_SECS);
    let (mut samples_checked, mut logs_checked) = (0, 0);
    for round in 0..kills {
        syslog.target(vigie.syslog_port);
        vigie.wait_until(Duration::from_secs(30), "the watched devices polled", |v| {
            ids[..TORTURE_WATCHED].iter().all(|id| !samples(v, id).is_empty()).then_some(())
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(200..2500)));
        let watched: Vec<(String, Vec<f64>)> = (0..TORTURE_WATCHED)
            .map(|_| ids[rng.random_range(0..ids.len())].clone())
            .map(|id| (id.clone(), timestamps(&vigie, &id)))
            .collect();
        std::thread::sleep(Duration::from_millis(rng.random_range(0..1000)));
        let killed_at = now_secs_f64();
        assert!(!vigie.kill9().success());
        let logged = log_ids(&data_dir, killed_at - interval);

        vigie = Vigie::start(&data_dir); // it starts
        let file: serde_json::Value = serde_json::from_slice(&std::fs::read(data_dir.join("devices.json")).unwrap())
            .unwrap_or_else(|e| panic!("round {round}: devices.json is not whole: {e}"));
        assert_eq!(file["devices"].as_array().map(Vec::len), Some(TORTURE_DEVICES), "round {round}");
        assert_eq!(vigie.get("/api/v1/devices").body.as_array().map(Vec::len), Some(TORTURE_DEVICES));
        for (id, before) in &watched {
            let after = timestamps(&vigie, id);
            let old_enough: Vec<&f64> = before.iter().filter(|t| **t <= killed_at - interval).collect();
            samples_checked += old_enough.len();
            let lost: Vec<&f64> = old_enough.into_iter().filter(|t| !after.contains(t)).collect();
            assert!(lost.is_empty(), "round {round}, device {id}: samples served before the kill are lost: {lost:?}");
        }
        logs_checked += logged.len();
        let kept = log_ids(&data_dir, f64::MAX);
        let lost = logged.difference(&kept).count();
        assert_eq!(lost, 0, "round {round}: {lost} log entries written before the kill are lost");
    }
    drop(vigie);
    println!("crash torture: {samples_checked} served samples and {logs_checked} log entries checked after the kills");
    assert!(samples_checked > 0 && logs_checked > 0, "the checks saw data");
    let torn = check_lines(&data_dir);
    println!("crash torture: {kills} kills, {torn} torn line(s) left alone on their line, none glued or repeated");
    assert!(torn <= kills, "at most one torn line per kill");
}

#[test]
fn kill_9_five_times_at_random_moments_loses_nothing_served() {
    torture(5);
}

/// The full count, for the benchmark runner (a few minutes):
/// `cargo test --release -p vigie --test integration kill_9_fifty_times -- --ignored --nocapture`.
#[test]
#[ignore = "long: 50 kills; run with --ignored --nocapture (release build)"]
fn kill_9_fifty_times_at_random_moments_loses_nothing_served() {
    torture(50);
}

fn timestamps(vigie: &Vigie, id: &str) -> Vec<f64> {
    samples(vigie, id).iter().map(|s| s["timestamp"].as_f64().unwrap()).collect()
}

fn now_secs_f64() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Ids of the log entries on disk received up to `until`.
fn log_ids(data_dir: &std::path::Path, until: f64) -> std::collections::HashSet<u64> {
    jsonl_lines(&data_dir.join("logs"))
        .iter()
        .filter_map(|(_, line)| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|e| e["receivedAt"].as_f64().is_some_and(|t| t <= until))
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

/// Checks every JSONL line of the data dir: whole lines parse, and none repeats (a sample's or a
/// latency round's timestamp in its file, a log entry's id anywhere) and a state history goes
/// forward in time; an unreadable line is a torn one, alone (it holds no second record glued
/// after it). Answers how many torn lines there are.
fn check_lines(data_dir: &std::path::Path) -> usize {
    let mut torn = 0;
    let mut ids = std::collections::HashSet::new();
    let mut last: std::collections::HashMap<std::path::PathBuf, f64> = Default::default();
    for (path, line) in jsonl_lines(data_dir) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
            let glued = ["{\"timestamp\"", "{\"id\"", "{\"at\""].iter().any(|start| line[1..].contains(start));
            assert!(!glued, "{}: a line glued onto a torn one: {line}", path.display());
            torn += 1;
            continue;
        };
        if let Some(id) = value["id"].as_u64() {
            assert!(ids.insert(id), "{}: log entry {id} written twice", path.display());
        } else if let Some(ts) = value["timestamp"].as_f64() {
            let before = last.insert(path.clone(), ts);
            assert!(before.is_none_or(|b| b < ts), "{}: a line repeated or out of order at {ts}", path.display());
        } else if let Some(at) = value["at"].as_f64() {
            // A state history: transitions in time order (two may share a second).
            let before = last.insert(path.clone(), at);
            assert!(before.is_none_or(|b| b <= at), "{}: a state change out of order at {at}", path.display());
        } else {
            panic!("{}: a line of no known kind: {line}", path.display());
        }
    }
    torn
}

/// Syslog over UDP to whichever port Vigie listens on now, a datagram every 5 ms, until dropped.
struct Syslog {
    port: std::sync::Arc<std::sync::atomic::AtomicU16>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Syslog {
    fn start() -> Syslog {
        use std::sync::atomic::Ordering::Relaxed;
        let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (to, done) = (port.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut n = 0u64;
            while !done.load(Relaxed) {
                let port = to.load(Relaxed);
                if port != 0 {
                    let line = format!("<134>Nov 30 12:00:00 torture app[1]: message {n} of the crash torture");
                    let _ = socket.send_to(line.as_bytes(), ("127.0.0.1", port));
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Syslog { port, stop, thread: Some(thread) }
    }

    fn target(&self, port: u16) {
        self.port.store(port, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Syslog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Before: a corrupt `state.json` made Vigie refuse to start. Now it is set aside and rebuilt;
/// a corrupt `devices.json` still stops the start, naming the file and the line, untouched.
#[test]
fn a_corrupt_state_is_set_aside_and_a_corrupt_device_list_stops_the_start() {
    let sim = SimProcess::start(1, 4);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start(&data_dir);
    let id = sim.add_to(&vigie, 0, 1);
    vigie.wait_until(Duration::from_secs(15), "three samples", |v| (samples(v, &id).len() >= 3).then_some(()));
    vigie.kill9();
    let state = data_dir.join("devices").join(&id).join("state.json");
    std::fs::write(&state, b"{\"status\": {\"state\": \"up\", \"sin").unwrap();

    let restarted_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut vigie = Vigie::start(&data_dir);
    let device = vigie.device(&id);
    // Unknown until the first poll; that poll may already have come (its jitter is within the 1 s
    // interval), but then it is up since this start, never since the unreadable file's time.
    let fresh = device["status"]["state"] == "unknown"
        || (device["status"]["state"] == "up" && device["status"]["since"].as_i64() >= Some(restarted_at));
    assert!(fresh, "{device}");
    assert!(samples(&vigie, &id).len() >= 3, "its samples are still served");
    let logs = vigie.get(&format!("/api/v1/devices/{id}/logs")).body;
    assert!(logs.to_string().contains("saved state unreadable"), "an event in the device's log: {logs}");
    assert!(vigie.log().contains("its state.json is unreadable"));
    vigie.wait_until(Duration::from_secs(15), "the next poll brings it back", |v| {
        (v.device(&id)["status"]["state"] == "up").then_some(())
    });
    assert_eq!(vigie.get(&format!("/api/v1/devices/{id}/interfaces")).body.as_array().map(Vec::len), Some(4));
    vigie.terminate();
    let set_aside = std::fs::read_dir(state.parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("state.json.corrupt-"))
        .count();
    assert_eq!(set_aside, 1);

    let devices = data_dir.join("devices.json");
    let mut text = std::fs::read_to_string(&devices).unwrap();
    text.truncate(text.len() - 40);
    std::fs::write(&devices, &text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["serve", "--listen", "127.0.0.1:0", "--syslog-udp", "off", "--syslog-tcp", "off", "--trap-udp", "off"])
        .arg("--data-dir")
        .arg(&data_dir)
        .env_remove("VIGIE_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("devices.json is not a valid Vigie file") && stderr.contains(" line "), "{stderr}");
    assert_eq!(std::fs::read_to_string(&devices).unwrap(), text, "never overwritten");
}
