//! A poller's reports to its primary (`POST /api/v1/poller/reports`, every few seconds): a
//! heartbeat, the devices whose state changed since the last report the primary accepted (at
//! most [`MAX_REPORTED_STATES`] at once: the rest go next time), and each device's latest echo
//! round not yet accepted (at most [`MAX_REPORTED_ECHOES`], the body kept under the API's bound).
//! A report that could not hold everything is followed by the next one right away. After a
//! failed report, and every 5 minutes, every state is sent again (a primary restarted over other
//! data learns them); the poller polls on regardless.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::body_limit::MAX_BODY_BYTES;
use crate::api::views::poller::{PollerReport, ReportedEcho, ReportedState, MAX_REPORTED_ECHOES, MAX_REPORTED_STATES};
use crate::config::cluster::PollerSettings;
use crate::device::{DeviceId, DeviceState, EchoStatus};
use crate::poller::Scheduler;
use crate::store::Store;

/// Between two reports.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);
/// Every this many reports (5 minutes), every state is sent again.
const RESEND_ALL_EVERY: u64 = 60;
/// A report not answered within this is a failed one (sent again in full next time).
const REPORT_TIMEOUT: Duration = Duration::from_secs(20);
/// A report's body stays this far under the API's bound (headers, a longer name).
const BODY_MARGIN_BYTES: usize = 4096;

/// What the primary holds of a device, as last accepted.
type Sent = (DeviceState, Option<i64>, Option<String>);

/// What the primary holds, as last accepted: each device's state and latest echo round.
#[derive(Default)]
struct Held {
    states: HashMap<DeviceId, Sent>,
    echoes: HashMap<DeviceId, i64>,
}

/// What the primary holds once it accepts a report.
#[derive(Default)]
struct Pending {
    states: Vec<(DeviceId, Sent)>,
    echoes: Vec<(DeviceId, i64)>,
    /// Something was left for the next report.
    full: bool,
}

/// A report ready to send.
struct Draft {
    body: Vec<u8>,
    shard: String,
    pending: Pending,
}

pub struct Reporter {
    pub settings: PollerSettings,
    pub primary: super::primary::Primary,
    pub store: Arc<Store>,
    pub scheduler: Arc<Scheduler>,
    pub remote_write: Arc<crate::export::RemoteWrite>,
}

impl Reporter {
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut held = Held::default();
        let mut every = tokio::time::interval(REPORT_EVERY);
        let mut last_error: Option<String> = None;
        let mut reports: u64 = 0;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = every.tick() => {}
            }
            let draft = self.draft(&held);
            let answer = self
                .primary
                .post("reports")
                .timeout(REPORT_TIMEOUT)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(draft.body)
                .send()
                .await;
            let error = match answer {
                Ok(response) if response.status().is_success() => {
                    held.states.extend(draft.pending.states);
                    held.echoes.extend(draft.pending.echoes);
                    held.states.retain(|id, _| self.store.device_version(id).is_some());
                    held.echoes.retain(|id, _| self.store.device_version(id).is_some());
                    if draft.pending.full {
                        // What did not fit goes now, not in 5 s: echo rounds must not pile up.
                        every.reset_immediately();
                    }
                    None
                }
                Ok(response) => Some(format!("the primary answered HTTP {}", response.status().as_u16())),
                Err(e) => Some(format!("cannot reach the primary: {}", super::primary::why(&e))),
            };
            reports += 1;
            // A primary that was away may have been restarted over other data, and one that
            // missed nothing takes the same states again at no cost: after a failure, and every
            // few minutes anyway, every state is sent again (100 at a time). Echo rounds are not:
            // each device's next round reaches the primary anyway.
            if error.is_some() || reports.is_multiple_of(RESEND_ALL_EVERY) {
                held.states.clear();
            }
            if error != last_error {
                match &error {
                    Some(e) => log::warn!("Poller of shard {}: a report failed ({e}); it is sent again.", draft.shard),
                    None => log::info!("Poller of shard {}: reports reach the primary.", draft.shard),
                }
                last_error = error;
            }
        }
    }

    /// The report now, serialized under the API's body bound.
    fn draft(&self, held: &Held) -> Draft {
        let (mut report, mut pending) = self.report(held);
        let (body, cut) = fit(&mut report);
        pending.echoes.truncate(report.echoes.len());
        pending.full |= cut;
        Draft { body, shard: report.shard, pending }
    }

    /// The report now, and what the primary will hold once it accepts it.
    fn report(&self, held: &Held) -> (PollerReport, Pending) {
        let mut states = Vec::new();
        let mut echoes = Vec::new();
        let mut pending = Pending::default();
        self.store.visit_devices(|device, live| {
            let s = &live.status;
            let now: Sent = (s.state, s.since, s.reason.clone());
            if held.states.get(&device.id) != Some(&now) {
                if states.len() < MAX_REPORTED_STATES {
                    states.push(ReportedState {
                        id: device.id.0.clone(),
                        state: s.state,
                        since: s.since,
                        reason: s.reason.clone(),
                        last_poll_at: s.last_poll_at,
                    });
                    pending.states.push((device.id.clone(), now));
                } else {
                    pending.full = true;
                }
            }
            if let Some(round) = s.echo.as_ref().filter(|e| is_new(e, held.echoes.get(&device.id))) {
                if echoes.len() < MAX_REPORTED_ECHOES {
                    echoes.push(ReportedEcho::new(&device.id, round));
                    pending.echoes.push((device.id.clone(), round.at));
                } else {
                    pending.full = true;
                }
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
            echoes,
        };
        (report, pending)
    }
}

/// The report's body under the API's bound: while it is over, half its echo rounds wait for
/// the next report (long error texts). Answers the body and whether rounds were left out.
fn fit(report: &mut PollerReport) -> (Vec<u8>, bool) {
    let mut cut = false;
    loop {
        let body = serde_json::to_vec(&report).expect("reports serialize");
        if body.len() + BODY_MARGIN_BYTES <= MAX_BODY_BYTES || report.echoes.is_empty() {
            return (body, cut);
        }
        report.echoes.truncate(report.echoes.len() / 2);
        cut = true;
    }
}

/// A round the primary does not hold yet (one that sent nothing is no round to report).
fn is_new(round: &EchoStatus, held_at: Option<&i64>) -> bool {
    round.sent > 0 && held_at.is_none_or(|at| round.at > *at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::views::poller::MAX_ECHO_ERROR_CHARS;

    fn round(at: i64, error: &str) -> EchoStatus {
        EchoStatus {
            at,
            sent: 3,
            received: 0,
            rtt_min_ms: None,
            rtt_avg_ms: None,
            rtt_max_ms: None,
            error: Some(error.into()),
        }
    }

    #[test]
    fn a_report_of_long_rounds_is_cut_under_the_body_bound() {
        let long = "x".repeat(MAX_ECHO_ERROR_CHARS + 50);
        let echoes: Vec<ReportedEcho> = (0..MAX_REPORTED_ECHOES)
            .map(|i| ReportedEcho::new(&DeviceId(format!("{i:08x}")), &round(1_000 + i as i64, &long)))
            .collect();
        assert_eq!(echoes[0].error.as_ref().unwrap().chars().count(), MAX_ECHO_ERROR_CHARS, "errors are cut");
        assert!(echoes[0].to_status().is_ok(), "and then valid");
        let mut report = PollerReport {
            name: "p".into(),
            shard: "0/1".into(),
            devices: 200,
            polls_total: 1,
            remote_write_lag_secs: None,
            states: Vec::new(),
            echoes,
        };
        let (body, cut) = fit(&mut report);
        assert!(cut && body.len() + BODY_MARGIN_BYTES <= MAX_BODY_BYTES, "{} bytes", body.len());
        assert_eq!(report.echoes.len(), MAX_REPORTED_ECHOES / 2, "half the rounds wait for the next report");
        let (_, cut) = fit(&mut report);
        assert!(!cut, "a report that fits is sent whole");
    }

    #[test]
    fn only_rounds_newer_than_the_one_held_are_reported() {
        assert!(is_new(&round(10, ""), None));
        assert!(is_new(&round(10, ""), Some(&9)));
        assert!(!is_new(&round(10, ""), Some(&10)));
        assert!(!is_new(&EchoStatus { sent: 0, ..round(10, "") }, None), "nothing sent, no round");
    }
}
