//! Sealing's CPU per device-hour, split into its parts, for the README (prints, asserts only
//! that the parts read back): one hour of the footprint runs' 48 simulated interfaces, sealed
//! again and again. Run in release:
//! `cargo test --release -p vigie --lib store::footprint_seal -- --ignored --nocapture --test-threads 1`

use std::io::Write;

use super::files::read_raw_lines;
use super::footprint::{thread_cpu_secs, SimulatedPolls, ROWS};
use super::poll_delta::{Chain, Decoder, Encoder};
use super::poll_line::PollLine;
use super::seal::{self, Content, Then};

/// Seals of the same hour measured per part.
const ROUNDS: usize = 200;

/// A steady hour of `polls`: 60 lines, every one with its rates (the poll before the hour is
/// read for them, not kept).
fn steady_hour(polls: &SimulatedPolls) -> Vec<PollLine> {
    let mut prev = None;
    (0..61)
        .map(|k| {
            let (line, counters) = polls.line(k, prev.as_ref());
            prev = Some((SimulatedPolls::at_ms(k), counters));
            line
        })
        .skip(1)
        .collect()
}

/// CPU milliseconds per round of `work`, over [`ROUNDS`] rounds.
fn ms_per_round(mut work: impl FnMut()) -> f64 {
    let start = thread_cpu_secs();
    for _ in 0..ROUNDS {
        work();
    }
    (thread_cpu_secs() - start) * 1000.0 / ROUNDS as f64
}

/// The lines of an hour as the writer appends them to its plain file: the first absolute, the
/// next ones as deltas.
fn written(lines: &[PollLine]) -> Vec<u8> {
    let (mut chain, mut out) = (Chain::default(), Vec::new());
    for line in lines {
        chain.write(0, out.len() as u64, line, &mut out);
        chain.written(0, Some(out.len() as u64));
    }
    out
}

#[test]
#[ignore]
fn sealing_cpu_per_device_hour() {
    println!("one device-hour (48 interfaces, 60 polls), CPU per hour over {ROUNDS} rounds:");
    for (label, rate_bps, offset, idle_percent) in ROWS {
        let lines = steady_hour(&SimulatedPolls::new(48, rate_bps, offset, idle_percent));
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("2026-11-25.jsonl");
        let text = written(&lines);

        let mut absolute = Vec::new();
        let write_absolute = ms_per_round(|| {
            absolute.clear();
            for line in &lines {
                Encoder::write_absolute(line, &mut absolute);
                absolute.push(b'\n');
            }
        });
        let write_deltas = ms_per_round(|| assert_eq!(written(&lines).len(), text.len()));
        let whole = ms_per_round(|| {
            std::fs::write(&plain, &text).unwrap();
            let _ = std::fs::remove_file(seal::sealed_path(&plain));
            assert_eq!(seal::seal(&plain, Content::Polls, Then::Delete).unwrap(), 60);
        });
        let write_plain = ms_per_round(|| std::fs::write(&plain, &text).unwrap());
        let decode = ms_per_round(|| {
            let mut decoder = Decoder::default();
            let mut n = 0;
            read_raw_lines(&plain, |bytes| {
                n += decoder.line(bytes).is_some() as usize;
                true
            })
            .unwrap();
            assert_eq!(n, 60);
        });
        let mut frame = Vec::new();
        let compress = ms_per_round(|| {
            frame.clear();
            seal::with_context(|context| {
                let mut zstd = seal::frame_encoder(&mut frame, context, Content::Polls, text.len() as u64).unwrap();
                zstd.write_all(&text).unwrap();
                zstd.finish().unwrap();
            })
        });
        println!(
            "  {label}: the poll path's lines written absolute {write_absolute:.2} ms, as deltas {write_deltas:.2} ms; \
             whole seal {whole:.2} ms (of which the test's own plain-file write about {write_plain:.2} ms), \
             of which zstd {compress:.2} ms; decoding the lines (readers, a seal that cannot copy) {decode:.2} ms \
             ({} B of absolute lines, {} B of delta lines -> {} B frame)",
            absolute.len(),
            text.len(),
            frame.len(),
        );
    }
}

/// Closing a device's kept samples file before its seal, with as many files kept as the
/// default bound (2,048 devices' files): by its owner ([`KeptFiles::take`], what a seal does)
/// against a scan of every kept path ([`KeptFiles::forget_below`], what it did until now, and
/// what removing a device still does).
#[test]
#[ignore]
fn closing_a_kept_file_before_a_seal() {
    use super::kept_files::{Kept, KeptFiles, DEFAULT_MAX_OPEN};
    use std::path::Path;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    let owners: Vec<Arc<Path>> =
        (0..DEFAULT_MAX_OPEN).map(|d| Arc::from(dir.path().join(format!("devices/{d:08}")).as_path())).collect();
    let kept = KeptFiles::default();
    let keep = |owner: &Arc<Path>| {
        let file = std::fs::File::create(&file).unwrap();
        kept.put(Kept { owner: owner.clone(), segment: 0, file, len: 0 });
    };
    owners.iter().for_each(keep);
    let per_close = |close: &dyn Fn(&Path)| {
        let start = thread_cpu_secs();
        for owner in &owners {
            close(owner);
            keep(owner); // back, for the next owner's turn (the same cost in both rows)
        }
        (thread_cpu_secs() - start) * 1e6 / owners.len() as f64
    };
    let by_scan = per_close(&|owner| kept.forget_below(owner));
    let by_owner = per_close(&|owner| drop(kept.take(owner)));
    assert_eq!(kept.open_count(), DEFAULT_MAX_OPEN);
    println!(
        "closing one of {DEFAULT_MAX_OPEN} kept files (and keeping it again): by a scan of every kept path \
         {by_scan:.1} µs, by its owner {by_owner:.1} µs"
    );
}

/// Seals of many devices' hours one after another, each its own file, as the store writer
/// makes them, each followed by the device's next poll appended (the test above seals one file
/// again and again: its buffers stay warm in the allocator; `vigie serve` gives every block of
/// 128 KiB or more back at once, see [`crate::allocator`]). `TMPDIR=/dev/shm` leaves out the
/// disk's own noise (the `fsync`).
#[test]
#[ignore]
fn sealing_cpu_of_many_devices_hours() {
    use std::fs::OpenOptions;
    const DEVICES: usize = 1000;
    crate::allocator::return_large_blocks(); // as `vigie serve` does
    let lines = steady_hour(&SimulatedPolls::new(48, 10e6, 0, 0.0));
    let text = written(&lines);
    let next_poll = written(&lines[..1]); // the first line after a seal is absolute
    for _ in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let plains: Vec<_> =
            (0..DEVICES).map(|d| dir.path().join(format!("{d:04}/samples/2026-11-25.jsonl"))).collect();
        for plain in &plains {
            std::fs::create_dir_all(plain.parent().unwrap()).unwrap();
            std::fs::write(plain, &text).unwrap();
        }
        let start = thread_cpu_secs();
        for plain in &plains {
            assert_eq!(seal::seal(plain, Content::Polls, Then::Empty).unwrap(), 60);
            OpenOptions::new().append(true).create(true).open(plain).unwrap().write_all(&next_poll).unwrap();
        }
        let per_seal = (thread_cpu_secs() - start) * 1000.0 / DEVICES as f64;
        println!(
            "sealing {DEVICES} devices' hours (48 interfaces, 60 polls each), one after another, the plain file \
             emptied and the next poll appended: {per_seal:.3} ms of CPU a seal"
        );
    }
}
