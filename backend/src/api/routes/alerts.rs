//! `/alerts`: the open and recent incidents, one incident with its deliveries, and
//! acknowledging one (operators; audited).

use actix_web::{get, post, web, HttpResponse};

use crate::alerts::rule::RuleId;
use crate::alerts::IncidentFilter;
use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::extract::QueryParams;
use crate::api::views::{AlertsQuery, IncidentView};
use crate::api::AppState;
use crate::device::DeviceId;
use crate::store::logs::Severity;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Open incidents first (newest first), then resolved ones (newest first; the last 1,000 are kept).
#[utoipa::path(operation_id = "listAlerts", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, description = "The incidents", body = Vec<IncidentView>),
        (status = 400, description = "A query parameter is invalid", body = ApiErrorBody),
    )
)]
#[get("/alerts")]
pub async fn list(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    query: QueryParams<AlertsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let bad = |param: &str, reason: &str| ApiError::InvalidParameter { param: param.into(), reason: reason.into() };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 1000"));
    }
    let device_id = match q.device_id {
        Some(id) => Some(DeviceId::parse(&id).ok_or_else(|| bad("deviceId", "must be a device id (8 hex digits)"))?),
        None => None,
    };
    let rule_id = match q.rule_id {
        Some(id) => Some(RuleId::parse(&id).ok_or_else(|| bad("ruleId", "must be a rule id (8 hex digits)"))?),
        None => None,
    };
    let filter = IncidentFilter { state: q.state, device_id, rule_id, from: q.from, to: q.to, limit };
    let views: Vec<IncidentView> = state
        .alerts
        .incidents(&filter)
        .into_iter()
        .map(|i| {
            let deliveries = state.notifier.deliveries(&i.id);
            IncidentView::new(i, deliveries)
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// One incident, with each notification's delivery.
#[utoipa::path(operation_id = "getAlert", tag = "alerts",
    params(("id" = String, Path, description = "Incident id", example = "0a1b2c3d4e5f")),
    responses(
        (status = 200, description = "The incident", body = IncidentView),
        (status = 404, description = "No such incident (`incident_not_found`)", body = ApiErrorBody),
    )
)]
#[get("/alerts/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let incident = state.alerts.incident(&id)?;
    let deliveries = state.notifier.deliveries(&incident.id);
    Ok(HttpResponse::Ok().json(IncidentView::new(incident, deliveries)))
}

/// Acknowledge an incident: its reminders stop. Acknowledging again changes nothing.
#[utoipa::path(operation_id = "acknowledgeAlert", tag = "alerts",
    params(("id" = String, Path, description = "Incident id", example = "0a1b2c3d4e5f")),
    responses(
        (status = 200, description = "The incident, acknowledged", body = IncidentView),
        (status = 404, description = "No such incident (`incident_not_found`)", body = ApiErrorBody),
    )
)]
#[post("/alerts/{id}/ack")]
pub async fn acknowledge(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let incident = state.alerts.acknowledge(&id, &who.actor())?;
    let what = format!("incident {} acknowledged ({})", incident.id, incident.summary);
    state.sink.audit(&who.actor(), Some(&incident.device_id), Severity::Informational, what);
    let deliveries = state.notifier.deliveries(&incident.id);
    Ok(HttpResponse::Ok().json(IncidentView::new(incident, deliveries)))
}
