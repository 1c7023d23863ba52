//! Sharded pollers: which shard owns a device ([`hashing`]), and the `--role poller` process's
//! link to its primary ([`feed`]): the devices of its shard with their credentials, refetched
//! whenever the primary's event stream says they changed, and reconciled with what it polls;
//! its [`report`]s back, and the primary's [`board`] of the pollers that reported.

pub mod board;
pub mod feed;
pub mod hashing;
pub mod primary;
pub mod report;

pub use hashing::{owner, Shard};

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Starts a poller's link to its primary: the feed (devices, changes) and the reports. Answers
/// the feed's figures (for `/status`) and the tasks, which end with `cancel`.
pub fn start_poller(
    settings: &crate::config::cluster::PollerSettings,
    store: &Arc<crate::store::Store>,
    scheduler: &Arc<crate::poller::Scheduler>,
    remote_write: &Arc<crate::export::RemoteWrite>,
    cancel: &CancellationToken,
) -> Result<(Arc<feed::FeedStats>, Vec<JoinHandle<()>>), String> {
    log::info!(
        "Role poller: polls shard {} of the devices of {} as {}.",
        settings.shard,
        settings.registry,
        settings.name
    );
    let primary = primary::Primary::new(settings)?;
    let feed = Arc::new(feed::Feed::new(settings.clone(), primary.clone(), store.clone(), scheduler.clone()));
    let stats = feed.stats.clone();
    let following = {
        let stop = cancel.clone();
        crate::supervisor::spawn("poller feed", cancel.clone(), move || feed.clone().run(stop.clone()))
    };
    let reporter = Arc::new(report::Reporter {
        settings: settings.clone(),
        primary,
        store: store.clone(),
        scheduler: scheduler.clone(),
        remote_write: remote_write.clone(),
    });
    let reporting = {
        let stop = cancel.clone();
        crate::supervisor::spawn("poller reports", cancel.clone(), move || reporter.clone().run(stop.clone()))
    };
    Ok((stats, vec![following, reporting]))
}
