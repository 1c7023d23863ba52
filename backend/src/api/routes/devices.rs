//! `/devices`: add, list, read, change and remove supervised devices.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::etag::{self, IfNoneMatch};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::views::{AvailabilityView, DevicePatch, DeviceView, DevicesQuery, NewDevice};
use crate::api::AppState;
use crate::device::DeviceId;
use crate::poller::FirstPoll;
use crate::shown::Shown;
use crate::store::logs::Severity;
use crate::store::now_secs;
use crate::store::{Store, StoreError};

/// List devices, ordered by id; `?tag=` keeps those with that tag. The whole list, as scripts
/// expect it: `GET /fleet/devices` pages, filters and sorts it on the server.
#[utoipa::path(operation_id = "listDevices", tag = "devices",
    params(DevicesQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The devices", body = Vec<DeviceView>, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while nothing changed"),
            ("X-Total-Count" = usize, description = "How many devices the list holds"))),
        (status = 304, description = "Nothing changed since the `ETag` sent", headers(("ETag" = String))),
        (status = 400, description = "An unknown or invalid parameter", body = ApiErrorBody),
    )
)]
#[get("/devices")]
pub async fn list(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: QueryParams<DevicesQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = now_secs();
    let tag = etag::tag(state.store.fleet_version(), now);
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    let wanted = query.0.tag;
    let mut views = all_views(&state, now).await?;
    views.retain(|v| wanted.as_ref().is_none_or(|t| v.tags.contains(t)));
    let mut response = etag::ok_json(&tag, &views);
    response.headers_mut().insert(HeaderName::from_static("x-total-count"), HeaderValue::from(views.len()));
    Ok(response)
}

/// Every device's view, ordered by id. Availability comes from memory (see
/// `store::state_history::History`), or from disk for a device that flapped too often: on a
/// blocking thread.
pub(super) async fn all_views(state: &AppState, now: i64) -> Result<Vec<DeviceView>, ApiError> {
    let store = state.store.clone();
    on_disk(move || {
        let listed = store.listed_devices();
        listed
            .into_iter()
            .map(|s| Ok(DeviceView::new(&s.device, &s.summary, availability(&store, &s.device.id, now)?, now)))
            .collect()
    })
    .await
}

/// The views of the devices `ids` names, in that order (a page of `/fleet/devices`); a device removed
/// since its id was read is left out. Availability as in [`all_views`], on a blocking thread.
pub(super) async fn views_of(state: &AppState, ids: Vec<DeviceId>, now: i64) -> Result<Vec<DeviceView>, ApiError> {
    let store = state.store.clone();
    on_disk(move || {
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let s = match store.listed_device(&id.0) {
                Err(StoreError::DeviceNotFound { .. }) => continue,
                snapshot => snapshot?,
            };
            views.push(DeviceView::new(&s.device, &s.summary, availability(&store, &s.device.id, now)?, now));
        }
        Ok(views)
    })
    .await
}

fn availability(store: &Store, id: &DeviceId, now: i64) -> Result<AvailabilityView, StoreError> {
    Ok(AvailabilityView::from(store.availability(id, now)?))
}

/// Add a device; polling starts at once.
#[utoipa::path(operation_id = "createDevice", 
    tag = "devices",
    request_body = NewDevice,
    responses(
        (status = 201, description = "Added; `Location` names it", body = DeviceView,
            headers(("Location" = String, description = "URL of the new device"))),
        (status = 409, description = "Another device has this host and port", body = ApiErrorBody),
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
    let config = body.0.into_config()?;
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
    state.scheduler.start(device.clone(), FirstPoll::Now);
    let c = &device.config;
    state.sink.audit(
        &who.actor(),
        Some(&device.id),
        Severity::Informational,
        format!("{} added ({}:{})", c.name, c.host, c.port),
    );
    let view = view_of(&state, &device.id.0).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/devices/{}", device.id))).json(view))
}

/// One device.
#[utoipa::path(operation_id = "getDevice", 
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b"), IfNoneMatch),
    responses(
        (status = 200, description = "The device", body = DeviceView, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the device did not change"))),
        (status = 304, description = "The device did not change since the `ETag` sent", headers(("ETag" = String))),
        (status = 404, description = "No such device", body = ApiErrorBody),
    )
)]
#[get("/devices/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let device = state.store.device_config(&id)?;
    let version = state.store.device_version(&device.id).unwrap_or_default();
    let tag = etag::tag(version, now_secs());
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    Ok(etag::ok_json(&tag, &view_of(&state, &id).await?))
}

/// Change any field of a device, credentials included; polling picks the change up at once.
#[utoipa::path(operation_id = "updateDevice", 
    tag = "devices",
    params(("id" = String, Path, description = "Device id", example = "3f9a2c1b")),
    request_body = DevicePatch,
    responses(
        (status = 200, description = "The changed device", body = DeviceView),
        (status = 404, description = "No such device", body = ApiErrorBody),
        (status = 409, description = "Another device has this host and port", body = ApiErrorBody),
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
    let current = state.store.device_config(&id)?;
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
        state.scheduler.start(device.clone(), FirstPoll::Now);
        let what = changed_fields(&current.config, &device.config).join(", ");
        state.sink.audit(
            &who.actor(),
            Some(&device.id),
            Severity::Informational,
            format!("{} edited: {what}", device.config.name),
        );
    }
    Ok(HttpResponse::Ok().json(view_of(&state, &id).await?))
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

async fn view_of(state: &AppState, id: &str) -> Result<DeviceView, ApiError> {
    let (store, id) = (state.store.clone(), id.to_string());
    on_disk(move || {
        let listed = store.listed_device(&id)?;
        let now = now_secs();
        let availability = availability(&store, &listed.device.id, now)?;
        Ok(DeviceView::new(&listed.device, &listed.summary, availability, now))
    })
    .await
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
        ("pingIntervalSecs", old.ping_interval_secs != new.ping_interval_secs),
        ("parentId", old.parent_id != new.parent_id),
        ("tags", old.tags != new.tags),
    ];
    checks.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect()
}
