//! Measurements of the sealed store, for the README (print, assert nothing but correctness):
//! bytes per interface-sample on disk with the simulator's counters (the same counters in
//! VictoriaMetrics and Prometheus: [`super::footprint_tsdb`]; the 1-year query:
//! [`super::footprint_query`]) and memory per interface. Run once, in release:
//! `cargo test --release -p vigie --lib store::footprint -- --ignored --nocapture --test-threads 1`
//! (`FOOTPRINT_KEEP=DIR` keeps each run's data dir under DIR, to look at with `zstdcat`).

use std::path::Path;

use super::files::Appender;
use super::poll_line::{InterfaceSample, PollLine};
use super::rollup_line::RollupLine;
use super::seal;
use super::series::{OpenBuckets, Retention, SeriesDir};
use crate::sim::traffic::{unit, Flow};

/// Bytes of the files under `dir` whose name ends with `suffix` (`""`: all).
pub(super) fn bytes_under(dir: &Path, suffix: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                bytes_under(&path, suffix)
            } else if path.to_string_lossy().ends_with(suffix) {
                e.metadata().map_or(0, |m| m.len())
            } else {
                0
            }
        })
        .sum()
}

/// This thread's CPU time, in seconds (what a measurement on a shared machine compares).
pub(crate) fn thread_cpu_secs() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Bytes this thread passed to `write` so far (`wchar` of /proc/thread-self/io).
fn thread_written() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar: ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// What a simulated run measured.
struct Run {
    /// Bytes of the plain lines written (the store before sealing).
    plain: u64,
    /// Bytes on disk (raw and rollups) just after the first poll of each hour.
    on_disk: Vec<u64>,
    /// CPU seconds and bytes written by the first poll of each hour (the seal, and one line).
    seal_cpu: Vec<f64>,
    seal_written: Vec<u64>,
    /// CPU seconds of all the other polls.
    other_cpu: f64,
}

/// The footprint runs' simulated interfaces: 48 (say) flows of agent seed 7 on 10 Gbit/s
/// interfaces, a share of them idle, read every 60 s (±100 ms) from midnight UTC, counters
/// starting at `offset`. The TSDB runs ([`super::footprint_tsdb`]) read the same values.
pub(super) struct SimulatedPolls {
    flows: Vec<[Flow; 2]>,
    offset: u64,
}

impl SimulatedPolls {
    /// The agent's seed: every run draws the same flows.
    const SEED: u64 = 7;
    const START_MS: i64 = 1_795_564_800_000; // midnight UTC
    const BOOT_SECS: f64 = (Self::START_MS / 1000 - 3 * 86_400) as f64;

    pub(super) fn new(interfaces: u32, rate_bps: f64, offset: u64, idle_percent: f64) -> SimulatedPolls {
        let idle = crate::sim::traffic::idle_ports(Self::SEED, interfaces, idle_percent);
        let flows = (1..=interfaces)
            .map(|i| {
                [0, 1].map(|d| match idle[i as usize - 1] {
                    true => Flow::idle(),
                    false => Flow::new(Self::SEED, i, d, rate_bps, 10_000_000_000),
                })
            })
            .collect();
        SimulatedPolls { flows, offset }
    }

    /// When poll `k` (0, 1, ...) answers, in Unix milliseconds.
    pub(super) fn at_ms(k: i64) -> i64 {
        Self::regular_at_ms(k) + (unit(1, k as u64, 0) * 200.0) as i64 - 100
    }

    /// Poll `k` exactly every 60 s (as a Prometheus scrape is stamped), Unix milliseconds.
    pub(super) fn regular_at_ms(k: i64) -> i64 {
        Self::START_MS + k * 60_000
    }

    /// Poll `k`'s line as the poller writes it (rates from `prev`, poll `k - 1`'s time and
    /// counters), and its counters.
    pub(super) fn line(&self, k: i64, prev: Option<&(i64, Vec<[u64; 2]>)>) -> (PollLine, Vec<[u64; 2]>) {
        let at_ms = Self::at_ms(k);
        let now = at_ms as f64 / 1000.0;
        let counters = self.counters(at_ms);
        let samples = counters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let rate = prev.map(|(p_ms, p)| {
                    let secs = (at_ms - p_ms) as f64 / 1000.0;
                    [0, 1].map(|d| (c[d] - p[i][d]) as f64 * 8.0 / secs)
                });
                InterfaceSample {
                    if_index: i as u32 + 1,
                    hc_in_octets: Some(c[0]),
                    hc_out_octets: Some(c[1]),
                    in_octets_32: None,
                    out_octets_32: None,
                    in_bps: rate.map(|r| r[0]),
                    out_bps: rate.map(|r| r[1]),
                }
            })
            .collect();
        let uptime_ticks = ((now - Self::BOOT_SECS) * 100.0) as u32;
        (PollLine { timestamp: now, sys_up_time: uptime_ticks, interfaces: samples }, counters)
    }

    /// The in and out octet counters of every interface (ifIndex 1, 2, ...) at `at_ms`.
    pub(super) fn counters(&self, at_ms: i64) -> Vec<[u64; 2]> {
        let now = at_ms as f64 / 1000.0;
        self.flows.iter().map(|f| f.map(|f| self.offset + f.octets(Self::BOOT_SECS, now))).collect()
    }
}

/// Polls the simulated interfaces for `hours` through the store.
fn poll_through(series: &SeriesDir, root: &Path, polls: &SimulatedPolls, hours: i64) -> Run {
    let tiers = Retention::default().tiers();
    let (appender, mut open) = (Appender::default(), OpenBuckets::default());
    let mut prev: Option<(i64, Vec<[u64; 2]>)> = None;
    let mut run = Run { plain: 0, on_disk: Vec::new(), seal_cpu: Vec::new(), seal_written: Vec::new(), other_cpu: 0.0 };
    let mut hour = None;
    for k in 0..hours * 60 {
        let at_ms = SimulatedPolls::at_ms(k);
        let (line, counters) = polls.line(k, prev.as_ref());
        run.plain += line.to_json().len() as u64 + 1;
        let first_of_hour = hour.replace(at_ms.div_euclid(3_600_000)) != Some(at_ms.div_euclid(3_600_000));
        let (cpu, written) = (thread_cpu_secs(), thread_written());
        series.append_poll(&appender, &tiers, &mut open, &line).unwrap();
        let cpu = thread_cpu_secs() - cpu;
        if first_of_hour {
            run.seal_cpu.push(cpu);
            run.seal_written.push(thread_written() - written);
            run.on_disk.push(bytes_under(root, ""));
        } else {
            run.other_cpu += cpu;
        }
        prev = Some((at_ms, counters));
    }
    run
}

/// The footprint rows: label, mean rate per interface and direction (bits/s), counters' offset,
/// share of idle interfaces (percent).
pub(super) const ROWS: [(&str, f64, u64, f64); 7] = [
    ("10 Mbit/s mean, small counters", 10e6, 0, 0.0),
    ("10 Mbit/s mean, 20-digit counters", 10e6, 10_000_000_000_000_000_000, 0.0),
    ("1 Mbit/s mean, small counters", 1e6, 0, 0.0),
    ("100 Mbit/s mean, 20-digit counters", 100e6, 10_000_000_000_000_000_000, 0.0),
    ("10 Mbit/s mean, small counters, 50 % idle", 10e6, 0, 50.0),
    ("10 Mbit/s mean, small counters, 75 % idle", 10e6, 0, 75.0),
    ("1 Mbit/s mean, small counters, 75 % idle", 1e6, 0, 75.0),
];

/// Bytes per interface-sample on disk, sealing's CPU and writes per hour, for the simulator's
/// counters at several rates, with 20-digit counters, and with idle interfaces. "Steady state" is what the second day
/// added to the disk (measured at the same hour of both days, so the open plain part, at most
/// an hour of samples and a day of rollups, cancels out), per interface-sample.
#[test]
#[ignore]
fn bytes_per_interface_sample() {
    let interfaces = 48u32;
    let hours = 50i64;
    println!("{interfaces} interfaces polled every 60 s for {hours} h through the store (simulator counters):");
    for (label, rate_bps, offset, idle_percent) in ROWS {
        let dir = tempfile::tempdir().unwrap();
        let series = SeriesDir::new(dir.path());
        let polls = SimulatedPolls::new(interfaces, rate_bps, offset, idle_percent);
        let run = poll_through(&series, dir.path(), &polls, hours);
        let samples = (u64::from(interfaces) * hours as u64 * 60) as f64;
        let per = |bytes: u64| bytes as f64 / samples;
        // The open part at the end (this hour's samples, today's rollups) is included.
        let (raw, rollups) = (bytes_under(&series.samples(), ""), bytes_under(&dir.path().join("rollup"), ""));
        let plain_rollups = rollup_plain_bytes(&dir.path().join("rollup"));
        let day = (u64::from(interfaces) * 24 * 60) as f64;
        let steady = (run.on_disk[49] - run.on_disk[25]) as f64 / day;
        let ms = |v: &[f64]| v.iter().sum::<f64>() * 1000.0 / v.len() as f64;
        let kb = |v: &[u64]| v.iter().sum::<u64>() as f64 / 1024.0 / v.len() as f64;
        println!(
            "  {label}: before {:.1} B (raw {:.1} + rollups {:.1}); after: steady state {:.2} B, \
             whole run {:.2} B (raw {:.2} + rollups {:.2}, open files {:.2} of it)",
            per(run.plain + plain_rollups),
            per(run.plain),
            per(plain_rollups),
            steady,
            per(raw + rollups),
            per(raw),
            per(rollups),
            per(bytes_under(dir.path(), ".jsonl")),
        );
        println!(
            "    sealing, per device-hour: {:.2} ms CPU and {:.0} KiB written on average (hour 1: {:.2} ms, {:.0} KiB; \
             hour 23: {:.2} ms, {:.0} KiB); the other polls {:.0} µs CPU each",
            ms(&run.seal_cpu[1..]),
            kb(&run.seal_written[1..]),
            run.seal_cpu[1] * 1000.0,
            run.seal_written[1] as f64 / 1024.0,
            run.seal_cpu[23] * 1000.0,
            run.seal_written[23] as f64 / 1024.0,
            run.other_cpu * 1e6 / (hours * 60 - hours) as f64,
        );
        // Every sample reads back.
        let mut n = 0;
        series.read_polls(0, i64::MAX / 2, |_| n += 1).unwrap();
        assert_eq!(n, hours * 60);
        if let Ok(keep) = std::env::var("FOOTPRINT_KEEP") {
            // For a look with zstd and zstdcat: `FOOTPRINT_KEEP=/tmp/fp` keeps each run's files.
            let to = Path::new(&keep).join(label.replace([' ', ',', '/'], "_"));
            let status = std::process::Command::new("cp").arg("-r").arg(dir.path()).arg(&to).status();
            println!("    kept in {} ({status:?})", to.display());
        }
    }
}

/// Bytes of the rollup lines in the plain layout: what the plain files held before sealing
/// (sealed lines are in the compact shape, so each is written plain again to be counted).
fn rollup_plain_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for tier in ["5m", "1h", "6h"] {
        for entry in std::fs::read_dir(dir.join(tier)).into_iter().flatten().filter_map(Result::ok) {
            let path = entry.path();
            let Some(plain) = path.to_str().and_then(|p| p.strip_suffix(".zst")) else { continue };
            seal::read_segment(Path::new(plain), |b| {
                let line: RollupLine = serde_json::from_slice(b).expect("rollup lines read back");
                total += serde_json::to_string(&line).expect("rollup lines serialize").len() as u64;
                true
            })
            .unwrap();
        }
    }
    total
}

/// What the store keeps in memory per interface: 400 devices × 48 interfaces (names as a router
/// gives them), polled every 60 s for 2 h 10 of simulated time through the store, the inventory
/// walked again every hour. Prints the
/// resident memory per interface after the inventory, and at the peak and on average over the
/// last hour (the rollup lines waiting in memory for their hour), with the sizes of the types
/// kept. Run alone (`--test-threads 1`): it reads the process's RSS. `FOOTPRINT_DEVICES` sets
/// the number of devices, `FOOTPRINT_INTERFACES` their interfaces.
#[test]
#[ignore]
fn memory_per_interface() {
    use super::open_buckets::OpenBuckets;
    use super::rollup_line::Bucket;
    use super::{InterfaceLive, InterfaceReading, PollRecord, Store};
    use crate::device::DeviceConfig;
    use crate::snmp::if_mib::{CounterBits, CounterRow, IfNames, IfStatus, InterfaceInfo};

    // FOOTPRINT_DEVICES=800 (say) against the default 400 tells what grows with the fleet from
    // what does not (the code paged in by the first seals, about 2.6 MB).
    let devices: usize = std::env::var("FOOTPRINT_DEVICES").ok().and_then(|d| d.parse().ok()).unwrap_or(400);
    // FOOTPRINT_INTERFACES=1 (say) tells what a device costs whatever its interfaces.
    let interfaces: u32 = std::env::var("FOOTPRINT_INTERFACES").ok().and_then(|d| d.parse().ok()).unwrap_or(48);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Retention::default()).unwrap();
    let ids: Vec<_> = (0..devices)
        .map(|d| {
            store
                .add_device(DeviceConfig::v2c(
                    &format!("r{d}"),
                    &format!("127.0.{}.{}", d / 250, d % 250 + 1),
                    1161,
                    "public",
                ))
                .unwrap()
                .id
        })
        .collect();
    let per = |before: u64, after: u64| (after as f64 - before as f64) / (devices as f64 * f64::from(interfaces));
    let start = (super::now_secs() - 3 * 3600).div_euclid(3600) * 3600;
    let info = |i: u32| InterfaceInfo {
        if_index: i,
        names: IfNames::new(&format!("ge-0/0/{i}"), &format!("ge-0/0/{i}"), &format!("uplink to customer {i}")),
        if_type: 6,
        speed_bps: Some(1_000_000_000),
        admin_status: IfStatus::Up,
        oper_status: IfStatus::Up,
    };
    let record = |k: i64, first: bool| PollRecord {
        at_ms: (start + 60 * k) * 1000,
        duration_ms: 5,
        uptime_ticks: (k * 6000) as u32,
        system: None,
        inventory: first.then(|| (1..=interfaces).map(info).collect()),
        interfaces: (1..=interfaces)
            .map(|i| {
                let octets = (k as u64 + 1) * 7_500_000 * u64::from(i);
                let counters = CounterRow::octets(i, octets, octets / 2, CounterBits::Bits64);
                InterfaceReading::traffic(counters, Some(1e6 * f64::from(i)), Some(5e5 * f64::from(i)))
            })
            .collect(),
        agent_addr: None,
    };
    crate::allocator::return_large_blocks();
    let (empty, empty_heap) = (crate::allocator::resident_bytes(), crate::allocator::held());
    for id in &ids {
        store.record_poll(id, record(0, true)).unwrap();
    }
    let inventory = crate::allocator::resident_bytes();
    let (mut peak, mut sum, mut n) = (0u64, 0u64, 0u64);
    let (mut rollups_peak, mut rollups_sum) = (0u64, 0u64);
    let (mut in_use_sum, mut free_sum) = (0u64, 0u64);
    for k in 1..130 {
        for id in &ids {
            // The inventory is walked again every hour, as the poller does.
            let walked = k % (crate::poller::poll::INVENTORY_REFRESH_SECS / 60) == 0;
            store.record_poll(id, record(k, walked)).unwrap();
        }
        if k >= 70 {
            let held: usize = ids
                .iter()
                .map(|id| {
                    let device = store.polled(id).unwrap();
                    let disk = device.disk.lock().unwrap();
                    disk.buckets.held_bytes()
                })
                .sum();
            rollups_sum += held as u64;
            rollups_peak = rollups_peak.max(held as u64);
            let (rss, heap) = (crate::allocator::resident_bytes(), crate::allocator::held());
            (in_use_sum, free_sum) = (in_use_sum + heap.in_use, free_sum + heap.free);
            peak = peak.max(rss);
            sum += rss;
            n += 1;
        }
    }
    println!("{devices} devices × {interfaces} interfaces through the store, resident memory per interface:");
    println!("  inventory and first reading: {:.0} B", per(empty, inventory));
    println!(
        "  over the last hour of polls (rollups waiting): mean {:.0} B, peak {:.0} B",
        per(empty, sum / n),
        per(empty, peak)
    );
    println!(
        "  of which the allocator's (mallinfo2), mean over the last hour: in use by live objects {:.0} B, \
         free but held {:.0} B",
        per(empty_heap.in_use, in_use_sum / n),
        per(empty_heap.free, free_sum / n)
    );
    let held = crate::allocator::resident_bytes();
    crate::allocator::give_back_free_pages();
    println!(
        "  at the end: {:.0} B; after malloc_trim(0): {:.0} B (what the allocator held free)",
        per(empty, held),
        per(empty, crate::allocator::resident_bytes())
    );
    let count = (devices as f64) * f64::from(interfaces);
    println!(
        "  of which rollup lines in memory (open and waiting to be written): mean {:.0} B, peak {:.0} B",
        rollups_sum as f64 / n as f64 / count,
        rollups_peak as f64 / count
    );
    println!(
        "  sizes: InterfaceLive {} B (+ its strings on the heap), Bucket {} B (the 5-minute line open, {} \
         coarser tiers packed, up to one closed 5-minute line waiting), OpenBuckets {} B per device; the \
         poller's own state {} B per interface",
        std::mem::size_of::<InterfaceLive>(),
        std::mem::size_of::<Bucket>(),
        Retention::default().tiers().len() - 1,
        std::mem::size_of::<OpenBuckets>(),
        crate::poller::REMEMBERED_BYTES,
    );
}
