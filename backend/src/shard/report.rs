//! A poller's reports to its primary (`POST /api/v1/poller/reports`, every few seconds): a
//! heartbeat, and the devices whose state changed since the last report the primary accepted
//! (at most [`MAX_REPORTED_STATES`] at once: the rest go next time). After a failed report, and
//! every 5 minutes, every state is sent again (a primary restarted over other data learns them);
//! the poller polls on regardless.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::views::poller::{PollerReport, ReportedState, MAX_REPORTED_STATES};
use crate::config::cluster::PollerSettings;
use crate::device::{DeviceId, DeviceState};
use crate::poller::Scheduler;
use crate::store::Store;

/// Between two reports.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);
/// Every this many reports (5 minutes), every state is sent again.
const RESEND_ALL_EVERY: u64 = 60;
/// A report not answered within this is a failed one (sent again in full next time).
const REPORT_TIMEOUT: Duration = Duration::from_secs(20);

/// What the primary holds of a device, as last accepted.
type Sent = (DeviceState, Option<i64>, Option<String>);

pub struct Reporter {
    pub settings: PollerSettings,
    pub primary: super::primary::Primary,
    pub store: Arc<Store>,
    pub scheduler: Arc<Scheduler>,
    pub remote_write: Arc<crate::export::RemoteWrite>,
}

impl Reporter {
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut sent: HashMap<DeviceId, Sent> = HashMap::new();
        let mut every = tokio::time::interval(REPORT_EVERY);
        let mut last_error: Option<String> = None;
        let mut reports: u64 = 0;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = every.tick() => {}
            }
            let (report, pending) = self.report(&sent);
            let answer = self
                .primary
                .post("reports")
                .timeout(REPORT_TIMEOUT)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&report).expect("reports serialize"))
                .send()
                .await;
            let error = match answer {
                Ok(response) if response.status().is_success() => {
                    sent.extend(pending);
                    sent.retain(|id, _| self.store.device_version(id).is_some());
                    None
                }
                Ok(response) => Some(format!("the primary answered HTTP {}", response.status().as_u16())),
                Err(e) => Some(format!("cannot reach the primary: {e}")),
            };
            reports += 1;
            // A primary that was away may have been restarted over other data, and one that
            // missed nothing takes the same states again at no cost: after a failure, and every
            // few minutes anyway, every state is sent again (100 at a time).
            if error.is_some() || reports.is_multiple_of(RESEND_ALL_EVERY) {
                sent.clear();
            }
            if error != last_error {
                match &error {
                    Some(e) => log::warn!("Poller of shard {}: a report failed ({e}); it is sent again.", report.shard),
                    None => log::info!("Poller of shard {}: reports reach the primary.", report.shard),
                }
                last_error = error;
            }
        }
    }

    /// The report now, and what the primary will hold once it accepts it.
    fn report(&self, sent: &HashMap<DeviceId, Sent>) -> (PollerReport, Vec<(DeviceId, Sent)>) {
        let mut states = Vec::new();
        let mut pending = Vec::new();
        self.store.visit_devices(|device, live| {
            let s = &live.status;
            let now: Sent = (s.state, s.since, s.reason.clone());
            if states.len() < MAX_REPORTED_STATES && sent.get(&device.id) != Some(&now) {
                states.push(ReportedState {
                    id: device.id.0.clone(),
                    state: s.state,
                    since: s.since,
                    reason: s.reason.clone(),
                    last_poll_at: s.last_poll_at,
                });
                pending.push((device.id.clone(), now));
            }
        });
        let lag = self
            .remote_write
            .status()
            .iter()
            .map(|t| t.lag_secs)
            .fold(None, |max: Option<f64>, l| Some(max.map_or(l, |m| m.max(l))));
        let report = PollerReport {
            name: self.settings.name.clone(),
            shard: self.settings.shard.to_string(),
            devices: self.store.device_count() as u64,
            polls_total: self.scheduler.stats().counts().polls_total,
            remote_write_lag_secs: lag,
            states,
        };
        (report, pending)
    }
}
