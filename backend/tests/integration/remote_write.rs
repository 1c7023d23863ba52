//! Remote-write into real TSDBs: Debian's VictoriaMetrics single node and Prometheus (with its
//! remote-write receiver), on free loopback ports, fed by Vigie polling a simulated fleet.
//! The series arrive with the contract's names and labels; `vigie_interface_in_bps` holds
//! Vigie's own `inBps`; VictoriaMetrics stopped for ~30 s (and Vigie restarted meanwhile, its
//! queue reloaded from disk) loses no sample, the queue stays within its bound and drains to
//! zero; a second target, Prometheus, receives the same series.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::sim_process::SimProcess;
use crate::vigie::{free_tcp_port, Vigie};

const AGENTS: usize = 3;
const INTERFACES: u32 = 4;

/// A TSDB process on a fixed loopback port over a data dir the test owns, restartable (also
/// used by `bench.rs`).
pub struct Tsdb {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    kind: Kind,
    /// More command-line arguments (e.g. `-dedup.minScrapeInterval=5s` in `shards.rs`).
    extra: Vec<String>,
    http: reqwest::blocking::Client,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Victoria,
    Prometheus,
}

impl Tsdb {
    pub fn start(kind: Kind, dir: &Path) -> Tsdb {
        Tsdb::start_with(kind, dir, &[])
    }

    pub fn start_with(kind: Kind, dir: &Path, extra: &[&str]) -> Tsdb {
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        let extra = extra.iter().map(|a| a.to_string()).collect();
        let mut tsdb = Tsdb { child: None, port: free_tcp_port(), dir: dir.to_path_buf(), kind, extra, http };
        tsdb.run();
        tsdb
    }

    pub fn run(&mut self) {
        let listen = format!("127.0.0.1:{}", self.port);
        let data = self.dir.join("data");
        let mut command = match self.kind {
            Kind::Victoria => {
                let mut c = Command::new("victoria-metrics");
                c.arg(format!("-storageDataPath={}", data.display()))
                    .arg(format!("-httpListenAddr={listen}"))
                    .arg("-retentionPeriod=1d")
                    .args(&self.extra);
                c
            }
            Kind::Prometheus => {
                let config = self.dir.join("prometheus.yml");
                std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
                let mut c = Command::new("prometheus");
                c.arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.tsdb.path={}", data.display()))
                    .arg(format!("--web.listen-address={listen}"))
                    .arg("--web.enable-remote-write-receiver");
                c
            }
        };
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("log")).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run the TSDB (see scripts/install-deps.sh)");
        self.child = Some(child);
        let ready = if self.kind == Kind::Victoria { "/health" } else { "/-/ready" };
        self.wait("the TSDB is ready", Duration::from_secs(60), || {
            let answer = self.http.get(self.url(ready)).send().ok()?;
            answer.status().is_success().then_some(())
        });
    }

    pub fn stop(&mut self) {
        let mut child = self.child.take().expect("the TSDB runs");
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the TSDB did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn write_url(&self) -> String {
        self.url("/api/v1/write")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    pub fn wait<T>(&self, what: &str, timeout: Duration, check: impl Fn() -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check() {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting until {what}; TSDB log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// VictoriaMetrics' raw samples of every series `selector` matches: (labels, timestamp ms → value).
    pub fn export(&self, selector: &str) -> Vec<(BTreeMap<String, String>, BTreeMap<i64, f64>)> {
        let Ok(answer) = self.http.get(self.url("/api/v1/export")).query(&[("match[]", selector)]).send() else {
            return Vec::new();
        };
        let text = answer.text().unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|series| {
                let labels = series["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                let timestamps = series["timestamps"].as_array().unwrap().iter().map(|t| t.as_i64().unwrap());
                let values = series["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap());
                (labels, timestamps.zip(values).collect())
            })
            .collect()
    }

    /// The series of an instant query (Prometheus or VictoriaMetrics): their labels and values.
    fn query(&self, promql: &str) -> Vec<(BTreeMap<String, String>, Value)> {
        let Ok(answer) = self.http.get(self.url("/api/v1/query")).query(&[("query", promql)]).send() else {
            return Vec::new();
        };
        let body: Value = answer.json().unwrap_or_default();
        let result = body["data"]["result"].as_array().cloned().unwrap_or_default();
        result
            .into_iter()
            .map(|r| {
                let labels = r["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (labels, r["value"].clone())
            })
            .collect()
    }
}

impl Drop for Tsdb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `/status`'s remote-write entry for the target named `name`.
fn target_status(vigie: &Vigie, name: &str) -> Value {
    let status = vigie.get("/api/v1/status").body;
    let targets = status["remoteWrite"].as_array().cloned().unwrap_or_default();
    targets.into_iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no target {name} in {status}"))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Timestamps (ms) of the polls Vigie stored for `id`'s interface 1 in `[from_ms, to_ms]`.
fn vigie_polls(vigie: &Vigie, id: &str, from_ms: i64, to_ms: i64) -> BTreeSet<i64> {
    let path = format!("/api/v1/devices/{id}/interfaces/1/counters?from={}&to={}", from_ms / 1000, to_ms / 1000 + 1);
    let points = vigie.get(&path).body;
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["timestamp"].as_f64().unwrap() * 1000.0).round() as i64)
        .filter(|t| (from_ms..=to_ms).contains(t))
        .collect()
}

/// Timestamps of `name` for `id`'s interface 1 in VictoriaMetrics (all its series together),
/// sorted, one per sample stored (a sample stored twice would show twice).
fn tsdb_samples(vm: &Tsdb, name: &str, id: &str, from_ms: i64, to_ms: i64) -> Vec<i64> {
    let selector = format!("{name}{{device_id=\"{id}\",ifIndex=\"1\"}}");
    let Ok(answer) = vm.http.get(vm.url("/api/v1/export")).query(&[("match[]", selector.as_str())]).send() else {
        return Vec::new();
    };
    let text = answer.text().unwrap_or_default();
    let mut stamps: Vec<i64> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .flat_map(|series| series["timestamps"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_i64())
        .filter(|t| (from_ms..=to_ms).contains(t))
        .collect();
    stamps.sort_unstable();
    stamps
}

fn config_file(dir: &Path, vm: &Tsdb, prometheus: &Tsdb) -> PathBuf {
    let path = dir.join("vigie.toml");
    let text = format!(
        "[[remote_write]]\nurl = \"{}\"\n\n[[remote_write]]\nname = \"prometheus\"\nurl = \"{}\"\n\
         external_labels = {{ site = \"lab\" }}\nmax_queue_bytes = 8388608\n",
        vm.write_url(),
        prometheus.write_url()
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn samples_reach_victoria_metrics_and_prometheus_and_an_outage_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let vm_dir = dir.path().join("vm");
    let prom_dir = dir.path().join("prometheus");
    std::fs::create_dir_all(&vm_dir).unwrap();
    std::fs::create_dir_all(&prom_dir).unwrap();
    let mut vm = Tsdb::start(Kind::Victoria, &vm_dir);
    let prometheus = Tsdb::start(Kind::Prometheus, &prom_dir);
    let sim = SimProcess::start(AGENTS, INTERFACES);
    let data = dir.path().join("data");
    let vm_url = vm.write_url();
    let mut vigie = Vigie::start_with(&data, &["--remote-write-url", &vm_url]);
    let ids: Vec<String> = (0..AGENTS).map(|i| sim.add_to(&vigie, i, 1)).collect();
    let vm_name = format!("127-0-0-1-{}", vm.port);

    // The series arrive with the contract's names and labels.
    let rates = vm.wait("rates arrive in VictoriaMetrics", Duration::from_secs(60), || {
        let series = vm.export(&format!("vigie_interface_in_bps{{device_id=\"{}\",ifIndex=\"1\"}}", ids[0]));
        series.into_iter().find(|(_, samples)| samples.len() >= 3)
    });
    let interface = vigie.get(&format!("/api/v1/devices/{}/interfaces/1", ids[0])).body;
    let labels = &rates.0;
    assert_eq!(labels["device"], "sim-0000");
    assert_eq!(labels["instance"], format!("127.0.0.1:{}", sim.ports[0]));
    assert_eq!(labels["device_id"], ids[0]);
    assert_eq!(labels["ifIndex"], "1");
    assert_eq!(labels["ifName"], interface["ifName"].as_str().unwrap());
    assert_eq!(labels["ifDescr"], interface["ifDescr"].as_str().unwrap());
    let names = ["ifHCInOctets", "ifHCOutOctets", "ifOperStatus", "ifHighSpeed", "vigie_interface_out_bps"];
    for name in names {
        let found = vm.export(&format!("{name}{{device_id=\"{}\",ifIndex=\"2\"}}", ids[1]));
        assert_eq!(found.len(), 1, "{name} for interface 2 of sim-0001: {found:?}");
    }
    for name in ["sysUpTime", "vigie_device_up"] {
        let found = vm.export(&format!("{name}{{device_id=\"{}\"}}", ids[2]));
        assert_eq!(found.len(), 1, "{name} of sim-0002");
        assert!(!found[0].0.contains_key("ifIndex"));
    }

    // vigie_interface_in_bps holds Vigie's own inBps, second for second.
    let from = now_ms() / 1000 - 120;
    let traffic = vigie.get(&format!(
        "/api/v1/devices/{}/interfaces/1/traffic?from={from}&to={}&maxPoints=1000",
        ids[0],
        from + 120
    ));
    assert_eq!(traffic.body["stepSecs"], 1, "{}", traffic.text);
    let own: BTreeMap<i64, f64> = traffic.body["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["timestamp"].as_i64()?, p["inBps"].as_f64()?)))
        .collect();
    let mut compared = 0;
    for (at_ms, value) in &rates.1 {
        let second = at_ms.div_euclid(1000);
        let polls_that_second = rates.1.keys().filter(|t| t.div_euclid(1000) == second).count();
        if let (Some(own), 1) = (own.get(&second), polls_that_second) {
            assert_eq!(own, value, "inBps at {second}");
            compared += 1;
        }
    }
    assert!(compared >= 2, "compared {compared} rates: {:?} vs {own:?}", rates.1);

    // VictoriaMetrics goes away for ~30 s; Vigie is restarted in the middle of it.
    let outage_from = now_ms();
    vm.stop();
    std::thread::sleep(Duration::from_secs(12));
    let during = target_status(&vigie, &vm_name);
    assert!(during["queueSamples"].as_u64().unwrap() > 0, "{during}");
    assert!(during["attemptsFailed"].as_u64().unwrap() > 0, "{during}");
    assert!(during["lastError"].is_string(), "{during}");
    assert!(during["lagSecs"].as_f64().unwrap() >= 5.0, "{during}");
    assert!(during["queueBytes"].as_u64().unwrap() <= during["queueMaxBytes"].as_u64().unwrap());
    let metrics = vigie.get("/metrics").text;
    assert!(metrics.contains(&format!("vigie_remote_write_queue_samples{{target=\"{vm_name}\"}} ")), "{metrics}");
    vigie.terminate();
    let config = config_file(dir.path(), &vm, &prometheus);
    let mut vigie = Vigie::start_with(&data, &["--config", config.to_str().unwrap()]);
    let reloaded = target_status(&vigie, &vm_name);
    assert!(reloaded["queueSamples"].as_u64().unwrap() > 0, "the queue came back from disk: {reloaded}");
    std::thread::sleep(Duration::from_secs(15));
    vm.run();

    // The queue drains to zero; every poll made meanwhile is in VictoriaMetrics, once.
    let drained_at = vigie.wait_until(Duration::from_secs(120), "the queue drains", |v| {
        let t = target_status(v, &vm_name);
        (t["queueSamples"] == 0 && t["lagSecs"] == 0.0).then(now_ms)
    });
    let after = target_status(&vigie, &vm_name);
    assert_eq!(after["samplesDropped"], 0, "{after}");
    assert_eq!(after["samplesRejected"], 0, "{after}");
    let to = drained_at - 3000;
    for id in &ids {
        let polls = vigie_polls(&vigie, id, outage_from - 5000, to);
        assert!(polls.len() >= 25, "{} polls of {id} over the outage", polls.len());
        let stored = vm.wait("the queued samples are searchable", Duration::from_secs(30), || {
            let stored = tsdb_samples(&vm, "ifHCInOctets", id, outage_from - 5000, to);
            (stored.len() >= polls.len()).then_some(stored)
        });
        let polls: Vec<i64> = polls.into_iter().collect();
        assert_eq!(stored, polls, "ifHCInOctets of {id}: VictoriaMetrics holds exactly Vigie's polls, each once");
    }

    // The second target, Prometheus, receives the same series (with its external label).
    let promql = format!("vigie_interface_in_bps{{device_id=\"{}\",ifIndex=\"1\"}}", ids[0]);
    let in_prometheus = prometheus
        .wait("rates arrive in Prometheus", Duration::from_secs(60), || prometheus.query(&promql).into_iter().next());
    let mut expected = rates.0.clone();
    expected.insert("site".into(), "lab".into());
    assert_eq!(in_prometheus.0, expected, "the same labels as in VictoriaMetrics, plus site");
    let prom_status = target_status(&vigie, "prometheus");
    assert!(prom_status["samplesSent"].as_u64().unwrap() > 0, "{prom_status}");
    assert_eq!(prom_status["samplesRejected"], 0, "{prom_status}");
    assert_eq!(prom_status["queueMaxBytes"], 8_388_608);
    for name in ["ifHCInOctets", "sysUpTime", "vigie_device_up"] {
        let found = prometheus.query(&format!("{name}{{device_id=\"{}\"}}", ids[1]));
        assert!(!found.is_empty(), "{name} in Prometheus");
    }
}
