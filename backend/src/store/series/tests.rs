use super::*;

fn retention() -> Retention {
    Retention::default()
}

use super::super::poll_line::test_line as poll;

/// A device's series in a temp dir, the default tiers, an appender, open buckets, and the
/// start of an hour to poll from.
struct Fixture {
    _dir: tempfile::TempDir,
    series: SeriesDir,
    tiers: [Tier; super::super::tiers::TIERS],
    appender: Appender,
    open: OpenBuckets,
    base: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let series = SeriesDir::new(dir.path());
    let base = 1_700_000_000 - 1_700_000_000 % 3600;
    let (tiers, appender, open) = (retention().tiers(), Appender::default(), OpenBuckets::default());
    Fixture { _dir: dir, series, tiers, appender, open, base }
}

fn rollup_lines(series: &SeriesDir, tier: &Tier, from: i64) -> Vec<(i64, u32)> {
    let points = series.read_rollup(tier, 3, from, from + 100 * 3600).unwrap();
    points.iter().map(|p| (p.timestamp - from, p.weight)).collect()
}

#[test]
fn closed_buckets_wait_for_the_device_delay_then_go_to_disk_together() {
    let Fixture { _dir, series, tiers, appender, base, .. } = fixture();
    let mut open = OpenBuckets::new(120); // 120 s past each 5 minutes
    for (i, bps) in [Some(100.0), Some(300.0), None, Some(500.0)].into_iter().enumerate() {
        // Three polls in the first 5-minute bucket (one without a rate), one in the next.
        let ts = base + [0, 60, 120, 300][i];
        series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, bps)).unwrap();
    }
    assert!(rollup_lines(&series, &tiers[0], base).is_empty(), "nothing written before 300 + 120 s");
    let waiting = open.unwritten_points(&tiers, 3, 0);
    assert_eq!(waiting.iter().map(|p| (p.timestamp - base, p.weight)).collect::<Vec<_>>(), [(0, 2), (300, 1)]);
    assert_eq!((waiting[0].in_bps, waiting[0].in_bps_max), (200.0, 300.0));
    assert_eq!(open.unwritten_points(&tiers, 3, 1).len(), 1, "the open hour");

    series.append_poll(&appender, &tiers, &mut open, &poll((base + 3600) as f64, Some(700.0))).unwrap();
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 2), (300, 1)]);
    assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 3)]);
    assert_eq!(open.unwritten_points(&tiers, 3, 0).len(), 1, "only the new open bucket is left");
}

#[test]
fn a_device_writes_its_closed_lines_after_its_own_delay_even_for_an_interface_gone_since() {
    let dir = tempfile::tempdir().unwrap();
    let series = SeriesDir::new(dir.path());
    let tiers = retention().tiers();
    let appender = Appender::default();
    let mut open = OpenBuckets::new(700); // 100 s past each 5 minutes, 700 s past each hour
    let base = 1_700_000_000 - 1_700_000_000 % 3600;
    for ts in [base, base + 300] {
        series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, Some(100.0))).unwrap();
    }
    // ifIndex 3 is gone after that; the polls go on without it.
    let empty = |ts: i64| PollLine { timestamp: ts as f64, sys_up_time: 100, interfaces: Vec::new() };
    let append = |open: &mut OpenBuckets, ts: i64| series.append_poll(&appender, &tiers, open, &empty(ts)).unwrap();
    append(&mut open, base + 390);
    assert!(rollup_lines(&series, &tiers[0], base).is_empty(), "not before the bucket's end (300) + 100 s");
    append(&mut open, base + 400);
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)]);
    append(&mut open, base + 650); // closes the bucket of 300, the last with ifIndex 3
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)], "not before 600 + 100 s");
    assert_eq!(open.unwritten_points(&tiers, 3, 0).len(), 1, "one closed 5-minute bucket waits");
    append(&mut open, base + 700);
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1), (300, 1)]);
    assert!(rollup_lines(&series, &tiers[1], base).is_empty(), "the hour is still filling");
    assert_eq!(open.unwritten_points(&tiers, 3, 1).len(), 1);
    let spread: std::collections::BTreeSet<i64> = (0..100).map(|i| OpenBuckets::delay_for(&format!("d{i}"))).collect();
    assert!(spread.len() > 90 && spread.iter().all(|d| (0..3_000).contains(d)), "delays spread below 50 min");
}

#[test]
fn a_device_seals_its_samples_at_its_own_delay_past_the_hour() {
    let dir = tempfile::tempdir().unwrap();
    let series = SeriesDir::new(dir.path());
    let (tiers, appender) = (retention().tiers(), Appender::default());
    let mut open = OpenBuckets::new(600);
    let base = 1_700_000_000 - 1_700_000_000 % 86_400 + 3600; // 01:00: the lines stay in one day's file
    let plain = segments::path_for(&series.samples(), base, RAW_SEGMENT_SECS);
    let plain_lines = || std::fs::read_to_string(&plain).map_or(0, |text| text.lines().count());
    let sealed_lines = || {
        let mut lines = 0;
        super::super::seal::read_segment(&plain, |_| {
            lines += 1;
            true
        })
        .unwrap();
        lines - plain_lines()
    };
    let mut append = |ts: i64| series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, Some(1.0))).unwrap();
    // The first poll after a start seals (nothing yet); the device's period starts at 600 s.
    for ts in (base + 600..=base + 3600).step_by(60) {
        append(ts);
    }
    assert_eq!((plain_lines(), sealed_lines()), (51, 0), "the hour has passed, not the device's 600 s past it");
    for ts in (base + 3660..base + 4200).step_by(60) {
        append(ts);
    }
    assert_eq!((plain_lines(), sealed_lines()), (60, 0));
    append(base + 4200);
    assert_eq!((plain_lines(), sealed_lines()), (1, 60), "sealed at the first poll past hour + 600 s");
    for ts in (base + 4260..base + 7800).step_by(60) {
        append(ts);
    }
    assert_eq!((plain_lines(), sealed_lines()), (60, 60), "not again before the next hour + 600 s");
    append(base + 7800);
    assert_eq!((plain_lines(), sealed_lines()), (1, 120));
}

#[test]
fn a_restart_rebuilds_what_is_not_on_disk_and_writes_nothing_twice() {
    let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
    let polls: Vec<PollLine> = (0..20).map(|i| poll((base + 3000 + i * 60) as f64, Some(100.0))).collect();
    for line in &polls[..12] {
        series.append_poll(&appender, &tiers, &mut open, line).unwrap();
    }
    // The 12th poll (at base + 3660) closed the first hour: its rollups are on disk.
    assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10)]);

    // A restart rebuilds the same buckets and writes nothing again.
    let now = base + 3700;
    let rebuilt = series.rebuild_open_buckets(&appender, &tiers, now, 0).unwrap().0;
    for tier in 0..3 {
        assert_eq!(rebuilt.unwritten_points(&tiers, 3, tier), open.unwritten_points(&tiers, 3, tier), "tier {tier}");
    }
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(3000, 5), (3300, 5)]);

    // A stop between a sample that closes an hour and its rollups: the raw line is there,
    // the rollups are not; the restart writes them.
    let mut open = rebuilt;
    for line in &polls[12..19] {
        series.append_poll(&appender, &tiers, &mut open, line).unwrap();
    }
    let closing = poll((base + 7200) as f64, Some(100.0));
    appender
        .append(
            &segments::path_for(&series.samples(), base + 7200, RAW_SEGMENT_SECS),
            &serde_json::to_string(&closing).unwrap(),
        )
        .unwrap();
    series.rebuild_open_buckets(&appender, &tiers, base + 7210, 0).unwrap();
    assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10), (3600, 9)]);
    assert_eq!(rollup_lines(&series, &tiers[0], base).len(), 2 + 2, "two buckets of each hour");

    // Buckets still waiting at a stop (this device's delay: 120 s past each 5 minutes) are
    // rebuilt however long the stop, and written once when the first poll after it closes
    // their hour.
    let mut open = series.rebuild_open_buckets(&appender, &tiers, base + 7210, 120).unwrap().0;
    series.append_poll(&appender, &tiers, &mut open, &poll((base + 7500) as f64, Some(100.0))).unwrap();
    let mut open = series.rebuild_open_buckets(&appender, &tiers, base + 30_000, 120).unwrap().0;
    assert_eq!(open.unwritten_points(&tiers, 3, 0).len(), 2, "buckets 7200 and 7500, the latter open");
    series.append_poll(&appender, &tiers, &mut open, &poll((base + 30_000) as f64, Some(100.0))).unwrap();
    assert_eq!(rollup_lines(&series, &tiers[0], base).len(), 6);
    let text =
        std::fs::read_to_string(segments::path_for(&series.rollup(&tiers[0]), base + 3600, tiers[0].segment_secs))
            .unwrap();
    assert!(!text.contains("\n\n"), "no blank line: {text}");
    assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 10), (3600, 9), (7200, 2)]);
}

#[test]
fn the_six_hour_line_is_the_same_with_a_restart_in_its_middle() {
    let six_hours = |restart_at: Option<usize>| {
        let Fixture { _dir, series, tiers, appender, mut open, .. } = fixture();
        let base = 1_700_000_000 - 1_700_000_000 % 21_600;
        for k in 0..(7 * 12) {
            let ts = base + 300 * k as i64;
            if restart_at == Some(k) {
                open = series.rebuild_open_buckets(&appender, &tiers, ts - 1, 0).unwrap().0;
            }
            let bps = Some(1_000.0 + 10.0 * (k % 17) as f64);
            series.append_poll(&appender, &tiers, &mut open, &poll(ts as f64, bps)).unwrap();
        }
        let mut open_points = open.unwritten_points(&tiers, 3, 2);
        let mut points = series.read_rollup(&tiers[2], 3, base, base + 7 * 3600).unwrap();
        points.append(&mut open_points);
        (points, base)
    };
    let (whole, base) = six_hours(None);
    assert_eq!(whole.iter().map(|p| (p.timestamp - base, p.weight)).collect::<Vec<_>>(), [(0, 72), (21_600, 12)]);
    // A restart 4 h 30 in: hours 0 to 2 come back from the hourly lines on disk, the rest from
    // the raw samples.
    let (restarted, _) = six_hours(Some(54));
    assert_eq!(restarted.len(), 2);
    for (a, b) in whole.iter().zip(&restarted) {
        assert_eq!((a.timestamp, a.weight, a.in_bps_max), (b.timestamp, b.weight, b.in_bps_max));
        assert!((a.in_bps - b.in_bps).abs() < 0.1, "{a:?} {b:?}");
    }
}

#[test]
fn rollup_lines_that_cannot_be_written_are_kept_and_written_once_later() {
    let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
    series.append_poll(&appender, &tiers, &mut open, &poll(base as f64, Some(100.0))).unwrap();
    // A file where the hourly directory should be: the 5-minute lines are written, the
    // hourly one fails, like a disk that fills up between the two.
    std::fs::create_dir_all(series.rollup(&tiers[0]).parent().unwrap()).unwrap();
    std::fs::write(series.rollup(&tiers[1]), b"in the way").unwrap();
    assert!(series.append_poll(&appender, &tiers, &mut open, &poll((base + 3600) as f64, Some(100.0))).is_err());
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)]);
    assert_eq!(open.unwritten_points(&tiers, 3, 1).len(), 2, "the closed hour is kept, with the open one");

    std::fs::remove_file(series.rollup(&tiers[1])).unwrap();
    series.append_poll(&appender, &tiers, &mut open, &poll((base + 3660) as f64, Some(100.0))).unwrap();
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 1)], "not written twice");
    assert_eq!(rollup_lines(&series, &tiers[1], base), [(0, 1)]);
    assert_eq!(open.unwritten_points(&tiers, 3, 1).len(), 1, "only the open hour is left");
}

/// CPU of the hourly rollup appends for 2,000 devices × 48 interfaces: the first hour of a
/// device creates its rollup directories and files, later hours append to them. Prints, asserts
/// nothing: `cargo test --release -p vigie --lib hourly_rollup_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn hourly_rollup_cost() {
    fn thread_cpu_secs() -> f64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }
    let dir = tempfile::tempdir().unwrap();
    let tiers = retention().tiers();
    let appender = Appender::default();
    let devices: Vec<SeriesDir> = (0..2_000).map(|i| SeriesDir::new(&dir.path().join(i.to_string()))).collect();
    let mut open: Vec<OpenBuckets> = devices.iter().map(|_| OpenBuckets::default()).collect();
    let line = |ts: i64| PollLine {
        timestamp: ts as f64,
        sys_up_time: 100,
        interfaces: (1..=48)
            .map(|i| InterfaceSample { if_index: i, ..poll(0.0, Some(1e6)).interfaces[0].clone() })
            .collect(),
    };
    let base = 1_700_000_000 - 1_700_000_000 % 3600;
    let mut hour_closing = Vec::new();
    let mut other = (0.0, 0);
    for k in 0..=24 {
        let poll_line = line(base + 300 * k);
        let started = thread_cpu_secs();
        for (series, open) in devices.iter().zip(open.iter_mut()) {
            series.append_poll(&appender, &tiers, open, &poll_line).unwrap();
        }
        let cpu = thread_cpu_secs() - started;
        if k % 12 == 0 && k > 0 {
            hour_closing.push(cpu);
        } else {
            other = (other.0 + cpu, other.1 + 1);
        }
    }
    let per_poll = other.0 / f64::from(other.1);
    println!("2,000 devices × 48 interfaces, CPU-seconds for one poll of every device:");
    println!("  a poll that closes no hour: {per_poll:.2} s (raw line only)");
    println!("  the first hour closing (creates 4,000 rollup files, two per device): {:.2} s", hour_closing[0]);
    println!("  a later hour closing (appends to existing files): {:.2} s", hour_closing[1]);
}

#[test]
fn the_open_hour_and_six_hours_answer_every_poll_so_far() {
    let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
    // Polls at 0, 60, … 660 s: two closed 5-minute lines (the hourly line holds them) and the
    // open one's two polls, which the hour and the 6 hours must count too.
    let rates: Vec<f64> = (0..12).map(|i| f64::from(100 + 37 * i)).collect();
    for (i, bps) in rates.iter().enumerate() {
        series.append_poll(&appender, &tiers, &mut open, &poll((base + 60 * i as i64) as f64, Some(*bps))).unwrap();
    }
    let mean = rates.iter().sum::<f64>() / 12.0;
    for tier in [1, 2] {
        let points = open.unwritten_points(&tiers, 3, tier);
        let [point] = points.as_slice() else { panic!("one open point in tier {tier}: {points:?}") };
        let start = base - base.rem_euclid(tiers[tier].resolution_secs);
        assert_eq!((point.timestamp, point.weight, point.in_bps_max), (start, 12, rates[11]), "tier {tier}");
        assert!((point.in_bps - mean).abs() <= 0.5, "tier {tier}: {} against {mean}", point.in_bps);
    }
    // This device's delay is 0: the closed 5-minute lines are on disk already.
    assert_eq!(rollup_lines(&series, &tiers[0], base), [(0, 5), (300, 5)]);
    let fives = open.unwritten_points(&tiers, 3, 0);
    assert_eq!(fives.iter().map(|p| (p.timestamp - base, p.weight)).collect::<Vec<_>>(), [(600, 2)]);
}

/// The samples file as the writer leaves it: its first line absolute, the next ones deltas;
/// after a restart (nothing known of the lines before) and after a seal emptied it, the next
/// line is absolute again. Every poll reads back.
#[test]
fn the_samples_file_goes_on_in_deltas_and_starts_again_absolute_after_a_restart_or_a_seal() {
    use super::super::poll_delta::head;
    let Fixture { _dir, series, tiers, appender, mut open, base } = fixture();
    let plain = segments::path_for(&series.samples(), base, RAW_SEGMENT_SECS);
    let dependent = || -> Vec<bool> {
        let text = std::fs::read_to_string(&plain).unwrap();
        text.lines().map(|l| head(l.as_bytes()).unwrap().1).collect()
    };
    let polls: Vec<PollLine> = (0..7).map(|k| poll((base + 60 * k) as f64, Some(100.0 + k as f64))).collect();
    for line in &polls[..3] {
        series.append_poll(&appender, &tiers, &mut open, line).unwrap();
    }
    assert_eq!(dependent(), [false, true, true]);
    let mut restarted = OpenBuckets::default();
    restarted.sealed_period = open.sealed_period; // no seal at this first poll, for the test
    for line in &polls[3..5] {
        series.append_poll(&appender, &tiers, &mut restarted, line).unwrap();
    }
    assert_eq!(dependent(), [false, true, true, false, true], "after a restart");
    series.seal(&appender, &[]).unwrap();
    for line in &polls[5..] {
        series.append_poll(&appender, &tiers, &mut restarted, line).unwrap();
    }
    assert_eq!(dependent(), [false, true], "after a seal");
    let mut read = Vec::new();
    series.read_polls(base, base + 3600, |line| read.push(line)).unwrap();
    assert_eq!(read, polls);
    assert_eq!(series.newest_poll(base + 3600).unwrap().as_ref(), polls.last());
    let newest_ms = (base + 360) * 1000;
    assert_eq!(series.newest_ms(base + 3600).unwrap(), Some(newest_ms), "the last line's head");
    let (_, newest) = series.rebuild_open_buckets(&appender, &tiers, base + 3600, 0).unwrap();
    assert_eq!(newest.as_ref(), polls.last(), "a restart reads the newest poll on its way");
    series.seal(&appender, &[]).unwrap();
    assert_eq!(series.newest_ms(base + 3600).unwrap(), Some(newest_ms), "the sealed file's trailer");
    let (_, newest) = series.rebuild_open_buckets(&appender, &tiers, base + 3600, 0).unwrap();
    assert_eq!(newest.as_ref(), polls.last());
}
