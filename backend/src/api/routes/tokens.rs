//! `/tokens` (admin): API tokens for scripts, shown once, revoked at once.

use actix_web::{delete, get, post, web, HttpResponse};

use crate::api::access::{Admin, Authorized};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{NewToken, NewTokenView, TokenView};
use crate::api::AppState;
use crate::shown::Shown;
use crate::store::logs::Severity;

/// Every token (never its text), oldest first, with its last use.
#[utoipa::path(operation_id = "listTokens", tag = "tokens",
    responses((status = 200, description = "Tokens", body = Vec<TokenView>)))]
#[get("/tokens")]
pub async fn list(state: web::Data<AppState>, _who: Authorized<Admin>) -> HttpResponse {
    let tokens: Vec<TokenView> = state.auth.tokens().iter().map(TokenView::from).collect();
    HttpResponse::Ok().json(tokens)
}

/// Create a token with a name, a role and an optional expiry. The answer holds the token's
/// text: the only time it is shown.
#[utoipa::path(operation_id = "createToken", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; `token` is shown this once", body = NewTokenView),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
    )
)]
#[post("/tokens")]
pub async fn create(
    state: web::Data<AppState>,
    who: Authorized<Admin>,
    body: JsonBody<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let NewToken { name, role, expires_at } = body.0;
    let (auth, creator) = (state.auth.clone(), who.principal.name.clone());
    let (token, record) = blocking(move || auth.create_token(&name, role, expires_at, &creator)).await?;
    let message = format!("created token {} ({}) with the {} role", Shown(&record.name), record.id, role.name());
    state.sink.audit(&who.actor(), None, Severity::Notice, message);
    let view = NewTokenView { token_info: TokenView::from(&record), token: token.expose().to_string() };
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(view))
}

/// Revoke a token: it fails at once.
#[utoipa::path(operation_id = "deleteToken", tag = "tokens",
    params(("id" = String, Path, description = "Token id", example = "9f1c2a7b40d3e8aa")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token (`token_not_found`)", body = ApiErrorBody),
    )
)]
#[delete("/tokens/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    who: Authorized<Admin>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (auth, id) = (state.auth.clone(), id.into_inner());
    let record = blocking(move || auth.revoke_token(&id)).await?;
    let message = format!("revoked token {} ({})", Shown(&record.name), record.id);
    state.sink.audit(&who.actor(), None, Severity::Notice, message);
    Ok(HttpResponse::NoContent().finish())
}
