//! The fleet summary and liveness on the wire.

use serde::Serialize;
use utoipa::ToSchema;

/// Poller work since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollerView {
    /// Polls done, answered or not.
    #[schema(example = 1440)]
    pub polls_total: u64,
    /// Polls without an answer.
    #[schema(example = 3)]
    pub polls_failed: u64,
    /// Polls that started more than a tenth of an interval after their time.
    #[schema(example = 0)]
    pub polls_late: u64,
    /// Polls stopped at their deadline (most of the interval); also counted in `pollsFailed`.
    #[schema(example = 0)]
    pub polls_over_deadline: u64,
    /// Device pollers that panicked on what an agent sent, and were restarted.
    #[schema(example = 0)]
    pub polls_panicked: u64,
    /// Out-of-schedule polls asked by linkDown/linkUp traps and put off to keep the minimum gap
    /// between two polls of a device.
    #[schema(example = 0)]
    pub nudges_deferred: u64,
    /// Interface counter readings taken.
    #[schema(example = 69120)]
    pub interface_samples_total: u64,
    /// Rates dropped as implausible (above the interface speed).
    #[schema(example = 0)]
    pub samples_dropped: u64,
}

/// Fleet summary.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusSummaryView {
    /// Devices supervised.
    #[schema(example = 13)]
    pub devices: usize,
    /// Devices up.
    #[schema(example = 12)]
    pub up: usize,
    /// Devices down.
    #[schema(example = 1)]
    pub down: usize,
    /// Devices not polled yet.
    #[schema(example = 0)]
    pub unknown: usize,
    /// Interfaces across all devices.
    #[schema(example = 624)]
    pub interfaces: usize,
    pub poller: PollerView,
    pub logs: LogsStatusView,
    pub storage: StorageView,
    pub files: FilesView,
}

/// Writes to the data directory that failed since start (disk full, I/O errors). Polling goes
/// on meanwhile; what could not be written is lost and counted here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageView {
    /// Writes that failed: samples, rollups, device states, log entries, device changes.
    #[schema(example = 0)]
    pub write_errors: u64,
    /// The system's reason for the last failure.
    #[schema(example = "No space left on device (os error 28)")]
    pub last_write_error: Option<String>,
    /// Unix seconds of the last failure.
    #[schema(example = 1764500000)]
    pub last_write_error_at: Option<i64>,
}

/// Open file descriptors: each polled device holds about two (its socket and its samples file).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesView {
    /// The process's limit on open files (the soft limit, raised to the hard one at start).
    #[schema(example = 1048576)]
    pub open_limit: u64,
    /// Devices that limit can poll, after a reserve for HTTP clients and other files.
    #[schema(example = 524160)]
    pub devices_supported: u64,
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// Always `ok` when the server answers.
    #[schema(example = "ok")]
    pub status: String,
    /// Vigie's version.
    #[schema(example = "0.1.0")]
    pub version: String,
    /// Seconds since start.
    #[schema(example = 3600)]
    pub uptime_secs: u64,
}

/// The receivers' work since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogsStatusView {
    /// Syslog messages received (UDP datagrams and TCP frames).
    #[schema(example = 1200)]
    pub syslog_received: u64,
    /// Syslog input dropped as malformed (binary noise, invalid frames).
    #[schema(example = 2)]
    pub syslog_malformed: u64,
    /// Syslog messages over 64 KiB, cut.
    #[schema(example = 0)]
    pub syslog_truncated: u64,
    /// Trap datagrams received.
    #[schema(example = 40)]
    pub traps_received: u64,
    /// Datagrams that were not SNMP v1/v2c traps or informs.
    #[schema(example = 1)]
    pub traps_malformed: u64,
    /// Entries dropped because a burst outran the disk (oldest first).
    #[schema(example = 0)]
    pub dropped: u64,
    /// Entries written to the log.
    #[schema(example = 1300)]
    pub stored: u64,
}
