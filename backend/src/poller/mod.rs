//! Polling: *what* to collect from one device ([`poll`]), *when* ([`scheduler`]), and how
//! counters become rates ([`rates`]). Results go to the store; nothing flows back.

pub mod poll;
pub mod rates;
pub mod scheduler;
mod task;

pub use scheduler::Scheduler;
