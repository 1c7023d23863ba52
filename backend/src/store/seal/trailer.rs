//! A sealed file's trailers: after each data frame, a 24-byte zstd skippable frame (ignored by
//! every zstd decoder) that says up to which line the file holds and where the frame starts.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::Ordering;

use super::TORN_TAILS;

/// A skippable frame's magic (0x184D2A50 to 0x184D2A5F), then its length, then the payload:
/// last timestamp in ms (i64) and the data frame's length (u64), little-endian.
const TRAILER_MAGIC: u32 = 0x184D_2A56;
pub(super) const TRAILER_LEN: u64 = 24;

/// The end of a sealed file: the last line's timestamp (ms) and where the last frame starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trailer {
    pub last_ms: i64,
    pub(super) frame_start: u64,
    pub(super) frame_len: u64,
}

/// The trailer of a sealed file; `None` when there is no file or it does not end with one.
pub fn trailer(sealed: &Path) -> io::Result<Option<Trailer>> {
    let mut file = match File::open(sealed) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    trailer_at(&mut file, len)
}

/// The trailer ending at `len` in `file`, if the bytes there are one.
pub(super) fn trailer_at(file: &mut File, len: u64) -> io::Result<Option<Trailer>> {
    if len < TRAILER_LEN {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(len - TRAILER_LEN))?;
    let mut buf = [0u8; TRAILER_LEN as usize];
    file.read_exact(&mut buf)?;
    Ok(parse_trailer(&buf, len))
}

/// `buf`, the 24 bytes ending at `end`, as a trailer.
fn parse_trailer(buf: &[u8], end: u64) -> Option<Trailer> {
    let word = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
    let long = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
    let frame_len = long(16);
    if word(0) != TRAILER_MAGIC || word(4) != 16 || frame_len > end - TRAILER_LEN {
        return None;
    }
    Some(Trailer { last_ms: long(8) as i64, frame_start: end - TRAILER_LEN - frame_len, frame_len })
}

/// The trailer of a sealed file, after cutting off what follows the last whole trailer (a
/// frame a crash cut short while it was appended: its lines are still in the plain file).
/// Reads the file only when it does not end with a trailer.
pub(super) fn cut_torn_tail(sealed: &Path) -> io::Result<Option<Trailer>> {
    match OpenOptions::new().read(true).write(true).open(sealed) {
        Ok(mut file) => cut_torn_tail_of(&mut file, sealed),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// [`cut_torn_tail`] of the sealed file open as `file` (for reading and writing); `sealed`
/// names it in the log.
pub(super) fn cut_torn_tail_of(file: &mut File, sealed: &Path) -> io::Result<Option<Trailer>> {
    let len = file.metadata()?.len();
    if let Some(t) = trailer_at(file, len)? {
        return Ok(Some(t));
    }
    if len == 0 {
        return Ok(None);
    }
    // Walk the frames from the start; keep everything up to the last trailer.
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let (mut at, mut kept, mut last) = (0usize, 0u64, None);
    while at < bytes.len() {
        let Ok(n) = zstd::zstd_safe::find_frame_compressed_size(&bytes[at..]) else { break };
        at += n;
        if n == TRAILER_LEN as usize {
            if let Some(t) = parse_trailer(&bytes[at - n..at], at as u64) {
                (kept, last) = (at as u64, Some(t));
            }
        }
    }
    file.set_len(kept)?;
    file.sync_all()?;
    TORN_TAILS.fetch_add(1, Ordering::Relaxed);
    log::warn!(
        "{} ended with {} bytes of a torn frame (a crash while sealing?); they are cut off and their lines \
         sealed again from the plain file",
        sealed.display(),
        len - kept
    );
    Ok(last)
}

pub(super) fn trailer_bytes(last_ms: i64, frame_len: u64) -> [u8; TRAILER_LEN as usize] {
    let mut buf = [0u8; TRAILER_LEN as usize];
    buf[0..4].copy_from_slice(&TRAILER_MAGIC.to_le_bytes());
    buf[4..8].copy_from_slice(&16u32.to_le_bytes());
    buf[8..16].copy_from_slice(&last_ms.to_le_bytes());
    buf[16..24].copy_from_slice(&frame_len.to_le_bytes());
    buf
}
