//! A year of one device's history, written through the store before the run, so that the
//! API's history queries are timed on it; and what the run wrote on disk.

use std::path::Path;

use serde_json::Value;
use vigie::device::DeviceConfig;
use vigie::snmp::if_mib::{CounterBits, CounterRow};
use vigie::store::{InterfaceReading, PollRecord, Retention, Store};

/// One device with a year of history, written through the store as the poller would.
pub fn synthesize_history(dir: &Path, interfaces: u32) -> String {
    let retention = Retention {
        raw_secs: 48 * 3600,
        five_minute_secs: 30 * 86_400,
        hourly_secs: 730 * 86_400,
        logs_secs: 30 * 86_400,
        logs_max_bytes: 1 << 30,
    };
    let store = Store::open(dir, retention).unwrap();
    let config = DeviceConfig::v2c("history", "127.0.0.9", 161, "public");
    let id = store.add_device(config).unwrap().id;
    let now = now();
    let mut at = now - 365 * 86_400;
    let mut octets = 0u64;
    while at < now {
        let step = if at < now - 30 * 86_400 {
            3600
        } else if at < now - 48 * 3600 {
            300
        } else {
            60
        };
        octets += 125_000 * step as u64;
        let readings = (1..=interfaces)
            .map(|i| {
                let counters = CounterRow::octets(i, octets, octets / 2, CounterBits::Bits64);
                InterfaceReading::traffic(counters, Some(1_000_000.0 + f64::from(i)), Some(500_000.0))
            })
            .collect();
        let record = PollRecord {
            at_ms: at * 1000,
            duration_ms: 5,
            uptime_ticks: ((at - (now - 365 * 86_400)) * 100) as u32,
            system: None,
            inventory: (at == now - 365 * 86_400).then(|| inventory(interfaces)),
            interfaces: readings,
            agent_addr: None,
        };
        store.record_poll(&id, record).unwrap();
        at += step;
    }
    store.enforce_retention();
    store.flush().unwrap();
    id.0
}

fn inventory(interfaces: u32) -> Vec<vigie::snmp::if_mib::InterfaceInfo> {
    use vigie::snmp::if_mib::{IfNames, IfStatus, InterfaceInfo};
    (1..=interfaces)
        .map(|i| InterfaceInfo {
            if_index: i,
            names: IfNames::new(&format!("ge-0/0/{i}"), &format!("ge-0/0/{i}"), ""),
            if_type: 6,
            speed_bps: Some(1_000_000_000),
            admin_status: IfStatus::Up,
            oper_status: IfStatus::Up,
        })
        .collect()
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Size of everything under `dir`, in MB.
pub fn dir_mb(dir: &Path) -> f64 {
    fn size(path: &Path) -> u64 {
        match std::fs::read_dir(path) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| size(&e.path())).sum(),
            Err(_) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        }
    }
    size(dir) as f64 / 1e6
}

pub fn raw_bytes_per_sample(dir: &Path, history: Option<&str>, status: &Value) -> f64 {
    let mut bytes = 0u64;
    for device in std::fs::read_dir(dir.join("devices")).unwrap().filter_map(Result::ok) {
        if history.is_some() && device.file_name().to_str() == history {
            continue;
        }
        if let Ok(files) = std::fs::read_dir(device.path().join("samples")) {
            bytes += files.filter_map(Result::ok).map(|f| f.metadata().map(|m| m.len()).unwrap_or(0)).sum::<u64>();
        }
    }
    bytes as f64 / status["poller"]["interfaceSamplesTotal"].as_f64().unwrap().max(1.0)
}
