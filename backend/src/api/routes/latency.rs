//! `/devices/{id}/latency`: a device's ICMP loss and round-trip times over a window.

use actix_web::{get, web, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::time_range::series_window;
use crate::api::views::{LatencyView, TrafficQuery};
use crate::api::AppState;
use crate::store::now_secs;

/// Loss and round-trip times of the device's echo rounds, merged per step on the server, from
/// the resolution that serves the window best (raw rounds, 5-minute or hourly rollups).
#[utoipa::path(operation_id = "getLatency",
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), TrafficQuery),
    responses(
        (status = 200, description = "One point per step over the window; gaps are null", body = LatencyView),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device", body = ApiErrorBody),
        (status = 500, description = "The rounds could not be read (`storage_error`)", body = ApiErrorBody),
        (status = 502, description = "History from a TSDB: it could not be reached, refused the query or answered badly (`history_*`)", body = ApiErrorBody),
        (status = 504, description = "History from a TSDB: it did not answer in time (`history_timeout`)", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/latency")]
pub async fn latency(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<TrafficQuery>,
) -> Result<HttpResponse, ApiError> {
    let (from, to, max_points) = series_window(&query.0, now_secs())?;
    let latency = state.history.latency(&id, from, to, max_points).await?;
    Ok(HttpResponse::Ok().json(LatencyView::from(latency)))
}
