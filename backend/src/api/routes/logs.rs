//! `/logs` and `/devices/{id}/logs`: syslog messages, traps and Vigie's events, newest first,
//! with filters and cursor pagination.

use actix_web::{get, web, HttpResponse};

use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::views::{LogEntryView, LogPageView, LogsQuery};
use crate::api::AppState;
use crate::device::DeviceId;
use crate::store::logs::LogFilter;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Log entries of every device, and unattributed ones.
#[utoipa::path(operation_id = "listLogs", tag = "logs",
    params(LogsQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPageView),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
    )
)]
#[get("/logs")]
pub async fn list(state: web::Data<AppState>, query: QueryParams<LogsQuery>) -> Result<HttpResponse, ApiError> {
    let device = match &query.0.device_id {
        Some(id) => Some(state.store.device(id)?.device.id),
        None => None,
    };
    page(&state, query.0, device)
}

/// Log entries of one device.
#[utoipa::path(operation_id = "listDeviceLogs", tag = "logs",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), LogsQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPageView),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/logs")]
pub async fn for_device(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    let device = state.store.device(&id)?.device.id;
    page(&state, query.0, Some(device))
}

fn page(state: &AppState, q: LogsQuery, device_id: Option<DeviceId>) -> Result<HttpResponse, ApiError> {
    let invalid = |param: &str, reason: &str| ApiError::InvalidParameter { param: param.into(), reason: reason.into() };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 1000"));
    }
    if q.min_severity.is_some_and(|s| s > 7) {
        return Err(invalid("minSeverity", "must be between 0 (emergency) and 7 (debug)"));
    }
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            return Err(invalid("from", "must not be after to"));
        }
    }
    let filter = LogFilter {
        device_id,
        source: q.source.map(Into::into),
        min_severity: q.min_severity,
        text: q.q.filter(|t| !t.is_empty()),
        from: q.from,
        to: q.to,
        before_id: q.cursor,
    };
    let entries = state.store.logs(&filter, limit)?;
    let next_cursor = (entries.len() == limit).then(|| entries.last().map(|e| e.id)).flatten();
    Ok(HttpResponse::Ok()
        .json(LogPageView { entries: entries.into_iter().map(LogEntryView::from).collect(), next_cursor }))
}
