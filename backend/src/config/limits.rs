//! The bounds of the log pipeline (`[logs]` and its options), of the HTTP server (`[http]`) and
//! of the files the store keeps open (`[storage]`), each within its range: a value out of range
//! is a problem reported with the others.

use super::{HttpFile, LogsFile, ServeArgs};
use crate::logs::tcp_peers::TcpLimits;
use crate::logs::LogLimits;

/// A `[storage] max_open_*_files` option: the file's value, else the default, 1 to 1,000,000.
pub(super) fn open_files_bound(key: &str, file: Option<i64>, problems: &mut Vec<String>) -> usize {
    let v = file.unwrap_or(crate::store::DEFAULT_MAX_OPEN_KEPT_FILES as i64);
    if !(1..=1_000_000).contains(&v) {
        problems.push(format!("storage.{key}: {v} is out of range (1 to 1000000)"));
    }
    v.clamp(1, 1_000_000) as usize
}

/// The `[logs]` options, each from the command line (or environment), else the file, else its
/// default, within its range.
pub(super) fn log_limits(args: &ServeArgs, file: &LogsFile, problems: &mut Vec<String>) -> LogLimits {
    let defaults = LogLimits::default();
    let mut option = |key: &str, cli: Option<u64>, file: Option<u64>, default: u64, max: u64| -> u64 {
        let v = cli.or(file).unwrap_or(default);
        if !(1..=max).contains(&v) {
            problems.push(format!("logs.{key}: {v} is out of range (1 to {max})"));
        }
        v
    };
    const MIB: u64 = 1024 * 1024;
    let d = defaults.tcp;
    let tcp = TcpLimits {
        max_peers: option("tcp_max_peers", args.syslog_tcp_max_peers, file.tcp_max_peers, d.max_peers as u64, 100_000)
            as usize,
        max_peers_per_addr: option(
            "tcp_max_peers_per_addr",
            args.syslog_tcp_max_peers_per_addr,
            file.tcp_max_peers_per_addr,
            d.max_peers_per_addr as u64,
            100_000,
        ) as usize,
        idle: std::time::Duration::from_secs(option(
            "tcp_idle_secs",
            args.syslog_tcp_idle_secs,
            file.tcp_idle_secs,
            d.idle.as_secs(),
            86_400,
        )),
        frame_deadline: std::time::Duration::from_secs(option(
            "tcp_frame_secs",
            args.syslog_tcp_frame_secs,
            file.tcp_frame_secs,
            d.frame_deadline.as_secs(),
            3600,
        )),
    };
    LogLimits {
        queue_bytes: (option("queue_mb", args.log_queue_mb, file.queue_mb, defaults.queue_bytes as u64 / MIB, 65_536)
            * MIB) as usize,
        memory_bytes: (option(
            "memory_mb",
            args.log_memory_mb,
            file.memory_mb,
            defaults.memory_bytes as u64 / MIB,
            65_536,
        ) * MIB) as usize,
        query_budget: std::time::Duration::from_millis(option(
            "query_budget_ms",
            args.log_query_budget_ms,
            file.query_budget_ms,
            defaults.query_budget.as_millis() as u64,
            600_000,
        )),
        tcp,
    }
}

/// The bounds of the HTTP server: connections, request deadlines and event streams.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpLimits {
    /// Threads serving HTTP. One by default: the API's disk and CPU-heavy work runs on the
    /// blocking pool and polls on their own thread. (An idle worker is not woken: the vendored
    /// actix-http formats its `Date` header on demand.)
    pub workers: usize,
    /// Open connections in total, shared out between the HTTP workers.
    pub max_connections: usize,
    /// A client must send a request's headers within this after connecting.
    pub request_timeout_secs: u64,
    /// A request's whole body must arrive within this after its headers.
    pub body_timeout_secs: u64,
    /// Event streams open at once, in total and from one client address.
    pub max_sse_streams: usize,
    pub max_sse_streams_per_address: usize,
    /// Bytes of events waiting for one stream's client; a client that lets more pile up is dropped.
    pub sse_buffer_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            workers: 1,
            max_connections: 1024,
            request_timeout_secs: 5,
            body_timeout_secs: 10,
            max_sse_streams: 128,
            max_sse_streams_per_address: 16,
            sse_buffer_bytes: 128 * 1024,
        }
    }
}

pub(super) fn http_limits(file: &HttpFile, problems: &mut Vec<String>) -> HttpLimits {
    let d = HttpLimits::default();
    let mut bounded = |key: &str, value: Option<i64>, default: usize, max: i64| -> usize {
        match value {
            None => default,
            Some(v) if (1..=max).contains(&v) => v as usize,
            Some(v) => {
                problems.push(format!("http.{key}: {v} is out of range (1 to {max})"));
                default
            }
        }
    };
    let max_connections = bounded("max_connections", file.max_connections, d.max_connections, 1_000_000);
    let limits = HttpLimits {
        workers: bounded("workers", file.workers, d.workers, 256),
        max_connections,
        request_timeout_secs: bounded("request_timeout_secs", file.request_timeout_secs, 5, 3600) as u64,
        body_timeout_secs: bounded("body_timeout_secs", file.body_timeout_secs, 10, 3600) as u64,
        max_sse_streams: bounded("max_sse_streams", file.max_sse_streams, d.max_sse_streams, 1_000_000),
        max_sse_streams_per_address: bounded(
            "max_sse_streams_per_address",
            file.max_sse_streams_per_address,
            d.max_sse_streams_per_address,
            1_000_000,
        ),
        sse_buffer_bytes: bounded("sse_buffer_kib", file.sse_buffer_kib, d.sse_buffer_bytes / 1024, 1024 * 1024) * 1024,
    };
    if limits.max_sse_streams >= limits.max_connections {
        problems.push(format!(
            "http.max_sse_streams: {} must stay below http.max_connections ({}), or streams could take every connection",
            limits.max_sse_streams, limits.max_connections
        ));
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(text: &str) -> (HttpLimits, Vec<String>) {
        let file = crate::config::parse_file(text).expect("a valid file");
        let mut problems = Vec::new();
        (http_limits(&file.http, &mut problems), problems)
    }

    #[test]
    fn one_http_worker_unless_asked_and_a_count_out_of_range_is_refused() {
        assert_eq!(limits("").0.workers, 1);
        assert_eq!(limits("[http]\nworkers = 4\n").0.workers, 4);
        let (limits, problems) = limits("[http]\nworkers = 0\n");
        assert_eq!(limits.workers, 1);
        assert_eq!(problems, ["http.workers: 0 is out of range (1 to 256)"]);
    }
}
