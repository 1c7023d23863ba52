//! The simulator (`vigie::sim`) checked from outside: net-snmp's own tools walk it without
//! complaint, the real `vigie serve` polls it and shows rates within the configured bounds, and
//! an ignored benchmark measures its capacity on one core.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use vigie::sim::traffic::{RATE_MAX_FACTOR, RATE_MIN_FACTOR};
use vigie::sim::{AgentSpec, Behaviour, Fleet};
use vigie::snmp::ber;

use crate::vigie::Vigie;

const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const IF_TABLE: &str = ".1.3.6.1.2.1.2.2";
const IF_X_TABLE: &str = ".1.3.6.1.2.1.31.1.1.1";
const SYS_UP_TIME: &str = ".1.3.6.1.2.1.1.3.0";

/// A fleet served by its own runtime in the background, for as long as the value lives.
pub struct Background {
    runtime: tokio::runtime::Runtime,
    fleet: Option<Fleet>,
}

impl Background {
    pub fn start(specs: Vec<AgentSpec>) -> Background {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let fleet = runtime.block_on(Fleet::start(specs, LOOPBACK, 0)).expect("the fleet starts");
        Background { runtime, fleet: Some(fleet) }
    }

    pub fn fleet(&self) -> &Fleet {
        self.fleet.as_ref().expect("running")
    }

    pub fn port(&self, agent: usize) -> u16 {
        self.fleet().agents()[agent].addr.port()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(fleet) = self.fleet.take() {
            self.runtime.block_on(fleet.shutdown());
        }
    }
}

/// Runs a net-snmp tool; answers (success, stdout lines, stderr).
fn net_snmp(tool: &str, args: &[&str]) -> (bool, Vec<String>, String) {
    let output = Command::new(tool)
        .args(["-v2c", "-m", "", "-On", "-t", "1", "-r", "1"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
    (output.status.success(), stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The OIDs of a walk's lines, checking they strictly increase; the trailing "No more
/// variables" line that ends a walk at the end of the view is not a value.
fn walked_oids(lines: &[String]) -> Vec<Vec<u32>> {
    let oids: Vec<Vec<u32>> = lines
        .iter()
        .filter(|l| !l.contains("No more variables left"))
        .map(|l| {
            let oid = l.split(" = ").next().unwrap().trim_start_matches('.');
            oid.split('.').map(|arc| arc.parse().unwrap_or_else(|_| panic!("an OID: {l}"))).collect()
        })
        .collect();
    assert!(oids.windows(2).all(|w| w[0] < w[1]), "OIDs increase");
    oids
}

#[test]
fn net_snmp_walks_the_simulator() {
    let legacy = AgentSpec { hc: false, ..AgentSpec::new("sim-legacy", 8) };
    let sim = Background::start(vec![AgentSpec::new("sim-48", 48), legacy]);
    let target = format!("127.0.0.1:{}", sim.port(0));

    let (ok, lines, stderr) = net_snmp("snmpbulkwalk", &["-c", "public", "-Cr25", &target, IF_X_TABLE]);
    assert!(ok && !stderr.contains("not increasing"), "{stderr}");
    let oids = walked_oids(&lines);
    assert_eq!(oids.len(), 19 * 48, "every ifXTable column of every interface");
    assert_eq!(oids[0], [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1]);
    assert!(lines.iter().any(|l| l.starts_with(".1.3.6.1.2.1.31.1.1.1.6.48 = Counter64: ")), "ifHCInOctets.48");

    let (ok, lines, stderr) = net_snmp("snmpwalk", &["-c", "public", &target, IF_TABLE]);
    assert!(ok && !stderr.contains("not increasing"), "{stderr}");
    assert_eq!(walked_oids(&lines).len(), 22 * 48, "every ifTable column of every interface");

    let (ok, lines, _) = net_snmp("snmpget", &["-c", "public", &target, SYS_UP_TIME, ".1.3.6.1.2.1.2.2.1.10.49"]);
    assert!(ok);
    assert!(lines[0].starts_with(".1.3.6.1.2.1.1.3.0 = Timeticks: "), "{lines:?}");
    assert!(lines[1].contains("No Such Instance"), "{lines:?}");

    // A 32-bit-only agent has no HC columns: 11 ifXTable columns remain.
    let legacy_target = format!("127.0.0.1:{}", sim.port(1));
    let (ok, lines, stderr) = net_snmp("snmpbulkwalk", &["-c", "public", "-Cr25", &legacy_target, IF_X_TABLE]);
    assert!(ok, "{stderr}");
    assert_eq!(walked_oids(&lines).len(), 11 * 8);
    assert!(!lines.iter().any(|l| l.contains("Counter64")));

    // A wrong community gets no answer at all, like net-snmp's own agent.
    let (ok, _, stderr) = net_snmp("snmpget", &["-c", "private", "-t", "0.3", "-r", "0", &target, SYS_UP_TIME]);
    assert!(!ok && stderr.contains("Timeout"), "{stderr}");
    assert!(sim.fleet().stats().wrong_community.load(std::sync::atomic::Ordering::Relaxed) >= 1);

    // Garbage is counted and dropped; the agent still answers afterwards.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(b"\x30\x03\x02\x01", sim.fleet().agents()[0].addr).unwrap();
    let malformed = || sim.fleet().stats().malformed.load(std::sync::atomic::Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(5);
    while malformed() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(malformed(), 1);
    assert!(net_snmp("snmpget", &["-c", "public", &target, SYS_UP_TIME]).0);
}

fn interfaces(vigie: &Vigie, id: &str) -> Vec<Value> {
    vigie.get(&format!("/api/v1/devices/{id}/interfaces")).body.as_array().cloned().unwrap_or_default()
}

#[test]
fn vigie_polls_a_simulated_agent() {
    const RATE_BPS: f64 = 80e6;
    let spec = AgentSpec { rate_bps: RATE_BPS, seed: 5, ..AgentSpec::new("sim-polled", 8) };
    let sim = Background::start(vec![spec]);
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    let id = vigie.add_device("sim-polled", sim.port(0));

    let listed = vigie.wait_until(Duration::from_secs(30), "rates of every up interface", |v| {
        let list = interfaces(v, &id);
        let up: Vec<&Value> = list.iter().filter(|i| i["operStatus"] == "up").collect();
        (list.len() == 8 && !up.is_empty() && up.iter().all(|i| i["inBps"].is_number() && i["outBps"].is_number()))
            .then_some(list)
    });
    let device = vigie.device(&id);
    assert_eq!(device["status"]["state"], "up", "{device}");
    assert_eq!(device["system"]["sysName"], "sim-polled");
    // Measured over ~1 s polls, so allow 10 % for when each side reads its clock.
    let (low, high) = (RATE_MIN_FACTOR * RATE_BPS * 0.9, RATE_MAX_FACTOR * RATE_BPS * 1.1);
    for interface in &listed {
        assert_eq!(interface["counterBits"], 64, "{interface}");
        assert!(interface["ifName"].as_str().unwrap().starts_with("ge-0/0/"), "{interface}");
        if interface["operStatus"] == "up" {
            // The agent's own rate now: Vigie's last 1 s average is at most a few seconds old,
            // and the fastest variation (a 20 s period) moves it by a few percent a second.
            let if_index = interface["ifIndex"].as_u64().unwrap() as u32;
            let (in_bps, out_bps) = sim.fleet().rates_bps(0, if_index).unwrap();
            for (key, truth) in [("inBps", in_bps), ("outBps", out_bps)] {
                let bps = interface[key].as_f64().unwrap();
                assert!((low..=high).contains(&bps), "{key} {bps} outside [{low}, {high}]: {interface}");
                assert!((bps - truth).abs() <= 0.25 * truth, "{key} {bps}, the agent's rate {truth}: {interface}");
            }
        }
    }
}

/// `cargo test --release -p vigie --test integration sim_capacity -- --ignored --nocapture`:
/// the simulator alone on one thread (a current-thread runtime), one client thread sending
/// GETBULKs over loopback with a window of outstanding requests. Bounded in count and time.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn sim_capacity_on_one_core() {
    const AGENTS: usize = 200;
    const INTERFACES: u32 = 48;
    let columns: [(&str, &[&[u32]]); 2] = [
        (
            "2 columns (ifHCIn/OutOctets) x 48",
            &[&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6], &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10]],
        ),
        (
            "6 columns (HC octets, oper status, errors, discards) x 48",
            &[
                &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6],
                &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10],
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8],
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 14],
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 20],
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, 13],
            ],
        ),
    ];
    for (what, oids) in columns {
        let specs = (0..AGENTS).map(|i| AgentSpec { seed: i as u64, ..AgentSpec::new(format!("b{i}"), INTERFACES) });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let specs: Vec<AgentSpec> = specs.collect();
        let server = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let fleet = Fleet::start(specs, LOOPBACK, 0).await.unwrap();
                let addrs: Vec<SocketAddr> = fleet.agents().iter().map(|a| a.addr).collect();
                ready_tx.send((addrs, thread_cpu_secs())).unwrap();
                let _ = stop_rx.await;
                let cpu = thread_cpu_secs();
                fleet.shutdown().await;
                cpu
            })
        });
        let (addrs, cpu_start) = ready_rx.recv().unwrap();
        let client = drive(&addrs, oids, 60_000, Duration::from_secs(10));
        stop_tx.send(()).unwrap();
        let cpu = server.join().unwrap() - cpu_start;
        println!("simulator capacity, GETBULK of {what}, {AGENTS} agents:");
        println!(
            "  {} requests answered ({} timed out) in {:.2} s wall: {:.0} requests/s, {:.0} varbinds/s",
            client.answered,
            client.timed_out,
            client.wall_secs,
            client.answered as f64 / client.wall_secs,
            client.varbinds as f64 / client.wall_secs
        );
        println!(
            "  simulator thread CPU {:.2} s: {:.0} requests per CPU-second, {:.0} varbinds per CPU-second",
            cpu,
            client.answered as f64 / cpu,
            client.varbinds as f64 / cpu
        );
    }
}

struct Driven {
    answered: u64,
    timed_out: u64,
    varbinds: u64,
    wall_secs: f64,
}

/// Sends GETBULKs round-robin over `addrs`, `WINDOW` in flight, until `count` are answered
/// or `limit` has passed.
fn drive(addrs: &[SocketAddr], oids: &[&[u32]], count: u64, limit: Duration) -> Driven {
    const WINDOW: usize = 8;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let varbinds = null_varbinds(oids);
    let mut packet = Vec::new();
    let mut send = |n: u64| {
        let header = ber::Header {
            version: 1,
            community: b"public",
            pdu_type: ber::tag::GET_BULK,
            request_id: (n % 1_000_000_000) as i64,
            field_a: 0,
            field_b: 48,
        };
        ber::write_message(&mut packet, &header, &varbinds);
        socket.send_to(&packet, addrs[(n as usize) % addrs.len()]).unwrap();
    };
    let start = Instant::now();
    let (mut sent, mut in_flight) = (0u64, 0usize);
    let mut result = Driven { answered: 0, timed_out: 0, varbinds: 0, wall_secs: 0.0 };
    let mut buf = vec![0u8; 65_536];
    while result.answered < count && start.elapsed() < limit {
        while in_flight < WINDOW {
            send(sent);
            sent += 1;
            in_flight += 1;
        }
        match socket.recv(&mut buf) {
            Ok(len) => {
                let message = ber::parse_message(&buf[..len]).expect("a reply parses");
                result.varbinds += message.varbinds.count() as u64;
                result.answered += 1;
                in_flight -= 1;
            }
            Err(_) => {
                result.timed_out += in_flight as u64;
                in_flight = 0;
            }
        }
    }
    result.wall_secs = start.elapsed().as_secs_f64();
    result
}

/// CPU time (user + system) of the calling thread, from /proc (clock ticks of 1/100 s).
fn thread_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
fn dead_agents_stay_silent_and_closed_ports_are_refused() {
    let dead = AgentSpec { behaviour: Behaviour::Dead, ..AgentSpec::new("dead", 1) };
    let closed = AgentSpec { behaviour: Behaviour::Closed, ..AgentSpec::new("closed", 1) };
    let sim = Background::start(vec![dead, closed]);
    let target = format!("127.0.0.1:{}", sim.port(0));
    let (ok, _, stderr) = net_snmp("snmpget", &["-c", "public", "-t", "0.3", "-r", "0", &target, SYS_UP_TIME]);
    assert!(!ok && stderr.contains("Timeout"), "{stderr}");

    // A connected socket sees the kernel's ICMP port unreachable as a refused connection.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    socket.connect(sim.fleet().agents()[1].addr).unwrap();
    socket.send(b"anything").unwrap();
    let error = socket.recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused, "{error}");
}

#[test]
fn a_lossy_agent_drops_its_share_of_requests() {
    let lossy = AgentSpec { loss_percent: 50.0, ..AgentSpec::new("lossy", 2) };
    let sim = Background::start(vec![lossy]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let oid: &[&[u32]] = &[&[1, 3, 6, 1, 2, 1, 1, 3, 0]];
    let request = request_packet(ber::tag::GET, oid, 0);
    for _ in 0..200 {
        socket.send_to(&request, sim.fleet().agents()[0].addr).unwrap();
    }
    let mut answers = 0;
    while socket.recv(&mut [0u8; 1500]).is_ok() {
        answers += 1;
    }
    let stats = sim.fleet().stats();
    let lost = stats.lost.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(stats.requests.load(std::sync::atomic::Ordering::Relaxed), 200);
    assert_eq!(answers + lost, 200);
    assert!((40..=160).contains(&lost), "{lost} of 200 lost at 50 %");
}

/// The variable bindings of a request: each OID with a NULL value.
fn null_varbinds(oids: &[&[u32]]) -> Vec<u8> {
    let mut varbinds = Vec::new();
    for oid in oids {
        let mut contents = Vec::new();
        ber::encode_oid_contents(oid, &mut contents);
        let mut tlv = Vec::new();
        ber::write_bytes(&mut tlv, ber::tag::OID, &contents);
        ber::write_varbind(&mut varbinds, &tlv, &[ber::tag::NULL, 0]);
    }
    varbinds
}

/// A request for `oids` (max-repetitions `repetitions` for a GETBULK).
fn request_packet(pdu_type: u8, oids: &[&[u32]], repetitions: i64) -> Vec<u8> {
    let varbinds = null_varbinds(oids);
    let header =
        ber::Header { version: 1, community: b"public", pdu_type, request_id: 1, field_a: 0, field_b: repetitions };
    let mut packet = Vec::new();
    ber::write_message(&mut packet, &header, &varbinds);
    packet
}

/// `vigie serve --demo` over `data_dir` on a free port; killed when dropped.
struct DemoServe {
    child: std::process::Child,
    port: u16,
    started_secs: i64,
    http: reqwest::blocking::Client,
}

impl DemoServe {
    fn start(data_dir: &std::path::Path) -> DemoServe {
        let port = crate::ports::free_tcp_port();
        let child = Command::new(env!("CARGO_BIN_EXE_vigie"))
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(["--syslog-udp", "off", "--syslog-tcp", "off", "--trap-udp", "off", "--auth", "off"])
            .env_remove("VIGIE_CONFIG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start vigie serve --demo");
        let http = crate::vigie::client_builder().timeout(Duration::from_secs(5)).build().unwrap();
        let started_secs = now_secs();
        DemoServe { child, port, started_secs, http }
    }

    fn devices(&self) -> Vec<Value> {
        let url = format!("http://127.0.0.1:{}/api/v1/devices", self.port);
        self.http
            .get(url)
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    /// Waits until every demo device has been polled by this process and has the state expected
    /// of it; answers the device list.
    fn wait_for_states(&self, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let devices = self.devices();
            let state = |name: &str| {
                let device = devices.iter().find(|d| d["name"] == name)?;
                let polled = device["status"]["lastPollAt"].as_i64().is_some_and(|t| t >= self.started_secs);
                polled.then(|| device["status"]["state"].clone())
            };
            let ready = devices.len() == 5
                && ["demo-switch", "demo-router", "demo-old-switch", "demo-flaky-switch"]
                    .iter()
                    .all(|name| state(name) == Some("up".into()))
                && [Some("snmp_down".into()), Some("unreachable".into())].contains(&state("demo-dead"));
            if ready {
                return devices;
            }
            assert!(Instant::now() < deadline, "demo devices not ready: {devices:?}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for DemoServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn demo_mode_registers_its_devices_once_and_follows_their_ports() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    // Polled every 10 s, first polls spread over one interval; the dead one is down after 2 s more.
    let first = DemoServe::start(&data_dir);
    let devices = first.wait_for_states(Duration::from_secs(40));
    let ports = |devices: &[Value]| {
        let mut ports: Vec<(String, u64)> =
            devices.iter().map(|d| (d["name"].as_str().unwrap().to_owned(), d["port"].as_u64().unwrap())).collect();
        ports.sort();
        ports
    };
    let before = ports(&devices);
    drop(first);

    let second = DemoServe::start(&data_dir);
    let devices = second.wait_for_states(Duration::from_secs(40));
    let after = ports(&devices);
    assert_eq!(after.len(), 5, "no duplicates on a second start: {after:?}");
    assert_ne!(before, after, "ports are picked anew and the stored devices follow them");
}
