//! `/devices/{id}/interfaces`: the interface table, and each interface's traffic and counters.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::csv;
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::etag::{self, IfNoneMatch};
use crate::api::extract::QueryParams;
use crate::api::list_query::select_interfaces;
use crate::api::page_keys::InterfaceKeys;
use crate::api::time_range::{series_window, window};
use crate::api::views::{
    CounterSampleView, CountersQuery, InterfacePage, InterfacePageQuery, InterfaceView, TrafficQuery, TrafficView,
};
use crate::api::AppState;
use crate::store::{now_secs, DeviceSnapshot, StoreError};

const DEFAULT_WINDOW_SECS: i64 = 3600;
/// Raw counters are kept 48 h by default; one request may ask for at most this much.
const MAX_COUNTERS_WINDOW_SECS: i64 = 7 * 86_400;

/// Interfaces of a device, by ifIndex: the whole table, as scripts expect it;
/// `GET /devices/{id}/interface-page` pages, filters and sorts it on the server.
#[utoipa::path(operation_id = "listInterfaces",
    tag = "interfaces",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), IfNoneMatch),
    responses(
        (status = 200, description = "Interfaces with their latest counters and rates", body = Vec<InterfaceView>,
            headers(
                ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the device did not change"),
                ("X-Total-Count" = usize, description = "How many interfaces the device has"))),
        (status = 304, description = "The device did not change since the `ETag` sent", headers(("ETag" = String))),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces")]
pub async fn list(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (snapshot, tag) = device_and_tag(&state, &id)?;
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    let views: Vec<InterfaceView> = snapshot.live.interfaces.values().map(InterfaceView::from).collect();
    let mut response = etag::ok_json(&tag, &views);
    response.headers_mut().insert(HeaderName::from_static("x-total-count"), HeaderValue::from(views.len()));
    Ok(response)
}

/// One page of a device's interfaces: filtered by `q` and `oper`, sorted, with the total and the
/// per-status counts.
#[utoipa::path(operation_id = "pageInterfaces",
    tag = "interfaces",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), InterfacePageQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The page", body = InterfacePage, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the device did not change"))),
        (status = 304, description = "The device did not change since the `ETag` sent", headers(("ETag" = String))),
        (status = 400, description = "An unknown or invalid parameter", body = ApiErrorBody),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interface-page")]
pub async fn page(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<InterfacePageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (snapshot, tag) = device_and_tag(&state, &id)?;
    crate::api::list_query::window(query.0.offset, query.0.limit)?;
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    // Filtered and sorted on keys borrowed from the interfaces; views only for the page's.
    let keys = snapshot.live.interfaces.values().map(InterfaceKeys::new).collect();
    let selected = select_interfaces(keys, &query.0)?;
    let page = InterfacePage {
        total: selected.total,
        counts: selected.counts,
        offset: selected.offset,
        limit: selected.limit,
        items: selected.items.iter().map(|k| InterfaceView::from(k.live)).collect(),
    };
    Ok(etag::ok_json(&tag, &page))
}

/// One interface with its latest counters and rates.
#[utoipa::path(operation_id = "getInterface",
    tag = "interfaces",
    params(
        ("id" = String, Path, description = "Device id", example = "3f9a2c1b"),
        ("ifIndex" = u32, Path, description = "Interface ifIndex", example = 3, minimum = 1),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The interface", body = InterfaceView, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the device did not change"))),
        (status = 304, description = "The device did not change since the `ETag` sent", headers(("ETag" = String))),
        (status = 400, description = "The ifIndex is not a positive integer", body = ApiErrorBody),
        (status = 404, description = "No such device or interface", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces/{ifIndex}")]
pub async fn read(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_index) = path.into_inner();
    let if_index = parse_if_index(&if_index)?;
    let (snapshot, tag) = device_and_tag(&state, &id)?;
    let interface = snapshot
        .live
        .interfaces
        .get(&if_index)
        .ok_or(StoreError::InterfaceNotFound { id: snapshot.device.id.clone(), if_index })?;
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    Ok(etag::ok_json(&tag, &InterfaceView::from(interface)))
}

/// The device (memory only) and the tag of its current state.
fn device_and_tag(state: &AppState, id: &str) -> Result<(DeviceSnapshot, String), ApiError> {
    let snapshot = state.store.device(id)?;
    let version = state.store.device_version(&snapshot.device.id).unwrap_or_default();
    Ok((snapshot, etag::tag(version, now_secs())))
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
        (status = 502, description = "History from a TSDB: it could not be reached, refused the query or answered badly (`history_*`)", body = ApiErrorBody),
        (status = 504, description = "History from a TSDB: it did not answer in time (`history_timeout`)", body = ApiErrorBody),
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
    let traffic = state.history.traffic(&id, if_index, from, to, max_points).await?;
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
        (status = 502, description = "History from a TSDB: it could not be reached, refused the query or answered badly (`history_*`)", body = ApiErrorBody),
        (status = 504, description = "History from a TSDB: it did not answer in time (`history_timeout`)", body = ApiErrorBody),
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
    let points = state.history.counters(&id, if_index, from, to).await?;
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
