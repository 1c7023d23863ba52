//! `/metrics` scraped by a real Prometheus (Debian's package) with a viewer API token: the
//! exposition parses, carries the snmp_exporter names and labels, and Prometheus's
//! `rate(ifHCInOctets[20s]) * 8` matches Vigie's own `inBps` for an agent whose counters grow at
//! a fixed rate.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::free_tcp_port;

/// A Prometheus server on a free loopback port scraping one target every second.
struct Prometheus {
    child: Child,
    port: u16,
    http: reqwest::blocking::Client,
}

impl Prometheus {
    fn start(dir: &Path, target_port: u16, token: &str) -> Prometheus {
        let port = free_tcp_port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: vigie\n    honor_labels: true\n\
                 \x20   authorization:\n      credentials: {token}\n\
                 \x20   static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run prometheus (see scripts/install-deps.sh)");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        Prometheus { child, port, http }
    }

    /// The result vector of an instant query (empty while Prometheus starts).
    fn query(&self, promql: &str) -> Vec<Value> {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let Ok(answer) = self.http.get(url).query(&[("query", promql)]).send() else { return Vec::new() };
        let body: Value = answer.json().unwrap_or_default();
        body["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    fn value(sample: &Value) -> f64 {
        sample["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    }

    /// Waits until `promql` has a result, answering it.
    fn wait_for(&self, promql: &str, dir: &Path) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let result = self.query(promql);
            if !result.is_empty() {
                return result;
            }
            assert!(
                Instant::now() < deadline,
                "no result for {promql}; prometheus log:\n{}",
                std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prometheus_scrapes_metrics_and_its_rate_matches_vigies() {
    let mut fast = Interface::new(1, "ge-0/0/1");
    fast.alias = "uplink \"core\"".into();
    fast.in_octets = 1 << 40;
    fast.in_octets_per_sec = 1_250_000; // 10 Mbit/s
    fast.out_octets_per_sec = 250_000;
    fast.speed_bps = 1_000_000_000;
    let mut legacy = Interface::new(2, "fe-0/0/2");
    legacy.hc = false;
    legacy.in_octets_per_sec = 12_500;
    let agent = Snmpd::start(&[fast, legacy]);
    let data = tempfile::tempdir().unwrap();
    let (mut vigie, password) = crate::auth::start(data.path(), &[]);
    assert_eq!(vigie.get("/metrics").status, 401, "no metrics without credentials");
    let admin = crate::auth::first_admin(&vigie, &password);
    let (operator, _) = crate::auth::new_token(&vigie, &admin, "test", "operator");
    let (scraper, _) = crate::auth::new_token(&vigie, &admin, "prometheus", "viewer");
    vigie.use_token(&operator);
    let id = vigie.add_device("edge-1", agent.port());
    vigie.wait_until(Duration::from_secs(30), "a rate", |v| {
        let list = v.get(&format!("/api/v1/devices/{id}/interfaces")).body;
        list.as_array()?.iter().find(|i| i["ifIndex"] == 1)?["inBps"].as_f64()
    });

    let text = vigie.get("/metrics").text;
    let instance = format!("127.0.0.1:{}", agent.port());
    for line in [
        "# TYPE ifHCInOctets counter".to_string(),
        "# TYPE vigie_poll_duration_seconds histogram".to_string(),
        format!(
            "ifOperStatus{{device=\"edge-1\",instance=\"{instance}\",ifIndex=\"1\",ifName=\"ge-0/0/1\",ifDescr=\"ge-0/0/1\",ifAlias=\"uplink \\\"core\\\"\"}} 1"
        ),
        format!("ifHighSpeed{{device=\"edge-1\",instance=\"{instance}\",ifIndex=\"1\",ifName=\"ge-0/0/1\",ifDescr=\"ge-0/0/1\",ifAlias=\"uplink \\\"core\\\"\"}} 1000"),
    ] {
        assert!(text.lines().any(|l| l == line), "missing line {line:?} in:\n{text}");
    }
    assert!(text.contains("\nifInOctets{device=\"edge-1\""), "the 32-bit interface has ifInOctets:\n{text}");
    assert!(!text.contains("ifHCInOctets{device=\"edge-1\",instance=\"127.0.0.1:{}\",ifIndex=\"2\""));

    let dir = tempfile::tempdir().unwrap();
    let prometheus = Prometheus::start(dir.path(), vigie.port(), &scraper);
    let up = prometheus.wait_for("up{job=\"vigie\"}", dir.path());
    assert_eq!(Prometheus::value(&up[0]), 1.0, "the scrape succeeded: {up:?}");
    // 30 s of 1-second scrapes of 1-second polls, then Prometheus's rate against Vigie's.
    std::thread::sleep(Duration::from_secs(30));
    let promql = "rate(ifHCInOctets{device=\"edge-1\",ifName=\"ge-0/0/1\"}[20s]) * 8";
    let result = prometheus.wait_for(promql, dir.path());
    let prometheus_bps = Prometheus::value(&result[0]);
    let vigie_bps = vigie
        .get(&format!("/api/v1/devices/{id}/interfaces"))
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["ifIndex"] == 1)
        .unwrap()["inBps"]
        .as_f64()
        .unwrap();
    let expected = 10_000_000.0;
    println!("10 Mbit/s interface: Prometheus rate() {prometheus_bps:.0} bit/s, Vigie {vigie_bps:.0} bit/s");
    for (who, bps) in [("prometheus", prometheus_bps), ("vigie", vigie_bps)] {
        assert!((bps - expected).abs() / expected < 0.05, "{who} says {bps} bit/s, expected {expected}");
    }
    assert!((prometheus_bps - vigie_bps).abs() / vigie_bps < 0.05, "{prometheus_bps} vs {vigie_bps}");
    let polls = prometheus.wait_for("vigie_poll_duration_seconds_count", dir.path());
    assert!(Prometheus::value(&polls[0]) >= 20.0, "polls counted in the histogram: {polls:?}");
}
