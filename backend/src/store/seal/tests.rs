use super::trailer::TRAILER_LEN;
use super::*;
use crate::store::files::Appender;
use crate::store::poll_delta::{head, Chain, Decoder};
use crate::store::poll_line::{test_line, PollLine};

fn polls(path: &Path) -> Vec<f64> {
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    read_segment(path, |bytes| {
        let Some(line) = decoder.line(bytes) else { return false };
        if out.last().is_none_or(|last| *last < line.timestamp) {
            out.push(line.timestamp);
        }
        true
    })
    .unwrap();
    out
}

/// The poll the tests' files hold at `minute`.
fn poll_at(minute: i64) -> PollLine {
    test_line((minute * 60) as f64, Some(8.0))
}

/// The text of the polls at minutes `from..to` as the writer appends them: one chain, its
/// first line absolute, the next ones deltas.
fn chain_text(from: i64, to: i64) -> Vec<u8> {
    let (mut chain, mut text) = (Chain::default(), Vec::new());
    for t in from..to {
        chain.write(0, text.len() as u64, &poll_at(t), &mut text);
        chain.written(0, Some(text.len() as u64));
    }
    text
}

/// Appends the polls at minutes `from..to` as the writer does after a start or a seal.
fn append(path: &Path, from: i64, to: i64) {
    let text = String::from_utf8(chain_text(from, to)).unwrap();
    Appender::default().append(path, text.trim_end()).unwrap();
}

/// Every line of a segment read back, sealed then plain (a line not newer than the one before
/// read once).
fn lines(path: &Path) -> Vec<PollLine> {
    let mut decoder = Decoder::default();
    let mut out: Vec<PollLine> = Vec::new();
    read_segment(path, |bytes| {
        let Some(line) = decoder.line(bytes) else { return false };
        if out.last().is_none_or(|last| last.timestamp < line.timestamp) {
            out.push(line);
        }
        true
    })
    .unwrap();
    out
}

/// The lines of the last frame of a sealed file, as text.
fn last_frame(sealed: &Path) -> Vec<String> {
    let mut last = Vec::new();
    read_last_frame(sealed, |b| {
        last.push(String::from_utf8_lossy(b).trim_end().to_owned());
        true
    })
    .unwrap();
    last
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn sealing_moves_lines_into_frames_and_reads_mix_sealed_and_open() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    append(&plain, 0, 3);
    assert_eq!(seal(&plain, Content::Polls, Then::Empty).unwrap(), 3);
    assert_eq!(names(dir.path()), ["2026-11-25.jsonl", "2026-11-25.jsonl.zst"]);
    assert_eq!(std::fs::metadata(&plain).unwrap().len(), 0, "emptied, kept for the next lines");
    assert_eq!(polls(&plain), [0.0, 60.0, 120.0]);
    append(&plain, 3, 5);
    assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0, 240.0], "sealed then open lines");
    assert_eq!(seal(&plain, Content::Polls, Then::Delete).unwrap(), 2);
    std::fs::write(&plain, "{\"timestamp\":300.0,\"sysUp").unwrap(); // a torn open line
    assert_eq!(polls(&plain).len(), 5);
    let sealed = sealed_path(&plain);
    assert_eq!(trailer(&sealed).unwrap().unwrap().last_ms, 240_000);
    let last = last_frame(&sealed);
    assert_eq!(last.len(), 2, "the last frame only");
    assert!(!last[0].contains("deltas") && last[1].contains("deltas"), "each frame starts absolute: {last:?}");
    // zstd itself reads the file: every frame, trailers skipped.
    let text = String::from_utf8(zstd::decode_all(File::open(&sealed).unwrap()).unwrap()).unwrap();
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn a_crash_between_the_steps_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    append(&plain, 0, 3);
    let copy = std::fs::read(&plain).unwrap();
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    // A crash after the rename, before the plain file went: both files.
    std::fs::write(&plain, &copy).unwrap();
    assert_eq!(polls(&plain), [0.0, 60.0, 120.0], "readers skip what is sealed already");
    append(&plain, 3, 4);
    // A crash mid-write of the temp file: a stale temp.
    std::fs::write(dir.path().join("2026-11-25.jsonl.zst.tmp-1-0"), b"half").unwrap();
    std::fs::write(dir.path().join("2026-11-24.jsonl"), std::fs::read(&plain).unwrap()).unwrap(); // a day before
    assert_eq!(seal_dir(dir.path(), Content::Polls).unwrap(), 5, "only the new line is sealed, and the day before");
    assert_eq!(
        names(dir.path()),
        ["2026-11-24.jsonl.zst", "2026-11-25.jsonl", "2026-11-25.jsonl.zst"],
        "the newest plain file emptied and kept, the older one deleted"
    );
    assert_eq!(std::fs::metadata(&plain).unwrap().len(), 0);
    let text = String::from_utf8(zstd::decode_all(File::open(sealed_path(&plain)).unwrap()).unwrap()).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0]);
}

#[test]
fn sealing_appends_a_frame_without_rewriting_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    append(&plain, 0, 60);
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    let sealed = sealed_path(&plain);
    let first = std::fs::read(&sealed).unwrap();
    append(&plain, 60, 120);
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    let both = std::fs::read(&sealed).unwrap();
    assert_eq!(&both[..first.len()], &first[..], "the first frame and its trailer stay as they were");
    assert_eq!(polls(&plain).len(), 120);
}

#[test]
fn a_frame_torn_by_a_crash_is_cut_off_and_sealed_again_from_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    append(&plain, 0, 3);
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    let sealed = sealed_path(&plain);
    let good = std::fs::read(&sealed).unwrap();
    // The next seal appends its frame, and the process dies half-way: the plain file stays.
    append(&plain, 3, 6);
    let plain_copy = std::fs::read(&plain).unwrap();
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    let whole = std::fs::read(&sealed).unwrap();
    for cut in [good.len() + 5, whole.len() - TRAILER_LEN as usize, whole.len() - 3] {
        std::fs::write(&sealed, &whole[..cut]).unwrap();
        std::fs::write(&plain, &plain_copy).unwrap();
        assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0, 240.0, 300.0], "readers read around the torn tail");
        let torn = counts().torn_tails;
        assert_eq!(seal(&plain, Content::Polls, Then::Delete).unwrap(), 3, "cut at {cut}");
        assert!(counts().torn_tails > torn);
        assert_eq!(std::fs::read(&sealed).unwrap(), whole, "cut back to the first frame, then the same frame");
        let text = String::from_utf8(zstd::decode_all(File::open(&sealed).unwrap()).unwrap()).unwrap();
        assert_eq!(text.lines().count(), 6);
    }
}

#[test]
fn rollup_lines_are_sealed_in_their_compact_shape_and_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-20.jsonl");
    // A line with tenths (written before whole bits per second), then one as written now.
    let lines = [
        r#"{"timestamp":1795611600,"ifIndex":[1],"inBps":[8012.5],"outBps":[1.0],"inBpsMax":[9100.0],"outBpsMax":[2.0],"samples":[5]}"#,
        r#"{"timestamp":1795611900,"ifIndex":[1,2],"inBps":[8013,0],"outBps":[1,7],"inBpsMax":[9100,0],"outBpsMax":[2,6],"samples":[4,4]}"#,
    ];
    Appender::default().append(&plain, &lines.join("\n")).unwrap();
    seal(&plain, Content::Lines, Then::Delete).unwrap();
    let text = String::from_utf8(zstd::decode_all(File::open(sealed_path(&plain)).unwrap()).unwrap()).unwrap();
    assert_eq!(
        text,
        [
            r#"{"timestamp":1795611600,"overAverage":["outBpsMax"],"ifIndex":[1],"inBps":[8012.5],"outBps":[1],"inBpsMax":[9100],"outBpsMax":[1],"samples":[5]}"#,
            r#"{"timestamp":1795611900,"overAverage":["inBpsMax"],"ifIndex":[1,2],"inBps":[8013,0],"outBps":[1,7],"inBpsMax":[1087,0],"outBpsMax":[2,6],"samples":[4,4]}"#,
            "",
        ]
        .join("\n")
    );
    let mut read = Vec::new();
    read_segment(&plain, |bytes| {
        read.push(serde_json::from_slice::<RollupLine>(bytes).unwrap());
        true
    })
    .unwrap();
    let plain_lines: Vec<RollupLine> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(read, plain_lines);
}

#[test]
fn the_writers_lines_are_copied_into_the_frame_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    append(&plain, 0, 5);
    let text = std::fs::read(&plain).unwrap();
    assert_eq!(seal(&plain, Content::Polls, Then::Empty).unwrap(), 5);
    assert_eq!(zstd::decode_all(File::open(sealed_path(&plain)).unwrap()).unwrap(), text, "the same bytes");
    let expected: Vec<PollLine> = (0..5).map(poll_at).collect();
    assert_eq!(lines(&plain), expected);
}

/// A seal that wrote its frame but could not empty the plain file (a crash between the two, a
/// failed truncate): the writer goes on with deltas in the same file, so the next frame's
/// first line would be a delta from a line the frame does not hold. It is written again,
/// absolute, and every value reads back.
#[test]
fn a_frame_starts_absolute_when_the_plain_file_goes_on_from_lines_already_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    std::fs::write(&plain, chain_text(0, 3)).unwrap();
    seal(&plain, Content::Polls, Then::Delete).unwrap();
    std::fs::write(&plain, chain_text(0, 6)).unwrap(); // the sealed lines, and three more deltas
    assert!(head(std::fs::read_to_string(&plain).unwrap().lines().nth(3).unwrap().as_bytes()).unwrap().1);
    assert_eq!(seal(&plain, Content::Polls, Then::Empty).unwrap(), 3, "the lines after the sealed ones");
    let last = last_frame(&sealed_path(&plain));
    assert_eq!(head(last[0].as_bytes()), Some((180_000, false)), "the frame starts absolute: {last:?}");
    assert_eq!(head(last[1].as_bytes()), Some((240_000, true)));
    let expected: Vec<PollLine> = (0..6).map(poll_at).collect();
    assert_eq!(lines(&plain), expected);
}

/// A torn line (a crash mid-write) ends a chain: the writer starts the next with an absolute
/// line. A delta line after a torn one (which nothing writes, but a file may hold) is
/// dropped, never read as if the torn line were there.
#[test]
fn a_delta_line_after_a_torn_one_is_dropped_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    let first: Vec<String> = String::from_utf8(chain_text(0, 4)).unwrap().lines().map(str::to_owned).collect();
    let torn = &first[2][..40];
    let text = format!("{}\n{}\n{torn}\n{}\n", first[0], first[1], first[3]);
    std::fs::write(&plain, text).unwrap();
    append(&plain, 4, 6); // after a restart, a new chain
    let expected: Vec<PollLine> = [0, 1, 4, 5].map(poll_at).to_vec();
    assert_eq!(lines(&plain), expected, "read in place");
    assert_eq!(seal(&plain, Content::Polls, Then::Empty).unwrap(), 4);
    assert_eq!(lines(&plain), expected, "read sealed");
    let frame = last_frame(&sealed_path(&plain));
    assert_eq!(
        frame.iter().map(|l| head(l.as_bytes()).unwrap()).collect::<Vec<_>>()[..2],
        [(0, false), (60_000, true)]
    );
}

/// Lines in another shape (keys in another order: written by hand, or by a tool) are read and
/// written again, as deltas.
#[test]
fn lines_of_another_shape_are_sealed_as_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("2026-11-25.jsonl");
    let expected: Vec<PollLine> = (0..3).map(poll_at).collect();
    let by_hand: Vec<String> = expected.iter().map(|l| serde_json::to_string(l).unwrap()).collect();
    assert!(head(by_hand[0].as_bytes()).is_none(), "keys sorted: {}", by_hand[0]);
    Appender::default().append(&plain, &by_hand.join("\n")).unwrap();
    assert_eq!(seal(&plain, Content::Polls, Then::Empty).unwrap(), 3);
    let last = last_frame(&sealed_path(&plain));
    assert_eq!(last.iter().map(|l| head(l.as_bytes()).unwrap().1).collect::<Vec<_>>(), [false, true, true]);
    assert_eq!(lines(&plain), expected);
}
