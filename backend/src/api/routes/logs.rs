//! `/logs` and `/devices/{id}/logs`: syslog messages, traps and Vigie's events, newest first,
//! with filters and cursor pagination. A query reads files on the blocking pool, never on an
//! HTTP worker, and within a time budget: a page may come back `partial`, with fewer entries
//! than asked and a cursor to go on.

use actix_web::{get, web, HttpResponse};

use crate::api::access::{Authorized, Viewer};
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::time_range;
use crate::api::views::{LogEntryView, LogPageView, LogsQuery};
use crate::api::AppState;
use crate::device::DeviceId;
use crate::store::logs::{LogFilter, Severity};
use crate::store::StoreError;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Log entries of every device, and unattributed ones.
#[utoipa::path(operation_id = "listLogs", tag = "logs",
    params(LogsQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPageView),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
        (status = 404, description = "`deviceId` names no device", body = ApiErrorBody),
    )
)]
#[get("/logs")]
pub async fn list(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    query: QueryParams<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    let device = match &query.0.device_id {
        Some(id) => Some(state.store.device_config(id)?.id),
        None => None,
    };
    page(&state, query.0, device).await
}

/// Log entries of one device.
#[utoipa::path(operation_id = "listDeviceLogs", tag = "logs",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), LogsQuery),
    responses(
        (status = 200, description = "A page of entries, newest first", body = LogPageView),
        (status = 400, description = "A query parameter is invalid (`deviceId` is refused: the path names the device)", body = ApiErrorBody),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}/logs")]
pub async fn for_device(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.0.device_id.is_some() {
        return Err(ApiError::InvalidParameter {
            param: "deviceId".into(),
            reason: "not allowed here: the path names the device".into(),
        });
    }
    let device = state.store.device_config(&id)?.id;
    page(&state, query.0, Some(device)).await
}

async fn page(state: &AppState, q: LogsQuery, device_id: Option<DeviceId>) -> Result<HttpResponse, ApiError> {
    let invalid = |param: &str, reason: &str| ApiError::InvalidParameter { param: param.into(), reason: reason.into() };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 1000"));
    }
    let min_severity = match q.min_severity {
        None => None,
        Some(code) => Some(
            Severity::from_code(code)
                .ok_or_else(|| invalid("minSeverity", "must be between 0 (emergency) and 7 (debug)"))?,
        ),
    };
    if q.cursor.is_some_and(|c| c > i64::MAX as u64) {
        return Err(invalid("cursor", "must be between 0 and 9223372036854775807"));
    }
    let from = q.from.map(|t| time_range::seconds("from", t)).transpose()?;
    let to = q.to.map(|t| time_range::seconds("to", t)).transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(invalid("from", "must not be after to"));
        }
    }
    let filter = LogFilter {
        device_id,
        source: q.source.map(Into::into),
        min_severity,
        text: q.q.filter(|t| !t.is_empty()),
        from,
        to,
        before_id: q.cursor,
    };
    let store = state.store.clone();
    let budget = state.log_limits.query_budget;
    let page = web::block(move || store.logs(&filter, limit, budget))
        .await
        .map_err(|e| StoreError::Io { path: "logs".into(), source: std::io::Error::other(e.to_string()) })??;
    Ok(HttpResponse::Ok().json(LogPageView {
        entries: page.entries.into_iter().map(LogEntryView::from).collect(),
        next_cursor: page.next_cursor,
        partial: page.partial,
    }))
}
