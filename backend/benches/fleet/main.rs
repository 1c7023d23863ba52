//! The fleet benchmark: a simulated fleet, the real `vigie serve` polling it, and net-snmp's
//! `snmpbulkget` polling the same fleet in the same run. Prints figures; asserts nothing.
//!
//! `cargo bench -p vigie --bench fleet` (builds the release binary first). Environment:
//! `FLEET_SIZES` (default `100,1000,2000`), `FLEET_INTERFACES` (48), `FLEET_INTERVAL_SECS` (60;
//! a list such as `10,60` runs every size at each interval),
//! `FLEET_WINDOW_SECS` (steady window measured, default two intervals, started once every
//! device was polled and a whole interval then passed without a late poll), `FLEET_DEAD_PERCENT` (0),
//! `FLEET_CLOSED_PERCENT` (0), `FLEET_ALIGN_SECS` (0: when set, the window starts at the next
//! multiple of it in Unix time, e.g. 3600 for a window from one hour's start, which holds every
//! device's hourly rollup writes), `FLEET_WARM_SECS` (0: when set, the fleet runs that long
//! after it settled before the window starts; 600 passes every device's first rollup write,
//! which falls 5 to 10 minutes after its first poll and creates its rollup directories and
//! files, a one-off that a window of a fleet's first minutes holds and a steady state does not),
//! `FLEET_VERSIONS` (`v2c,v3`: each size is run once per version;
//! v3 is authPriv with SHA-256 and AES-128, and the run ends with the CPU ratio v3 / v2c per
//! interface-sample), `FLEET_REPLY_CAPS` (`0,1472`: each v2c size is run once per cap on the
//! agents' replies, 0 being the simulator's default of 8,000 bytes), `FLEET_IDLE_SECS` (60: the
//! idle row, Vigie with no device, measured first; 0 skips it), `FLEET_EXTERNAL` (agents already
//! listening, e.g. `vigie sim --base-port` in other processes or net-snmp's snmpd, as
//! comma-separated `[address:]first-last` port ranges on loopback addresses, 127.0.0.1 when
//! left out: they are polled instead of the in-process fleet, with `FLEET_SIZES` ignored),
//! `FLEET_BULKGET` (1: time net-snmp's `snmpbulkget` over the same agents; 0 skips it),
//! `FLEET_VIGIE_BIN` (the vigie binary to measure, default this
//! workspace's release build), `FLEET_HISTORY` (1: synthesize a year of one device's history
//! before each size and time the API on it; 0 skips both, about a minute per size on a loaded
//! machine), `FLEET_PING_SECS` (each device's `pingIntervalSecs`; unset: the default, 30 s;
//! 0 turns the ICMP echo rounds off, to measure the polls alone; a list such as `default,0`
//! runs both). The run ends with a summary table, one row per configuration measured, with the
//! idle row's figure. All traffic stays on loopback.
//! Devices are added through the import API (`POST /devices/import`, CSV, up to 1,000 a
//! request). Each size reports vigie's CPU (and its split per thread, in µs a poll: the poller,
//! the store writer, the rest), RSS, open file descriptors and their soft limit, and how busy
//! the whole machine was in the window (its CPUs, the share the host stole, the load average);
//! the benchmark raises its own soft limit to the hard one first (the in-process fleet holds
//! one socket per agent). A million interfaces: `FLEET_SIZES=5000 FLEET_INTERFACES=200`; ten
//! million: the README's "Ten million interfaces" (simulators in processes of their own).

mod agents;
mod history;
mod machine;
mod server;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use vigie::sim::{Fleet, SimArgs, SimVersion};
use vigie::snmp::{AuthProtocol, PrivProtocol};

use agents::{V3_AUTH_PASSWORD, V3_PRIV_PASSWORD};
use history::{dir_mb, now, raw_bytes_per_sample, synthesize_history};
use machine::MachineReading;
use server::Server;

/// Above this many devices, the run reads who is down from `/status` rather than the whole
/// device list, which takes seconds to serialize at that size.
const LISTED_DEVICES: usize = 5000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A comma-separated list from the environment (`default` when unset); items that do not parse
/// are left out.
fn env_list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    let text = std::env::var(name).unwrap_or_else(|_| default.into());
    text.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

/// One configuration measured: a row of the summary.
struct Run {
    size: usize,
    interfaces: u32,
    interval: u64,
    window: Window,
    /// Each device's `pingIntervalSecs`; `None`: Vigie's default.
    ping: Option<u32>,
    v3: bool,
    /// The agents' reply cap in bytes; 0: the simulator's default.
    cap: u16,
}

/// When the measured window starts and how long it lasts.
#[derive(Clone, Copy)]
struct Window {
    secs: u64,
    /// How long the fleet runs after it settled, before the window (or its alignment).
    warm: u64,
    /// The multiple of Unix time the window starts at (0: at once).
    align: u64,
}

/// What a run measured over its window.
#[derive(Default)]
struct Measured {
    polls: u64,
    failed: u64,
    late: u64,
    samples: u64,
    cpu: f64,
    /// Vigie's interface-samples per CPU-second over snmpbulkget's, in the same run.
    bulkget_ratio: Option<f64>,
}

impl Measured {
    fn per_cpu_second(&self) -> f64 {
        self.samples as f64 / self.cpu.max(1e-9)
    }
}

fn main() {
    let sizes: Vec<usize> = env_list("FLEET_SIZES", "100,1000,2000");
    let interfaces: u32 = env_or("FLEET_INTERFACES", 48);
    let intervals: Vec<u64> = env_list("FLEET_INTERVAL_SECS", "60");
    let window: Option<u64> = std::env::var("FLEET_WINDOW_SECS").ok().and_then(|w| w.parse().ok());
    let dead: f64 = env_or("FLEET_DEAD_PERCENT", 0.0);
    let closed: f64 = env_or("FLEET_CLOSED_PERCENT", 0.0);
    let align: u64 = env_or("FLEET_ALIGN_SECS", 0);
    let warm: u64 = env_or("FLEET_WARM_SECS", 0);
    let versions: Vec<String> =
        env_list::<String>("FLEET_VERSIONS", "v2c,v3").into_iter().filter(|v| v == "v2c" || v == "v3").collect();
    let caps: Vec<u16> = env_list("FLEET_REPLY_CAPS", "0,1472");
    // "default" (or anything not a number) leaves the devices' ping interval to Vigie.
    let pings: Vec<Option<u32>> =
        env_list::<String>("FLEET_PING_SECS", "default").iter().map(|p| p.parse().ok()).collect();
    let idle: u64 = env_or("FLEET_IDLE_SECS", 60);
    // The in-process fleet holds a socket per agent: 5,000 agents need more than the usual soft
    // limit of 1,024, so the bench raises its own soft limit to the hard one, as Vigie does.
    let limit = vigie::open_files::raise_to_hard_limit();
    println!("bench: open files limit {limit}");
    if std::env::var_os("FLEET_VIGIE_BIN").is_none() {
        let status = Command::new("cargo").args(["build", "--release", "-q", "-p", "vigie"]).status().expect("cargo");
        assert!(status.success(), "release build");
    }
    println!("fleet benchmark: {interfaces} interfaces per device, polled every {intervals:?} s, dead {dead} %, closed {closed} %");
    let idle = (idle > 0).then(|| idle_row(idle));
    let mut rows: Vec<(Run, Measured)> = Vec::new();
    let external = std::env::var("FLEET_EXTERNAL").ok().map(|spec| {
        let agents = agents::parse_external(&spec).unwrap_or_else(|e| panic!("FLEET_EXTERNAL: {e}"));
        println!("\nexternal fleet: {} agents on {spec}", agents.len());
        agents
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    for (&interval, &ping) in intervals.iter().flat_map(|i| pings.iter().map(move |p| (i, p))) {
        let run = |size, v3, cap| Run {
            size,
            interfaces,
            interval,
            window: Window { secs: window.unwrap_or(2 * interval), warm, align },
            ping,
            v3,
            cap,
        };
        if let Some(agents) = &external {
            let run = run(agents.len(), false, 0);
            let measured = run_size(&run, agents);
            rows.push((run, measured));
            continue;
        }
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
                    let fleet = runtime
                        .block_on(Fleet::start(args.specs(), [127, 0, 0, 1].into(), 0))
                        .expect("start the fleet");
                    let agents: Vec<SocketAddr> = fleet.agents().iter().map(|a| a.addr).collect();
                    if cap > 0 {
                        println!("\n(agents' replies capped at {cap} bytes)");
                    }
                    let run = run(size, v3, cap);
                    let measured = run_size(&run, &agents);
                    if cap == 0 && measured.samples > 0 {
                        per_thousand.push((version.clone(), 1000.0 * measured.cpu / measured.samples as f64));
                    }
                    rows.push((run, measured));
                    runtime.block_on(fleet.shutdown());
                }
            }
            if let [(_, v2c), (_, v3)] = per_thousand.as_slice() {
                println!(
                    "\n{size} devices: CPU-seconds per 1,000 interface-samples, v2c {v2c:.4}, v3 authPriv (SHA-256 + AES-128) {v3:.4}: v3 / v2c = {:.2}",
                    v3 / v2c
                );
            }
        }
    }
    print_summary(&rows, idle);
}

/// The run's rows as one Markdown table, and the idle figure (CPU-seconds per minute).
fn print_summary(rows: &[(Run, Measured)], idle: Option<f64>) {
    println!("\n== summary ({} interfaces per device)", rows.first().map_or(0, |(run, _)| run.interfaces));
    if let Some(idle) = idle {
        println!("idle, no device: {idle:.4} CPU-seconds per minute");
    }
    println!("| devices | interval | replies | echo rounds | SNMP | interface-samples per CPU-second | vigie CPU / window | ratio to snmpbulkget | polls, failed, late |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (run, m) in rows {
        let replies = if run.cap == 0 { "uncapped".to_string() } else { format!("≤ {} B", run.cap) };
        let pings = match run.ping {
            None => "default (30 s)".to_string(),
            Some(0) => "off".to_string(),
            Some(secs) => format!("every {secs} s"),
        };
        let ratio = m.bulkget_ratio.map_or("-".to_string(), |r| format!("{r:.1}"));
        println!(
            "| {} | {} s | {replies} | {pings} | {} | {:.0} | {:.3} s / {} s | {ratio} | {}, {}, {} |",
            run.size,
            run.interval,
            if run.v3 { "v3" } else { "v2c" },
            m.per_cpu_second(),
            m.cpu,
            run.window.secs,
            m.polls,
            m.failed,
            m.late
        );
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

/// Measures `run` against `agents`: Vigie started afresh, the devices imported, a window once
/// they settled, then the API's timings and snmpbulkget over the same agents.
fn run_size(run: &Run, agents: &[SocketAddr]) -> Measured {
    let Run { size, interfaces, interval, window: Window { secs: window, warm, align }, ping, v3, .. } = *run;
    let version = if v3 { "SNMPv3 authPriv SHA-256 + AES-128" } else { "SNMPv2c" };
    let pings = ping.map_or("echo rounds as by default".to_string(), |p| format!("pingIntervalSecs {p}"));
    println!("\n== {size} devices × {interfaces} interfaces, {version}, polled every {interval} s, {pings}");
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
    agents::add_devices(&http, &vigie, agents, (interval, ping), v3);
    let add_secs = added.elapsed().as_secs_f64();
    // Imported devices are polled within seconds: the time until every one has answered.
    let (all_polled, status) = agents::wait_all_polled(&http, &vigie, added);
    println!("added {size} devices through the API in {add_secs:.1} s; all polled once {all_polled:.1} s after the first was added");
    if size <= LISTED_DEVICES {
        report_down(&http.get(vigie.url("/api/v1/devices")).send().unwrap().json().unwrap());
    } else {
        println!("  up {}, SNMP down {}, unreachable {}", status["up"], status["snmpDown"], status["unreachable"]);
    }

    let status = |http: &reqwest::blocking::Client| -> Value {
        http.get(vigie.url("/api/v1/status")).send().unwrap().json().unwrap()
    };
    // A large fleet's first polls (inventory walks) can queue for minutes; a device whose first
    // poll ended past its second turn polls again at once (late), then on its grid. The window
    // starts once a whole interval passed without a late poll (at most ten intervals).
    let settle = Instant::now();
    let late = |http: &reqwest::blocking::Client| status(http)["poller"]["pollsLate"].as_u64().unwrap();
    for _ in 0..10 {
        let before = late(&http);
        std::thread::sleep(Duration::from_secs(interval));
        if late(&http) == before {
            break;
        }
    }
    println!("no late poll for one interval {:.0} s after all were polled once", settle.elapsed().as_secs_f64());
    if warm > 0 {
        println!("running {warm} s more before the window (FLEET_WARM_SECS)");
        std::thread::sleep(Duration::from_secs(warm));
    }
    if align > 0 {
        let wait = align - now() as u64 % align;
        println!("waiting {wait} s for the window to start at a multiple of {align} s");
        std::thread::sleep(Duration::from_secs(wait));
    }
    let before = status(&http);
    let cpu_before = vigie.cpu();
    let machine_before = MachineReading::now();
    println!("window starts: RSS {:.1} MB, data {:.1} MB", vigie.rss_mb("VmRSS:"), dir_mb(data.path()));
    std::thread::sleep(Duration::from_secs(window));
    let after = status(&http);
    let cpu_after = vigie.cpu();
    let machine = MachineReading::now().summary_since(&machine_before);
    let cpu = cpu_after.secs_since(&cpu_before);
    let (open, limit) = vigie.descriptors();
    println!(
        "window ends:   RSS {:.1} MB, data {:.1} MB, {open} file descriptors open (soft limit {limit})",
        vigie.rss_mb("VmRSS:"),
        dir_mb(data.path())
    );
    println!("{machine}");
    let vigie_cpu = cpu.max(1e-9);
    let delta = |key: &str| after["poller"][key].as_u64().unwrap() - before["poller"][key].as_u64().unwrap();
    let samples = delta("interfaceSamplesTotal");
    let mut measured = Measured {
        polls: delta("pollsTotal"),
        failed: delta("pollsFailed"),
        late: delta("pollsLate"),
        samples,
        cpu,
        bulkget_ratio: None,
    };
    println!(
        "steady {window} s: {} polls, {} failed, {} late; {samples} interface-samples; vigie CPU {cpu:.2} s = {:.1} % of one core",
        measured.polls,
        measured.failed,
        measured.late,
        100.0 * cpu / window as f64
    );
    if samples > 0 {
        println!(
            "  CPU-seconds per 1,000 interface-samples: {:.4}; interface-samples per CPU-second: {:.0}",
            1000.0 * cpu / samples as f64,
            samples as f64 / cpu.max(1e-9)
        );
        let threads = cpu_after.by_thread_since(&cpu_before);
        let per_poll = |secs: f64| secs * 1e6 / measured.polls.max(1) as f64;
        let split: Vec<String> = threads.iter().map(|(name, secs)| format!("{name} {:.1}", per_poll(*secs))).collect();
        println!("  µs of CPU a poll, per thread: {}", split.join(", "));
    }
    println!(
        "  peak RSS {:.1} MB; raw samples on disk {:.1} bytes per interface-sample",
        vigie.rss_mb("VmHWM:"),
        raw_bytes_per_sample(data.path(), history.as_deref(), &after)
    );

    let spans = [("1 h", 3_600), ("24 h", 86_400), ("30 d", 30 * 86_400), ("1 y", 365 * 86_400)];
    for (label, span) in history.as_ref().map_or(&[][..], |_| &spans[..]) {
        let history = history.as_deref().unwrap_or_default();
        let (p50, p99) = vigie.latency(
            &http,
            &format!("/api/v1/devices/{history}/interfaces/1/traffic?from={}", now() - *span),
            200,
        );
        println!("  API traffic of one interface over {label:>4}: p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    let listed = size + usize::from(history.is_some());
    if size <= LISTED_DEVICES {
        let (p50, p99) = vigie.latency(&http, "/api/v1/devices", 20);
        println!("  API device list ({listed} devices): p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    let (p50, p99) = vigie.latency(&http, "/api/v1/fleet/devices?limit=100", 20);
    println!("  API device page, the web UI's (100 of {listed} devices): p50 {p50:.2} ms, p99 {p99:.2} ms");
    vigie.stop();
    if v3 || env_or("FLEET_BULKGET", 1) == 0 {
        return measured; // snmpbulkget below speaks v2c
    }

    let (wall, cpu) = agents::snmpbulkget(agents, interfaces);
    let bulk_samples = (agents.len() * interfaces as usize) as f64;
    println!(
        "snmpbulkget, one -Cr{interfaces} request per device, 2 in parallel: {wall:.1} s wall, {cpu:.2} CPU-s = {:.0} interface-samples per CPU-second",
        bulk_samples / cpu.max(1e-9)
    );
    if samples > 0 && cpu > 0.0 {
        let ratio = (samples as f64 / vigie_cpu) / (bulk_samples / cpu);
        println!("  ratio, interface-samples per CPU-second, Vigie / snmpbulkget: {ratio:.1}");
        measured.bulkget_ratio = Some(ratio);
    }
    measured
}

/// Vigie with no device (no data dir content, receivers off): answers its CPU-seconds per
/// minute over `secs`.
fn idle_row(secs: u64) -> f64 {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Server::start(data.path());
    // Past the start's own work and the 10 s its blocking-pool threads live on idle (a thread
    // ending within the window would leave only the clock ticks to count with).
    std::thread::sleep(Duration::from_secs(15));
    let (before, switches_before) = (vigie.cpu(), vigie.context_switches());
    std::thread::sleep(Duration::from_secs(secs));
    let cpu = vigie.cpu().secs_since(&before);
    let wakeups = vigie.context_switches() - switches_before;
    println!(
        "\n== idle, no device: {cpu:.4} CPU-seconds over {secs} s = {:.4} CPU-seconds per minute; {:.0} thread wake-ups (context switches) per minute",
        cpu * 60.0 / secs as f64,
        wakeups as f64 * 60.0 / secs as f64
    );
    vigie.stop();
    cpu * 60.0 / secs as f64
}
