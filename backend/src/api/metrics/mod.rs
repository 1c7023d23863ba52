//! `GET /metrics`: the fleet in the Prometheus text format, for Prometheus, VictoriaMetrics or any
//! scraper. A scrape first reads the whole fleet in one pass over the store (each device's and
//! interface's labels escaped once, their values: see [`snapshot`]), then streams the answer in
//! parts of about 1 MB (a run of rows of one family), each rendered on the blocking pool while
//! the previous one is being sent: the store's locks are held for that one pass only, the answer
//! never sits in memory whole (at most [`AHEAD`] parts and the one being written), the first
//! byte leaves after one part, and polling is never held up by a slow scraper.

mod exposition;
pub mod families;
#[cfg(test)]
mod golden;
mod remote_write;
mod snapshot;

use std::ops::Range;
use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use futures_util::StreamExt;

use self::exposition::{Exposition, Kind, CONTENT_TYPE};
use self::snapshot::{Section, Snapshot};
use crate::api::connections::HttpStats;
use crate::api::AppState;

/// Rows per part: about 1 MB of text (an interface sample is about 150 bytes, a device's four
/// `vigie_device_state` samples about 500), large enough that the per-part cost (a blocking-pool
/// hop, a write) is negligible, small enough to send the first byte early.
fn part_rows(section: Section) -> usize {
    match section {
        Section::DeviceState => 2048,
        _ => 8192,
    }
}

/// Parts rendered ahead of the one being sent.
const AHEAD: usize = 2;

/// One streamed part of the answer.
enum Part {
    /// These rows of one section (with its `# HELP` and `# TYPE` when they start at 0).
    Rows(Section, Range<usize>),
    Vigie,
}

fn parts(snapshot: &Snapshot) -> Vec<Part> {
    let mut parts = Vec::new();
    for section in Section::all() {
        let (rows, step) = (snapshot.rows(section), part_rows(section));
        let mut start = 0;
        loop {
            let end = (start + step).min(rows);
            parts.push(Part::Rows(section, start..end));
            if end == rows {
                break;
            }
            start = end;
        }
    }
    parts.push(Part::Vigie);
    parts
}

/// Prometheus metrics: per interface the counters and states under snmp_exporter's `if_mib`
/// names and labels, `sysUpTime` per device, and Vigie's own health (`vigie_*`).
#[utoipa::path(
    operation_id = "getMetrics",
    tag = "status",
    responses((status = 200, description = "The Prometheus text exposition format (version 0.0.4)", content_type = "text/plain; version=0.0.4", body = String))
)]
#[get("/metrics")]
pub async fn scrape(
    _who: crate::api::access::Authorized<crate::api::access::Viewer>,
    state: web::Data<AppState>,
    http: web::Data<HttpStats>,
) -> HttpResponse {
    let now_secs = now_secs();
    let reading = state.clone();
    let snapshot = tokio::task::spawn_blocking(move || {
        let mut snapshot = Snapshot::default();
        reading.store.visit_devices(|device, live| snapshot.read(device, live, now_secs));
        snapshot.shrink();
        snapshot
    })
    .await;
    let Ok(snapshot) = snapshot else {
        return HttpResponse::InternalServerError().body("reading the fleet for /metrics failed");
    };
    let snapshot = Arc::new(snapshot);
    let body = futures_util::stream::iter(parts(&snapshot))
        .map(move |part| {
            let (state, http, snapshot) = (state.clone(), http.clone(), snapshot.clone());
            tokio::task::spawn_blocking(move || render(part, &snapshot, &state, &http))
        })
        .buffered(AHEAD)
        .map(|rendered| {
            rendered
                .map(web::Bytes::from)
                .map_err(|e| actix_web::error::ErrorInternalServerError(format!("rendering metrics failed: {e}")))
        });
    HttpResponse::Ok().content_type(CONTENT_TYPE).streaming(body)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn render(part: Part, snapshot: &Snapshot, state: &AppState, http: &HttpStats) -> String {
    match part {
        Part::Rows(section, rows) => {
            // About 150 bytes a row: one allocation for the whole part.
            let mut out = Exposition::with_capacity(rows.len() * 160 + 512);
            snapshot.write(&mut out, section, rows);
            out.buf
        }
        Part::Vigie => vigie_families(state, http),
    }
}

/// Vigie's own counters: the same numbers `/status` shows.
fn vigie_families(state: &AppState, http: &HttpStats) -> String {
    let read = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    let mut out = Exposition::default();
    let p = state.scheduler.stats().counts();
    let logs = &state.sink.counters;
    let storage = state.store.storage_status();
    let notify = state.notifier.stats();
    let reach = state.reach.counts();
    let counters: [(&str, &str, u64); 20] = [
        ("vigie_polls_total", "Polls made, answered or not.", p.polls_total),
        (
            "vigie_polls_failed_total",
            "Polls that failed (no answer, an unusable answer, or the deadline).",
            p.polls_failed,
        ),
        ("vigie_polls_late_total", "Polls that started later than their schedule.", p.polls_late),
        ("vigie_polls_over_deadline_total", "Polls stopped at their deadline.", p.polls_over_deadline),
        ("vigie_pollers_panicked_total", "Pollers that panicked and were restarted.", p.polls_panicked),
        ("vigie_interface_samples_total", "Interface samples collected.", p.interface_samples_total),
        (
            "vigie_samples_dropped_total",
            "Interface samples not stored (a counter that went backwards or an impossible rate).",
            p.samples_dropped,
        ),
        ("vigie_tasks_restarted_total", "Supervised tasks restarted after a failure.", crate::supervisor::restarts()),
        ("vigie_syslog_received_total", "Syslog messages received.", read(&logs.syslog.received)),
        (
            "vigie_syslog_malformed_total",
            "Syslog datagrams or frames that could not be read.",
            read(&logs.syslog.malformed),
        ),
        ("vigie_traps_received_total", "SNMP traps received.", read(&logs.traps.received)),
        ("vigie_traps_malformed_total", "Datagrams on the trap port that were not traps.", read(&logs.traps.malformed)),
        ("vigie_log_entries_dropped_total", "Log entries dropped because the log queue was full.", read(&logs.dropped)),
        ("vigie_storage_write_errors_total", "Writes to the data dir that failed.", storage.write_errors),
        ("vigie_notify_queued_total", "Notification deliveries queued (one per channel).", notify.queued),
        ("vigie_notify_delivered_total", "Notification deliveries made.", notify.delivered),
        ("vigie_notify_failed_total", "Notification deliveries given up after their last retry.", notify.failed),
        ("vigie_notify_dropped_total", "Notification deliveries dropped because the outbox was full.", notify.dropped),
        ("vigie_ping_rounds_total", "Rounds of ICMP echo requests made.", reach.rounds_total),
        ("vigie_ping_rounds_silent_total", "Rounds of ICMP echo requests that got no reply.", reach.rounds_silent),
    ];
    for (name, help, value) in counters {
        out.family(name, Kind::Counter, help);
        out.sample(name, &[], value);
    }
    out.family("vigie_http_connections", Kind::Gauge, "Open HTTP connections.");
    out.sample("vigie_http_connections", &[], read(&http.connections));
    out.family("vigie_notify_pending", Kind::Gauge, "Notification deliveries waiting (to be made or retried).");
    out.sample("vigie_notify_pending", &[], notify.pending as u64);
    out.family("vigie_devices", Kind::Gauge, "Devices supervised.");
    out.sample("vigie_devices", &[], state.store.device_count() as u64);

    let durations = state.scheduler.stats().durations();
    let name = "vigie_poll_duration_seconds";
    out.family(name, Kind::Histogram, "How long polls took, answered or not.");
    for (bound, count) in &durations.cumulative {
        let le = if bound.is_infinite() { "+Inf".to_string() } else { bound.to_string() };
        out.sample("vigie_poll_duration_seconds_bucket", &[("le", &le)], *count);
    }
    out.sample("vigie_poll_duration_seconds_sum", &[], durations.sum_secs);
    out.sample("vigie_poll_duration_seconds_count", &[], durations.count);
    remote_write::write(&mut out, &state.remote_write.status());
    out.buf
}
