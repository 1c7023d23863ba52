//! The JSON API under `/api/v1`, its OpenAPI document (generated from the same registrations
//! that serve the routes), and Swagger UI at `/docs`.

pub mod error;
pub mod extract;
pub mod routes;
pub mod ui;
pub mod views;

use std::sync::Arc;
use std::time::Instant;

use utoipa::openapi::{InfoBuilder, LicenseBuilder, OpenApi};
use utoipa_actix_web::{scope, service_config::ServiceConfig, AppExt};

use crate::poller::Scheduler;
use crate::store::Store;

/// What handlers share.
pub struct AppState {
    pub store: Arc<Store>,
    pub sink: Arc<crate::logs::Sink>,
    pub scheduler: Arc<Scheduler>,
    pub started: Instant,
    /// Bounds of the log path (the query budget, the TCP limits shown in `/status`).
    pub log_limits: crate::logs::LogLimits,
}

/// Registers every API route; the OpenAPI document is collected from these registrations.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(routes::devices::list)
            .service(routes::devices::create)
            .service(routes::devices::read)
            .service(routes::devices::update)
            .service(routes::devices::remove)
            .service(routes::interfaces::list)
            .service(routes::interfaces::traffic)
            .service(routes::interfaces::counters)
            .service(routes::status::summary)
            .service(routes::status::health)
            .service(routes::events::stream)
            .service(routes::logs::list)
            .service(routes::logs::for_device),
    );
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
             `{code, message, field}`. SNMP communities are write-only: never returned.",
        ))
        .license(Some(LicenseBuilder::new().name("MIT").identifier(Some("MIT")).build()))
        .build();
    doc
}

/// The OpenAPI document, as `vigie openapi` prints it and `/api/v1/openapi.json` serves it.
pub fn openapi() -> OpenApi {
    let (_, doc) =
        actix_web::App::new().into_utoipa_app().openapi(base_document()).configure(configure).split_for_parts();
    doc
}
