//! Where the traffic, latency and counters endpoints read history from: the local store's files
//! (the default), or a Prometheus-compatible TSDB queried by PromQL (`[history] backend =
//! "promql"`), which holds what Vigie's remote-write sent. Both answer the same types, so the
//! API's JSON does not depend on the backend. This module chooses and dispatches; it knows no
//! HTTP status (errors map to statuses in `api/error.rs`).

pub mod promql;

use std::sync::Arc;

use crate::store::{CounterPoint, Latency, Store, StoreError, Traffic};
pub use promql::{PromqlAuth, PromqlHistory, PromqlSettings};

/// A history read that failed.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No such device or interface, or the local files could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a blocking read was lost before it answered (the server is shutting down?)")]
    TaskLost,
    #[error("the history database at {host} could not be reached: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("the history database at {host} did not answer within {after_ms} ms")]
    Timeout { host: String, after_ms: u64 },
    #[error("the history database at {host} refused the query with HTTP {status}: {message}")]
    Refused { host: String, status: u16, message: String },
    #[error("the history database at {host} answered more than {limit_bytes} bytes; narrow the window")]
    TooLarge { host: String, limit_bytes: usize },
    #[error("the history database at {host} gave an answer that cannot be used: {reason}")]
    BadAnswer { host: String, reason: String },
}

/// The history backend the API reads from.
pub enum History {
    /// The store's own files (raw samples and rollups).
    Local(Arc<Store>),
    /// A TSDB by PromQL; the store still says which devices exist and their intervals.
    Promql(Box<PromqlHistory>),
}

impl History {
    /// `local` or `promql`, as configured.
    pub fn backend(&self) -> &'static str {
        match self {
            History::Local(_) => "local",
            History::Promql(_) => "promql",
        }
    }

    /// Traffic of one interface over `[from, to]` (Unix seconds), at most `max_points` steps.
    pub async fn traffic(
        &self,
        id: &str,
        if_index: u32,
        from: i64,
        to: i64,
        max_points: u32,
    ) -> Result<Traffic, HistoryError> {
        match self {
            History::Local(store) => {
                let (store, id) = (store.clone(), id.to_string());
                on_disk(move || store.traffic(&id, if_index, from, to, max_points)).await
            }
            History::Promql(promql) => promql.traffic(id, if_index, from, to, max_points).await,
        }
    }

    /// Loss and round-trip times of a device's echo rounds over `[from, to]`.
    pub async fn latency(&self, id: &str, from: i64, to: i64, max_points: u32) -> Result<Latency, HistoryError> {
        match self {
            History::Local(store) => {
                let (store, id) = (store.clone(), id.to_string());
                on_disk(move || store.latency(&id, from, to, max_points)).await
            }
            History::Promql(promql) => promql.latency(id, from, to, max_points).await,
        }
    }

    /// Raw counter readings of one interface in `[from, to]`, oldest first.
    pub async fn counters(
        &self,
        id: &str,
        if_index: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<CounterPoint>, HistoryError> {
        match self {
            History::Local(store) => {
                let (store, id) = (store.clone(), id.to_string());
                on_disk(move || store.counters(&id, if_index, from, to)).await
            }
            History::Promql(promql) => promql.counters(id, if_index, from, to).await,
        }
    }
}

/// Runs a read of the local files on a blocking thread, off the async workers.
async fn on_disk<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, HistoryError> {
    Ok(tokio::task::spawn_blocking(read).await.map_err(|_| HistoryError::TaskLost)??)
}
