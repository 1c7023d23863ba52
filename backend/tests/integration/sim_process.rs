//! `vigie sim` as a child process: simulated agents on free loopback ports, stopped when dropped.
#![allow(dead_code)] // shared test support

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::vigie::Vigie;

pub struct SimProcess {
    child: Child,
    /// Each agent's UDP port, in order.
    pub ports: Vec<u16>,
}

impl SimProcess {
    /// Starts `vigie sim --agents N --interfaces K` and reads the ports it prints.
    pub fn start(agents: usize, interfaces: u32) -> SimProcess {
        SimProcess::start_bin(env!("CARGO_BIN_EXE_vigie"), agents, interfaces)
    }

    /// As `start`, with another build of vigie (a benchmark's release build).
    pub fn start_bin(bin: &str, agents: usize, interfaces: u32) -> SimProcess {
        let mut child = Command::new(bin)
            .args(["sim", "--agents", &agents.to_string(), "--interfaces", &interfaces.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start vigie sim");
        let stdout = child.stdout.take().expect("sim stdout");
        let mut ports = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read sim output");
            if line.contains("agents ready") {
                break;
            }
            // "sim-0000 udp:127.0.0.1:40123 48 interfaces, 64-bit counters"
            let addr = line.split_whitespace().nth(1).and_then(|a| a.strip_prefix("udp:")).expect("an agent line");
            ports.push(addr.rsplit(':').next().unwrap().parse().expect("a port"));
        }
        assert_eq!(ports.len(), agents, "every agent printed its address");
        SimProcess { child, ports }
    }

    /// Adds agent `i` to `vigie`, polled every `interval_secs`; answers the device id.
    pub fn add_to(&self, vigie: &Vigie, i: usize, interval_secs: u32) -> String {
        let answer = vigie.post_json(
            "/api/v1/devices",
            &json!({"name": format!("sim-{i:04}"), "host": "127.0.0.1", "port": self.ports[i],
                    "snmp": {"version": "v2c", "community": "public"},
                    "pollIntervalSecs": interval_secs, "timeoutMs": 1000, "retries": 1}),
        );
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["id"].as_str().expect("id").to_string()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every non-empty line of the `.jsonl` files below `dir`, with its file.
pub fn jsonl_lines(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.map(|e| e.unwrap().path()) {
        if entry.is_dir() {
            out.extend(jsonl_lines(&entry));
        } else if entry.extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(&entry).unwrap();
            out.extend(text.lines().filter(|l| !l.is_empty()).map(|l| (entry.clone(), l.to_string())));
        }
    }
    out
}
