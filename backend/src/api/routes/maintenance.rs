//! `/maintenance-windows`: add, list, read, change and remove maintenance windows. Viewers
//! read; operators change. Every change is audited.

use actix_web::{delete, get, patch, post, web, HttpResponse};

use super::changes;
use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{MaintenanceWindowBody, MaintenanceWindowView};
use crate::api::AppState;
use crate::store::now_secs;

/// Every maintenance window, ordered by id.
#[utoipa::path(operation_id = "listMaintenanceWindows", tag = "alerts",
    responses((status = 200, description = "All windows", body = Vec<MaintenanceWindowView>)))]
#[get("/maintenance-windows")]
pub async fn list(_who: Authorized<Viewer>, state: web::Data<AppState>) -> HttpResponse {
    let now = now_secs();
    let views: Vec<MaintenanceWindowView> =
        state.alerts.windows().iter().map(|w| MaintenanceWindowView::new(w, now)).collect();
    HttpResponse::Ok().json(views)
}

/// Add a window: `name`, `scope` and `schedule` (one-off from/to, or weekly days + start +
/// duration, in UTC).
#[utoipa::path(operation_id = "createMaintenanceWindow", tag = "alerts",
    request_body = MaintenanceWindowBody,
    responses(
        (status = 201, description = "Added; `Location` names it", body = MaintenanceWindowView,
            headers(("Location" = String, description = "URL of the new window"))),
        (status = 409, description = "There are already 256 windows (`too_many_windows`)", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was added", body = ApiErrorBody),
    )
)]
#[post("/maintenance-windows")]
pub async fn create(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    body: JsonBody<MaintenanceWindowBody>,
) -> Result<HttpResponse, ApiError> {
    let window = body.0.into_new()?;
    let alerts = state.alerts.clone();
    let window = blocking(move || alerts.create_window(window)).await?;
    let what = format!("maintenance window {} ({}) added", window.name, window.id.0);
    changes::record(&state, &who.actor(), what);
    Ok(changes::created(
        format!("/api/v1/maintenance-windows/{}", window.id.0),
        &MaintenanceWindowView::new(&window, now_secs()),
    ))
}

/// One maintenance window.
#[utoipa::path(operation_id = "getMaintenanceWindow", tag = "alerts",
    params(("id" = String, Path, description = "Window id", example = "7b8c9d0e")),
    responses(
        (status = 200, description = "The window", body = MaintenanceWindowView),
        (status = 404, description = "No such window (`window_not_found`)", body = ApiErrorBody),
    )
)]
#[get("/maintenance-windows/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(MaintenanceWindowView::new(&state.alerts.window(&id)?, now_secs())))
}

/// Change a window's name, scope or schedule.
#[utoipa::path(operation_id = "updateMaintenanceWindow", tag = "alerts",
    params(("id" = String, Path, description = "Window id", example = "7b8c9d0e")),
    request_body = MaintenanceWindowBody,
    responses(
        (status = 200, description = "The changed window", body = MaintenanceWindowView),
        (status = 404, description = "No such window (`window_not_found`)", body = ApiErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was changed", body = ApiErrorBody),
    )
)]
#[patch("/maintenance-windows/{id}")]
pub async fn update(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<MaintenanceWindowBody>,
) -> Result<HttpResponse, ApiError> {
    let alerts = state.alerts.clone();
    let window = blocking(move || alerts.update_window(&id, |w| body.0.apply(w))).await?;
    let what = format!("maintenance window {} ({}) changed", window.name, window.id.0);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::Ok().json(MaintenanceWindowView::new(&window, now_secs())))
}

/// Remove a window.
#[utoipa::path(operation_id = "deleteMaintenanceWindow", tag = "alerts",
    params(("id" = String, Path, description = "Window id", example = "7b8c9d0e")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such window (`window_not_found`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was removed", body = ApiErrorBody),
    )
)]
#[delete("/maintenance-windows/{id}")]
pub async fn remove(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let alerts = state.alerts.clone();
    let window = blocking(move || alerts.remove_window(&id)).await?;
    let what = format!("maintenance window {} ({}) removed", window.name, window.id.0);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::NoContent().finish())
}
