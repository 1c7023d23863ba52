//! `/session`: log in (sets the session cookie), who am I, log out, change my password.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};

use crate::api::access::{cleared_cookie, session_cookie, Authorized, Viewer};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{LoginRequest, PasswordChange, SessionView};
use crate::api::AppState;
use crate::auth::{AuthError, Via};
use crate::shown::Shown;
use crate::store::logs::Severity;

/// Log in with a username and password: sets the `vigie_session` cookie (HttpOnly,
/// SameSite=Strict, Secure over TLS) and answers the session, with the CSRF token to send as
/// `X-CSRF-Token` on every change. An unknown user and a wrong password answer alike; past 10
/// failures a minute from one address or for one username, 429.
#[utoipa::path(operation_id = "login", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` holds the session", body = SessionView,
            headers(("Set-Cookie" = String, description = "vigie_session=…; HttpOnly; SameSite=Strict; Path=/"))),
        (status = 401, description = "Wrong username or password (`unauthenticated`)", body = ApiErrorBody),
        (status = 403, description = "Sent from another site (`csrf_failed`)", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid", body = ApiErrorBody),
        (status = 429, description = "Too many failed logins (`too_many_requests`); see `Retry-After`", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many password checks at once (`busy`); see `Retry-After`", body = ApiErrorBody),
    )
)]
#[post("/session")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = req.peer_addr().map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let LoginRequest { username, password } = body.0;
    let auth = state.auth.clone();
    let (name, from) = (username.clone(), address.clone());
    match blocking(move || auth.login(&name, &password, &from)).await {
        Ok(outcome) => {
            state.sink.audit(
                &outcome.principal.describe(),
                None,
                Severity::Notice,
                format!("logged in from {address}"),
            );
            log::info!("User {} logged in from {address}.", Shown(&username));
            Ok(HttpResponse::Ok()
                .cookie(session_cookie(&outcome.cookie, &state))
                .json(SessionView::new(&outcome.principal)))
        }
        Err(e) => {
            if matches!(e, ApiError::Auth(AuthError::BadCredentials | AuthError::RateLimited { .. })) {
                // An unknown name is not repeated: it may be a password typed in the wrong field.
                let who =
                    if state.auth.is_user(&username) { format!("user {username}") } else { "an unknown user".into() };
                let what = if matches!(e, ApiError::Auth(AuthError::RateLimited { .. })) {
                    "refused (rate limit)"
                } else {
                    "failed"
                };
                state.sink.audit(
                    &format!("anonymous from {address}"),
                    None,
                    Severity::Warning,
                    format!("login {what} for {who} from {address}"),
                );
            }
            Err(e)
        }
    }
}

/// Who this request acts as: a session's user (with its CSRF token), a token, or the local
/// admin of `--auth off`.
#[utoipa::path(operation_id = "getSession", tag = "session",
    responses((status = 200, description = "The principal", body = SessionView)))]
#[get("/session")]
pub async fn current(who: Authorized<Viewer>) -> HttpResponse {
    HttpResponse::Ok().json(SessionView::new(&who.principal))
}

/// Log out: the session ends on the server and the cookie is cleared. With a token, nothing
/// ends (revoke tokens with DELETE /tokens/{id}).
#[utoipa::path(operation_id = "logout", tag = "session",
    responses((status = 204, description = "Logged out; the cookie is cleared")))]
#[delete("/session")]
pub async fn logout(state: web::Data<AppState>, who: Authorized<Viewer>) -> HttpResponse {
    if let Via::Session { key, .. } = &who.principal.via {
        state.auth.logout(key);
        state.sink.audit(&who.actor(), None, Severity::Notice, "logged out".into());
    }
    HttpResponse::NoContent().cookie(cleared_cookie(&state)).finish()
}

/// Change one's own password (a user logged in with a session); the user's other sessions end.
#[utoipa::path(operation_id = "changePassword", tag = "session",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; `mustChangePassword` is now false"),
        (status = 422, description = "The new password is too short or too long", body = ApiErrorBody),
        (status = 503, description = "Too many password checks at once (`busy`)", body = ApiErrorBody),
    )
)]
#[post("/session/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    who: Authorized<Viewer>,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange { current_password, new_password } = body.0;
    let (auth, principal) = (state.auth.clone(), who.principal.clone());
    blocking(move || auth.change_own_password(&principal, &current_password, &new_password)).await?;
    state.sink.audit(&who.actor(), None, Severity::Notice, "changed their password".into());
    Ok(HttpResponse::NoContent().finish())
}
