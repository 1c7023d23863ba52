//! The fleet benchmark: a simulated fleet, the real `vigie serve` polling it, and net-snmp's
//! `snmpbulkget` polling the same fleet in the same run. Prints figures; asserts nothing.
//!
//! `cargo bench -p vigie --bench fleet` (builds the release binary first). Environment:
//! `FLEET_SIZES` (default `100,1000,2000`), `FLEET_INTERFACES` (48), `FLEET_INTERVAL_SECS` (60),
//! `FLEET_WINDOW_SECS` (steady window measured, default two intervals), `FLEET_DEAD_PERCENT` (0),
//! `FLEET_CLOSED_PERCENT` (0), `FLEET_ALIGN_SECS` (0: when set, the window starts at the next
//! multiple of it in Unix time, e.g. 3600 for a window from one hour's start, which holds every
//! device's hourly rollup writes), `FLEET_VERSIONS` (`v2c,v3`: each size is run once per version;
//! v3 is authPriv with SHA-256 and AES-128, and the run ends with the CPU ratio v3 / v2c per
//! interface-sample), `FLEET_REPLY_CAPS` (`0,1472`: each v2c size is run once per cap on the
//! agents' replies, 0 being the simulator's default of 8,000 bytes), `FLEET_IDLE_SECS` (60: the
//! idle row, Vigie with no device, measured first; 0 skips it), `FLEET_EXTERNAL` (`first-last`
//! ports of agents already listening on 127.0.0.1, e.g. `vigie sim --base-port` in another
//! process or net-snmp's snmpd: they are polled instead of the in-process fleet, with
//! `FLEET_SIZES` ignored), `FLEET_VIGIE_BIN` (the vigie binary to measure, default this
//! workspace's release build), `FLEET_HISTORY` (1: synthesize a year of one device's history
//! before each size and time the API on it; 0 skips both, about a minute per size on a loaded
//! machine), `FLEET_PING_SECS` (each device's `pingIntervalSecs`; unset: the default, 30 s;
//! 0 turns the ICMP echo rounds off, to measure the polls alone). All traffic stays on 127.0.0.1.
//! Each size reports vigie's CPU, RSS, open file descriptors and their soft limit; the
//! benchmark raises its own soft limit to the hard one first (the in-process fleet holds one
//! socket per agent). A million interfaces: `FLEET_SIZES=5000 FLEET_INTERFACES=200`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigie::device::DeviceConfig;
use vigie::sim::{Fleet, SimArgs, SimVersion};
use vigie::snmp::if_mib::{CounterBits, CounterRow};
use vigie::snmp::{AuthProtocol, PrivProtocol};
use vigie::store::{InterfaceReading, PollRecord, Retention, Store};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FLEET_SIZES")
        .unwrap_or_else(|_| "100,1000,2000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let interfaces: u32 = env_or("FLEET_INTERFACES", 48);
    let interval: u64 = env_or("FLEET_INTERVAL_SECS", 60);
    let window: u64 = env_or("FLEET_WINDOW_SECS", 2 * interval);
    let dead: f64 = env_or("FLEET_DEAD_PERCENT", 0.0);
    let closed: f64 = env_or("FLEET_CLOSED_PERCENT", 0.0);
    let align: u64 = env_or("FLEET_ALIGN_SECS", 0);
    let versions: Vec<String> = std::env::var("FLEET_VERSIONS")
        .unwrap_or_else(|_| "v2c,v3".into())
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| v == "v2c" || v == "v3")
        .collect();
    let caps: Vec<u16> = std::env::var("FLEET_REPLY_CAPS")
        .unwrap_or_else(|_| "0,1472".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let idle: u64 = env_or("FLEET_IDLE_SECS", 60);
    // The in-process fleet holds a socket per agent: 5,000 agents need more than the usual soft
    // limit of 1,024, so the bench raises its own soft limit to the hard one, as Vigie does.
    let limit = vigie::open_files::raise_to_hard_limit();
    println!("bench: open files limit {limit}");
    if std::env::var_os("FLEET_VIGIE_BIN").is_none() {
        let status = Command::new("cargo").args(["build", "--release", "-q", "-p", "vigie"]).status().expect("cargo");
        assert!(status.success(), "release build");
    }
    println!("fleet benchmark: {interfaces} interfaces per device, polled every {interval} s, steady window {window} s, dead {dead} %, closed {closed} %");
    if idle > 0 {
        idle_row(idle);
    }
    if let Ok(range) = std::env::var("FLEET_EXTERNAL") {
        let (first, last) = range.split_once('-').expect("FLEET_EXTERNAL is first-last");
        let ports: Vec<u16> = (first.parse().expect("first port")..=last.parse().expect("last port")).collect();
        println!("\nexternal fleet: {} agents on 127.0.0.1:{range}", ports.len());
        run_size(ports.len(), interfaces, interval, (window, align), &ports, false);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    for &size in &sizes {
        let mut per_thousand = Vec::new();
        for version in &versions {
            let v3 = version == "v3";
            // The capped rows are v2c only: the cap is the agents', whatever they speak.
            for &cap in if v3 { &[0][..] } else { &caps } {
                let args = SimArgs {
                    agents: size,
                    interfaces,
                    dead_percent: dead,
                    closed_percent: closed,
                    snmp_version: if v3 { SimVersion::V3 } else { SimVersion::V2c },
                    auth_protocol: v3.then_some(AuthProtocol::Sha256),
                    auth_password: v3.then(|| V3_AUTH_PASSWORD.to_string()),
                    priv_protocol: v3.then_some(PrivProtocol::Aes),
                    priv_password: v3.then(|| V3_PRIV_PASSWORD.to_string()),
                    max_reply_bytes: if cap == 0 { SimArgs::default().max_reply_bytes } else { cap },
                    ..SimArgs::default()
                };
                let fleet =
                    runtime.block_on(Fleet::start(args.specs(), [127, 0, 0, 1].into(), 0)).expect("start the fleet");
                let ports: Vec<u16> = fleet.agents().iter().map(|a| a.addr.port()).collect();
                if cap > 0 {
                    println!("\n(agents' replies capped at {cap} bytes)");
                }
                let cpu = run_size(size, interfaces, interval, (window, align), &ports, v3);
                if cap == 0 {
                    per_thousand.push((version.clone(), cpu));
                }
                runtime.block_on(fleet.shutdown());
            }
        }
        if let [(_, Some(v2c)), (_, Some(v3))] = per_thousand.as_slice() {
            println!(
                "\n{size} devices: CPU-seconds per 1,000 interface-samples, v2c {v2c:.4}, v3 authPriv (SHA-256 + AES-128) {v3:.4}: v3 / v2c = {:.2}",
                v3 / v2c
            );
        }
    }
}

/// The SNMPv3 user of the v3 runs (the simulator's default user, `vigie`).
const V3_AUTH_PASSWORD: &str = "bench-auth-passw0rd";
const V3_PRIV_PASSWORD: &str = "bench-priv-passw0rd";

/// A device's `snmp` body for the run's version.
fn snmp_body(v3: bool) -> Value {
    match v3 {
        false => json!({"version": "v2c", "community": "public"}),
        true => json!({"version": "v3", "user": "vigie", "securityLevel": "authPriv",
            "authProtocol": "sha256", "authPassword": V3_AUTH_PASSWORD, "privProtocol": "aes", "privPassword": V3_PRIV_PASSWORD}),
    }
}

/// Devices down after their first poll, by reason, with how long that poll took: a closed port
/// should fail at once, a dead agent after timeout × (retries + 1) = 2,000 ms here.
fn report_down(devices: &Value) {
    let mut by_reason: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for status in devices.as_array().unwrap().iter().map(|d| &d["status"]) {
        if status["state"] != "down" {
            continue;
        }
        let error = status["lastError"].as_str().unwrap_or("");
        let reason = match () {
            _ if error.contains("ICMP port unreachable") => "closed port",
            _ if error.contains("no SNMP answer") => "no answer",
            _ => "other",
        };
        by_reason.entry(reason).or_default().push(status["lastPollDurationMs"].as_u64().unwrap_or(0));
    }
    for (reason, mut took) in by_reason {
        took.sort_unstable();
        println!(
            "  down ({reason}): {} devices; their failed poll took {} ms at most, {} ms at the median",
            took.len(),
            took.last().unwrap(),
            took[took.len() / 2]
        );
    }
}

/// `window`: its length and the multiple of Unix time it starts at (0: at once). Answers Vigie's
/// CPU-seconds per 1,000 interface-samples.
fn run_size(
    size: usize,
    interfaces: u32,
    interval: u64,
    (window, align): (u64, u64),
    ports: &[u16],
    v3: bool,
) -> Option<f64> {
    let version = if v3 { "SNMPv3 authPriv SHA-256 + AES-128" } else { "SNMPv2c" };
    println!("\n== {size} devices × {interfaces} interfaces, {version}");
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let history = (env_or("FLEET_HISTORY", 1) == 1).then(|| synthesize_history(data.path(), interfaces));
    if history.is_some() {
        println!(
            "history synthesized for one device (1 year hourly, 30 days at 5 min, 48 h at 1 min) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let mut vigie = Server::start(data.path());
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let added = Instant::now();
    for (i, port) in ports.iter().enumerate() {
        let mut body = json!({"name": format!("sim-{i:04}"), "host": "127.0.0.1", "port": port,
            "snmp": snmp_body(v3), "pollIntervalSecs": interval, "timeoutMs": 1000, "retries": 1});
        if let Some(ping) = std::env::var("FLEET_PING_SECS").ok().and_then(|v| v.parse::<u32>().ok()) {
            body["pingIntervalSecs"] = ping.into();
        }
        let answer = http.post(vigie.url("/api/v1/devices")).json(&body).send().unwrap();
        assert_eq!(answer.status().as_u16(), 201);
    }
    let add_secs = added.elapsed().as_secs_f64();
    // Devices added through the API are polled at once: the time until every one has answered.
    let all_polled = loop {
        let devices: Value = http.get(vigie.url("/api/v1/devices")).send().unwrap().json().unwrap();
        let waiting = devices.as_array().unwrap().iter().filter(|d| d["status"]["lastPollAt"].is_null()).count();
        if waiting == 0 {
            break added.elapsed().as_secs_f64();
        }
        assert!(added.elapsed() < Duration::from_secs(600), "{waiting} devices never polled");
        std::thread::sleep(Duration::from_millis(200));
    };
    println!("added {size} devices through the API in {add_secs:.1} s; all polled once {all_polled:.1} s after the first was added");
    report_down(&http.get(vigie.url("/api/v1/devices")).send().unwrap().json().unwrap());

    let status = |http: &reqwest::blocking::Client| -> Value {
        http.get(vigie.url("/api/v1/status")).send().unwrap().json().unwrap()
    };
    if align > 0 {
        let wait = align - now() as u64 % align;
        println!("waiting {wait} s for the window to start at a multiple of {align} s");
        std::thread::sleep(Duration::from_secs(wait));
    }
    let before = status(&http);
    let cpu_before = vigie.cpu_secs();
    println!("window starts: RSS {:.1} MB, data {:.1} MB", vigie.rss_mb("VmRSS:"), dir_mb(data.path()));
    std::thread::sleep(Duration::from_secs(window));
    let after = status(&http);
    let cpu = vigie.cpu_secs() - cpu_before;
    let (open, limit) = vigie.descriptors();
    println!(
        "window ends:   RSS {:.1} MB, data {:.1} MB, {open} file descriptors open (soft limit {limit})",
        vigie.rss_mb("VmRSS:"),
        dir_mb(data.path())
    );
    let vigie_cpu = cpu.max(1e-9);
    let delta = |key: &str| after["poller"][key].as_u64().unwrap() - before["poller"][key].as_u64().unwrap();
    let samples = delta("interfaceSamplesTotal");
    println!(
        "steady {window} s: {} polls, {} failed, {} late; {samples} interface-samples; vigie CPU {cpu:.2} s = {:.1} % of one core",
        delta("pollsTotal"),
        delta("pollsFailed"),
        delta("pollsLate"),
        100.0 * cpu / window as f64
    );
    if samples > 0 {
        println!(
            "  CPU-seconds per 1,000 interface-samples: {:.4}; interface-samples per CPU-second: {:.0}",
            1000.0 * cpu / samples as f64,
            samples as f64 / cpu.max(1e-9)
        );
    }
    println!(
        "  peak RSS {:.1} MB; raw samples on disk {:.1} bytes per interface-sample",
        vigie.rss_mb("VmHWM:"),
        raw_bytes_per_sample(data.path(), history.as_deref(), &after)
    );

    let spans = [("1 h", 3_600), ("24 h", 86_400), ("30 d", 30 * 86_400), ("1 y", 365 * 86_400)];
    for (label, span) in history.as_ref().map_or(&[][..], |_| &spans[..]) {
        let history = history.as_deref().unwrap_or_default();
        let (p50, p99) = latency(
            &http,
            &vigie,
            &format!("/api/v1/devices/{history}/interfaces/1/traffic?from={}", now() - *span),
            200,
        );
        println!("  API traffic of one interface over {label:>4}: p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    let (p50, p99) = latency(&http, &vigie, "/api/v1/devices", 20);
    println!("  API device list ({} devices): p50 {p50:.2} ms, p99 {p99:.2} ms", size + usize::from(history.is_some()));
    vigie.stop();
    let per_thousand = (samples > 0).then(|| 1000.0 * cpu / samples as f64);
    if v3 {
        return per_thousand; // snmpbulkget below speaks v2c
    }

    let (wall, cpu) = snmpbulkget(ports, interfaces);
    let bulk_samples = (ports.len() * interfaces as usize) as f64;
    println!(
        "snmpbulkget, one -Cr{interfaces} request per device, 2 in parallel: {wall:.1} s wall, {cpu:.2} CPU-s = {:.0} interface-samples per CPU-second",
        bulk_samples / cpu.max(1e-9)
    );
    if samples > 0 && cpu > 0.0 {
        let vigie_rate = samples as f64 / vigie_cpu;
        println!(
            "  ratio, interface-samples per CPU-second, Vigie / snmpbulkget: {:.1}",
            vigie_rate / (bulk_samples / cpu)
        );
    }
    per_thousand
}

/// Vigie with no device (no data dir content, receivers off): CPU-seconds over `secs`, per minute.
fn idle_row(secs: u64) {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Server::start(data.path());
    std::thread::sleep(Duration::from_secs(5)); // past the start's own work
    let (before, switches_before) = (vigie.cpu_secs(), vigie.context_switches());
    std::thread::sleep(Duration::from_secs(secs));
    let cpu = vigie.cpu_secs() - before;
    let wakeups = vigie.context_switches() - switches_before;
    println!(
        "\n== idle, no device: {cpu:.3} CPU-seconds over {secs} s = {:.3} CPU-seconds per minute; {:.0} thread wake-ups (context switches) per minute",
        cpu * 60.0 / secs as f64,
        wakeups as f64 * 60.0 / secs as f64
    );
    vigie.stop();
}

/// One device with a year of history, written through the store as the poller would.
fn synthesize_history(dir: &Path, interfaces: u32) -> String {
    let retention = Retention {
        raw_secs: 48 * 3600,
        five_minute_secs: 30 * 86_400,
        hourly_secs: 730 * 86_400,
        logs_secs: 30 * 86_400,
        logs_max_bytes: 1 << 30,
    };
    let store = Store::open(dir, retention).unwrap();
    let config = DeviceConfig::v2c("history", "127.0.0.9", 161, "public");
    let id = store.add_device(config).unwrap().id;
    let now = now();
    let mut at = now - 365 * 86_400;
    let mut octets = 0u64;
    while at < now {
        let step = if at < now - 30 * 86_400 {
            3600
        } else if at < now - 48 * 3600 {
            300
        } else {
            60
        };
        octets += 125_000 * step as u64;
        let readings = (1..=interfaces)
            .map(|i| {
                let counters = CounterRow::octets(i, octets, octets / 2, CounterBits::Bits64);
                InterfaceReading::traffic(counters, Some(1_000_000.0 + f64::from(i)), Some(500_000.0))
            })
            .collect();
        let record = PollRecord {
            at_ms: at * 1000,
            duration_ms: 5,
            uptime_ticks: ((at - (now - 365 * 86_400)) * 100) as u32,
            system: None,
            inventory: (at == now - 365 * 86_400).then(|| inventory(interfaces)),
            interfaces: readings,
            agent_addr: None,
        };
        store.record_poll(&id, record).unwrap();
        at += step;
    }
    store.enforce_retention();
    store.flush().unwrap();
    id.0
}

fn inventory(interfaces: u32) -> Vec<vigie::snmp::if_mib::InterfaceInfo> {
    use vigie::snmp::if_mib::{IfStatus, InterfaceInfo};
    (1..=interfaces)
        .map(|i| InterfaceInfo {
            if_index: i,
            if_name: format!("ge-0/0/{i}"),
            if_descr: format!("ge-0/0/{i}"),
            if_alias: String::new(),
            if_type: 6,
            speed_bps: Some(1_000_000_000),
            admin_status: IfStatus::Up,
            oper_status: IfStatus::Up,
        })
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn latency(http: &reqwest::blocking::Client, vigie: &Server, path: &str, count: usize) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..count)
        .map(|_| {
            let t = Instant::now();
            let answer = http.get(vigie.url(path)).send().unwrap();
            assert_eq!(answer.status().as_u16(), 200, "{path}");
            let _ = answer.bytes().unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[(ms.len() * 99 / 100).min(ms.len() - 1)])
}

/// Size of everything under `dir`, in MB.
fn dir_mb(dir: &Path) -> f64 {
    fn size(path: &Path) -> u64 {
        match std::fs::read_dir(path) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| size(&e.path())).sum(),
            Err(_) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        }
    }
    size(dir) as f64 / 1e6
}

fn raw_bytes_per_sample(dir: &Path, history: Option<&str>, status: &Value) -> f64 {
    let mut bytes = 0u64;
    for device in std::fs::read_dir(dir.join("devices")).unwrap().filter_map(Result::ok) {
        if history.is_some() && device.file_name().to_str() == history {
            continue;
        }
        if let Ok(files) = std::fs::read_dir(device.path().join("samples")) {
            bytes += files.filter_map(Result::ok).map(|f| f.metadata().map(|m| m.len()).unwrap_or(0)).sum::<u64>();
        }
    }
    bytes as f64 / status["poller"]["interfaceSamplesTotal"].as_f64().unwrap().max(1.0)
}

/// net-snmp's snmpbulkget against every agent, two at a time; answers wall and CPU seconds.
fn snmpbulkget(ports: &[u16], interfaces: u32) -> (f64, f64) {
    let columns = ["1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"];
    let cpu_before = children_cpu_secs();
    let started = Instant::now();
    for pair in ports.chunks(2) {
        let children: Vec<Child> = pair
            .iter()
            .map(|port| {
                Command::new("snmpbulkget")
                    .args(["-v2c", "-c", "public", "-m", "", "-On", "-t", "1", "-r", "1", &format!("-Cr{interfaces}")])
                    .arg(format!("127.0.0.1:{port}"))
                    .args(columns)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("snmpbulkget")
            })
            .collect();
        for mut child in children {
            let _ = child.wait();
        }
    }
    (started.elapsed().as_secs_f64(), children_cpu_secs() - cpu_before)
}

/// CPU seconds of this process's waited-for children (fields cutime and cstime of /proc/self/stat).
fn children_cpu_secs() -> f64 {
    stat_fields("/proc/self/stat", 15, 16)
}

fn stat_fields(path: &str, a: usize, b: usize) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let after = text.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields counted from 1 in proc(5); `after` starts at field 3.
    let get = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (get(a) + get(b)) / 100.0
}

/// The real `vigie serve` (release build) on free loopback ports.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let default_bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/vigie");
        let bin = std::env::var("FLEET_VIGIE_BIN").unwrap_or_else(|_| default_bin.into());
        let child = Command::new(&bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data.join(""))
            .args(["--syslog-udp", "off", "--syslog-tcp", "off", "--trap-udp", "off", "--auth", "off"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vigie");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "vigie did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// User + system CPU seconds of the vigie process so far.
    fn cpu_secs(&self) -> f64 {
        stat_fields(&format!("/proc/{}/stat", self.child.id()), 14, 15)
    }

    /// Context switches (voluntary and not) of every thread of the vigie process so far: about
    /// one per wake-up of a thread.
    fn context_switches(&self) -> u64 {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).into_iter().flatten();
        tasks
            .filter_map(Result::ok)
            .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
            .flat_map(|status| {
                let counts: Vec<u64> = status
                    .lines()
                    .filter(|l| l.contains("ctxt_switches:"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
                    .collect();
                counts
            })
            .sum()
    }

    /// Descriptors the vigie process holds now (entries of /proc/PID/fd), and its soft limit
    /// (`Max open files` of /proc/PID/limits; Vigie raises it to the hard limit at start).
    fn descriptors(&self) -> (usize, String) {
        let open = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, |d| d.count());
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.child.id())).unwrap_or_default();
        let soft = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("?")
            .to_string();
        (open, soft)
    }

    /// A memory figure of /proc/PID/status in MB: `VmRSS:` now, `VmHWM:` the peak.
    fn rss_mb(&self, key: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }

    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
