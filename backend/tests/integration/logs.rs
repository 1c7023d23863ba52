//! Device logs from the real tools: util-linux `logger` (RFC 3164 and 5424, UDP and TCP) and
//! net-snmp `snmptrap`/`snmpinform` (v1, v2c, INFORM), attributed to the device that sent them;
//! a linkDown makes Vigie poll at once; garbage is counted and dropped; pagination holds while
//! messages arrive.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

const WAIT: Duration = Duration::from_secs(10);

pub(crate) fn run(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(output.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// util-linux `logger` to Vigie's syslog port: `options` as on its command line, then the message.
pub(crate) fn logger(port: &str, options: &str, message: &str) {
    let mut args = vec!["-n", "127.0.0.1", "-P", port];
    args.extend(options.split_whitespace());
    args.push(message);
    run("logger", &args);
}

/// net-snmp `snmptrap` or `snmpinform` to `target`; `TARGET` and `''` in `args` stand for the
/// target and an empty argument.
fn notify(program: &str, target: &str, args: &str) {
    let args: Vec<&str> = args
        .split_whitespace()
        .map(|a| match a {
            "TARGET" => target,
            "''" => "",
            other => other,
        })
        .collect();
    run(program, &args);
}

pub(crate) fn logs(vigie: &Vigie, query: &str) -> Vec<Value> {
    let page = vigie.get(&format!("/api/v1/logs?{query}"));
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["entries"].as_array().cloned().unwrap_or_default()
}

pub(crate) fn find(entries: &[Value], needle: &str) -> Option<Value> {
    entries.iter().find(|e| e["message"].as_str().is_some_and(|m| m.contains(needle))).cloned()
}

pub(crate) fn wait_for_entry(vigie: &mut Vigie, query: &str, needle: &str) -> Value {
    vigie.wait_until(WAIT, &format!("a log entry with {needle}"), |v| find(&logs(v, query), needle))
}

#[test]
fn syslog_and_traps_from_the_real_tools_reach_the_right_device() {
    let mut eth1 = Interface::new(2, "eth1");
    eth1.alias = "to servers".into();
    let interfaces = vec![Interface::new(1, "eth0"), eth1.clone()];
    let agent = Snmpd::start(&interfaces);
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    // A long interval: only the trap can explain a quick change of eth1's state.
    let created = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "edge-logs", "host": "127.0.0.1", "port": agent.port(),
                "snmp": {"version": "v2c", "community": "public"}, "pollIntervalSecs": 300}),
    );
    let id = created.body["id"].as_str().unwrap().to_string();
    vigie.wait_until(WAIT, "the device is up", |v| (v.device(&id)["interfaceCount"] == 2).then_some(()));
    let port = vigie.syslog_port.to_string();
    let device_logs = format!("deviceId={id}&source=syslog");

    logger(&port, r#"-d --rfc3164 -t sw-test -p local7.err"#, "MARK1 3164 over UDP");
    logger(&port, r#"-d -t sw-test -p user.notice --sd-id origin@32473 --sd-param sw="test""#, "MARK2 5424 over UDP");
    logger(&port, r#"-T --rfc3164 -t sw-test -p daemon.warning"#, "MARK3 3164 over TCP");
    logger(&port, r#"-T --octet-count -t sw-test -p auth.info"#, "MARK4 5424 octet-counted over TCP");
    let m1 = wait_for_entry(&mut vigie, &device_logs, "MARK1");
    assert_eq!((m1["severity"].as_u64(), m1["facility"].as_str()), (Some(3), Some("local7")));
    assert_eq!(m1["appName"], "sw-test");
    assert_eq!(m1["deviceId"], id.as_str());
    let m2 = wait_for_entry(&mut vigie, &device_logs, "MARK2");
    assert_eq!((m2["severity"].as_u64(), m2["facility"].as_str()), (Some(5), Some("user")));
    assert!(m2["timestamp"].as_f64().is_some(), "5424 carries the device's time");
    assert!(
        m2["fields"].as_array().unwrap().iter().any(|f| f["name"] == "origin@32473.sw" && f["value"] == "test"),
        "{m2}"
    );
    let m3 = wait_for_entry(&mut vigie, &device_logs, "MARK3");
    assert_eq!(m3["severity"], 4);
    let m4 = wait_for_entry(&mut vigie, &device_logs, "MARK4");
    assert_eq!((m4["severity"].as_u64(), m4["facility"].as_str()), (Some(6), Some("auth")));

    // eth1 goes down on the device, and it says so with a v2c linkDown.
    let mut eth1_down = eth1.clone();
    eth1_down.oper_up = false;
    agent.set_interfaces(&[Interface::new(1, "eth0"), eth1_down]);
    let traps = format!("127.0.0.1:{}", vigie.trap_port);
    notify("snmptrap", &traps, "-v 2c -c public -m '' TARGET '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.2 i 2 1.3.6.1.2.1.2.2.1.7.2 i 1 1.3.6.1.2.1.2.2.1.8.2 i 2");
    let down = wait_for_entry(&mut vigie, &format!("deviceId={id}&source=trap"), "linkDown");
    assert_eq!(down["message"], "linkDown: interface eth1 (ifIndex 2)");
    assert_eq!(down["severity"], 3);
    assert!(down["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "1.3.6.1.2.1.2.2.1.8.2" && f["value"] == "2"));
    vigie.wait_until(Duration::from_secs(5), "the linkDown polled the device at once", |v| {
        let list = v.get(&format!("/api/v1/devices/{id}/interfaces")).body;
        (list[1]["operStatus"] == "down").then_some(())
    });
    let event = wait_for_entry(&mut vigie, &format!("deviceId={id}&source=event"), "went down");
    assert!(event["message"].as_str().unwrap().contains("interface eth1 went down (was up)"), "{event}");

    // A v1 linkDown (generic trap 2) and an INFORM linkUp, answered (snmpinform fails otherwise).
    notify(
        "snmptrap",
        &traps,
        "-v 1 -c public -m '' TARGET 1.3.6.1.4.1.8072.3.2.10 127.0.0.1 2 0 '' 1.3.6.1.2.1.2.2.1.1.1 i 1",
    );
    notify(
        "snmpinform",
        &traps,
        "-v 2c -c public -m '' -t 3 -r 0 TARGET '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.2 i 2",
    );
    wait_for_entry(&mut vigie, "source=trap", "linkDown: interface eth0 (ifIndex 1)");
    let up = wait_for_entry(&mut vigie, "source=trap", "(inform)");
    assert_eq!(up["message"], "linkUp: interface eth1 (ifIndex 2) (inform)");
    assert_eq!(up["deviceId"], id.as_str());
    assert!(!up.to_string().contains("public"), "the community is not recorded: {up}");

    // From an address no device has: kept, unattributed, with its source address.
    let stranger = UdpSocket::bind("127.0.0.2:0").unwrap();
    stranger
        .send_to(b"<14>Nov  5 10:00:00 stranger app: MARK5 from nowhere", ("127.0.0.1", vigie.syslog_port))
        .unwrap();
    let m5 = wait_for_entry(&mut vigie, "source=syslog", "MARK5");
    assert_eq!(m5["deviceId"], Value::Null);
    assert!(m5["sourceAddr"].as_str().unwrap().starts_with("127.0.0.2:"));
    assert!(logs(&vigie, &device_logs).iter().all(|e| !e["message"].as_str().unwrap().contains("MARK5")));

    // Filters: severity and text.
    let severe = logs(&vigie, &format!("deviceId={id}&minSeverity=3"));
    assert!(!severe.is_empty() && severe.iter().all(|e| e["severity"].as_u64() <= Some(3)));
    assert!(find(&logs(&vigie, "q=mark4%20"), "MARK4").is_some(), "q is a case-insensitive substring");
}

#[test]
fn garbage_is_counted_and_dropped_and_the_next_message_still_arrives() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(b"\x00\x01\x02\xffbinary noise", ("127.0.0.1", vigie.syslog_port)).unwrap();
    udp.send_to(b"\x30\x82\xff\xff\x02\x01", ("127.0.0.1", vigie.trap_port)).unwrap();
    udp.send_to(b"not a trap at all", ("127.0.0.1", vigie.trap_port)).unwrap();
    // A TCP peer announcing an absurd frame is closed; one that never finishes its frame too.
    let mut bad = TcpStream::connect(("127.0.0.1", vigie.syslog_port)).unwrap();
    for _ in 0..12 {
        let _ = bad.write_all(b"99999999999 <13>x ");
    }
    let mut slow = TcpStream::connect(("127.0.0.1", vigie.syslog_port)).unwrap();
    slow.write_all(b"<13>never finished").unwrap();
    // A message over 64 KiB is cut and marked.
    let huge = format!("<13>MARK-HUGE {}", "x".repeat(70_000));
    let mut good = TcpStream::connect(("127.0.0.1", vigie.syslog_port)).unwrap();
    good.write_all(format!("{huge}\n<13>MARK-AFTER still fine\n").as_bytes()).unwrap();
    let after = wait_for_entry(&mut vigie, "source=syslog", "MARK-AFTER");
    assert_eq!(after["deviceId"], Value::Null);
    let huge = wait_for_entry(&mut vigie, "source=syslog", "MARK-HUGE");
    assert_eq!(huge["truncated"], true);
    assert!(huge["message"].as_str().unwrap().len() <= 64 * 1024);
    let status = vigie.get("/api/v1/status").body;
    assert!(status["logs"]["syslogMalformed"].as_u64() >= Some(2), "{status}");
    assert_eq!(status["logs"]["trapsMalformed"], 2, "{status}");
    assert_eq!(status["logs"]["syslogTruncated"], 1, "{status}");
    drop(slow);
    assert_eq!(vigie.get("/api/v1/health").status, 200, "still serving");
}

#[test]
fn pagination_never_skips_nor_repeats_while_messages_arrive() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    let port = vigie.syslog_port;
    // Over TCP, so that no message can be lost on the way and every gap would be Vigie's.
    let send = move |from: usize, to: usize| {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        for i in from..to {
            tcp.write_all(format!("<14>app: PAGE {i:05}\n").as_bytes()).unwrap();
            if i % 50 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    send(0, 300);
    vigie.wait_until(WAIT, "300 messages stored", |v| {
        (v.get("/api/v1/status").body["logs"]["stored"].as_u64() >= Some(300)).then_some(())
    });
    let sender = std::thread::spawn(move || send(300, 900));
    let mut seen: Vec<(u64, String)> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = vigie.get(&format!("/api/v1/logs?q=PAGE&limit=25{cursor}")).body;
        for e in page["entries"].as_array().unwrap() {
            seen.push((e["id"].as_u64().unwrap(), e["message"].as_str().unwrap().to_string()));
        }
        match page["nextCursor"].as_u64() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    sender.join().unwrap();
    assert!(seen.windows(2).all(|w| w[0].0 > w[1].0), "ids strictly decreasing: no repeat");
    let number = |m: &str| -> usize { m.rsplit("PAGE ").next().unwrap().trim().parse().unwrap() };
    let newest_seen = number(&seen[0].1);
    let numbers: Vec<usize> = seen.iter().rev().map(|(_, m)| number(m)).collect();
    assert_eq!(
        numbers,
        (0..=newest_seen).collect::<Vec<_>>(),
        "every message up to the first page, once, none skipped"
    );
}
