//! The lines of a byte stream (a plain file, a decompressed frame), cut in place from a buffer
//! the thread keeps: a seal or a query reads an hour of lines without allocating and touching a
//! new 256 KiB buffer each time (its first-touch page faults were a tenth of a seal), nor
//! copying each line out of it.

use std::cell::RefCell;
use std::io::{self, Read};
use std::thread::LocalKey;

/// Read from the stream this much at a time; a line longer than that grows the buffer.
const CHUNK: usize = 256 * 1024;
/// A buffer grown past this (a line of several MiB) is let go after use, not kept.
const KEPT_BYTES: usize = 1 << 20;

thread_local! {
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Calls `use_it` with the thread's kept buffer from `key` as the last use left it; a call
/// within `use_it` gets a buffer of its own. A buffer grown past `kept_bytes` is dropped
/// afterwards.
pub(super) fn with_kept_buffer<T>(
    key: &'static LocalKey<RefCell<Vec<u8>>>,
    kept_bytes: usize,
    use_it: impl FnOnce(&mut Vec<u8>) -> T,
) -> T {
    key.with(|kept| {
        let mut buffer = kept.try_borrow_mut().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default();
        let out = use_it(&mut buffer);
        if buffer.capacity() <= kept_bytes {
            if let Ok(mut kept) = kept.try_borrow_mut() {
                *kept = buffer;
            }
        }
        out
    })
}

/// Calls `line` with each line of `reader`, its newline included; the last one may lack it (a
/// torn tail). Stops at the end of the stream or at its first error.
pub(super) fn for_each_line(mut reader: impl Read, mut line: impl FnMut(&[u8])) -> io::Result<()> {
    with_kept_buffer(&READ_BUFFER, KEPT_BYTES, |buffer| {
        // Only its length matters: what the last use left in it is read over, not zeroed again
        // for each file (256 KiB, however small the file).
        if buffer.len() < CHUNK {
            buffer.resize(CHUNK, 0);
        }
        // Bytes read and not yet handed over: buffer[start..end], with no newline before
        // `searched` (a long line read in small pieces is searched once, not at every piece).
        let (mut start, mut end, mut searched) = (0, 0, 0);
        loop {
            while let Some(at) = memchr::memchr(b'\n', &buffer[searched..end]) {
                let next = searched + at + 1;
                line(&buffer[start..next]);
                (start, searched) = (next, next);
            }
            searched = end;
            // The partial line left moves to the front (once: it then stays there while it
            // grows); a line filling the buffer grows it.
            if start > 0 {
                buffer.copy_within(start..end, 0);
                (start, end, searched) = (0, end - start, end - start);
            }
            if end == buffer.len() {
                buffer.resize(buffer.len() * 2, 0);
            }
            match reader.read(&mut buffer[end..]) {
                Ok(0) => break,
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if end > 0 {
            line(&buffer[..end]);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out at most `step` bytes a call, as a pipe or a decoder may.
    struct Dribble<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn lines_of(bytes: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for_each_line(Dribble { bytes, step }, |l| lines.push(l.to_vec())).unwrap();
        lines
    }

    /// What `BufRead::read_until` gives, the reader this one replaced.
    fn expected(bytes: &[u8]) -> Vec<Vec<u8>> {
        use std::io::BufRead;
        let mut reader = io::BufReader::new(bytes);
        let mut lines = Vec::new();
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line).unwrap() == 0 {
                return lines;
            }
            lines.push(line);
        }
    }

    #[test]
    fn lines_come_out_as_read_until_cut_them_whatever_the_reads() {
        let long = vec![b'x'; 3 * CHUNK + 17];
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"a\nbb\n\nccc\n".to_vec(),
            b"a\nbb\ntorn".to_vec(),
            [b"first\n".as_slice(), &long, b"\nlast\n"].concat(),
            [long.as_slice(), b"\n"].concat(),
            long.clone(),
        ];
        for bytes in &cases {
            for step in [1, 3, 4096, CHUNK, usize::MAX] {
                assert_eq!(lines_of(bytes, step), expected(bytes), "{} bytes, reads of {step}", bytes.len());
            }
        }
    }

    #[test]
    fn a_read_error_is_answered_after_the_lines_before_it() {
        struct Failing(bool);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("disk"));
                }
                out[..4].copy_from_slice(b"a\nb\n");
                Ok(4)
            }
        }
        let mut lines = Vec::new();
        let read = for_each_line(Failing(false), |l| lines.push(l.to_vec()));
        assert_eq!(read.unwrap_err().to_string(), "disk");
        assert_eq!(lines, [b"a\n".to_vec(), b"b\n".to_vec()]);
    }

    #[test]
    fn a_line_read_within_a_line_gets_a_buffer_of_its_own() {
        let mut seen = Vec::new();
        for_each_line(&b"outer 1\nouter 2\n"[..], |outer| {
            for_each_line(&b"inner\n"[..], |inner| seen.push(inner.to_vec())).unwrap();
            seen.push(outer.to_vec());
        })
        .unwrap();
        assert_eq!(seen, [b"inner\n".to_vec(), b"outer 1\n".to_vec(), b"inner\n".to_vec(), b"outer 2\n".to_vec()]);
    }

    /// The CPU of reading a small file's lines (a rollup file of a few lines, a device's first
    /// samples of the day), for the README. Run in release:
    /// `cargo test --release -p vigie --lib store::line_reader -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn cpu_of_reading_a_small_file() {
        const READS: usize = 20_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.jsonl");
        std::fs::write(&path, "{\"timestamp\":1795611600,\"ifIndex\":[1,2],\"inBps\":[8013,120]}\n".repeat(5)).unwrap();
        let start = crate::store::footprint::thread_cpu_secs();
        let mut lines = 0;
        for _ in 0..READS {
            for_each_line(std::fs::File::open(&path).unwrap(), |_| lines += 1).unwrap();
        }
        let per_read = (crate::store::footprint::thread_cpu_secs() - start) * 1e6 / READS as f64;
        assert_eq!(lines, 5 * READS);
        println!("opening and reading a file of 5 short lines: {per_read:.2} µs of CPU");
    }
}
