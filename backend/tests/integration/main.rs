//! Vigie's integration tests: one binary, one module per feature. Tests run the real `vigie`
//! binary over a temp dir and, where SNMP is involved, a real net-snmp `snmpd` on a free
//! loopback port.

mod alerts;
mod alerts_ping;
mod auth;
mod availability;
mod bad_input;
mod bench;
mod crash;
mod credentials;
mod descriptors;
mod device_import;
mod disk_full;
mod events;
mod fixture;
mod history_promql;
mod http_limits;
mod lists;
mod log_limits;
mod logs;
mod misbehave;
mod netns;
mod notify;
mod openapi;
mod poller_tls;
mod ports;
mod prometheus;
mod reach;
mod remote_write;
mod runtime;
mod sealing;
mod shards;
mod sim;
mod sim_process;
mod snmpd;
mod snmpv3;
mod traffic;
mod ui;
mod vigie;
