//! The JSON API under `/api/v1`, its OpenAPI document (generated from the same registrations
//! that serve the routes), and Swagger UI at `/docs`.

pub mod access;
pub mod body_limit;
pub mod connections;
pub mod csv;
pub mod error;
pub mod etag;
pub mod extract;
pub mod list_query;
pub mod metrics;
pub mod page_keys;
pub mod role_gate;
pub mod route_table;
pub mod routes;
pub mod security;
pub mod sse;
pub mod time_range;
pub mod ui;
pub mod views;

use std::sync::Arc;
use std::time::Instant;

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{Content, InfoBuilder, LicenseBuilder, OpenApi, Ref, RefOr};
use utoipa::PartialSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig, AppExt};

use crate::poller::Scheduler;
use crate::store::Store;

/// What handlers share.
pub struct AppState {
    pub store: Arc<Store>,
    pub sink: Arc<crate::logs::Sink>,
    pub scheduler: Arc<Scheduler>,
    /// The reachability scheduler's counters and ICMP modes.
    pub reach: Arc<crate::reach::ReachStats>,
    pub started: Instant,
    /// Bounds of the log path (the query budget, the TCP limits shown in `/status`).
    pub log_limits: crate::logs::LogLimits,
    /// Users, tokens, sessions; with access control off, every request is the local admin.
    pub auth: Arc<crate::auth::Auth>,
    /// The session cookie is `Secure` (served over TLS, or behind a TLS proxy).
    pub cookie_secure: bool,
    /// Origins allowed to call the API from a browser, besides this host's own.
    pub cors_origins: Vec<String>,
    /// Alert channels and the delivery of notifications.
    pub notifier: Arc<crate::notify::Notifier>,
    /// Alert rules, incidents and maintenance windows.
    pub alerts: Arc<crate::alerts::Alerts>,
    /// What `/readyz` answers.
    pub readiness: Arc<Readiness>,
    /// Whether each syslog and trap receiver listens, or why not.
    pub receivers: Arc<crate::logs::receivers::ReceiverBoard>,
    /// Where the traffic, latency and counters endpoints read history (store or TSDB).
    pub history: Arc<crate::history::History>,
    /// Remote-write targets, their queues and figures.
    pub remote_write: Arc<crate::export::RemoteWrite>,
    /// Single, primary or poller (`--role`).
    pub role: crate::config::cluster::Role,
    /// The API is served over TLS (the poller feed's credentials may leave).
    pub tls: bool,
    /// On a primary: the sharded pollers that reported.
    pub pollers: Arc<crate::shard::board::PollerBoard>,
    /// On a poller: what its feed from the primary did.
    pub shard_feed: Option<Arc<crate::shard::feed::FeedStats>>,
}

/// Starting, ready, or stopping: what `/readyz` answers. The store is loaded and the receivers
/// have tried to listen before the server is marked ready; it is unready again from SIGTERM on.
#[derive(Debug, Default)]
pub struct Readiness(std::sync::atomic::AtomicU8);

impl Readiness {
    // 0, the default: starting.
    const READY: u8 = 1;
    const STOPPING: u8 = 2;

    pub fn set_ready(&self) {
        self.0.store(Self::READY, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn set_stopping(&self) {
        self.0.store(Self::STOPPING, std::sync::atomic::Ordering::Relaxed);
    }

    /// `ready`, `starting` or `stopping`.
    pub fn state(&self) -> &'static str {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            Self::READY => "ready",
            Self::STOPPING => "stopping",
            _ => "starting",
        }
    }
}

/// Registers every API route; the OpenAPI document is collected from these registrations.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(routes::devices::list)
            .service(routes::fleet::devices)
            .service(routes::fleet::names)
            .service(routes::fleet::summary)
            .service(routes::devices::create)
            // Before `/devices/{id}`, which would take "import" and "export" for ids.
            .service(routes::device_import::import)
            .service(routes::device_import::export)
            .service(routes::devices::read)
            .service(routes::devices::update)
            .service(routes::devices::remove)
            .service(routes::interfaces::list)
            .service(routes::interfaces::page)
            .service(routes::interfaces::read)
            .service(routes::interfaces::traffic)
            .service(routes::interfaces::counters)
            .service(routes::latency::latency)
            .service(routes::status::summary)
            .service(routes::status::health)
            .service(routes::events::stream)
            .service(routes::logs::list)
            .service(routes::logs::for_device)
            .service(routes::session::login)
            .service(routes::session::current)
            .service(routes::session::logout)
            .service(routes::session::change_password)
            .service(routes::users::list)
            .service(routes::users::create)
            .service(routes::users::update)
            .service(routes::users::remove)
            .service(routes::tokens::list)
            .service(routes::tokens::create)
            .service(routes::tokens::remove)
            .service(routes::alert_channels::list)
            .service(routes::alert_channels::create)
            .service(routes::alert_channels::read)
            .service(routes::alert_channels::update)
            .service(routes::alert_channels::remove)
            .service(routes::alert_channels::test)
            .service(routes::alert_channels::deliveries)
            .service(routes::trap_users::list)
            .service(routes::trap_users::create)
            .service(routes::trap_users::remove)
            .service(routes::alert_rules::list)
            .service(routes::alert_rules::create)
            .service(routes::alert_rules::read)
            .service(routes::alert_rules::update)
            .service(routes::alert_rules::remove)
            .service(routes::alerts::list)
            .service(routes::alerts::read)
            .service(routes::alerts::acknowledge)
            .service(routes::maintenance::list)
            .service(routes::maintenance::create)
            .service(routes::maintenance::read)
            .service(routes::maintenance::update)
            .service(routes::maintenance::remove)
            .service(routes::poller::devices)
            .service(routes::poller::changes)
            .service(routes::poller::report),
    )
    .service(metrics::scrape)
    .service(routes::status::root_health)
    .service(routes::status::readyz);
}

/// The document's info block; paths and schemas come from [`configure`].
pub fn base_document() -> OpenApi {
    let mut doc = OpenApi::default();
    doc.info = InfoBuilder::new()
        .title("Vigie API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Vigie supervises SNMP devices: their status, their interfaces and the traffic on them. \
             All times are Unix seconds; rates are bits per second. Every error answers \
             `{code, message, field}`. SNMP communities are write-only: never returned. \
             Every operation but health, readiness and login needs credentials: the `vigie_session` cookie \
             set by POST /api/v1/session (with `X-CSRF-Token` on changes), or an API token as \
             `Authorization: Bearer vgt_…`. Roles: viewer reads, operator also changes devices, \
             admin also manages users and tokens; a `poller` token (for `vigie serve --role poller`) \
             reads its shard's devices with their credentials from a primary and may call nothing else.",
        ))
        .license(Some(LicenseBuilder::new().name("MIT").identifier(Some("MIT")).build()))
        .build();
    doc.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some("The Vigie server that serves this document"))
        .build()]);
    // The payload of the event stream's `data:` lines, which no JSON operation names.
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        ("EventData", views::EventData::schema()),
        ("SampleEvent", views::SampleEvent::schema()),
        ("DeviceEvent", views::DeviceEvent::schema()),
        ("SampleRateView", views::SampleRateView::schema()),
        ("StatusEvent", views::StatusEvent::schema()),
        ("EventKind", views::EventKind::schema()),
        ("IncidentView", views::IncidentView::schema()),
    ] {
        components.schemas.insert(name.to_string(), schema);
    }
    doc
}

/// The OpenAPI document, as `vigie openapi` prints it and `/api/v1/openapi.json` serves it.
pub fn openapi() -> OpenApi {
    let (_, mut doc) =
        actix_web::App::new().into_utoipa_app().openapi(base_document()).configure(configure).split_for_parts();
    declare_common_responses(&mut doc);
    security::declare(&mut doc);
    drop_device_id_from_device_logs(&mut doc);
    doc
}

/// `/devices/{id}/logs` takes the filters of `/logs` but names its device in the path, and refuses
/// `deviceId`: the document says so by leaving the parameter out.
fn drop_device_id_from_device_logs(doc: &mut OpenApi) {
    let operation = doc.paths.paths.get_mut("/api/v1/devices/{id}/logs").and_then(|item| item.get.as_mut());
    if let Some(parameters) = operation.and_then(|o| o.parameters.as_mut()) {
        parameters
            .retain(|p| !matches!(p, RefOr::T(p) if p.name == "deviceId" && p.parameter_in == ParameterIn::Query));
    }
}

/// Answers any operation can give, declared once here rather than on every route: 500 when the
/// store fails; for an operation that takes a body, 400, 408, 413 and 415 when the body is not
/// JSON, does not arrive in time, is too large, or is not declared as JSON (a route that says
/// more, such as the CSV import, keeps its own words).
fn declare_common_responses(doc: &mut OpenApi) {
    let error = |description: &str| {
        let body = Content::new(Some(Ref::from_schema_name("ApiErrorBody")));
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            if operation.request_body.is_some() {
                let too_large = format!("Body over {} KiB", body_limit::MAX_BODY_BYTES / 1024);
                for (status, description) in [
                    ("400", "Body is not JSON"),
                    ("408", "The body did not arrive in time (`http.body_timeout_secs`)"),
                    ("413", too_large.as_str()),
                    ("415", "Body is not declared as JSON"),
                ] {
                    responses.entry(status.into()).or_insert_with(|| error(description));
                }
            }
            responses
                .entry("500".into())
                .or_insert_with(|| error("The server could not read or write its data (`storage_error`)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Readiness;

    #[test]
    fn readiness_goes_from_starting_to_ready_to_stopping() {
        let readiness = Readiness::default();
        assert_eq!(readiness.state(), "starting");
        readiness.set_ready();
        assert_eq!(readiness.state(), "ready");
        readiness.set_stopping();
        assert_eq!(readiness.state(), "stopping");
    }
}
