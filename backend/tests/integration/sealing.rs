//! Sealing end to end: `vigie serve` against `vigie sim` with a seal every few seconds
//! (`VIGIE_TEST_SEAL_EVERY_SECS`), killed with SIGKILL mid-run and restarted. The traffic API
//! answers the same steps before and after, `zstdcat` reads the sealed files as JSON lines, and
//! `vigie export` gives the same rows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::sim_process::SimProcess;
use crate::vigie::Vigie;

const SEAL_EVERY: &[(&str, &str)] = &[("VIGIE_TEST_SEAL_EVERY_SECS", "3")];

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sealed_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".jsonl.zst")).collect()
}

fn export(data_dir: &Path, id: &str, from: i64, to: i64) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["export", "--device", id, "--from", &from.to_string(), "--to", &to.to_string(), "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run vigie export");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The end of the reads compared across the kill: the second before the one of the newest
/// samples line `vigie export` finds now. Every line before that one is on disk (a device's lines
/// are written in order), and so is everything in the traffic read's last one-second step, where
/// a poll timed before a fixed margin may still be on its way to the writer on a loaded machine.
fn end_of_reads(data_dir: &Path, id: &str, from: i64) -> i64 {
    let exported = export(data_dir, id, from, now_secs());
    let last = exported.lines().last().expect("samples on disk");
    let line: serde_json::Value = serde_json::from_str(last).expect("export prints JSON lines");
    line["timestamp"].as_f64().expect("a line has its timestamp").floor() as i64 - 1
}

/// The lines `zstdcat` shows of a sealed file, each parsed.
fn zstdcat(path: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("zstdcat").arg(path).output().expect("run zstdcat (scripts/install-deps.sh installs it)");
    assert!(out.status.success(), "zstdcat {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("sealed lines are text");
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
}

fn sealed_count(vigie: &Vigie) -> u64 {
    vigie.get("/api/v1/status").body["storage"]["sealedFiles"].as_u64().unwrap_or(0)
}

#[test]
fn sealed_samples_survive_a_kill_9_and_read_the_same_through_the_api_zstdcat_and_export() {
    let sim = SimProcess::start(1, 8);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start_with_env(&data_dir, &[], SEAL_EVERY);
    let id = sim.add_to(&vigie, 0, 1);
    let samples_dir = data_dir.join("devices").join(&id).join("samples");
    let start = now_secs();
    vigie.wait_until(Duration::from_secs(60), "three seals and ten samples", |v| {
        let polled = v.get(&format!("/api/v1/devices/{id}/interfaces/1/counters")).body.as_array()?.len();
        (sealed_count(v) >= 3 && polled >= 10 && !sealed_files(&samples_dir).is_empty()).then_some(())
    });
    let to = end_of_reads(&data_dir, &id, start);
    let traffic = format!("/api/v1/devices/{id}/interfaces/1/traffic?from={start}&to={to}&maxPoints=1000");
    let before = vigie.get(&traffic).body;
    let points = before["points"].as_array().unwrap();
    assert!(points.iter().filter(|p| !p["inBps"].is_null()).count() >= 5, "{before}");
    let exported = export(&data_dir, &id, start, to);
    assert!(exported.lines().count() >= 8, "{exported}");

    assert!(!vigie.kill9().success());
    let mut vigie = Vigie::start_with_env(&data_dir, &[], SEAL_EVERY);
    assert_eq!(vigie.get(&traffic).body["points"], before["points"], "the same steps after the kill");
    assert_eq!(export(&data_dir, &id, start, to), exported, "vigie export gives the same rows");
    vigie.wait_until(Duration::from_secs(30), "a seal after the restart", |v| (sealed_count(v) >= 2).then_some(()));
    assert_eq!(vigie.get(&traffic).body["points"], before["points"], "and after sealing what the restart found");

    // zstdcat reads every sealed file: the samples the export printed are in it, as JSON lines.
    let lines: Vec<serde_json::Value> = sealed_files(&samples_dir).iter().flat_map(|p| zstdcat(p)).collect();
    let sealed: Vec<f64> = lines.iter().map(|l| l["timestamp"].as_f64().unwrap()).collect();
    let first = exported.lines().next().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).unwrap();
    assert!(sealed.contains(&first["timestamp"].as_f64().unwrap()), "the oldest exported sample is sealed");
    assert!(lines.iter().any(|l| l.get("deltas").is_some()), "lines after a frame's first are deltas");
    assert_eq!(vigie.get("/api/v1/status").body["storage"]["writeErrors"], 0);
    drop(sim);
}
