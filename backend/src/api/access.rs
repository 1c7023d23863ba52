//! Who a request acts as, found once per request: [`authenticate`] (a middleware on every
//! route) reads the bearer token or the session cookie, answers 401 when `/api/v1` needs one and
//! none is valid, checks the CSRF defence of cookie-authenticated mutations, and leaves the
//! [`Principal`] in the request. Handlers then ask for a role with [`Authorized`]:
//! `who: Authorized<Operator>`; they never compare names or strings. A `poller` token reaches
//! only `/api/v1/poller/…`, and nothing else reaches those.
//!
//! Open without credentials: `GET /api/v1/health`, `/health`, `/readyz`, `POST /api/v1/session` (login) and
//! `GET /api/v1/openapi.json`; the UI's files and `/docs`. Everything else under `/api/v1`, and
//! every other route of the OpenAPI document (`/metrics`), needs credentials.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::AppState;
use crate::auth::{AuthError, Principal, Role, Via};
use crate::secret::Secret;

pub const SESSION_COOKIE: &str = "vigie_session";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// `(method, path)` answered without credentials.
pub const OPEN_ROUTES: [(&str, &str); 5] = [
    ("GET", "/api/v1/health"),
    ("GET", "/health"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/session"),
    ("GET", "/api/v1/openapi.json"),
];

/// What a session whose user must change their password may still do: read itself, log out,
/// change the password. Everything else answers 403 `password_change_required` until then.
pub const PASSWORD_CHANGE_ROUTES: [(&str, &str); 3] =
    [("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"), ("POST", "/api/v1/session/password")];

/// The middleware: resolve the principal of every `/api/v1` request.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    // `/api/v1` and any other documented route (`/metrics`).
    let api = path == "/api/v1" || path.starts_with("/api/v1/") || super::route_table::allowed_methods(path).is_some();
    let open = OPEN_ROUTES.iter().any(|(m, p)| req.method().as_str() == *m && path == *p);
    // A method a known path does not answer gets its 405 (with `Allow`) whoever asks: the
    // document that says so is public.
    let undeclared = super::route_table::allowed_methods(path)
        .is_some_and(|allowed| !allowed.split(", ").any(|m| m == req.method().as_str()));
    if api && !undeclared {
        let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered").clone();
        let mutation = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if open {
            if mutation {
                refuse_cross_site(req.request(), &state.cors_origins)?;
            }
        } else {
            let principal = principal_of(req.request(), &state)?;
            refuse_before_password_change(&principal, req.method().as_str(), path)?;
            keep_pollers_apart(&principal, path)?;
            if mutation {
                check_csrf(req.request(), &principal, &state.cors_origins)?;
            }
            req.extensions_mut().insert(principal);
        }
    }
    next.call(req).await
}

fn principal_of(req: &HttpRequest, state: &AppState) -> Result<Principal, ApiError> {
    if !state.auth.enabled() {
        return Ok(Principal::local());
    }
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AuthError::Unauthenticated { reason: "Authorization must be `Bearer vgt_…`" })?;
        return Ok(state.auth.authenticate_token(&Secret::new(token.trim()))?);
    }
    match req.cookie(SESSION_COOKIE) {
        Some(cookie) => Ok(state.auth.authenticate_session(cookie.value())?),
        None => Err(AuthError::Unauthenticated {
            reason: "log in (POST /api/v1/session) or send `Authorization: Bearer vgt_…`",
        }
        .into()),
    }
}

/// Where the poller endpoints live: only a `poller` token may call them, and it may call
/// nothing else.
pub const POLLER_PREFIX: &str = "/api/v1/poller/";

fn keep_pollers_apart(principal: &Principal, path: &str) -> Result<(), ApiError> {
    let poller_path = path.starts_with(POLLER_PREFIX);
    if (principal.role == Role::Poller) == poller_path {
        return Ok(());
    }
    let need = if poller_path { Role::Poller } else { Role::Viewer };
    Err(AuthError::Forbidden { need, have: principal.role, who: principal.describe() }.into())
}

fn refuse_before_password_change(principal: &Principal, method: &str, path: &str) -> Result<(), ApiError> {
    let forced = matches!(principal.via, Via::Session { must_change_password: true, .. });
    if forced && !PASSWORD_CHANGE_ROUTES.iter().any(|(m, p)| *m == method && *p == path) {
        return Err(AuthError::PasswordChangeRequired { username: principal.name.clone() }.into());
    }
    Ok(())
}

/// A mutation made with a cookie (a session, or the browser of `--auth off`) must come from
/// this site; a session's must also carry its CSRF token. A bearer token is no ambient
/// credential: a page on another site cannot make the browser send it.
fn check_csrf(req: &HttpRequest, principal: &Principal, cors_origins: &[String]) -> Result<(), ApiError> {
    match &principal.via {
        Via::Token { .. } => Ok(()),
        Via::Local => refuse_cross_site(req, cors_origins),
        Via::Session { csrf, .. } => {
            refuse_cross_site(req, cors_origins)?;
            let sent = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
            if !bool::from(sent.ct_eq(csrf.expose().as_bytes())) {
                return Err(AuthError::CsrfFailed { reason: "the X-CSRF-Token header is missing or wrong" }.into());
            }
            Ok(())
        }
    }
}

/// Refuses a request a browser marks as sent from another site: `Sec-Fetch-Site` other than
/// `same-origin` or `none`, or an `Origin` that is neither this host nor a configured CORS origin.
pub fn refuse_cross_site(req: &HttpRequest, cors_origins: &[String]) -> Result<(), ApiError> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed_origin = origin.is_some_and(|o| cors_origins.iter().any(|c| c == o));
    if let Some(origin) = origin.filter(|_| !allowed_origin) {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
        if authority.is_empty() || !authority.eq_ignore_ascii_case(host) {
            return Err(AuthError::CsrfFailed { reason: "the Origin header names another site" }.into());
        }
    }
    let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") && !allowed_origin {
        return Err(AuthError::CsrfFailed { reason: "the browser says the request comes from another site" }.into());
    }
    Ok(())
}

/// The session cookie: `HttpOnly; SameSite=Strict; Path=/`, `Secure` over TLS.
pub fn session_cookie(value: &Secret, state: &AppState) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.expose().to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.cookie_secure)
        .max_age(actix_web::cookie::time::Duration::seconds(state.auth.policy().max_secs))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn cleared_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(&Secret::new(""), state);
    cookie.make_removal();
    cookie
}

/// The lowest role a handler accepts.
pub trait Required {
    const ROLE: Role;
}

/// Any authenticated principal (every role can read).
pub struct Viewer;
/// Operators and admins: device changes.
pub struct Operator;
/// Admins only: users and tokens.
pub struct Admin;
/// A sharded poller's token (the middleware lets no other role reach the poller endpoints).
pub struct Poller;

impl Required for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl Required for Operator {
    const ROLE: Role = Role::Operator;
}
impl Required for Admin {
    const ROLE: Role = Role::Admin;
}
impl Required for Poller {
    const ROLE: Role = Role::Poller;
}

/// The request's principal, when its role is at least `R`'s; else 403 `forbidden`.
pub struct Authorized<R: Required> {
    pub principal: Principal,
    role: PhantomData<R>,
}

impl<R: Required> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = req.extensions().get::<Principal>().cloned();
        ready(match principal {
            None => Err(AuthError::Unauthenticated { reason: "this route needs credentials" }.into()),
            Some(p) if p.role < R::ROLE => {
                Err(AuthError::Forbidden { need: R::ROLE, have: p.role, who: p.describe() }.into())
            }
            Some(principal) => Ok(Authorized { principal, role: PhantomData }),
        })
    }
}

impl<R: Required> Authorized<R> {
    /// How the audit log names the principal.
    pub fn actor(&self) -> String {
        self.principal.describe()
    }
}
