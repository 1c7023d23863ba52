//! `/users` (admin): add, list, change and remove users.

use actix_web::{delete, get, patch, post, web, HttpResponse};

use crate::api::access::{Admin, Authorized};
use crate::api::error::{blocking, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{NewUser, UserPatch, UserView};
use crate::api::AppState;
use crate::store::logs::Severity;

/// Every user, by name.
#[utoipa::path(operation_id = "listUsers", tag = "users",
    responses((status = 200, description = "Users", body = Vec<UserView>)))]
#[get("/users")]
pub async fn list(state: web::Data<AppState>, _who: Authorized<Admin>) -> HttpResponse {
    let mut users: Vec<UserView> = state.auth.users().iter().map(UserView::from).collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    HttpResponse::Ok().json(users)
}

/// Add a user; they must change the password at first login.
#[utoipa::path(operation_id = "createUser", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Added", body = UserView,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 409, description = "A user has this name (`duplicate_user`)", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 503, description = "Too many password hashes at once (`busy`)", body = ApiErrorBody),
    )
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    who: Authorized<Admin>,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let NewUser { username, password, role } = body.0;
    let (auth, name) = (state.auth.clone(), username.clone());
    let user = blocking(move || auth.add_user(&name, &password, role, true)).await?;
    let message = format!("added user {} with the {} role", user.username, role.name());
    state.sink.audit(&who.actor(), None, Severity::Notice, message);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.username)))
        .json(UserView::from(&user)))
}

/// Change a user's role and/or set a new password (which the user must change at next login;
/// their sessions end).
#[utoipa::path(operation_id = "updateUser", tag = "users",
    params(("username" = String, Path, description = "User name", example = "ann")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = 404, description = "No such user (`user_not_found`)", body = ApiErrorBody),
        (status = 409, description = "It would leave no admin (`last_admin`)", body = ApiErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ApiErrorBody),
        (status = 503, description = "Too many password hashes at once (`busy`)", body = ApiErrorBody),
    )
)]
#[patch("/users/{username}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Authorized<Admin>,
    username: web::Path<String>,
    body: JsonBody<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let UserPatch { role, password } = body.0;
    let changed_password = password.is_some();
    let (auth, name) = (state.auth.clone(), username.clone());
    let user = blocking(move || auth.update_user(&name, role, password.as_ref(), true)).await?;
    let mut what = Vec::new();
    if let Some(role) = role {
        what.push(format!("role {}", role.name()));
    }
    if changed_password {
        what.push("a new password".to_string());
    }
    if !what.is_empty() {
        let message = format!("gave user {} {}", user.username, what.join(" and "));
        state.sink.audit(&who.actor(), None, Severity::Notice, message);
    }
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// Remove a user; their sessions end at once.
#[utoipa::path(operation_id = "deleteUser", tag = "users",
    params(("username" = String, Path, description = "User name", example = "ann")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such user (`user_not_found`)", body = ApiErrorBody),
        (status = 409, description = "The last admin (`last_admin`)", body = ApiErrorBody),
    )
)]
#[delete("/users/{username}")]
pub async fn remove(
    state: web::Data<AppState>,
    who: Authorized<Admin>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (auth, name) = (state.auth.clone(), username.into_inner());
    let user = blocking(move || auth.remove_user(&name)).await?;
    state.sink.audit(&who.actor(), None, Severity::Notice, format!("removed user {}", user.username));
    Ok(HttpResponse::NoContent().finish())
}
