//! Vigie: a light SNMP network monitor. Data flows one way:
//! SNMP agent → [`snmp`] → [`poller`] → [`store`] → [`api`] → the web UI.
//! [`logs`] feeds the store beside the poller; [`reach`] (ICMP echo) is the poller's sibling;
//! [`history`] answers the history endpoints from the store or a TSDB by PromQL;
//! [`export`] remote-writes what the store accepted; [`auth`] says who may call the API; [`alerts`] turns events into incidents for [`notify`]. Across them: [`supervisor`] keeps every long-lived task
//! alive, [`secret`] holds every secret without showing it, [`shown`] escapes outside text in
//! Vigie's log lines, [`open_files`] sizes the descriptor limit for the fleet, [`allocator`] keeps
//! the C allocator from holding large freed buffers.

pub mod alerts;
pub mod allocator;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod device;
pub mod export;
pub mod file_watch;
pub mod history;
pub mod logs;
pub mod notify;
pub mod open_files;
pub mod poller;
pub mod reach;
pub mod secret;
pub mod shard;
pub mod shown;
pub mod sim;
pub mod snmp;
pub mod store;
pub mod supervisor;
pub mod tls;
