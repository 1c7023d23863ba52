//! Polling: *what* to collect from one device ([`poll`]), *when* ([`scheduler`], each device's
//! [`task`] on the pollers' own [`runtime`], kept alive by the [`supervisor`]), and how counters
//! become rates ([`rates`]). Results go to the store; nothing flows back.

mod backlog;
pub mod histogram;
pub mod memory;
mod phases;
pub mod poll;
pub mod rates;
mod runtime;
pub mod scheduler;
pub mod stats;
mod supervisor;
mod task;
pub mod writer;

#[cfg(test)]
pub(crate) use memory::REMEMBERED_BYTES;
pub use scheduler::{FirstPoll, Scheduler};
pub use stats::{PollerCounts, PollerStats};
pub use task::{poll_deadline, PollError, NUDGE_MIN_GAP};
