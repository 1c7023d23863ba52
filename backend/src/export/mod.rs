//! Remote-write: what the store accepted (polls, failed polls, echo rounds) sent as Prometheus
//! series to VictoriaMetrics, Mimir, Thanos Receive, Cortex or Prometheus (protocol 1.0).
//!
//! ```text
//! store (accept path) ──► handoff (bounded, bytes) ──► exporter, once a second:
//!     encode per target ──► outbox: memory, or the queue on disk ──► sender ──► TSDB
//! ```
//! - [`series`]: accepted data as series (names and labels of the series contract), the
//!   label sets kept per device across polls;
//! - [`handoff`]: the bounded hand-off from the store; pollers never wait on it;
//! - [`encode`]: a batch as one target's requests; [`proto`]: the protocol's messages, labels
//!   and headers; [`request`]: a WriteRequest written as a snappy block ([`snappy`]);
//! - [`outbox`]: a target's requests waiting, in memory while it keeps up, else on disk;
//!   [`queue`]: the segment files, bounded in bytes, drop-oldest;
//! - [`target`]: a target's settings, outbox and figures; [`sender`]: sending its outbox.
//!
//! Nothing here reads the poller: only what the store accepted. The exporter and each sender
//! run supervised and stop promptly when cancelled; what was not sent stays queued on disk.

#[cfg(test)]
pub mod capture;
#[cfg(test)]
mod cost;
pub mod encode;
pub mod handoff;
pub mod outbox;
pub mod proto;
pub mod queue;
pub mod request;
pub mod sender;
pub mod series;
pub mod snappy;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use encode::Externals;
pub use handoff::Handoff;
pub use series::LabelCache;
pub use target::{Target, TargetAuth, TargetSettings, TargetStatus};

/// Bytes of accepted samples waiting for the exporter, at most.
pub const HANDOFF_MAX_BYTES: usize = 64 << 20;
/// How often the exporter moves the hand-off into the queues.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("remote-write target {name}: cannot open its queue in {dir}: {source}")]
    Queue { name: String, dir: std::path::PathBuf, source: std::io::Error },
    #[error("remote-write target {name}: {reason}")]
    Client { name: String, reason: String },
}

/// The remote-write side of the process: its hand-off, targets and tasks.
pub struct RemoteWrite {
    handoff: Arc<Handoff>,
    targets: Vec<Arc<Target>>,
}

impl RemoteWrite {
    /// Opens each target's queue and HTTP client (blocking: reads the disk); nothing runs yet.
    pub fn open(settings: &[TargetSettings], data_dir: &std::path::Path) -> Result<RemoteWrite, ExportError> {
        let mut targets = Vec::new();
        for target in settings {
            let opened = Target::open(target.clone(), data_dir).map_err(|source| ExportError::Queue {
                name: target.name.clone(),
                dir: data_dir.join("remote-write").join(&target.name),
                source,
            })?;
            targets.push(Arc::new(opened));
        }
        Ok(RemoteWrite { handoff: Arc::new(Handoff::new(HANDOFF_MAX_BYTES)), targets })
    }

    /// Where the store hands accepted samples; none when there is no target.
    pub fn handoff(&self) -> Option<Arc<Handoff>> {
        (!self.targets.is_empty()).then(|| self.handoff.clone())
    }

    /// Starts the exporter and one sender per target, supervised, until `cancel` fires; after
    /// it fires, the exporter queues what was handed off last, then every task ends.
    pub fn start(&self, cancel: &CancellationToken) -> Result<Vec<JoinHandle<()>>, ExportError> {
        let mut tasks = Vec::new();
        for target in &self.targets {
            let http = sender::client(target)
                .map_err(|reason| ExportError::Client { name: target.settings.name.clone(), reason })?;
            let (target, cancel) = (target.clone(), cancel.clone());
            log::info!(
                "Remote-write to {} ({}) starts.",
                target.settings.name,
                target::shown_url(&target.settings.url)
            );
            tasks.push(crate::supervisor::spawn("remote-write sender", cancel.clone(), move || {
                sender::run(target.clone(), http.clone(), cancel.clone())
            }));
        }
        if !self.targets.is_empty() {
            let (handoff, targets, stop) = (self.handoff.clone(), self.targets.clone(), cancel.clone());
            tasks.push(crate::supervisor::spawn("remote-write exporter", cancel.clone(), move || {
                export(handoff.clone(), targets.clone(), stop.clone())
            }));
        }
        Ok(tasks)
    }

    /// Each target's figures (memory only).
    pub fn status(&self) -> Vec<TargetStatus> {
        let now_ms = crate::store::now_ms();
        self.targets.iter().map(|t| t.status(self.handoff.dropped_samples(), now_ms)).collect()
    }
}

/// Moves the hand-off into every target's outbox once a second, and once more when cancelled;
/// then what waits in memory goes to disk, to be sent after a restart.
async fn export(handoff: Arc<Handoff>, targets: Vec<Arc<Target>>, cancel: CancellationToken) {
    let externals = Arc::new(Externals(targets.iter().map(|t| t.settings.external_labels.clone()).collect()));
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = cancel.cancelled() => true,
            _ = tick.tick() => false,
        };
        let batch = handoff.take();
        let (targets, externals) = (targets.clone(), externals.clone());
        let _ = tokio::task::spawn_blocking(move || {
            if !batch.is_empty() {
                queue(&batch, &targets, &externals);
            }
            if stop {
                for target in &targets {
                    if let Err(e) = target.spill() {
                        log::error!(
                            "Remote-write target {}: what was not sent yet cannot be queued on disk ({e}); it is lost at exit.",
                            target.settings.name
                        );
                    }
                }
            }
        })
        .await;
        if stop {
            return;
        }
    }
}

/// Encodes `batch` into every target's outbox (blocking).
fn queue(batch: &[series::Accepted], targets: &[Arc<Target>], externals: &Externals) {
    for (index, target) in targets.iter().enumerate() {
        if let Err(e) = target.append(index, externals, batch) {
            let samples: usize = batch.iter().map(|a| a.samples()).sum();
            target.stats.samples_dropped.fetch_add(samples as u64, std::sync::atomic::Ordering::Relaxed);
            log::error!(
                "Remote-write target {}: {samples} samples cannot be queued on disk ({e}); they are dropped.",
                target.settings.name
            );
        }
    }
}
