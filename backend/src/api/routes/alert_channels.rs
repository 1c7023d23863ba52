//! `/alert-channels`: add, list, read, change, remove and test the channels notifications go
//! through, and list a channel's recent deliveries. Viewers read; operators change and test.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::changes;
use crate::api::access::{Authorized, Operator, Viewer};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::views::{AlertChannelView, ChannelBody, ChannelTestView, DeliveryView, NewAlertChannel};
use crate::api::AppState;
use crate::notify::{ChannelId, DeliveryState};
use crate::store::logs::Severity;

/// Every alert channel, ordered by id.
#[utoipa::path(operation_id = "listAlertChannels", tag = "alerts",
    responses((status = 200, description = "All channels (secrets never shown)", body = Vec<AlertChannelView>)))]
#[get("/alert-channels")]
pub async fn list(_who: Authorized<Viewer>, state: web::Data<AppState>) -> HttpResponse {
    let views: Vec<AlertChannelView> = state.notifier.channels().iter().map(AlertChannelView::from).collect();
    HttpResponse::Ok().json(views)
}

/// Add a channel: a webhook, a Slack/Mattermost incoming webhook, email, or a command.
#[utoipa::path(operation_id = "createAlertChannel", tag = "alerts",
    request_body = NewAlertChannel,
    responses(
        (status = 201, description = "Added; `Location` names it", body = AlertChannelView,
            headers(("Location" = String, description = "URL of the new channel"))),
        (status = 409, description = "There are already 256 channels (`too_many_channels`)", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was added", body = ApiErrorBody),
    )
)]
#[post("/alert-channels")]
pub async fn create(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    body: JsonBody<ChannelBody>,
) -> Result<HttpResponse, ApiError> {
    let (name, kind) = body.0.into_new()?;
    let notifier = state.notifier.clone();
    let channel = blocking(move || notifier.create_channel(name, kind)).await?;
    let what = format!("alert channel {} ({}, {}) added", channel.name, channel.kind.type_name(), channel.id);
    changes::record(&state, &who.actor(), what);
    Ok(changes::created(format!("/api/v1/alert-channels/{}", channel.id), &AlertChannelView::from(&channel)))
}

/// One alert channel.
#[utoipa::path(operation_id = "getAlertChannel", tag = "alerts",
    params(("id" = String, Path, description = "Channel id", example = "5e1f0a2b")),
    responses(
        (status = 200, description = "The channel", body = AlertChannelView),
        (status = 404, description = "No such channel (`channel_not_found`)", body = ApiErrorBody),
    )
)]
#[get("/alert-channels/{id}")]
pub async fn read(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let channel = state.notifier.channel(&channel_id(&id)?).ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok().json(AlertChannelView::from(&channel)))
}

/// Change a channel: any of its type's fields; an omitted secret is kept, `null` removes it.
#[utoipa::path(operation_id = "updateAlertChannel", tag = "alerts",
    params(("id" = String, Path, description = "Channel id", example = "5e1f0a2b")),
    request_body = ChannelBody,
    responses(
        (status = 200, description = "The changed channel", body = AlertChannelView),
        (status = 404, description = "No such channel (`channel_not_found`)", body = ApiErrorBody),
        (status = 422, description = "A field is invalid or not of this type; `field` names it", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was changed", body = ApiErrorBody),
    )
)]
#[patch("/alert-channels/{id}")]
pub async fn update(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<ChannelBody>,
) -> Result<HttpResponse, ApiError> {
    let id = channel_id(&id)?;
    let notifier = state.notifier.clone();
    let target = id.clone();
    let channel = blocking(move || notifier.update_channel(&target, |current| body.0.apply(current))).await?;
    let what = format!("alert channel {} ({}) changed", channel.name, channel.id);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::Ok().json(AlertChannelView::from(&channel)))
}

/// Remove a channel; its pending deliveries are given up.
#[utoipa::path(operation_id = "deleteAlertChannel", tag = "alerts",
    params(("id" = String, Path, description = "Channel id", example = "5e1f0a2b")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such channel (`channel_not_found`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`); nothing was removed", body = ApiErrorBody),
    )
)]
#[delete("/alert-channels/{id}")]
pub async fn remove(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = channel_id(&id)?;
    let notifier = state.notifier.clone();
    let channel = blocking(move || notifier.remove_channel(&id)).await?;
    let what = format!("alert channel {} ({}) removed", channel.name, channel.id);
    changes::record(&state, &who.actor(), what);
    Ok(HttpResponse::NoContent().finish())
}

/// Send a `test` notification now, through the outbox like any other, and answer its first
/// attempt's result; a failed test is retried like any notification.
#[utoipa::path(operation_id = "testAlertChannel", tag = "alerts",
    params(("id" = String, Path, description = "Channel id", example = "5e1f0a2b")),
    responses(
        (status = 200, description = "The attempt's result: `delivered`, else `delivery.lastError` says why", body = ChannelTestView),
        (status = 404, description = "No such channel (`channel_not_found`)", body = ApiErrorBody),
    )
)]
#[post("/alert-channels/{id}/test")]
pub async fn test(
    who: Authorized<Operator>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = channel_id(&id)?;
    let delivery = state.notifier.test(&id).await?;
    let verdict = if delivery.state == DeliveryState::Delivered { "delivered" } else { "not delivered" };
    state.sink.audit(&who.actor(), None, Severity::Informational, format!("alert channel {id} tested: {verdict}"));
    Ok(HttpResponse::Ok()
        .json(ChannelTestView { delivered: delivery.state == DeliveryState::Delivered, delivery: delivery.into() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Most deliveries answered (1 to 1000); default 100.
    #[param(minimum = 1, maximum = 1000, example = 100)]
    limit: Option<u16>,
}

/// A channel's recent deliveries, pending ones included, newest first (kept in memory: the last
/// 2,000 finished deliveries across channels, and every pending one).
#[utoipa::path(operation_id = "listAlertChannelDeliveries", tag = "alerts",
    params(("id" = String, Path, description = "Channel id", example = "5e1f0a2b"), DeliveriesQuery),
    responses(
        (status = 200, description = "Deliveries, newest first", body = Vec<DeliveryView>),
        (status = 400, description = "A parameter is invalid; `field` names it", body = ApiErrorBody),
        (status = 404, description = "No such channel (`channel_not_found`)", body = ApiErrorBody),
    )
)]
#[get("/alert-channels/{id}/deliveries")]
pub async fn deliveries(
    _who: Authorized<Viewer>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.0.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidParameter { param: "limit".into(), reason: "must be between 1 and 1000".into() });
    }
    let id = channel_id(&id)?;
    state.notifier.channel(&id).ok_or_else(|| not_found(&id.0))?;
    let views: Vec<DeliveryView> =
        state.notifier.channel_deliveries(&id, usize::from(limit)).into_iter().map(DeliveryView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

fn channel_id(text: &str) -> Result<ChannelId, ApiError> {
    ChannelId::parse(text).ok_or_else(|| not_found(text))
}

fn not_found(id: &str) -> ApiError {
    ApiError::Notify(crate::notify::NotifyError::ChannelNotFound { id: id.to_string() })
}
