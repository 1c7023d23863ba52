//! Retention: deleting what is past its age. The devices' files (samples, rollups, latency) are
//! whole UTC days (see [`super::segments`]), so a pass over them can find something to delete
//! only once a cutoff (now minus a retention) has moved into another day. A pass lists eight
//! directories per device (0.1 CPU-second at 2,000 devices); run every ten minutes, it was about
//! 4 % of Vigie's CPU at 60-second polls. So the devices' files are passed over at the first
//! pass after a start and then when a cutoff moved into another day: once a day with retentions
//! of whole days (the defaults). Logs are checked at every pass: their size bound moves with
//! every append.

use std::sync::Mutex;

use super::segments::DAY_SECS;
use super::{now_secs, Retention, Store};

/// The UTC days the devices' cutoffs fall in: raw samples and each rollup tier's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct CutoffDays([i64; 1 + super::tiers::TIERS]);

impl CutoffDays {
    fn at(retention: &Retention, now: i64) -> CutoffDays {
        let day = |keep: i64| (now - keep).div_euclid(DAY_SECS);
        let tiers = retention.tiers();
        let mut days = [day(retention.raw_secs); 1 + super::tiers::TIERS];
        for (slot, tier) in days[1..].iter_mut().zip(&tiers) {
            *slot = day(tier.retention_secs);
        }
        CutoffDays(days)
    }
}

/// The cutoffs of the last pass over the devices' files (`None` before the first).
#[derive(Default)]
pub(super) struct LastPass(Mutex<Option<CutoffDays>>);

impl Store {
    /// Deletes data past retention; answers the bytes freed. The devices' files are passed over
    /// only when a cutoff moved into another UTC day since the last pass (see the module).
    pub fn enforce_retention(&self) -> u64 {
        self.enforce_retention_at(now_secs())
    }

    pub(super) fn enforce_retention_at(&self, now: i64) -> u64 {
        let days = CutoffDays::at(&self.retention, now);
        let devices = {
            let mut last = self.last_retention_pass.0.lock().expect("retention lock");
            if *last == Some(days) {
                0
            } else {
                *last = Some(days);
                self.registry
                    .ids()
                    .iter()
                    .map(|id| self.series(id).enforce_retention(&self.retention, now) + self.latency_retention(id, now))
                    .sum()
            }
        };
        devices + self.logs.enforce_retention(now)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::device::DeviceConfig;

    /// Expired files go at the first pass, and a file that expires later goes at the first pass
    /// after its day ends past the retention, not before, nor later.
    #[test]
    fn devices_files_go_when_their_day_is_past_retention() {
        let dir = tempfile::tempdir().unwrap();
        let retention = Retention { raw_secs: 2 * DAY_SECS, ..Retention::default() };
        let store = Store::open(dir.path(), retention).unwrap();
        let id = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 161, "public")).unwrap().id;
        let samples = store.device_dir(&id).join("samples");
        std::fs::create_dir_all(&samples).unwrap();
        // 2026-11-20 starts at 1_795_132_800; its file expires at 2026-11-23 00:00 (its end plus 2 days).
        let day = 1_795_132_800;
        let file = |date: &str| samples.join(format!("{date}.jsonl"));
        for date in ["2026-11-01", "2026-11-20", "2026-11-21"] {
            std::fs::write(file(date), "{}\n").unwrap();
        }
        let before_expiry = day + 3 * DAY_SECS - 60;
        assert!(store.enforce_retention_at(before_expiry) > 0);
        assert!(!file("2026-11-01").exists(), "long expired");
        assert!(file("2026-11-20").exists(), "a minute before its end plus 2 days");
        // Within the same cutoff days, the devices' files are not listed again: a file copied in
        // by hand meanwhile stays until the next day's pass.
        std::fs::write(file("2026-11-02"), "{}\n").unwrap();
        store.enforce_retention_at(before_expiry + 30);
        assert!(file("2026-11-02").exists(), "not passed over again the same day");
        store.enforce_retention_at(day + 3 * DAY_SECS);
        assert!(!file("2026-11-20").exists(), "gone as its day ended 2 days ago");
        assert!(!file("2026-11-02").exists());
        assert!(file("2026-11-21").exists());
        // A restart passes over them at once.
        drop(store);
        std::fs::write(file("2026-11-03"), "{}\n").unwrap();
        let store = Store::open(dir.path(), retention).unwrap();
        store.enforce_retention_at(day + 3 * DAY_SECS + 60);
        assert!(!file("2026-11-03").exists());
    }

    /// The CPU of a pass over 2,000 devices' directories (samples, three rollup tiers, each with
    /// a file of today), and of a pass that skips them, for the README. Run in release:
    /// `cargo test --release -p vigie --lib store::retention -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn cpu_of_a_pass() {
        use crate::store::footprint::thread_cpu_secs;
        const DEVICES: usize = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Retention::default()).unwrap();
        let configs =
            (0..DEVICES).map(|d| DeviceConfig::v2c(&format!("r{d}"), "127.0.0.1", 1000 + d as u16, "public")).collect();
        let now = now_secs();
        let today = super::super::segments::path_for(Path::new(""), now, DAY_SECS);
        for device in store.add_devices(configs).unwrap() {
            let device_dir = store.device_dir(&device.id);
            for sub in ["samples", "rollup/5m", "rollup/1h", "rollup/6h"] {
                std::fs::create_dir_all(device_dir.join(sub)).unwrap();
                std::fs::write(device_dir.join(sub).join(&today), "{}\n").unwrap();
            }
        }
        let cpu = |at: i64| {
            let start = thread_cpu_secs();
            store.enforce_retention_at(at);
            (thread_cpu_secs() - start) * 1000.0
        };
        let (first, skipped, next_day) = (cpu(now), cpu(now + 600), cpu(now + DAY_SECS));
        println!(
            "retention over {DEVICES} devices (samples and 3 rollup tiers each): a pass over their \
             directories {first:.1} ms, then {next_day:.1} ms a day later; a pass that skips them {skipped:.2} ms"
        );
    }
}
