//! `/devices`: add, list, read, change and remove supervised devices.

use std::time::Duration;

use actix_web::{delete, get, patch, post, web, HttpResponse};

use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{DevicePatch, DeviceView, NewDevice};
use crate::api::AppState;
use crate::shown::Shown;
use crate::store::logs::Severity;
use crate::store::now_secs;

/// List devices, ordered by id.
#[utoipa::path(operation_id = "listDevices", tag = "devices", responses((status = 200, description = "All devices", body = Vec<DeviceView>)))]
#[get("/devices")]
pub async fn list(_who: Authorized<Viewer>, state: web::Data<AppState>) -> HttpResponse {
    let now = now_secs();
    let views: Vec<DeviceView> = state.store.visit_devices(|device, live| DeviceView::new(device, live, now));
    HttpResponse::Ok().json(views)
}

/// Add a device; polling starts at once.
#[utoipa::path(operation_id = "createDevice", 
    tag = "devices",
    request_body = NewDevice,
    responses(
        (status = 201, description = "Added; `Location` names it", body = DeviceView,
            headers(("Location" = String, description = "URL of the new device"))),
        (status = 400, description = "Body is not JSON", body = ApiErrorBody),
        (status = 409, description = "Another device has this host and port", body = ApiErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ApiErrorBody),
        (status = 415, description = "Body is not declared as JSON", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 500, description = "The device list could not be written (`storage_error`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was added", body = ApiErrorBody),
    )
)]
#[post("/devices")]
pub async fn create(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    body: JsonBody<NewDevice>,
) -> Result<HttpResponse, ApiError> {
    let config = body.0.into_config();
    config.validate()?;
    let store = state.store.clone();
    let device = on_disk(move || store.add_device(config)).await?;
    crate::open_files::check_fleet(state.store.device_count());
    log::info!(
        "Device {} ({}:{}) added as {}.",
        Shown(&device.config.name),
        Shown(&device.config.host),
        device.config.port,
        device.id
    );
    state.scheduler.start(device.clone(), Duration::ZERO);
    let c = &device.config;
    state.sink.audit(
        &who.actor(),
        Some(&device.id),
        Severity::Informational,
        format!("{} added ({}:{})", c.name, c.host, c.port),
    );
    let view = view_of(&state, &device.id.0)?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/devices/{}", device.id))).json(view))
}

/// One device.
#[utoipa::path(operation_id = "getDevice", 
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b")),
    responses(
        (status = 200, description = "The device", body = DeviceView),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view_of(&state, &id)?))
}

/// Change any field of a device, credentials included; polling picks the change up at once.
#[utoipa::path(operation_id = "updateDevice", 
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b")),
    request_body = DevicePatch,
    responses(
        (status = 200, description = "The changed device", body = DeviceView),
        (status = 400, description = "Body is not JSON", body = ApiErrorBody),
        (status = 404, description = "No such device", body = ApiErrorBody),
        (status = 409, description = "Another device has this host and port", body = ApiErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ApiErrorBody),
        (status = 415, description = "Body is not declared as JSON", body = ApiErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ApiErrorBody),
        (status = 500, description = "The device list could not be written (`storage_error`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was changed", body = ApiErrorBody),
    )
)]
#[patch("/devices/{id}")]
pub async fn update(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<DevicePatch>,
) -> Result<HttpResponse, ApiError> {
    let current = state.store.device(&id)?.device;
    let config = body.0.apply(current.config.clone())?;
    config.validate()?;
    let store = state.store.clone();
    let target = id.clone();
    let device = on_disk(move || store.update_device(&target, config)).await?;
    if device.config != current.config {
        log::info!(
            "Device {} ({}) changed; polling restarts with the new settings.",
            Shown(&device.config.name),
            device.id
        );
        state.scheduler.start(device.clone(), Duration::ZERO);
        let what = changed_fields(&current.config, &device.config).join(", ");
        state.sink.audit(
            &who.actor(),
            Some(&device.id),
            Severity::Informational,
            format!("{} edited: {what}", device.config.name),
        );
    }
    Ok(HttpResponse::Ok().json(view_of(&state, &id)?))
}

/// Remove a device: polling stops and its history is deleted.
#[utoipa::path(operation_id = "deleteDevice", 
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such device", body = ApiErrorBody),
        (status = 500, description = "The device list could not be written (`storage_error`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was removed", body = ApiErrorBody),
    )
)]
#[delete("/devices/{id}")]
pub async fn remove(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let device = on_disk(move || store.remove_device(&id)).await?;
    state.scheduler.stop(&device.id);
    state.sink.audit(
        &who.actor(),
        Some(&device.id),
        Severity::Informational,
        format!("{} removed with its history", device.config.name),
    );
    log::info!("Device {} ({}) removed with its history.", Shown(&device.config.name), device.id);
    Ok(HttpResponse::NoContent().finish())
}

fn view_of(state: &AppState, id: &str) -> Result<DeviceView, ApiError> {
    let snapshot = state.store.device(id)?;
    Ok(DeviceView::new(&snapshot.device, &snapshot.live, now_secs()))
}

/// Names of the fields that differ (the community is named, never shown).
fn changed_fields(old: &crate::device::DeviceConfig, new: &crate::device::DeviceConfig) -> Vec<&'static str> {
    let checks = [
        ("name", old.name != new.name),
        ("host", old.host != new.host),
        ("port", old.port != new.port),
        ("snmp", old.credentials != new.credentials),
        ("pollIntervalSecs", old.poll_interval_secs != new.poll_interval_secs),
        ("timeoutMs", old.timeout_ms != new.timeout_ms),
        ("retries", old.retries != new.retries),
    ];
    checks.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect()
}
