//! The command line: `vigie serve|openapi|sim|user|export` and `serve`'s options (each also
//! read from its `VIGIE_*` variable), the top layer of the configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "vigie", version, about = "Vigie: a light SNMP network monitor")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the monitor: pollers, store and the HTTP API.
    Serve(Box<ServeArgs>),
    /// Print the OpenAPI document (YAML) that `openapi.yaml` holds.
    Openapi,
    /// Serve simulated SNMPv2c agents on loopback, for tests, benchmarks and demos.
    Sim(crate::sim::SimArgs),
    /// Add, list, remove users and set passwords (`vigie user --help`).
    User(crate::auth::user_command::UserArgs),
    /// Write one device's history (raw samples or rollups) to stdout as JSON lines or CSV.
    Export(crate::store::export::ExportArgs),
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address and port of the HTTP API and UI [default: 127.0.0.1:8080]
    #[arg(long, env = "VIGIE_LISTEN")]
    pub listen: Option<String>,
    /// Where devices, samples and rollups are kept [default: ./data]
    #[arg(long, env = "VIGIE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The built web UI to serve at / (frontend/dist) [default: none, API only]
    #[arg(long, env = "VIGIE_UI_DIR")]
    pub ui_dir: Option<PathBuf>,
    /// An origin allowed to call the API from a browser (CORS), e.g. https://noc.example.net;
    /// repeat for several [default: none]
    #[arg(long = "cors-origin", env = "VIGIE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Access control: on (users, sessions, tokens) or off (every request is an admin; only
    /// when listening on loopback) [default: on]
    #[arg(long, env = "VIGIE_AUTH", value_parser = ["on", "off"])]
    pub auth: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, env = "VIGIE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, env = "VIGIE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Syslog over UDP: ADDR:PORT, or "off" [default: 127.0.0.1:1514]
    #[arg(long, env = "VIGIE_SYSLOG_UDP")]
    pub syslog_udp: Option<String>,
    /// Syslog over TCP: ADDR:PORT, or "off" [default: 127.0.0.1:1514]
    #[arg(long, env = "VIGIE_SYSLOG_TCP")]
    pub syslog_tcp: Option<String>,
    /// SNMP traps and informs over UDP: ADDR:PORT, or "off" [default: 127.0.0.1:1162]
    #[arg(long, env = "VIGIE_TRAP_UDP")]
    pub trap_udp: Option<String>,
    /// A TOML configuration file (see vigie.example.toml)
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Bytes of log entries waiting for the disk, in MiB; past it the oldest are dropped
    /// (counted in /status) [default: 64]
    #[arg(long, env = "VIGIE_LOG_QUEUE_MB")]
    pub log_queue_mb: Option<u64>,
    /// Bytes of the newest log entries kept in memory for queries, in MiB [default: 32]
    #[arg(long, env = "VIGIE_LOG_MEMORY_MB")]
    pub log_memory_mb: Option<u64>,
    /// Time one log query may spend reading files before it answers what it found and a
    /// cursor to continue, in ms [default: 500]
    #[arg(long, env = "VIGIE_LOG_QUERY_BUDGET_MS")]
    pub log_query_budget_ms: Option<u64>,
    /// Syslog TCP connections at once, in total [default: 256]
    #[arg(long, env = "VIGIE_SYSLOG_TCP_MAX_PEERS")]
    pub syslog_tcp_max_peers: Option<u64>,
    /// Syslog TCP connections at once from one address [default: 16]
    #[arg(long, env = "VIGIE_SYSLOG_TCP_MAX_PEERS_PER_ADDR")]
    pub syslog_tcp_max_peers_per_addr: Option<u64>,
    /// A syslog TCP connection that completes no message for this long is closed, in seconds
    /// [default: 30]
    #[arg(long, env = "VIGIE_SYSLOG_TCP_IDLE_SECS")]
    pub syslog_tcp_idle_secs: Option<u64>,
    /// A syslog TCP message must arrive whole within this from its first byte, in seconds
    /// [default: 10]
    #[arg(long, env = "VIGIE_SYSLOG_TCP_FRAME_SECS")]
    pub syslog_tcp_frame_secs: Option<u64>,
    /// Also run five simulated devices on loopback and add them to the store (named demo-*); the
    /// data dir is then ./data-demo unless --data-dir or the file names one
    #[arg(long)]
    pub demo: bool,
    /// Read traffic, latency and counters history by PromQL from this Prometheus-compatible TSDB
    /// (e.g. http://127.0.0.1:8428 for VictoriaMetrics) instead of the local store; see [history]
    /// in the file for credentials [default: the local store]
    #[arg(long, env = "VIGIE_HISTORY_PROMQL_URL")]
    pub history_promql_url: Option<String>,
    /// Remote-write every sample to this Prometheus remote-write URL (e.g.
    /// http://127.0.0.1:8428/api/v1/write); replaces the file's [[remote_write]] tables
    /// [default: none]
    #[arg(long, env = "VIGIE_REMOTE_WRITE_URL")]
    pub remote_write_url: Option<String>,
    /// single (poll and serve), primary (serve the API, UI and alerts; poll nothing) or poller
    /// (poll one shard of a primary's devices) [default: single]
    #[arg(long, env = "VIGIE_ROLE", value_parser = ["single", "primary", "poller"])]
    pub role: Option<String>,
    /// A poller's primary, e.g. https://vigie.example.net:8080
    #[arg(long, env = "VIGIE_REGISTRY")]
    pub registry: Option<String>,
    /// A poller: a PEM file of CA certificates to trust for its primary's certificate, besides
    /// the system's roots [default: the system's roots only]
    #[arg(long, env = "VIGIE_REGISTRY_CA")]
    pub registry_ca: Option<PathBuf>,
    /// A poller's API token (role poller, made on the primary); prefer the environment or the file
    #[arg(long, env = "VIGIE_TOKEN", value_parser = parse_secret, hide_env_values = true)]
    pub token: Option<crate::secret::Secret>,
    /// A poller's shard: I/N, e.g. 0/2
    #[arg(long, env = "VIGIE_SHARD")]
    pub shard: Option<String>,
    /// A poller's name in its primary's /status [default: the host name]
    #[arg(long, env = "VIGIE_POLLER_NAME")]
    pub poller_name: Option<String>,
}

pub(super) fn parse_secret(text: &str) -> Result<crate::secret::Secret, String> {
    Ok(crate::secret::Secret::new(text))
}
