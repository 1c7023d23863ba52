//! The store writer's bookkeeping of its kept samples files, measured for the README (prints,
//! asserts only that every file is still kept): a device's file taken out and put back, once
//! a poll. Run in release:
//! `cargo test --release -p vigie --lib store::footprint_kept -- --ignored --nocapture --test-threads 1`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::footprint::thread_cpu_secs;
use super::kept_files::{Kept, KeptFiles, DEFAULT_MAX_OPEN};

/// The devices' directories of a fleet of `n`, named as the store names them.
fn owners(n: usize) -> Vec<Arc<Path>> {
    let dir = |d: usize| PathBuf::from(format!("/data/devices/{:016x}", d as u64 * 0x9e37_79b9_7f4a_7c15));
    (0..n).map(|d| Arc::from(dir(d).as_path())).collect()
}

/// A device's kept samples file taken out and put back, each device in turn as the writer's
/// polls come (a fleet of as many devices as the default bound, and of 500).
#[test]
#[ignore]
fn cpu_of_a_kept_file_taken_and_put_back() {
    for devices in [500, DEFAULT_MAX_OPEN] {
        let kept = KeptFiles::default();
        let owners = owners(devices);
        for owner in &owners {
            let file = std::fs::File::open("/dev/null").unwrap();
            kept.put(Kept { owner: owner.clone(), segment: 0, file, len: 0 });
        }
        let rounds = 200;
        let start = thread_cpu_secs();
        for _ in 0..rounds {
            for owner in &owners {
                let file = kept.take(owner).expect("kept");
                kept.put(file);
            }
        }
        let ns = (thread_cpu_secs() - start) * 1e9 / (rounds * devices) as f64;
        assert_eq!(kept.open_count(), devices);
        println!("{devices} devices' files kept: taken out and put back in {ns:.0} ns");
    }
}
