//! History read back by PromQL from a Prometheus-compatible TSDB (VictoriaMetrics, Prometheus,
//! Mimir, Thanos) holding the series Vigie remote-writes (`/work/wt/briefs/series-contract.md`,
//! README "History from a TSDB"): traffic from `vigie_interface_{in,out}_bps`, latency from the
//! `vigie_ping_*` series, counters as the raw samples of the counter series. Answers have the
//! local store's steps and gap semantics (a step with no sample is null, never interpolated), so
//! the API's JSON does not change with the backend. The store only says which devices exist and
//! the step of an answer.

mod answer;
mod client;
mod steps;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::try_join_all;
use url::Url;

use self::answer::Expect;
use self::client::Client;
use self::steps::{seconds_text, shift_secs, StepPlan};
use super::HistoryError;
use crate::secret::Secret;
use crate::store::query::StepPoint;
use crate::store::{now_secs, CounterPoint, Latency, LatencyPoint, Store, Traffic};

/// `[history]` with `backend = "promql"`.
#[derive(Clone, Debug, PartialEq)]
pub struct PromqlSettings {
    /// The Prometheus API's base: `/api/v1/query_range` is appended.
    pub url: Url,
    pub auth: Option<PromqlAuth>,
    /// Time one query may take, connecting included.
    pub timeout: Duration,
    /// Bytes one answer may have.
    pub max_response_bytes: usize,
    /// Sent with every query (a tenant's `X-Scope-OrgID`...); values sensitive.
    pub headers: reqwest::header::HeaderMap,
}

pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_MAX_RESPONSE_MIB: u64 = 32;

/// Credentials sent with every query.
#[derive(Clone, Debug, PartialEq)]
pub enum PromqlAuth {
    Basic { username: String, password: Secret },
    Bearer(Secret),
}

/// How one statistic folds a step's samples.
#[derive(Clone, Copy)]
enum Fold {
    /// Sample-weighted average (over every series the selector matches).
    Avg,
    Min,
    Max,
}

/// One statistic of an answer: a series name and its fold.
#[derive(Clone, Copy)]
struct Stat {
    metric: &'static str,
    fold: Fold,
}

const TRAFFIC: [Stat; 4] = [
    Stat { metric: "vigie_interface_in_bps", fold: Fold::Avg },
    Stat { metric: "vigie_interface_out_bps", fold: Fold::Avg },
    Stat { metric: "vigie_interface_in_bps", fold: Fold::Max },
    Stat { metric: "vigie_interface_out_bps", fold: Fold::Max },
];

const LATENCY: [Stat; 4] = [
    Stat { metric: "vigie_ping_loss_ratio", fold: Fold::Avg },
    Stat { metric: "vigie_ping_rtt_min_seconds", fold: Fold::Min },
    Stat { metric: "vigie_ping_rtt_avg_seconds", fold: Fold::Avg },
    Stat { metric: "vigie_ping_rtt_max_seconds", fold: Fold::Max },
];

/// The counter series the counters endpoint gives, in its columns' order.
const COUNTERS: [&str; 4] = ["ifHCInOctets", "ifHCOutOctets", "ifInOctets", "ifOutOctets"];

/// The label telling the statistics of one query apart.
const STAT_LABEL: &str = "vigie_stat";

pub struct PromqlHistory {
    store: Arc<Store>,
    client: Client,
}

impl PromqlHistory {
    pub fn new(store: Arc<Store>, settings: &PromqlSettings) -> Result<PromqlHistory, String> {
        Ok(PromqlHistory { store, client: Client::new(settings)? })
    }

    pub async fn traffic(
        &self,
        id: &str,
        if_index: u32,
        from: i64,
        to: i64,
        max_points: u32,
    ) -> Result<Traffic, HistoryError> {
        let (id, step) = self.store.traffic_step(id, from, to, max_points)?;
        let selector = format!("{{device_id=\"{}\",ifIndex=\"{if_index}\"}}", escape(&id.0));
        let plan = StepPlan::new(from, to, step);
        let values = self.evaluate(&plan, &TRAFFIC, &selector).await?;
        let points = values
            .iter()
            .enumerate()
            .map(|(k, v)| StepPoint {
                timestamp: plan.timestamp(k),
                in_bps: v[0],
                out_bps: v[1],
                in_bps_max: v[2],
                out_bps_max: v[3],
            })
            .collect();
        Ok(Traffic { step_secs: step, points })
    }

    pub async fn latency(&self, id: &str, from: i64, to: i64, max_points: u32) -> Result<Latency, HistoryError> {
        let (id, step) = self.store.latency_step(id, from, to, max_points)?;
        let selector = format!("{{device_id=\"{}\"}}", escape(&id.0));
        let plan = StepPlan::new(from, to, step);
        let values = self.evaluate(&plan, &LATENCY, &selector).await?;
        let ms = |seconds: Option<f64>| seconds.map(|s| s * 1000.0);
        let points = values
            .iter()
            .enumerate()
            .map(|(k, v)| LatencyPoint {
                timestamp: plan.timestamp(k),
                loss_percent: v[0].map(|ratio| ratio * 100.0),
                rtt_min_ms: ms(v[1]),
                rtt_avg_ms: ms(v[2]),
                rtt_max_ms: ms(v[3]),
            })
            .collect();
        Ok(Latency { step_secs: step, points })
    }

    /// The raw samples of the counter series in `[from, to]` (whole seconds, as the local store
    /// reads them): a range selector queried at the window's last millisecond.
    pub async fn counters(
        &self,
        id: &str,
        if_index: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<CounterPoint>, HistoryError> {
        let device = self.store.registered_device(id)?;
        let end_ms = (to + 1) * 1000;
        let query = format!(
            "{{__name__=~\"{}\",device_id=\"{}\",ifIndex=\"{if_index}\"}}[{}ms]",
            COUNTERS.join("|"),
            escape(&device.id.0),
            end_ms - from * 1000
        );
        let params = [("query", query), ("time", seconds_text(end_ms - 1)), ("nocache", "1".to_string())];
        let body = self.client.get("/api/v1/query", &params).await?;
        let series = answer::parse(&body, Expect::Matrix).map_err(|reason| self.client.bad(reason))?;
        let mut readings: BTreeMap<i64, CounterPoint> = BTreeMap::new();
        for s in &series {
            let name = s.labels.get("__name__").map(String::as_str);
            let column = COUNTERS.iter().position(|c| Some(*c) == name);
            let column = column.ok_or_else(|| self.client.bad(format!("a series named {name:?}")))?;
            for sample in s.samples.iter().filter(|s| s.at_ms >= from * 1000 && s.at_ms < end_ms) {
                let reading = readings.entry(sample.at_ms).or_insert(CounterPoint {
                    timestamp: sample.at_ms as f64 / 1000.0,
                    hc_in_octets: None,
                    hc_out_octets: None,
                    in_octets_32: None,
                    out_octets_32: None,
                });
                // Counters are float64 in every Prometheus TSDB: exact up to 2^53.
                let value = (sample.value.is_finite() && sample.value >= 0.0).then_some(sample.value as u64);
                *[
                    &mut reading.hc_in_octets,
                    &mut reading.hc_out_octets,
                    &mut reading.in_octets_32,
                    &mut reading.out_octets_32,
                ][column] = value;
            }
        }
        Ok(readings.into_values().collect())
    }

    /// Each step's statistics (`None`: no sample in the step): the full steps by one range query,
    /// the clipped ones by an instant query each, all at once.
    async fn evaluate(
        &self,
        plan: &StepPlan,
        stats: &[Stat],
        selector: &str,
    ) -> Result<Vec<Vec<Option<f64>>>, HistoryError> {
        let mut values = vec![vec![None; stats.len()]; plan.count];
        if plan.count == 0 {
            return Ok(values);
        }
        let shift = shift_secs(plan.window(plan.count - 1).eval_ms(), now_secs() * 1000);
        let shift_ms = shift * 1000;
        let queries = queries(plan, stats, selector, shift);
        let answers = try_join_all(queries.iter().map(|q| {
            let path = if q.step.is_some() { "/api/v1/query" } else { "/api/v1/query_range" };
            self.client.get(path, &q.params)
        }))
        .await?;
        for (Query { step, .. }, body) in queries.iter().zip(answers) {
            let expect = if step.is_some() { Expect::Vector } else { Expect::Matrix };
            let series = answer::parse(&body, expect).map_err(|reason| self.client.bad(reason))?;
            for s in &series {
                let stat = s.labels.get(STAT_LABEL).and_then(|i| i.parse::<usize>().ok()).filter(|i| *i < stats.len());
                let stat = stat.ok_or_else(|| self.client.bad(format!("a series without a known {STAT_LABEL}")))?;
                for sample in &s.samples {
                    let k = match step {
                        Some(k) => *k,
                        None => plan
                            .full_step_at(sample.at_ms + shift_ms)
                            .ok_or_else(|| self.client.bad(format!("a point at {} that is no step's", sample.at_ms)))?,
                    };
                    values[k][stat] = sample.value.is_finite().then_some(sample.value);
                }
            }
        }
        Ok(values)
    }
}

/// One HTTP query of an answer: the range query of the full steps (`step` None), or the instant
/// query of one clipped step.
struct Query {
    step: Option<usize>,
    params: Vec<(&'static str, String)>,
}

/// The queries evaluating `plan`'s steps, moved `shift` seconds back.
fn queries(plan: &StepPlan, stats: &[Stat], selector: &str, shift: i64) -> Vec<Query> {
    let shift_ms = shift * 1000;
    let full = plan.full_steps();
    let mut queries = Vec::new();
    if !full.is_empty() {
        let query = expression(stats, selector, plan.step * 1000, shift);
        let start = plan.window(full.start).eval_ms() - shift_ms;
        let end = plan.window(full.end - 1).eval_ms() - shift_ms;
        let params = vec![
            ("query", query),
            ("start", seconds_text(start)),
            ("end", seconds_text(end)),
            ("step", plan.step.to_string()),
            ("nocache", "1".to_string()),
        ];
        queries.push(Query { step: None, params });
    }
    for k in plan.clipped_steps() {
        let window = plan.window(k);
        let query = expression(stats, selector, window.range_ms(), shift);
        let params =
            vec![("query", query), ("time", seconds_text(window.eval_ms() - shift_ms)), ("nocache", "1".to_string())];
        queries.push(Query { step: Some(k), params });
    }
    queries
}

/// One query for every statistic over ranges of `range_ms`, each result labelled with its index
/// in `stats`; `shift_secs` moves the evaluation back (see `steps::shift_secs`).
fn expression(stats: &[Stat], selector: &str, range_ms: i64, shift_secs: i64) -> String {
    let offset = if shift_secs > 0 { format!(" offset -{shift_secs}s") } else { String::new() };
    let range = |metric: &str| format!("{metric}{selector}[{range_ms}ms]{offset}");
    stats
        .iter()
        .enumerate()
        .map(|(i, stat)| {
            let m = range(stat.metric);
            let folded = match stat.fold {
                Fold::Avg => format!("sum(sum_over_time({m})) / sum(count_over_time({m}))"),
                Fold::Min => format!("min(min_over_time({m}))"),
                Fold::Max => format!("max(max_over_time({m}))"),
            };
            format!("label_replace({folded}, \"{STAT_LABEL}\", \"{i}\", \"\", \"\")")
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A label value inside double quotes in PromQL.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_carries_every_statistic_labelled() {
        let q = expression(&TRAFFIC[..1], "{device_id=\"ab\",ifIndex=\"3\"}", 60_000, 0);
        assert_eq!(
            q,
            "label_replace(sum(sum_over_time(vigie_interface_in_bps{device_id=\"ab\",ifIndex=\"3\"}[60000ms])) / \
             sum(count_over_time(vigie_interface_in_bps{device_id=\"ab\",ifIndex=\"3\"}[60000ms])), \"vigie_stat\", \"0\", \"\", \"\")"
        );
        let q = expression(&LATENCY, "{device_id=\"ab\"}", 31_000, 360);
        assert_eq!(q.matches(" or ").count(), 3);
        assert!(
            q.contains("min(min_over_time(vigie_ping_rtt_min_seconds{device_id=\"ab\"}[31000ms] offset -360s))"),
            "{q}"
        );
        assert!(q.contains("\"vigie_stat\", \"3\""), "{q}");
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }

    #[test]
    fn whole_steps_go_in_one_range_query_and_cut_ones_in_instant_queries() {
        let plan = StepPlan::new(630, 870, 60);
        let queries = queries(&plan, &TRAFFIC, "{}", 0);
        assert_eq!(queries.iter().map(|q| q.step).collect::<Vec<_>>(), [None, Some(0), Some(4)]);
        let range: std::collections::HashMap<_, _> = queries[0].params.iter().cloned().collect();
        assert_eq!(
            (range["start"].as_str(), range["end"].as_str(), range["step"].as_str()),
            ("719.999", "839.999", "60")
        );
        assert!(range["query"].contains("[60000ms]"), "{}", range["query"]);
        let last: std::collections::HashMap<_, _> = queries[2].params.iter().cloned().collect();
        assert_eq!(last["time"], "870.999");
        assert!(last["query"].contains("[31000ms]"), "{}", last["query"]);
        // Moved back: every time earlier by the shift, the selectors read the same samples.
        let shifted = queries_at(&plan, 360);
        assert_eq!(shifted[0].1, "359.999");
        assert!(shifted[0].0.contains("[60000ms] offset -360s"));
    }

    fn queries_at(plan: &StepPlan, shift: i64) -> Vec<(String, String)> {
        queries(plan, &TRAFFIC, "{}", shift)
            .into_iter()
            .map(|q| {
                let p: std::collections::HashMap<_, _> = q.params.into_iter().collect();
                (p["query"].clone(), p.get("start").or(p.get("time")).cloned().unwrap())
            })
            .collect()
    }
}
