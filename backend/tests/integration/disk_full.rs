//! A full disk: the data directory on a small tmpfs that the test fills up. Polling goes on (live
//! states keep changing), failed writes are counted in `/status`, API writes answer 507
//! `storage_full` and change nothing, no stored line is torn or glued, and everything resumes by
//! itself once space is freed. Needs root (to mount a tmpfs): skipped with a message otherwise;
//! CI runs as root.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::sim_process::{jsonl_lines, SimProcess};
use crate::vigie::Vigie;

/// A tmpfs mounted for the test's lifetime.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).status();
        assert!(ok.is_ok_and(|s| s.success()), "mount a tmpfs on {}", dir.display());
        Tmpfs { dir: dir.to_path_buf() }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Fills the file system of `path` until a write fails for want of space.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    loop {
        if let Err(e) = file.write_all(&chunk) {
            assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
            break;
        }
    }
    // What is left (less than a chunk) goes too.
    while file.write_all(b"x").is_ok() {}
}

fn counters(vigie: &Vigie, id: &str) -> usize {
    vigie.get(&format!("/api/v1/devices/{id}/interfaces/1/counters")).body.as_array().map_or(0, Vec::len)
}

fn storage(vigie: &Vigie) -> Value {
    vigie.get("/api/v1/status").body["storage"].clone()
}

/// Every JSONL line below `dir` parses, and no samples file repeats a timestamp.
fn assert_whole_lines(dir: &Path) {
    let lines = jsonl_lines(dir);
    assert!(!lines.is_empty());
    let mut last: std::collections::HashMap<PathBuf, f64> = Default::default();
    for (path, line) in &lines {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: a torn or glued line ({e}): {line}", path.display()));
        if path.parent().is_some_and(|p| p.ends_with("samples")) {
            let ts = value["timestamp"].as_f64().unwrap();
            let before = last.insert(path.clone(), ts);
            assert!(before.is_none_or(|b| b < ts), "{}: timestamps repeat or go back at {ts}", path.display());
        }
    }
}

#[test]
fn a_full_disk_stops_history_not_polling_and_resumes_by_itself() {
    if !is_root() {
        eprintln!("SKIPPED a_full_disk_stops_history_not_polling_and_resumes_by_itself: mounting a tmpfs needs root");
        return;
    }
    let sim = SimProcess::start(3, 48);
    let temp = tempfile::tempdir().unwrap();
    // Vigie's own log goes next to the mount (data_dir.log-PORT), not on it.
    let data_dir = temp.path().join("data");
    let _tmpfs = Tmpfs::mount(&data_dir, "4m");
    let mut vigie = Vigie::start(&data_dir);
    let ids: Vec<String> = (0..3).map(|i| sim.add_to(&vigie, i, 1)).collect();
    vigie.wait_until(Duration::from_secs(30), "three samples of each device", |v| {
        ids.iter().all(|id| counters(v, id) >= 3).then_some(())
    });

    let filler = data_dir.join("filler");
    fill(&filler);
    let syslog = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let syslog_port = vigie.syslog_port;
    let send_syslog = |what: &str| {
        for n in 0..20 {
            let line = format!("<134>Nov 30 12:00:00 sw1 app[1]: {what} {n}");
            syslog.send_to(line.as_bytes(), ("127.0.0.1", syslog_port)).unwrap();
        }
    };
    send_syslog("while the disk is full");
    vigie.wait_until(Duration::from_secs(30), "failed writes counted", |v| {
        (storage(v)["writeErrors"].as_u64().unwrap() >= 5).then_some(())
    });
    let polled_at = |v: &Vigie| v.device(&ids[0])["status"]["lastPollAt"].as_i64().unwrap();
    let before = polled_at(&vigie);
    vigie.wait_until(Duration::from_secs(15), "polling goes on while the disk is full", |v| {
        (polled_at(v) > before).then_some(())
    });
    assert_eq!(vigie.device(&ids[0])["status"]["state"], "up");
    let status = storage(&vigie);
    assert!(status["lastWriteError"].as_str().unwrap().contains("No space left"), "{status}");
    assert!(status["lastWriteErrorAt"].as_i64().is_some(), "{status}");

    // API writes that need the disk are refused and change nothing.
    let refused = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "one-more", "host": "127.0.0.1", "port": 9, "snmp": {"version": "v2c", "community": "public"}}),
    );
    assert_eq!(refused.status, 507, "{}", refused.text);
    assert_eq!(
        refused.body,
        json!({"code": "storage_full", "message": "the server's disk is full: nothing was changed; free space and try again", "field": null})
    );
    let renamed = vigie.patch_json(&format!("/api/v1/devices/{}", ids[1]), &json!({"name": "renamed"}));
    assert_eq!((renamed.status, renamed.body["code"].clone()), (507, json!("storage_full")));
    assert_eq!(vigie.device(&ids[1])["name"], "sim-0001");
    assert_eq!(vigie.get("/api/v1/devices").body.as_array().unwrap().len(), 3);
    assert_whole_lines(&data_dir);

    // Space comes back: everything resumes by itself.
    let served = counters(&vigie, &ids[0]);
    std::fs::remove_file(&filler).unwrap();
    send_syslog("once space is back");
    vigie.wait_until(Duration::from_secs(30), "samples written again", |v| {
        (counters(v, &ids[0]) >= served + 3).then_some(())
    });
    let added = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "one-more", "host": "127.0.0.1", "port": 9, "snmp": {"version": "v2c", "community": "public"}}),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    assert_whole_lines(&data_dir);
    for id in &ids {
        let state = std::fs::read(data_dir.join("devices").join(id).join("state.json")).unwrap();
        let state: Value = serde_json::from_slice(&state).expect("state.json is whole");
        assert_eq!(state["status"]["state"], "up");
    }
    let devices: Value = serde_json::from_slice(&std::fs::read(data_dir.join("devices.json")).unwrap()).unwrap();
    assert_eq!(devices["devices"].as_array().unwrap().len(), 4);
    assert!(vigie.log().contains("Storage: writes succeed again"), "the recovery is logged");
    vigie.wait_until(Duration::from_secs(15), "syslog stored again", |v| {
        let logs = v.get("/api/v1/logs?q=once%20space%20is%20back&limit=100").body;
        (logs["entries"].as_array().map_or(0, Vec::len) == 20).then_some(())
    });
    assert_whole_lines(&data_dir);
}
