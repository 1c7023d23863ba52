//! The poller feed's shapes: a shard's devices with their credentials.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which share of the devices a poller asks for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `I/N`: shard I of N (rendezvous hashing of device ids, FNV-1a 64 over `"<id>/<i>"`).
    #[param(example = "0/2")]
    pub shard: String,
}

/// The devices of one shard, with their credentials.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollerFeed {
    /// The shard asked for, `I/N`.
    #[schema(example = "0/2")]
    pub shard: String,
    /// Each device as `POST /devices/import` takes it (`name`, `host`, `port`, `snmp` with its
    /// community or SNMPv3 passwords, `pollIntervalSecs`, `timeoutMs`, `retries`,
    /// `pingIntervalSecs`, `parentId`, `tags`), plus `id` and `createdAt`. Ordered by id.
    #[schema(value_type = Vec<Object>)]
    pub devices: Vec<serde_json::Value>,
}

/// What a poller reports to its primary every few seconds: a heartbeat, and the devices whose
/// state changed since its last accepted report (at most [`MAX_REPORTED_STATES`] at once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PollerReport {
    /// The poller's name (`[cluster] name`, default its host name): 1 to 64 characters.
    #[schema(example = "poller-paris-a", min_length = 1, max_length = 64)]
    pub name: String,
    /// Its shard, `I/N`.
    #[schema(example = "0/2")]
    pub shard: String,
    /// Devices it polls.
    pub devices: u64,
    /// Polls since it started.
    pub polls_total: u64,
    /// Seconds since the oldest sample not yet remote-written was taken, the largest over its
    /// targets.
    pub remote_write_lag_secs: Option<f64>,
    /// Devices whose state changed.
    #[schema(max_items = 100)]
    pub states: Vec<ReportedState>,
    /// Echo rounds (ICMP pings) made since the last accepted report, each device's latest (at
    /// most [`MAX_REPORTED_ECHOES`]; absent from a poller older than this field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 200)]
    pub echoes: Vec<ReportedEcho>,
}

/// Most states in one report (the body stays under the API's 64 KiB).
pub const MAX_REPORTED_STATES: usize = 100;
/// Most echo rounds in one report; a poller also keeps its body under the API's bound.
pub const MAX_REPORTED_ECHOES: usize = 200;
/// Longest `error` of a reported echo round, in characters.
pub const MAX_ECHO_ERROR_CHARS: usize = 200;

/// One device's latest round of echo requests, as its poller made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportedEcho {
    #[schema(example = "3f9a2c1b")]
    pub id: String,
    /// Unix seconds when the round ended.
    pub at: i64,
    /// Echo requests sent (at least 1) and answered (at most `sent`).
    pub sent: u16,
    pub received: u16,
    /// Round-trip times of the answered echoes, in milliseconds (null when none answered).
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Why echoes could not be sent (not a plain timeout), at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ReportedEcho {
    pub fn new(id: &crate::device::DeviceId, e: &crate::device::EchoStatus) -> ReportedEcho {
        ReportedEcho {
            id: id.0.clone(),
            at: e.at,
            sent: e.sent,
            received: e.received,
            rtt_min_ms: e.rtt_min_ms,
            rtt_avg_ms: e.rtt_avg_ms,
            rtt_max_ms: e.rtt_max_ms,
            error: e.error.as_ref().map(|e| e.chars().take(MAX_ECHO_ERROR_CHARS).collect()),
        }
    }

    /// The round as the store keeps it, or why it is not one: nothing sent, more answers than
    /// requests, a time that is not a finite non-negative number, an overlong error.
    pub fn to_status(&self) -> Result<crate::device::EchoStatus, String> {
        if self.sent == 0 || self.received > self.sent {
            return Err(format!("device {}: sent must be at least 1 and received at most sent", self.id));
        }
        let times = [self.rtt_min_ms, self.rtt_avg_ms, self.rtt_max_ms];
        if times.iter().flatten().any(|ms| !ms.is_finite() || *ms < 0.0) {
            return Err(format!("device {}: round-trip times are finite and not negative", self.id));
        }
        if self.error.as_ref().is_some_and(|e| e.chars().count() > MAX_ECHO_ERROR_CHARS) {
            return Err(format!("device {}: error is at most {MAX_ECHO_ERROR_CHARS} characters", self.id));
        }
        Ok(crate::device::EchoStatus {
            at: self.at,
            sent: self.sent,
            received: self.received,
            rtt_min_ms: self.rtt_min_ms,
            rtt_avg_ms: self.rtt_avg_ms,
            rtt_max_ms: self.rtt_max_ms,
            error: self.error.clone(),
        })
    }
}

/// One device's state as its poller decided it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportedState {
    #[schema(example = "3f9a2c1b")]
    pub id: String,
    /// `up`, `snmp_down`, `unreachable` or `unknown`.
    #[schema(value_type = String, example = "up")]
    pub state: crate::device::DeviceState,
    /// Unix seconds of the last change of `state`.
    pub since: Option<i64>,
    /// Why (null when up).
    pub reason: Option<String>,
    /// Unix seconds of the last poll.
    pub last_poll_at: Option<i64>,
}

/// A report's answer: how many states and echo rounds the primary took (a device it does not
/// know is skipped).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportAccepted {
    pub states: usize,
    /// Echo rounds taken (an unknown device's, or one not newer than the round held, is not).
    pub echoes: usize,
}

/// A sharded poller as its primary last heard from it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollerStatusView {
    #[schema(example = "poller-paris-a")]
    pub name: String,
    #[schema(example = "0/2")]
    pub shard: String,
    /// Unix seconds of its last report.
    pub last_report_at: i64,
    /// Devices it polls.
    pub devices: u64,
    /// Polls since it started.
    pub polls_total: u64,
    /// Its remote-write lag in seconds, as it reported it.
    pub remote_write_lag_secs: Option<f64>,
}

impl From<crate::shard::board::PollerEntry> for PollerStatusView {
    fn from(p: crate::shard::board::PollerEntry) -> Self {
        PollerStatusView {
            name: p.name,
            shard: p.shard,
            last_report_at: p.last_report_at,
            devices: p.devices,
            polls_total: p.polls_total,
            remote_write_lag_secs: p.remote_write_lag_secs,
        }
    }
}

/// On a poller: its shard and its link to the primary.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatusView {
    /// `I/N`.
    #[schema(example = "0/2")]
    pub shard: String,
    /// Devices of the shard as last fetched.
    pub devices: u64,
    /// Unix seconds of the last fetch the primary answered (200 or 304); null before the first.
    pub last_fetch_at: Option<i64>,
    /// Fetches that failed since start (it keeps polling its last known set).
    pub fetches_failed: u64,
    /// The primary's change stream is open.
    pub stream_connected: bool,
    /// Times the change stream was lost and opened again.
    pub stream_reconnects: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reported_echo_round_must_be_one() {
        let good = ReportedEcho {
            id: "0000000a".into(),
            at: 100,
            sent: 3,
            received: 2,
            rtt_min_ms: Some(0.1),
            rtt_avg_ms: Some(0.2),
            rtt_max_ms: Some(0.3),
            error: None,
        };
        assert_eq!(good.to_status().unwrap().received, 2);
        let bad = [
            ReportedEcho { sent: 0, received: 0, ..good.clone() },
            ReportedEcho { received: 4, ..good.clone() },
            ReportedEcho { rtt_avg_ms: Some(-1.0), ..good.clone() },
            ReportedEcho { rtt_max_ms: Some(f64::INFINITY), ..good.clone() },
            ReportedEcho { error: Some("e".repeat(MAX_ECHO_ERROR_CHARS + 1)), ..good.clone() },
        ];
        for echo in bad {
            assert!(echo.to_status().unwrap_err().starts_with("device 0000000a"), "{echo:?}");
        }
    }
}
