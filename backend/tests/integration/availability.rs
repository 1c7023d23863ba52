//! Device states end to end, against a host that really vanishes (a network namespace, see
//! `netns`) running a real net-snmp `snmpd` on its own address: `up` while SNMP answers,
//! `snmp_down` when the agent stops but the host still answers pings, `unreachable` when the
//! link is cut, a child `unreachable` "behind" its parent (its alert suppressed: only the
//! parent's incident reaches the webhook sink), `up` again when all comes back; the
//! latency of the rounds stored and served; the states counted in `/status` and `/metrics`, and
//! told in the event log. Needs root (namespaces, raw ICMP); skipped otherwise.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::alerts::{rule, webhook};
use crate::netns::{self, NetnsHost};
use crate::notify::sink::HttpSink;
use crate::vigie::Vigie;

const MINUTE: Duration = Duration::from_secs(60);
/// The agent's port inside the namespace (its own port space: nothing else listens there).
const AGENT_PORT: u16 = 1161;

/// A net-snmp agent inside the namespace, on the host's address; killed on drop.
struct NsAgent {
    child: Child,
    _dir: tempfile::TempDir,
}

impl NsAgent {
    fn start(host: &NetnsHost) -> NsAgent {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "agentAddress udp:{}:{AGENT_PORT}\nrocommunity public {}\nsysName ns-agent\n\
                 dontLogTCPWrappersConnects yes\n",
                host.host_v4, host.local_v4
            ),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("persist")).unwrap();
        let child = host
            .command("snmpd")
            .args(["-f", "-Lo", "-C", "-m", "", "-I", "-smux", "-c"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", dir.path().join("persist"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run snmpd in the namespace");
        NsAgent { child, _dir: dir }
    }
}

impl Drop for NsAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add(vigie: &Vigie, body: Value) -> String {
    let answer = vigie.post_json("/api/v1/devices", &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_string()
}

/// Waits until the device's state is `state`; answers its status.
fn wait_state(vigie: &mut Vigie, id: &str, state: &str) -> Value {
    vigie.wait_until(MINUTE, &format!("device {id} is {state}"), |v| {
        let status = v.device(id)["status"].clone();
        (status["state"] == state).then_some(status)
    })
}

#[test]
fn a_namespace_host_is_up_snmp_down_unreachable_and_up_again() {
    if !netns::available() {
        eprintln!("skipped: network namespaces need root");
        return;
    }
    let host = NetnsHost::create();
    let mut agent = Some(NsAgent::start(&host));
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    let from = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let device = |name: &str, port: u16, parent: Option<&str>| {
        json!({"name": name, "host": host.host_v4.to_string(), "port": port,
               "snmp": {"version": "v2c", "community": "public"},
               "pollIntervalSecs": 1, "timeoutMs": 300, "retries": 0, "pingIntervalSecs": 2,
               "parentId": parent, "tags": ["ns-test"]})
    };
    let core = add(&vigie, device("ns-core", AGENT_PORT, None));
    // Same host, a port nobody serves: SNMP silent, echoes answered.
    let edge = add(&vigie, device("ns-edge", AGENT_PORT + 1, Some(&core)));

    wait_state(&mut vigie, &core, "up");
    let edge_status = wait_state(&mut vigie, &edge, "snmp_down");
    assert!(edge_status["reason"].as_str().unwrap().starts_with("echo replies"), "{edge_status}");

    // The agent stops; the host still answers pings.
    agent.take();
    let status = wait_state(&mut vigie, &core, "snmp_down");
    let reason = status["reason"].as_str().unwrap();
    assert!(reason.starts_with("echo replies") && reason.contains("no SNMP answer"), "{status}");
    assert!(status["lastError"].as_str().is_some(), "lastError is kept: {status}");

    // An unreachable device is told to a webhook sink, for both devices. `forSecs` leaves time for
    // the parent's own echo round to fail too: the child is judged behind it when its incident opens.
    let sink = HttpSink::start(&[]);
    let channel = webhook(&vigie, &sink);
    rule(
        &vigie,
        json!({"name": "Unreachable", "kind": "device_unreachable", "forSecs": 5, "recoverySecs": 1,
               "scope": {"tags": ["ns-test"]}, "channelIds": [channel]}),
    );

    // The link is cut: no echo, no SNMP; the child is unreachable behind its parent.
    host.cut();
    let status = wait_state(&mut vigie, &core, "unreachable");
    assert!(status["reason"].as_str().unwrap().starts_with("no echo reply"), "{status}");
    let child = vigie.wait_until(MINUTE, "the child is behind its parent", |v| {
        let s = v.device(&edge)["status"].clone();
        (s["state"] == "unreachable" && s["behindParentId"] == core.as_str()).then_some(s)
    });
    assert_eq!(child["reason"], "behind ns-core");
    // Only the parent's incident is told; the child's is kept, marked, and told to nobody.
    let told = sink.wait_for(1, MINUTE);
    assert_eq!(
        (told[0].json()["event"].as_str(), told[0].json()["deviceId"].as_str()),
        (Some("open"), Some(core.as_str()))
    );
    let held = vigie.wait_until(MINUTE, "the child's incident is held", |v| {
        let open = v.get(&format!("/api/v1/alerts?state=open&deviceId={edge}")).body;
        open.as_array().and_then(|a| a.first().cloned())
    });
    assert_eq!(held["suppressedBy"], "behind ns-core", "{held}");

    // The counts, the metrics and the event log say the same.
    let summary = vigie.get("/api/v1/status").body;
    assert_eq!((summary["unreachable"].as_u64(), summary["down"].as_u64()), (Some(2), Some(2)), "{summary}");
    assert!(["raw", "datagram"].contains(&summary["reach"]["mode4"].as_str().unwrap()), "{}", summary["reach"]);
    assert!(summary["reach"]["roundsTotal"].as_u64() > Some(0));
    let metrics = vigie.get("/metrics").text;
    let line = format!("vigie_device_state{{device=\"ns-core\",instance=\"{}:{AGENT_PORT}\",device_id=\"{core}\",state=\"unreachable\"}} 1", host.host_v4);
    assert!(
        metrics.contains(&line),
        "no `{line}` in:\n{}",
        metrics.lines().filter(|l| l.contains("ns-core")).collect::<Vec<_>>().join("\n")
    );
    let logs = vigie.get(&format!("/api/v1/devices/{core}/logs?limit=50")).body;
    let messages: Vec<&str> =
        logs["entries"].as_array().unwrap().iter().filter_map(|e| e["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.starts_with("ns-core is unreachable: no echo reply")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("ns-core is snmp_down")), "{messages:?}");

    // All comes back.
    host.restore();
    let _agent = NsAgent::start(&host);
    wait_state(&mut vigie, &core, "up");
    wait_state(&mut vigie, &edge, "snmp_down");
    // The parent's incident resolves and is told; the child's was never told, open or resolved.
    sink.wait_for(2, MINUTE);
    std::thread::sleep(Duration::from_secs(3));
    let told: Vec<(String, String)> = sink
        .received()
        .iter()
        .map(|r| (r.json()["event"].as_str().unwrap().to_string(), r.json()["deviceId"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(told, [("open".to_string(), core.clone()), ("resolved".to_string(), core.clone())]);

    // Latency: answered rounds with times, lost echoes counted in the loss, served by the API.
    let to = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let latency = vigie.get(&format!("/api/v1/devices/{core}/latency?from={from}&to={to}&maxPoints=1000")).body;
    let points = latency["points"].as_array().expect("points");
    assert!(latency["stepSecs"].as_i64() >= Some(2), "{latency}");
    assert!(points.iter().any(|p| p["rttAvgMs"].is_number() && p["lossPercent"] == 0.0), "{latency}");
    // The silent round may share its step with an answered one: its echoes count as lost there.
    assert!(points.iter().any(|p| p["lossPercent"].as_f64() > Some(0.0)), "{latency}");

    // Availability over the day: up part of the time, down part of it.
    let day = vigie.device(&core)["availability"]["day"].as_f64().expect("a figure");
    assert!(day > 0.0 && day < 100.0, "{day}");
    let tagged = vigie.get("/api/v1/devices?tag=ns-test").body;
    assert_eq!(tagged.as_array().map(Vec::len), Some(2));
    assert_eq!(vigie.get("/api/v1/devices?tag=other").body.as_array().map(Vec::len), Some(0));
}
