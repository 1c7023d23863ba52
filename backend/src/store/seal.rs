//! Sealing: the complete lines of a plain segment file (`<date>.jsonl`) move into its sealed
//! twin (`<date>.jsonl.zst`) as one more zstd frame, and the plain file goes. Raw samples are
//! re-encoded as deltas on the way ([`super::poll_delta`]), rollup lines in their compact shape
//! ([`RollupLine::sealed`]).
//!
//! A sealed file is a concatenation of zstd frames (`zstdcat` shows its JSON lines), each
//! followed by a 24-byte skippable frame (ignored by every zstd decoder), its trailer, that says
//! up to which line the file holds: the last line's timestamp in milliseconds and the length of
//! the frame before it. Sealing appends the new frame and its trailer at the end of the sealed
//! file (the old frames are neither read nor rewritten), fsyncs it, and only then deletes the
//! plain file. A crash leaves either a torn tail after the last trailer (cut off at the next
//! seal, counted in [`counts`] and logged; its lines are still in the plain file) or both files
//! (the plain lines the trailer covers are skipped when sealing again, and readers skip lines
//! not newer than the one before).

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use super::files::{read_raw_lines, read_raw_lines_from};
use super::poll_delta::Encoder;
use super::poll_line_read::read_poll_line;
use super::replace;
use super::rollup_line::RollupLine;

mod compress;
mod trailer;

pub(super) use compress::{frame_encoder, with_context};
use trailer::{cut_torn_tail, trailer_at, trailer_bytes};
pub use trailer::{trailer, Trailer};

/// What a segment holds, which says how its lines are sealed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Content {
    /// Raw samples: written as deltas.
    Polls,
    /// Rollup lines: written in their compact shape.
    Lines,
}

/// Files and lines sealed since start, and torn tails cut off, for `/status`.
static SEALED_FILES: AtomicU64 = AtomicU64::new(0);
static SEALED_LINES: AtomicU64 = AtomicU64::new(0);
static TORN_TAILS: AtomicU64 = AtomicU64::new(0);

/// What sealing did since start.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub files: u64,
    pub lines: u64,
    /// Torn tails (a frame a crash cut short) cut off sealed files.
    pub torn_tails: u64,
}

/// What sealing did since start.
pub fn counts() -> Counts {
    Counts {
        files: SEALED_FILES.load(Ordering::Relaxed),
        lines: SEALED_LINES.load(Ordering::Relaxed),
        torn_tails: TORN_TAILS.load(Ordering::Relaxed),
    }
}

/// The sealed twin of a plain segment file.
pub fn sealed_path(plain: &Path) -> PathBuf {
    let mut name = plain.as_os_str().to_owned();
    name.push(".zst");
    PathBuf::from(name)
}

/// Just the timestamp of a line.
#[derive(Deserialize)]
struct Stamp {
    timestamp: f64,
}

fn millis(ts: f64) -> i64 {
    (ts * 1000.0).round() as i64
}

/// Seals the complete lines of `plain` into its sealed twin, then deletes it; answers how many
/// lines were sealed. Lines the sealed file already holds (a crash between the append and the
/// delete) are left out; torn or corrupt lines are dropped (they were never readable).
pub fn seal(plain: &Path, content: Content) -> io::Result<usize> {
    let meta = match std::fs::metadata(plain) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let sealed = sealed_path(plain);
    let through = cut_torn_tail(&sealed)?.map_or(i64::MIN, |t| t.last_ms);
    let sealed_lines = if meta.len() > 0 { append_frame(plain, meta.len(), &sealed, content, through)? } else { 0 };
    std::fs::remove_file(plain)?;
    SEALED_FILES.fetch_add(1, Ordering::Relaxed);
    SEALED_LINES.fetch_add(sealed_lines as u64, Ordering::Relaxed);
    Ok(sealed_lines)
}

/// Appends the lines of `plain` (`plain_bytes` long) newer than `through` (ms) to `sealed` as
/// one frame and its trailer, fsynced; answers how many. A failed append is cut back (and if
/// even that fails, the next seal cuts the torn tail).
fn append_frame(plain: &Path, plain_bytes: u64, sealed: &Path, content: Content, through: i64) -> io::Result<usize> {
    let new = !sealed.exists();
    let mut file = OpenOptions::new().write(true).create(true).truncate(false).open(sealed)?;
    if new {
        replace::restrict_permissions(&file)?;
    }
    let start = file.seek(SeekFrom::End(0))?;
    let mut sealed_lines = 0usize;
    let written = with_context(|context| {
        let mut zstd = frame_encoder(&mut file, context, content, plain_bytes)?;
        let mut last_ms = through;
        let mut encoder = Encoder::default();
        let mut text = Vec::new();
        let mut written = Ok(());
        read_raw_lines(plain, |bytes| {
            // A samples line is read once, whole (its timestamp comes from it); a rollup line
            // (a day's few hundred, sealed once a day) for its timestamp first.
            let (ms, line) = match content {
                Content::Polls => match read_poll_line(bytes) {
                    Some(line) => (millis(line.timestamp), Some(line)),
                    None => return false,
                },
                Content::Lines => match serde_json::from_slice::<Stamp>(bytes) {
                    Ok(stamp) => (millis(stamp.timestamp), None),
                    Err(_) => return false,
                },
            };
            if ms <= last_ms || written.is_err() {
                return true;
            }
            text.clear();
            match line {
                Some(line) => encoder.write(line, &mut text),
                None => match serde_json::from_slice::<RollupLine>(bytes) {
                    Ok(line) => text.extend_from_slice(line.sealed().as_bytes()),
                    Err(_) => return false,
                },
            }
            text.push(b'\n');
            written = zstd.write_all(&text);
            last_ms = ms;
            sealed_lines += 1;
            true
        })?;
        written?;
        zstd.finish()?;
        if sealed_lines == 0 {
            return file.set_len(start);
        }
        let end = file.stream_position()?;
        file.write_all(&trailer_bytes(last_ms, end - start))?;
        file.sync_all()
    });
    if let Err(e) = written {
        if let Err(cut) = file.set_len(start) {
            log::warn!("{} cannot be cut back after a failed seal ({cut}); the next seal cuts it", sealed.display());
        }
        return Err(e);
    }
    if new {
        File::open(sealed.parent().expect("store files live in a directory"))?.sync_all()?;
    }
    Ok(sealed_lines)
}

/// Seals every plain segment file in `dir` (and deletes temp files a crash left there).
pub fn seal_dir(dir: &Path, content: Content) -> io::Result<usize> {
    replace::remove_stale_temps(dir);
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    let mut plain: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    plain.sort();
    plain.iter().try_fold(0, |n, path| Ok(n + seal(path, content)?))
}

/// Calls `read` with each line of a segment, oldest first: its sealed file's, then its plain
/// file's (`read` answers whether it could read the line; see [`read_raw_lines`]). The sealed
/// file is read up to its length when opened (a frame appended meanwhile is read next time).
/// A sealed file that cannot be decompressed to its end gives what precedes the damage: with
/// a warning if it ends with a trailer (damaged on disk), quietly if not (a frame being
/// appended, or torn by a crash: either way its lines are still in the plain file).
pub fn read_segment(plain: &Path, mut read: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let sealed = sealed_path(plain);
    match File::open(&sealed) {
        Ok(mut file) => {
            let len = file.metadata()?.len();
            let whole = trailer_at(&mut file, len)?.is_some();
            file.seek(SeekFrom::Start(0))?;
            let decoded =
                zstd::Decoder::new(file.take(len)).and_then(|zstd| read_raw_lines_from(zstd, &sealed, &mut read));
            match decoded {
                Err(e) if whole => {
                    log::warn!("{} cannot be read to its end ({e}); the lines before are served", sealed.display())
                }
                Err(e) => log::debug!("{} ends with a partial frame ({e}): being sealed, or torn", sealed.display()),
                Ok(()) => {}
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    read_raw_lines(plain, read)
}

/// The timestamp of a segment's first line: its sealed file's (decompressing the first frame's
/// start only), else its plain file's; `None` when it has no complete line.
pub fn first_timestamp(plain: &Path) -> io::Result<Option<i64>> {
    let stamp = |line: &[u8]| serde_json::from_slice::<Stamp>(line).ok().map(|s| s.timestamp.floor() as i64);
    let mut line = Vec::new();
    match File::open(sealed_path(plain)) {
        Ok(file) => {
            let mut frame = BufReader::new(zstd::Decoder::new(file)?.single_frame());
            if frame.read_until(b'\n', &mut line).is_ok() && line.ends_with(b"\n") {
                return Ok(stamp(&line));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    line.clear();
    match File::open(plain) {
        Ok(file) => BufReader::new(file).read_until(b'\n', &mut line)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(line.ends_with(b"\n").then(|| stamp(&line)).flatten())
}

/// Calls `read` with each line of the last frame of a sealed file (the newest lines, without
/// decompressing the rest).
pub fn read_last_frame(sealed: &Path, read: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let Some(t) = trailer(sealed)? else { return Ok(()) };
    let mut file = File::open(sealed)?;
    file.seek(SeekFrom::Start(t.frame_start))?;
    let frame = zstd::Decoder::new(file.take(t.frame_len))?.single_frame();
    read_raw_lines_from(frame, sealed, read)
}

#[cfg(test)]
mod tests {
    use super::trailer::TRAILER_LEN;
    use super::*;
    use crate::store::files::Appender;
    use crate::store::poll_delta::Decoder;
    use crate::store::poll_line::test_line;

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

    fn append(path: &Path, from: i64, to: i64) {
        let lines: Vec<String> =
            (from..to).map(|t| serde_json::to_string(&test_line((t * 60) as f64, Some(8.0))).unwrap()).collect();
        Appender::default().append(path, &lines.join("\n")).unwrap();
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
        assert_eq!(seal(&plain, Content::Polls).unwrap(), 3);
        assert_eq!(names(dir.path()), ["2026-11-25.jsonl.zst"]);
        append(&plain, 3, 5);
        assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0, 240.0], "sealed then open lines");
        assert_eq!(seal(&plain, Content::Polls).unwrap(), 2);
        std::fs::write(&plain, "{\"timestamp\":300.0,\"sysUp").unwrap(); // a torn open line
        assert_eq!(polls(&plain).len(), 5);
        let sealed = sealed_path(&plain);
        assert_eq!(trailer(&sealed).unwrap().unwrap().last_ms, 240_000);
        let mut last = Vec::new();
        read_last_frame(&sealed, |b| {
            last.push(String::from_utf8_lossy(b).into_owned());
            true
        })
        .unwrap();
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
        seal(&plain, Content::Polls).unwrap();
        // A crash after the rename, before the plain file went: both files.
        std::fs::write(&plain, &copy).unwrap();
        assert_eq!(polls(&plain), [0.0, 60.0, 120.0], "readers skip what is sealed already");
        append(&plain, 3, 4);
        // A crash mid-write of the temp file: a stale temp.
        std::fs::write(dir.path().join("2026-11-25.jsonl.zst.tmp-1-0"), b"half").unwrap();
        assert_eq!(seal_dir(dir.path(), Content::Polls).unwrap(), 1, "only the new line is sealed");
        assert_eq!(names(dir.path()), ["2026-11-25.jsonl.zst"]);
        let text = String::from_utf8(zstd::decode_all(File::open(sealed_path(&plain)).unwrap()).unwrap()).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0]);
    }

    #[test]
    fn sealing_appends_a_frame_without_rewriting_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("2026-11-25.jsonl");
        append(&plain, 0, 60);
        seal(&plain, Content::Polls).unwrap();
        let sealed = sealed_path(&plain);
        let first = std::fs::read(&sealed).unwrap();
        append(&plain, 60, 120);
        seal(&plain, Content::Polls).unwrap();
        let both = std::fs::read(&sealed).unwrap();
        assert_eq!(&both[..first.len()], &first[..], "the first frame and its trailer stay as they were");
        assert_eq!(polls(&plain).len(), 120);
    }

    #[test]
    fn a_frame_torn_by_a_crash_is_cut_off_and_sealed_again_from_the_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("2026-11-25.jsonl");
        append(&plain, 0, 3);
        seal(&plain, Content::Polls).unwrap();
        let sealed = sealed_path(&plain);
        let good = std::fs::read(&sealed).unwrap();
        // The next seal appends its frame, and the process dies half-way: the plain file stays.
        append(&plain, 3, 6);
        let plain_copy = std::fs::read(&plain).unwrap();
        seal(&plain, Content::Polls).unwrap();
        let whole = std::fs::read(&sealed).unwrap();
        for cut in [good.len() + 5, whole.len() - TRAILER_LEN as usize, whole.len() - 3] {
            std::fs::write(&sealed, &whole[..cut]).unwrap();
            std::fs::write(&plain, &plain_copy).unwrap();
            assert_eq!(polls(&plain), [0.0, 60.0, 120.0, 180.0, 240.0, 300.0], "readers read around the torn tail");
            let torn = counts().torn_tails;
            assert_eq!(seal(&plain, Content::Polls).unwrap(), 3, "cut at {cut}");
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
        seal(&plain, Content::Lines).unwrap();
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
}
