//! Append-only JSON lines that survive a torn last line, and reading them back (atomic
//! replace is [`super::replace`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::kept_files::{Kept, KeptFiles};
use super::line_reader::{self, with_kept_buffer};

// The line being appended to a kept file, written in a buffer the thread keeps (the pollers'
// store writer): a steady append allocates nothing.
thread_local! {
    static LINE_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A line buffer grown past this size is let go.
const LINE_BUFFER_KEPT_BYTES: usize = 1 << 20;

/// Appends lines to JSON-lines files. Each open checks that the file ends with a newline and
/// adds one if a crash tore the last line, so a new line is never glued onto a torn one (a file
/// kept open is checked when opened). A write that fails part-way (disk full) is cut back to
/// where it started, so the file holds whole lines only and the next write starts on a line of
/// its own. No fsync per line: a `kill -9` loses nothing already written (it is in the page
/// cache); a power cut may lose the last seconds.
#[derive(Default)]
pub struct Appender {
    /// Files kept open by [`Appender::append_kept`]: one per directory, at most a bounded number
    /// (see [`KeptFiles`]). A file is taken out while it is written, so no lock is held across
    /// disk I/O (each directory has one writer at a time: its device's).
    pub(super) kept: KeptFiles,
    /// The same for the devices' raw latency files (one echo round a line), bounded apart: a
    /// fleet that is not pinged holds none.
    pub(super) latency: KeptFiles,
}

/// Which of the [`Appender`]'s sets of kept files an append goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptKind {
    /// A device's samples of the day (one poll a line).
    Samples,
    /// A device's raw latency of the day (one echo round a line).
    Latency,
}

impl Appender {
    /// Appends `lines` (one line, or several joined by newlines) in one write.
    pub fn append(&self, path: &Path, lines: &str) -> io::Result<()> {
        self.append_at(path, lines).map(drop)
    }

    /// Like [`Appender::append`]; answers the offset in the file where `lines` start (exact when
    /// one writer appends to the file).
    pub fn append_at(&self, path: &Path, lines: &str) -> io::Result<u64> {
        let Opened { mut file, len: before, torn, .. } = self.open(path)?;
        write_whole(&mut file, before, &line_bytes(lines, torn))?;
        Ok(before + u64::from(torn))
    }

    /// Like [`Appender::append`], for a file written again and again (a device's samples of the
    /// day): `owner` (the device's directory) has one file kept open, which stays open until
    /// the owner appends to another `segment` (opened at `path`), or until the bound on kept
    /// files closes it. A failed write closes it, so the next append opens it again and checks
    /// its end. `line` writes the line, with its newline, into the buffer it is given, told the
    /// offset in the file where it will start (a line that depends on the one before can tell
    /// whether that is still there); answers the file's length after it. A steady append is one
    /// `write`: no path lookup, no `fstat`, no allocation.
    pub fn append_kept(
        &self,
        kind: KeptKind,
        owner: &Path,
        segment: i64,
        path: impl FnOnce() -> PathBuf,
        line: impl FnOnce(u64, &mut Vec<u8>),
    ) -> io::Result<u64> {
        let set = self.kept_set(kind);
        let mut kept = match set.take(owner) {
            Some(kept) if kept.segment == segment => kept,
            other => {
                let Opened { mut file, mut len, torn, existed } = self.open(&path())?;
                if existed {
                    set.note_reopened();
                }
                if torn {
                    write_whole(&mut file, len, b"\n")?;
                    len += 1;
                }
                let owner = other.map_or_else(|| Arc::from(owner), |old| old.owner);
                Kept { owner, segment, file, len }
            }
        };
        with_kept_buffer(&LINE_BUFFER, LINE_BUFFER_KEPT_BYTES, |text| {
            text.clear();
            line(kept.len, text);
            write_whole(&mut kept.file, kept.len, text)?;
            kept.len += text.len() as u64;
            Ok::<(), io::Error>(())
        })?;
        let len = kept.len;
        set.put(kept);
        Ok(len)
    }

    /// The files kept open of one kind.
    pub(super) fn kept_set(&self, kind: KeptKind) -> &KeptFiles {
        match kind {
            KeptKind::Samples => &self.kept,
            KeptKind::Latency => &self.latency,
        }
    }

    /// Opens `path` for appending, creating it and its directory (see [`Opened`]). Remembering
    /// which files were checked for a torn line would cost memory for every rollup file ever
    /// written; the check is one read of one byte.
    fn open(&self, path: &Path) -> io::Result<Opened> {
        let (file, existed) = match OpenOptions::new().append(true).read(true).open(path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(path.parent().expect("store files live in a directory"))?;
                (OpenOptions::new().append(true).read(true).create(true).open(path)?, false)
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let torn = ends_torn(&file, len)?;
        if torn {
            log::warn!(
                "{} ended with a torn line (crash?); it is skipped and appends start on a new line",
                path.display()
            );
        }
        Ok(Opened { file, len, torn, existed })
    }

    /// Forgets (and closes) files of every kind below `dir` (before they are deleted).
    pub fn forget_below(&self, dir: &Path) {
        self.kept.forget_below(dir);
        self.latency.forget_below(dir);
    }
}

/// A file [`Appender::open`] opened for appending: its length, whether a torn last line needs
/// a newline first, and whether it was there before (not created by this open).
struct Opened {
    file: File,
    len: u64,
    torn: bool,
    existed: bool,
}

/// Writes `bytes` at the end of `file` (opened for appending, `before` bytes long), or nothing:
/// a write that fails part-way is cut back to the length before it.
fn write_whole(file: &mut File, before: u64, bytes: &[u8]) -> io::Result<()> {
    let result = file.write_all(bytes);
    if result.is_err() {
        if let Err(e) = file.set_len(before) {
            log::warn!("cannot cut back a failed append ({e}); the next open starts a new line");
        }
    }
    result
}

/// `lines` and a final newline, after a newline of its own if the file's last line was torn.
fn line_bytes(lines: &str, torn: bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(lines.len() + 2);
    if torn {
        buf.push(b'\n');
    }
    buf.extend_from_slice(lines.as_bytes());
    buf.push(b'\n');
    buf
}

/// Whether `file`, `len` bytes long, ends without a newline (one `pread` of its last byte).
fn ends_torn(file: &File, len: u64) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

/// Reads the JSON lines of `path` that parse as `T`, skipping blank, torn or corrupt lines.
/// A missing file reads as empty.
pub fn read_lines<T: serde::de::DeserializeOwned>(path: &Path, mut each: impl FnMut(T)) -> io::Result<()> {
    read_raw_lines(path, |bytes| serde_json::from_slice::<T>(bytes).map(&mut each).is_ok())
}

/// Calls `read` with each non-blank line of `path`; `read` answers whether it could read it.
/// Lines it could not (a torn tail, corruption) are skipped and counted in a debug log. A
/// missing file reads as empty.
pub fn read_raw_lines(path: &Path, read: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    read_raw_lines_from(file, path, read)
}

/// Like [`read_raw_lines`], from any reader (a decompressed file); `path` names it in the log.
/// The reader is read in large chunks (see [`line_reader`]): it needs no buffer of its own.
pub fn read_raw_lines_from(reader: impl Read, path: &Path, mut read: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let mut skipped = 0usize;
    let result = line_reader::for_each_line(reader, |line| {
        if !line.iter().all(u8::is_ascii_whitespace) && !read(line) {
            skipped += 1;
        }
    });
    if skipped > 0 {
        log::debug!("skipped {skipped} unreadable line(s) in {}", path.display());
    }
    result
}

/// The last complete line of `path` (a torn tail is passed over), reading only the file's end.
pub fn last_line(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        file.read_to_end(&mut buf)?;
        // Only text up to the last newline is complete.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            if start == 0 {
                return Ok(None);
            }
            window *= 4;
            continue;
        };
        match buf[..end].iter().rposition(|&b| b == b'\n') {
            Some(begin) => return Ok(Some(buf[begin + 1..end].to_vec())),
            None if start == 0 => return Ok(Some(buf[..end].to_vec())),
            None => window *= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Line {
        n: u32,
    }

    /// Appends `{"n":n}` to `path`, kept open for its directory as `segment`.
    fn kept(appender: &Appender, path: &Path, segment: i64, n: u32) {
        let line = format!("{{\"n\":{n}}}\n");
        let write = |_, out: &mut Vec<u8>| out.extend_from_slice(line.as_bytes());
        appender.append_kept(KeptKind::Samples, path.parent().unwrap(), segment, || path.to_path_buf(), write).unwrap();
    }

    fn read_all(path: &Path) -> Vec<u32> {
        let mut out = Vec::new();
        read_lines::<Line>(path, |l| out.push(l.n)).unwrap();
        out
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_not_glued_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        fs::write(&path, "{\"n\":1}\n{\"n\":2}\n{\"n\":3").unwrap(); // crash mid-line
        assert_eq!(read_all(&path), vec![1, 2]);
        let appender = Appender::default();
        appender.append(&path, "{\"n\":4}").unwrap();
        appender.append(&path, "{\"n\":5}").unwrap();
        assert_eq!(read_all(&path), vec![1, 2, 4, 5]);
        assert_eq!(last_line(&path).unwrap().unwrap(), b"{\"n\":5}");
        fs::write(&path, "{\"n\":1}\n{\"n\":2").unwrap();
        assert_eq!(last_line(&path).unwrap().unwrap(), b"{\"n\":1}");
    }

    #[test]
    fn a_kept_file_is_checked_once_then_written_in_place_until_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let (day1, day2) = (dir.path().join("d/1.jsonl"), dir.path().join("d/2.jsonl"));
        fs::create_dir_all(day1.parent().unwrap()).unwrap();
        fs::write(&day1, "{\"n\":1}\n{\"n\":").unwrap(); // crash mid-line
        let appender = Appender::default();
        for n in 2..5 {
            kept(&appender, &day1, 1, n);
        }
        kept(&appender, &day2, 2, 5);
        assert_eq!((read_all(&day1), read_all(&day2)), (vec![1, 2, 3, 4], vec![5]));
        appender.forget_below(dir.path());
        assert_eq!(appender.kept.open_count(), 0, "closed before the files are deleted");
    }

    #[test]
    fn twenty_devices_append_to_their_own_files_with_never_more_than_four_open() {
        let dir = tempfile::tempdir().unwrap();
        let appender = Appender::default();
        appender.kept.set_max_open(4);
        let files: Vec<PathBuf> = (0..20).map(|d| dir.path().join(format!("{d}/samples/1.jsonl"))).collect();
        for n in 0..5 {
            for path in &files {
                kept(&appender, path, 1, n);
                assert!(appender.kept.open_count() <= 4);
            }
        }
        for path in &files {
            assert_eq!(read_all(path), vec![0, 1, 2, 3, 4], "{}", path.display());
        }
        assert_eq!(appender.kept.open_count(), 4);
        assert_eq!(appender.kept.reopened(), 4 * 20, "each round reopens every device's file");
        // The most recently used stay open: a device that appends again does not reopen.
        kept(&appender, &files[19], 1, 5);
        assert_eq!(appender.kept.reopened(), 80);
    }
}
