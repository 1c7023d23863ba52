//! One module per resource; each handler extracts, calls the domain, and answers a view.

pub mod alert_channels;
pub mod alert_rules;
pub mod alerts;
pub mod changes;
pub mod device_import;
pub mod devices;
pub mod events;
pub mod fleet;
pub mod interfaces;
pub mod latency;
pub mod logs;
pub mod maintenance;
pub mod poller;
pub mod session;
pub mod status;
pub mod tokens;
pub mod trap_users;
pub mod users;
