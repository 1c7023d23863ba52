//! `/devices/import` and `/devices/export`: a whole device list in or out, as CSV or JSON.
//! An import validates every row as `POST /devices` would and adds all of them or none; an
//! export gives the same format back without communities or passwords.

use std::time::Duration;

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::body_limit::BodyDeadline;
use crate::api::csv;
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::extract::{parse_json, read_limited, QueryParams};
use crate::api::views::device_import::{
    check_header, column_of, row_body, ExportQuery, ExportedDevice, ImportReport, ImportRowError, COLUMNS,
};
use crate::api::views::NewDevice;
use crate::api::AppState;
use crate::device::DeviceConfig;
use crate::poller::FirstPoll;
use crate::shown::Shown;
use crate::store::logs::Severity;
use crate::store::StoreError;

/// Most devices one import may add (the body is also at most 64 KiB).
pub const MAX_ROWS: usize = 1000;

/// Add many devices at once from CSV or a JSON list: all of them, or none when any row is wrong.
#[utoipa::path(operation_id = "importDevices",
    tag = "devices",
    request_body(description = "CSV with a header row (columns: name, host, port, version, community, user, \
        securityLevel, authProtocol, authPassword, privProtocol, privPassword, contextName, pollIntervalSecs, \
        timeoutMs, retries, pingIntervalSecs, parentId, tags; any order, only host required; an empty cell \
        takes the default; tags separated by spaces), or a JSON list of `POST /devices` bodies. At most 1000 \
        devices and 64 KiB.",
        content((String = "text/csv"), (Vec<NewDevice> = "application/json"))),
    responses(
        (status = 201, description = "Every device was added", body = ImportReport),
        (status = 400, description = "The JSON is not well formed or not a list", body = ApiErrorBody),
        (status = 415, description = "Body is neither text/csv nor JSON", body = ApiErrorBody),
        (status = 422, description = "Nothing was added: each refused row with its line and field", body = ImportReport),
        (status = 500, description = "The device list could not be written (`storage_error`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was added", body = ApiErrorBody),
    )
)]
#[post("/devices/import")]
pub async fn import(
    who: Authorized<Operator>,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_csv = match media_type(&req).as_deref() {
        Some("text/csv") => true,
        Some(m) if m == "application/json" || m.ends_with("+json") => false,
        _ => return Err(ApiError::UnsupportedMediaType),
    };
    let deadline = req.app_data::<BodyDeadline>().map_or(Duration::from_secs(10), |d| d.0);
    let body = read_limited(payload.into_inner(), deadline).await?;
    let rows = if is_csv { csv_rows(&body) } else { json_rows(&body)? };
    let (configs, errors) = match rows {
        Ok(rows) => validate(rows),
        Err(error) => (Vec::new(), vec![error]),
    };
    if !errors.is_empty() {
        return Ok(refused(errors));
    }
    let lines: Vec<usize> = configs.iter().map(|(line, _)| *line).collect();
    let store = state.store.clone();
    let configs: Vec<DeviceConfig> = configs.into_iter().map(|(_, c)| c).collect();
    let added = match on_disk(move || Ok(store.add_devices(configs))).await? {
        Ok(devices) => devices,
        Err((
            Some(i),
            error @ (StoreError::DuplicateDevice { .. }
            | StoreError::ParentNotFound { .. }
            | StoreError::ParentCycle { .. }),
        )) => {
            let field = if matches!(error, StoreError::DuplicateDevice { .. }) { "host" } else { "parentId" };
            return Ok(refused(vec![ImportRowError {
                line: lines[i],
                field: field.into(),
                reason: error.to_string(),
            }]));
        }
        Err((_, error)) => return Err(error.into()),
    };
    crate::open_files::check_fleet(state.store.device_count());
    for device in &added {
        let c = &device.config;
        // Spread over the interval with every other device's polls (an import of thousands does
        // not poll all at once, nor where an earlier import's devices already do).
        state.scheduler.start(device.clone(), FirstPoll::Spread);
        state.sink.audit(
            &who.actor(),
            Some(&device.id),
            Severity::Informational,
            format!("{} added by import ({}:{})", c.name, c.host, c.port),
        );
    }
    log::info!("Import added {} devices (by {}).", added.len(), Shown(&who.actor()));
    let ids: Vec<String> = added.iter().map(|d| d.id.0.clone()).collect();
    Ok(HttpResponse::Created().json(ImportReport { added: ids.len(), ids, errors: Vec::new() }))
}

/// The device list without secrets, in the import's format: CSV or JSON.
#[utoipa::path(operation_id = "exportDevices",
    tag = "devices",
    params(ExportQuery),
    responses(
        (status = 200, description = "Every device, ordered by id, without communities or passwords",
            content((Vec<ExportedDevice> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "An unknown or invalid parameter", body = ApiErrorBody),
    )
)]
#[get("/devices/export")]
pub async fn export(
    _who: Authorized<Viewer>,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: QueryParams<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let devices: Vec<ExportedDevice> = state.store.device_list().iter().map(ExportedDevice::from).collect();
    if !csv::wants_csv(&req, query.0.format) {
        return Ok(HttpResponse::Ok().json(devices));
    }
    let mut table = csv::Table::new(&COLUMNS);
    for device in &devices {
        table.row(device.cells());
    }
    Ok(table.respond())
}

/// The request's media type, lowercase, without parameters.
fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// A row to validate: where it is (line or position), the body it stands for, and whether its
/// field names are CSV columns.
struct Row {
    line: usize,
    body: Value,
    from_csv: bool,
}

type Rows = Result<Vec<Row>, ImportRowError>;

fn csv_rows(body: &[u8]) -> Rows {
    let whole = |reason: String| ImportRowError { line: 1, field: String::new(), reason };
    let text = std::str::from_utf8(body).map_err(|e| whole(format!("the file is not UTF-8 text: {e}")))?;
    let records =
        csv::parse(text).map_err(|e| ImportRowError { line: e.line, field: String::new(), reason: e.reason })?;
    let Some((header, records)) = records.split_first() else {
        return Err(whole("the file is empty: it needs a header row".into()));
    };
    let header: Vec<String> = header.fields.iter().map(|f| f.trim().to_string()).collect();
    check_header(&header)?;
    too_many(records.len(), records.get(MAX_ROWS).map_or(0, |r| r.line))?;
    records.iter().map(|r| Ok(Row { line: r.line, body: row_body(&header, r)?, from_csv: true })).collect()
}

fn json_rows(body: &[u8]) -> Result<Rows, ApiError> {
    let list: Vec<Value> = serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidJson { reason: format!("the body must be a JSON list of devices: {e}") })?;
    if let Err(error) = too_many(list.len(), MAX_ROWS + 1) {
        return Ok(Err(error));
    }
    Ok(Ok(list.into_iter().enumerate().map(|(i, body)| Row { line: i + 1, body, from_csv: false }).collect()))
}

fn too_many(rows: usize, first_refused_line: usize) -> Result<(), ImportRowError> {
    if rows <= MAX_ROWS {
        return Ok(());
    }
    Err(ImportRowError {
        line: first_refused_line,
        field: String::new(),
        reason: format!("{rows} devices: at most {MAX_ROWS} per import; split the list"),
    })
}

/// Every row checked as `POST /devices` checks its body: the configs, or every refusal.
fn validate(rows: Vec<Row>) -> (Vec<(usize, DeviceConfig)>, Vec<ImportRowError>) {
    let mut configs = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for row in rows {
        match config_of(&row.body) {
            Ok(config) => configs.push((row.line, config)),
            Err((path, reason)) => errors.push(ImportRowError {
                line: row.line,
                field: if row.from_csv { column_of(&path) } else { path },
                reason,
            }),
        }
    }
    (configs, errors)
}

/// The device config a body asks for, validated; or the path of the field at fault and why.
fn config_of(body: &Value) -> Result<DeviceConfig, (String, String)> {
    let bytes = serde_json::to_vec(body).map_err(|e| (String::new(), e.to_string()))?;
    let new: NewDevice = parse_json(&bytes).map_err(|e| match e {
        ApiError::InvalidField { field, reason } => (field, reason),
        other => (String::new(), other.to_string()),
    })?;
    let config = new.into_config().map_err(|e| (e.field.to_string(), e.reason))?;
    config.validate().map_err(|e| (e.field.to_string(), e.reason))?;
    Ok(config)
}

fn refused(errors: Vec<ImportRowError>) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(ImportReport { added: 0, ids: Vec::new(), errors })
}
