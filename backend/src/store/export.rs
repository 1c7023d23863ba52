//! `vigie export`: one device's history read from a data dir (sealed and open files alike) and
//! written to stdout as plain JSON lines or CSV. It only reads, so it works while Vigie runs.

use std::io::{self, Write};
use std::path::PathBuf;

use super::rollup_line::RollupLine;
use super::seal;
use super::segments;
use super::series::{Retention, SeriesDir, Tier};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The data dir Vigie writes (only read)
    #[arg(long, env = "VIGIE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The device's id (as in GET /api/devices)
    #[arg(long)]
    pub device: String,
    /// From this Unix time in seconds [default: the oldest kept]
    #[arg(long)]
    pub from: Option<i64>,
    /// Up to this Unix time in seconds, included [default: the newest]
    #[arg(long)]
    pub to: Option<i64>,
    /// json: one line per poll (or rollup bucket) in the store's plain layout, absolute
    /// counters; csv: one row per interface and poll (or bucket), with a header
    #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
    pub format: String,
    /// Rollups (5m, 1h or 6h) instead of raw samples
    #[arg(long, value_parser = ["5m", "1h", "6h"])]
    pub rollup: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no device {id:?} in {dir} (ids are in GET /api/devices)")]
    NoDevice { id: String, dir: String },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("cannot write the export: {0}")]
    Write(io::Error),
}

const RAW_CSV_HEADER: &str = "timestamp,ifIndex,ifHCInOctets,ifHCOutOctets,ifInOctets,ifOutOctets,inBps,outBps";
const ROLLUP_CSV_HEADER: &str = "timestamp,ifIndex,inBps,outBps,inBpsMax,outBpsMax,samples";

/// Writes the export to `out`; answers how many lines (JSON) or rows (CSV) it wrote.
pub fn run(args: &ExportArgs, out: &mut impl Write) -> Result<u64, ExportError> {
    let id = &args.device;
    let device_dir = args.data_dir.join("devices").join(id);
    let plain_id = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain_id || !device_dir.is_dir() {
        return Err(ExportError::NoDevice { id: id.clone(), dir: args.data_dir.display().to_string() });
    }
    let series = SeriesDir::new(&device_dir);
    let (from, to) = (args.from.unwrap_or(i64::MIN / 2), args.to.unwrap_or(i64::MAX / 2));
    let csv = args.format == "csv";
    let mut written = 0u64;
    let mut failed: Option<io::Error> = None;
    let mut emit = |text: &str| {
        if failed.is_none() {
            match out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                Ok(()) => written += 1,
                Err(e) => failed = Some(e),
            }
        }
    };
    let read_error = |path: PathBuf| move |source| ExportError::Read { path: path.display().to_string(), source };
    match &args.rollup {
        None => {
            if csv {
                emit(RAW_CSV_HEADER);
            }
            series
                .read_polls(from, to, |line| {
                    if !csv {
                        return emit(&line.to_json());
                    }
                    for s in &line.interfaces {
                        let n = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
                        let r = |v: Option<f64>| v.map_or(String::new(), |v| format!("{}", v.round().max(0.0) as u64));
                        emit(&format!(
                            "{},{},{},{},{},{},{},{}",
                            line.timestamp,
                            s.if_index,
                            n(s.hc_in_octets),
                            n(s.hc_out_octets),
                            n(s.in_octets_32),
                            n(s.out_octets_32),
                            r(s.in_bps),
                            r(s.out_bps)
                        ));
                    }
                })
                .map_err(read_error(series.samples()))?;
        }
        Some(name) => {
            let tier: Tier =
                Retention::default().tiers().into_iter().find(|t| t.name == name).expect("clap allows the tiers only");
            let dir = series.rollup(&tier);
            if csv {
                emit(ROLLUP_CSV_HEADER);
            }
            let mut last = i64::MIN;
            for path in segments::overlapping(&dir, from, to, tier.segment_secs) {
                seal::read_segment(&path, |bytes| {
                    let Ok(line) = serde_json::from_slice::<RollupLine>(bytes) else { return false };
                    if line.timestamp <= last || line.timestamp < from || line.timestamp > to {
                        return true;
                    }
                    last = line.timestamp;
                    if !csv {
                        emit(&serde_json::to_string(&line).expect("rollup lines serialize"));
                        return true;
                    }
                    for b in &line.buckets {
                        emit(&format!(
                            "{},{},{},{},{},{},{}",
                            line.timestamp, b.if_index, b.in_bps, b.out_bps, b.in_bps_max, b.out_bps_max, b.samples
                        ));
                    }
                    true
                })
                .map_err(read_error(path.clone()))?;
            }
        }
    }
    match failed {
        Some(e) => Err(ExportError::Write(e)),
        None => out.flush().map(|()| written).map_err(ExportError::Write),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceConfig;
    use crate::snmp::if_mib::{CounterBits, CounterRow, InterfaceInfo};
    use crate::store::{InterfaceReading, PollRecord, Store};

    fn record(at: i64, first: bool) -> PollRecord {
        let reading = |i: u32| {
            let counters = CounterRow::octets(i, at as u64 * 1000 * u64::from(i), 7, CounterBits::Bits64);
            InterfaceReading::traffic(counters, (!first).then_some(8000.0 * f64::from(i)), (!first).then_some(0.0))
        };
        PollRecord {
            at_ms: at * 1000,
            duration_ms: 1,
            uptime_ticks: 100,
            system: None,
            inventory: first.then(|| vec![InterfaceInfo::ethernet(1), InterfaceInfo::ethernet(2)]),
            interfaces: vec![reading(1), reading(2)],
            agent_addr: None,
        }
    }

    fn export(dir: &std::path::Path, id: &str, format: &str, rollup: Option<&str>) -> String {
        let args = ExportArgs {
            data_dir: dir.to_path_buf(),
            device: id.to_string(),
            from: None,
            to: None,
            format: format.into(),
            rollup: rollup.map(str::to_string),
        };
        let mut out = Vec::new();
        run(&args, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn export_reads_sealed_and_open_samples_as_the_api_serves_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let id = store.add_device(DeviceConfig::v2c("sw1", "127.0.0.1", 1161, "public")).unwrap().id;
        let now = crate::store::now_secs();
        let start = (now - 3 * 3600).div_euclid(3600) * 3600;
        // Three hours of polls: the first two hours get sealed on the way, the third stays open.
        for (k, at) in (0..).map(|k| (k, start + k * 300)).take_while(|(_, at)| *at <= now) {
            store.record_poll(&id, record(at, k == 0)).unwrap();
        }
        let samples = dir.path().join("devices").join(&id.0).join("samples");
        let names: Vec<String> = std::fs::read_dir(&samples)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.ends_with(".jsonl.zst")), "{names:?}");

        let api = store.counters(&id.0, 2, start - 1, now + 1).unwrap();
        let json = export(dir.path(), &id.0, "json", None);
        let lines: Vec<crate::store::series::PollLine> =
            json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), api.len());
        for (line, point) in lines.iter().zip(&api) {
            let s = &line.interfaces[1];
            assert_eq!(
                (line.timestamp, s.hc_in_octets, s.hc_out_octets),
                (point.timestamp, point.hc_in_octets, point.hc_out_octets)
            );
        }
        let csv = export(dir.path(), &id.0, "csv", None);
        assert_eq!(csv.lines().next(), Some(RAW_CSV_HEADER));
        assert_eq!(csv.lines().count(), 1 + 2 * api.len());
        let second = format!("{},2,{},7,,,16000,0", start + 300, (start + 300) as u64 * 2000);
        assert!(csv.lines().any(|l| l == second), "{csv}");

        let rollups = export(dir.path(), &id.0, "csv", Some("5m"));
        assert!(rollups.lines().count() > 2 * 20, "two interfaces, the closed 5-minute buckets: {rollups}");
        assert!(rollups.lines().nth(1).unwrap().contains(",1,8000,0,8000,0,1"), "{rollups}");
        let missing = ExportArgs {
            data_dir: dir.path().into(),
            device: "../devices".into(),
            from: None,
            to: None,
            format: "json".into(),
            rollup: None,
        };
        assert!(matches!(run(&missing, &mut Vec::new()), Err(ExportError::NoDevice { .. })));
    }

    /// Poll `k` (every 60 s from `start`) of the sealed-and-plain test: rates that are not
    /// whole, interface 3 new after 5 hours, interface 2 missing for two hours and with gaps (a
    /// wrap: no rate).
    fn poll(start: i64, k: i64) -> crate::store::series::PollLine {
        let hour = k / 60;
        let interfaces = (1..=3u32)
            .filter(|i| (*i != 3 || hour >= 5) && (*i != 2 || !(10..12).contains(&hour)))
            .map(|i| {
                let noise = ((k as u64 * 7919 + u64::from(i) * 104_729) % 1000) as f64 * 13.37;
                let rate = (i != 2 || k % 97 != 0).then_some(8000.3 * f64::from(i) + noise);
                crate::store::series::InterfaceSample {
                    if_index: i,
                    hc_in_octets: Some(k as u64 * 60_000),
                    hc_out_octets: Some(k as u64),
                    in_octets_32: None,
                    out_octets_32: None,
                    in_bps: rate,
                    out_bps: rate.map(|r| r / 3.0),
                }
            })
            .collect();
        let timestamp = (start + k * 60) as f64 + 0.25;
        crate::store::series::PollLine { timestamp, sys_up_time: k as u32 * 6000, interfaces }
    }

    /// Makes every sealed rollup file of `series` plain again: its lines, in the plain layout.
    fn unseal_rollups(series: &SeriesDir, tiers: &[Tier]) {
        for tier in tiers {
            for entry in std::fs::read_dir(series.rollup(tier)).unwrap() {
                let path = entry.unwrap().path();
                let Some(name) = path.to_str().and_then(|p| p.strip_suffix(".zst")) else { continue };
                let mut text = String::new();
                seal::read_segment(std::path::Path::new(name), |bytes| {
                    let line: RollupLine = serde_json::from_slice(bytes).unwrap();
                    text += &serde_json::to_string(&line).unwrap();
                    text.push('\n');
                    true
                })
                .unwrap();
                assert!(!text.contains("overAverage"));
                std::fs::write(name, text).unwrap();
                std::fs::remove_file(&path).unwrap();
            }
        }
    }

    /// Rollups sealed in their compact shape answer as plain files do: one interface's points
    /// (what the traffic query reads from the rollup tiers), whole lines and `vigie export` in
    /// JSON and CSV, every tier, after 30 hours of polls (see [`poll`]).
    #[test]
    fn sealed_and_plain_rollups_give_the_same_answers() {
        let data = tempfile::tempdir().unwrap();
        let sealed_dir = data.path().join("sealed");
        let series = SeriesDir::new(&sealed_dir.join("devices").join("d1"));
        let tiers = Retention::default().tiers();
        let (appender, mut open) =
            (crate::store::files::Appender::default(), crate::store::series::OpenBuckets::default());
        let start = 1_795_564_800i64; // midnight UTC: the rollups are sealed at the next one
        for k in 0..30 * 60i64 {
            series.append_poll(&appender, &tiers, &mut open, &poll(start, k)).unwrap();
        }
        let plain_dir = data.path().join("plain");
        let copied = std::process::Command::new("cp").arg("-r").arg(&sealed_dir).arg(&plain_dir).status();
        assert!(copied.unwrap().success());
        let plain = SeriesDir::new(&plain_dir.join("devices").join("d1"));
        unseal_rollups(&plain, &tiers);
        for tier in &tiers {
            let files: Vec<_> = std::fs::read_dir(series.rollup(tier)).unwrap().map(|e| e.unwrap().path()).collect();
            let sealed = files.iter().find(|p| p.extension().is_some_and(|x| x == "zst")).expect("a sealed file");
            let text = String::from_utf8(zstd::decode_all(std::fs::File::open(sealed).unwrap()).unwrap()).unwrap();
            assert!(text.lines().all(|l| l.contains(r#""overAverage":["inBpsMax","outBpsMax"]"#)), "{text}");
        }
        for tier in &tiers {
            for if_index in 1..=4 {
                let points = series.read_rollup(tier, if_index, 0, i64::MAX / 2).unwrap();
                assert_eq!(
                    points,
                    plain.read_rollup(tier, if_index, 0, i64::MAX / 2).unwrap(),
                    "{} {if_index}",
                    tier.name
                );
                assert_eq!(points.is_empty(), if_index == 4, "{} {if_index}", tier.name);
                assert!(points.iter().all(|p| p.in_bps.fract() == 0.0 && p.out_bps_max.fract() == 0.0));
            }
            let lines = |s: &SeriesDir| {
                let mut lines = Vec::new();
                s.read_rollup_lines(tier, 0, i64::MAX / 2, |l| lines.push(l)).unwrap();
                lines
            };
            assert_eq!(lines(&series), lines(&plain));
            for format in ["json", "csv"] {
                let sealed = export(&sealed_dir, "d1", format, Some(tier.name));
                assert_eq!(sealed, export(&plain_dir, "d1", format, Some(tier.name)), "{} {format}", tier.name);
                assert!(sealed.lines().count() > 3 && !sealed.contains("overAverage"), "{sealed}");
            }
        }
    }
}
