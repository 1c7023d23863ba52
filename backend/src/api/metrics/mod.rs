//! `GET /metrics`: the fleet in the Prometheus text format, for Prometheus, VictoriaMetrics or any
//! scraper. A scrape first reads every interface once (its labels escaped once into one string,
//! its values for every family) in one pass over the store, then streams the answer in chunks of
//! [`CHUNK_ROWS`] interfaces of one family (about 1 MB), each rendered off the HTTP worker (on
//! the blocking pool) from that snapshot: the store's locks are held for one pass only, 100,000
//! interfaces never sit in memory as one string, the first byte leaves after one chunk, and
//! polling is never held up by a slow scraper.

mod exposition;
mod families;

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use futures_util::StreamExt;

use self::exposition::{Exposition, Kind, CONTENT_TYPE};
use self::families::{InterfaceRows, INTERFACE_FAMILIES};
use crate::api::connections::HttpStats;
use crate::api::AppState;

/// Interfaces per streamed chunk of one family: about 1 MB of text, large enough that the
/// per-chunk cost (a blocking-pool hop, a write) is negligible, small enough to send the first
/// byte early and to keep little text in flight.
const CHUNK_ROWS: usize = 8192;

/// One streamed part of the answer.
#[derive(Clone)]
enum Part {
    /// The interfaces at these indexes, in the family at this index of [`INTERFACE_FAMILIES`]
    /// (with its `# HELP` and `# TYPE` when the range starts at 0).
    Interfaces(usize, std::ops::Range<usize>),
    Uptime,
    DeviceUp,
    Vigie,
}

fn parts(interfaces: usize) -> Vec<Part> {
    let mut parts = Vec::new();
    for family in 0..INTERFACE_FAMILIES.len() {
        let mut start = 0;
        loop {
            let end = (start + CHUNK_ROWS).min(interfaces);
            parts.push(Part::Interfaces(family, start..end));
            if end == interfaces {
                break;
            }
            start = end;
        }
    }
    parts.extend([Part::Uptime, Part::DeviceUp, Part::Vigie]);
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
    let rows = tokio::task::spawn_blocking(move || {
        let mut rows = InterfaceRows::default();
        reading.store.visit_devices(|device, live| rows.read(device, live));
        rows
    })
    .await;
    let Ok(rows) = rows else {
        return HttpResponse::InternalServerError().body("reading the fleet for /metrics failed");
    };
    let rows = Arc::new(rows);
    let body = futures_util::stream::iter(parts(rows.len())).then(move |part| {
        let (state, http, rows) = (state.clone(), http.clone(), rows.clone());
        async move {
            let text = tokio::task::spawn_blocking(move || render(part, &rows, &state, &http, now_secs))
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(format!("rendering metrics failed: {e}")))?;
            Ok::<_, actix_web::Error>(web::Bytes::from(text))
        }
    });
    HttpResponse::Ok().content_type(CONTENT_TYPE).streaming(body)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn render(part: Part, rows: &InterfaceRows, state: &AppState, http: &HttpStats, now_secs: i64) -> String {
    match part {
        Part::Interfaces(index, range) => {
            let family = &INTERFACE_FAMILIES[index];
            // About 150 bytes a sample: one allocation for the whole chunk.
            let mut out = Exposition::with_capacity(range.len() * 160 + 512);
            if range.start == 0 {
                out.family(family.name, family.kind, family.help);
            }
            rows.write(&mut out, index, range);
            out.buf
        }
        Part::Uptime => {
            let mut out = Exposition::default();
            out.family(
                "sysUpTime",
                Kind::Gauge,
                "The time (in hundredths of a second) since the network management portion of the system was last re-initialized - 1.3.6.1.2.1.1.3",
            );
            state.store.visit_devices(|device, live| families::write_uptime(&mut out, device, live, now_secs));
            out.buf
        }
        Part::DeviceUp => {
            let mut out = Exposition::default();
            out.family("vigie_device_up", Kind::Gauge, "1 when the device's last poll answered, else 0.");
            state.store.visit_devices(|device, live| families::write_device_up(&mut out, device, live));
            out.family(
                "vigie_device_state",
                Kind::Gauge,
                "1 for the device's state (up, snmp_down, unreachable, unknown), 0 for the others.",
            );
            state.store.visit_devices(|device, live| families::write_device_state(&mut out, device, live));
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
    out.buf
}
