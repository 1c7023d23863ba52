//! What each role serves. A poller (`--role poller`) serves only its health, readiness,
//! metrics and status (and the login that reading these with a session needs): no UI, no device
//! API, which its primary serves. Single and primary serve everything.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use super::error::ApiError;
use super::AppState;
use crate::config::cluster::Role;

/// `(method, path)` a poller answers.
pub const POLLER_ROUTES: [(&str, &str); 8] = [
    ("GET", "/health"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/status"),
    ("POST", "/api/v1/session"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
];

pub async fn serve_by_role(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let poller = req.app_data::<web::Data<AppState>>().is_some_and(|s| matches!(s.role, Role::Poller(_)));
    let (method, path) = (req.method().as_str(), req.path());
    if poller && !POLLER_ROUTES.iter().any(|(m, p)| *m == method && *p == path) {
        let error = ApiError::RouteNotFound { method: method.to_string(), path: path.to_string() };
        let response = error.error_response().map_into_right_body();
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_left_body())
}
