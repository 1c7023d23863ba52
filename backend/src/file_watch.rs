//! Waiting for a file to change on disk without polling it: Linux's inotify on the file's
//! directory (a file replaced by a rename, as Vigie and editors write, is a new inode: watching
//! the directory sees it). Used for `auth.json`, which `vigie user` edits while the server runs,
//! so that an idle server is not woken every few seconds to look at it.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tokio::io::unix::AsyncFd;

/// A change to the file was noticed when one of these happened to its name in the directory.
const EVENTS: u32 = libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_DELETE | libc::IN_ATTRIB;

pub struct FileWatch {
    fd: AsyncFd<OwnedFd>,
    name: OsString,
}

impl FileWatch {
    /// Watches `path` (its directory must exist). Must be called within a Tokio runtime.
    pub fn new(path: &Path) -> io::Result<FileWatch> {
        let (dir, name) = match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => (dir, name.to_os_string()),
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file path")),
        };
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let dir = CString::new(dir.as_os_str().as_bytes())?;
        // SAFETY: inotify_init1 takes flags only; a non-negative result is a descriptor we own.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: `fd` is an inotify descriptor and `dir` a NUL-terminated path.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), dir.as_ptr(), EVENTS) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the `AsyncFd` owns `fd`: it stays open, the same descriptor, while registered.
        let fd = unsafe { AsyncFd::register(fd) }.map_err(|e| e.into_parts().1)?;
        Ok(FileWatch { fd, name })
    }

    /// Waits until the file was written, replaced, created or removed. Changes to other files
    /// of the directory are read and passed over. Cancel-safe: events are read only once the
    /// descriptor is ready, in one step.
    pub async fn changed(&self) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let mut ready = self.fd.readable().await?;
            let read = ready.try_io(|fd| {
                // SAFETY: reads at most `buf.len()` bytes into `buf`, which outlives the call.
                let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match read {
                // An overflowed queue may have lost the file's own event: count it as a change.
                Ok(Ok(n))
                    if events(&buf[..n])
                        .any(|(mask, name)| mask & libc::IN_Q_OVERFLOW != 0 || name == self.name.as_bytes()) =>
                {
                    return Ok(())
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => {}
            }
        }
    }
}

/// The masks and names in a buffer of `inotify_event`s (header, then a NUL-padded name).
fn events(mut events: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
    std::iter::from_fn(move || {
        if events.len() < HEADER {
            return None;
        }
        let mask = u32::from_ne_bytes(events[4..8].try_into().ok()?);
        let len = u32::from_ne_bytes(events[12..16].try_into().ok()?) as usize;
        let name = events.get(HEADER..HEADER + len)?;
        events = &events[HEADER + len..];
        Some((mask, name.split(|&b| b == 0).next().unwrap_or_default()))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Whether a change is seen within `millis` (inotify is immediate: a change is waited for
    /// up to 10 s, the absence of one for 300 ms).
    async fn seen(watch: &FileWatch, millis: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(millis), watch.changed()).await.is_ok()
    }

    #[tokio::test]
    async fn a_write_or_a_rename_over_the_file_is_seen_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(&path, "{}").unwrap();
        let watch = FileWatch::new(&path).unwrap();

        std::fs::write(dir.path().join("other.json"), "{}").unwrap();
        assert!(!seen(&watch, 300).await, "another file of the directory is not a change");

        std::fs::write(dir.path().join("auth.json.tmp"), "{\"a\":1}").unwrap();
        std::fs::rename(dir.path().join("auth.json.tmp"), &path).unwrap();
        assert!(seen(&watch, 10_000).await, "replaced by a rename");

        std::fs::write(&path, "{\"a\":2}").unwrap();
        assert!(seen(&watch, 10_000).await, "written in place");
        assert!(!seen(&watch, 300).await, "nothing more");
    }
}
