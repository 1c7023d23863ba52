//! `/alert-rules`: add, list, read, change and remove the rules that open incidents. Viewers
//! read; operators change. Every change is audited.

use actix_web::{delete, get, patch, post, web, HttpResponse};

use super::changes;
use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{AlertRuleBody, AlertRuleView};
use crate::api::AppState;

/// Every alert rule, ordered by id.
#[utoipa::path(operation_id = "listAlertRules", tag = "alerts",
    responses((status = 200, description = "All rules", body = Vec<AlertRuleView>)))]
#[get("/alert-rules")]
pub async fn list(_who: Authorized<Viewer>, state: web::Data<AppState>) -> HttpResponse {
    let views: Vec<AlertRuleView> = state.alerts.rules().iter().map(AlertRuleView::from).collect();
    HttpResponse::Ok().json(views)
}

/// Add a rule: `name`, `kind`, `scope` and the kind's fields (`thresholdPercent` for
/// utilization, `thresholdPerSec` for error_rate, `maxSeverity` and/or `pattern` for log_match,
/// `lossPercent` and/or `rttAvgMs` for ping).
#[utoipa::path(operation_id = "createAlertRule", tag = "alerts",
    request_body = AlertRuleBody,
    responses(
        (status = 201, description = "Added; `Location` names it", body = AlertRuleView,
            headers(("Location" = String, description = "URL of the new rule"))),
        (status = 409, description = "There are already 256 rules (`too_many_rules`)", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was added", body = ApiErrorBody),
    )
)]
#[post("/alert-rules")]
pub async fn create(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    body: JsonBody<AlertRuleBody>,
) -> Result<HttpResponse, ApiError> {
    let rule = body.0.into_new()?;
    let alerts = state.alerts.clone();
    let rule = blocking(move || alerts.create_rule(rule)).await?;
    let what = format!("alert rule {} ({}, {}) added", rule.name, rule.kind.name(), rule.id);
    changes::record(&state, &who.actor(), what);
    Ok(changes::created(format!("/api/v1/alert-rules/{}", rule.id), &AlertRuleView::from(&rule)))
}

/// One alert rule.
#[utoipa::path(operation_id = "getAlertRule", tag = "alerts",
    params(("id" = String, Path, description = "Rule id", example = "1a2b3c4d")),
    responses(
        (status = 200, description = "The rule", body = AlertRuleView),
        (status = 404, description = "No such rule (`rule_not_found`)", body = ApiErrorBody),
    )
)]
#[get("/alert-rules/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AlertRuleView::from(&state.alerts.rule(&id)?)))
}

/// Change a rule: any field but its kind.
#[utoipa::path(operation_id = "updateAlertRule", tag = "alerts",
    params(("id" = String, Path, description = "Rule id", example = "1a2b3c4d")),
    request_body = AlertRuleBody,
    responses(
        (status = 200, description = "The changed rule", body = AlertRuleView),
        (status = 404, description = "No such rule (`rule_not_found`)", body = ApiErrorBody),
        (status = 422, description = "A field is invalid or not of this kind; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was changed", body = ApiErrorBody),
    )
)]
#[patch("/alert-rules/{id}")]
pub async fn update(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<AlertRuleBody>,
) -> Result<HttpResponse, ApiError> {
    let alerts = state.alerts.clone();
    let rule = blocking(move || alerts.update_rule(&id, |rule| body.0.apply(rule))).await?;
    let what = format!("alert rule {} ({}) changed", rule.name, rule.id);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::Ok().json(AlertRuleView::from(&rule)))
}

/// Remove a rule; its open incidents resolve without notifications.
#[utoipa::path(operation_id = "deleteAlertRule", tag = "alerts",
    params(("id" = String, Path, description = "Rule id", example = "1a2b3c4d")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such rule (`rule_not_found`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was removed", body = ApiErrorBody),
    )
)]
#[delete("/alert-rules/{id}")]
pub async fn remove(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let alerts = state.alerts.clone();
    let rule = blocking(move || alerts.remove_rule(&id)).await?;
    let what = format!("alert rule {} ({}) removed", rule.name, rule.id);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::NoContent().finish())
}
