//! How the disk is doing: writes that failed (disk full, I/O errors), counted for `/status`, and
//! logged at most once a minute so that a full disk under a large fleet does not flood the log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::{now_secs, StoreError};

/// Failures are logged at most this often.
const LOG_EVERY_SECS: i64 = 60;

#[derive(Default)]
pub struct StorageHealth {
    write_errors: AtomicU64,
    /// A failure was logged and no success since: the next success is logged as a recovery.
    failing: AtomicBool,
    last: Mutex<Last>,
}

#[derive(Default)]
struct Last {
    error: Option<(String, i64)>,
    logged_at: Option<i64>,
    errors_when_logged: u64,
}

/// What `/status` shows of the disk.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageStatus {
    pub write_errors: u64,
    /// The OS's reason for the last failed write (no path: paths are for the log).
    pub last_write_error: Option<String>,
    pub last_write_error_at: Option<i64>,
    /// Plain segment files sealed since start, and the lines they held (see [`super::seal`]).
    pub sealed_files: u64,
    pub sealed_lines: u64,
    pub sealed_torn_tails: u64,
    /// Samples files kept open between appends, their bound, and the appends that had to open
    /// one again (see [`super::kept_files`]); filled in by the store.
    pub samples_files_open: u64,
    pub samples_files_max_open: u64,
    pub samples_files_reopened: u64,
    /// The same for the raw latency files (one echo round a line).
    pub latency_files_open: u64,
    pub latency_files_max_open: u64,
    pub latency_files_reopened: u64,
}

impl StorageHealth {
    /// Notes how a write went.
    pub fn note<T>(&self, result: &Result<T, StoreError>) {
        match result {
            Ok(_) => self.succeeded(),
            Err(StoreError::Io { path, source }) => self.failed(&path.display().to_string(), source),
            Err(_) => {}
        }
    }

    fn succeeded(&self) {
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::Relaxed) {
            log::info!("Storage: writes succeed again; what could not be written meanwhile is counted in /status.");
        }
    }

    fn failed(&self, path: &str, source: &std::io::Error) {
        let total = self.write_errors.fetch_add(1, Ordering::Relaxed) + 1;
        let now = now_secs();
        let mut last = self.last.lock().expect("storage health lock");
        last.error = Some((source.to_string(), now));
        if last.logged_at.is_none_or(|at| now - at >= LOG_EVERY_SECS) {
            let since = total - last.errors_when_logged;
            log::error!(
                "Storage: cannot write {path}: {source} ({since} failed write(s) since the last report, \
                 {total} since start). Polling goes on; samples that cannot be written are lost and counted, \
                 device states are written again at the next poll."
            );
            last.logged_at = Some(now);
            last.errors_when_logged = total;
            self.failing.store(true, Ordering::Relaxed);
        }
    }

    pub fn status(&self) -> StorageStatus {
        let last = self.last.lock().expect("storage health lock");
        let sealed = super::seal::counts();
        StorageStatus {
            sealed_files: sealed.files,
            sealed_lines: sealed.lines,
            sealed_torn_tails: sealed.torn_tails,
            write_errors: self.write_errors.load(Ordering::Relaxed),
            last_write_error: last.error.as_ref().map(|(e, _)| e.clone()),
            last_write_error_at: last.error.as_ref().map(|(_, at)| *at),
            samples_files_open: 0,
            samples_files_max_open: 0,
            samples_files_reopened: 0,
            latency_files_open: 0,
            latency_files_max_open: 0,
            latency_files_reopened: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_with_their_reason_and_successes_do_not_reset_the_count() {
        let health = StorageHealth::default();
        let full = || -> Result<(), StoreError> {
            Err(StoreError::Io { path: "/data/x".into(), source: std::io::Error::from_raw_os_error(28) })
        };
        health.note(&full());
        health.note(&full());
        health.note(&Ok::<(), StoreError>(()));
        let status = health.status();
        assert_eq!(status.write_errors, 2);
        assert!(status.last_write_error.unwrap().contains("No space left"));
        assert!(status.last_write_error_at.is_some());
        assert!(!health.failing.load(Ordering::Relaxed), "the success is noted as a recovery");
    }
}
