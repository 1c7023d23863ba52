//! Sealing: the complete lines of a plain segment file (`<date>.jsonl`) move into its sealed
//! twin (`<date>.jsonl.zst`) as one more zstd frame, and the plain file is emptied (the newest,
//! still appended to) or deleted (an older one). Raw samples lines, written as deltas already
//! ([`super::poll_delta`]), are copied as they are (read back and written again only when the
//! frame would not start with an absolute line); rollup lines go in their compact shape
//! ([`RollupLine::sealed`]).
//!
//! A sealed file is a concatenation of zstd frames (`zstdcat` shows its JSON lines), each
//! followed by a 24-byte skippable frame (ignored by every zstd decoder), its trailer, that says
//! up to which line the file holds: the last line's timestamp in milliseconds and the length of
//! the frame before it. Sealing appends the new frame and its trailer at the end of the sealed
//! file (the old frames are neither read nor rewritten), fsyncs it, and only then empties or
//! deletes the plain file. A crash leaves either a torn tail after the last trailer (cut off at
//! the next seal, counted in [`counts`] and logged; its lines are still in the plain file) or
//! both files (the plain lines the trailer covers are skipped when sealing again, and readers
//! skip lines not newer than the one before).

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use zstd::zstd_safe::CCtx;

use super::files::{read_raw_lines, read_raw_lines_from};
use super::poll_delta::{head, Decoder, Encoder};
use super::replace;
use super::rollup_line::RollupLine;

mod compress;
mod trailer;

pub(super) use compress::{frame_encoder, with_context};
use trailer::{cut_torn_tail, cut_torn_tail_of, trailer_at, trailer_bytes};
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

/// What becomes of a plain file once the sealed file holds its lines (and is synced).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Then {
    /// Deleted: a segment no longer written to.
    Delete,
    /// Emptied and kept: the segment still written to goes on in the same file. Deleting it
    /// would have the next append create it again, and on ext4 a file created among many just
    /// deleted costs more each (inodes freed in the last minutes are skipped one by one), the
    /// hourly pattern of every device's seal.
    Empty,
}

/// Seals the complete lines of `plain` into its sealed twin, then deletes or empties it (see
/// [`Then`]); answers how many lines were sealed. Lines the sealed file already holds (a crash
/// between the append and the delete) are left out; torn or corrupt lines are dropped (they
/// were never readable).
pub fn seal(plain: &Path, content: Content, then: Then) -> io::Result<usize> {
    // One open of each file for the whole seal (its lines read, then emptied): each path looked
    // up again was a good part of a seal's fixed cost.
    let plain_file = match OpenOptions::new().read(true).write(true).open(plain) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let plain_bytes = plain_file.metadata()?.len();
    let sealed = sealed_path(plain);
    let sealed_lines = if plain_bytes > 0 {
        append_frame(Plain { file: &plain_file, path: plain, bytes: plain_bytes }, &sealed, content)?
    } else {
        cut_torn_tail(&sealed)?;
        0
    };
    match then {
        Then::Delete => std::fs::remove_file(plain)?,
        Then::Empty if plain_bytes > 0 => plain_file.set_len(0)?,
        Then::Empty => {}
    }
    // An emptied file stays between seals; one still empty (no poll since) is not counted.
    if plain_bytes > 0 {
        SEALED_FILES.fetch_add(1, Ordering::Relaxed);
    }
    SEALED_LINES.fetch_add(sealed_lines as u64, Ordering::Relaxed);
    Ok(sealed_lines)
}

/// The plain file being sealed: open, its path (for the log) and its length when the seal began.
#[derive(Clone, Copy)]
struct Plain<'a> {
    file: &'a File,
    path: &'a Path,
    bytes: u64,
}

/// Opens the sealed file for reading and writing, creating it (readable by the owner only) if
/// there is none; answers it and whether it is new.
fn open_sealed(sealed: &Path) -> io::Result<(File, bool)> {
    match OpenOptions::new().read(true).write(true).open(sealed) {
        Ok(file) => Ok((file, false)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let file = OpenOptions::new().read(true).write(true).create_new(true).open(sealed)?;
            replace::restrict_permissions(&file)?;
            Ok((file, true))
        }
        Err(e) => Err(e),
    }
}

/// Appends the lines of `plain` newer than the sealed file's last trailer (a torn tail after it
/// cut off first) to `sealed` as one frame and its trailer, fsynced; answers how many. A failed
/// append is cut back (and if even that fails, the next seal cuts the torn tail).
fn append_frame(plain: Plain, sealed: &Path, content: Content) -> io::Result<usize> {
    let (mut file, new) = open_sealed(sealed)?;
    let through = cut_torn_tail_of(&mut file, sealed)?.map_or(i64::MIN, |t| t.last_ms);
    let start = file.seek(SeekFrom::End(0))?;
    let mut sealed_lines = 0usize;
    let written = with_context(|context| {
        let how = match content {
            Content::Polls => How::Copied,
            Content::Lines => How::Rollups,
        };
        let frame = Frame { plain, content, through };
        let (lines, last_ms) = match frame.write(&mut file, context, how)? {
            Some(done) => done,
            None => {
                file.set_len(start)?;
                file.seek(SeekFrom::Start(start))?;
                frame.write(&mut file, context, How::Encoded)?.expect("encoded lines are always written")
            }
        };
        sealed_lines = lines;
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

/// How the lines of a plain file go into a frame.
#[derive(Clone, Copy, PartialEq)]
enum How {
    /// Samples lines copied as they are (they are written as deltas already, see
    /// [`super::poll_delta::Chain`]), which needs the frame's first line absolute and every
    /// delta line after the line it depends on.
    Copied,
    /// Samples lines read back and written again, for a plain file that cannot be copied: its
    /// first line to seal is a delta (a crash between a seal's steps left lines already sealed
    /// before it), a delta follows a torn line, or a line has another shape (written by hand).
    Encoded,
    /// Rollup lines, in their compact shape.
    Rollups,
}

/// One frame to seal: the lines of `plain` newer than `through` (ms).
struct Frame<'a> {
    plain: Plain<'a>,
    content: Content,
    through: i64,
}

impl Frame<'_> {
    /// Writes the frame at `file`'s position, `how`; answers how many lines and the last one's
    /// timestamp (ms), or `None` if they cannot be [`How::Copied`] (the frame half written).
    fn write(&self, file: &mut File, context: &mut CCtx<'static>, how: How) -> io::Result<Option<(usize, i64)>> {
        let mut zstd = frame_encoder(&mut *file, context, self.content, self.plain.bytes)?;
        let (mut last_ms, mut sealed_lines, mut written) = (self.through, 0usize, Ok(()));
        // Whether the line before went into the frame, and whether copying can go on.
        let (mut chained, mut copyable) = (false, true);
        let (mut decoder, mut encoder, mut text) = (Decoder::default(), Encoder::default(), Vec::new());
        // Read from the start, up to the length the seal began with (the file is not appended
        // to meanwhile: its writer is the one sealing).
        let mut reader = self.plain.file;
        reader.seek(SeekFrom::Start(0))?;
        read_raw_lines_from(reader.take(self.plain.bytes), self.plain.path, |bytes| {
            if written.is_err() || !copyable {
                return true;
            }
            text.clear();
            let ms = match how {
                How::Copied => {
                    let Some((ms, dependent)) = head(bytes) else {
                        copyable = false;
                        return true;
                    };
                    // A torn line ends before its closing brace (and its newline): dropped, as
                    // readers drop it.
                    let Some(whole) = bytes.strip_suffix(b"\n").filter(|line| line.ends_with(b"}")) else {
                        chained = false;
                        return false;
                    };
                    if ms > last_ms && dependent && !chained {
                        copyable = false;
                        return true;
                    }
                    text.extend_from_slice(whole);
                    ms
                }
                How::Encoded => {
                    let Some(line) = decoder.line(bytes) else { return false };
                    let ms = millis(line.timestamp);
                    if ms > last_ms {
                        encoder.write(&line, &mut text);
                    }
                    ms
                }
                How::Rollups => {
                    // A day's few hundred lines, sealed once a day: the timestamp read first.
                    let Ok(stamp) = serde_json::from_slice::<Stamp>(bytes) else { return false };
                    let ms = millis(stamp.timestamp);
                    if ms > last_ms {
                        let Ok(line) = serde_json::from_slice::<RollupLine>(bytes) else { return false };
                        text.extend_from_slice(line.sealed().as_bytes());
                    }
                    ms
                }
            };
            if ms <= last_ms {
                chained = false;
                return true;
            }
            text.push(b'\n');
            written = zstd.write_all(&text);
            (chained, last_ms) = (true, ms);
            sealed_lines += 1;
            true
        })?;
        written?;
        if !copyable {
            return Ok(None);
        }
        zstd.finish()?;
        Ok(Some((sealed_lines, last_ms)))
    }
}

/// Seals every plain segment file in `dir` (and deletes temp files a crash left there): the
/// newest is emptied and kept (the segment appended to), the older ones deleted.
pub fn seal_dir(dir: &Path, content: Content) -> io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    // One listing for both (a second was a tenth of a seal's CPU).
    let mut plain: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| !replace::remove_if_stale_temp(e))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    plain.sort();
    let newest = plain.len().saturating_sub(1);
    plain.iter().enumerate().try_fold(0, |n, (k, path)| {
        let then = if k == newest { Then::Empty } else { Then::Delete };
        Ok(n + seal(path, content, then)?)
    })
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
mod tests;
