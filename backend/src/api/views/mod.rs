//! The wire types of the API (camelCase JSON), with their OpenAPI schemas, one module per
//! resource. Handlers convert domain values into these; nothing else is serialized to clients.

mod alerts;
mod auth;
mod channel_input;
pub mod device_import;
mod device_status;
mod devices;
mod events;
mod interfaces;
pub mod json_shape;
mod lists;
mod logs;
mod notify;
pub mod poller;
mod remote_write;
mod snmp;
mod status;
mod trap_users;

pub use alerts::*;
pub use auth::*;
pub use channel_input::*;
pub use device_status::*;
pub use devices::*;
pub use events::*;
pub use interfaces::*;
pub use lists::*;
pub use logs::*;
pub use notify::*;
pub use remote_write::*;
pub use snmp::*;
pub use status::*;
pub use trap_users::*;
