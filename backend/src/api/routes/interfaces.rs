//! `/devices/{id}/interfaces`: the interface table, and each interface's traffic and counters.

use actix_web::{get, web, HttpResponse};

use crate::api::access::{Authorized, Viewer};
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
        (status = 200, description = "One point per step over the window; gaps are null", body = TrafficView),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device or interface", body = ApiErrorBody),
        (status = 500, description = "The samples could not be read (`storage_error`)", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces/{ifIndex}/traffic")]
pub async fn traffic(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: QueryParams<TrafficQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_index) = path.into_inner();
    let if_index = parse_if_index(&if_index)?;
    let (from, to, max_points) = series_window(&query.0, now_secs())?;
    let store = state.store.clone();
    let traffic = on_disk(move || store.traffic(&id, if_index, from, to, max_points)).await?;
    Ok(HttpResponse::Ok().json(TrafficView::from(traffic)))
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
        (status = 200, description = "Readings in the window (at most 7 days)", body = Vec<CounterSampleView>),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device or interface", body = ApiErrorBody),
        (status = 500, description = "The samples could not be read (`storage_error`)", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/interfaces/{ifIndex}/counters")]
pub async fn counters(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: QueryParams<CountersQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_index) = path.into_inner();
    let if_index = parse_if_index(&if_index)?;
    let (from, to) = window(query.0.from, query.0.to, now_secs(), DEFAULT_WINDOW_SECS, Some(MAX_COUNTERS_WINDOW_SECS))?;
    let store = state.store.clone();
    let points = on_disk(move || store.counters(&id, if_index, from, to)).await?;
    Ok(HttpResponse::Ok().json(points.into_iter().map(CounterSampleView::from).collect::<Vec<_>>()))
}

fn parse_if_index(text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>().ok().filter(|&i| i > 0).ok_or_else(|| ApiError::InvalidParameter {
        param: "ifIndex".into(),
        reason: format!("'{text}' is not an ifIndex (a positive integer)"),
    })
}
