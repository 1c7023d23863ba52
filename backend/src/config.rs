//! Configuration in layers: defaults, then the TOML file (`--config`), then the environment
//! (`VIGIE_*`), then the command line. Validated once; every problem is reported together.

pub mod access;
mod args;
pub mod cluster;
pub mod history;
mod limits;
pub mod notify;
pub mod remote_write;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::logs::LogLimits;
use crate::store::Retention;
pub use access::{AuthConfig, TlsConfig};
pub use args::{Cli, Command, ServeArgs};
pub use limits::HttpLimits;
use limits::{http_limits, log_limits, open_files_bound};

/// The TOML file. Every key is optional; unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub ui_dir: Option<PathBuf>,
    #[serde(default)]
    pub cors_origins: Vec<String>,
    pub syslog_udp: Option<String>,
    pub syslog_tcp: Option<String>,
    pub trap_udp: Option<String>,
    #[serde(default)]
    pub retention: RetentionFile,
    #[serde(default)]
    pub logs: LogsFile,
    #[serde(default)]
    pub storage: StorageFile,
    #[serde(default)]
    pub http: HttpFile,
    #[serde(default)]
    pub auth: access::AuthSection,
    #[serde(default)]
    pub tls: access::TlsSection,
    #[serde(default)]
    pub notify: notify::NotifySection,
    /// `[[trap_users]]`: the SNMPv3 users whose traps and informs are accepted.
    #[serde(default)]
    pub trap_users: Vec<crate::logs::trap_users::TrapUser>,
    /// `[history]`: the local store, or a TSDB by PromQL.
    #[serde(default)]
    pub history: history::HistorySection,
    /// `[[remote_write]]`: where samples are sent (see `export/`).
    #[serde(default)]
    pub remote_write: Vec<remote_write::RemoteWriteSection>,
    /// `[cluster]`: this process's role among a primary and sharded pollers.
    #[serde(default)]
    pub cluster: cluster::ClusterSection,
}

/// `[http]`: the bounds of the HTTP server (see the README's Reliability section).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    pub workers: Option<i64>,
    pub max_connections: Option<i64>,
    pub request_timeout_secs: Option<i64>,
    pub body_timeout_secs: Option<i64>,
    pub max_sse_streams: Option<i64>,
    pub max_sse_streams_per_address: Option<i64>,
    pub sse_buffer_kib: Option<i64>,
}

/// `[logs]`: memory, query and TCP limits of the log (see the README's Reliability section).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsFile {
    pub queue_mb: Option<u64>,
    pub memory_mb: Option<u64>,
    pub query_budget_ms: Option<u64>,
    pub tcp_max_peers: Option<u64>,
    pub tcp_max_peers_per_addr: Option<u64>,
    pub tcp_idle_secs: Option<u64>,
    pub tcp_frame_secs: Option<u64>,
}

/// `[storage]`: descriptors the store keeps (see the README's Storage section).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageFile {
    pub max_open_samples_files: Option<i64>,
    pub max_open_latency_files: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    pub raw_hours: Option<i64>,
    pub five_minute_days: Option<i64>,
    pub hourly_days: Option<i64>,
    pub logs_days: Option<i64>,
    pub logs_max_mb: Option<i64>,
}

/// The validated configuration of `vigie serve`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub ui_dir: Option<PathBuf>,
    pub cors_origins: Vec<String>,
    /// Receivers; `None` when turned off.
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub trap_udp: Option<SocketAddr>,
    pub retention: Retention,
    /// `[storage] max_open_samples_files`: samples files kept open between appends.
    pub max_open_samples_files: usize,
    /// `[storage] max_open_latency_files`: raw latency files kept open between echo rounds.
    pub max_open_latency_files: usize,
    pub logs: LogLimits,
    pub http: HttpLimits,
    pub auth: AuthConfig,
    /// HTTPS, when a certificate is given.
    pub tls: Option<TlsConfig>,
    /// `[notify]`: delivery of notifications.
    pub notify: crate::notify::NotifySettings,
    /// SNMPv3 users whose traps and informs are accepted (from the file only: they hold secrets).
    pub trap_users: Vec<crate::logs::trap_users::TrapUser>,
    /// `--demo`: run simulated devices in-process (command line only).
    pub demo: bool,
    /// `[history]`: a TSDB read by PromQL, or `None` for the local store.
    pub history: Option<crate::history::PromqlSettings>,
    /// Remote-write targets; none by default.
    pub remote_write: Vec<crate::export::TargetSettings>,
    /// `--role`: single, primary, or a poller of one shard.
    pub role: cluster::Role,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
/// `--demo`'s own data dir, so that a demo's five simulated devices never linger in a normal run.
pub const DEFAULT_DEMO_DATA_DIR: &str = "./data-demo";
/// Unprivileged ports, so Vigie runs without root; see the README to receive on 514 and 162.
/// Loopback like the API: devices on the network need `syslog_udp = "0.0.0.0:1514"` (README).
pub const DEFAULT_SYSLOG: &str = "127.0.0.1:1514";
pub const DEFAULT_TRAP: &str = "127.0.0.1:1162";

impl Config {
    /// Merges the layers and validates; on error, every problem found.
    pub fn load(args: &ServeArgs) -> Result<Config, Vec<String>> {
        let mut problems = Vec::new();
        let file = match &args.config {
            Some(path) => read_file(path).unwrap_or_else(|e| {
                problems.push(e);
                FileConfig::default()
            }),
            None => FileConfig::default(),
        };
        let listen_text = args.listen.clone().or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text.parse::<SocketAddr>().map_err(|_| {
            problems.push(format!("listen: '{listen_text}' is not an address:port such as 127.0.0.1:8080"));
        });
        let default_data_dir = if args.demo { DEFAULT_DEMO_DATA_DIR } else { DEFAULT_DATA_DIR };
        let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(default_data_dir));
        if data_dir.as_os_str().is_empty() {
            problems.push("data_dir: must not be empty".to_string());
        }
        let ui_dir = args.ui_dir.clone().or(file.ui_dir);
        if let Some(dir) = ui_dir.as_ref().filter(|d| !d.join("index.html").is_file()) {
            problems.push(format!(
                "ui_dir: {} has no index.html (build the UI: npm run build in frontend/)",
                dir.display()
            ));
        }
        let cors_origins = if args.cors_origins.is_empty() { file.cors_origins } else { args.cors_origins.clone() };
        for origin in &cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
                problems.push(format!("cors_origins: '{origin}' is not an origin such as https://noc.example.net"));
            }
        }
        let mut receiver = |key: &str, cli: &Option<String>, file: Option<String>, default: &str| {
            let text = cli.clone().or(file).unwrap_or_else(|| default.to_string());
            if text == "off" {
                return None;
            }
            text.parse::<SocketAddr>()
                .map_err(|_| problems.push(format!("{key}: '{text}' is not ADDR:PORT or off")))
                .ok()
        };
        let syslog_udp = receiver("syslog_udp", &args.syslog_udp, file.syslog_udp, DEFAULT_SYSLOG);
        let syslog_tcp = receiver("syslog_tcp", &args.syslog_tcp, file.syslog_tcp, DEFAULT_SYSLOG);
        let trap_udp = receiver("trap_udp", &args.trap_udp, file.trap_udp, DEFAULT_TRAP);
        let r = &file.retention;
        let mut span = |key: &str, value: Option<i64>, default: i64, unit_secs: i64, min: i64| -> i64 {
            let v = value.unwrap_or(default);
            if v < min || v > 100 * 365 * 86_400 / unit_secs {
                problems.push(format!("retention.{key}: {v} is out of range (at least {min})"));
            }
            v * unit_secs
        };
        let retention = Retention {
            raw_secs: span("raw_hours", r.raw_hours, 48, 3600, 1),
            five_minute_secs: span("five_minute_days", r.five_minute_days, 30, 86_400, 1),
            hourly_secs: span("hourly_days", r.hourly_days, 730, 86_400, 1),
            logs_secs: span("logs_days", r.logs_days, 30, 86_400, 1),
            logs_max_bytes: span("logs_max_mb", r.logs_max_mb, 1024, 1, 1) as u64 * 1024 * 1024,
        };
        let max_open_samples_files =
            open_files_bound("max_open_samples_files", file.storage.max_open_samples_files, &mut problems);
        let max_open_latency_files =
            open_files_bound("max_open_latency_files", file.storage.max_open_latency_files, &mut problems);
        let logs = log_limits(args, &file.logs, &mut problems);
        let http = http_limits(&file.http, &mut problems);
        let (auth, tls) = access::load(
            args.auth.as_deref(),
            (args.tls_cert.clone(), args.tls_key.clone()),
            &file.auth,
            &file.tls,
            listen.ok(),
            &mut problems,
        );
        let notify = notify::load(&file.notify, &mut problems);
        let history = history::load(&file.history, args.history_promql_url.as_deref(), &mut problems);
        for (i, user) in file.trap_users.iter().enumerate() {
            if let Err((field, message)) = user.check() {
                problems.push(format!("trap_users[{i}].{field}: {message}"));
            }
            if file.trap_users[..i].iter().any(|other| other.user == user.user) {
                problems.push(format!("trap_users[{i}].user: '{}' is given twice", user.user));
            }
        }
        let remote_write = remote_write::load(args.remote_write_url.as_deref(), file.remote_write, &mut problems);
        let cluster_args = cluster::ClusterArgs {
            role: args.role.as_deref(),
            registry: args.registry.as_deref(),
            registry_ca: args.registry_ca.as_deref(),
            token: args.token.clone(),
            shard: args.shard.as_deref(),
            name: args.poller_name.as_deref(),
        };
        let role =
            cluster::load(cluster_args, file.cluster, !remote_write.is_empty(), history.is_some(), &mut problems);
        match (listen, problems.is_empty()) {
            (Ok(listen), true) => Ok(Config {
                listen,
                data_dir,
                ui_dir,
                cors_origins,
                syslog_udp,
                syslog_tcp,
                trap_udp,
                retention,
                max_open_samples_files,
                max_open_latency_files,
                logs,
                http,
                auth,
                tls,
                notify,
                trap_users: file.trap_users,
                demo: args.demo,
                history,
                remote_write,
                role,
            }),
            _ => Err(problems),
        }
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("config file {}: {e}", path.display()))?;
    parse_file(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

pub fn parse_file(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::tcp_peers::TcpLimits;

    #[test]
    fn the_shipped_example_config_parses() {
        let text = include_str!("../../vigie.example.toml");
        let file = parse_file(text).expect("vigie.example.toml parses");
        assert_eq!(file.retention.raw_hours, Some(48));
        assert_eq!(file.logs.queue_mb, Some(64));
        let mut problems = Vec::new();
        assert_eq!(http_limits(&file.http, &mut problems), HttpLimits::default(), "the example states the defaults");
        let notify = notify::load(&file.notify, &mut problems);
        assert_eq!(notify, crate::notify::NotifySettings::default(), "the example states the defaults");
        assert!(problems.is_empty(), "{problems:?}");
        let defaults = crate::auth::SessionPolicy::default();
        assert_eq!(file.auth.enabled, Some(true));
        assert_eq!(file.auth.session_idle_secs, Some(defaults.idle_secs), "the example states the defaults");
        assert_eq!(file.auth.session_max_secs, Some(defaults.max_secs));
        assert_eq!(file.syslog_udp.as_deref(), Some(DEFAULT_SYSLOG));
        assert_eq!(file.trap_udp.as_deref(), Some(DEFAULT_TRAP));
        assert!(file.trap_users.is_empty(), "no trap user unless one is configured");
        // The commented [[trap_users]] example parses once uncommented, and passes its checks.
        let example: String = text
            .lines()
            .skip_while(|line| *line != "# [[trap_users]]")
            .map(|line| line.strip_prefix("# ").unwrap_or(line).to_string() + "\n")
            .collect();
        let users = parse_file(&example).expect("the trap_users example parses").trap_users;
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].check(), Ok(()));
        assert_eq!(users[0].level(), crate::snmp::SecurityLevel::AuthPriv);
        // The commented [[remote_write]] example too (its tls_ca names a file not here).
        assert!(file.remote_write.is_empty(), "no remote-write unless one is configured");
        let example: String = text
            .lines()
            .skip_while(|line| *line != "# [[remote_write]]")
            .take_while(|line| !line.is_empty())
            .map(|line| line.strip_prefix("# ").unwrap_or(line).to_string() + "\n")
            .collect();
        let targets = parse_file(&example).expect("the remote_write example parses").remote_write;
        let mut problems = Vec::new();
        let targets = remote_write::load(None, targets, &mut problems);
        assert_eq!(problems, ["remote_write[0].tls_ca: /etc/vigie/tsdb-ca.pem is not a readable file"]);
        assert!(targets.is_empty());
    }

    #[test]
    fn trap_users_are_checked() {
        let text = "[[trap_users]]\nuser = \"t\"\nauth_protocol = \"md5\"\nauth_password = \"short\"\n\
                    [[trap_users]]\nuser = \"t\"\nauth_protocol = \"sha\"\nauth_password = \"long-enough\"\npriv_protocol = \"aes\"\n";
        let path = std::env::temp_dir().join(format!("vigie-trap-users-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let args = ServeArgs { config: Some(path.clone()), ..ServeArgs::default() };
        let problems = Config::load(&args).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            problems,
            [
                "trap_users[0].auth_password: must be 8 to 255 characters (RFC 3414)",
                "trap_users[1].priv_password: is required with a priv_protocol",
                "trap_users[1].user: 't' is given twice",
            ]
        );
    }

    #[test]
    fn http_bounds_are_checked() {
        let mut problems = Vec::new();
        let file = HttpFile { max_connections: Some(0), sse_buffer_kib: Some(8), ..Default::default() };
        let limits = http_limits(&file, &mut problems);
        assert_eq!(limits.sse_buffer_bytes, 8 * 1024);
        assert_eq!(problems, ["http.max_connections: 0 is out of range (1 to 1000000)"]);
        let mut problems = Vec::new();
        http_limits(&HttpFile { max_connections: Some(100), ..Default::default() }, &mut problems);
        assert!(problems[0].starts_with("http.max_sse_streams: 128 must stay below"), "{problems:?}");
    }

    #[test]
    fn log_limits_come_from_the_file_and_the_command_line_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigie.toml");
        std::fs::write(&path, "[logs]\nqueue_mb = 8\ntcp_idle_secs = 45\n").unwrap();
        let args = ServeArgs { config: Some(path.clone()), log_memory_mb: Some(2), ..Default::default() };
        let logs = Config::load(&args).unwrap().logs;
        assert_eq!((logs.queue_bytes, logs.memory_bytes), (8 << 20, 2 << 20));
        assert_eq!(logs.tcp.idle, std::time::Duration::from_secs(45));
        assert_eq!(logs.tcp, TcpLimits { idle: logs.tcp.idle, ..TcpLimits::default() });
        let args = ServeArgs { syslog_tcp_max_peers: Some(0), log_queue_mb: Some(0), ..Default::default() };
        let problems = Config::load(&args).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("logs.tcp_max_peers: 0"), "{problems:?}");
    }

    #[test]
    fn a_demo_keeps_its_own_data_dir_unless_one_is_named() {
        let demo = ServeArgs { demo: true, ..Default::default() };
        assert_eq!(Config::load(&demo).unwrap().data_dir, PathBuf::from(DEFAULT_DEMO_DATA_DIR));
        assert_eq!(Config::load(&ServeArgs::default()).unwrap().data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        let named = ServeArgs { demo: true, data_dir: Some("/srv/vigie".into()), ..Default::default() };
        assert_eq!(Config::load(&named).unwrap().data_dir, PathBuf::from("/srv/vigie"));
    }

    #[test]
    fn layers_apply_in_order_and_every_problem_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigie.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\ndata_dir = \"/var/lib/vigie\"\n").unwrap();
        let args =
            ServeArgs { config: Some(path.clone()), listen: Some("127.0.0.1:9100".into()), ..Default::default() };
        let config = Config::load(&args).unwrap();
        assert_eq!(config.listen.port(), 9100, "the command line wins over the file");
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/vigie"));
        assert_eq!(config.retention.raw_secs, 48 * 3600);

        std::fs::write(&path, "listen = \"nowhere\"\n[retention]\nraw_hours = 0\n").unwrap();
        let problems = Config::load(&ServeArgs { config: Some(path.clone()), ..Default::default() }).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");

        std::fs::write(&path, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let problems = Config::load(&ServeArgs { config: Some(path), ..Default::default() }).unwrap_err();
        assert!(problems[0].contains("unknown field"), "{problems:?}");
    }
}
