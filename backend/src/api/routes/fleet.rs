//! `/fleet`: the device list for the web UI (paged, filtered and sorted on the server), the
//! overview's summary, and the device names pickers need. Every answer carries an `ETag` from the
//! store's change counter and is 304 while nothing changed.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::alerts::IncidentFilter;
use crate::api::access::{Authorized, Viewer};
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::etag::{self, IfNoneMatch};
use crate::api::extract::QueryParams;
use crate::api::list_query::{select_devices, sorts_by_availability, state_counts};
use crate::api::page_keys::DeviceKeys;
use crate::api::views::{DeviceName, DevicePage, DevicePageQuery, FleetSummary, IncidentView, StateView, TopInterface};
use crate::api::AppState;
use crate::store::now_secs;

/// Busiest interfaces in the summary.
const TOP_INTERFACES: usize = 10;
/// Latest incidents in the summary.
const RECENT_INCIDENTS: usize = 5;

/// One page of devices: filtered by `q`, `state` and `tag`, sorted (problems first by default),
/// with the total and the per-state counts.
#[utoipa::path(operation_id = "pageDevices", tag = "devices",
    params(DevicePageQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The page", body = DevicePage, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while nothing changed"))),
        (status = 304, description = "Nothing changed since the `ETag` sent", headers(("ETag" = String))),
        (status = 400, description = "An unknown or invalid parameter", body = ApiErrorBody),
    )
)]
#[get("/fleet/devices")]
pub async fn devices(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: QueryParams<DevicePageQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = now_secs();
    let tag = etag::tag(state.store.fleet_version(), now);
    // Parameters are checked before a 304 too: a bad request is never "not modified".
    crate::api::list_query::window(query.0.offset, query.0.limit)?;
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    // Filtered and sorted on keys read from memory; views (and availability) only for the page's devices.
    let mut keys = state.store.visit_devices(DeviceKeys::new);
    if sorts_by_availability(&query.0) {
        keys = with_availability(&state, keys, now).await?;
    }
    let selected = select_devices(keys, &query.0)?;
    let ids = selected.items.into_iter().map(|k| k.id).collect();
    let page = DevicePage {
        total: selected.total,
        counts: selected.counts,
        offset: selected.offset,
        limit: selected.limit,
        items: super::devices::views_of(&state, ids, now).await?,
    };
    Ok(etag::ok_json(&tag, &page))
}

/// `keys` with each device's availability over the last 24 hours (it may be read from disk).
async fn with_availability(state: &AppState, mut keys: Vec<DeviceKeys>, now: i64) -> Result<Vec<DeviceKeys>, ApiError> {
    let store = state.store.clone();
    on_disk(move || {
        for k in &mut keys {
            k.availability_day = store.availability(&k.id, now)?.day;
        }
        Ok(keys)
    })
    .await
}

/// Every device's id and name, ordered by name.
#[utoipa::path(operation_id = "listDeviceNames", tag = "devices",
    params(IfNoneMatch),
    responses(
        (status = 200, description = "Ids and names", body = Vec<DeviceName>, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while nothing changed"))),
        (status = 304, description = "Nothing changed since the `ETag` sent", headers(("ETag" = String))),
    )
)]
#[get("/fleet/names")]
pub async fn names(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tag = etag::tag(state.store.fleet_version(), now_secs());
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    let mut names: Vec<DeviceName> =
        state.store.device_list().into_iter().map(|d| DeviceName { id: d.id.0, name: d.config.name }).collect();
    names.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.id.cmp(&b.id)));
    Ok(etag::ok_json(&tag, &names))
}

/// The overview header: devices per state, the busiest interfaces, open and recent incidents.
#[utoipa::path(operation_id = "getFleetSummary", tag = "devices",
    params(IfNoneMatch),
    responses(
        (status = 200, description = "The summary", body = FleetSummary, headers(
            ("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while nothing changed"))),
        (status = 304, description = "Nothing changed since the `ETag` sent", headers(("ETag" = String))),
    )
)]
#[get("/fleet/summary")]
pub async fn summary(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tag = etag::tag(state.store.fleet_version(), now_secs());
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    let mut states = Vec::new();
    let mut interfaces = 0;
    let mut top: Vec<TopInterface> = Vec::new();
    let mut floor = -1.0;
    state.store.visit_devices(|device, live| {
        states.push(StateView::from(live.status.state));
        interfaces += live.interfaces.len();
        for i in live.interfaces.values() {
            // Names are copied only for an interface busier than the tenth busiest so far.
            let Some(busy) = busiest(device, i, floor) else { continue };
            top.push(busy);
            // Keep the list short while walking 100,000 interfaces.
            if top.len() >= 4 * TOP_INTERFACES {
                keep_top(&mut top);
                floor = top.last().map_or(-1.0, load);
            }
        }
    });
    keep_top(&mut top);
    let alerts = &state.alerts;
    let open_incidents = alerts.stats().open_incidents;
    let filter =
        IncidentFilter { state: None, device_id: None, rule_id: None, from: None, to: None, limit: RECENT_INCIDENTS };
    let recent_incidents = alerts.incidents(&filter).into_iter().map(|i| IncidentView::new(i, Vec::new())).collect();
    let summary = FleetSummary {
        devices: states.len(),
        counts: state_counts(states.into_iter()),
        interfaces,
        top_interfaces: top,
        open_incidents,
        recent_incidents,
    };
    Ok(etag::ok_json(&tag, &summary))
}

/// One interface's utilisation, when its speed and rates are known and its load passes `floor`.
fn busiest(device: &crate::device::Device, live: &crate::store::InterfaceLive, floor: f64) -> Option<TopInterface> {
    let info = &live.info;
    let speed = info.speed_bps.filter(|&s| s > 0)? as f64;
    let reading = &live.latest.as_ref()?.reading;
    let percent = |bps: f64| (100.0 * bps / speed).min(100.0);
    let (in_percent, out_percent) = (percent(reading.in_bps.get()?), percent(reading.out_bps.get()?));
    if in_percent.max(out_percent) <= floor {
        return None;
    }
    Some(TopInterface {
        device_id: device.id.0.clone(),
        device_name: device.config.name.clone(),
        if_index: info.if_index,
        name: info.display_name().to_string(),
        in_percent,
        out_percent,
    })
}

fn load(t: &TopInterface) -> f64 {
    t.in_percent.max(t.out_percent)
}

/// The busiest first, at most [`TOP_INTERFACES`].
fn keep_top(top: &mut Vec<TopInterface>) {
    top.sort_by(|a, b| {
        load(b).total_cmp(&load(a)).then_with(|| a.device_id.cmp(&b.device_id)).then(a.if_index.cmp(&b.if_index))
    });
    top.truncate(TOP_INTERFACES);
}
