//! Reading a day's log file newest first without loading it: lines backwards from an offset, a
//! binary search for where the ids below a cursor end, and one line read at a known offset.
//! Memory is a block and the longest line, whatever the file's size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;

/// Bytes read per step when walking a file backwards.
const BLOCK: usize = 256 * 1024;
/// A longer line is not an entry Vigie wrote: it is skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The id of a stored line, read from its start (`{"id":123,`) without parsing the rest.
pub fn line_id(line: &[u8]) -> Option<u64> {
    let digits = line.strip_prefix(b"{\"id\":")?;
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..len]).ok()?.parse().ok()
}

/// Calls `each` with the lines of `file` that end at or before `end`, last line first, until it
/// answers `Break`. Blank lines are passed over; an over-long line is skipped.
pub fn lines_backwards(file: &mut File, end: u64, mut each: impl FnMut(&[u8]) -> ControlFlow<()>) -> io::Result<()> {
    let mut pos = end;
    // Bytes from `pos` up to the start of the lines already passed to `each`.
    let mut tail: Vec<u8> = Vec::new();
    let mut block = vec![0u8; BLOCK];
    while pos > 0 {
        let start = pos.saturating_sub(BLOCK as u64);
        let n = (pos - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..n])?;
        let mut data = Vec::with_capacity(n + tail.len());
        data.extend_from_slice(&block[..n]);
        data.extend_from_slice(&tail);
        pos = start;
        // The text before the first newline may continue in the previous block.
        let Some(first_newline) = memchr::memchr(b'\n', &data) else {
            tail = if data.len() > MAX_LINE_BYTES { Vec::new() } else { data };
            continue;
        };
        for line in data[first_newline + 1..].rsplit(|&b| b == b'\n') {
            if !line.iter().all(u8::is_ascii_whitespace) && each(line).is_break() {
                return Ok(());
            }
        }
        data.truncate(first_newline);
        tail = data;
    }
    if !tail.iter().all(u8::is_ascii_whitespace) && tail.len() <= MAX_LINE_BYTES {
        let _ = each(&tail);
    }
    Ok(())
}

/// An offset in `file` (of length `len`) before which lie every line with an id below `before`
/// and after which lie only lines with ids at or above it: where a backwards scan for
/// `id < before` starts. Ids grow through a file, so this is a binary search of a few reads.
pub fn end_before_id(file: &mut File, len: u64, before: u64) -> io::Result<u64> {
    let (mut low, mut high) = (0u64, len);
    while high - low > BLOCK as u64 {
        let mid = low + (high - low) / 2;
        // The scan runs from `high` to the file's start: raising `low` never skips an entry,
        // so whatever cannot be read (a torn tail, an over-long line) narrows from below.
        match first_line_after(file, mid)? {
            Some((start, _)) if start >= high => break,
            Some((start, Some(id))) if id >= before => high = start,
            _ => low = mid,
        }
    }
    Ok(high)
}

/// The start of the first line that starts after `at`, and its id if it has one; `None` at
/// the end of the file.
fn first_line_after(file: &mut File, at: u64) -> io::Result<Option<(u64, Option<u64>)>> {
    file.seek(SeekFrom::Start(at))?;
    let mut reader = BufReader::with_capacity(4096, &mut *file).take(MAX_LINE_BYTES as u64 * 2);
    let mut skipped = Vec::new();
    let passed = reader.read_until(b'\n', &mut skipped)?;
    if passed == 0 || skipped.last() != Some(&b'\n') {
        return Ok(None);
    }
    let start = at + passed as u64;
    let mut head = [0u8; 32];
    let mut filled = 0;
    while filled < head.len() {
        let n = reader.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(Some((start, line_id(&head[..filled]))))
}

/// The line that starts at `offset` in `path`, without its newline.
pub fn line_at(path: &Path, offset: u64) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut line = Vec::new();
    BufReader::new(file).take(MAX_LINE_BYTES as u64).read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(lines: &[String]) -> (tempfile::NamedTempFile, u64) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        let len = f.as_file().metadata().unwrap().len();
        (f, len)
    }

    fn numbered(n: u64, pad: usize) -> Vec<String> {
        (1..=n).map(|i| format!("{{\"id\":{i},\"message\":\"{}\"}}", "x".repeat(pad))).collect()
    }

    #[test]
    fn lines_come_backwards_across_blocks_and_stop_on_break() {
        let lines = numbered(5000, 150);
        let (f, len) = file_of(&lines);
        let mut ids = Vec::new();
        lines_backwards(&mut File::open(f.path()).unwrap(), len, |l| {
            ids.push(line_id(l).unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(ids, (1..=5000).rev().collect::<Vec<_>>());
        let mut seen = 0;
        lines_backwards(&mut File::open(f.path()).unwrap(), len, |_| {
            seen += 1;
            if seen == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 3);
    }

    #[test]
    fn a_torn_tail_and_a_line_longer_than_a_block_are_handled() {
        let long = format!("{{\"id\":2,\"message\":\"{}\"}}", "y".repeat(BLOCK * 2));
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "{{\"id\":1}}\n{long}\n{{\"id\":3,\"mess").unwrap();
        let len = f.as_file().metadata().unwrap().len();
        let mut lines = Vec::new();
        lines_backwards(&mut File::open(f.path()).unwrap(), len, |l| {
            lines.push(l.len());
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(lines, vec![13, long.len(), 8], "torn tail, long line, first line");
    }

    #[test]
    fn the_binary_search_finds_where_older_ids_end() {
        let lines = numbered(20_000, 100);
        let (f, len) = file_of(&lines);
        let mut file = File::open(f.path()).unwrap();
        for before in [1, 2, 777, 10_000, 19_999, 20_001, 50_000] {
            let end = end_before_id(&mut file, len, before).unwrap();
            let mut newest = None;
            let mut older_skipped = false;
            lines_backwards(&mut file, end, |l| {
                let id = line_id(l).unwrap();
                if id < before {
                    newest = Some(id);
                    return ControlFlow::Break(());
                }
                older_skipped = true;
                ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(newest, Some((before - 1).min(20_000)).filter(|&n| n >= 1), "before {before}");
            assert!(end < len || before > 19_000, "the search narrowed the scan for {before}");
        }
        let offset = lines[..41].iter().map(|l| l.len() as u64 + 1).sum();
        assert_eq!(line_id(&line_at(f.path(), offset).unwrap()), Some(42));
    }
}
