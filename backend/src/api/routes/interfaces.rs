//! `/devices/{id}/interfaces`: the interface table, and each interface's traffic and counters.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::csv;
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::time_range::{series_window, window};
use crate::api::views::{CounterSampleView, CountersQuery, InterfaceView, TrafficQuery, TrafficView};
use crate::api::AppState;
use crate::store::now_secs;

const DEFAULT_WINDOW_SECS: i64 = 3600;
/// Raw counters are kept 48 h by default; one request may ask for at most this much.
const MAX_COUNTERS_WINDOW_SECS: i64 = 7 * 86_400;

/// Interfaces of a device, by ifIndex.
#[utoipa::path(operation_id = "listInterfaces", 
    tag = "interfaces",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b")),
    responses(
        (status = 200, description = "Interfaces with their latest counters and rates", body = Vec<InterfaceView>),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces")]
pub async fn list(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.store.device(&id)?;
    let views: Vec<InterfaceView> = snapshot.live.interfaces.values().map(InterfaceView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Traffic of one interface in bits per second, averaged and peaked per step on the server.
#[utoipa::path(operation_id = "getTraffic", 
    tag = "interfaces",
    params(
        ("id" = String, Path, description = "Device id", example = "3f9a2c1b"),
        ("ifIndex" = u32, Path, description = "Interface ifIndex", example = 3, minimum = 1),
        TrafficQuery,
    ),
    responses(
        (status = 200, description = "One point per step over the window; gaps are null (empty CSV fields)",
            content((TrafficView = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device or interface", body = ApiErrorBody),
        (status = 500, description = "The samples could not be read (`storage_error`)", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces/{ifIndex}/traffic")]
pub async fn traffic(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: QueryParams<TrafficQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_index) = path.into_inner();
    let if_index = parse_if_index(&if_index)?;
    let (from, to, max_points) = series_window(&query.0, now_secs())?;
    let store = state.store.clone();
    let traffic = on_disk(move || store.traffic(&id, if_index, from, to, max_points)).await?;
    let view = TrafficView::from(traffic);
    if csv::wants_csv(&req, query.0.format) {
        return Ok(traffic_csv(&view));
    }
    Ok(HttpResponse::Ok().json(view))
}

/// Raw counter readings of one interface, oldest first, as polled.
#[utoipa::path(operation_id = "getCounters", 
    tag = "interfaces",
    params(
        ("id" = String, Path, description = "Device id", example = "3f9a2c1b"),
        ("ifIndex" = u32, Path, description = "Interface ifIndex", example = 3, minimum = 1),
        CountersQuery,
    ),
    responses(
        (status = 200, description = "Readings in the window (at most 7 days)",
            content((Vec<CounterSampleView> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device or interface", body = ApiErrorBody),
        (status = 500, description = "The samples could not be read (`storage_error`)", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces/{ifIndex}/counters")]
pub async fn counters(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: QueryParams<CountersQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_index) = path.into_inner();
    let if_index = parse_if_index(&if_index)?;
    let (from, to) = window(query.0.from, query.0.to, now_secs(), DEFAULT_WINDOW_SECS, Some(MAX_COUNTERS_WINDOW_SECS))?;
    let store = state.store.clone();
    let points = on_disk(move || store.counters(&id, if_index, from, to)).await?;
    let views: Vec<CounterSampleView> = points.into_iter().map(CounterSampleView::from).collect();
    if csv::wants_csv(&req, query.0.format) {
        return Ok(counters_csv(&views));
    }
    Ok(HttpResponse::Ok().json(views))
}

/// Traffic as CSV: one row per step, the step's start in RFC 3339 and as Unix seconds.
fn traffic_csv(view: &TrafficView) -> HttpResponse {
    let mut table = csv::Table::new(&["time", "timestamp", "inBps", "outBps", "inBpsMax", "outBpsMax"]);
    for p in &view.points {
        table.row([
            csv::rfc3339(p.timestamp as f64),
            p.timestamp.to_string(),
            csv::opt(p.in_bps),
            csv::opt(p.out_bps),
            csv::opt(p.in_bps_max),
            csv::opt(p.out_bps_max),
        ]);
    }
    table.respond()
}

/// Counter readings as CSV, the columns named as in JSON; a counter the agent did not give is empty.
fn counters_csv(views: &[CounterSampleView]) -> HttpResponse {
    let mut table =
        csv::Table::new(&["time", "timestamp", "ifHCInOctets", "ifHCOutOctets", "ifInOctets", "ifOutOctets"]);
    for p in views {
        table.row([
            csv::rfc3339(p.timestamp),
            p.timestamp.to_string(),
            csv::opt(p.if_hc_in_octets),
            csv::opt(p.if_hc_out_octets),
            csv::opt(p.if_in_octets),
            csv::opt(p.if_out_octets),
        ]);
    }
    table.respond()
}

fn parse_if_index(text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>().ok().filter(|&i| i > 0).ok_or_else(|| ApiError::InvalidParameter {
        param: "ifIndex".into(),
        reason: format!("'{text}' is not an ifIndex (a positive integer)"),
    })
}
