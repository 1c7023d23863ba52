//! The process's limit on open file descriptors (`RLIMIT_NOFILE`). SNMP requests go out on a
//! few sockets shared by the whole fleet (`snmp::socket_pool`, [`SHARED_SOCKETS`] at most);
//! samples files kept open between appends are bounded for the whole fleet (`[storage]
//! max_open_samples_files`, see `store::kept_files`), and so are the raw latency files kept open
//! between echo rounds (`[storage] max_open_latency_files`); the rest of Vigie (HTTP
//! connections, listeners, log and rollup files opened for a moment, stdio) gets a reserve. So a
//! device needs a descriptor of its own for each kind only below that kind's bound, and past both
//! none (every device is counted as pinged: the default). The usual soft limit of 1,024 would
//! stop early, so the start raises the soft limit to the hard one, logs it, and warns when the
//! fleet needs more than that allows; `/status` shows both numbers.

use std::sync::atomic::{AtomicU64, Ordering};

/// The shared SNMP sockets, IPv4 and IPv6: the process's and the poller thread's own.
pub const SHARED_SOCKETS: u64 =
    (2 * (crate::snmp::socket_pool::SOCKETS_PER_FAMILY + crate::snmp::socket_pool::OWN_SOCKETS_PER_FAMILY)) as u64;
/// Descriptors kept for everything else: HTTP clients, listeners, files opened for a moment.
pub const RESERVED_FILES: u64 = 256;

/// The bounds on samples and on latency files kept open (set at start from the configuration).
static SAMPLES_FILES: AtomicU64 = AtomicU64::new(crate::store::DEFAULT_MAX_OPEN_KEPT_FILES as u64);
static LATENCY_FILES: AtomicU64 = AtomicU64::new(crate::store::DEFAULT_MAX_OPEN_KEPT_FILES as u64);

/// Sets the bounds on samples and latency files kept open, which the arithmetic below counts.
pub fn set_kept_files_bounds(samples: usize, latency: usize) {
    SAMPLES_FILES.store(samples as u64, Ordering::Relaxed);
    LATENCY_FILES.store(latency as u64, Ordering::Relaxed);
}

fn kept_bounds() -> (u64, u64) {
    (SAMPLES_FILES.load(Ordering::Relaxed), LATENCY_FILES.load(Ordering::Relaxed))
}

/// The soft limit in force (0 until [`raise_to_hard_limit`] ran).
static OPEN_LIMIT: AtomicU64 = AtomicU64::new(0);

/// Raises the soft limit to the hard one; answers the limit now in force, and logs it.
pub fn raise_to_hard_limit() -> u64 {
    let limit = match raise() {
        Ok((before, now)) if now > before => {
            log::info!("Open files: limit raised from {before} to {now} (the hard limit): room for {}.", room(now));
            now
        }
        Ok((_, now)) => {
            log::info!("Open files: limit {now} (already the hard limit): room for {}.", room(now));
            now
        }
        Err((now, e)) => {
            log::warn!("Open files: cannot raise the limit ({e}); it stays {now}: room for {}.", room(now));
            now
        }
    };
    OPEN_LIMIT.store(limit, Ordering::Relaxed);
    limit
}

/// The soft limit in force, as set at start.
pub fn open_limit() -> u64 {
    OPEN_LIMIT.load(Ordering::Relaxed)
}

/// Descriptors a fleet of `devices` needs: their samples and latency files up to the bounds,
/// the shared sockets and the reserve.
pub fn files_needed(devices: u64) -> u64 {
    let (samples, latency) = kept_bounds();
    devices.min(samples) + devices.min(latency) + SHARED_SOCKETS + RESERVED_FILES
}

/// How many devices `limit` descriptors can poll and ping; None when any number can (the limit
/// holds every samples and latency file the bounds allow).
pub fn devices_supported(limit: u64) -> Option<u64> {
    let room = limit.saturating_sub(RESERVED_FILES + SHARED_SOCKETS);
    let (samples, latency) = kept_bounds();
    let lower = samples.min(latency);
    // Two files a device up to the lower bound, then one up to the higher.
    (room < samples + latency).then_some(if room <= 2 * lower { room / 2 } else { room - lower })
}

/// "any number of devices" or "N devices", for the log.
fn room(limit: u64) -> String {
    devices_supported(limit).map_or("any number of devices".into(), |n| format!("{n} devices"))
}

/// Warns in the log when `devices` need more descriptors than the limit allows.
pub fn check_fleet(devices: usize) {
    let limit = open_limit();
    let Some(supported) = devices_supported(limit) else { return };
    if limit > 0 && devices as u64 > supported {
        log::warn!(
            "Open files: {devices} devices need about {} file descriptors, above the limit of {limit} \
             (room for {supported} devices); polls will fail with \"too many open files\". Raise the hard \
             limit (LimitNOFILE= in a systemd unit, ulimit -Hn) or lower [storage] max_open_samples_files and \
             max_open_latency_files, and restart.",
            files_needed(devices as u64)
        );
    }
}

/// (soft limit before, soft limit now), or the limit kept and why it could not be raised.
#[cfg(unix)]
#[allow(clippy::useless_conversion)] // rlim_t is u64 here, narrower on some 32-bit targets
fn raise() -> Result<(u64, u64), (u64, std::io::Error)> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given, which lives for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err((0, std::io::Error::last_os_error()));
    }
    let before = u64::from(limit.rlim_cur);
    if limit.rlim_cur >= limit.rlim_max {
        return Ok((before, before));
    }
    let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
    // SAFETY: setrlimit reads the struct it is given, which lives for the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err((before, std::io::Error::last_os_error()));
    }
    Ok((before, u64::from(raised.rlim_cur)))
}

#[cfg(not(unix))]
fn raise() -> Result<(u64, u64), (u64, std::io::Error)> {
    Err((0, std::io::Error::new(std::io::ErrorKind::Unsupported, "no RLIMIT_NOFILE here")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::useless_conversion)] // rlim_t is u64 here, narrower on some 32-bit targets
    fn the_soft_limit_is_raised_to_the_hard_one_and_sizes_the_fleet() {
        let limit = raise_to_hard_limit();
        let mut now = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut now) }, 0);
        assert_eq!((limit, now.rlim_cur), (u64::from(now.rlim_max), now.rlim_max));
        // With the default bounds of 2,048 samples and 2,048 latency files, and 20 shared sockets.
        assert_eq!(devices_supported(1024), Some(374), "a samples and a latency file each");
        assert_eq!(devices_supported(100), Some(0));
        assert_eq!(files_needed(374), 1024);
        assert_eq!(devices_supported(4371), Some(2047));
        assert_eq!(devices_supported(4372), None, "room for every kept file: any fleet");
        assert_eq!(files_needed(50_000), 4372, "the same as 2,048 devices");
    }
}
