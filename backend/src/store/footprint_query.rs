//! The 1-year traffic query timed over a year of synthesized history written through the store
//! (sealed rollups, as in production), for the README. Prints, asserts nothing but correctness.
//! Run once, in release, with the footprint runs:
//! `cargo test --release -p vigie --lib store::footprint -- --ignored --nocapture --test-threads 1`

use std::time::Instant;

use super::footprint::bytes_under;
use super::series::Retention;
use crate::sim::traffic::unit;

/// A year of history of 48 interfaces written through the store as the poller would (one poll an
/// hour, rates varying per interface and hour, so rollups are written and sealed a frame a day as
/// in production), then the 1-year traffic query of one interface at the API's default 500 steps,
/// 200 times, by `Store::traffic` (the API's path without HTTP).
#[test]
#[ignore]
fn one_year_query_timings() {
    use super::{InterfaceReading, PollRecord, Store};
    use crate::device::DeviceConfig;
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Retention::default()).unwrap();
    let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap().id;
    let now = super::now_secs();
    let interfaces: Vec<u32> = (1..=48).collect();
    let first = (now - 365 * 86_400).div_euclid(86_400) * 86_400;
    let written = Instant::now();
    let mut octets = 0u64;
    for (k, at) in (first..now).step_by(3600).enumerate() {
        octets += 450_000_000;
        let rate = |scale: f64, i: u32| scale * f64::from(i) * (1.0 + unit(2, at as u64, u64::from(i)));
        let record = PollRecord {
            at_ms: at * 1000,
            duration_ms: 1,
            uptime_ticks: (k as u32).wrapping_mul(360_000),
            system: None,
            inventory: (k == 0).then(|| interfaces.iter().map(|i| InterfaceInfo::ethernet(*i)).collect()),
            interfaces: interfaces
                .iter()
                .map(|i| {
                    let counters = CounterRow::octets(*i, octets, octets / 2, CounterBits::Bits64);
                    InterfaceReading::traffic(counters, Some(rate(1e6, *i)), Some(rate(5e5, *i)))
                })
                .collect(),
            agent_addr: None,
        };
        store.record_poll(&id, record).unwrap();
    }
    let rollups = dir.path().join("devices").join(&id.0).join("rollup");
    println!(
        "a year of hourly polls of 48 interfaces written through the store in {:.1} s; rollups on disk: {} bytes",
        written.elapsed().as_secs_f64(),
        bytes_under(&rollups, ""),
    );
    // 500 steps: 18-hour steps from the 6-hour tier (1,464 lines a year). 2,000 steps: 5-hour
    // steps from the hourly tier, the 8,784 lines a year at 500 steps read before that tier.
    for (steps, tier) in [(2000, "hourly tier (what 500 steps read before the 6-hour tier)"), (500, "6-hour tier")] {
        let mut timings: Vec<f64> = (0..200)
            .map(|_| {
                let started = Instant::now();
                let traffic = store.traffic(&id.0, 7, now - 365 * 86_400, now, steps).unwrap();
                assert!(traffic.points.iter().filter(|p| p.in_bps.is_some()).count() > 400);
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        timings.sort_by(f64::total_cmp);
        println!(
            "1-year traffic query of one interface, {steps} steps, sealed rollups, {tier}: p50 {:.2} ms, p99 {:.2} ms",
            timings[100], timings[197],
        );
    }
}
