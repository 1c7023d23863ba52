//! `/poller/…`: what a sharded poller (`--role poller`) asks its primary, with a token of the
//! `poller` role (and nothing else may ask): its shard's devices with their credentials, an
//! event stream saying when to ask again, and its reports (heartbeat and device states). Credentials leave only over TLS or to a loopback peer,
//! unless the primary opts in (`[cluster] feed_without_tls`).

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::api::access::{Authorized, Poller};
use crate::api::error::{ApiError, ApiErrorBody};
use crate::api::etag::{self, IfNoneMatch};
use crate::api::extract::JsonBody;
use crate::api::extract::QueryParams;
use crate::api::sse::{self, SseRegistry};
use crate::api::views::poller::{
    FeedQuery, PollerFeed, PollerReport, ReportAccepted, MAX_REPORTED_ECHOES, MAX_REPORTED_STATES,
};
use crate::api::AppState;
use crate::config::cluster::Role;
use crate::device::DeviceId;
use crate::shard::board::PollerEntry;
use crate::shard::Shard;
use crate::store::{Reported, StoreEvent};

/// The devices of one shard, credentials included (the same shape as the import takes, with
/// ids). `ETag`/`If-None-Match`: 304 while the shard's devices are unchanged.
#[utoipa::path(operation_id = "pollerDevices", tag = "poller",
    params(FeedQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The shard's devices with their credentials", body = PollerFeed),
        (status = 304, description = "Unchanged since the `ETag` named by `If-None-Match`"),
        (status = 400, description = "`shard` is not I/N (`invalid_parameter`)", body = ApiErrorBody),
        (status = 409, description = "This Vigie is not a primary (`not_a_primary`)", body = ApiErrorBody),
    )
)]
#[get("/poller/devices")]
pub async fn devices(
    _who: Authorized<Poller>,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: QueryParams<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    check_feed(&req, &state)?;
    let shard: Shard =
        query.0.shard.parse().map_err(|reason| ApiError::InvalidParameter { param: "shard".into(), reason })?;
    let devices: Vec<serde_json::Value> =
        state.store.device_list().iter().filter(|d| shard.owns(&d.id)).map(crate::store::feed_record).collect();
    let feed = PollerFeed { shard: shard.to_string(), devices };
    let body = serde_json::to_vec(&feed).expect("feeds serialize");
    // The tag names the content: equal whoever asks, whenever.
    let tag = format!("\"{:016x}\"", crate::shard::hashing::fnv1a64(&body));
    if etag::fresh(&req, &tag) {
        return Ok(etag::not_modified(&tag));
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, tag))
        .insert_header(("Cache-Control", "no-store"))
        .content_type("application/json")
        .body(body))
}

/// An endless `text/event-stream`: `event: devices` (data: `{}`) whenever a device is added,
/// changed or removed; a poller then asks `GET /poller/devices` again with `If-None-Match`.
/// A comment line (`: keep-alive`) comes every 15 s. Bounded as `/events` is.
#[utoipa::path(operation_id = "pollerChanges", tag = "poller",
    responses(
        (status = 200, description = "An endless `text/event-stream` of `event: devices`", body = String,
            content_type = "text/event-stream"),
        (status = 409, description = "This Vigie is not a primary (`not_a_primary`)", body = ApiErrorBody),
        (status = 429, description = "Too many streams are open from this client's address", body = ApiErrorBody),
        (status = 503, description = "Too many streams are open", body = ApiErrorBody),
    )
)]
#[get("/poller/changes")]
pub async fn changes(
    who: Authorized<Poller>,
    req: HttpRequest,
    state: web::Data<AppState>,
    streams: web::Data<SseRegistry>,
) -> Result<HttpResponse, ApiError> {
    check_feed(&req, &state)?;
    // The stream ends when its token is revoked.
    let encode: sse::Encoder =
        Box::new(|e: &StoreEvent| matches!(e, StoreEvent::Devices).then(|| "event: devices\ndata: {}\n\n".to_string()));
    sse::respond(&req, &streams, &state.store, &state.auth, &who.principal.via, encode)
}

/// A poller's heartbeat, the states that changed since its last accepted report and its echo
/// rounds: the primary takes each device's state from whichever poller reported it last (both
/// members of an HA pair report), keeps each echo round newer than the one it holds as its own
/// (device pages, latency, ping alert rules), and lists the poller in `/status` `pollers`. A
/// device outside the shard, or unknown here, is skipped.
#[utoipa::path(operation_id = "pollerReport", tag = "poller",
    request_body = PollerReport,
    responses(
        (status = 200, description = "Taken; `states` says how many states were", body = ReportAccepted),
        (status = 409, description = "This Vigie is not a primary (`not_a_primary`)", body = ApiErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ApiErrorBody),
    )
)]
#[post("/poller/reports")]
pub async fn report(
    _who: Authorized<Poller>,
    state: web::Data<AppState>,
    body: JsonBody<PollerReport>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(state.role, Role::Primary { .. }) {
        return Err(ApiError::NotAPrimary);
    }
    let report = body.0;
    let invalid = |field: &str, reason: String| ApiError::InvalidField { field: field.into(), reason };
    if report.name.is_empty() || report.name.chars().count() > 64 || report.name.chars().any(char::is_control) {
        return Err(invalid("name", "must be 1 to 64 printable characters".into()));
    }
    let shard: Shard = report.shard.parse().map_err(|reason| invalid("shard", reason))?;
    if report.states.len() > MAX_REPORTED_STATES {
        return Err(invalid("states", format!("at most {MAX_REPORTED_STATES} per report")));
    }
    let states: Vec<(DeviceId, Reported)> = report
        .states
        .into_iter()
        .filter_map(|s| {
            let id = DeviceId::parse(&s.id).filter(|id| shard.owns(id))?;
            Some((id, Reported { state: s.state, since: s.since, reason: s.reason, last_poll_at: s.last_poll_at }))
        })
        .collect();
    if report.echoes.len() > MAX_REPORTED_ECHOES {
        return Err(invalid("echoes", format!("at most {MAX_REPORTED_ECHOES} per report")));
    }
    let mut echoes = Vec::with_capacity(report.echoes.len());
    for echo in &report.echoes {
        let round = echo.to_status().map_err(|reason| invalid("echoes", reason))?;
        echoes.extend(DeviceId::parse(&echo.id).filter(|id| shard.owns(id)).map(|id| (id, round)));
    }
    let store = state.store.clone();
    let (taken, changed, echoes_taken) = web::block(move || {
        let mut taken = 0;
        let mut changed = Vec::new();
        for (id, reported) in states {
            if let Some(change) = store.record_reported(&id, reported) {
                taken += 1;
                changed.extend(change);
            }
        }
        let echoes_taken =
            echoes.into_iter().filter(|(id, round)| store.record_reported_echo(id, round.clone())).count();
        (taken, changed, echoes_taken)
    })
    .await
    .map_err(|_| ApiError::TaskLost)?;
    crate::reach::announce(&state.sink, &changed);
    state.pollers.note(PollerEntry {
        name: report.name,
        shard: shard.to_string(),
        last_report_at: crate::store::now_secs(),
        devices: report.devices,
        polls_total: report.polls_total,
        remote_write_lag_secs: report.remote_write_lag_secs.filter(|l| l.is_finite()),
    });
    Ok(HttpResponse::Ok().json(ReportAccepted { states: taken, echoes: echoes_taken }))
}

fn check_feed(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    feed_allowed(&state.role, state.tls, req.peer_addr().map(|a| a.ip()))
}

/// Only a primary feeds pollers; credentials leave over TLS, to loopback, or where allowed.
fn feed_allowed(role: &Role, tls: bool, peer: Option<std::net::IpAddr>) -> Result<(), ApiError> {
    let Role::Primary { feed_without_tls } = role else { return Err(ApiError::NotAPrimary) };
    if tls || peer.is_some_and(|ip| ip.is_loopback()) || *feed_without_tls {
        Ok(())
    } else {
        Err(ApiError::FeedNeedsTls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_over_tls_to_loopback_or_where_the_primary_allows_it() {
        let primary = Role::Primary { feed_without_tls: false };
        let (remote, loopback) = (Some("192.0.2.7".parse().unwrap()), Some("::1".parse().unwrap()));
        assert!(matches!(feed_allowed(&primary, false, remote), Err(ApiError::FeedNeedsTls)));
        assert!(matches!(feed_allowed(&primary, false, None), Err(ApiError::FeedNeedsTls)));
        assert!(feed_allowed(&primary, false, loopback).is_ok());
        assert!(feed_allowed(&primary, true, remote).is_ok());
        assert!(feed_allowed(&Role::Primary { feed_without_tls: true }, false, remote).is_ok());
        assert!(matches!(feed_allowed(&Role::Single, true, loopback), Err(ApiError::NotAPrimary)));
    }
}
