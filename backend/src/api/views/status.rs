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

/// ICMP reachability: how echo requests are sent, and the rounds since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReachView {
    /// `datagram` (unprivileged ping socket), `raw` (root or CAP_NET_RAW), `unavailable`, or
    /// `starting` before the sockets are opened.
    #[schema(example = "raw")]
    pub mode4: String,
    #[schema(example = "raw")]
    pub mode6: String,
    /// Why ICMP is unavailable (then availability is judged by SNMP alone); null otherwise.
    #[schema(example = json!(null))]
    pub reason: Option<String>,
    /// Rounds of echo requests made.
    #[schema(example = 2880)]
    pub rounds_total: u64,
    /// Rounds that got no reply at all.
    #[schema(example = 4)]
    pub rounds_silent: u64,
    /// Rounds put off to the next second (the device's previous round still running, or the
    /// cap on rounds in flight reached).
    #[schema(example = 0)]
    pub rounds_deferred: u64,
    /// Rounds not sent because the host name could not be resolved.
    #[schema(example = 0)]
    pub resolve_failures: u64,
    /// Rounds running at once at most.
    #[schema(example = 512)]
    pub max_in_flight: usize,
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
    /// Devices whose host answers pings but not SNMP.
    #[schema(example = 1)]
    pub snmp_down: usize,
    /// Devices answering neither (or behind an unreachable parent).
    #[schema(example = 0)]
    pub unreachable: usize,
    /// `snmpDown` + `unreachable`, kept for scripts written before the two were told apart.
    #[schema(example = 1)]
    pub down: usize,
    /// Devices not seen yet.
    #[schema(example = 0)]
    pub unknown: usize,
    /// Interfaces across all devices.
    #[schema(example = 624)]
    pub interfaces: usize,
    pub poller: PollerView,
    pub reach: ReachView,
    /// Vigie's own long-lived tasks (receivers, log writer, retention) started again after a
    /// panic since start; device pollers are counted in `poller.pollsPanicked`.
    #[schema(example = 0)]
    pub tasks_restarted: u64,
    pub logs: LogsStatusView,
    pub storage: StorageView,
    pub files: FilesView,
    pub snmp_sockets: SnmpSocketsView,
    pub http: HttpStatusView,
    pub auth: AuthStatusView,
    pub notify: NotifyStatusView,
    pub alerts: AlertsStatusView,
    /// The syslog and trap receivers that are turned on: listening, or failed and retried.
    pub receivers: Vec<ReceiverView>,
    /// Each remote-write target (`[[remote_write]]`, `--remote-write-url`); empty when off.
    pub remote_write: Vec<super::RemoteWriteView>,
    /// `single`, `primary` or `poller` (`--role`).
    #[schema(example = "single")]
    pub role: String,
    /// On a primary: each sharded poller that reported (both members of an HA pair appear);
    /// empty otherwise.
    pub pollers: Vec<super::poller::PollerStatusView>,
    /// On a poller: its shard and its link to the primary; null otherwise.
    pub shard: Option<super::poller::ShardStatusView>,
}

/// One syslog or trap receiver. One that cannot bind (port taken, no permission) does not stop
/// the server: it is retried with backoff (5 s, doubling to 60 s) and starts once it can.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverView {
    /// `syslog_udp`, `syslog_tcp` or `trap_udp`.
    #[schema(example = "syslog_udp")]
    pub name: String,
    /// The address it listens on (with the port the system chose when asked for port 0), or tries to.
    #[schema(example = "127.0.0.1:1514")]
    pub address: String,
    pub state: ReceiverStateView,
    /// Why it could not bind, while failed.
    #[schema(example = "Address already in use (os error 98)")]
    pub error: Option<String>,
    /// When it tries again (Unix seconds), while failed.
    pub next_retry_at: Option<u64>,
    /// Attempts to bind that failed since start.
    #[schema(example = 0)]
    pub failed_attempts: u64,
}

/// Whether a receiver listens.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiverStateView {
    Listening,
    Failed,
}

/// Alerting: its rules and incidents now, and what it missed since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertsStatusView {
    #[schema(example = 3)]
    pub rules: usize,
    #[schema(example = 1)]
    pub maintenance_windows: usize,
    #[schema(example = 0)]
    pub open_incidents: usize,
    /// Conditions (rule × device × interface) followed now; at most 50,000.
    #[schema(example = 12)]
    pub tracked_conditions: usize,
    /// Events of the internal bus alerting missed because it fell behind (state rules catch up
    /// from the store on the next tick; a missed sample or log entry is not looked at).
    #[schema(example = 0)]
    pub events_lost: u64,
    /// Conditions not followed because 50,000 were.
    #[schema(example = 0)]
    pub conditions_refused: u64,
}

/// Alert notifications: deliveries since start and the outbox now (see the README's Alerts).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifyStatusView {
    /// Deliveries queued since start (one per notification and channel).
    #[schema(example = 12)]
    pub queued: u64,
    /// Deliveries made since start.
    #[schema(example = 11)]
    pub delivered: u64,
    /// Deliveries given up since start: the last retry failed (`[notify] retry_hours`), or the
    /// channel was removed. Each is also an event in the log.
    #[schema(example = 0)]
    pub failed: u64,
    /// Deliveries refused since start because the outbox was full (`[notify] outbox_mb`).
    #[schema(example = 0)]
    pub dropped: u64,
    /// Pending deliveries that failed at least once and wait for a retry.
    #[schema(example = 1)]
    pub retrying: usize,
    /// Deliveries waiting now (on disk in the outbox).
    #[schema(example = 1)]
    pub pending: usize,
    /// Bytes of the pending deliveries, and their bound.
    #[schema(example = 1024)]
    pub pending_bytes: usize,
    #[schema(example = 16777216)]
    pub max_bytes: usize,
    /// Attempts that failed since start, each retry counted.
    #[schema(example = 3)]
    pub attempts_failed: u64,
    /// Alert channels configured.
    #[schema(example = 2)]
    pub channels: usize,
}

/// Access control: who can log in, and the attacks refused since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatusView {
    /// False with `--auth off` (loopback only): every request is the local admin.
    pub enabled: bool,
    #[schema(example = 3)]
    pub users: usize,
    /// API tokens, expired ones included until revoked.
    #[schema(example = 2)]
    pub tokens: usize,
    /// Web sessions open now.
    #[schema(example = 1)]
    pub sessions: usize,
    /// Logins refused for a wrong username or password since start.
    #[schema(example = 0)]
    pub failed_logins: u64,
    /// Logins refused unchecked since start: too many failures from one address or for one name.
    #[schema(example = 0)]
    pub rate_limited: u64,
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
    /// Plain samples and rollup files sealed since start (compressed into `<date>.jsonl.zst`;
    /// a seal that fails counts in `writeErrors`).
    #[schema(example = 1200)]
    pub sealed_files: u64,
    /// The lines those seals moved.
    #[schema(example = 72000)]
    pub sealed_lines: u64,
    /// Torn frames (a crash while sealing) cut off the end of sealed files since start; their
    /// lines were sealed again from the plain file.
    #[schema(example = 0)]
    pub sealed_torn_tails: u64,
    /// Samples files kept open between appends now (one per polled device, up to
    /// `samplesFilesMaxOpen`; past it the least recently used is closed).
    #[schema(example = 2000)]
    pub samples_files_open: u64,
    /// The bound on those (`[storage] max_open_samples_files`).
    #[schema(example = 2048)]
    pub samples_files_max_open: u64,
    /// Appends that had to open a samples file again since start (closed by the bound, by a
    /// failed write, or by a restart).
    #[schema(example = 0)]
    pub samples_files_reopened: u64,
    /// Raw latency files kept open between echo rounds now (one per pinged device, up to
    /// `latencyFilesMaxOpen`; past it the least recently used is closed).
    #[schema(example = 2000)]
    pub latency_files_open: u64,
    /// The bound on those (`[storage] max_open_latency_files`).
    #[schema(example = 2048)]
    pub latency_files_max_open: u64,
    /// Echo rounds that had to open a latency file again since start (closed by the bound, by
    /// a failed write, or by a restart).
    #[schema(example = 0)]
    pub latency_files_reopened: u64,
}

/// Open file descriptors: a device holds its samples file only up to `[storage]
/// max_open_samples_files`, and its raw latency file only up to `[storage]
/// max_open_latency_files`; SNMP goes through a few shared sockets.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesView {
    /// The process's limit on open files (the soft limit, raised to the hard one at start).
    #[schema(example = 1048576)]
    pub open_limit: u64,
    /// Devices that limit can poll, after a reserve for HTTP clients, the shared sockets and
    /// other files; null when it holds every samples and latency file the bounds allow: any
    /// number.
    #[schema(example = json!(null))]
    pub devices_supported: Option<u64>,
}

/// The few UDP sockets every SNMP request goes out on, and what they dropped since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnmpSocketsView {
    /// Shared sockets open (a few per address family, opened on first use).
    #[schema(example = 2)]
    pub open: u64,
    /// Datagrams from an address no exchange waited for (a stranger, or an agent answering
    /// after its exchange ended): dropped.
    #[schema(example = 0)]
    pub stray_datagrams: u64,
    /// Requests the kernel would not take at once (the socket's send buffer full): dropped, and
    /// sent again after the exchange's timeout.
    #[schema(example = 0)]
    pub sends_dropped: u64,
}

/// The HTTP server's connections and event streams: open now, their bounds, and what was refused
/// or cut since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpStatusView {
    /// Threads serving HTTP (`http.workers`).
    #[schema(example = 1)]
    pub workers: usize,
    /// Connections open now.
    #[schema(example = 3)]
    pub connections: u64,
    /// Most connections open at once (`http.max_connections`).
    #[schema(example = 1024)]
    pub max_connections: usize,
    /// Event streams open now.
    #[schema(example = 1)]
    pub sse_streams: u64,
    /// Most event streams open at once (`http.max_sse_streams`).
    #[schema(example = 128)]
    pub max_sse_streams: usize,
    /// Most event streams open at once from one client address.
    #[schema(example = 16)]
    pub max_sse_streams_per_address: usize,
    /// Bytes of events that may wait for one stream's client (`http.sse_buffer_kib`).
    #[schema(example = 131072)]
    pub sse_buffer_bytes: usize,
    /// Event streams cut because their client did not read (or fell behind), since start.
    #[schema(example = 0)]
    pub sse_dropped: u64,
    /// Event streams refused at a limit (503 or 429), since start.
    #[schema(example = 0)]
    pub sse_refused: u64,
    /// Request bodies refused as over 64 KiB (413), since start.
    #[schema(example = 0)]
    pub bodies_too_large: u64,
    /// Request bodies that did not arrive in time (408), since start.
    #[schema(example = 0)]
    pub bodies_timed_out: u64,
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

/// Readiness, for orchestrators.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadyView {
    /// The store is loaded and the receivers have tried to listen.
    pub ready: bool,
    /// `ready`, `starting` or `stopping`.
    #[schema(example = "ready")]
    pub status: String,
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
    /// Datagrams that were not SNMP v1/v2c/v3 traps or informs.
    #[schema(example = 1)]
    pub traps_malformed: u64,
    /// SNMPv3 traps and informs dropped: from a user not configured in Vigie.
    #[schema(example = 0)]
    pub traps_v3_unknown_user: u64,
    /// SNMPv3 traps and informs dropped: unauthenticated, wrong digest, not decryptable, or
    /// (an inform) outside the time window.
    #[schema(example = 0)]
    pub traps_v3_not_authentic: u64,
    /// Entries dropped because a burst outran the disk (oldest first).
    #[schema(example = 0)]
    pub dropped: u64,
    /// Entries written to the log.
    #[schema(example = 1300)]
    pub stored: u64,
    /// Bytes of the entries in `dropped`.
    #[schema(example = 0)]
    pub dropped_bytes: u64,
    /// Entries waiting for the disk now.
    #[schema(example = 0)]
    pub queue_entries: u64,
    /// Their bytes in memory.
    #[schema(example = 0)]
    pub queue_bytes: u64,
    /// The queue's bound (`logs.queue_mb`); past it the oldest entries are dropped.
    #[schema(example = 67108864)]
    pub queue_max_bytes: u64,
    /// Newest entries kept in memory for queries.
    #[schema(example = 1300)]
    pub memory_entries: u64,
    /// Their bytes.
    #[schema(example = 412000)]
    pub memory_bytes: u64,
    /// Their bound (`logs.memory_mb`); past it the oldest leave memory (they stay on disk).
    #[schema(example = 33554432)]
    pub memory_max_bytes: u64,
    /// Entries that left memory for lack of room since start.
    #[schema(example = 0)]
    pub memory_evicted: u64,
    /// Entries kept in memory as a 2 KiB prefix (the whole entry is on disk).
    #[schema(example = 0)]
    pub memory_clipped: u64,
    /// Time one log query may spend reading files (`logs.query_budget_ms`).
    #[schema(example = 500)]
    pub query_budget_ms: u64,
    pub tcp: TcpStatusView,
}

/// The syslog TCP receiver: its limits and what they did since start.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TcpStatusView {
    /// Connections open now.
    #[schema(example = 3)]
    pub open: u64,
    /// Connections accepted.
    #[schema(example = 40)]
    pub accepted: u64,
    /// Connections refused: all slots taken by peers active within the last second.
    #[schema(example = 0)]
    pub refused: u64,
    /// Connections closed to make room for a newcomer: the longest idle first.
    #[schema(example = 0)]
    pub evicted: u64,
    /// Connections closed after completing no message for `idleSecs`.
    #[schema(example = 12)]
    pub closed_idle: u64,
    /// Connections closed with a message unfinished `frameSecs` after its first byte.
    #[schema(example = 0)]
    pub closed_deadline: u64,
    /// Messages longer than 64 KiB cut (their rest skipped).
    #[schema(example = 0)]
    pub frames_cut: u64,
    /// Bytes held now for messages in progress, all connections together.
    #[schema(example = 24576)]
    pub buffered_bytes: u64,
    /// Connections at once, in total (`logs.tcp_max_peers`).
    #[schema(example = 256)]
    pub max_peers: u64,
    /// Connections at once from one address (`logs.tcp_max_peers_per_addr`).
    #[schema(example = 16)]
    pub max_peers_per_addr: u64,
    /// Idle timeout (`logs.tcp_idle_secs`).
    #[schema(example = 30)]
    pub idle_secs: u64,
    /// Deadline of one message from its first byte (`logs.tcp_frame_secs`).
    #[schema(example = 10)]
    pub frame_secs: u64,
}
