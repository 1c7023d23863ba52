//! Measurements for the closing notes, not tests: `cargo test --release -p vigie --test
//! integration bench -- --ignored --nocapture`. Prints figures; asserts nothing about time.
//!
//! The agent is net-snmp with the Python pass_persist fixture, which costs ~50-100 µs per varbind:
//! the poll time printed here is mostly the agent's, an upper bound for Vigie's part.

use std::time::Duration;

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

const INTERFACES: u32 = 48;
const POLLS: usize = 15;

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_poll_one_48_interface_device() {
    let interfaces: Vec<Interface> = (1..=INTERFACES)
        .map(|i| {
            let mut itf = Interface::new(i, format!("ge-0/0/{i}"));
            itf.in_octets = u64::MAX / 3 + u64::from(i) * 1_000_003;
            itf.out_octets = u64::MAX / 5;
            itf.in_octets_per_sec = 1_250_000 + u64::from(i);
            itf.out_octets_per_sec = 625_000;
            itf
        })
        .collect();
    let agent = Snmpd::start(&interfaces);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start(&data_dir);
    let id = vigie.add_device("bench-48", agent.port());
    let mut durations = Vec::new();
    let mut last_poll = None;
    vigie.wait_until(Duration::from_secs(60), "enough polls", |v| {
        let status = v.device(&id)["status"].clone();
        (status["lastPollAt"] != serde_json::Value::Null && status["state"] == "up").then_some(())
    });
    while durations.len() < POLLS {
        let status = vigie.device(&id)["status"].clone();
        if status["lastPollAt"] != last_poll.clone().unwrap_or_default() {
            last_poll = Some(status["lastPollAt"].clone());
            durations.push(status["lastPollDurationMs"].as_u64().unwrap());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let first = durations[0];
    let mut steady: Vec<u64> = durations[1..].to_vec();
    steady.sort_unstable();
    let samples_dir = data_dir.join("devices").join(&id).join("samples");
    let (mut bytes, mut lines) = (0u64, 0u64);
    for entry in std::fs::read_dir(&samples_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        bytes += text.len() as u64;
        lines += text.lines().count() as u64;
    }
    println!("poll of one {INTERFACES}-interface device (net-snmp + pass_persist agent, loopback):");
    println!("  first poll (inventory + system + counters): {first} ms");
    println!(
        "  steady polls (counters): median {} ms, min {} ms, max {} ms over {} polls",
        steady[steady.len() / 2],
        steady[0],
        steady[steady.len() - 1],
        steady.len()
    );
    println!(
        "  raw samples on disk: {bytes} bytes in {lines} polls = {:.1} bytes per interface-sample",
        bytes as f64 / (lines as f64 * f64::from(INTERFACES))
    );
}

/// Sustained syslog ingest over real UDP sockets: steps of increasing rate, 5 s each; prints
/// what was sent, received by Vigie, stored and dropped. Loss is sent minus stored.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_syslog_ingest() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let target = ("127.0.0.1", vigie.syslog_port);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let counts = |v: &Vigie| {
        let logs = v.get("/api/v1/status").body["logs"].clone();
        (logs["syslogReceived"].as_u64().unwrap(), logs["stored"].as_u64().unwrap(), logs["dropped"].as_u64().unwrap())
    };
    println!("syslog ingest over UDP, 5 s per step (messages of ~110 bytes, RFC 3164):");
    println!("{:>10} {:>10} {:>10} {:>10} {:>10} {:>8}", "rate/s", "sent", "received", "stored", "dropped", "loss");
    for rate in [10_000u64, 20_000, 40_000, 80_000, 120_000] {
        let (r0, s0, d0) = counts(&vigie);
        let started = std::time::Instant::now();
        let mut sent = 0u64;
        while started.elapsed() < Duration::from_secs(5) {
            // Send in 1 ms slices to hold the rate.
            let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due {
                let line = format!(
                    "<134>Nov 25 13:40:00 bench-sw app[7]: message {sent} %LINK-3-UPDOWN Gi0/{} down",
                    sent % 48
                );
                socket.send_to(line.as_bytes(), target).unwrap();
                sent += 1;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        std::thread::sleep(Duration::from_secs(2)); // let the queue drain
        let (r1, s1, d1) = counts(&vigie);
        let stored = s1 - s0;
        println!(
            "{rate:>10} {sent:>10} {:>10} {stored:>10} {:>10} {:>7.2}%",
            r1 - r0,
            d1 - d0,
            100.0 * (sent.saturating_sub(stored)) as f64 / sent as f64
        );
    }
}

/// `/metrics` for 100,032 interfaces (2,084 simulated agents × 48): time to the first byte and to
/// the whole answer, its size, and the server's CPU time per scrape (utime + stime of the Vigie
/// process from `/proc/PID/stat`, which background polling adds to a little), over five scrapes
/// without compression and five with `Accept-Encoding: gzip`, as Prometheus scrapes.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_metrics_exposition_100k_interfaces() {
    const AGENTS: usize = 2_084;
    let sim = crate::sim_process::SimProcess::start(AGENTS, 48);
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    for i in 0..AGENTS {
        sim.add_to(&vigie, i, 60);
    }
    vigie.wait_until(Duration::from_secs(180), "every interface polled", |v| {
        (v.get("/api/v1/status").body["interfaces"].as_u64()? >= AGENTS as u64 * 48).then_some(())
    });
    std::thread::sleep(Duration::from_secs(65)); // a second round, so every interface has counters
    let http = crate::vigie::client_builder().timeout(Duration::from_secs(120)).build().unwrap();
    println!("/metrics, {} interfaces:", AGENTS * 48);
    for encoding in ["identity", "gzip"] {
        for _ in 0..5 {
            let cpu_before = cpu_ms(vigie.pid());
            let started = std::time::Instant::now();
            let mut response =
                http.get(vigie.url("/metrics")).header("accept-encoding", encoding).send().expect("/metrics answers");
            let sent = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            let mut first = [0u8; 1];
            std::io::Read::read_exact(&mut response, &mut first).unwrap();
            let first_byte = started.elapsed();
            let mut body = first.to_vec();
            std::io::Read::read_to_end(&mut response, &mut body).unwrap();
            let whole = started.elapsed();
            let cpu = cpu_ms(vigie.pid()) - cpu_before;
            let wire = body.len();
            if sent.as_deref() == Some("gzip") {
                let mut text = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
                body = text;
            }
            let lines = body.iter().filter(|&&b| b == b'\n').count();
            println!(
                "  {encoding:>8} ({}): server CPU {cpu:>5} ms, first byte {:>6.1} ms, whole answer {:>6.1} ms, \
                 {:.1} MB on the wire, {:.1} MB of text, {lines} lines",
                sent.as_deref().unwrap_or("identity"),
                first_byte.as_secs_f64() * 1e3,
                whole.as_secs_f64() * 1e3,
                wire as f64 / 1e6,
                body.len() as f64 / 1e6
            );
        }
    }
}

/// User plus system CPU time of a process so far, in milliseconds (`/proc/PID/stat`, in clock
/// ticks of 10 ms).
fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks = |i: usize| fields[i].parse::<u64>().unwrap();
    // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
    (ticks(11) + ticks(12)) * 1000 / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> u64 {
    let out = std::process::Command::new("getconf").arg("CLK_TCK").output().expect("run getconf");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(100)
}

/// Remote-write's cost: the same simulated fleet polled by Vigie without and with remote-write
/// to a VictoriaMetrics single node; interface samples per CPU-second of Vigie in each run, and
/// the bytes sent per remote-written sample. `BENCH_RW_DEVICES` (default 2000, 48 interfaces
/// each), `BENCH_RW_INTERVAL_SECS` (60), window measured: two intervals, from once the warm-up's
/// backlog is sent. Vigie logs at `BENCH_RW_LOG` (`warn`, as the fleet benchmark: `debug`, the
/// tests' level, costs more than polling itself); `BENCH_RW_PHASES` (`off,on`) picks the runs,
/// `BENCH_RW_VIGIE_BIN` another build of vigie to measure, `BENCH_RW_SIM_BIN` the build that runs
/// the simulator (this one by default: a debug test binary can then measure release builds with
/// a release simulator).
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_remote_write_cpu_per_sample() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let agents = env("BENCH_RW_DEVICES", 2000);
    let interval = env("BENCH_RW_INTERVAL_SECS", 60) as u32;
    let log = std::env::var("BENCH_RW_LOG").unwrap_or_else(|_| "warn".into());
    let phases = std::env::var("BENCH_RW_PHASES").unwrap_or_else(|_| "off,on".into());
    let bin = std::env::var("BENCH_RW_VIGIE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_vigie").into());
    let sim_bin = std::env::var("BENCH_RW_SIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_vigie").into());
    let sim = crate::sim_process::SimProcess::start_bin(&sim_bin, agents, 48);
    let dir = tempfile::tempdir().unwrap();
    let vm_dir = dir.path().join("vm");
    std::fs::create_dir_all(&vm_dir).unwrap();
    let vm = crate::remote_write::Tsdb::start(crate::remote_write::Kind::Victoria, &vm_dir);
    println!("remote-write cost, {agents} devices x 48 interfaces polled every {interval} s, RUST_LOG={log}, {bin}:");
    let mut per_cpu_second = Vec::new();
    for remote_write in [false, true] {
        if !phases.split(',').any(|p| p.trim() == if remote_write { "on" } else { "off" }) {
            continue;
        }
        let data = dir.path().join(format!("data-{remote_write}"));
        let url = vm.write_url();
        let extra: Vec<&str> = if remote_write { vec!["--remote-write-url", &url] } else { Vec::new() };
        let mut vigie = Vigie::start_bin(&bin, &data, &extra, &[("RUST_LOG", &log)]);
        for i in 0..agents {
            sim.add_to(&vigie, i, interval);
        }
        vigie.wait_until(Duration::from_secs(300), "every interface polled", |v| {
            (v.get("/api/v1/status").body["interfaces"].as_u64()? >= agents as u64 * 48).then_some(())
        });
        std::thread::sleep(Duration::from_secs(u64::from(interval) + 5)); // steady: counters and rates
        if remote_write {
            // The first polls make every series new to the TSDB, which takes them slowly: what
            // piled up then (spilled to disk) is sent before the window, not in it. The backlog is
            // gone when the oldest sample waiting is a few seconds old (in the steady state a
            // request or two always waits, so `queueSegments` need not reach 0).
            vigie.wait_until(Duration::from_secs(600), "the remote-write queue drained", |v| {
                let target = &v.get("/api/v1/status").body["remoteWrite"][0];
                (target["lagSecs"].as_f64()? < 5.0).then_some(())
            });
        }
        let read = |v: &Vigie| {
            let status = v.get("/api/v1/status").body;
            let sent = &status["remoteWrite"][0];
            (
                status["poller"]["interfaceSamplesTotal"].as_u64().unwrap(),
                sent["samplesSent"].as_u64().unwrap_or(0),
                sent["bytesSent"].as_u64().unwrap_or(0),
            )
        };
        let (cpu_before, before) = (cpu_ms(vigie.pid()), read(&vigie));
        std::thread::sleep(Duration::from_secs(2 * u64::from(interval)));
        let (cpu_after, after) = (cpu_ms(vigie.pid()), read(&vigie));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let cpu_secs = (cpu_after - cpu_before) as f64 / 1000.0;
        let samples = after.0 - before.0;
        let rate = samples as f64 / cpu_secs;
        per_cpu_second.push(rate);
        print!(
            "  remote-write {}: {samples} interface samples, Vigie CPU {cpu_secs:.2} s: {rate:.0} interface samples per CPU-second",
            if remote_write { "on " } else { "off" }
        );
        if remote_write {
            let (sent, bytes) = (after.1 - before.1, after.2 - before.2);
            print!(
                "; {sent} series samples sent ({:.1} per interface sample), {:.2} bytes per series sample, {:.0} per interface sample on the wire",
                sent as f64 / samples as f64,
                bytes as f64 / sent as f64,
                bytes as f64 / samples as f64
            );
        }
        println!(" (load average {})", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
        drop(vigie); // killed: a graceful stop of 2,000 devices is not what is measured here
    }
    if let [off, on] = per_cpu_second[..] {
        println!("  CPU per interface sample, on / off: {:.2}", off / on);
    }
}
