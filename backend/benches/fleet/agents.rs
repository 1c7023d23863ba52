//! The agents a run polls (the in-process fleet's, or those `FLEET_EXTERNAL` names), how they
//! are added to Vigie (its import API, in chunks), and net-snmp's `snmpbulkget` over the same
//! agents for comparison.

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::{children_cpu_secs, Server};

/// The SNMPv3 user of the v3 runs (the simulator's default user, `vigie`).
pub const V3_AUTH_PASSWORD: &str = "bench-auth-passw0rd";
pub const V3_PRIV_PASSWORD: &str = "bench-priv-passw0rd";

/// Rows of one import: the API takes at most 1,000 devices and 64 KiB per request.
const IMPORT_ROWS: usize = 1000;
const IMPORT_BYTES: usize = 60 << 10;

/// `FLEET_EXTERNAL`: comma-separated `[address:]first-last` port ranges, the address 127.0.0.1
/// when left out (e.g. `127.0.0.2:20000-32499,127.0.0.3:20000-32499`: one process can hold only
/// as many sockets as its descriptor limit, so a large external fleet is several simulators,
/// each on an address of its own). Only loopback addresses: the bench sends nowhere else.
pub fn parse_external(spec: &str) -> Result<Vec<SocketAddr>, String> {
    let mut agents = Vec::new();
    for range in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (ip, ports) = match range.rsplit_once(':') {
            Some((ip, ports)) => (ip.parse::<IpAddr>().map_err(|e| format!("{range}: {e}"))?, ports),
            None => (IpAddr::from([127, 0, 0, 1]), range),
        };
        if !ip.is_loopback() {
            return Err(format!("{range}: {ip} is not a loopback address"));
        }
        let (first, last) = ports.split_once('-').ok_or_else(|| format!("{range}: not first-last"))?;
        let port = |p: &str| p.parse::<u16>().map_err(|e| format!("{range}: {e}"));
        agents.extend((port(first)?..=port(last)?).map(|p| SocketAddr::new(ip, p)));
    }
    Ok(agents)
}

/// Adds every agent as a device (`sim-0000`, …) through `POST /api/v1/devices/import` (CSV),
/// polled every `interval` s with `ping` as its echo interval (`None`: Vigie's default).
pub fn add_devices(
    http: &reqwest::blocking::Client,
    vigie: &Server,
    agents: &[SocketAddr],
    (interval, ping): (u64, Option<u32>),
    v3: bool,
) {
    let ping = ping.map_or(String::new(), |p| p.to_string());
    let credentials = match v3 {
        false => ",v2c,public,,,,,,".to_string(),
        true => format!(",v3,,vigie,authPriv,sha256,{V3_AUTH_PASSWORD},aes,{V3_PRIV_PASSWORD}"),
    };
    let header = "name,host,port,version,community,user,securityLevel,authProtocol,authPassword,privProtocol,privPassword,pollIntervalSecs,timeoutMs,retries,pingIntervalSecs\n";
    let mut body = String::from(header);
    let mut rows = 0;
    for (i, agent) in agents.iter().enumerate() {
        let row = format!("sim-{i:04},{},{}{credentials},{interval},1000,1,{ping}\n", agent.ip(), agent.port());
        if rows == IMPORT_ROWS || body.len() + row.len() > IMPORT_BYTES {
            import(http, vigie, std::mem::replace(&mut body, header.to_string()));
            rows = 0;
        }
        body.push_str(&row);
        rows += 1;
    }
    if rows > 0 {
        import(http, vigie, body);
    }
}

fn import(http: &reqwest::blocking::Client, vigie: &Server, csv: String) {
    let answer = http
        .post(vigie.url("/api/v1/devices/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .expect("import devices");
    let status = answer.status().as_u16();
    assert_eq!(status, 201, "import: {}", answer.text().unwrap_or_default());
}

/// Waits until every device has been polled once (`/status` counts none `unknown`); answers
/// the seconds since `since` and the status then.
pub fn wait_all_polled(http: &reqwest::blocking::Client, vigie: &Server, since: Instant) -> (f64, Value) {
    loop {
        let status: Value = http.get(vigie.url("/api/v1/status")).send().unwrap().json().unwrap();
        let waiting = status["unknown"].as_u64().unwrap();
        if waiting == 0 {
            return (since.elapsed().as_secs_f64(), status);
        }
        assert!(since.elapsed() < Duration::from_secs(3600), "{waiting} devices never polled");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// net-snmp's snmpbulkget against every agent, two at a time; answers wall and CPU seconds.
pub fn snmpbulkget(agents: &[SocketAddr], interfaces: u32) -> (f64, f64) {
    let columns = ["1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"];
    let cpu_before = children_cpu_secs();
    let started = Instant::now();
    for pair in agents.chunks(2) {
        let children: Vec<Child> = pair
            .iter()
            .map(|agent| {
                Command::new("snmpbulkget")
                    .args(["-v2c", "-c", "public", "-m", "", "-On", "-t", "1", "-r", "1", &format!("-Cr{interfaces}")])
                    .arg(agent.to_string())
                    .args(columns)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("snmpbulkget")
            })
            .collect();
        for mut child in children {
            let _ = child.wait();
        }
    }
    (started.elapsed().as_secs_f64(), children_cpu_secs() - cpu_before)
}
