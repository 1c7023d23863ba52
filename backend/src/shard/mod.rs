//! Sharded pollers: which shard owns a device ([`hashing`]), and the `--role poller` process's
//! link to its primary ([`feed`]): the devices of its shard with their credentials, refetched
//! whenever the primary's event stream says they changed, and reconciled with what it polls;
//! its [`report`]s back, and the primary's [`board`] of the pollers that reported.

pub mod board;
pub mod feed;
pub mod hashing;
pub mod report;

pub use hashing::{owner, Shard};
