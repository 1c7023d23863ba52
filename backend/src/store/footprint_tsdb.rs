//! The footprint runs' counters (the same interfaces, rates and timestamps as
//! [`super::footprint`]) written into two TSDBs, to compare bytes per interface-sample with
//! Vigie's sealed store: Debian's VictoriaMetrics (its import API, explicit timestamps, then a
//! forced merge) and Prometheus's TSDB (`promtool tsdb create-blocks-from openmetrics`, in
//! 18-hour blocks: what Prometheus compacts 50 hours into with its default 15-day retention).
//! Two series per interface, as snmp_exporter names them: `ifHCInOctets` and `ifHCOutOctets`
//! with an `ifIndex` label (and `job`, `instance`). Prints, asserts only that the TSDBs took
//! every sample. Loopback and free ports only; everything in temp dirs. Run once, in release:
//! `cargo test --release -p vigie --lib store::footprint_tsdb -- --ignored --nocapture --test-threads 1`

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::footprint::{bytes_under, SimulatedPolls, ROWS};

const INTERFACES: u32 = 48;
const HOURS: i64 = 50;
const NAMES: [&str; 2] = ["ifHCInOctets", "ifHCOutOctets"];

/// Every poll's timestamp (ms) and counters, polls stamped by `at_ms`.
fn polls(rate_bps: f64, offset: u64, idle_percent: f64, at_ms: fn(i64) -> i64) -> Vec<(i64, Vec<[u64; 2]>)> {
    let sim = SimulatedPolls::new(INTERFACES, rate_bps, offset, idle_percent);
    (0..HOURS * 60).map(at_ms).map(|at_ms| (at_ms, sim.counters(at_ms))).collect()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits (at most `limit`) until `dir` has kept the same size for three seconds; answers it.
fn settled_size(dir: &Path, limit: Duration) -> u64 {
    let deadline = Instant::now() + limit;
    let (mut last, mut since) = (bytes_under(dir, ""), Instant::now());
    while Instant::now() < deadline && since.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(250));
        let now = bytes_under(dir, "");
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    last
}

/// A VictoriaMetrics on a free loopback port over `dir`, stopped when dropped.
struct Victoria {
    child: Child,
    port: u16,
    http: reqwest::blocking::Client,
}

impl Victoria {
    fn start(dir: &Path) -> Victoria {
        let port = free_tcp_port();
        let log = std::fs::File::create(dir.join("victoria-metrics.log")).unwrap();
        let child = Command::new("victoria-metrics")
            .arg(format!("-storageDataPath={}", dir.join("vm").display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=1y")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run victoria-metrics (see scripts/install-deps.sh)");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        let vm = Victoria { child, port, http };
        let deadline = Instant::now() + Duration::from_secs(30);
        while vm.get("/health").map(|r| r.status().is_success()).ok() != Some(true) {
            assert!(Instant::now() < deadline, "victoria-metrics did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        vm
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn get(&self, path: &str) -> reqwest::Result<reqwest::blocking::Response> {
        self.http.get(self.url(path)).send()
    }

    /// Bytes of the samples on disk after importing `polls` and a forced merge, and bytes of
    /// the whole storage dir (the index included).
    fn store(&self, dir: &Path, polls: &[(i64, Vec<[u64; 2]>)]) -> (u64, u64) {
        let timestamps: Vec<i64> = polls.iter().map(|p| p.0).collect();
        let mut body = String::new();
        for i in 0..INTERFACES as usize {
            for (d, name) in NAMES.iter().enumerate() {
                let values: Vec<u64> = polls.iter().map(|p| p.1[i][d]).collect();
                let metric = serde_json::json!({
                    "__name__": name, "ifIndex": (i + 1).to_string(), "job": "snmp", "instance": "sim-0000",
                });
                let line = serde_json::json!({"metric": metric, "values": values, "timestamps": timestamps});
                writeln!(body, "{line}").unwrap();
            }
        }
        let answer = self.http.post(self.url("/api/v1/import")).body(body).send().unwrap();
        assert!(answer.status().is_success(), "import: {}", answer.status());
        self.get("/internal/force_flush").unwrap();
        let count = self.sample_count();
        assert_eq!(count, polls.len() * INTERFACES as usize * 2, "VictoriaMetrics holds every sample");
        self.get("/internal/force_merge").unwrap();
        let vm = dir.join("vm");
        settled_size(&vm, Duration::from_secs(120));
        (bytes_under(&vm.join("data"), ""), bytes_under(&vm, ""))
    }

    /// How many samples the series hold, by `count_over_time` over the whole run.
    fn sample_count(&self) -> usize {
        let end = SimulatedPolls::at_ms(HOURS * 60) / 1000;
        let query = format!("sum(count_over_time({{job=\"snmp\"}}[{}h]))", HOURS + 1);
        let answer: serde_json::Value = self
            .http
            .get(self.url("/api/v1/query"))
            .query(&[("query", query.as_str()), ("time", &end.to_string())])
            .send()
            .unwrap()
            .json()
            .unwrap();
        let value = answer["data"]["result"][0]["value"][1].as_str().unwrap_or("0");
        value.parse().unwrap_or(0)
    }
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bytes of the Prometheus blocks `promtool` makes of `polls` (18-hour blocks), and of their
/// chunks alone.
fn prometheus_blocks(dir: &Path, polls: &[(i64, Vec<[u64; 2]>)]) -> (u64, u64) {
    let input = dir.join("samples.om");
    let mut text = String::new();
    for (d, name) in NAMES.iter().enumerate() {
        // No TYPE line: an OpenMetrics counter would need the `_total` suffix.
        for i in 0..INTERFACES as usize {
            for (at_ms, counters) in polls {
                let value = counters[i][d];
                writeln!(
                    text,
                    "{name}{{ifIndex=\"{}\",instance=\"sim-0000\",job=\"snmp\"}} {value} {}.{:03}",
                    i + 1,
                    at_ms / 1000,
                    at_ms % 1000
                )
                .unwrap();
            }
        }
    }
    text.push_str("# EOF\n");
    std::fs::write(&input, text).unwrap();
    let blocks = dir.join("blocks");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=18h", "--quiet"])
        .arg(&input)
        .arg(&blocks)
        .output()
        .expect("run promtool (Debian's prometheus package)");
    assert!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    let chunks: u64 = std::fs::read_dir(&blocks)
        .unwrap()
        .filter_map(Result::ok)
        .map(|block| bytes_under(&block.path().join("chunks"), ""))
        .sum();
    (bytes_under(&blocks, ""), chunks)
}

/// Bytes per interface-sample in VictoriaMetrics and Prometheus for the footprint rows.
#[test]
#[ignore]
fn tsdb_bytes_per_interface_sample() {
    println!(
        "{INTERFACES} interfaces, one reading every 60 s for {HOURS} h (the footprint test's counters), two series \
         per interface (ifHCInOctets, ifHCOutOctets); bytes per interface-sample:"
    );
    let samples = (u64::from(INTERFACES) * HOURS as u64 * 60) as f64;
    // The footprint rows (polls answered 60 s ± 100 ms apart, as the store test has them), then
    // the first row stamped exactly 60 s apart, as Prometheus stamps its scrapes.
    let regular = (ROWS[0].0, ROWS[0].1, ROWS[0].2, ROWS[0].3, SimulatedPolls::regular_at_ms as fn(i64) -> i64);
    let rows = ROWS.iter().map(|&(l, r, o, i)| (l, r, o, i, SimulatedPolls::at_ms as fn(i64) -> i64));
    for (k, (label, rate_bps, offset, idle_percent, at_ms)) in rows.chain([regular]).enumerate() {
        let polls = polls(rate_bps, offset, idle_percent, at_ms);
        let label = if k == ROWS.len() { format!("{label}, timestamps exactly 60 s apart") } else { label.to_string() };
        let dir = tempfile::tempdir().unwrap();
        let (vm_data, vm_all) = Victoria::start(dir.path()).store(dir.path(), &polls);
        let (prom_all, prom_chunks) = prometheus_blocks(dir.path(), &polls);
        println!(
            "  {label}: VictoriaMetrics {:.2} B (samples; {:.2} B with its index), Prometheus {:.2} B \
             (chunks; {:.2} B with index and metadata)",
            vm_data as f64 / samples,
            vm_all as f64 / samples,
            prom_chunks as f64 / samples,
            prom_all as f64 / samples,
        );
    }
}
