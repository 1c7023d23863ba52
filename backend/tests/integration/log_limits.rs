//! The log path's bounds under hostile input (issue 17): memory stays within its byte budget
//! during a flood of big UDP messages; idle TCP connections cannot lock out a real `logger`;
//! idle and trickling TCP peers are closed after their deadlines; a query over a large day file
//! answers with a cursor instead of scanning it all; control characters in names are refused.
//! Limits are lowered through options so that each test takes seconds, not minutes.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::logs::{find, logger, logs, wait_for_entry};
use crate::vigie::Vigie;

const WAIT: Duration = Duration::from_secs(20);
const MIB: u64 = 1024 * 1024;

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/PID/status");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("VmRSS in kB") * 1024
}

fn log_status(vigie: &Vigie) -> Value {
    vigie.get("/api/v1/status").body["logs"].clone()
}

#[test]
fn memory_stays_within_the_log_budget_during_a_flood_of_big_udp_messages() {
    // Before the byte budget, 15,159 such messages raised RSS by ~900 MB and kept it.
    const MESSAGES: usize = 3000;
    const MESSAGE_BYTES: usize = 60 * 1024;
    const MARGIN: u64 = 64 * MIB;
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start_with(&data.path().join("data"), &["--log-queue-mb", "1", "--log-memory-mb", "1"]);
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = ("127.0.0.1", vigie.syslog_port);
    let message = |i: usize| {
        let mut m = format!("<14>flood: FLOOD {i:05} ").into_bytes();
        m.resize(MESSAGE_BYTES, b'x');
        m
    };
    for i in 0..20 {
        udp.send_to(&message(i), target).unwrap();
        thread::sleep(Duration::from_millis(10));
    }
    vigie.wait_until(WAIT, "the warm-up is stored", |v| (log_status(v)["stored"].as_u64() >= Some(10)).then_some(()));
    let baseline = rss_bytes(vigie.pid());
    let mut peak = baseline;
    let started = Instant::now();
    for i in 20..MESSAGES {
        udp.send_to(&message(i), target).unwrap();
        // Paced so that the kernel's socket buffer does not drop most of them.
        thread::sleep(Duration::from_micros(700));
        if i % 50 == 0 {
            peak = peak.max(rss_bytes(vigie.pid()));
        }
    }
    let sent_in = started.elapsed();
    vigie.wait_until(WAIT, "the queue is written out", |v| {
        let s = log_status(v);
        (s["queueEntries"] == 0
            && s["stored"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() >= s["syslogReceived"].as_u64().unwrap())
        .then_some(())
    });
    peak = peak.max(rss_bytes(vigie.pid()));
    let status = log_status(&vigie);
    let received = status["syslogReceived"].as_u64().unwrap();
    eprintln!(
        "flood: {received} of {MESSAGES} messages of {MESSAGE_BYTES} bytes received in {sent_in:?}; RSS {} MiB before, \
         peak {} MiB; logs status {status}",
        baseline / MIB,
        peak / MIB
    );
    assert!(received >= 2000, "the flood reached Vigie ({received} received): else it proves nothing");
    assert!(status["memoryBytes"].as_u64() <= status["memoryMaxBytes"].as_u64(), "{status}");
    assert!(status["memoryClipped"].as_u64() > Some(100), "big entries are kept as prefixes: {status}");
    assert!(status["queueBytes"].as_u64() <= status["queueMaxBytes"].as_u64(), "{status}");
    assert!(
        peak <= baseline + 2 * MIB + MARGIN,
        "RSS went from {} MiB to {} MiB: over the 2 MiB budget plus a {} MiB margin",
        baseline / MIB,
        peak / MIB,
        MARGIN / MIB
    );
    // Memory holds a prefix; the answer is the whole message, read from disk.
    let last = wait_for_entry(&mut vigie, "q=FLOOD&limit=1", "FLOOD");
    assert!(last["message"].as_str().unwrap().len() > MESSAGE_BYTES - 64, "the whole message: {}", last["message"]);
    assert_eq!(last["truncated"], false);
}

#[test]
fn a_real_logger_gets_through_while_idle_connections_hold_every_slot() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start_with(
        &data.path().join("data"),
        &["--syslog-tcp-max-peers", "20", "--syslog-tcp-max-peers-per-addr", "20"],
    );
    let idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(("127.0.0.1", vigie.syslog_port)).unwrap()).collect();
    vigie.wait_until(WAIT, "20 idle connections", |v| (log_status(v)["tcp"]["open"] == 20).then_some(()));
    // Only connections idle for a second or more make room: busy senders are never cut off.
    thread::sleep(Duration::from_millis(1500));
    logger(&vigie.syslog_port.to_string(), "-T -t held", "MARK-HELD a real sender while every slot is taken");
    let entry = wait_for_entry(&mut vigie, "source=syslog", "MARK-HELD");
    assert_eq!(entry["appName"], "held");
    let tcp = log_status(&vigie)["tcp"].clone();
    assert!(tcp["evicted"].as_u64() >= Some(1) && tcp["refused"] == 0, "{tcp}");
    assert!(tcp["open"].as_u64() <= Some(20), "{tcp}");
    drop(idle);
    // Every connection gives its buffer back when it ends, the evicted ones too.
    vigie.wait_until(WAIT, "no connection and no buffer left", |v| {
        let tcp = log_status(v)["tcp"].clone();
        (tcp["open"] == 0 && tcp["bufferedBytes"] == 0).then_some(())
    });
}

/// Waits until the peer closes `stream` (end of file or reset); answers after how long.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => started.elapsed(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => started.elapsed(),
        other => panic!("the connection is still open after {:?}: {other:?}", started.elapsed()),
    }
}

#[test]
fn idle_and_trickling_tcp_peers_are_closed_after_their_deadlines_and_big_frames_are_cut() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie =
        Vigie::start_with(&data.path().join("data"), &["--syslog-tcp-idle-secs", "2", "--syslog-tcp-frame-secs", "3"]);
    let port = vigie.syslog_port;
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // A header claiming 2,000,000,000 bytes, then one byte now and then: each read used to
    // restart the deadline.
    let mut trickle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = trickle.try_clone().unwrap();
    let trickler = thread::spawn(move || {
        let _ = writer.write_all(b"2000000000 <13>");
        for _ in 0..60 {
            thread::sleep(Duration::from_millis(250));
            if writer.write_all(b"x").is_err() {
                return;
            }
        }
    });
    // 1 MiB without a newline: cut at the largest message, the rest skipped, not held.
    let mut big = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut line = b"<13>bigline MARK-BIG ".to_vec();
    line.resize(1 << 20, b'y');
    big.write_all(&line).unwrap();

    let idle_after = closed_within(&mut idle, Duration::from_secs(15));
    let trickle_after = closed_within(&mut trickle, Duration::from_secs(15));
    trickler.join().unwrap();
    eprintln!("idle peer closed after {idle_after:?}, trickling peer after {trickle_after:?}");
    let cut = wait_for_entry(&mut vigie, "source=syslog", "MARK-BIG");
    assert_eq!(cut["truncated"], true);
    assert!(cut["message"].as_str().unwrap().len() <= 64 * 1024);
    let tcp = log_status(&vigie)["tcp"].clone();
    assert!(tcp["closedIdle"].as_u64() >= Some(1), "{tcp}");
    assert!(tcp["closedDeadline"].as_u64() >= Some(1), "{tcp}");
    assert!(tcp["framesCut"].as_u64() >= Some(1), "{tcp}");
    assert!(tcp["bufferedBytes"].as_u64() < Some(MIB), "a peer holds one bounded frame: {tcp}");
    drop(big);
}

fn today() -> String {
    let out = Command::new("date").args(["-u", "+%F"]).output().expect("run date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Writes a day file of about `bytes` bytes of syslog entries received now; answers the
/// number of lines (their ids are 1 to that).
fn write_day_file(dir: &Path, bytes: usize) -> u64 {
    std::fs::create_dir_all(dir).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{}.jsonl", today()))).unwrap());
    let (mut written, mut id) = (0, 0u64);
    let padding = "p".repeat(200);
    while written < bytes {
        id += 1;
        let line = format!(
            "{{\"id\":{id},\"receivedAt\":{now}.5,\"timestamp\":null,\"source\":\"syslog\",\"deviceId\":null,\
             \"sourceAddr\":\"127.0.0.1:514\",\"severity\":6,\"facility\":\"user\",\"appName\":\"bulk\",\
             \"hostname\":null,\"message\":\"bulk line {id} {padding}\"}}\n"
        );
        out.write_all(line.as_bytes()).unwrap();
        written += line.len();
    }
    id
}

#[test]
fn a_query_over_a_large_day_file_answers_with_a_cursor_instead_of_scanning_it_all() {
    let data = tempfile::tempdir().unwrap();
    let lines = write_day_file(&data.path().join("data/logs"), 120 * MIB as usize);
    // A tiny budget, so that no machine scans the whole file within it.
    let vigie = Vigie::start_with(&data.path().join("data"), &["--log-query-budget-ms", "1"]);
    let page = vigie.get("/api/v1/logs?q=no-such-text-anywhere");
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["partial"], true, "{}", page.text);
    let cursor = page.body["nextCursor"].as_u64().expect("a cursor to continue");
    assert!(cursor <= lines, "the cursor continues below what was read");
    // The next page goes on from there, further down.
    let next = vigie.get(&format!("/api/v1/logs?q=no-such-text-anywhere&cursor={cursor}")).body;
    assert!(next["nextCursor"].as_u64() < Some(cursor), "{next}");
    // Scans running on the blocking pool leave the HTTP workers free.
    let url = vigie.url("/api/v1/logs?q=no-such-text-anywhere");
    let scans: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || reqwest::blocking::get(url).map(|r| r.status()))
        })
        .collect();
    assert_eq!(vigie.get("/api/v1/health").status, 200);
    for scan in scans {
        assert_eq!(scan.join().unwrap().unwrap().as_u16(), 200);
    }
    // An old cursor reads a few blocks (binary search), not every line above it.
    let old = vigie.get("/api/v1/logs?limit=1&cursor=1001").body;
    assert_eq!(
        (old["entries"][0]["id"].as_u64(), old["nextCursor"].as_u64(), &old["partial"]),
        (Some(1000), Some(1000), &json!(false)),
        "{old}"
    );
    assert!(find(old["entries"].as_array().unwrap(), "bulk line 1000 ").is_some());
    // The newest line is found at once.
    let newest = logs(&vigie, &format!("q=bulk%20line%20{lines}%20&limit=1"));
    assert_eq!(newest[0]["id"].as_u64(), Some(lines));
}

#[test]
fn control_characters_in_a_name_are_refused_naming_the_field() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let snmp = json!({"version": "v2c", "community": "public"});
    for (name, found) in
        [("a\u{0}b", "U+0000"), ("core\nsw1", "U+000A"), ("sw\u{1b}[2J", "U+001B"), ("sw\u{202e}1", "U+202E")]
    {
        let answer = vigie.post_json("/api/v1/devices", &json!({"name": name, "host": "127.0.0.1", "snmp": snmp}));
        assert_eq!(answer.status, 422, "{name:?}: {}", answer.text);
        assert_eq!(
            answer.body,
            json!({"code": "invalid_field", "field": "name",
                   "message": format!("name: must not contain control characters (found {found})")})
        );
    }
    let id = vigie.post_json("/api/v1/devices", &json!({"name": "ok", "host": "127.0.0.1", "snmp": snmp})).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = vigie.patch_json(&format!("/api/v1/devices/{id}"), &json!({"name": "x\ty"}));
    assert_eq!((answer.status, &answer.body["field"]), (422, &json!("name")), "{}", answer.text);
}
