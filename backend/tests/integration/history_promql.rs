//! History read back by PromQL: a real VictoriaMetrics (Debian's `victoria-metrics`) on a free
//! loopback port, loaded through its import API with series following the remote-write contract
//! (known values, deliberate gaps), and a Vigie started with `--history-promql-url` answering the
//! traffic, latency and counters endpoints from it with the local backend's steps, timestamps and
//! nulls; and a TSDB that is down, silent, answering garbage, too much or an error gives a clear
//! 502 or 504.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::vigie::{free_tcp_port, Vigie};

/// A single-node VictoriaMetrics over a temp dir.
pub struct VictoriaMetrics {
    child: Child,
    port: u16,
    http: reqwest::blocking::Client,
}

impl VictoriaMetrics {
    pub fn start(dir: &Path) -> VictoriaMetrics {
        let port = free_tcp_port();
        let log = std::fs::File::create(dir.join("victoria-metrics.log")).unwrap();
        let child = Command::new("victoria-metrics")
            .arg(format!("-storageDataPath={}", dir.join("vm").display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=1d")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run victoria-metrics (see scripts/install-deps.sh)");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let vm = VictoriaMetrics { child, port, http };
        let deadline = Instant::now() + Duration::from_secs(30);
        while vm.http.get(vm.url("/health")).send().map(|r| r.status().is_success()).ok() != Some(true) {
            assert!(Instant::now() < deadline, "victoria-metrics did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        vm
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Imports series given as `(labels, [(time in ms, value)])` and makes them searchable.
    pub fn import(&self, series: &[(Value, Vec<(i64, f64)>)]) {
        let lines: Vec<String> = series
            .iter()
            .map(|(metric, samples)| {
                let timestamps: Vec<i64> = samples.iter().map(|s| s.0).collect();
                let values: Vec<f64> = samples.iter().map(|s| s.1).collect();
                json!({"metric": metric, "timestamps": timestamps, "values": values}).to_string()
            })
            .collect();
        let answer = self.http.post(self.url("/api/v1/import")).body(lines.join("\n")).send().unwrap();
        assert!(answer.status().is_success(), "import: {}", answer.status());
        self.http.get(self.url("/internal/force_flush")).send().unwrap();
    }
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A device that is never reached (its history comes from the TSDB), polled every minute.
fn add_device(vigie: &Vigie, name: &str) -> String {
    let answer = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": name, "host": "127.0.0.1", "port": free_tcp_port(),
                "snmp": {"version": "v2c", "community": "public"},
                "pollIntervalSecs": 60, "pingIntervalSecs": 0, "timeoutMs": 300, "retries": 0}),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

fn interface_labels(name: &str, id: &str, if_index: u32) -> Value {
    json!({"__name__": name, "device": "edge-1", "instance": "127.0.0.1:1161", "device_id": id,
           "ifIndex": if_index.to_string(), "ifName": format!("ge-0/0/{if_index}")})
}

fn column(points: &Value, key: &str) -> Vec<Option<f64>> {
    points["points"].as_array().unwrap().iter().map(|p| p[key].as_f64()).collect()
}

fn timestamps(points: &Value) -> Vec<i64> {
    points["points"].as_array().unwrap().iter().map(|p| p["timestamp"].as_i64().unwrap()).collect()
}

#[test]
fn history_is_read_back_by_promql_with_the_local_steps_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let vm = VictoriaMetrics::start(dir.path());
    let vigie = Vigie::start_with(&dir.path().join("data"), &["--history-promql-url", &vm.url("")]);
    let id = add_device(&vigie, "edge-1");
    let other = add_device(&vigie, "edge-2");

    // Ten minutes, half an hour ago: one poll per minute at T0 + 60 k + 0.5 s, none at k = 4, a
    // second one in minute 6.
    // On a 5-minute boundary, so that two 300 s steps cover the ten minutes.
    let t0 = (now_secs() - 1800) / 300 * 300;
    let polls: Vec<(i64, f64)> = (0..10)
        .filter(|k| *k != 4)
        .map(|k| ((t0 + 60 * k) * 1000 + 500, 1000.0 * (k + 1) as f64))
        .chain([((t0 + 390) * 1000 + 250, 9000.0)])
        .collect();
    let halves = |s: &[(i64, f64)]| s.iter().map(|(t, v)| (*t, v / 2.0)).collect::<Vec<_>>();
    vm.import(&[
        (interface_labels("vigie_interface_in_bps", &id, 3), polls.clone()),
        (interface_labels("vigie_interface_out_bps", &id, 3), halves(&polls)),
        // Another interface and another device, never to be mixed in.
        (interface_labels("vigie_interface_in_bps", &id, 4), vec![(t0 * 1000 + 500, 1e9)]),
        (interface_labels("vigie_interface_in_bps", &other, 3), vec![(t0 * 1000 + 500, 1e9)]),
        (interface_labels("ifHCInOctets", &id, 3), vec![(t0 * 1000 + 500, 1e6), ((t0 + 60) * 1000 + 512, 1.5e6)]),
        (interface_labels("ifHCOutOctets", &id, 3), vec![(t0 * 1000 + 500, 2e6), ((t0 + 60) * 1000 + 512, 2.5e6)]),
        (interface_labels("ifHCInOctets", &id, 3), vec![((t0 + 180) * 1000, 4e6)]),
        (
            json!({"__name__": "vigie_ping_loss_ratio", "device_id": id}),
            vec![((t0 + 1) * 1000, 0.0), ((t0 + 31) * 1000, 0.5), ((t0 + 61) * 1000, 1.0), ((t0 + 181) * 1000, 0.25)],
        ),
        (
            json!({"__name__": "vigie_ping_rtt_min_seconds", "device_id": id}),
            vec![((t0 + 1) * 1000, 0.001), ((t0 + 31) * 1000, 0.003), ((t0 + 181) * 1000, 0.002)],
        ),
        (
            json!({"__name__": "vigie_ping_rtt_avg_seconds", "device_id": id}),
            vec![((t0 + 1) * 1000, 0.002), ((t0 + 31) * 1000, 0.004), ((t0 + 181) * 1000, 0.003)],
        ),
        (
            json!({"__name__": "vigie_ping_rtt_max_seconds", "device_id": id}),
            vec![((t0 + 1) * 1000, 0.003), ((t0 + 31) * 1000, 0.009), ((t0 + 181) * 1000, 0.004)],
        ),
    ]);

    // Whole minutes: ten steps of 60 s at the minutes' starts, the missing poll a null.
    let traffic =
        vigie.get(&format!("/api/v1/devices/{id}/interfaces/3/traffic?from={t0}&to={}&maxPoints=10", t0 + 599));
    assert_eq!(traffic.status, 200, "{}", traffic.text);
    let traffic = traffic.body;
    assert_eq!(traffic["stepSecs"], 60, "{traffic}");
    assert_eq!(timestamps(&traffic), (0..10).map(|k| t0 + 60 * k).collect::<Vec<_>>());
    let expected_in: Vec<Option<f64>> = (0..10)
        .map(|k| match k {
            4 => None,
            6 => Some((7000.0 + 9000.0) / 2.0),
            k => Some(1000.0 * (k + 1) as f64),
        })
        .collect();
    assert_eq!(column(&traffic, "inBps"), expected_in, "{traffic}");
    let expected_max: Vec<Option<f64>> =
        expected_in.iter().enumerate().map(|(k, v)| if k == 6 { Some(9000.0) } else { *v }).collect();
    assert_eq!(column(&traffic, "inBpsMax"), expected_max);
    assert_eq!(column(&traffic, "outBps")[6], Some(4000.0));
    assert_eq!(column(&traffic, "outBpsMax")[6], Some(4500.0));
    assert!(
        traffic["points"][4].as_object().unwrap().values().filter(|v| v.is_null()).count() == 4,
        "a gap is all null"
    );

    // A window cutting both end minutes: the first minute's poll is before `from` (null), the
    // last minute keeps only what is before `to`; steps still start on minutes.
    let cut = vigie
        .get(&format!("/api/v1/devices/{id}/interfaces/3/traffic?from={}&to={}&maxPoints=10", t0 + 31, t0 + 389))
        .body;
    assert_eq!(timestamps(&cut), (0..7).map(|k| t0 + 60 * k).collect::<Vec<_>>(), "{cut}");
    assert_eq!(
        column(&cut, "inBps"),
        vec![None, Some(2000.0), Some(3000.0), Some(4000.0), None, Some(6000.0), Some(7000.0)]
    );
    assert_eq!(column(&cut, "inBpsMax")[6], Some(7000.0), "the poll at 390.25 s is after to");

    // Coarser steps average every poll in them, weighted by samples.
    let coarse =
        vigie.get(&format!("/api/v1/devices/{id}/interfaces/3/traffic?from={t0}&to={}&maxPoints=2", t0 + 599)).body;
    assert_eq!(coarse["stepSecs"], 300);
    assert_eq!(column(&coarse, "inBps")[0], Some((1000.0 + 2000.0 + 3000.0 + 4000.0) / 4.0));
    assert_eq!(column(&coarse, "inBpsMax")[1], Some(10000.0));

    // CSV from the same answer.
    let csv = vigie
        .get(&format!("/api/v1/devices/{id}/interfaces/3/traffic?from={t0}&to={}&maxPoints=10&format=csv", t0 + 599))
        .text;
    assert_eq!(csv.lines().count(), 11, "{csv}");
    assert!(csv.lines().nth(5).unwrap().ends_with(&format!(",{},,,,", t0 + 240)), "the gap's fields are empty: {csv}");

    // Latency: loss in percent, times in milliseconds, min of minima and max of maxima; a round
    // with every echo lost has no times; a minute without rounds is a gap.
    let latency = vigie.get(&format!("/api/v1/devices/{id}/latency?from={t0}&to={}&maxPoints=10", t0 + 599)).body;
    assert_eq!(latency["stepSecs"], 60, "{latency}");
    let near = |got: &[Option<f64>], want: &[Option<f64>]| {
        got.len() == want.len()
            && got.iter().zip(want).all(|(g, w)| match (g, w) {
                (Some(g), Some(w)) => (g - w).abs() < 1e-9,
                (g, w) => g == w,
            })
    };
    let loss = column(&latency, "lossPercent");
    assert!(near(&loss[..4], &[Some(25.0), Some(100.0), None, Some(25.0)]), "{latency}");
    assert!(near(&column(&latency, "rttMinMs")[..4], &[Some(1.0), None, None, Some(2.0)]), "{latency}");
    assert!(near(&column(&latency, "rttAvgMs")[..1], &[Some(3.0)]), "{latency}");
    assert!(near(&column(&latency, "rttMaxMs")[..1], &[Some(9.0)]), "{latency}");

    // Counters: the raw samples in [from, to], joined by time, millisecond times kept.
    let counters = vigie.get(&format!("/api/v1/devices/{id}/interfaces/3/counters?from={t0}&to={}", t0 + 179)).body;
    let readings: Vec<(i64, &Value, &Value, bool)> = counters
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let at_ms = (c["timestamp"].as_f64().unwrap() * 1000.0).round() as i64;
            (at_ms, &c["ifHCInOctets"], &c["ifHCOutOctets"], c.get("ifInOctets").is_none())
        })
        .collect();
    let (a, b) = (json!(1_000_000), json!(2_000_000));
    let (c, d) = (json!(1_500_000), json!(2_500_000));
    assert_eq!(
        readings,
        vec![(t0 * 1000 + 500, &a, &b, true), ((t0 + 60) * 1000 + 512, &c, &d, true)],
        "the reading at {} is after to: {counters}",
        t0 + 180
    );

    // No such device: 404 as with the local store.
    let missing = vigie.get("/api/v1/devices/0123456789abcdef/interfaces/3/traffic");
    assert_eq!(missing.status, 404, "{}", missing.text);
}

#[test]
fn the_newest_minutes_are_never_filled_with_the_point_before() {
    // VictoriaMetrics replaces query_range points within 30 s of now by the point before them
    // unless Vigie moves the query back; a step in progress must read its own polls.
    let dir = tempfile::tempdir().unwrap();
    let vm = VictoriaMetrics::start(dir.path());
    let vigie = Vigie::start_with(&dir.path().join("data"), &["--history-promql-url", &vm.url("")]);
    let id = add_device(&vigie, "edge-1");
    while now_secs() % 60 < 2 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let minute = now_secs() / 60 * 60;
    let polls: Vec<(i64, f64)> =
        (0..10).map(|k| ((minute - 540 + 60 * k) * 1000 + 500, 100.0 * (k + 1) as f64)).collect();
    vm.import(&[(interface_labels("vigie_interface_in_bps", &id, 1), polls.clone())]);
    // The window ends with the minute in progress, whole (its end is in the future).
    let traffic = vigie
        .get(&format!(
            "/api/v1/devices/{id}/interfaces/1/traffic?from={}&to={}&maxPoints=10",
            minute - 540,
            minute + 59
        ))
        .body;
    assert_eq!(traffic["stepSecs"], 60, "{traffic}");
    let expected: Vec<Option<f64>> = polls.iter().map(|p| Some(p.1)).collect();
    assert_eq!(column(&traffic, "inBps"), expected, "{traffic}");
}

/// A fake TSDB on loopback: per interface (the `ifIndex` in the query), silent, garbage, too
/// large, or an error answer.
fn fake_tsdb() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let answer = |status: &str, body: &[u8]| {
                    let mut out =
                        format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len())
                            .into_bytes();
                    out.extend_from_slice(body);
                    out
                };
                let out = if head.contains("ifIndex%3D%221%22") {
                    std::thread::sleep(Duration::from_secs(5));
                    Vec::new()
                } else if head.contains("ifIndex%3D%222%22") {
                    answer("200 OK", b"<html>not an API</html>")
                } else if head.contains("ifIndex%3D%223%22") {
                    answer("200 OK", &vec![b' '; 2 << 20])
                } else {
                    answer(
                        "422 Unprocessable Entity",
                        br#"{"status":"error","errorType":"execution","error":"too many points"}"#,
                    )
                };
                let _ = stream.write_all(&out);
            });
        }
    });
    port
}

#[test]
fn tsdb_failures_answer_502_or_504_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = fake_tsdb();
    let config = dir.path().join("vigie.toml");
    std::fs::write(
        &config,
        format!("[history]\nurl = \"http://127.0.0.1:{port}\"\nbearer_token = \"not-in-logs\"\ntimeout_secs = 1\nmax_response_mib = 1\n"),
    )
    .unwrap();
    let vigie = Vigie::start_with(&dir.path().join("data"), &["--config", config.to_str().unwrap()]);
    let id = add_device(&vigie, "edge-1");
    let traffic = |if_index: u32| vigie.get(&format!("/api/v1/devices/{id}/interfaces/{if_index}/traffic"));
    let cases = [
        (1, 504, "history_timeout", "the history database did not answer in time; try a shorter window"),
        (2, 502, "history_bad_answer", "the history database's answer could not be used; see the server's log"),
        (3, 502, "history_too_large", "the history database's answer is too large; try a shorter window"),
        (4, 502, "history_refused", "the history database refused the query; see the server's log"),
    ];
    for (if_index, status, code, message) in cases {
        let answer = traffic(if_index);
        assert_eq!(answer.status, status, "{}", answer.text);
        assert_eq!(answer.body, json!({"code": code, "message": message, "field": null}));
    }
    let counters = vigie.get(&format!("/api/v1/devices/{id}/interfaces/4/counters"));
    assert_eq!((counters.status, counters.body["code"].as_str()), (502, Some("history_refused")));
    let log = vigie.log();
    assert!(log.contains("refused the query with HTTP 422: execution: too many points"), "the cause is logged:\n{log}");
    assert!(!log.contains("not-in-logs"), "the token is never logged");

    // Down: nothing listens.
    let closed = free_tcp_port();
    let vigie =
        Vigie::start_with(&dir.path().join("data2"), &["--history-promql-url", &format!("http://127.0.0.1:{closed}")]);
    let id = add_device(&vigie, "edge-1");
    let latency = vigie.get(&format!("/api/v1/devices/{id}/latency"));
    assert_eq!(latency.status, 502, "{}", latency.text);
    assert_eq!(latency.body["code"], "history_unreachable");
}

/// End to end: a Vigie polls a small simulated fleet and remote-writes to VictoriaMetrics; the
/// same Vigie restarted over the same data dir with `--history-promql-url` answers the traffic
/// API for the same window within 2 % of what its local store answered, with the same steps and
/// the same nulls (5- or 6-second steps of 1-second polls).
#[test]
fn remote_written_traffic_reads_back_as_the_local_store_answers_it() {
    const AGENTS: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let vm = VictoriaMetrics::start(dir.path());
    let sim = crate::sim_process::SimProcess::start(AGENTS, 4);
    let data = dir.path().join("data");
    let mut vigie = Vigie::start_with(&data, &["--remote-write-url", &vm.url("/api/v1/write")]);
    let ids: Vec<String> = (0..AGENTS).map(|i| sim.add_to(&vigie, i, 1)).collect();
    let started = now_secs();
    std::thread::sleep(Duration::from_secs(40));
    let queue_empty = |v: &Vigie| {
        let status = v.get("/api/v1/status").body;
        let targets = status["remoteWrite"].as_array().cloned().unwrap_or_default();
        targets.iter().all(|t| t["queueSamples"] == 0).then_some(())
    };
    vigie.wait_until(Duration::from_secs(60), "the remote-write queue drains", queue_empty);
    vm.import(&[]);
    // 30 s of polls well inside what was sent, at 5-second steps.
    let (from, to) = (started + 5, started + 34);
    let window = &format!("from={from}&to={to}&maxPoints=6");
    let paths: Vec<String> = ids
        .iter()
        .flat_map(|id| (1..=2).map(move |i| format!("/api/v1/devices/{id}/interfaces/{i}/traffic?{window}")))
        .collect();
    let timed = Instant::now();
    let local: Vec<Value> = paths.iter().map(|p| vigie.get(p).body).collect();
    let local_ms = timed.elapsed().as_secs_f64() * 1000.0 / paths.len() as f64;
    vigie.terminate();

    let vigie = Vigie::start_with(&data, &["--history-promql-url", &vm.url("")]);
    let mut compared = 0;
    let timed = Instant::now();
    let answers: Vec<Value> = paths.iter().map(|p| vigie.get(p).body).collect();
    let promql_ms = timed.elapsed().as_secs_f64() * 1000.0 / paths.len() as f64;
    println!("traffic over 30 s at 5 s steps: local store {local_ms:.1} ms, PromQL on VictoriaMetrics {promql_ms:.1} ms per request");
    for ((path, local), remote) in paths.iter().zip(&local).zip(answers) {
        assert_eq!(remote["stepSecs"], local["stepSecs"], "{remote}");
        assert_eq!(timestamps(&remote), timestamps(local), "{path}");
        for key in ["inBps", "outBps", "inBpsMax", "outBpsMax"] {
            for (r, l) in column(&remote, key).iter().zip(column(local, key)) {
                match (r, l) {
                    (Some(r), Some(l)) => {
                        assert!((r - l).abs() <= 0.02 * l.abs().max(1.0), "{path} {key}: {r} vs local {l}");
                        compared += 1;
                    }
                    (r, l) => assert_eq!(*r, l, "{path} {key}: the same nulls\nremote {remote}\nlocal {local}"),
                }
            }
        }
    }
    assert!(compared >= AGENTS * 2 * 4 * 4, "compared {compared} values");
}
